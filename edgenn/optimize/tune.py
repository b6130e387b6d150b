"""`edgenn tune`: the most accurate model of a recipe's family that fits a device's budgets, searched
for on Ray Tune and measured on the compiled C.

A trial is one choice of the knobs the recipe allows (`search_space`):

- width: every Conv2D's filters and every Dense's units but the classifier's, times 0.25 … 1;
- depth: how many times the recipe's longest block of layers repeated back to back is kept;
- kernel: 3 or 5 for the convolutions (plain and depthwise) the recipe gives a 3×3 kernel;
- mfcc_coefficients and hop_length, for an audio recipe (the model's input follows the frontend);
- sparsity (0, 0.5, 0.75), compression (none, int4, lut4t, lut3) and QAT (off, on).

Each trial writes its recipe (`trials/<id>/recipe.toml`) and first measures its architecture
untrained, with its compression: one whose C exceeds a budget is reported over budget without
training (weights do not change sizes, except where magnitude pruning leaves blocks of zeros that the
C then packs: that one may be turned down though it would have fit). Then it trains, reporting the
validation accuracy every epoch so that ASHA stops trials that are clearly behind, and prunes,
compresses and fine-tunes as a sweep point does (edgenn.optimize.sweep's jobs), converts to int8 and
measures the compiled C: flash and RAM built for the target, instructions of one inference on the
emulated Cortex-M4 (`edgenn profile`'s count), and the C's accuracy on the validation split.

The search (Optuna's TPE through Ray Tune) maximizes that accuracy among the trials within every
budget; a trial over budget scores below all of them, the more so the further over it is. The test
split is read once, at the end, for the trials on the Pareto front of flash against validation
accuracy among those within budget. Resumable: the experiment lives in <out>/ray, and the same
command continues it (finished trials are kept; each trial's own folder caches its trained models).
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from edgenn import __version__
from edgenn.errors import EdgeNNError
from edgenn.recipe import Recipe, load_recipe, with_data_path

WIDTHS = (0.25, 0.5, 0.75, 1.0)
KERNELS = (3, 5)
SPARSITIES = (0.0, 0.5, 0.75)
COMPRESSIONS = ("none", "int4", "lut4t", "lut3")
QUANT = "int8_per_channel"
TRIALS_DIR, RAY_DIR, TUNE_JSON, TUNE_MD, TUNE_PNG = "trials", "ray", "tune.json", "tune.md", "pareto.png"


@dataclass(frozen=True)
class Limits:
    """The device and what a model must fit on it (None: no limit)."""

    target: str = "cortex-m4"
    flash: int | None = None
    ram: int | None = None
    instructions: int | None = None

    def overshoot(self, flash: int | None, ram: int | None, instructions: int | None) -> float:
        """How far over its budgets a model is: the sum of each figure's excess as a share of its budget
        (0 within all; a figure that could not be measured counts as one whole budget over)."""
        total = 0.0
        for value, limit in ((flash, self.flash), (ram, self.ram), (instructions, self.instructions)):
            if limit is not None:
                total += 1.0 if value is None else max(0.0, value / limit - 1.0)
        return total


def repeated_block(types: list[str]) -> tuple[int, int, int]:
    """(start, length, count): the block of layer types repeated back to back (count >= 2) that covers
    the most layers; (0, 0, 1) where none repeats."""
    best = (0, 0, 1)
    for length in range(2, len(types) // 2 + 1):
        for start in range(len(types) - 2 * length + 1):
            block, count = types[start : start + length], 1
            while types[start + count * length : start + (count + 1) * length] == block:
                count += 1
            if count >= 2 and length * count > best[1] * best[2]:
                best = (start, length, count)
    return best


def _is_3x3(kernel) -> bool:
    return kernel == 3 or kernel == [3, 3]


def search_space(recipe: Recipe, raw: dict) -> dict[str, list]:
    """The knobs this recipe allows, each with its choices."""
    space: dict[str, list] = {}
    layers = raw.get("model", {}).get("layers") or []
    if any("filters" in layer or "units" in layer for layer in layers):
        space["width"] = list(WIDTHS)
    _, _, count = repeated_block([layer.get("type") for layer in layers])
    if count >= 2:
        space["depth"] = list(range(1, count + 1))
    if any(
        layer.get("type") in ("conv2d", "depthwise_conv2d") and _is_3x3(layer.get("kernel_size")) for layer in layers
    ):
        space["kernel"] = list(KERNELS)
    if recipe.frontend.kind == "mfcc":
        f = recipe.frontend
        space["mfcc_coefficients"] = sorted({c for c in (10, 13, f.mfcc_coefficients) if c <= f.mel_filters})
        space["hop_length"] = sorted({f.frame_length // 2, f.frame_length, f.hop_length})
    space["sparsity"] = list(SPARSITIES)
    space["compress"] = list(COMPRESSIONS)
    space["qat"] = [False, True]
    return space


def derive(recipe: Recipe, raw: dict, config: dict) -> dict:
    """The recipe's TOML content with a trial's architecture and frontend knobs applied."""
    from edgenn.data.splits import data_path
    from edgenn.recipe import FrontendSpec

    raw = copy.deepcopy(raw)
    model = raw["model"]
    layers = model.get("layers")
    if layers:
        if "depth" in config:
            start, length, count = repeated_block([layer.get("type") for layer in layers])
            layers = layers[: start + config["depth"] * length] + layers[start + count * length :]
        dense = [i for i, layer in enumerate(layers) if layer.get("type") == "dense"]
        classifier = dense[-1] if dense and recipe.model.task == "classification" else None
        for i, layer in enumerate(layers):
            if "width" in config and i != classifier:
                for key in ("filters", "units"):
                    if isinstance(layer.get(key), int):
                        layer[key] = max(1, round(layer[key] * config["width"]))
            if "kernel" in config and layer.get("type") in ("conv2d", "depthwise_conv2d"):
                if _is_3x3(layer.get("kernel_size")):
                    layer["kernel_size"] = config["kernel"]
        model["layers"] = layers
    knobs = {k: config[k] for k in ("mfcc_coefficients", "hop_length") if k in config}
    if knobs:
        raw.setdefault("frontend", {}).update(knobs)
        spec = FrontendSpec(**{**recipe.frontend.__dict__, **knobs})
        model["input_shape"] = list(spec.feature_shape[: len(model["input_shape"])])
    if recipe.data.path:
        raw["data"]["path"] = str(data_path(recipe.data, recipe.path.parent))
    return raw


def trial_id(config: dict) -> str:
    """A trial's folder name: the hash of its knobs (the same knobs: the same folder, its models reused)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


