"""ADD, int16x8: TFLM's AddGeneralParamScale / BroadcastAdd4DSlow on int16 codes, the int8 ADD's
arithmetic with a left shift of 15 (edgenn.reference._binary_math) and int16 clamps. TFLM takes
this general path whatever the options' pot_scale_int16 says."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _binary_math as bm
from edgenn.reference import _int16
from edgenn.reference.base import OpContext

NAME = "ADD"
TFLITE_OPTIONS = "AddOptions"
C_DEPENDS = ("elementwise", "elementwise_i16", "int16x8")

LEFT_SHIFT = 15  # int16 headroom: |input| <= 32768 still fits int32 after the shift

Params = bm.RescaledParams


def prepare(ctx: OpContext) -> Params:
    _int16.activations(ctx, ctx.input(0), ctx.input(1), ctx.output())
    p = bm.prepare_rescaled(ctx, LEFT_SHIFT, dtype="int16")
    _int16.check_broadcast_rank(ctx, p)
    return p


def run(p: Params, inputs) -> np.ndarray:
    return bm.run_rescaled(p, inputs, np.add)


def emit(p: Params, e) -> str:
    return bm.emit_rescaled(p, e, "edgenn_add_i16", _int16.general_walk)
