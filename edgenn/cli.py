"""The `edgenn` command. Each subcommand is a thin wrapper over a library function.

Errors a user can fix (EdgeNNError) print one line and exit 2. TensorFlow is imported only by
`train`, `convert` and `run`.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from edgenn import __version__
from edgenn.errors import EdgeNNError, UnsupportedError

EXIT_BUDGET_FAILED = 1
EXIT_BAD_INPUT = 2


def _command_line() -> str:
    return shlex.join(["edgenn", *sys.argv[1:]])


# Options shared by several commands, defined once.
build_dir_argument = click.argument("build_dir", type=click.Path(path_type=Path))
output_option = click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    default=None,
    help="Build directory. Default: build/<recipe name>.",
)
recipe_argument = click.argument("recipe", type=click.Path(path_type=Path))


class _PipelineOrder(click.Group):
    """List commands in the order the pipeline runs them, not alphabetically."""

    def list_commands(self, ctx):
        return list(self.commands)


@click.group(cls=_PipelineOrder, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edgenn")
def cli():
    """edgenn: Keras → int8 TFLite/ONNX → C for microcontrollers, with accuracy and size measured."""


data_option = click.option(
    "--data",
    "data",
    type=click.Path(path_type=Path),
    default=None,
    help="The dataset (an .npz, or a folder of WAVs) instead of the recipe's data.path.",
)


def _recipe_and_dir(recipe: Path, output: Path | None, data: Path | None = None):
    from edgenn.recipe import load_recipe, with_data_path
    from edgenn.train.fit import default_build_dir

    r = with_data_path(load_recipe(recipe), data)
    return r, (output or default_build_dir(r))


@cli.command()
@recipe_argument
@output_option
@data_option
def train(recipe, output, data):
    """Train RECIPE's model: writes model.keras, history.json, data.npz."""
    from edgenn.train.fit import train as do_train

    r, out = _recipe_and_dir(recipe, output, data)
    h = do_train(r, out)
    click.echo(
        f"trained {r.name}: best epoch {h['best_epoch']}/{h['epochs']}, "
        f"test {h['metric']} {h['test_score']:.4f} → {out}"
    )


@cli.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--calib",
    type=click.Path(path_type=Path),
    default=None,
    help="Model file only: an .npz whose 'x_calib' (else 'x') holds calibration samples shaped like one model "
    "input. Default: 100 random inputs uniform in [0, 1], seed 0, with a warning.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Model file only: the build directory to write. Default: build/<model name>.",
)
def convert(target, calib, output):
    """Convert a trained build directory, or import a model trained elsewhere.

    \b
    TARGET a build directory (from 'edgenn train'): writes float/int8 TFLite and float/int8 ONNX into it.
    TARGET a model (.keras, .h5, SavedModel directory, .tflite, .onnx): writes a build directory with
    model_int8.tflite (full int8), model_float.tflite where possible, and source.json (what was imported,
    its sha256, the calibration, every change made). A float .tflite cannot be quantized; an .onnx gives
    model_float.onnx and model_int8.onnx only (the C steps need TFLite). Lambda layers are refused: no code
    from a model file is ever executed.
    """
    from edgenn.convert.foreign import is_model

    if is_model(target):
        from edgenn.convert.foreign import import_model

        def warn(message):
            click.echo(f"edgenn: warning: {message}", err=True)

        done = import_model(target, calib, output, warn, _command_line())
        for path in done.paths:
            click.echo(f"{path}  {path.stat().st_size:,} B")
        return
    if calib is not None or output is not None:
        raise click.UsageError("--calib and -o apply to a model file, not to a build directory")
    from edgenn.convert import convert as do_convert

    for path in do_convert(target).values():
        click.echo(f"{path}  {path.stat().st_size:,} B")


@cli.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), default=None, help="Output folder. Default: beside the model."
)
@click.option("--name", default=None, help="C symbol prefix. Default: the build directory's or file's name.")
def export(target, output, name):
    """Write the int8 model of TARGET (a build dir or a .tflite) as model_data.h/.c for TFLM firmware."""
    from edgenn.export.carray import export as do_export

    for path in do_export(target, output, name, _command_line()):
        click.echo(f"{path}  {path.stat().st_size:,} B")


@cli.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder. Default: DIR/c for a build directory, else beside the model.",
)
@click.option("--name", default=None, help="C symbol prefix. Default: the build directory's or file's name.")
def codegen(target, output, name):
    """Generate standalone int8 C for TARGET (a build dir or a .tflite): model.c/.h plus its kernels."""
    from edgenn.export.codegen import codegen as do_codegen
    from edgenn.toolchain import manifest

    folder = do_codegen(target, output, name, _command_line())
    m = manifest(folder)
    click.echo(f"{folder}  ops {', '.join(m['ops'])}; arena {m['arena_bytes']:,} B, constants {m['const_bytes']:,} B")


