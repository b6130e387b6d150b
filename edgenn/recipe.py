"""Recipes: one TOML file per model, loaded into frozen dataclasses and validated up front.

A recipe says where the data comes from, the architecture, how to train and quantize, and the
budgets a build must meet. Every key is checked: an unknown key, a wrong type, or an unknown
layer is a RecipeError naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgenn.errors import RecipeError

# Layer types a recipe may name, with the options each accepts (name -> (types, required)).
# The builders live in edgenn.train.layers; a test checks both tables list the same names.
LAYER_OPTIONS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "conv2d": {
        "filters": ((int,), True),
        "kernel_size": ((int, list), True),
        "strides": ((int, list), False),
        "padding": ((str,), False),
        "dilation_rate": ((int, list), False),
        "use_bias": ((bool,), False),
    },
    "depthwise_conv2d": {
        "kernel_size": ((int, list), True),
        "strides": ((int, list), False),
        "padding": ((str,), False),
        "depth_multiplier": ((int,), False),
        "dilation_rate": ((int, list), False),
        "use_bias": ((bool,), False),
    },
    "dense": {"units": ((int,), True), "use_bias": ((bool,), False)},
    "batchnorm": {"momentum": ((float,), False), "epsilon": ((float,), False)},
    "relu": {},
    "relu6": {},
    "tanh": {},
    "sigmoid": {},
    "softmax": {},
    "maxpool2d": {"pool_size": ((int, list), False), "strides": ((int, list), False), "padding": ((str,), False)},
    "avgpool2d": {"pool_size": ((int, list), False), "strides": ((int, list), False), "padding": ((str,), False)},
    "global_avgpool2d": {},
    "flatten": {},
    "dropout": {"rate": ((float,), True)},
    # sequences (input_shape = [steps, features]) and other Keras layers the converter lowers
    "conv1d": {
        "filters": ((int,), True),
        "kernel_size": ((int,), True),
        "strides": ((int,), False),
        "padding": ((str,), False),
        "dilation_rate": ((int,), False),
        "use_bias": ((bool,), False),
    },
    "maxpool1d": {"pool_size": ((int,), False), "strides": ((int,), False), "padding": ((str,), False)},
    "avgpool1d": {"pool_size": ((int,), False), "strides": ((int,), False), "padding": ((str,), False)},
    "global_avgpool1d": {},
    "lstm": {"units": ((int,), True), "return_sequences": ((bool,), False)},
    "gru": {"units": ((int,), True), "return_sequences": ((bool,), False)},
    "conv2d_transpose": {
        "filters": ((int,), True),
        "kernel_size": ((int, list), True),
        "strides": ((int, list), False),
        "padding": ((str,), False),
        "use_bias": ((bool,), False),
    },
    "upsampling2d": {"size": ((int, list), False), "interpolation": ((str,), False)},
    "leaky_relu": {"negative_slope": ((float,), False)},
    "prelu": {},
    "hard_swish": {},
    "reshape": {"target_shape": ((list,), True)},
    # graphs: merge layers take the layers named in their `inputs` (see GRAPH_KEYS)
    "add": {},
    "concatenate": {"axis": ((int,), False)},
}
MERGE_LAYERS = ("add", "concatenate")
# Keys every layer may carry to make a graph instead of a chain: `name` labels its output, `inputs`
# lists the named outputs it takes ("input" is the model input); without `inputs` a layer takes the
# previous layer's output. A merge layer needs two or more inputs, any other layer at most one.
GRAPH_KEYS = ("name", "inputs")

# Whole architectures a recipe may name instead of listing layers (builders: edgenn.train.architectures),
# with their options (name -> (types, default)).
ARCHITECTURE_OPTIONS: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "resnet8": {"filters": ((int,), 16)},
    "mobilenet_v1": {"alpha": ((float,), 0.25)},
    "fc_autoencoder": {"hidden": ((int,), 128), "bottleneck": ((int,), 8), "depth": ((int,), 4)},
}
TASKS = ("classification", "regression", "anomaly")
OPTIMIZE = ("speed", "size")  # what the generated C's kernels are built for (codegen --optimize)

DATA_SOURCES = ("digits", "npz", "wav", "sine")
FRONTENDS = ("none", "mfcc")
OPTIMIZERS = ("adam", "sgd", "rmsprop")


@dataclass(frozen=True)
class DataSpec:
    source: str = "digits"
    path: str | None = None
    seed: int = 0
    validation_fraction: float = 0.15
    test_fraction: float = 0.2  # digits and npz; a wav folder's split is fixed by `split`
    split: str = "customary"  # wav: "customary" (index 0-4 test) or "speaker" (test_speaker's recordings)
    test_speaker: str | None = None  # wav: the held-out speaker, also reported beside the customary split


@dataclass(frozen=True)
class LayerSpec:
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    name: str | None = None  # labels the output for later layers' `inputs`
    inputs: tuple[str, ...] = ()  # named outputs it takes; () = the previous layer's


@dataclass(frozen=True)
class ModelSpec:
    """Either `layers` (a sequence of layers) or an `architecture` with its `options`.

    task: "classification" (integer labels, accuracy), "regression" (float targets, mean absolute error) or
    "anomaly" (an autoencoder trained on normal samples, label 0; the anomaly score is the reconstruction
    error, reported as ROC AUC).
    """

    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...] = ()
    task: str = "classification"
    architecture: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainSpec:
    epochs: int = 30
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    seed: int = 0


@dataclass(frozen=True)
class QuantizeSpec:
    representative_samples: int = 200


@dataclass(frozen=True)
class CodegenSpec:
    """How `edgenn run` generates the model's C: its kernels built for speed or for flash (codegen --optimize)."""

    optimize: str = "speed"


