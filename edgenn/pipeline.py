"""The pipeline as a library: train → convert → export → codegen → build → eval → gate, over one build folder.

Each stage is a function of a `BuildDir`; `run` is their sequence for a recipe. The CLI only parses
options and calls these, and so can any script. Every stage writes its files atomically, prints one
line when it ends (`console.stage`), and keeps what TensorFlow and the converters say in the build
folder's log (layout.LOG) instead of the terminal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from edgenn import layout, toolchain
from edgenn.console import log_into, stage, warning
from edgenn.errors import UnsupportedError
from edgenn.layout import BuildDir
from edgenn.recipe import Recipe

Warn = Callable[[str], None]


_warn = warning


def build_dir_for(recipe: Recipe, output: Path | None) -> BuildDir:
    """`-o` when given, else build/<recipe name>."""
    return BuildDir(output or layout.default_build_dir(recipe.name))


def train(recipe: Recipe, build: BuildDir) -> dict:
    """Train the recipe's model into the build folder (model.keras, history.json, data.npz, recipe.toml)."""
    from edgenn.train.fit import train as fit

    build.path.mkdir(parents=True, exist_ok=True)
    with stage(f"train {recipe.name}"), log_into(build / layout.LOG):
        return fit(recipe, build.path)


def convert(build: BuildDir) -> dict[str, Path]:
    """A trained build's Keras model → float/int8 TFLite and ONNX."""
    from edgenn.convert import convert as do_convert

    with stage("convert"), log_into(build / layout.LOG):
        return do_convert(build.exists().path)


def import_model(
    model: Path,
    output: Path | None = None,
    calib: Path | None = None,
    task: str | None = None,
    command: str = "edgenn convert",
    warn: Warn = _warn,
):
    """A model trained elsewhere → a build folder with its int8 TFLite (and what else the format allows)."""
    from edgenn.convert.foreign import default_out_dir
    from edgenn.convert.foreign import import_model as do_import

    out = Path(output) if output else default_out_dir(model)
    with stage(f"import {Path(model).name}"):
        return do_import(model, calib, out, warn, command, task=task)


def export(build_or_model: Path, output: Path | None = None, name: str | None = None, command: str = "edgenn export"):
    """The int8 .tflite as a C array for TFLM firmware: <name>_data.h/.c."""
    from edgenn.export.carray import export as do_export

    with stage("export"):
        return do_export(build_or_model, output, name, command)


def codegen(
    build_or_model: Path,
    output: Path | None = None,
    name: str | None = None,
    command: str = "edgenn codegen",
    bundles: tuple[str, ...] = ("cmake",),
    kernel_paths: str = "model",
    ram_budget: int | None = None,
    compress: str = "auto",
    optimize: str = "speed",
):
    """The int8 .tflite as standalone C (model.c/.h and the kernels it uses), with the build-system
    packages `bundles` (edgenn.export.bundles.BUNDLES) in the same folder; `kernel_paths`,
    `ram_budget`, `compress` and `optimize` as edgenn.export.codegen.codegen takes them."""
    from edgenn.export.bundles import packages
    from edgenn.export.codegen import codegen as do_codegen

    with stage("codegen"):
        return do_codegen(
            build_or_model,
            output,
            name,
            command,
            packages(bundles),
            kernel_paths,
            ram_budget,
            compress=compress,
            optimize=optimize,
        )


def build_firmware(folder: Path, targets: tuple[str, ...] | None = None, dsp: bool = True) -> list[toolchain.Build]:
    """Compile a generated C folder: for `targets`, by default the host (to run it) and the device (to size it)."""
    targets = targets or tuple(dict.fromkeys(("host", toolchain.device_target())))
    builds = []
    for target in targets:
        with stage(f"build {target}"):
            builds.append(toolchain.build(folder, target, dsp=dsp))
    return builds


def c_stages(build: BuildDir, name: str, command: str, warn: Warn = _warn, optimize: str = "speed") -> None:
    """Generate the C (its kernels built as `optimize` asks) and build it, so that eval runs and sizes it;
    say why when that cannot be done."""
    try:
        folder = codegen(build.path, build / layout.C_DIR, name, command, optimize=optimize)
    except UnsupportedError as exc:
        warn(f"no C for this model: {exc.message}")
        return
    if shutil.which("gcc") is None or shutil.which("make") is None:
        warn("gcc or make not found: the C variant is not built or evaluated")
        return
    build_firmware(folder)


def frontend(recipe: Recipe, build: BuildDir) -> None:
    """Audio recipes: link the frontend with the model for the device, so the footprint counts both."""
    if recipe.frontend.kind == "none" or toolchain.device_target() == "host":
        return
    from edgenn.fileio import write_json
    from edgenn.frontend.kws import build_kws, footprint

    with stage("build model + frontend (cortex-m4)"):
        build_kws(build.path, "cortex-m4")
        write_json(build / layout.FRONTEND_FOOTPRINT, {"target": "cortex-m4", "parts": footprint(build.path)})