class _Validation:
    """The build's data with the validation split standing in for the test split: what a trial scores on."""

    def __init__(self, built):
        self.x_calib, self.x_test, self.y_test = built.x_calib, built.x_val, built.y_val


def _architecture_fits(recipe: Recipe, config: dict, limits: Limits, workdir: Path) -> tuple[float, dict]:
    """The untrained model with the trial's compression, measured: (overshoot, figures)."""
    from edgenn.data.splits import calibration_set, load_recipe_data
    from edgenn.optimize.sweep import evaluate_point
    from edgenn.tfimport import tensorflow
    from edgenn.train.fit import _outputs
    from edgenn.train.layers import build_model

    tensorflow()
    import keras

    ds = load_recipe_data(recipe)
    keras.utils.set_random_seed(recipe.train.seed)
    model = build_model(keras, recipe.model, recipe.name, _outputs(recipe, ds))
    calib = calibration_set(ds, min(64, recipe.quantize.representative_samples), recipe.train.seed)

    class Few:  # a few samples are enough to size and count it: its accuracy is not looked at
        x_calib, x_test, y_test = calib, ds.x_val[:8], ds.y_val[:8]

    compress = config.get("compress", "none")
    sparsity = config.get("sparsity", 0.0) if compress == "sparse" else 0.0
    p = evaluate_point(model, QUANT, Few, workdir, compress, sparsity, target=limits.target)
    return limits.overshoot(p["flash_bytes"], p["ram_bytes"], p["instructions"]), p


