"""ADD, int8: TFLM's CalculateOpDataAdd + reference_integer_ops::Add / BroadcastAdd6DSlow.

Both inputs are shifted left by 20 bits, scaled by their share of twice the larger input scale,
summed, then scaled to the output: three MultiplyByQuantizedMultiplierSmallerThanOneExp roundings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "ADD"
TFLM_RESOLVER = "AddAdd"
TFLITE_OPTIONS = "AddOptions"
IN_PLACE = True

LEFT_SHIFT = 20  # int8 headroom: |input - zero point| <= 255 still fits int32 after the shift


@dataclass(frozen=True)
class Params:
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


def prepare(ctx: OpContext) -> Params:
    in1 = ctx.require_dtype(ctx.input(0), "int8")
    in2 = ctx.require_dtype(ctx.input(1), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    s1, z1 = ctx.per_tensor(in1)
    s2, z2 = ctx.per_tensor(in2)
    so, zo = ctx.per_tensor(out)
    # TFLM keeps scales as float32 and widens them to double for this arithmetic; the parsed
    # scales are those float32 values exactly, so Python floats reproduce it.
    twice_max = 2.0 * max(s1, s2)
    real1 = s1 / twice_max
    real2 = s2 / twice_max
    real_out = twice_max / ((1 << LEFT_SHIFT) * so)
    ew.smaller_than_one(ctx, real1, "input 1")
    ew.smaller_than_one(ctx, real2, "input 2")
    ew.smaller_than_one(ctx, real_out, "output")
    m1, sh1 = fp.quantize_multiplier(real1)
    m2, sh2 = fp.quantize_multiplier(real2)
    mo, sho = fp.quantize_multiplier(real_out)
    act_min, act_max = fp.activation_range(ctx.activation(), so, zo)
    shape1, shape2 = ew.binary_shapes(ctx, in1, in2, out)
    ew.require_c_shift(ctx, sh1, sh2, sho)
    return Params(-z1, -z2, zo, LEFT_SHIFT, m1, sh1, m2, sh2, mo, sho, act_min, act_max, shape1, shape2, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    a = (inputs[0].reshape(p.input1_shape).astype(np.int64) + p.input1_offset) << p.left_shift
    b = (inputs[1].reshape(p.input2_shape).astype(np.int64) + p.input2_offset) << p.left_shift
    a = fp.multiply_by_quantized_multiplier(a, p.input1_multiplier, p.input1_shift)
    b = fp.multiply_by_quantized_multiplier(b, p.input2_multiplier, p.input2_shift)
    acc = fp.multiply_by_quantized_multiplier(a + b, p.output_multiplier, p.output_shift) + p.output_offset
    return np.clip(acc, p.act_min, p.act_max).astype(np.int8).reshape(p.output_shape)


C_DEPENDS = ("elementwise",)


def emit(p: Params, e) -> str:
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
            "broadcast": ew.c_broadcast(ew.broadcast_plan(p.input1_shape, p.input2_shape, p.output_shape)),
        },
    )
    return f"edgenn_add({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
