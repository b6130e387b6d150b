"""`edgenn sweep`: a grid of channel widths × sparsities × quantization variants × weight compressions,
and classical baselines.

The recipe's model is trained once (the base). Each (channels, sparsity) pair is one job: the base
is narrowed by structured pruning and/or magnitude-pruned, fine-tuned on the training split with
the epoch kept chosen on the validation split, then converted to each requested quantization
variant. Each variant is evaluated on the test split by the runner closest to a device that can
execute it (the generated C, then TFLM, then LiteRT; onnxruntime for ONNX), and sized:

- variants the generated C runs (int8, int16x8 and float32 where every op has a kernel of that
  type): scored by the C compiled for the host; sized by text + data and data + bss of the C
  model's compiled objects (Cortex-M4 when arm-none-eabi-gcc is installed, else the host). TFLM's
  accuracy is recorded beside it (`accuracy_by_runner`): bit-exact C gives the same figure.
- other variants TFLM runs: the .tflite bytes + TFLM_RUNTIME_BYTES for flash, TFLM's measured arena.
- variants no microcontroller runtime here executes (float16, dynamic-range, ONNX QDQ): the file's
  bytes as flash and no RAM figure; the point says so in `flash_source` / `ram_source`.

Each int8 variant is also compressed as `--compress` asks (edgenn.optimize.compress: its weights
clustered to 2^b values per channel, put on a 4-bit grid, or pruned in blocks of 4 to the point's
sparsity), and the C packs them (edgenn/export/packing.py): a point of its own, `<variant>+<compression>`,
scored and sized like the others. The C-run points also get their instructions per inference on the
emulated Cortex-M4 (where its tools are installed), as `edgenn profile` counts them.

Jobs run in separate processes. Every finished point is cached under `cache/` by a hash of what
determines it (recipe file, data, fine-tuning settings, channels, sparsity, variant, edgenn
version, and the bytes of edgenn's own code and kernels, so that a point measured with other C is
measured again), so an interrupted or extended sweep only computes the missing points. Fine-tuned
models are cached without the code's bytes: a kernel change re-measures them, it does not retrain.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import traceback
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgenn import __version__, layout
from edgenn.console import native_quiet, progress
from edgenn.errors import EdgeNNError
from edgenn.evaluate import footprint
from edgenn.evaluate.footprint import TFLM_RUNTIME_BYTES
from edgenn.fileio import atomic_path, sha256_file, write_bytes, write_json
from edgenn.optimize.classical import BASELINES
from edgenn.recipe import OPTIMIZE, Recipe, load_recipe, with_data_path
from edgenn.tfimport import tensorflow

SCHEMA = 1
DEFAULT_SPARSITY = (0.0, 0.5, 0.75, 0.9)
DEFAULT_CHANNELS = (1.0, 0.75, 0.5)
DEFAULT_QUANT = ("int8_per_channel",)
DEFAULT_COMPRESS = ("none",)
BASE_DIR, CACHE_DIR = "base", "cache"


@dataclass(frozen=True)
class Job:
    """One model of the grid (or the classical baselines, when kind is "classical")."""

    kind: str
    channels: float = 1.0
    sparsity: float = 0.0
    quant: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()  # cache key per quantization variant (or the one classical key)
    model_key: str = ""  # cache key of the pruned, fine-tuned Keras model
    compress: str = "none"  # the weight compression the model was fine-tuned for (its variants' too)
    start: Job | None = None  # int4, lutB, qat: the job whose model this one's fine-tuning starts from
    qat: bool = False  # fine-tuned with fake quantization (edgenn.optimize.qat); its one variant is int8_qat


def point_name(channels: float, sparsity: float, quant: str) -> str:
    return f"c{channels:g}_s{sparsity:g}_{quant}"


def variant(quant: str, compress: str) -> str:
    """A point's variant: the quantization, and the weight compression after a '+' where there is one."""
    return quant if compress == "none" else f"{quant}+{compress}"


def split_variant(label: str) -> tuple[str, str]:
    quant, _, compress = label.partition("+")
    return quant, compress or "none"


