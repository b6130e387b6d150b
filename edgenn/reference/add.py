"""ADD, int8: TFLM's CalculateOpDataAdd + reference_integer_ops::Add / BroadcastAdd6DSlow.

Both inputs are shifted left by 20 bits, scaled by their share of twice the larger input scale,
summed, then scaled to the output: three MultiplyByQuantizedMultiplierSmallerThanOneExp roundings
(the arithmetic shared with SUB and SQUARED_DIFFERENCE is in _binary_math).

The C of a large ADD without broadcasting (TABLE_MIN_SIZE elements or more) reads each input's
rescaled value from a 256-entry table export computes (edgenn_add_table): the same values, two
loads instead of two requantizations per element, for 2 KB of flash.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _binary_math as bm
from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "ADD"
TFLM_RESOLVER = "AddAdd"
TFLITE_OPTIONS = "AddOptions"
IN_PLACE = True
CONSTANTS = ("tables",)
C_DEPENDS = ("elementwise", "conv_common")

LEFT_SHIFT = 20  # int8 headroom: |input - zero point| <= 255 still fits int32 after the shift
TABLE_MIN_SIZE = 1024  # elements from which two 1 KB tables pay for themselves in instructions saved

Params = bm.RescaledParams
row_window = bm.row_window  # a row-streamed chain may hold it (stream.py)
stripe = bm.stripe


def prepare(ctx: OpContext) -> Params:
    return bm.prepare_rescaled(ctx, LEFT_SHIFT)


def run(p: Params, inputs) -> np.ndarray:
    return bm.run_rescaled(p, inputs, np.add)


def rescale_table(offset: int, left_shift: int, multiplier: int, shift: int) -> np.ndarray:
    """An input's rescaled value for each int8 code, indexed by the code read as uint8."""
    codes = np.arange(256, dtype=np.int64)
    codes = np.where(codes < 128, codes, codes - 256)
    return fp.multiply_by_quantized_multiplier(fp.wrap_int32((codes + offset) << left_shift), multiplier, shift)


def one_multiply_k(p: Params, table1: np.ndarray, table2: np.ndarray) -> int:
    """edgenn_add_table's rq_k: 2 * output_offset + 1 where edgenn_conv_rq is exact (every sum below 2^30 in
    magnitude, a right shift in [1, 31], a non-negative multiplier), else 0."""
    bound = int(np.abs(table1).max()) + int(np.abs(table2).max())
    if bound >= 1 << 30 or not 1 <= -p.output_shift <= 31 or p.output_multiplier < 0:
        return 0
    return 2 * p.output_offset + 1


def emit(p: Params, e) -> str:
    plan = ew.broadcast_plan(p.input1_shape, p.input2_shape, p.output_shape)
    if plan["kind"] != 0 or max(plan["size"], p.whole_size) < TABLE_MIN_SIZE:
        return bm.emit_rescaled(p, e, "edgenn_add")
    t1 = rescale_table(p.input1_offset, p.left_shift, p.input1_multiplier, p.input1_shift)
    t2 = rescale_table(p.input2_offset, p.left_shift, p.input2_multiplier, p.input2_shift)
    params = e.struct(
        "edgenn_add_table_params",
        {
            "table1": e.array("int32_t", t1, "table1", "tables"),
            "table2": e.array("int32_t", t2, "table2", "tables"),
            "size": plan["size"],
            "output_offset": p.output_offset,
            "output_multiplier": p.output_multiplier,
            "output_shift": p.output_shift,
            "rq_k": one_multiply_k(p, t1, t2),
            "act_min": p.act_min,
            "act_max": p.act_max,
        },
    )
    return f"edgenn_add_table({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
