"""TFLite's int16 sigmoid and tanh as the integer LSTM computes them: one shared lookup table.

reference_integer_ops::Logistic and ::Tanh for int16 read `sigmoid_table_uint16` (sigmoid(i/24)
in Q0.16, 256 entries; tanh(x) = 2 sigmoid(2x) - 1 reuses it) and interpolate linearly between
neighbouring entries. The LSTM feeds them Q3.12 gate pre-activations (multiplier 3, i.e. the
table's 1/24 steps, no shift) and the cell state at its own power-of-two scale; both give Q0.15.
The table holds rounded values that no closed formula reproduces, so it is kept as data here and
handed to the C kernel as a constant. The int16 LOGISTIC and TANH ops (logistic_i16, tanh_i16) run
the same two functions on any input scale, with the scaling their Prepare computes (`op_prepare`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _int16
from edgenn.reference.base import OpContext

SIGMOID_TABLE = np.array(
    [
        32768,
        33451,
        34133,
        34813,
        35493,
        36169,
        36843,
        37513,
        38180,
        38841,
        39498,
        40149,
        40794,
        41432,
        42064,
        42688,
        43304,
        43912,
        44511,
        45102,
        45683,
        46255,
        46817,
        47369,
        47911,
        48443,
        48964,
        49475,
        49975,
        50464,
        50942,
        51409,
        51865,
        52311,
        52745,
        53169,
        53581,
        53983,
        54374,
        54755,
        55125,
        55485,
        55834,
        56174,
        56503,
        56823,
        57133,
        57433,
        57724,
        58007,
        58280,
        58544,
        58800,
        59048,
        59288,
        59519,
        59743,
        59959,
        60168,
        60370,
        60565,
        60753,
        60935,
        61110,
        61279,
        61441,
        61599,
        61750,
        61896,
        62036,
        62172,
        62302,
        62428,
        62549,
        62666,
        62778,
        62886,
        62990,
        63090,
        63186,
        63279,
        63368,
        63454,
        63536,
        63615,
        63691,
        63765,
        63835,
        63903,
        63968,
        64030,
        64090,
        64148,
        64204,
        64257,
        64308,
        64357,
        64405,
        64450,
        64494,
        64536,
        64576,
        64614,
        64652,
        64687,
        64721,
        64754,
        64786,
        64816,
        64845,
        64873,
        64900,
        64926,
        64950,
        64974,
        64997,
        65019,
        65039,
        65060,
        65079,
        65097,
        65115,
        65132,
        65149,
        65164,
        65179,
        65194,
        65208,
        65221,
        65234,
        65246,
        65258,
        65269,
        65280,
        65291,
        65301,
        65310,
        65319,
        65328,
        65337,
        65345,
        65352,
        65360,
        65367,
        65374,
        65381,
        65387,
        65393,
        65399,
        65404,
        65410,
        65415,
        65420,
        65425,
        65429,
        65433,
        65438,
        65442,
        65445,
        65449,
        65453,
        65456,
        65459,
        65462,
        65465,
        65468,
        65471,
        65474,
        65476,
        65479,
        65481,
        65483,
        65485,
        65488,
        65489,
        65491,
        65493,
        65495,
        65497,
        65498,
        65500,
        65501,
        65503,
        65504,
        65505,
        65507,
        65508,
        65509,
        65510,
        65511,
        65512,
        65513,
        65514,
        65515,
        65516,
        65517,
        65517,
        65518,
        65519,
        65520,
        65520,
        65521,
        65522,
        65522,
        65523,
        65523,
        65524,
        65524,
        65525,
        65525,
        65526,
        65526,
        65526,
        65527,
        65527,
        65528,
        65528,
        65528,
        65529,
        65529,
        65529,
        65529,
        65530,
        65530,
        65530,
        65530,
        65531,
        65531,
        65531,
        65531,
        65531,
        65532,
        65532,
        65532,
        65532,
        65532,
        65532,
        65533,
        65533,
        65533,
        65533,
        65533,
        65533,
        65533,
        65533,
        65534,
        65534,
        65534,
        65534,
        65534,
        65534,
        65534,
        65534,
        65534,
        65534,
        65535,
    ],
    np.int64,
)


def input_scaling(scale_power: int) -> tuple[int, int]:
    """(multiplier, right shift) that bring an int16 at scale 2^scale_power to the table's input.

    TFLM's lstm_internal::Tanh: left shift 15 + power - 3; a negative one becomes multiplier 3
    with that right shift, otherwise the multiplier absorbs it (3 << shift) and nothing shifts.
    """
    shift = 15 + scale_power - 3
    return (3, -shift) if shift < 0 else (3 << shift, 0)


def _scaled(x: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    rounding = (1 << (shift - 1)) if shift > 0 else 0
    return (x.astype(np.int64) * multiplier + rounding) >> shift


def sigmoid(x: np.ndarray, multiplier: int = 3, shift: int = 0) -> np.ndarray:
    """Logistic of int16 values brought to the table's input by (multiplier, shift) into Q0.15, as
    int64; the default is the LSTM's Q3.12 gates."""
    v = _scaled(x, multiplier, shift)
    a = np.abs(v)
    hi = np.minimum(a >> 9, 254)
    interp = (SIGMOID_TABLE[hi] << 9) + (a & 0x1FF) * (SIGMOID_TABLE[hi + 1] - SIGMOID_TABLE[hi])
    r = np.where((a >> 9) >= 255, 0x7FFF << 10, interp)
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1) >> 10
    return r.astype(np.int16).astype(np.int64)