def run_trial(config: dict, recipe_path: str, data: str | None, out: str, limits: Limits, report) -> dict:
    """One trial (see the module docstring); `report(metrics)` hears each epoch and the end. Returns its
    last metrics."""
    from edgenn.data.splits import load_build_data
    from edgenn.optimize.sweep import _pruned_model, train_base

    recipe = with_data_path(load_recipe(recipe_path), data)
    raw = tomllib.loads(Path(recipe.path).read_text(encoding="utf-8"))
    folder = Path(out) / TRIALS_DIR / trial_id(config)
    folder.mkdir(parents=True, exist_ok=True)
    derived = folder / "recipe.toml"
    _write_toml(derive(recipe, raw, config), derived)
    try:
        trial_recipe = load_recipe(derived)
    except EdgeNNError as exc:
        return _final(report, {"status": "invalid", "error": exc.line()}, 1.0)
    base_metrics = {"trial": trial_id(config)}
    try:
        over, figures = _architecture_fits(trial_recipe, config, limits, folder / "architecture")
    except EdgeNNError as exc:  # e.g. no board holds it
        return _final(report, {**base_metrics, "status": "over budget", "error": exc.line()}, 1.0)
    if over > 0:
        sizes = {k: figures[k] for k in ("flash_bytes", "ram_bytes", "instructions")}
        return _final(report, {**base_metrics, **sizes, "status": "over budget (untrained)"}, over)

    key, job = _job(trial_recipe, config)

    def on_epoch(epoch: int, logs: dict) -> None:
        report({**base_metrics, "score": float(logs.get("val_accuracy", 0.0)), "stage": "train", "epoch": epoch})

    base = train_base(trial_recipe, folder, key, on_epoch)
    model, info = _pruned_model(job, trial_recipe, base, folder / "cache")
    p = _measure(model, job, _Validation(load_build_data(base)), folder / "c", limits)
    over = limits.overshoot(p["flash_bytes"], p["ram_bytes"], p["instructions"])
    metrics = {
        **base_metrics,
        "val_accuracy": p["accuracy"],
        "flash_bytes": p["flash_bytes"],
        "ram_bytes": p["ram_bytes"],
        "instructions": p["instructions"],
        "params": info.get("params"),
        "status": "within budget" if over == 0 else "over budget",
    }
    return _final(report, metrics, over, p["accuracy"])


def _job(recipe: Recipe, config: dict):
    """(the base's cache key, the sweep job that makes the trial's model): the QAT job, else the
    compression's, else the pruned point's own."""
    from edgenn.optimize.sweep import base_key, code_key, plan

    key = base_key(recipe)
    compress, qat, sparsity = config.get("compress", "none"), bool(config.get("qat")), float(config.get("sparsity", 0))
    return key, plan(recipe, key, [1.0], [sparsity], [QUANT], False, [compress], qat, code_key(), "speed")[-1]


def _measure(model, job, data, workdir: Path, limits: Limits) -> dict:
    """The trial's int8 model (its compression packed) measured on `data`'s test split, sized for the target."""
    from edgenn.optimize.sweep import evaluate_point

    return evaluate_point(model, job.quant[0].split("+")[0], data, workdir, job.compress, 0.0, target=limits.target)


def _final(report, metrics: dict, over: float, accuracy: float | None = None) -> dict:
    """The trial's last report: its score is the accuracy within budget, else below any accuracy."""
    metrics = {**metrics, "stage": "done", "score": accuracy if over == 0 and accuracy is not None else -over}
    report(metrics)
    return metrics


def _write_toml(content: dict, path: Path) -> None:
    import tomli_w

    from edgenn.fileio import write_bytes

    write_bytes(path, tomli_w.dumps(content).encode())


def _trainable(recipe_path: str, data: str | None, out: str, limits: Limits):
    def trainable(config: dict) -> None:
        from ray import tune as ray_tune

        run_trial(config, recipe_path, data, out, limits, ray_tune.report)

    return trainable