def compressible(quant: str) -> bool:
    """Whether a quantization variant has int8 weights in the layers the C packs."""
    return quant.startswith("int8")


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:20]


def base_key(recipe: Recipe) -> str:
    """What the base model depends on: the recipe's bytes, its data file's bytes, the edgenn version."""
    data = None
    if recipe.data.path:
        path = Path(recipe.data.path)
        path = path if path.is_absolute() else recipe.path.parent / path
        data = sha256_file(path) if path.is_file() else str(path)
    return _hash({"recipe": recipe.path.read_text(encoding="utf-8"), "data": data, "version": __version__})


def code_key() -> str:
    """A hash of edgenn's own files (its Python, its kernels' C, its schemas): what measures a point."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".c", ".h", ".json") and p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def plan(
    recipe: Recipe,
    key: str,
    channels: Iterable[float],
    sparsity: Iterable[float],
    quant: Iterable[str],
    classical: bool,
    compress: Iterable[str] = DEFAULT_COMPRESS,
    qat: bool = False,
    code: str = "",
    optimize: str = "speed",
) -> list[Job]:
    """The jobs of a sweep, with each point's cache key (which holds `code`, code_key(): other code
    measures the points again) and its model's (which does not). With `qat`, every (channels, sparsity,
    compression) also gets a model fine-tuned with fake quantization from the point's model fine-tuned
    for that compression, converted to int8_qat."""
    from edgenn.optimize.quantize import QAT_VARIANT

    settings = asdict(recipe.optimize)
    int8 = [q for q in quant if compressible(q)]
    jobs = []
    for c in channels:
        for s in sparsity:
            model = {"schema": SCHEMA, "base": key, "optimize": settings, "channels": c, "sparsity": s}
            point = {**model, "code": code, "kernels": optimize}
            plain = Job("nn", c, s, tuple(quant), tuple(_hash({**point, "quant": q}) for q in quant), _hash(model))
            fine_tuned = {"none": plain}
            for z in compress:
                if z == "none":
                    jobs.append(plain)
                elif int8 and not (z == "sparse" and s == 0):  # sparse without pruning is the dense model
                    tuned = {**model, "compress": z}
                    keys = tuple(_hash({**tuned, "code": code, "kernels": optimize, "quant": q}) for q in int8)
                    labels = tuple(variant(q, z) for q in int8)
                    start = None if z == "sparse" else plain  # sparse prunes in blocks from the narrowed base
                    fine_tuned[z] = Job("nn", c, s, labels, keys, _hash(tuned), z, start)
                    jobs.append(fine_tuned[z])
            for z in compress if qat else ():
                if z in fine_tuned:
                    # "replay": the epoch kept is chosen on what the int8 model computes (edgenn.train.fake_quant)
                    tuned = {**model, "compress": z, "qat": "replay"}
                    keys = (_hash({**tuned, "code": code, "kernels": optimize, "quant": QAT_VARIANT}),)
                    labels = (variant(QAT_VARIANT, z),)
                    jobs.append(Job("nn", c, s, labels, keys, _hash(tuned), z, fine_tuned[z], True))
    if classical:
        jobs.append(Job("classical", keys=(_hash({"schema": SCHEMA, "base": key, "classical": 1, "code": code}),)))
    return jobs


def _cached(cache: Path, key: str) -> list[dict] | None:
    path = cache / f"{key}.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):  # a damaged entry is recomputed
        return None


def _store(cache: Path, key: str, points: list[dict]) -> None:
    write_json(cache / f"{key}.json", points)


# --- worker side -------------------------------------------------------------------------------------


def _c_scored(
    tflite: bytes,
    workdir: Path,
    x: np.ndarray,
    y: np.ndarray,
    compress: str = "auto",
    optimize: str = "speed",
    target: str | None = None,
):
    """The generated C for a .tflite it runs, its weights packed as `compress` allows and its kernels
    built as `optimize` asks (edgenn.export.codegen.OPTIMIZE): its footprint compiled for `target`
    (default: the device target), its top-1 accuracy on (x, y) compiled for the host and run there,
    and its instructions per inference on the emulated Cortex-M4 (None without its tools)."""
    from edgenn import toolchain
    from edgenn.evaluate.metrics import accuracy
    from edgenn.evaluate.runners import CRunner
    from edgenn.export.codegen import codegen
    from edgenn.graph.quant import dequantize

    path = workdir / "model.tflite"
    path.write_bytes(tflite)
    folder = codegen(path, workdir / "c", name="model", command="edgenn sweep", compress=compress, optimize=optimize)
    fp = footprint.of_c(toolchain.build(folder, target or toolchain.device_target()))
    toolchain.build(folder, "host")
    runner = CRunner(folder)
    instructions = None
    if toolchain.have_tools("cortex-m4"):
        from edgenn.graph.tflite import parse_tflite
        from edgenn.profile import first_inputs

        graph = parse_tflite(tflite, path)
        if graph.input_tensor().dtype in ("int8", "int16"):  # the speed benchmark's inputs are integer codes
            instructions = round(toolchain.count_instructions(folder, first_inputs(folder, graph, None, 1)))
    return fp, accuracy(dequantize(runner.predict(x), runner.output_quant), y), instructions


def check_c_matches_tflm(label: str, accuracy: dict[str, float]) -> None:
    """The int8 C is bit-exact with TFLM on the same model: where both scored an int8 point differently,
    the point is wrong, not a figure to report."""
    c, tflm = accuracy.get("c"), accuracy.get("tflm")
    if compressible(label) and c is not None and tflm is not None and c != tflm:
        raise EdgeNNError(
            None,
            f"{label}: the generated C scores {c:.4%} and TFLM {tflm:.4%} on the same int8 model; the C must "
            "compute TFLM's bytes (a kernel bug, or edgenn's files changed during the sweep)",
        )


def evaluate_point(
    model,
    quant: str,
    data,
    workdir: Path,
    compress: str = "none",
    sparsity: float = 0.0,
    optimize: str = "speed",
    target: str | None = None,
) -> dict:
    """Convert `model` to `quant`, compress its weights (edgenn.optimize.compress, blocks pruned to
    `sparsity` for "sparse"), run it on the test split (data.x_test, data.y_test) and size it (see the
    module docstring) on `target` (default: toolchain.device_target()), the C's kernels built as
    `optimize` asks."""
    from edgenn.evaluate.runners import TFLMRunner
    from edgenn.optimize.compress import compress_tflite
    from edgenn.optimize.prune import gzip_size
    from edgenn.optimize.quantize import QAT_VARIANT, TFLITE_VARIANTS, evaluate_variant, onnx_variant, tflite_variant

    workdir.mkdir(parents=True, exist_ok=True)
    if quant == QAT_VARIANT:
        from edgenn.optimize.qat import to_int8

        blob = to_int8(model)
    elif quant in TFLITE_VARIANTS:
        blob = tflite_variant(model, quant, data.x_calib)
    else:
        blob = onnx_variant(float_onnx(model), quant, data.x_calib)
    if compress != "none":
        blob, _ = compress_tflite(blob, compress, sparsity=sparsity)
    result = evaluate_variant(quant, blob, data.x_test, data.y_test)
    instructions = None
    if "c" in result.runners:
        fp, result.accuracy["c"], instructions = _c_scored(
            blob, workdir, data.x_test, data.y_test, "auto" if compress == "none" else compress, optimize, target
        )
        check_c_matches_tflm(variant(quant, compress), result.accuracy)
    elif "tflm" in result.runners:
        path = workdir / "model.tflite"
        path.write_bytes(blob)
        fp = footprint.of_tflm(len(blob), TFLMRunner(path).arena_bytes())
    else:
        fp = footprint.of_file(len(blob))
    runner = next((r for r in ("c", "tflm", "litert", "onnxruntime") if r in result.accuracy), None)
    point = {
        "quant": variant(quant, compress),
        "compress": compress,
        "instructions": instructions,
        "format": "onnx" if quant not in TFLITE_VARIANTS and quant != QAT_VARIANT else "tflite",
        "accuracy": result.accuracy.get(runner) if runner else None,
        "runner": runner,
        "accuracy_by_runner": result.accuracy,
        "runners": result.runners,
        "not_runnable": result.support.reasons,
        "model_bytes": len(blob),
        "gzip_bytes": gzip_size(blob),
    }
    point.update(
        flash_bytes=fp.flash_bytes, ram_bytes=fp.ram_bytes, flash_source=fp.flash_source, ram_source=fp.ram_source
    )
    return point


def float_onnx(model) -> bytes:
    tf = tensorflow()
    import keras

    from edgenn.convert.onnx import from_function
    from edgenn.convert.tflite import batch_one, serving_function

    with native_quiet():
        return from_function(serving_function(tf, batch_one(keras, model)))


def model_macs(model) -> int:
    """MACs of the model as its float32 .tflite computes them (BatchNorm folded, Dropout gone)."""
    from edgenn.graph.tflite import parse_tflite
    from edgenn.optimize.quantize import tflite_variant
    from edgenn.reference import macs

    return macs(parse_tflite(tflite_variant(model, "float32")))


def _pruned_model(job: Job, recipe: Recipe, base: Path, cache: Path):
    """The job's model, narrowed and/or sparsified and fine-tuned, with its figures; cached by job.model_key.

    For a compression, fine-tuned for it: "sparse" prunes in blocks (from the narrowed model), "int4"
    and "lutB" start from the point's pruned model and keep its weights on a grid or in clusters.
    A QAT job starts from the model of its point fine-tuned for its compression and fine-tunes it
    with fake quantization (keeping its zeros, its grid or its clusters)."""
    from edgenn.convert.pipeline import load_keras
    from edgenn.data.splits import load_recipe_data
    from edgenn.optimize.finetune import fine_tune
    from edgenn.optimize.prune import sparsity_report

    saved, saved_info = cache / "models" / f"{job.model_key}.keras", cache / "models" / f"{job.model_key}.json"
    if saved.is_file() and saved_info.is_file():
        return load_keras(saved), json.loads(saved_info.read_text())
    if job.start is not None:
        model, info = _pruned_model(job.start, recipe, base, cache)
        ds = load_recipe_data(recipe)
        tuned = fine_tune(model, ds, recipe.optimize, recipe.train.seed, 0.0, job.compress, job.qat)
        model = tuned.model
        seconds = "qat_seconds" if job.qat else "compress_seconds"
        info = {**info, "val_accuracy": tuned.best_val_accuracy, seconds: round(tuned.seconds, 2)}
        with atomic_path(saved) as tmp:
            model.save(tmp)
        write_json(saved_info, info)
        return model, info
    model = load_keras(base / layout.KERAS_MODEL)
    # The float model's validation accuracy: what to choose a point by (the test split only reports).
    history = json.loads((base / layout.HISTORY).read_text())
    info: dict = {"params_base": int(model.count_params()), "val_accuracy": history["best_val_accuracy"]}
    if job.channels < 1.0:
        from edgenn.optimize.channels import prune_channels

        model, report = prune_channels(model, job.channels)
        info["layers_channels"] = {row["name"]: [row["kept"], row["channels"]] for row in report["layers"]}
    if job.channels < 1.0 or job.sparsity > 0.0:
        ds = load_recipe_data(recipe)
        tuned = fine_tune(model, ds, recipe.optimize, recipe.train.seed, job.sparsity, job.compress)
        model = tuned.model
        info.update(val_accuracy=tuned.best_val_accuracy, fine_tune_seconds=round(tuned.seconds, 2))
    info.update(
        params=int(model.count_params()),
        weight_sparsity=round(sparsity_report(model)["total"]["sparsity"], 4),
        macs=model_macs(model),
    )
    with atomic_path(saved) as tmp:
        model.save(tmp)
    write_json(saved_info, info)
    return model, info


def _nn_job(job: Job, recipe_path: Path, base: Path, cache: Path, data: Path | None, optimize: str) -> list[dict]:
    tensorflow()
    from edgenn.data.splits import load_build_data

    recipe = with_data_path(load_recipe(recipe_path), data)
    built = load_build_data(base)
    model, info = _pruned_model(job, recipe, base, cache)
    points = []
    with tempfile.TemporaryDirectory(prefix="edgenn-sweep-") as tmp:
        for quant, key in zip(job.quant, job.keys, strict=True):
            cached = _cached(cache, key)
            if cached is None:
                q, compress = split_variant(quant)
                # The model was fine-tuned for the compression: no weight changes but the encoding's own.
                p = evaluate_point(model, q, built, Path(tmp, quant), compress, 0.0, optimize)
                cached = [
                    {
                        "name": point_name(job.channels, job.sparsity, quant),
                        "kind": "nn",
                        "sparsity": job.sparsity,
                        "channels": job.channels,
                        **p,
                        **info,
                    }
                ]
                _store(cache, key, cached)
            points += cached
    return points


def _classical_job(job: Job, recipe_path: Path, cache: Path, data: Path | None) -> list[dict]:
    from edgenn.data.splits import load_recipe_data
    from edgenn.optimize.classical import baselines

    recipe = with_data_path(load_recipe(recipe_path), data)
    ds = load_recipe_data(recipe)
    points = baselines(ds, recipe.train.seed)
    for p in points:
        p.update(runner="c", flash_source=f"c:{p['flash_target']}", ram_source=f"c:{p['flash_target']}")
    _store(cache, job.keys[0], points)
    return points


def run_job(
    job: Job, recipe_path: Path, base: Path, cache: Path, data: Path | None = None, optimize: str = "speed"
) -> dict:
    """Run one job, and time it; a user-fixable error comes back as a message (exceptions may not survive
    pickling)."""
    start = time.perf_counter()
    try:
        if job.kind == "classical":
            points = _classical_job(job, recipe_path, cache, data)
        else:
            points = _nn_job(job, recipe_path, base, cache, data, optimize)
        return {"points": points, "seconds": round(time.perf_counter() - start, 3)}
    except EdgeNNError as exc:
        return {"error": exc.line()}
    except Exception as exc:  # a bug: keep the traceback for the report
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


# --- main side ---------------------------------------------------------------------------------------


def train_base(recipe: Recipe, out: Path, key: str, on_epoch=None) -> Path:
    from edgenn.train.fit import train

    base = out / BASE_DIR
    stamp = base / "sweep_key"
    if stamp.is_file() and stamp.read_text().strip() == key and (base / layout.KERAS_MODEL).is_file():
        return base
    train(recipe, base, on_epoch)
    write_bytes(stamp, (key + "\n").encode())
    return base


def pareto_front(points: list[dict]) -> list[dict]:
    """Points no other point beats: none has flash ≤ and accuracy ≥, with one of them strictly better."""
    scored = [p for p in points if p.get("accuracy") is not None and p.get("flash_bytes") is not None]
    front = []
    for p in scored:
        dominated = any(
            q["flash_bytes"] <= p["flash_bytes"]
            and q["accuracy"] >= p["accuracy"]
            and (q["flash_bytes"] < p["flash_bytes"] or q["accuracy"] > p["accuracy"])
            for q in scored
        )
        if not dominated:
            front.append(p)
    return sorted(front, key=lambda p: p["flash_bytes"])


def sweep(
    recipe_path: Path,
    out: Path,
    channels: Iterable[float] = DEFAULT_CHANNELS,
    sparsity: Iterable[float] = DEFAULT_SPARSITY,
    quant: Iterable[str] = DEFAULT_QUANT,
    jobs: int = 2,
    classical: bool = True,
    command: str = "edgenn sweep",
    data: Path | None = None,
    compress: Iterable[str] = DEFAULT_COMPRESS,
    qat: bool = False,
    optimize: str | None = None,
    executor: str = "local",
    address: str | None = None,
) -> dict:
    """Run (or resume) a sweep and write sweep.json, sweep.md and pareto.png into `out`; the generated
    C's kernels built as `optimize` asks ("size": less flash, more instructions; None: as the recipe's
    [codegen] says); the jobs run on `executor` ("local" processes, or "ray": on the Ray cluster at
    `address`, else a local Ray instance of `jobs` CPUs; edgenn.optimize.executor).

    Returns:
        The sweep.json content.
    """
    from edgenn.optimize.compress import SCHEMES
    from edgenn.optimize.quantize import ONNX_VARIANTS, TFLITE_VARIANTS

    channels, sparsity, quant, compress = tuple(channels), tuple(sparsity), tuple(quant), tuple(compress)
    for z in compress:
        if z != "none" and z not in SCHEMES:
            raise EdgeNNError(None, f"unknown compression {z!r}; known: none, {', '.join(SCHEMES)}")
    for q in quant:
        if q not in TFLITE_VARIANTS and q not in ONNX_VARIANTS:
            known = ", ".join([*TFLITE_VARIANTS, *ONNX_VARIANTS])
            raise EdgeNNError(None, f"unknown quantization variant {q!r}; known: {known}")
    for c in channels:
        if not 0.0 < c <= 1.0:
            raise EdgeNNError(None, f"channels must be in (0, 1], got {c:g}")
    for s in sparsity:
        if not 0.0 <= s < 1.0:
            raise EdgeNNError(None, f"sparsity must be in [0, 1), got {s:g}")
    if jobs < 1:
        raise EdgeNNError(None, f"jobs must be at least 1, got {jobs}")
    from edgenn.optimize.executor import check

    check(executor, address)

    recipe = with_data_path(load_recipe(recipe_path), data)
    if recipe.model.task != "classification":
        raise EdgeNNError(
            recipe.path, f"the sweep ranks classifiers by accuracy; this recipe's task is {recipe.model.task}"
        )
    optimize = optimize or recipe.codegen.optimize
    if optimize not in OPTIMIZE:
        raise EdgeNNError(None, f"optimize must be one of {', '.join(OPTIMIZE)}, got {optimize!r}")
    from edgenn.optimize.executor import session
    from edgenn.optimize.sweep_report import RUN_JSON, write

    out = Path(out)
    key = base_key(recipe)
    with session(executor, jobs, address):  # Ray reached (or started) before the base model trains
        base = train_base(recipe, out, key)
        cache = out / CACHE_DIR
        planned = plan(recipe, key, channels, sparsity, quant, classical, compress, qat, code_key(), optimize)
        done: dict[Job, list[dict]] = {}
        todo = []
        for job in planned:
            hits = [_cached(cache, k) for k in job.keys]
            if all(h is not None for h in hits):
                done[job] = [p for h in hits for p in h]
            else:
                todo.append(job)
        total = sum(len(j.keys) if j.kind == "nn" else len(BASELINES) for j in planned)
        cached_points = sum(len(v) for v in done.values())

        start = time.perf_counter()
        with progress() as bar:
            task = bar.add_task("sweep", total=total, completed=cached_points, info=f"{cached_points} cached")
            results = _execute(
                todo,
                (recipe.path, data, optimize),
                base,
                cache,
                jobs,
                lambda n, info: bar.update(task, advance=n, info=info),
                executor,
                address,
            )
        run = {
            "executor": executor,
            "address": address,
            "workers": jobs,
            "seconds": round(time.perf_counter() - start, 3),
            "jobs": [
                {
                    "job": _label(job),
                    "points": [p["name"] for p in r["points"]],
                    "seconds": r["seconds"],
                    "after": _label(job.start) if job.start in results else None,
                }
                for job, r in results.items()
                if "points" in r
            ],
        }
    errors = [r["error"] for r in results.values() if "error" in r]
    if errors:
        raise EdgeNNError(None, f"{len(errors)} of {len(todo)} sweep jobs failed; first: {errors[0]}")
    done.update({job: r["points"] for job, r in results.items()})

    points = [p for job in planned for p in done[job]]
    front = {id(p) for p in pareto_front(points)}
    for p in points:
        p["pareto"] = id(p) in front
    result = {
        "schema": SCHEMA,
        "edgenn_version": __version__,
        "command": command,
        "recipe": recipe.name,
        "grid": {
            "channels": list(channels),
            "sparsity": list(sparsity),
            "quant": list(quant),
            "compress": list(compress),
            "qat": qat,
            "kernels": optimize,
        },
        "optimize": asdict(recipe.optimize),
        "data": {"split": "test", "samples": int(len(np.load(base / layout.DATA)["y_test"]))},
        "definitions": {
            "accuracy": "top-1 on the test split, by `runner` (the generated C where it runs the variant, "
            "then tflm, then litert; onnxruntime for ONNX); the C is bit-exact with TFLM",
            "flash_bytes": "c:<target>: text + data of the generated C's compiled model objects; "
            f"tflite+{TFLM_RUNTIME_BYTES}: .tflite bytes plus an estimate of TFLM's runtime; file: the model file only",
            "ram_bytes": "c:<target>: data + bss of the compiled model objects; tflm:arena: TFLM's measured "
            "tensor arena; null where no microcontroller runtime here executes the variant",
            "macs": "multiply-accumulates of one inference, from the float32 .tflite graph",
            "compress": "the weight compression after quantization (edgenn.optimize.compress; none: the int8 "
            "weights as converted); the C packs the compressed weights (edgenn codegen --compress)",
            "int8_qat": "the full int8 model of a copy fine-tuned with fake quantization (edgenn.optimize.qat: "
            "BatchNorm folded, per-channel weights and per-tensor activations as TFLite quantizes them), its "
            "scales taken from the fake-quant ranges",
            "instructions": "instructions of one inference of the generated C on the emulated Cortex-M4 "
            "(QEMU plugin, as edgenn profile counts them); null without its tools or for other runners",
            "pareto": "no other point has flash_bytes <= and accuracy >=, one of them strictly",
        },
        "points": points,
    }
    write(result, out)
    # How this invocation ran, beside sweep.json rather than in it: timings change from run to run, and
    # sweep.json's bytes are what a rerun of the same grid writes again.
    write_json(out / RUN_JSON, run)
    return result


def _execute(
    todo: list[Job],
    source: tuple,
    base: Path,
    cache: Path,
    jobs: int,
    tick,
    executor: str = "local",
    address: str | None = None,
) -> dict[Job, dict]:
    """Run the jobs on `executor` (edgenn.optimize.executor); `source` is (recipe path, --data path or
    None, optimize)."""
    from edgenn.optimize.executor import Task, run_all

    # Jobs always run in worker processes, -j 1 included, so that every job runs alike. Those that
    # fine-tune go first, so that the cheap ones fill in at the end instead of leaving a core idle.
    order = sorted(todo, key=lambda j: (j.kind == "classical", j.channels == 1.0 and j.sparsity == 0.0))
    recipe_path, data, optimize = source
    paths = (Path(recipe_path).resolve(), base.resolve(), cache.resolve(), data and Path(data).resolve())
    made: dict[Job, Task] = {}

    def task_of(job: Job) -> Task:  # a job's task waits for the task of the job its model starts from
        if job not in made:
            after = task_of(job.start) if job.start in todo else None
            made[job] = Task((job, *paths, optimize), trains=job.kind == "nn" and _trains(job), after=after)
        return made[job]

    tasks = {task_of(job): job for job in order}
    results: dict[Job, dict] = {}
    for task, r in run_all(run_job, list(tasks), executor, jobs, address):
        job = tasks[task]
        results[job] = r
        tick(len(r.get("points", job.keys)), _label(job))
    return {job: results[job] for job in order}  # in the order they were handed out


def _label(job: Job) -> str:
    if job.kind == "classical":
        return "classical baselines"
    what = f"channels {job.channels:g} sparsity {job.sparsity:g}"
    return what + (f" {job.compress}" if job.compress != "none" else "") + (" qat" if job.qat else "")


def _trains(job: Job) -> bool:
    """Whether a job fine-tunes a model (narrowed, pruned, compressed or QAT), rather than only convert it."""
    return job.channels < 1.0 or job.sparsity > 0.0 or job.compress != "none" or job.qat
