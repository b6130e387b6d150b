"""Shared by the two-input int8 ops that MUL's single rescale does not cover.

ADD, SUB and SQUARED_DIFFERENCE (TFLM's CalculateOpDataAdd / CalculateOpDataSub / squared_difference.cc
PrepareQuantized): both inputs are shifted left, scaled by their share of twice the larger input scale
(MultiplyByQuantizedMultiplierSmallerThanOneExp), combined (sum, difference, squared difference),
then scaled to the output and clamped. The real multipliers are divided in double on the float32
scales (parsed exactly, so Python floats reproduce it): sub_common.cc in TFLM's tree writes SUB's
divisions in float32, but the TFLM build that is the oracle here (the tflite_micro wheel) divides in
double (divsd), and it is double that matches it bit for bit (tests/kernels/test_binary_math.py pins
a case where the two differ). The C takes one parameter struct for the three, edgenn_add_params.

MAXIMUM and MINIMUM (TFLM's reference_ops::MaximumMinimumBroadcastSlow) compare the raw int8 codes
and copy the winner out: TFLM has no Prepare, so it checks no quantization and rescales nothing. The
codes stand for the larger or smaller real value only when both inputs and the output share one scale
and zero point (the converter always gives them one), so a model where they differ is refused rather
than run to TFLM's meaningless bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext, RowWindow


def int8_operands(ctx: OpContext, dtype: str = "int8"):
    """The two inputs and the output, each required to be int8 (MUL's too), or `dtype`."""
    return (
        ctx.require_dtype(ctx.input(0), dtype),
        ctx.require_dtype(ctx.input(1), dtype),
        ctx.require_dtype(ctx.output(), dtype),
    )


# --- ADD, SUB, SQUARED_DIFFERENCE ------------------------------------------------------------------


@dataclass(frozen=True)
class RescaledParams:
    input1_offset: int
    input2_offset: int
    output_offset: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int
    input1_shape: tuple[int, ...]  # views under which NumPy broadcasting matches TFLM's loops
    input2_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    dtype: str = "int8"  # of the inputs and the output (int16 for the int16x8 ADD)
    # Elements of the whole op where these params are one row's of it (stripe): the kernel path is
    # the whole op's choice, not the row's
    whole_size: int = 0


def real_multipliers(s1: float, s2: float, so: float, left_shift: int) -> tuple[float, float, float]:
    """ADD's and SUB's three real multipliers: double arithmetic on the float32 scales."""
    twice_max = 2.0 * max(s1, s2)
    return s1 / twice_max, s2 / twice_max, twice_max / ((1 << left_shift) * so)


def squared_real_multipliers(s1: float, s2: float, so: float, left_shift: int) -> tuple[float, float, float]:
    """SQUARED_DIFFERENCE's: the output one is twice the larger scale squared over 2^(2 * left_shift)
    times the output scale, that product a float32 one in TFLM (exact unless it overflows)."""
    twice_max = 2.0 * max(s1, s2)
    with np.errstate(over="ignore"):
        denominator = float(np.float32(1 << (2 * left_shift)) * np.float32(so))
    return s1 / twice_max, s2 / twice_max, twice_max * twice_max / denominator


def prepare_rescaled(ctx: OpContext, left_shift: int, *, squared: bool = False, dtype: str = "int8") -> RescaledParams:
    """ADD and SUB (`squared` False): every multiplier below one, the fused activation's clamp.
    SQUARED_DIFFERENCE (`squared` True): an output multiplier of any size, no activation (the int8 range).
    `dtype` is that of the inputs and the output."""
    in1, in2, out = int8_operands(ctx, dtype)
    limits = (np.iinfo(dtype).min, np.iinfo(dtype).max)
    s1, z1 = ctx.per_tensor(in1)
    s2, z2 = ctx.per_tensor(in2)
    so, zo = ctx.per_tensor(out)
    real1, real2, real_out = (squared_real_multipliers if squared else real_multipliers)(s1, s2, so, left_shift)
    if not squared:
        ew.smaller_than_one(ctx, real1, "input 1")
        ew.smaller_than_one(ctx, real2, "input 2")
        ew.smaller_than_one(ctx, real_out, "output")
    m1, sh1 = fp.quantize_multiplier(real1)
    m2, sh2 = fp.quantize_multiplier(real2)
    mo, sho = fp.quantize_multiplier(real_out)
    act_min, act_max = limits if squared else fp.activation_range(ctx.activation(), so, zo, *limits)
    shape1, shape2 = ew.binary_shapes(ctx, in1, in2, out)
    ew.require_c_shift(ctx, sh1, sh2, sho)
    return RescaledParams(
        -z1, -z2, zo, left_shift, m1, sh1, m2, sh2, mo, sho, act_min, act_max, shape1, shape2, out.shape, dtype
    )


def run_rescaled(p: RescaledParams, inputs, combine: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Both inputs rescaled to the shared scale, `combine`d, scaled to the output and clamped."""
    a = (inputs[0].reshape(p.input1_shape).astype(np.int64) + p.input1_offset) << p.left_shift
    b = (inputs[1].reshape(p.input2_shape).astype(np.int64) + p.input2_offset) << p.left_shift
    a = fp.multiply_by_quantized_multiplier(a, p.input1_multiplier, p.input1_shift)
    b = fp.multiply_by_quantized_multiplier(b, p.input2_multiplier, p.input2_shift)
    acc = fp.multiply_by_quantized_multiplier(combine(a, b), p.output_multiplier, p.output_shift) + p.output_offset
    return np.clip(acc, p.act_min, p.act_max).astype(p.dtype).reshape(p.output_shape)


def emit_rescaled(p: RescaledParams, e, function: str, walk=None) -> str:
    """The call of edgenn_add, edgenn_sub or edgenn_squared_difference, which share edgenn_add_params;
    `walk`, where given, rewrites the broadcast plan for the kernel."""
    plan = ew.broadcast_plan(p.input1_shape, p.input2_shape, p.output_shape)
    params = e.struct(
        "edgenn_add_params",
        {
            "input1_offset": p.input1_offset,
            "input2_offset": p.input2_offset,
            "output_offset": p.output_offset,
            "left_shift": p.left_shift,
            "input1_multiplier": p.input1_multiplier,
            "input1_shift": p.input1_shift,
            "input2_multiplier": p.input2_multiplier,
            "input2_shift": p.input2_shift,
            "output_multiplier": p.output_multiplier,
            "output_shift": p.output_shift,
            "act_min": p.act_min,
            "act_max": p.act_max,
            "broadcast": ew.c_broadcast(plan if walk is None else walk(plan)),
        },
    )
    return f"{function}({params}, {e.input(0)}, {e.input(1)}, {e.output()});"


# --- MAXIMUM, MINIMUM ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    input1_shape: tuple[int, ...]  # views under which NumPy broadcasting matches TFLM's loops
    input2_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def prepare_compare(ctx: OpContext) -> Params:
    in1, in2, out = int8_operands(ctx)
    why = "TFLM compares int8 codes without rescaling"
    ew.require_same_quantization(ctx, in1, out, why)
    ew.require_same_quantization(ctx, in2, out, why)
    shape1, shape2 = ew.binary_shapes(ctx, in1, in2, out)
    return Params(shape1, shape2, out.shape)


def run_compare(p: Params, inputs, pick: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """`pick` (np.maximum or np.minimum) of the int8 codes, broadcast."""
    a = inputs[0].reshape(p.input1_shape)
    b = inputs[1].reshape(p.input2_shape)
    return pick(a, b).astype(np.int8).reshape(p.output_shape)


def emit_compare(p: Params, e, function: str) -> str:
    """The call of edgenn_maximum or edgenn_minimum, whose parameters are only the broadcast walk."""
    plan = ew.broadcast_plan(p.input1_shape, p.input2_shape, p.output_shape)
    params = e.struct(f"{function}_params", {"broadcast": ew.c_broadcast(plan)})
    return f"{function}({params}, {e.input(0)}, {e.input(1)}, {e.output()});"


# --- in a row-streamed chain ----------------------------------------------------------------------


def row_window(graph, op) -> RowWindow | None:
    """Output row r of an elementwise op on two int8 batch-1 NHWC tensors of the output's shape reads
    row r of each: a row-streamed chain may hold it, one input from the layer before, the other a
    whole tensor in the arena (a residual block's skip)."""
    ins = [t for t in op.inputs if t >= 0]
    if len(ins) != 2 or len(op.outputs) != 1:
        return None
    a, b, out = graph.tensors[ins[0]], graph.tensors[ins[1]], graph.tensors[op.outputs[0]]
    if not (a.shape == b.shape == out.shape) or len(out.shape) != 4 or out.shape[0] != 1:
        return None
    if {a.dtype, b.dtype, out.dtype} != {"int8"} or a.data is not None or b.data is not None:
        return None
    return RowWindow(1, 1, 0)


def stripe(params: RescaledParams, row: int, pad_top: int) -> RescaledParams:
    """The params for one output row (row_window's ops): every tensor one row."""
    n = int(np.prod(params.output_shape[2:]))
    whole = int(np.prod(params.output_shape))
    return replace(
        params, input1_shape=(n,), input2_shape=(n,), output_shape=(1, 1, *params.output_shape[2:]), whole_size=whole
    )
