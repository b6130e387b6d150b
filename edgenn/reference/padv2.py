"""PADV2, int8: TFLM's pad.cc (the same PadPrepare and reference_ops::Pad as PAD), filling with the
code of the constant third input instead of the output zero point.

TFLM requires that constant to be one int8 value quantized exactly like the output (same scale and
zero point); its code is copied as it is. Everything else (checks, reference, C kernel) is PAD's.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from edgenn.reference import pad
from edgenn.reference.base import OpContext

NAME = "PADV2"
TFLM_RESOLVER = "AddPadV2"
TFLITE_OPTIONS = "PadV2Options"
C_DEPENDS = ("pad",)

Params = pad.Params
run = pad.run


def prepare(ctx: OpContext) -> Params:
    value = ctx.require_dtype(ctx.input(2), "int8")
    out = ctx.output()
    data = ctx.const(value)
    if data.size != 1:
        raise ctx.fail(f"the pad value must hold one element, has shape {value.shape}")
    if ctx.per_tensor(value) != ctx.per_tensor(ctx.require_dtype(out, "int8")):
        raise ctx.fail(
            f"the pad value's quantization {ctx.per_tensor(value)} differs from the output's {ctx.per_tensor(out)}"
        )
    # The rest is PAD's prepare on the first two inputs.
    base = pad.prepare(replace(ctx, op=replace(ctx.op, inputs=ctx.op.inputs[:2])))
    return replace(base, pad_value=int(np.asarray(data).reshape(-1)[0]))


def emit(p: Params, e) -> str:
    return pad.emit(p, e).replace("edgenn_pad(", "edgenn_padv2(", 1)