@dataclass(frozen=True)
class FrontendSpec:
    """Audio features computed from fixed-length clips, the same way in training (Python) and on the device (C).

    kind "mfcc": CMSIS-DSP's arm_mfcc_f32 on frames of `frame_length` samples (the FFT length), every
    `hop_length` samples, of a clip of `clip_samples` int16 samples scaled to [-1, 1). Features are
    (frames, mfcc_coefficients) with frames = 1 + (clip_samples - frame_length) // hop_length.
    """

    kind: str = "none"  # "none": the data are the model's inputs already; "mfcc"
    sample_rate: int = 8000
    clip_samples: int = 8192
    frame_length: int = 256
    hop_length: int = 128
    mel_filters: int = 20
    mfcc_coefficients: int = 13
    fmin: float = 20.0
    fmax: float = 4000.0

    @property
    def frames(self) -> int:
        return 1 + (self.clip_samples - self.frame_length) // self.hop_length

    @property
    def feature_shape(self) -> tuple[int, int, int]:
        return (self.frames, self.mfcc_coefficients, 1)


@dataclass(frozen=True)
class OptimizeSpec:
    """Fine-tuning after pruning (`edgenn sweep`); the defaults were chosen on the validation split of digits."""

    fine_tune_epochs: int = 15
    learning_rate: float = 1e-3
    batch_size: int = 32
    prune_share: float = 0.6  # share of fine-tuning over which sparsity rises; the rest recovers at the target
    # Quantization-aware fine-tuning starts from a model already fine-tuned for its point: a gentler rate.
    qat_learning_rate: float = 1e-4


