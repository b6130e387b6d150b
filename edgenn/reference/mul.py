"""MUL, int8: TFLM's CalculateOpDataMul + reference_integer_ops::Mul / BroadcastMul6DSlow.

One multiplier for input1_scale * input2_scale / output_scale (double arithmetic) rescales the
product of the zero-point-corrected inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _binary_math as bm
from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "MUL"
TFLM_RESOLVER = "AddMul"
TFLITE_OPTIONS = "MulOptions"
IN_PLACE = True


@dataclass(frozen=True)
class Params:
    input1_offset: int
    input2_offset: int
    output_offset: int
    multiplier: int
    shift: int
    act_min: int
    act_max: int
    input1_shape: tuple[int, ...]  # views under which NumPy broadcasting matches TFLM's loops
    input2_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    dtype: str = "int8"  # of the inputs and the output (int16 for the int16x8 MUL)


def prepare(ctx: OpContext, dtype: str = "int8") -> Params:
    in1, in2, out = bm.int8_operands(ctx, dtype)
    s1, z1 = ctx.per_tensor(in1)
    s2, z2 = ctx.per_tensor(in2)
    so, zo = ctx.per_tensor(out)
    multiplier, shift = fp.quantize_multiplier(s1 * s2 / so)
    act_min, act_max = fp.activation_range(ctx.activation(), so, zo, np.iinfo(dtype).min, np.iinfo(dtype).max)
    shape1, shape2 = ew.binary_shapes(ctx, in1, in2, out)
    ew.require_c_shift(ctx, shift)
    return Params(-z1, -z2, zo, multiplier, shift, act_min, act_max, shape1, shape2, out.shape, dtype)


def run(p: Params, inputs) -> np.ndarray:
    a = inputs[0].reshape(p.input1_shape).astype(np.int64) + p.input1_offset
    b = inputs[1].reshape(p.input2_shape).astype(np.int64) + p.input2_offset
    acc = fp.multiply_by_quantized_multiplier(a * b, p.multiplier, p.shift) + p.output_offset
    return np.clip(acc, p.act_min, p.act_max).astype(p.dtype).reshape(p.output_shape)


C_DEPENDS = ("elementwise",)


def emit(p: Params, e, function: str = "edgenn_mul", walk=None) -> str:
    """`walk`, where given, rewrites the broadcast plan for the kernel `function`."""
    plan = ew.broadcast_plan(p.input1_shape, p.input2_shape, p.output_shape)
    params = e.struct(
        "edgenn_mul_params",
        {
            "input1_offset": p.input1_offset,
            "input2_offset": p.input2_offset,
            "output_offset": p.output_offset,
            "multiplier": p.multiplier,
            "shift": p.shift,
            "act_min": p.act_min,
            "act_max": p.act_max,
            "broadcast": ew.c_broadcast(plan if walk is None else walk(plan)),
        },
    )
    return f"{function}({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