@cli.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON (schema 1) instead of tables.")
def analyze(target, as_json):
    """Flash, RAM and MACs of TARGET (a build dir or a .tflite), layer by layer, against TFLM's arena."""
    import json

    from rich.table import Table

    from edgenn.analyze import analyze as do_analyze
    from edgenn.console import out

    r = do_analyze(target)
    if as_json:
        click.echo(json.dumps(r, indent=2))
        return
    table = Table(title=f"{r['model']}: layers (RAM: bytes live at each step, in the planned arena)")
    for col in ("#", "op", "output", "params", "MACs", "act. B", "live B", "const B", "in place"):
        table.add_column(col, justify="left" if col in ("op", "output") else "right")
    for layer in r["layers"]:
        table.add_row(
            str(layer["index"]),
            layer["op"],
            "x".join(map(str, layer["output_shape"])),
            f"{layer['params']:,}",
            f"{layer['macs']:,}",
            f"{layer['activation_bytes']:,}",
            f"{layer['live_bytes']:,}",
            f"{layer['const_bytes']:,}",
            "yes" if layer["shares_input_bytes"] else "",
        )
    out.print(table)
    f = r["flash"]
    out.print(
        f"flash {r['flash_bytes']:,} B on {r['measured_on']}: weights {f['weights']:,}, biases {f['biases']:,}, "
        f"quantization {f['quantization']:,}, tables {f['tables']:,}, code {f['code']:,}",
        soft_wrap=True,
    )
    out.print(
        f"RAM {r['ram_bytes']:,} B (arena {r['ram']['arena']:,}, other {r['ram']['other']:,}); lower bound "
        f"{r['ram_lower_bound_bytes']:,} B; TFLM arena {r['tflm_arena_bytes']:,} B "
        f"({r['ram_bytes'] / r['tflm_arena_bytes']:.2f}×); MACs {r['macs']:,}",
        soft_wrap=True,
    )


@cli.group()
def firmware():
    """Build and run a generated C folder on the host or an emulated Cortex-M4."""


target_option = click.option("--target", type=click.Choice(["host", "cortex-m4"]), default="host", show_default=True)


@firmware.command(name="build")
@click.argument("folder", type=click.Path(path_type=Path))
@target_option
@click.option(
    "--dsp/--no-dsp",
    default=True,
    show_default=True,
    help="Use the Cortex-M4's SIMD multiply-accumulate instructions (same outputs either way).",
)
def firmware_build(folder, target, dsp):
    """Compile FOLDER (from `edgenn codegen`) with the test runner; print flash and RAM from the ELF."""
    from edgenn.toolchain import build

    b = build(folder, target, dsp=dsp)
    click.echo(
        f"{b.elf}  model text {b.text:,} B, data {b.data:,} B, bss {b.bss:,} B → "
        f"flash {b.flash_bytes:,} B, RAM {b.ram_bytes:,} B"
    )


@firmware.command(name="run")
@click.argument("folder", type=click.Path(path_type=Path))
@target_option
@click.option(
    "--inputs",
    "inputs",
    type=click.Path(path_type=Path),
    required=True,
    help=".npy of N samples (int8 codes, or floats to quantize with the model's input scale).",
)
@click.option("--outputs", "outputs", type=click.Path(path_type=Path), required=True, help=".npy to write.")
def firmware_run(folder, target, inputs, outputs):
    """Run FOLDER's built firmware on every sample of --inputs; write the outputs as .npy."""
    import numpy as np

    from edgenn.data.splits import load_npy
    from edgenn.fileio import atomic_path
    from edgenn.toolchain import prepare_inputs, run

    x = prepare_inputs(folder, load_npy(inputs), inputs)
    y, _ = run(folder, x, target)
    with atomic_path(outputs) as tmp, open(tmp, "wb") as fh:
        np.save(fh, y)
    click.echo(f"{outputs}  {len(y)} outputs of shape {y.shape[1:]} {y.dtype} from {target}")


def _eval(build_dir: Path, data: Path | None) -> dict:
    from edgenn.evaluate.evaluate import evaluate
    from edgenn.evaluate.report import write
    from edgenn.gate import checks, recipe_budgets

    report = evaluate(build_dir, data, _command_line())
    budgets = recipe_budgets(build_dir)
    try:
        report["gates"] = [c.as_dict() for c in checks(report, budgets, build_dir)]
    except EdgeNNError:
        report["gates"] = []  # no budgets in the recipe: nothing to record
    write(report, build_dir)
    return report