@dataclass(frozen=True)
class Increase:
    """How much a figure may grow over the baseline's: a share of it ("2%") or an amount ("512")."""

    amount: float
    relative: bool

    @classmethod
    def parse(cls, value) -> Increase:
        """'2%', '2.5 %', '512', 512 → an Increase; ValueError saying what is accepted otherwise."""
        if isinstance(value, Increase):
            return value
        text = str(value).strip()
        relative = text.endswith("%")
        try:
            amount = float(text.removesuffix("%").strip())
        except ValueError:
            amount = float("nan")
        if isinstance(value, bool) or not amount >= 0 or amount == float("inf"):
            raise ValueError(f"must be a percentage like '2%' or a non-negative amount like 512, got {value!r}")
        return cls(amount, relative)

    def allowed(self, baseline: float) -> float:
        """The largest increase over `baseline` this allows."""
        return abs(baseline) * self.amount / 100.0 if self.relative else self.amount

    def __str__(self) -> str:
        return f"+{self.amount:g}%" if self.relative else f"+{self.amount:,g}"


@dataclass(frozen=True)
class Budgets:
    """What a build must meet. Absolute budgets hold on their own; the increases and the accuracy drop
    against a baseline apply when the gate is given one (`edgenn gate --baseline`)."""

    max_flash_bytes: int | None = None
    max_ram_bytes: int | None = None
    min_int8_accuracy: float | None = None  # classification: top-1 of the int8 model on TFLM
    max_accuracy_drop_pp: float | None = None  # float minus int8, percentage points
    max_instructions: int | None = None  # per inference on the emulated Cortex-M4 (edgenn profile)
    min_class_recall: float | None = None  # classification: the lowest recall of any class
    max_mae: float | None = None  # regression
    min_auc: float | None = None  # anomaly detection
    max_flash_increase: Increase | None = None
    max_ram_increase: Increase | None = None
    max_latency_increase: Increase | None = None
    max_accuracy_drop_from_baseline_pp: float | None = None  # baseline's int8 score minus this build's


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    data: DataSpec
    model: ModelSpec
    train: TrainSpec
    quantize: QuantizeSpec
    budgets: Budgets
    path: Path
    optimize: OptimizeSpec = OptimizeSpec()
    frontend: FrontendSpec = FrontendSpec()
    codegen: CodegenSpec = CodegenSpec()


_TOP_KEYS = {"name", "description", "data", "frontend", "model", "train", "quantize", "budgets", "optimize", "codegen"}


def _type_name(types: tuple[type, ...]) -> str:
    return " or ".join(
        {int: "integer", float: "number", str: "string", bool: "boolean", list: "list"}[t] for t in types
    )


def _check_value(path: Path, key: str, value: Any, types: tuple[type, ...]) -> Any:
    # TOML integers are fine where a float is asked for; booleans are never integers here.
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and bool not in types:
        raise RecipeError(path, f"'{key}' must be {_type_name(types)}, got boolean")
    if not isinstance(value, types):
        raise RecipeError(path, f"'{key}' must be {_type_name(types)}, got {type(value).__name__} {value!r}")
    return value


