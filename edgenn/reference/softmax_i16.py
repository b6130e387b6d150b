"""SOFTMAX, int16x8: TFLM's reference_ops::SoftmaxInt16, built on two 513-entry lookup tables.

The difference to the row maximum, rescaled so that [-65535, 0] spans [-10, 0] (beta and the input
scale in one multiplier), is recentred to int16 and looked up in an exp table; the sum of the row's
exps is normalized to its leading one bit, recentred and looked up in a 1/(1 + x) table, and each exp
times that reciprocal, rounded, is the output: zero point 0, scale about 1/32768 (TFLM allows 0.1%).
TFLM fills both tables in float32 when the model loads; export fills them the same way
(edgenn.reference._int16.lut_int16) and the C reads them from flash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _int16
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "SOFTMAX"
TFLITE_OPTIONS = "SoftmaxOptions"
CONSTANTS = ("quantization", "tables")
C_DEPENDS = ("int16x8",)

RANGE = 65535  # int16 max - min: TFLM's tables span this many input codes
OUTPUT_SCALE = np.float32(1.0 / 32768)
OUTPUT_SCALE_TOLERANCE = np.float32(0.001) * OUTPUT_SCALE


@dataclass(frozen=True)
class Params:
    input_multiplier: int  # input scale * beta / (10 / 65535) as a Q31 multiplier ...
    input_shift: int  # ... and its shift
    depth: int
    output_shape: tuple[int, ...]


def exp_table() -> np.ndarray:
    """exp on [-10, 0] (inputs recentred from [-65535, 0]), Q0.15."""
    return _int16.lut_int16(_int16.expf, 10.0 / RANGE, _int16.INT16_MAX, 2.0 / RANGE, 0)


def reciprocal_table() -> np.ndarray:
    """1 / (1 + x) on [0, 1] (inputs recentred from [0, 65535]), Q0.15."""
    return _int16.lut_int16(
        lambda x: np.float32(1) / (np.float32(1) + x), 1.0 / RANGE, _int16.INT16_MIN, 2.0 / RANGE, 0
    )


def prepare(ctx: OpContext) -> Params:
    inp, out = ctx.input(0), ctx.output()
    (in_scale, _), (out_scale, _) = _int16.activations(ctx, inp, out)
    if len(inp.shape) < 1 or tuple(inp.shape) != tuple(out.shape):
        raise ctx.fail(f"input shape {inp.shape} and output shape {out.shape} differ (or are scalars)")
    if abs(np.float32(out_scale) - OUTPUT_SCALE) > OUTPUT_SCALE_TOLERANCE:
        raise ctx.fail(f"int16 SOFTMAX output must have scale 1/32768 (within 0.1%), has {out_scale}")
    if in_scale <= 0:
        raise ctx.fail(f"input scale {in_scale} is not positive")
    beta = getattr(ctx.options, "beta", 1.0) if ctx.options is not None else 1.0
    # TFLM widens the float32 scale and beta to double.
    real = float(np.float32(in_scale)) * float(np.float32(beta)) / (10.0 / RANGE)
    multiplier, shift = fp.quantize_multiplier(real)
    if shift > 31 - 16:  # the int32 rescale of a 16-bit difference would overflow before it rounds
        raise ctx.fail(f"input scale {in_scale} times beta {beta} is too large for TFLM's int16 SOFTMAX")
    return Params(multiplier, shift, int(inp.shape[-1]), tuple(out.shape))


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(-1, p.depth).astype(np.int64)
    diff = x - x.max(axis=1, keepdims=True)
    scaled = fp.multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_shift)
    exps = _int16.lut_lookup(np.clip(scaled + 32767, _int16.INT16_MIN, _int16.INT16_MAX), exp_table())
    total = exps.sum(axis=1, keepdims=True)
    # CountLeadingZeros of the (positive) sum.
    headroom = 32 - np.array([int(v).bit_length() for v in total.ravel()], np.int64).reshape(total.shape)
    shifted = ((total << (headroom - 1)) + (1 << 13)) >> 14
    recentred = np.clip(shifted - (1 << 15) - (1 << 16), _int16.INT16_MIN, _int16.INT16_MAX)
    reciprocal = _int16.lut_lookup(recentred, reciprocal_table())
    right = 31 - headroom
    out = (exps * reciprocal + (np.int64(1) << (right - 1))) >> right
    return np.clip(out, 0, _int16.INT16_MAX).astype(np.int16).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_softmax_i16_params",
        {
            "rows": int(np.prod(p.output_shape[:-1], dtype=np.int64)),
            "depth": p.depth,
            "input_multiplier": p.input_multiplier,
            "input_shift": p.input_shift,
            "exp_lut": e.array("int16_t", exp_table(), "exp_lut", "tables"),
            "reciprocal_lut": e.array("int16_t", reciprocal_table(), "reciprocal_lut", "tables"),
        },
    )
    return f"edgenn_softmax_i16({params}, {e.input(0)}, {e.output()});"
