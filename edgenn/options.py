"""The options several `edgenn` commands share, each declared once (the CLI only attaches them)."""

from __future__ import annotations

from pathlib import Path

import click

from edgenn.layout import TASKS
from edgenn.optimize.executor import EXECUTORS
from edgenn.recipe import OPTIMIZE
from edgenn.targets import TARGETS


def path(**kwargs):
    return click.Path(path_type=Path, **kwargs)


# Options shared by several commands, each defined once.
recipe_argument = click.argument("recipe", type=path())
build_dir_argument = click.argument("build_dir", type=path())
target_argument = click.argument("target", type=path())
output_option = click.option(
    "-o",
    "--output",
    type=path(),
    default=None,
    help="Where to write. Default: build/<model name>, or as the command says.",
)
name_option = click.option(
    "--name", default=None, help="The C symbol prefix and file names. Default: the model's name."
)
data_option = click.option(
    "--data",
    type=path(),
    default=None,
    help="Data instead of the default: a recipe's dataset (an .npz or a folder of WAVs) for train, run and sweep; "
    "for eval, an .npz with 'x' and 'y' ('y' optional for anomaly detection: 0 normal, else anomalous) evaluated "
    "instead of the build's test split.",
)
calib_option = click.option(
    "--calib",
    type=path(),
    default=None,
    help="Model file only: an .npz whose 'x_calib' (else 'x') holds calibration samples shaped like one model "
    "input. Default: 100 random inputs uniform in [0, 1], seed 0, with a warning.",
)
task_option = click.option(
    "--task",
    type=click.Choice(TASKS),
    default=None,
    help="Model file only: what the model does, for eval's metric. Default: anomaly when the output has the "
    "input's shape (an autoencoder), else classification.",
)
device_target_option = click.option(
    "--target",
    type=click.Choice(list(TARGETS)),
    default="host",
    show_default=True,
    help="The core: the host, or an emulated board per core (edgenn/targets.py; see `edgenn firmware targets`).",
)


class IncreaseType(click.ParamType):
    """An allowed increase over the baseline: '2%' or an amount (bytes, instructions)."""

    name = "N|P%"

    def convert(self, value, param, ctx):
        from edgenn.recipe import Increase

        try:
            return Increase.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Floats(click.ParamType):
    """Comma-separated numbers, as a tuple of floats."""

    name = "numbers"

    def convert(self, value, param, ctx):
        try:
            return tuple(float(v) for v in str(value).split(",") if v.strip())
        except ValueError:
            self.fail(f"must be comma-separated numbers, got {value!r}", param, ctx)


def _compress(ctx, param, value: str) -> str:
    from edgenn.export.packing import allowed

    try:
        allowed(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


optimize_option = click.option(
    "--optimize",
    type=click.Choice(OPTIMIZE),
    default="speed",
    show_default=True,
    help="What the kernels are built for: 'speed' (pair paths, specialized and unrolled loops, -O2) or 'size' (one "
    "general loop per kernel with the core's dot products, nothing forced inline, -Os): the same output bytes in "
    "less flash and more instructions.",
)

compress_option = click.option(
    "--compress",
    default="auto",
    show_default=True,
    callback=_compress,
    metavar="ENCODINGS",
    help="How the C may pack the layers' int8 weights, each where it holds them exactly and saves flash: 'auto' "
    "(any encoding, on the layers where the arena stays as small), 'none', or a comma-separated list of int4, "
    "lut2, lut3, lut4 (a table per channel, or one per layer where its weights allow: lut2t, lut3t, lut4t say the "
    "same), sparse (wherever they apply). `edgenn compress` makes a model whose weights they hold.",
)
executor_option = click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="Where the jobs run: local processes, or Ray tasks (the [scale] extra; a local Ray instance of -j "
    "CPUs unless --address names a cluster).",
)
address_option = click.option(
    "--address",
    default=None,
    help="The Ray cluster to run on (ray://HOST:10001, or auto). Needs --executor ray.",
)
