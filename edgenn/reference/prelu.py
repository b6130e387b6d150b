"""PRELU, int8: TFLM's CalculatePreluParams + reference_ops::BroadcastPrelu4DSlow.

Each input minus its zero point is requantized with input_scale / output_scale where it is >= 0;
below, it is first multiplied by its alpha code minus alpha's zero point and requantized with
input_scale * alpha_scale / output_scale. Both ratios are formed in double from the float32 scales.
Alpha (a constant in converted models, though any int8 tensor works) broadcasts against the input
as NumPy does; TFLM's kernel handles at most four dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _binary_math as bm
from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "PRELU"
TFLM_RESOLVER = "AddPrelu"
IN_PLACE = True
C_DEPENDS = ("elementwise",)

# BroadcastPrelu4DSlow extends every shape to four dimensions.
MAX_RANK = 4


@dataclass(frozen=True)
class Params:
    input_offset: int
    alpha_offset: int
    output_offset: int
    identity_multiplier: int
    identity_shift: int
    alpha_multiplier: int
    alpha_shift: int
    input_shape: tuple[int, ...]  # views under which NumPy broadcasting matches TFLM's loop
    alpha_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def _multiplier(ctx: OpContext, real: float, what: str) -> tuple[int, int]:
    # QuantizeMultiplier has no answer for an infinity or a NaN (an output scale of 0, say).
    if not np.isfinite(real):
        raise ctx.fail(f"the {what} multiplier is {real}; a finite one is needed")
    return fp.quantize_multiplier(real)


def prepare(ctx: OpContext) -> Params:
    inp, alpha, out = bm.int8_operands(ctx)
    ew.check_rank(ctx, inp, alpha, out, limit=MAX_RANK)
    s_in, z_in = ctx.per_tensor(inp)
    s_alpha, z_alpha = ctx.per_tensor(alpha)
    s_out, z_out = ctx.per_tensor(out)
    s_in, s_alpha, s_out = (float(np.float32(s)) for s in (s_in, s_alpha, s_out))
    with np.errstate(divide="ignore", invalid="ignore"):
        identity = float(np.float64(s_in) / np.float64(s_out))
        scaled = float(np.float64(s_in) * np.float64(s_alpha) / np.float64(s_out))
    identity_multiplier, identity_shift = _multiplier(ctx, identity, "identity")
    alpha_multiplier, alpha_shift = _multiplier(ctx, scaled, "alpha")
    ew.require_c_shift(ctx, identity_shift, alpha_shift)
    input_shape, alpha_shape = ew.binary_shapes(ctx, inp, alpha, out)
    return Params(
        -z_in,
        -z_alpha,
        z_out,
        identity_multiplier,
        identity_shift,
        alpha_multiplier,
        alpha_shift,
        input_shape,
        alpha_shape,
        tuple(out.shape),
    )


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.input_shape).astype(np.int64) + p.input_offset
    a = inputs[1].reshape(p.alpha_shape).astype(np.int64) + p.alpha_offset
    x, a = np.broadcast_arrays(x, a)
    up = fp.multiply_by_quantized_multiplier(x, p.identity_multiplier, p.identity_shift)
    down = fp.multiply_by_quantized_multiplier(x * a, p.alpha_multiplier, p.alpha_shift)
    y = np.where(x >= 0, up, down) + p.output_offset
    return np.clip(y, -128, 127).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_prelu_params",
        {
            "input_offset": p.input_offset,
            "alpha_offset": p.alpha_offset,
            "output_offset": p.output_offset,
            "identity_multiplier": p.identity_multiplier,
            "identity_shift": p.identity_shift,
            "alpha_multiplier": p.alpha_multiplier,
            "alpha_shift": p.alpha_shift,
            "broadcast": ew.c_broadcast(ew.broadcast_plan(p.input_shape, p.alpha_shape, p.output_shape)),
        },
    )
    return f"edgenn_prelu({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