def tanh(x: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """Tanh of int16 values brought to the table's input by (multiplier, shift), into Q0.15, as int64."""
    v = _scaled(x, multiplier, shift)
    a = np.abs(v)
    hi = np.minimum(a >> 8, 254)
    interp = (SIGMOID_TABLE[hi] << 8) + (a & 0xFF) * (SIGMOID_TABLE[hi + 1] - SIGMOID_TABLE[hi])
    r = np.where((a >> 8) >= 255, 0xFFFF << 8, interp)
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1) >> 8
    return r.astype(np.int16).astype(np.int64)


def _checked_log2(x: float) -> tuple[int, bool]:
    """TFLite's CheckedLog2, in float32 as it runs: the rounded log2 and whether x is within 1e-3 of it."""
    x_log2 = np.float32(np.log(np.float32(x))) * (np.float32(1.0) / np.float32(np.log(np.float32(2.0))))
    rounded = np.float32(np.round(x_log2))
    return int(rounded), bool(abs(np.float32(x_log2 - rounded)) < np.float32(1e-3))


@dataclass(frozen=True)
class Params:
    output_shape: tuple[int, ...]
    multiplier: int  # input x multiplier, shifted right by shift with rounding, is the table's input
    shift: int


def op_prepare(ctx: OpContext, pot_shifts: tuple[int, ...]) -> Params:
    """TFLM's int16 LOGISTIC / TANH Prepare (logistic_common.cc, tanh.cc), with the eval's folding.

    An input scale 2^(s - 12) with s in `pot_shifts` (LOGISTIC: 0; TANH: 0 or 1) takes multiplier
    3 << s and no shift. Any other scale takes scale * 4096 * 3 (in double, from the float scale),
    doubled while it stays <= 32767 / 2 and the shift <= 30, truncated to int32, and that shift.
    """
    inp, out = ctx.input(0), ctx.output()
    (in_scale, _), (out_scale, _) = _int16.activations(ctx, inp, out)
    if int(np.prod(inp.shape)) != int(np.prod(out.shape)):
        raise ctx.fail(f"input shape {inp.shape} and output shape {out.shape} differ in size")
    power, pot = _checked_log2(in_scale)
    if pot and 15 - 3 + power in pot_shifts:
        multiplier, shift = 3 << (15 - 3 + power), 0
    else:
        real = float(np.float32(in_scale)) * 4096.0 * 3.0
        shift = 0
        while real <= 32767.0 / 2.0 and shift <= 30:
            shift += 1
            real *= 2.0
        multiplier = int(real)
        # TFLM only debug-asserts this bound; its release build runs on, into int32 overflow from about twice it.
        if multiplier > 32767:
            raise ctx.fail(f"input scale {in_scale} is above the largest int16 {ctx.op.name} handles (about 2.67)")
    out_power, out_pot = _checked_log2(out_scale)
    if not out_pot or out_power != -15:
        raise ctx.fail(f"output scale {out_scale} is not 2^-15, which TFLM's int16 {ctx.op.name} requires")
    return Params(tuple(out.shape), multiplier, shift)


def op_emit(p: Params, e, c_name: str) -> str:
    """The int16 LOGISTIC / TANH call; the table is the LSTM's constant, declared once per model."""
    params = e.struct(
        "edgenn_sigmoid_i16_params",
        {
            "size": int(np.prod(p.output_shape, dtype=np.int64)),
            "multiplier": p.multiplier,
            "shift": p.shift,
            "sigmoid_table": e.array("uint16_t", SIGMOID_TABLE, "sigmoid_table", "tables"),
        },
    )
    return f"edgenn_{c_name}({params}, {e.input(0)}, {e.output()});"