def _print_variants(report: dict) -> None:
    from rich.table import Table

    from edgenn.console import out

    table = Table(title=f"{report['model']}: {report['data']['split']} split, {report['data']['samples']} samples")
    from edgenn.evaluate.report import fmt_score, metric_name, score

    columns = (("variant", "left"), ("runner", "left"), (metric_name(report), "right"), ("size (B)", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for v in report["variants"]:
        table.add_row(v["name"], v["runner"], fmt_score(report, score(v)), f"{v['size_bytes']:,}")
    out.print(table)
    ag = report["agreement"]
    for name, a in ag["int8"].items():
        r = ag["int8_random_inputs"].get(name)
        extra = (
            f"; random inputs: max {r['max_diff_lsb']} LSB, {r['mismatched_bytes']}/{r['total_bytes']} bytes"
            if r
            else ""
        )
        top1 = (
            f"top-1 {100 * a['top1_agreement']:.2f}%, "
            if report.get("task", "classification") == "classification"
            else ""
        )
        out.print(
            f"int8 {name} vs {ag['int8_reference']}: {top1}"
            f"max {a['max_diff_lsb']} LSB, {a['mismatched_bytes']}/{a['total_bytes']} bytes differ{extra}",
            soft_wrap=True,
        )
    foot = report["footprint"]
    out.print(
        f"flash {foot['flash_bytes']:,} B: {foot['definitions']['flash_bytes']}\nRAM {foot['ram_bytes']:,} B: "
        f"{foot['definitions']['ram_bytes']} (TFLM would need a {foot['tflm_arena_bytes']:,} B arena and "
        f"{foot['tflite_bytes']:,} B of .tflite)",
        soft_wrap=True,
    )


def _print_gates(rows) -> bool:
    from rich.table import Table

    from edgenn.console import out

    table = Table(title="gate")
    for col in ("check", "value", "limit", "result"):
        table.add_column(col)
    for c in rows:
        c = c if isinstance(c, dict) else c.as_dict()
        table.add_row(c["name"], f"{c['value']:g}", f"{c['limit']:g}", "[green]pass" if c["passed"] else "[red]FAIL")
    out.print(table)
    return all((c if isinstance(c, dict) else c.as_dict())["passed"] for c in rows)


@cli.command(name="eval")
@build_dir_argument
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    default=None,
    help="An .npz with 'x' and 'y' to evaluate on instead of the build's test split.",
)
def eval_(build_dir, data):
    """Evaluate every variant in BUILD_DIR: report.json, report.md, accuracy_vs_size.png."""
    report = _eval(build_dir, data)
    _print_variants(report)
    click.echo(f"wrote {build_dir}/report.json, report.md, accuracy_vs_size.png")


@cli.command()
@build_dir_argument
@click.option("--max-flash", type=click.IntRange(min=1), default=None, help="Flash budget in bytes.")
@click.option("--max-ram", type=click.IntRange(min=1), default=None, help="RAM budget in bytes.")
@click.option("--min-accuracy", type=click.FloatRange(0.0, 1.0), default=None, help="Minimum int8 accuracy (0-1).")
@click.option(
    "--max-drop", type=click.FloatRange(min=0.0), default=None, help="Maximum float→int8 accuracy drop, in pp."
)
def gate(build_dir, max_flash, max_ram, min_accuracy, max_drop):
    """Check BUILD_DIR's report against budgets. Exit 0 pass, 1 a budget failed, 2 bad input.

    Options override the recipe's [budgets].
    """
    from edgenn.gate import gate as do_gate

    rows = do_gate(
        build_dir,
        max_flash_bytes=max_flash,
        max_ram_bytes=max_ram,
        min_int8_accuracy=min_accuracy,
        max_accuracy_drop_pp=max_drop,
    )
    if not _print_gates(rows):
        sys.exit(EXIT_BUDGET_FAILED)


def _codegen_and_build(build_dir: Path) -> None:
    """Generate the C and build it for the host, so that eval can run it; skip without a compiler."""
    import shutil

    from edgenn import layout
    from edgenn.console import err
    from edgenn.export.codegen import codegen as do_codegen
    from edgenn.toolchain import build

    try:
        folder = do_codegen(build_dir, build_dir / layout.C_DIR, None, _command_line())
    except UnsupportedError as exc:
        err.print(f"[yellow]no C for this model: {exc.message}")
        return
    if shutil.which("gcc") is None or shutil.which("make") is None:
        err.print("[yellow]gcc or make not found: the C variant is not built or evaluated")
        return
    build(folder, "host")
    if shutil.which("arm-none-eabi-gcc"):  # flash and RAM as a Cortex-M4 holds them
        build(folder, "cortex-m4")


def _frontend_build(recipe, build_dir: Path) -> None:
    """Audio recipes: link the frontend with the model for the Cortex-M4, so the footprint counts both."""
    import shutil

    if recipe.frontend.kind == "none" or not shutil.which("arm-none-eabi-gcc"):
        return
    from edgenn import layout
    from edgenn.fileio import write_json
    from edgenn.frontend.kws import build_kws, footprint

    build_kws(build_dir, "cortex-m4")
    write_json(build_dir / layout.FRONTEND_FOOTPRINT, {"target": "cortex-m4", "parts": footprint(build_dir)})


@cli.command()
@recipe_argument
@output_option
@data_option
def run(recipe, output, data):
    """Train, convert, export and evaluate RECIPE, then check its budgets."""
    from edgenn.console import err
    from edgenn.convert import convert as do_convert
    from edgenn.export.carray import export as do_export
    from edgenn.train.fit import train as do_train
    from edgenn.train.speaker import speaker_held_out

    r, out = _recipe_and_dir(recipe, output, data)
    err.print(f"[bold]edgenn run[/bold] {r.name} → {out}")
    do_train(r, out)
    do_convert(out)
    do_export(out, command=_command_line())
    _codegen_and_build(out)
    _frontend_build(r, out)
    speaker_held_out(r, out)
    report = _eval(out, None)
    _print_variants(report)
    if report["gates"] and not _print_gates(report["gates"]):
        sys.exit(EXIT_BUDGET_FAILED)


def _floats(name: str):
    def parse(ctx, param, value):
        if value is None:
            return None
        try:
            return tuple(float(v) for v in value.split(",") if v.strip())
        except ValueError:
            raise click.BadParameter(f"{name} must be comma-separated numbers, got {value!r}") from None

    return parse


@cli.command()
@recipe_argument
@click.option(
    "--sparsity", callback=_floats("--sparsity"), default=None, help="Unstructured sparsities. Default: 0,0.5,0.75,0.9."
)
@click.option(
    "--channels",
    callback=_floats("--channels"),
    default=None,
    help="Fractions of each layer's filters kept (structured pruning). Default: 1,0.75,0.5.",
)
@click.option("--quant", default=None, help="Comma-separated quantization variants. Default: int8_per_channel.")
@click.option(
    "-o", "--output", "output", type=click.Path(path_type=Path), default=None, help="Default: build/<recipe>-sweep."
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Processes. Default: the CPU count.")
@click.option("--no-classical", is_flag=True, help="Leave out the classical baselines.")
@data_option
def sweep(recipe, sparsity, channels, quant, output, jobs, no_classical, data):
    """Prune and quantize RECIPE's model over a grid; write sweep.json, sweep.md and pareto.png.

    Resumable: finished points are cached in the output folder.
    """
    import os

    from edgenn.optimize import sweep as sw
    from edgenn.recipe import load_recipe

    r = load_recipe(recipe)
    out = output or Path("build") / f"{r.name}-sweep"
    result = sw.sweep(
        recipe,
        out,
        channels=channels or sw.DEFAULT_CHANNELS,
        sparsity=sparsity or sw.DEFAULT_SPARSITY,
        quant=tuple(q.strip() for q in quant.split(",") if q.strip()) if quant else sw.DEFAULT_QUANT,
        jobs=jobs or os.cpu_count() or 1,
        classical=not no_classical,
        command=_command_line(),
        data=data,
    )
    _print_sweep(result, out)


def _print_sweep(result: dict, out: Path) -> None:
    from rich.table import Table

    from edgenn.console import out as console
    from edgenn.optimize.sweep_report import PARETO_PNG, SWEEP_JSON, SWEEP_MD

    table = Table(title=f"{result['recipe']}: Pareto front of {len(result['points'])} points (test split)")
    for col, justify in (("name", "left"), ("accuracy", "right"), ("flash (B)", "right"), ("RAM (B)", "right")):
        table.add_column(col, justify=justify)
    for p in sorted((p for p in result["points"] if p["pareto"]), key=lambda p: p["flash_bytes"]):
        ram = "—" if p.get("ram_bytes") is None else f"{p['ram_bytes']:,}"
        table.add_row(p["name"], f"{100 * p['accuracy']:.2f}%", f"{p['flash_bytes']:,}", ram)
    console.print(table)
    console.print(f"wrote {out / SWEEP_JSON}, {out / SWEEP_MD}, {out / PARETO_PNG}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error a user can fix becomes one line on stderr and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="edgenn", standalone_mode=False)
    except EdgeNNError as exc:
        click.echo(f"edgenn: error: {exc.line()}", err=True)
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
