"""What every op module sees: the op, its tensors, and checks that fail with a clear message.

An op module (one per TFLite op, same name as its C twin in edgenn/firmware/src/) defines:

    NAME = "CONV_2D"
    def prepare(ctx: OpContext) -> params     # all checks and export-time arithmetic
    def run(params, inputs) -> np.ndarray      # the NumPy reference; inputs[i] is op input i
    def emit(params, e: OpEmitter) -> str      # the C statement(s) that call the firmware kernel

and, where it differs from the defaults in `Traits`, what the planner, the MACs count, analyze and
the TFLM C array need to know of it (docs/adding-an-op.md walks through one).

`prepare` does every check (dtypes, options, shapes) so that `run`, `emit` and the C kernel stay
plain: a model `prepare` accepts is one the op runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import Graph, Op, Tensor, schema

ACTIVATIONS = {v: k for k, v in vars(schema.ActivationFunctionType).items() if not k.startswith("_")}
PADDINGS = {v: k for k, v in vars(schema.Padding).items() if not k.startswith("_")}


# What a constant that `emit` declares holds (OpEmitter.array's `kind`); analyze splits flash by it.
CONSTANT_KINDS = ("weights", "biases", "quantization", "tables")

# The kernel paths a layer can take that the C compiles only where some layer of the model takes them:
# `emit` reports each one its params select (OpEmitter.use), from the same values it writes into them,
# and codegen writes their union into the folder's edgenn/config.h as EDGENN_USE_<NAME> 0 or 1. The
# library's own config.h is codegen.config_header with every one on.
FEATURES = {
    "CONV_DENSE": "CONV_2D layer on int8 weights, or on packed ones unpacked a group of channels at a time",
    "FC_DENSE": "FULLY_CONNECTED layer on int8 weights, or on packed ones unpacked a group of channels at a time",
    "CONV_PLAIN": "CONV_2D layer the DSP cores' pair path declines (conv_2d.features): the plain loops",
    "DW_LINE": "DEPTHWISE_CONV_2D with one input channel on the line buffer (wpack set)",
    "DW_SAME": "DEPTHWISE_CONV_2D with depth multiplier 1 (no wpack)",
    "DW_GENERAL": "DEPTHWISE_CONV_2D with depth multiplier above 1 (no wpack)",
    "DW_3X3_FULL": "depthwise multiplier 1, 3x3, one-multiply requantization, activation range all of int8",
    "DW_3X3_ACT": "depthwise multiplier 1, 3x3, one-multiply requantization, a narrower activation range",
    "RQ_TWO_STEP": "a convolution-like layer requantizing in TFLM's two steps (rq_k == 0)",
    "PER_CHANNEL": "a convolution-like layer whose multipliers or shifts differ between output channels",
    "CONV_INT4": "CONV_2D with int4 weights (packed.h) read in the pair path's loop, on every core",
    "FC_INT4": "FULLY_CONNECTED with int4 weights (packed.h): read in its loop, no scratch",
    "CONV_SPARSE": "CONV_2D with sparse weights (packed.h) read in the pair path's loop: zero blocks skipped",
    "FC_SPARSE": "FULLY_CONNECTED with sparse weights (packed.h): zero blocks skipped, no scratch",
    "CONV_LUT4": "CONV_2D with 4-bit indices into one table (packed.h) read in the pair path's loop, two a lookup",
    "FC_LUT4": "FULLY_CONNECTED with 4-bit indices into one table (packed.h) read in its loop, two a lookup",
    "UNPACK": "a packed layer whose weights are unpacked a group of channels at a time into its scratch",
    "UNPACK_NIBBLES": "an unpacked layer's 4-bit indices into tables (lut4)",
    "UNPACK_PAIRS": "an unpacked layer's paired 4-bit indices into one table (lut4, one table a layer)",
    "UNPACK_BITS": "an unpacked layer's 2- or 3-bit indices into tables (lut2, lut3)",
    "UNPACK_INT4": "an unpacked layer's int4 values",
    "UNPACK_SPARSE": "an unpacked layer's sparse blocks",
}


# How the folder's kernels are built, beside the paths its layers take: config.h carries these too
# (EDGENN_USE_<NAME>), off in the library's own. `codegen --optimize size` turns OPTIMIZE_SIZE on.
SETTINGS = {
    "OPTIMIZE_SIZE": "kernels built for flash (codegen --optimize size): a general loop each, -Os, none forced inline",
}

# Paths that only make a layer faster, each beside a general one that computes the same bytes: a
# folder built for flash leaves them off (the kernels then take the general path).
SPEED_ONLY = frozenset({"DW_3X3_FULL", "DW_3X3_ACT"})


def no_macs(graph: Graph, op: Op) -> int:
    return 0


def no_streaming(graph: Graph, op: Op) -> int | None:
    return None


def no_rows(graph: Graph, op: Op) -> RowWindow | None:
    return None


@dataclass(frozen=True)
class RowWindow:
    """How an op's output rows depend on the rows of its input 0: output row r reads input rows
    [r * stride - pad_top, r * stride - pad_top + rows), clipped to the input."""

    rows: int  # the filter's height, dilation included
    stride: int
    pad_top: int


@dataclass(frozen=True)
class Traits:
    """What code other than the interpreter and codegen needs to know of an op, read off its module.

    An op module declares only what differs from these defaults, so that the planner, the MACs
    count, analyze and the C array never name an op type:

        IN_PLACE = True       the C reads each element before writing it, so the output may take
                              the bytes of an input of the same shape and dtype that dies there
        ALIAS = True          the output is input 0's bytes under another shape: no code, no bytes
        def streaming_gap(graph, op) -> int | None
                              bytes by which input 0 must start after the output so that writing
                              the output in order never overwrites input still to be read; None
                              where the op cannot share bytes that way
        def row_window(graph, op) -> RowWindow | None
                              which input rows each output row reads, for an op whose kernel can
                              compute any band of output rows from just those input rows (with its
                              params' window: pad_top and out_h) and that a row-streamed chain
                              (edgenn/export/stream.py) may hold; None where it cannot
        def macs(graph, op) -> int
                              multiply-accumulates of one run
        CONSTANTS = (...)     the kinds (CONSTANT_KINDS) of the constants `emit` computes; a model
                              constant that `emit` passes through as it is counts as "weights"
        TFLM_RESOLVER = "AddConv2D"
                              TFLM's MicroMutableOpResolver method that registers the op
        TFLITE_OPTIONS = "Conv2DOptions"
                              the schema table `ctx.options` holds (tests build one-op models with it)
        TYPES = ("int8",)     the activation types the kernels compute in (int8, int16x8, float32)
    """

    in_place: bool = False
    alias: bool = False
    streaming_gap: Callable[[Graph, Op], int | None] = no_streaming
    row_window: Callable[[Graph, Op], RowWindow | None] = no_rows
    macs: Callable[[Graph, Op], int] = no_macs
    constants: tuple[str, ...] = ()
    tflm_resolver: str | None = None
    tflite_options: str | None = None
    types: tuple[str, ...] = ("int8",)

    @classmethod
    def of(cls, module) -> Traits:
        d = cls()
        return cls(
            in_place=getattr(module, "IN_PLACE", d.in_place),
            alias=getattr(module, "ALIAS", d.alias),
            streaming_gap=getattr(module, "streaming_gap", d.streaming_gap),
            row_window=getattr(module, "row_window", d.row_window),
            macs=getattr(module, "macs", d.macs),
            constants=tuple(getattr(module, "CONSTANTS", d.constants)),
            tflm_resolver=getattr(module, "TFLM_RESOLVER", d.tflm_resolver),
            tflite_options=getattr(module, "TFLITE_OPTIONS", d.tflite_options),
            types=tuple(getattr(module, "TYPES", d.types)),
        )


@dataclass(frozen=True)
class OpContext:
    graph: Graph
    op: Op
    # The generated C will run the op: `prepare` then also refuses what the C cannot reproduce
    # bit for bit, which the NumPy reference still runs.
    for_c: bool = False

    @property
    def options(self):
        return self.op.options

    def input(self, i: int) -> Tensor | None:
        """Input tensor i, or None when the optional input is omitted (index -1) or absent."""
        if i >= len(self.op.inputs) or self.op.inputs[i] < 0:
            return None
        return self.graph.tensors[self.op.inputs[i]]

    def output(self, i: int = 0) -> Tensor:
        return self.graph.tensors[self.op.outputs[i]]

    def fail(self, message: str) -> UnsupportedError:
        where = self.graph.path or "<model>"
        return UnsupportedError(where, f"op {self.op.index} ({self.op.name}): {message}")

    def require_dtype(self, tensor: Tensor | None, *dtypes: str) -> Tensor:
        if tensor is None:
            raise self.fail("a required input is missing")
        if tensor.dtype not in dtypes:
            raise self.fail(f"tensor '{tensor.name}' is {tensor.dtype}; supported: {', '.join(dtypes)}")
        return tensor

    def const(self, tensor: Tensor | None) -> np.ndarray:
        if tensor is None or tensor.data is None:
            raise self.fail("expects a constant tensor here")
        return tensor.data

    def per_tensor(self, tensor: Tensor) -> tuple[float, int]:
        """(scale, zero point) of a per-tensor-quantized tensor."""
        if len(tensor.scale) != 1:
            raise self.fail(f"tensor '{tensor.name}' needs per-tensor quantization, has {len(tensor.scale)} scales")
        return tensor.scale[0], tensor.zero_point[0]

    def activation(self) -> str:
        code = getattr(self.options, "fusedActivationFunction", 0) if self.options is not None else 0
        name = ACTIVATIONS.get(code, str(code))
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise self.fail(f"fused activation {name} is not supported")
        return name

    def padding(self) -> str:
        code = self.options.padding
        if code not in PADDINGS:
            raise self.fail(f"padding {code} is not one the schema defines")
        return PADDINGS[code]


def compute_padding(padding: str, in_size: int, filter_size: int, stride: int, dilation: int) -> tuple[int, int]:
    """(output size, leading pad) as TFLite's ComputePaddingHeightWidth does."""
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    else:
        out = (in_size + stride - effective) // stride
    pad = max(0, ((out - 1) * stride + effective - in_size) // 2)
    return out, pad
