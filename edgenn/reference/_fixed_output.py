"""Checks shared by the int8 ops whose output quantization TFLM fixes (LOGISTIC, TANH, SOFTMAX, LOG_SOFTMAX)."""

from __future__ import annotations

import numpy as np

from edgenn.graph.tflite import Tensor
from edgenn.reference.base import OpContext


def reject_int16(ctx: OpContext, *tensors: Tensor | None) -> None:
    """Refuse int16 in the int8 kernel with a message that says where int16 activations go."""
    for t in tensors:
        if t is not None and t.dtype == "int16":
            raise ctx.fail(
                f"tensor '{t.name}' is int16: this {ctx.op.name} kernel runs int8 → int8; int16 activations "
                "(16x8 quantization) run int16 → int16 in its int16x8 kernel"
            )


def require_output_quantization(
    ctx: OpContext, out: Tensor, scale: float, zero_point: int, scale_text: str, why: str = ""
) -> None:
    """The output's (scale, zero point) must be the fixed pair; TFLM compares the float32 scales for equality."""
    out_scale, out_zp = ctx.per_tensor(out)
    if out_zp != zero_point or np.float32(out_scale) != np.float32(scale):
        because = f" ({why})" if why else ""
        raise ctx.fail(
            f"int8 {ctx.op.name} output must have scale {scale_text} and zero point {zero_point}{because}, "
            f"has {out_scale} and {out_zp}"
        )