def tune(
    recipe_path: Path,
    out: Path,
    limits: Limits,
    trials: int,
    workers: int = 2,
    address: str | None = None,
    data: Path | None = None,
    seed: int = 0,
    command: str = "edgenn tune",
) -> dict:
    """Run (or continue) the search and write tune.json, tune.md and pareto.png into `out`."""
    from edgenn.optimize.executor import ray_module, session

    ray = ray_module("tune")
    if trials < 1:
        raise EdgeNNError(None, f"trials must be at least 1, got {trials}")
    recipe = with_data_path(load_recipe(recipe_path), data)
    if recipe.model.task != "classification":
        raise EdgeNNError(recipe.path, f"tune ranks classifiers by accuracy; this recipe's task is {recipe.model.task}")
    if limits.instructions is not None:
        from edgenn import toolchain

        if not toolchain.have_tools("cortex-m4"):
            raise EdgeNNError(
                None, "--max-latency counts instructions on the emulated Cortex-M4: its tools are missing"
            )
    raw = tomllib.loads(recipe.path.read_text(encoding="utf-8"))
    space = search_space(recipe, raw)

    import os

    from edgenn.tfimport import tensorflow

    tensorflow()  # quietly, before Ray Tune's own imports load it
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # the reporter that verbose=0 silences
    import optuna
    from ray import tune as ray_tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with session("ray", workers, address):  # reached (or started) before anything is written
        out = Path(out).resolve()
        out.mkdir(parents=True, exist_ok=True)
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        data_arg = str(data.resolve()) if data else None
        trainable = ray_tune.with_resources(
            _trainable(str(Path(recipe_path).resolve()), data_arg, str(out), limits), {"cpu": 1, "gpu": gpus}
        )
        experiment = out / RAY_DIR / "search"
        if ray_tune.Tuner.can_restore(str(experiment)):
            tuner = ray_tune.Tuner.restore(str(experiment), trainable, resume_errored=True)
        else:
            epochs = recipe.train.epochs
            tuner = ray_tune.Tuner(
                trainable,
                param_space={k: ray_tune.choice(v) for k, v in space.items()},
                tune_config=ray_tune.TuneConfig(
                    metric="score",
                    mode="max",
                    search_alg=OptunaSearch(seed=seed),
                    # A trial goes on past a rung (a third of the epochs, then twice that) while in the
                    # better half of the trials that reached it: those clearly behind stop there.
                    scheduler=ASHAScheduler(max_t=epochs + 1, grace_period=max(2, epochs // 3), reduction_factor=2),
                    num_samples=trials,
                    max_concurrent_trials=workers,
                ),
                run_config=ray_tune.RunConfig(name="search", storage_path=str(out / RAY_DIR), verbose=0),
            )
        grid = tuner.fit()
    rows = []
    for r in grid:
        m = dict(r.metrics or {})
        stopped = m.get("stage") != "done"
        rows.append(
            {
                "trial": trial_id(r.config),
                "config": r.config,
                "status": "stopped early (ASHA)" if stopped and r.error is None else m.get("status", "failed"),
                "val_accuracy": None if stopped else m.get("val_accuracy"),
                "flash_bytes": m.get("flash_bytes"),
                "ram_bytes": m.get("ram_bytes"),
                "instructions": m.get("instructions"),
                "epochs": m.get("epoch"),
                "error": m.get("error") or (str(r.error).splitlines()[0] if r.error else None),
            }
        )
    return report(recipe, rows, limits, space, out, command)


def pareto(rows: list[dict]) -> list[dict]:
    """Trials within budget that none beats: none has flash <= and validation accuracy >=, one strictly."""
    ok = [r for r in rows if r["status"] == "within budget" and r["val_accuracy"] is not None]
    return sorted(
        (
            r
            for r in ok
            if not any(
                q["flash_bytes"] <= r["flash_bytes"]
                and q["val_accuracy"] >= r["val_accuracy"]
                and (q["flash_bytes"] < r["flash_bytes"] or q["val_accuracy"] > r["val_accuracy"])
                for q in ok
            )
        ),
        key=lambda r: r["flash_bytes"],
    )


def report(recipe: Recipe, rows: list[dict], limits: Limits, space: dict, out: Path, command: str) -> dict:
    """The chosen trials scored once on the test split; tune.json, tune.md and pareto.png written."""
    from edgenn.data.splits import load_build_data
    from edgenn.optimize.sweep import BASE_DIR, _pruned_model

    front = pareto(rows)
    for r in front:
        folder = out / TRIALS_DIR / r["trial"]
        trial_recipe = load_recipe(folder / "recipe.toml")
        _, job = _job(trial_recipe, r["config"])
        model, _ = _pruned_model(job, trial_recipe, folder / BASE_DIR, folder / "cache")
        test = _measure(model, job, load_build_data(folder / BASE_DIR), folder / "test", limits)
        r["test_accuracy"] = test["accuracy"]
        r["pareto"] = True
    result = {
        "schema": 1,
        "edgenn_version": __version__,
        "command": command,
        "recipe": recipe.name,
        "limits": {
            "target": limits.target,
            "max_flash_bytes": limits.flash,
            "max_ram_bytes": limits.ram,
            "max_instructions": limits.instructions,
        },
        "space": space,
        "definitions": {
            "val_accuracy": "top-1 of the int8 C on the validation split (what the search maximizes)",
            "test_accuracy": "top-1 of the int8 C on the test split, for the Pareto trials only",
            "flash_bytes": f"text + data of the generated C's model objects built for {limits.target}",
            "ram_bytes": "data + bss of the same",
            "instructions": "of one inference on the emulated Cortex-M4 (edgenn profile)",
        },
        "trials": rows,
    }
    from edgenn.fileio import write_json
    from edgenn.optimize.tune_report import write

    write_json(out / TUNE_JSON, result)
    write(result, out)
    return result


def files(out: Path) -> list[Path]:
    """What a search writes."""
    return [out / TUNE_JSON, out / TUNE_MD, out / TUNE_PNG]
