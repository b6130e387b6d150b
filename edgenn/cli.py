"""The `edgenn` command: options, declared once each, over the stage functions of edgenn.pipeline.

Errors a user can fix (EdgeNNError) print one line and exit 2, and so does a command that needs the
`[train]` extra where it is not installed. TensorFlow is imported only by the stages that need it.
"""

from __future__ import annotations

import shlex
import sys
import warnings
from pathlib import Path

import click

from edgenn import __version__
from edgenn.console import held_warnings
from edgenn.errors import EdgeNNError
from edgenn.options import (
    OPTIMIZE,
    Floats,
    IncreaseType,
    address_option,
    build_dir_argument,
    calib_option,
    compress_option,
    data_option,
    device_target_option,
    executor_option,
    name_option,
    optimize_option,
    output_option,
    path,
    recipe_argument,
    target_argument,
    task_option,
)
from edgenn.targets import DEVICE_TARGETS

EXIT_BUDGET_FAILED = 1
EXIT_BAD_INPUT = 2
# Modules of the `[train]` extra: without them a command says what it needs instead of a traceback.
TRAIN_EXTRA = ("tensorflow", "keras", "tf2onnx", "h5py", "sklearn", "emlearn", "sympy")


def _command_line() -> str:
    return shlex.join(["edgenn", *sys.argv[1:]])


class _PipelineOrder(click.Group):
    """List commands in the order the pipeline runs them, not alphabetically."""

    def list_commands(self, ctx):
        return list(self.commands)