def speaker_held_out(recipe: Recipe, build: BuildDir) -> None:
    """Audio recipes naming a test speaker: the same recipe trained without that voice, tested on it."""
    from edgenn.train.speaker import applies
    from edgenn.train.speaker import speaker_held_out as held_out

    if not applies(recipe):
        return
    with stage(f"train and test without speaker {recipe.data.test_speaker}"), log_into(build / layout.LOG):
        held_out(recipe, build.path)


def evaluate(build: BuildDir, data: Path | None = None, command: str = "edgenn eval") -> dict:
    """Run every variant present on the test split (or `data`); write report.json/.md/.png with the gates.

    The recipe's budgets, when it has some, are checked and recorded in the report.
    """
    from edgenn.analyze import layers
    from edgenn.evaluate.evaluate import evaluate as do_evaluate
    from edgenn.evaluate.report import write
    from edgenn.export.codegen import generate
    from edgenn.gate import NoBudgets, checks, from_report, recipe_budgets
    from edgenn.graph.tflite import read_tflite
    from edgenn.profile import latency

    with stage("eval"), log_into(build / layout.LOG):
        report = do_evaluate(build.path, data, command)
        # What the gate compares layer by layer: the C codegen makes (in memory, not compiled), and its speed.
        graph = read_tflite(build / layout.TFLITE_INT8)
        report["layers"] = layers(generate(graph, build.name, command))
        report["latency"] = latency(build / layout.C_DIR, graph, report["layers"])
    try:
        report["gates"] = [c.as_dict() for c in checks(from_report(report, build.path), recipe_budgets(build.path))]
    except NoBudgets:
        report["gates"] = []
    write(report, build.path)
    return report


def evaluate_model(
    model: Path,
    data: Path,
    output: Path | None = None,
    calib: Path | None = None,
    task: str | None = None,
    command: str = "edgenn eval",
) -> tuple[BuildDir, dict]:
    """A model file straight to a report: import it, generate and build its C, evaluate on `data`.

    If any step fails and the build folder did not exist before, it is removed again: a failed
    command leaves nothing behind.
    """
    from edgenn.convert.foreign import default_out_dir

    out = Path(output) if output else default_out_dir(model)
    existed = out.exists()
    try:
        imported = import_model(model, out, calib, task, command)
        build = BuildDir(imported.out_dir)
        c_stages(build, build.name, command)
        return build, evaluate(build, data, command)
    except BaseException:
        if not existed:
            shutil.rmtree(out, ignore_errors=True)
        raise


def gate(build: BuildDir, baseline: Path | None = None, command: str = "edgenn gate", **budgets) -> tuple[list, dict]:
    """Check the build's report against its budgets (recipe's, overridden by `budgets`) and, when given,
    against a baseline build or report.json; record the checks in the report.

    The checks replace the report's gates in report.json and report.md, so that a failed gate never
    leaves a "pass" behind.

    Returns:
        (the checks, the result as `edgenn gate --json` writes it)
    """
    from edgenn.evaluate.report import write
    from edgenn.gate import gate as do_gate
    from edgenn.gate import load_report

    rows, result = do_gate(build.path, baseline, command, **budgets)
    report = load_report(build.require(layout.REPORT_JSON))
    report["gates"] = [c.as_dict() for c in rows]
    write(report, build.path, with_plot=False)
    return rows, result


def sweep(recipe_path: Path, output: Path | None = None, command: str = "edgenn sweep", **grid) -> tuple[dict, list]:
    """The pruning × quantization grid of a recipe (edgenn.optimize.sweep), into build/<recipe>-sweep by default.

    Returns:
        (the sweep's result, the files written)
    """
    from edgenn.optimize import sweep as sw
    from edgenn.optimize.sweep_report import PARETO_PNG, SWEEP_JSON, SWEEP_MD
    from edgenn.recipe import load_recipe

    out = Path(output or layout.default_build_dir(f"{load_recipe(recipe_path).name}-sweep"))
    defaults = {
        "channels": sw.DEFAULT_CHANNELS,
        "sparsity": sw.DEFAULT_SPARSITY,
        "quant": sw.DEFAULT_QUANT,
        "compress": sw.DEFAULT_COMPRESS,
        "qat": False,
    }
    grid = {**defaults, **{k: v for k, v in grid.items() if v is not None}}
    with stage("sweep"):
        result = sw.sweep(recipe_path, out, command=command, **grid)
    return result, [out / SWEEP_JSON, out / SWEEP_MD, out / PARETO_PNG]


def run(recipe: Recipe, build: BuildDir, name: str | None = None, command: str = "edgenn run") -> dict:
    """Train, convert, export, generate and build the C, evaluate, and check the budgets of `recipe`.

    Args:
        name: the C symbol prefix; default the recipe's name.

    Returns:
        The report, with its gates (empty when the recipe has no budgets).
    """
    name = name or recipe.name
    train(recipe, build)
    convert(build)
    export(build.path, name=name, command=command)
    c_stages(build, name, command, optimize=recipe.codegen.optimize)
    frontend(recipe, build)
    speaker_held_out(recipe, build)
    return evaluate(build, None, command)
