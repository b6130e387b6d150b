"""AVERAGE_POOL_2D, float32: TFLM's reference_ops::AveragePool (float).

The taps inside the image are summed from 0.0f, rows then columns, and divided by their count;
then the fused activation's clamp. A window wholly in the padding has no average: refused.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference.average_pool_2d import pool_window, valid_counts
from edgenn.reference.base import OpContext

NAME = "AVERAGE_POOL_2D"
TFLM_RESOLVER = "AddAveragePool2D"
TFLITE_OPTIONS = "Pool2DOptions"
TYPES = ("float32",)


def prepare(ctx: OpContext) -> fl.WindowParams:
    inp, out = fl.float_operands(ctx, 0)
    win = pool_window(ctx, inp, out)
    rows, cols = valid_counts(win, inp.shape[1], inp.shape[2])
    if min(rows.min(), cols.min()) < 1:
        raise ctx.fail("a pooling window lies entirely in the padding")
    return fl.window_params(ctx, win, inp, out)


def run(p: fl.WindowParams, inputs) -> np.ndarray:
    w = p.window
    taps = fl.conv_taps(p, inputs[0])
    total = np.zeros(taps.shape[:3] + taps.shape[5:], np.float32)
    for i in range(w.filter_h):
        for j in range(w.filter_w):
            total += taps[:, :, :, i, j, :]
    rows, cols = valid_counts(w, *p.input_shape[1:3])
    count = (rows[:, None] * cols[None, :]).astype(np.float32)[:, :, None]
    return fl.clamp(total / count, p.act_min, p.act_max).reshape(p.output_shape)


def emit(p: fl.WindowParams, e) -> str:
    return fl.emit_window(p, e, "edgenn_average_pool_2d_f32", "NULL", weights=False)