@click.group(cls=_PipelineOrder, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edgenn")
def cli():
    """edgenn: Keras → int8 TFLite/ONNX → C for microcontrollers, with accuracy and size measured."""


def _recipe(path: Path, data: Path | None):
    from edgenn.recipe import load_recipe, with_data_path

    return with_data_path(load_recipe(path), data)


def _paths(written) -> None:
    for p in written:
        click.echo(f"{p}  {p.stat().st_size:,} B")


@cli.command()
@recipe_argument
@output_option
@data_option
def train(recipe, output, data):
    """Train RECIPE's model: writes model.keras, history.json, data.npz."""
    from edgenn import pipeline

    r = _recipe(recipe, data)
    build = pipeline.build_dir_for(r, output)
    h = pipeline.train(r, build)
    click.echo(
        f"trained {r.name}: best epoch {h['best_epoch']}/{h['epochs']}, test {h['metric']} "
        f"{h['test_score']:.4f} → {build.path}"
    )


@cli.command()
@target_argument
@calib_option
@task_option
@output_option
def convert(target, calib, task, output):
    """Convert a trained build directory, or import a model trained elsewhere.

    \b
    TARGET a build directory (from 'edgenn train'): writes float/int8 TFLite and float/int8 ONNX into it.
    TARGET a model (.keras, .h5, SavedModel directory, .tflite, .onnx): writes a build directory with
    model_int8.tflite (full int8), model_float.tflite where possible, and source.json (what was imported,
    its sha256, the calibration, the task, every change made). A float .tflite cannot be quantized; an .onnx
    gives model_float.onnx and model_int8.onnx only (the C steps need TFLite). Lambda layers are refused: no
    code from a model file is ever executed.
    """
    from edgenn import pipeline
    from edgenn.convert.foreign import is_model
    from edgenn.layout import BuildDir

    if is_model(target):
        _paths(pipeline.import_model(target, output, calib, task, _command_line()).paths)
    elif calib is not None or output is not None or task is not None:
        raise click.UsageError("--calib, --task and -o apply to a model file, not to a build directory")
    else:
        _paths(pipeline.convert(BuildDir(target)).values())


@cli.command()
@target_argument
@output_option
@name_option
def export(target, output, name):
    """Write the int8 model of TARGET (a build dir or a .tflite) as <name>_data.h/.c for TFLM firmware.

    Default output: the build directory, or beside the .tflite."""
    from edgenn import pipeline

    _paths(pipeline.export(target, output, name, _command_line()))


@cli.command()
@target_argument
@click.option(
    "--to",
    "scheme",
    type=click.Choice(["int4", "lut2", "lut3", "lut4", "lut2t", "lut3t", "lut4t", "sparse"]),
    required=True,
    help="int4: weights on a 4-bit grid per channel; lutB: clustered to 2^B values per channel; lutBt: to 2^B "
    "values for the whole layer (one table); sparse: the blocks of 4 weights with the least magnitude set to 0.",
)
@click.option(
    "--sparsity",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.75,
    show_default=True,
    help="sparse only: the share of each channel's blocks of 4 set to 0.",
)
@click.option(
    "-o", "--output", type=path(), default=None, help="The .tflite to write. Default: <model>_<scheme>.tflite."
)
def compress(target, scheme, sparsity, output):
    """Rewrite the int8 weights of TARGET (a build dir or an int8 .tflite) so that the C packs them.

    Every CONV_2D and FULLY_CONNECTED layer's weights are clustered, put on a 4-bit grid or pruned in
    blocks, post-training; the result is a dense int8 .tflite that TFLM runs as it is, and `edgenn
    codegen --compress SCHEME` stores packed, bit-exact with it. Measure what it costs with `edgenn eval`."""
    from edgenn.fileio import write_bytes
    from edgenn.layout import resolve_model
    from edgenn.optimize.compress import compress_tflite

    tflite, _ = resolve_model(target)
    data, notes = compress_tflite(tflite.read_bytes(), scheme, sparsity, where=tflite)
    out = Path(output) if output else tflite.with_name(f"{tflite.stem}_{scheme}.tflite")
    write_bytes(out, data)
    for line in notes or ["no CONV_2D or FULLY_CONNECTED layer with int8 weights: nothing to compress"]:
        click.echo(line)
    click.echo(f"{out}  {len(data):,} B")


@cli.command()
@target_argument
@output_option
@name_option
@click.option(
    "--bundle",
    "bundles",
    type=click.Choice(["cmake", "zephyr", "arduino", "platformio", "all", "none"]),
    multiple=True,
    default=("cmake",),
    show_default=True,
    help="Build-system packages to write beside the C (repeatable): CMakeLists.txt and cmake/<core>.cmake, "
    "a Zephyr module (zephyr/), an Arduino library (arduino/<lib>.zip), a PlatformIO library.json.",
)
@click.option(
    "--kernel-paths",
    type=click.Choice(["model", "all"]),
    default="model",
    show_default=True,
    help="Kernel code to compile: only the paths the model's layers take, or all of them (for a firmware "
    "whose models share one copy of the kernels: generate every model with 'all').",
)
@click.option(
    "--ram-budget",
    type=click.IntRange(min=1),
    default=None,
    metavar="BYTES",
    help="Arena budget: the plan that meets it with the least extra compute (no row-streamed chain where the "
    "layer-by-layer plan fits). Default: the smallest arena. Exit 2, naming the smallest reachable, if none does.",
)
@compress_option
@optimize_option
def codegen(target, output, name, bundles, kernel_paths, ram_budget, compress, optimize):
    """Generate standalone int8 C for TARGET (a build dir or a .tflite): model.c/.h plus its kernels.

    Default output: DIR/c for a build directory, else beside the model."""
    from edgenn import pipeline, toolchain
    from edgenn.export.bundles import kinds_of

    folder = pipeline.codegen(
        target, output, name, _command_line(), kinds_of(bundles), kernel_paths, ram_budget, compress, optimize
    )
    m = toolchain.manifest(folder)
    chains = m.get("chains", [])
    streamed = f", {len(chains)} row-streamed chain{'s' * (len(chains) != 1)}" if chains else ""
    click.echo(
        f"{folder}  ops {', '.join(m['ops'])}; arena {m['arena_bytes']:,} B{streamed}, constants {m['const_bytes']:,} B"
    )


@cli.command()
@target_argument
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON (schema 'analyze'), not tables.")
@click.option(
    "--ram-budget",
    type=click.IntRange(min=1),
    default=None,
    metavar="BYTES",
    help="Plan as 'edgenn codegen --ram-budget' does: the fewest extra instructions that fit.",
)
@compress_option
@optimize_option
def analyze(target, as_json, ram_budget, compress, optimize):
    """Flash, RAM and MACs of TARGET (a build dir or a .tflite), layer by layer, against TFLM's arena."""
    import json

    from edgenn.analyze import analyze as do_analyze
    from edgenn.evaluate.summary import print_analysis
    from edgenn.schemas import produced

    r = do_analyze(target, ram_budget=ram_budget, compress=compress, optimize=optimize)
    produced(r, "analyze")
    click.echo(json.dumps(r, indent=2)) if as_json else print_analysis(r)


@cli.command()
@target_argument
@click.option(
    "--target", "device", type=click.Choice(["cortex-m4"]), default="cortex-m4", show_default=True, help="The core."
)
@click.option(
    "--inputs",
    type=path(),
    default=None,
    help=".npy of samples to run (int8 codes, or floats quantized with the model's input scale). Default: the "
    "speed benchmark's random int8 inputs.",
)
@click.option("--count", type=click.IntRange(min=1), default=2, show_default=True, help="Samples run (the first).")
@click.option("--dsp/--no-dsp", default=True, show_default=True, help="The Cortex-M4's SIMD kernels.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the profile as JSON (schema 'profile') instead of a table."
)
@compress_option
@optimize_option
def profile(target, device, inputs, count, dsp, as_json, compress, optimize):
    """Instructions per layer of TARGET (a build dir or a .tflite) on an emulated core, counted by QEMU.

    MACs per instruction per layer, and cycles estimated with the cost model in docs/cost-model.md.
    The total is the instruction count `benchmarks/speed.py` reports for the same model and inputs."""
    import json

    from edgenn.data.splits import load_npy
    from edgenn.profile import print_profile
    from edgenn.profile import profile as do_profile
    from edgenn.schemas import produced

    x = load_npy(inputs) if inputs is not None else None
    r = do_profile(target, device, x, count, dsp, compress, optimize)
    produced(r, "profile")
    click.echo(json.dumps(r, indent=2)) if as_json else print_profile(r)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON (edgenn/schemas/ops-1.schema.json).")
def ops(as_json):
    """The TFLite ops edgenn runs: each with its NumPy reference, its C kernel, types and targets."""
    import json

    from edgenn.reference import op_table
    from edgenn.schemas import produced
    from edgenn.targets import TARGETS

    r = op_table(tuple(TARGETS))
    produced(r, "ops")
    if as_json:
        click.echo(json.dumps(r, indent=2))
        return
    for row in r["ops"]:
        where = "C on every target" if row["c"] else "reference only"
        click.echo(f"{row['op']:<28} {', '.join(row['types']):<24} {where}")
    click.echo(f"{r['count']} ops; targets: {', '.join(TARGETS)}")


@cli.group()
def firmware():
    """Build and run a generated C folder on the host or an emulated core (Cortex-M0+ to M55, RISC-V)."""


@firmware.command(name="build")
@click.argument("folder", type=path())
@device_target_option
@click.option(
    "--dsp/--no-dsp",
    default=True,
    show_default=True,
    help="Use the SIMD multiply-accumulates of cores with the DSP extension (same outputs either way).",
)
def firmware_build(folder, target, dsp):
    """Compile FOLDER (from `edgenn codegen`) with the test runner; print flash and RAM from the ELF."""
    from edgenn import pipeline

    (b,) = pipeline.build_firmware(folder, (target,), dsp=dsp)
    board = f" (runs on QEMU's {b.machine})" if b.machine else ""
    click.echo(
        f"{b.elf}{board}  model text {b.text:,} B (kernels {b.kernel_text:,} B), data {b.data:,} B, "
        f"bss {b.bss:,} B → flash {b.flash_bytes:,} B, RAM {b.ram_bytes:,} B"
    )


@firmware.command(name="targets")
def firmware_targets():
    """List the targets: each core, its compiler and flags, its QEMU boards, and whether its tools are here."""
    from edgenn import toolchain
    from edgenn.targets import TARGETS

    for t in TARGETS.values():
        kib = [f"{m.name} ({m.flash[1] // 1024:,} KiB flash, {m.ram[1] // 1024:,} KiB RAM)" for m in t.machines]
        fpu = f"; float code adds {' '.join(t.fpu)}" if t.fpu else ""
        tools = "tools found" if toolchain.have_tools(t.name) else "tools missing"
        click.echo(f"{t.name:<14} {t.core}: {t.cc} {' '.join(t.cflags)}".rstrip() + fpu)
        click.echo(f"{'':<14} {'runs on ' + ', '.join(kib) if kib else 'runs natively'}; {tools}")


@firmware.command(name="run")
@click.argument("folder", type=path())
@device_target_option
@click.option(
    "--inputs",
    type=path(),
    required=True,
    help=".npy of N samples (int8 codes, or floats to quantize with the model's input scale).",
)
@click.option("--outputs", type=path(), required=True, help=".npy to write.")
def firmware_run(folder, target, inputs, outputs):
    """Run FOLDER's built firmware on every sample of --inputs; write the outputs as .npy."""
    from edgenn import toolchain
    from edgenn.data.splits import load_npy
    from edgenn.fileio import write_npy

    x = toolchain.prepare_inputs(folder, load_npy(inputs), inputs)
    y, _ = toolchain.run(folder, x, target)
    write_npy(outputs, y)
    click.echo(f"{outputs}  {len(y)} outputs of shape {y.shape[1:]} {y.dtype} from {target}")


@cli.command(name="eval")
@target_argument
@data_option
@calib_option
@task_option
@output_option
def eval_(target, data, calib, task, output):
    """Evaluate every variant of TARGET: report.json, report.md, accuracy_vs_size.png.

    \b
    TARGET a build directory: from 'edgenn run', 'edgenn train' + 'convert', or 'edgenn convert MODEL'
    (an imported build needs --data).
    TARGET a model file: imported first (as 'edgenn convert MODEL', into -o), its C generated and built,
    then evaluated on --data.
    """
    from edgenn import pipeline
    from edgenn.convert.foreign import is_model
    from edgenn.evaluate.summary import print_report
    from edgenn.layout import BuildDir

    if is_model(target):
        if data is None:
            raise click.UsageError("a model file is evaluated on --data X.npz")
        build, report = pipeline.evaluate_model(target, data, output, calib, task, _command_line())
    elif calib is not None or output is not None or task is not None:
        raise click.UsageError("--calib, --task and -o apply to a model file, not to a build directory")
    else:
        build = BuildDir(target)
        report = pipeline.evaluate(build, data, _command_line())
    print_report(report)
    click.echo(f"wrote {build.path}/report.json, report.md, accuracy_vs_size.png")


def _write_result(result: dict, json_file, markdown_file, junit_file=None) -> None:
    from edgenn.gate.outputs import write

    for p in write(result, json_file, markdown_file, junit_file):
        click.echo(f"wrote {p}", err=True)


_share = click.FloatRange(0.0, 1.0)
_result_files = (
    click.option("--json", "json_file", type=path(), default=None, help="Write the result as JSON (schema 'gate')."),
    click.option(
        "--markdown", "markdown_file", type=path(), default=None, help="Write the result as a Markdown table."
    ),
)


def _with(options):
    def attach(f):
        for option in reversed(options):
            f = option(f)
        return f

    return attach


@cli.command()
@build_dir_argument
@data_option
@click.option(
    "--samples", type=click.IntRange(min=1), default=200, show_default=True, help="Samples to run, from the first."
)
def validate(build_dir, data, samples):
    """Where the quantization loss comes from: float vs int8 activations, layer by layer.

    Runs BUILD_DIR's float and int8 models with every intermediate tensor exposed and writes validate.json
    (cos, l2r, rmse, mae, nse per layer, and the error each layer adds) and validate.png."""
    from edgenn.evaluate.validate import print_validation, write
    from edgenn.evaluate.validate import validate as do_validate

    r = do_validate(build_dir, data, samples, _command_line())
    print_validation(r)
    _paths(write(r, build_dir).values())


@cli.command()
@build_dir_argument
@click.option(
    "--baseline", type=path(), default=None, help="The build to compare with: a build folder or a report.json."
)
@click.option("--max-flash", "max_flash_bytes", type=click.IntRange(min=1), default=None, help="Flash budget in bytes.")
@click.option("--max-ram", "max_ram_bytes", type=click.IntRange(min=1), default=None, help="RAM budget in bytes.")
@click.option(
    "--max-instructions", type=click.IntRange(min=1), default=None, help="Instructions per inference (Cortex-M4)."
)
@click.option(
    "--min-accuracy", "min_int8_accuracy", type=_share, default=None, help="Classification: minimum int8 top-1 (0-1)."
)
@click.option(
    "--min-class-recall", type=_share, default=None, help="Classification: minimum recall of every class (0-1)."
)
@click.option("--max-mae", type=click.FloatRange(min=0.0), default=None, help="Regression: maximum int8 MAE.")
@click.option("--min-auc", type=_share, default=None, help="Anomaly detection: minimum int8 ROC AUC (0-1).")
@click.option(
    "--max-drop",
    "max_accuracy_drop_pp",
    type=click.FloatRange(min=0.0),
    default=None,
    help="Maximum float→int8 accuracy drop, in pp.",
)
@click.option("--max-flash-increase", type=IncreaseType(), default=None, help="Over the baseline: '2%' or bytes.")
@click.option("--max-ram-increase", type=IncreaseType(), default=None, help="Over the baseline: '2%' or bytes.")
@click.option(
    "--max-latency-increase", type=IncreaseType(), default=None, help="Over the baseline: '2%' or instructions."
)
@click.option(
    "--max-accuracy-drop",
    "max_accuracy_drop_from_baseline_pp",
    type=click.FloatRange(min=0.0),
    default=None,
    help="Maximum drop of the int8 score below the baseline's, in pp.",
)
@click.option("--junit", "junit_file", type=path(), default=None, help="Write JUnit XML: one test case per check.")
@_with(_result_files)
def gate(build_dir, baseline, junit_file, json_file, markdown_file, **budgets):
    """Check BUILD_DIR's report against budgets and, with --baseline, against another build.

    \b
    Exit 0 every check passed, 1 a budget failed, 2 bad input. Options override the recipe's [budgets];
    budgets against the baseline are skipped when there is none. The checks are written into report.json
    and report.md; with GITHUB_STEP_SUMMARY set, the Markdown table is appended to the job summary.
    """
    from edgenn import pipeline
    from edgenn.console import warning
    from edgenn.gate.outputs import print_result
    from edgenn.layout import BuildDir

    rows, result = pipeline.gate(BuildDir(build_dir), baseline, _command_line(), **budgets)
    for note in result["notes"]:
        warning(note)
    print_result(result)
    _write_result(result, json_file, markdown_file, junit_file)
    if not result["passed"]:
        sys.exit(EXIT_BUDGET_FAILED)


@cli.command()
@click.argument("a", type=path())
@click.argument("b", type=path())
@_with(_result_files)
def diff(a, b, json_file, markdown_file):
    """Compare B with A (each a build folder, a report.json or a .tflite): totals and every layer.

    Nothing is checked: the exit code is 0 unless an input is bad (2)."""
    from edgenn.gate import diff as do_diff
    from edgenn.gate.outputs import print_result

    result = do_diff(a, b, _command_line())
    print_result(result)
    _write_result(result, json_file, markdown_file)


@cli.command()
@recipe_argument
@output_option
@data_option
@name_option
def run(recipe, output, data, name):
    """Train, convert, export, generate and build the C, evaluate RECIPE, then check its budgets."""
    from edgenn import pipeline
    from edgenn.console import err
    from edgenn.evaluate.summary import print_gates, print_report

    r = _recipe(recipe, data)
    build = pipeline.build_dir_for(r, output)
    err.print(f"[bold]edgenn run[/bold] {r.name} → {build.path}")
    report = pipeline.run(r, build, name, _command_line())
    print_report(report)
    if report["gates"] and not print_gates(report["gates"]):
        sys.exit(EXIT_BUDGET_FAILED)


@cli.command()
@recipe_argument
@click.option("--sparsity", type=Floats(), default=None, help="Unstructured sparsities. Default: 0,0.5,0.75,0.9.")
@click.option(
    "--channels",
    type=Floats(),
    default=None,
    help="Fractions of each layer's filters kept (structured pruning). Default: 1,0.75,0.5.",
)
@click.option("--quant", default=None, help="Comma-separated quantization variants. Default: int8_per_channel.")
@output_option
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Processes. Default: the CPU count.")
@click.option(
    "--compress",
    default=None,
    metavar="LIST",
    help="Comma-separated weight compressions of the int8 variants, each a point of its own: none, int4, lut2, "
    "lut3, lut4 (weights clustered per channel), lut2t, lut3t, lut4t (one set of values per layer), sparse "
    "(blocks of 4 pruned to the point's sparsity). Default: none.",
)
@click.option(
    "--qat",
    is_flag=True,
    help="Also fine-tune each point and compression with quantization-aware training: points int8_qat[+LIST].",
)
@click.option("--no-classical", is_flag=True, help="Leave out the classical baselines.")
@data_option
@click.option(
    "--optimize",
    type=click.Choice(OPTIMIZE),
    default=None,
    help="What every point's C kernels are built for (as codegen --optimize). Default: the recipe's "
    "[codegen] optimize, else speed.",
)
@executor_option
@address_option
def sweep(
    recipe, sparsity, channels, quant, compress, qat, output, jobs, no_classical, data, optimize, executor, address
):
    """Prune and quantize RECIPE's model over a grid; write sweep.json, sweep.md and pareto.png into
    build/<recipe>-sweep (or -o). Resumable: finished points are cached in the output folder."""
    import os

    from edgenn import pipeline
    from edgenn.evaluate.summary import print_sweep

    quant = tuple(q.strip() for q in quant.split(",") if q.strip()) if quant else None
    compress = tuple(z.strip() for z in compress.split(",") if z.strip()) if compress else None
    result, files = pipeline.sweep(
        recipe,
        output,
        _command_line(),
        channels=channels,
        sparsity=sparsity,
        quant=quant,
        compress=compress,
        qat=qat,
        jobs=jobs or os.cpu_count() or 1,
        classical=not no_classical,
        data=data,
        optimize=optimize,
        executor=executor,
        address=address,
    )
    print_sweep(result, files)


@cli.command()
@recipe_argument
@click.option(
    "--target",
    type=click.Choice(list(DEVICE_TARGETS)),
    default="cortex-m4",
    show_default=True,
    help="The core whose build's flash and RAM the budgets bound.",
)
@click.option(
    "--max-flash", type=click.IntRange(min=1), default=None, metavar="BYTES", help="Flash budget (text + data)."
)
@click.option("--max-ram", type=click.IntRange(min=1), default=None, metavar="BYTES", help="RAM budget (data + bss).")
@click.option(
    "--max-latency",
    type=click.IntRange(min=1),
    default=None,
    metavar="INSTRUCTIONS",
    help="Instructions of one inference on the emulated Cortex-M4 (edgenn profile).",
)
@click.option("--trials", type=click.IntRange(min=1), default=20, show_default=True, help="Configurations to try.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Trials at once. Default: the CPU count.")
@click.option("--seed", type=int, default=0, show_default=True, help="The sampler's seed.")
@output_option
@data_option
@address_option
def tune(recipe, target, max_flash, max_ram, max_latency, trials, jobs, seed, output, data, address):
    """Search RECIPE's widths, depths, kernels, frontend, sparsity and compression for the most accurate
    model within the budgets, measured on the compiled C (Ray Tune with Optuna's TPE, ASHA stopping);
    write tune.json, tune.md and pareto.png into build/<recipe>-tune (or -o). Run again to continue."""
    import os

    from edgenn import layout
    from edgenn.evaluate.summary import print_tune
    from edgenn.optimize.tune import Limits, files
    from edgenn.optimize.tune import tune as search
    from edgenn.recipe import load_recipe

    out = Path(output or layout.default_build_dir(f"{load_recipe(recipe).name}-tune"))
    limits = Limits(target, max_flash, max_ram, max_latency)
    result = search(recipe, out, limits, trials, jobs or os.cpu_count() or 1, address, data, seed, _command_line())
    print_tune(result, files(out))


def _missing_extra(exc: ModuleNotFoundError) -> str | None:
    root = (exc.name or "").split(".")[0]
    return root if root in TRAIN_EXTRA else None


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error a user can fix becomes one line on stderr and exit code 2."""
    # NumPy's RuntimeWarnings (overflow, NaN casts) on values from a hostile file would add lines
    # to the one-line error; every value that matters is checked instead.
    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        with held_warnings():
            code = cli.main(args=argv, prog_name="edgenn", standalone_mode=False)
    except EdgeNNError as exc:
        click.echo(f"edgenn: error: {exc.line()}", err=True)
        code = EXIT_BAD_INPUT
    except ModuleNotFoundError as exc:
        if (extra := _missing_extra(exc)) is None:
            raise
        click.echo(
            f"edgenn: error: this command needs {extra}, part of the [train] extra: pip install 'edgenn[train]'",
            err=True,
        )
        code = EXIT_BAD_INPUT
    except click.ClickException as exc:  # usage errors: bad option values, missing arguments
        where = f"{exc.ctx.command_path}: " if getattr(exc, "ctx", None) else ""
        click.echo(f"edgenn: error: {where}{exc.format_message()} (see --help)", err=True)
        code = EXIT_BAD_INPUT if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Abort:
        click.echo("edgenn: aborted", err=True)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