def _section(path: Path, raw: dict, name: str, cls, extra_checks=None):
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise RecipeError(path, f"[{name}] must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in table.items():
        if key not in fields:
            raise RecipeError(path, f"unknown key '{name}.{key}' (known: {', '.join(sorted(fields))})")
        annotation = str(fields[key].type)
        if "Increase" in annotation:
            try:
                kwargs[key] = Increase.parse(value)
            except ValueError as exc:
                raise RecipeError(path, f"'{name}.{key}' {exc}") from None
            continue
        if "int" in annotation and "float" not in annotation:
            types: tuple[type, ...] = (int,)
        elif "float" in annotation:
            types = (float,)
        else:
            types = (str,)
        kwargs[key] = _check_value(path, f"{name}.{key}", value, types)
    return cls(**kwargs)


def _positive(path: Path, key: str, value, allow_zero: bool = False) -> None:
    if value is None:
        return
    if value < 0 or (value == 0 and not allow_zero):
        raise RecipeError(path, f"'{key}' must be {'non-negative' if allow_zero else 'positive'}, got {value}")


def _layers(path: Path, raw_layers: Any) -> tuple[LayerSpec, ...]:
    if not isinstance(raw_layers, list) or not raw_layers:
        raise RecipeError(path, "'model.layers' must be a non-empty list of tables")
    layers = []
    names: set[str] = set()
    for i, raw in enumerate(raw_layers):
        where = f"model.layers[{i}]"
        if not isinstance(raw, dict) or "type" not in raw:
            raise RecipeError(path, f"'{where}' must be a table with a 'type'")
        kind = raw["type"]
        if kind not in LAYER_OPTIONS:
            raise RecipeError(
                path, f"unknown layer type '{kind}' in {where} (known: {', '.join(sorted(LAYER_OPTIONS))})"
            )
        allowed = LAYER_OPTIONS[kind]
        options = {}
        name, inputs = _graph_keys(path, where, raw, kind, names)
        for key, value in raw.items():
            if key == "type" or key in GRAPH_KEYS:
                continue
            if key not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise RecipeError(path, f"unknown option '{key}' for {kind} layer in {where} (known: {known})")
            options[key] = _check_value(path, f"{where}.{key}", value, allowed[key][0])
        for key, (_, required) in allowed.items():
            if required and key not in options:
                raise RecipeError(path, f"{kind} layer in {where} needs '{key}'")
        if "interpolation" in options and options["interpolation"] != "bilinear":
            # Keras 3's nearest-neighbour UpSampling2D converts to TILE, which TFLM cannot run.
            raise RecipeError(path, f"'{where}.interpolation' must be 'bilinear', got {options['interpolation']!r}")
        if "padding" in options and options["padding"] not in ("same", "valid"):
            raise RecipeError(path, f"'{where}.padding' must be 'same' or 'valid', got {options['padding']!r}")
        if kind == "dropout" and not 0.0 <= options["rate"] < 1.0:
            raise RecipeError(path, f"'{where}.rate' must be in [0, 1), got {options['rate']}")
        layers.append(LayerSpec(kind, options, name, inputs))
    return tuple(layers)


def _graph_keys(path: Path, where: str, raw: dict, kind: str, names: set[str]) -> tuple[str | None, tuple[str, ...]]:
    """A layer's `name` and `inputs`, checked against the names of the layers before it (`names`,
    which gains this layer's name)."""
    name = raw.get("name")
    if name is not None:
        name = _check_value(path, f"{where}.name", name, (str,))
        if not name or name == "input" or name in names:
            raise RecipeError(path, f"'{where}.name' must be a new, non-empty name other than 'input', got {name!r}")
    inputs = tuple(_check_value(path, f"{where}.inputs", raw.get("inputs", []), (list,)))
    for item in inputs:
        if not isinstance(item, str) or (item != "input" and item not in names):
            known = ", ".join(["input", *sorted(names)])
            raise RecipeError(path, f"'{where}.inputs' names {item!r}, not an earlier layer's name (known: {known})")
    if kind in MERGE_LAYERS and len(inputs) < 2:
        raise RecipeError(path, f"{kind} layer in {where} needs 'inputs' naming two or more layers")
    if kind not in MERGE_LAYERS and len(inputs) > 1:
        raise RecipeError(path, f"{kind} layer in {where} takes one input, 'inputs' names {len(inputs)}")
    if name is not None:
        names.add(name)
    return name, inputs


def _model(path: Path, raw: dict, shape: tuple[int, ...]) -> ModelSpec:
    task = raw.get("task", "classification")
    if task not in TASKS:
        raise RecipeError(path, f"'model.task' must be one of {', '.join(TASKS)}, got {task!r}")
    arch = raw.get("architecture")
    if arch is None:
        if "options" in raw:
            raise RecipeError(path, "'model.options' belongs to an architecture: set 'model.architecture'")
        return ModelSpec(shape, _layers(path, raw.get("layers")), task)
    if "layers" in raw:
        raise RecipeError(path, "give either 'model.layers' or 'model.architecture', not both")
    if arch not in ARCHITECTURE_OPTIONS:
        known = ", ".join(sorted(ARCHITECTURE_OPTIONS))
        raise RecipeError(path, f"unknown architecture {arch!r} in 'model.architecture' (known: {known})")
    given = raw.get("options", {})
    if not isinstance(given, dict):
        raise RecipeError(path, "'model.options' must be a table")
    allowed = ARCHITECTURE_OPTIONS[arch]
    options = {key: default for key, (_, default) in allowed.items()}
    for key, value in given.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise RecipeError(path, f"unknown option '{key}' for architecture {arch} (known: {known})")
        options[key] = _check_value(path, f"model.options.{key}", value, allowed[key][0])
        _positive(path, f"model.options.{key}", options[key])
    if (arch == "fc_autoencoder") != (task == "anomaly"):
        raise RecipeError(path, "architecture fc_autoencoder goes with model.task = 'anomaly', and only it")
    return ModelSpec(shape, (), task, arch, options)


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe.

    Raises:
        RecipeError: the file is missing, is not TOML, or breaks the schema.
    """
    path = Path(path)
    if not path.is_file():
        raise RecipeError(path, "recipe not found" if not path.exists() else "recipe is not a file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RecipeError(path, f"not valid TOML: {exc}") from None
    for key in raw:
        if key not in _TOP_KEYS:
            raise RecipeError(path, f"unknown key '{key}' (known: {', '.join(sorted(_TOP_KEYS))})")

    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not name.isidentifier():
        raise RecipeError(path, f"'name' must be an identifier-like string, got {name!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise RecipeError(path, "'description' must be a string")

    data = _section(path, raw, "data", DataSpec)
    if data.source not in DATA_SOURCES:
        raise RecipeError(path, f"'data.source' must be one of {', '.join(DATA_SOURCES)}, got {data.source!r}")
    if data.source in ("npz", "wav") and not data.path:
        raise RecipeError(path, f"'data.path' is required when data.source is '{data.source}'")
    if data.split not in ("customary", "speaker"):
        raise RecipeError(path, f"'data.split' must be 'customary' or 'speaker', got {data.split!r}")
    if data.split == "speaker" and not data.test_speaker:
        raise RecipeError(path, "'data.test_speaker' is required when data.split is 'speaker'")
    for key in ("validation_fraction", "test_fraction"):
        value = getattr(data, key)
        if not 0.0 < value < 0.5:
            raise RecipeError(path, f"'data.{key}' must be in (0, 0.5), got {value}")

    model_raw = raw.get("model")
    if not isinstance(model_raw, dict):
        raise RecipeError(path, "missing [model] table")
    model_keys = ("input_shape", "layers", "task", "architecture", "options")
    for key in model_raw:
        if key not in model_keys:
            raise RecipeError(path, f"unknown key 'model.{key}' (known: {', '.join(model_keys)})")
    shape = model_raw.get("input_shape")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
    ):
        raise RecipeError(path, f"'model.input_shape' must be a list of positive integers, got {shape!r}")
    model = _model(path, model_raw, tuple(shape))
    if data.source == "sine" and model.task != "regression":
        raise RecipeError(path, "the 'sine' data source is a regression: set model.task = 'regression'")

    train = _section(path, raw, "train", TrainSpec)
    _positive(path, "train.epochs", train.epochs)
    _positive(path, "train.batch_size", train.batch_size)
    _positive(path, "train.learning_rate", train.learning_rate)
    if train.optimizer not in OPTIMIZERS:
        raise RecipeError(path, f"'train.optimizer' must be one of {', '.join(OPTIMIZERS)}, got {train.optimizer!r}")

    quantize = _section(path, raw, "quantize", QuantizeSpec)
    _positive(path, "quantize.representative_samples", quantize.representative_samples)

    budgets = _section(path, raw, "budgets", Budgets)
    _positive(path, "budgets.max_flash_bytes", budgets.max_flash_bytes)
    _positive(path, "budgets.max_ram_bytes", budgets.max_ram_bytes)
    _positive(path, "budgets.max_instructions", budgets.max_instructions)
    _positive(path, "budgets.max_accuracy_drop_pp", budgets.max_accuracy_drop_pp, allow_zero=True)
    _positive(path, "budgets.max_accuracy_drop_from_baseline_pp", budgets.max_accuracy_drop_from_baseline_pp, True)
    _positive(path, "budgets.max_mae", budgets.max_mae, allow_zero=True)
    for key in ("min_int8_accuracy", "min_class_recall", "min_auc"):
        value = getattr(budgets, key)
        if value is not None and not 0.0 <= value <= 1.0:
            raise RecipeError(path, f"'budgets.{key}' must be in [0, 1], got {value}")

    frontend = _frontend(path, raw, data, model)
    optimize = _section(path, raw, "optimize", OptimizeSpec)
    _positive(path, "optimize.fine_tune_epochs", optimize.fine_tune_epochs)
    _positive(path, "optimize.learning_rate", optimize.learning_rate)
    _positive(path, "optimize.qat_learning_rate", optimize.qat_learning_rate)
    _positive(path, "optimize.batch_size", optimize.batch_size)
    if not 0.0 < optimize.prune_share <= 1.0:
        raise RecipeError(path, f"'optimize.prune_share' must be in (0, 1], got {optimize.prune_share}")

    codegen = _section(path, raw, "codegen", CodegenSpec)
    if codegen.optimize not in OPTIMIZE:
        raise RecipeError(path, f"'codegen.optimize' must be one of {', '.join(OPTIMIZE)}, got {codegen.optimize!r}")

    return Recipe(name, description, data, model, train, quantize, budgets, path, optimize, frontend, codegen)


def _frontend(path: Path, raw: dict, data: DataSpec, model: ModelSpec) -> FrontendSpec:
    f = _section(path, raw, "frontend", FrontendSpec)
    if f.kind not in FRONTENDS:
        raise RecipeError(path, f"'frontend.kind' must be one of {', '.join(FRONTENDS)}, got {f.kind!r}")
    if (data.source == "wav") != (f.kind != "none"):
        raise RecipeError(path, "a wav data source needs an audio [frontend] (kind = 'mfcc'), and only it")
    if f.kind == "none":
        return f
    for key in ("sample_rate", "clip_samples", "frame_length", "hop_length", "mel_filters", "mfcc_coefficients"):
        _positive(path, f"frontend.{key}", getattr(f, key))
    if f.frame_length & (f.frame_length - 1) or f.frame_length < 32:
        raise RecipeError(
            path, f"'frontend.frame_length' is the FFT length: a power of two >= 32, got {f.frame_length}"
        )
    if f.frame_length > f.clip_samples:
        raise RecipeError(path, f"'frontend.frame_length' ({f.frame_length}) exceeds clip_samples ({f.clip_samples})")
    if f.mfcc_coefficients > f.mel_filters:
        raise RecipeError(path, "'frontend.mfcc_coefficients' cannot exceed 'frontend.mel_filters'")
    if not 0.0 <= f.fmin < f.fmax <= f.sample_rate / 2:
        raise RecipeError(path, f"need 0 <= frontend.fmin < frontend.fmax <= sample_rate / 2 ({f.sample_rate / 2:g})")
    if model.input_shape not in (f.feature_shape, f.feature_shape[:2]):
        raise RecipeError(
            path,
            f"'model.input_shape' must be the frontend's feature shape {list(f.feature_shape)} "
            f"(or {list(f.feature_shape[:2])}: frames as a sequence), got {list(model.input_shape)}",
        )
    return f


def with_data_path(recipe: Recipe, path: str | Path | None) -> Recipe:
    """The recipe reading its data from `path` (the `--data` option) instead of its own data.path."""
    if path is None:
        return recipe
    if recipe.data.source == "digits":
        raise RecipeError(recipe.path, "the data source 'digits' is built in: --data needs source 'npz' or 'wav'")
    return dataclasses.replace(recipe, data=dataclasses.replace(recipe.data, path=str(Path(path).resolve())))
