"""What TFLite's int16x8 kernels share: int16 activations with zero point 0, int8 weights with zero
point 0, int64 biases, and TFLM's 64-bit MultiplyByQuantizedMultiplier.

That overload (common.cc, int64 x) does not round twice like the int32 one: it rounds the multiplier
to 16 bits, (m + 2^15) >> 16 (0x7FFF from 0x7FFF0000 up), then shifts x * m right by 15 - shift once,
rounding half up, and keeps the low 32 bits. `reduced_multipliers` does the first part at export
time, so the C holds a 16-bit multiplier and a total shift per channel.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

INT16_MIN, INT16_MAX = -(2**15), 2**15 - 1
# TFLM assumes |x| < 2^47 for the 64-bit rescale; a bias beyond this would overflow its int64 product.
BIAS_LIMIT = 1 << 46


def activations(ctx: OpContext, *tensors) -> list[tuple[float, int]]:
    """(scale, zero point) of int16 activation tensors, which TFLite quantizes symmetrically."""
    out = []
    for t in tensors:
        ctx.require_dtype(t, "int16")
        scale, zp = ctx.per_tensor(t)
        if zp != 0:
            raise ctx.fail(f"int16 tensor {t.name!r} has zero point {zp}; int16x8 activations have 0")
        out.append((scale, zp))
    return out


def activation_range(ctx: OpContext, scale: float) -> tuple[int, int]:
    """The int16 clamp bounds of the op's fused activation."""
    return fp.activation_range(ctx.activation(), scale, 0, INT16_MIN, INT16_MAX)


def conv_quant(ctx: OpContext, inp, flt, out, channels: int) -> tuple:
    """The int16x8 convolution-like ops' leading params (fully_connected.ConvQuant): offsets 0, the
    per-channel multipliers TFLM's int8 ops use too, and the int16 activation clamp."""
    from edgenn.reference.fully_connected import conv_multipliers

    (in_scale, _), (out_scale, _) = activations(ctx, inp, out)
    ctx.require_dtype(flt, "int8")
    multiplier, shift = conv_multipliers(ctx, in_scale, flt.scale, out_scale, channels)
    return (0, 0, multiplier, shift, *activation_range(ctx, out_scale))


def conv_prepare(ctx: OpContext, check_geometry, params, channel_axis: int):
    """The int16x8 convolutions' prepare: the int8 op's geometry checks with an int64 bias, then its Params
    with the int16x8 quantization; channel_axis is the weights' output-channel axis."""
    inp, flt, out = ctx.input(0), ctx.input(1), ctx.output()
    check_bias64(ctx)
    win, extra = check_geometry(ctx, inp, flt, out, "int64")
    quant = conv_quant(ctx, inp, flt, out, flt.shape[channel_axis])
    return params(*quant, win, extra, out.shape)


def conv_fields(p, e, out_c: int, kernel: dict[str, int]) -> dict[str, object]:
    """The int16x8 convolutions' params fields: the int8 op's shape and stride fields around its own
    kernel fields, then the int16 clamp, the int64 bias and the 64-bit rescale constants."""
    from edgenn.reference.conv_2d import shape_fields, stride_fields

    return {
        **shape_fields(p.window, e.graph.tensors[e.op.inputs[0]].shape, out_c),
        **kernel,
        **stride_fields(p.window),
        "act_min": p.act_min,
        "act_max": p.act_max,
        "bias": bias_array(e, out_c),
        **requant_fields(p, e),
    }


def check_bias64(ctx: OpContext) -> None:
    """The int64 bias TFLM's int16x8 kernels accumulate in 64 bits; the int32 one picks TFLM's 32-bit
    accumulator and rescale, a path not reproduced here."""
    bias = ctx.input(2)
    if bias is None:
        if getattr(ctx.options, "quantizedBiasType", 0) == 2:  # TensorType.INT32
            raise ctx.fail("an int16x8 layer without bias whose quantized bias type is int32 is not supported")
        return
    if bias.dtype != "int64":
        raise ctx.fail(f"{bias.dtype} bias on int16 activations is not supported (int64 expected)")
    if np.abs(ctx.const(bias).astype(np.int64)).max(initial=0) >= BIAS_LIMIT:
        raise ctx.fail("bias beyond 2^46 in magnitude is not supported")


def reduced_multipliers(multiplier, shift) -> tuple[np.ndarray, np.ndarray]:
    """(16-bit multiplier, total right shift) per channel, as TFLM's 64-bit rescale derives them."""
    m = np.asarray(multiplier, np.int64)
    reduced = np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)
    return reduced, 15 - np.asarray(shift, np.int64)


def rescale64(acc, multiplier, shift) -> np.ndarray:
    """MultiplyByQuantizedMultiplier(int64 acc, multiplier, shift): int64 array holding int32 values."""
    reduced, total = reduced_multipliers(multiplier, shift)
    acc = np.asarray(acc, np.int64)
    return fp.wrap_int32((acc * reduced + (np.int64(1) << (total - 1))) >> total)


def requantize(acc, bias, p) -> np.ndarray:
    """Bias, 64-bit rescale and activation clamp on int64 sums of shape (..., C): int16 codes."""
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    return np.clip(rescale64(acc, p.multiplier, p.shift), p.act_min, p.act_max).astype(np.int16)


def requant_fields(p, e) -> dict[str, object]:
    """The params' per-channel rescale constants (edgenn_requantize64 in int16x8.h)."""
    reduced, total = reduced_multipliers(p.multiplier, p.shift)
    return {
        "multiplier": e.array("int32_t", reduced, "multiplier16", "quantization"),
        "shift": e.array("int8_t", total, "total_shift", "quantization"),
    }


def bias_array(e, channels: int) -> str:
    """The op's int64 bias (input 2) as a flash array, or NULL."""
    if len(e.op.inputs) < 3 or e.op.inputs[2] < 0:
        return "NULL"
    return e.array("int64_t", e.data(2).astype(np.int64).reshape(channels), "bias", "biases")


# --- TFLM's int16 lookup tables (LUTPopulate<int16_t>, LUTLookup) ------------------------------------

LUT_STEPS = 512  # 513 entries: the input's top 9 bits pick one, the low 7 interpolate to the next


def _c_expf():
    """The C library's expf, the function TFLM's tables call (std::exp on a float); NumPy's float32 exp
    may differ from it in the last place, which can move a rounded table entry."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("m")
    if name is None:
        return None
    f = ctypes.CDLL(name).expf
    f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
    return f


def expf(x: np.ndarray) -> np.ndarray:
    f = _c_expf()
    if f is None:
        return np.exp(x.astype(np.float32))
    return np.array([f(float(v)) for v in np.asarray(x, np.float32).ravel()], np.float32).reshape(np.shape(x))


def _roundf(x: np.ndarray) -> np.ndarray:
    """roundf: half away from zero; exact in float64 for any float32 input."""
    x = np.asarray(x, np.float32).astype(np.float64)
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.float32)


def lut_int16(transform, input_scale: float, input_zp: int, output_scale: float, output_zp: int) -> np.ndarray:
    """LUTPopulateInt16<float>: 513 int16 entries, each sample nudged by half the interpolation error at
    its step's midpoint. Every step is float32 arithmetic, as TFLM's."""
    f32 = np.float32
    in_scale, out_scale = f32(input_scale), f32(output_scale)
    input_min = in_scale * f32(INT16_MIN - input_zp)
    input_max = in_scale * f32(INT16_MAX - input_zp)
    output_min = out_scale * f32(INT16_MIN - output_zp)
    output_max = out_scale * f32(INT16_MAX - output_zp)
    step = (input_max - input_min) / f32(LUT_STEPS)
    half_step = step / f32(2)
    scaling_inv = f32(65536) / (output_max - output_min)
    i = np.arange(LUT_STEPS).astype(np.float32)
    at = input_min + i * step
    val = transform(at)
    val_mid = transform(at + half_step)
    val_next = transform(input_min + (i + f32(1)) * step)
    sample = _roundf(val * scaling_inv)
    interp = _roundf((val_next * scaling_inv + sample) / f32(2))
    bias = _roundf((interp - _roundf(val_mid * scaling_inv)) / f32(2))
    last = _roundf(transform(np.array([input_max], np.float32)) * scaling_inv)
    table = np.concatenate([sample - bias, last])
    return np.clip(table, INT16_MIN, INT16_MAX).astype(np.int64)


def lut_lookup(value: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """LUTLookup(int16 value, 513-entry table): the entry its top 9 bits pick, plus the slope to the next
    times its low 7 bits, rounded; int64 array of int16 values."""
    value = np.asarray(value, np.int64)
    index = 256 + (value >> 7)
    slope = ((lut[index + 1] - lut[index] + (1 << 15)) & 0xFFFF) - (1 << 15)  # an int16 in TFLM
    delta = (slope * (value & 0x7F) + 64) >> 7
    return ((lut[index] + delta + (1 << 15)) & 0xFFFF) - (1 << 15)


# --- broadcasts ----------------------------------------------------------------------------------------

BROADCAST_RANK = 4  # TFLM's int16 ADD broadcasts with BroadcastAdd4DSlow


def general_walk(plan: dict) -> dict:
    """An elementwise broadcast plan (edgenn.reference._elementwise.broadcast_plan) as the general walk
    over six dims, the only one the int16 kernels take (elementwise_i16.h)."""
    if plan["kind"] == 3:
        return plan
    size, inner, rank = plan["size"], plan["inner"], len(plan["dims"])
    pad = [1] * (rank - 2)
    zeros = [0] * (rank - 2)
    if plan["kind"] == 0:
        return {**plan, "kind": 3, "dims": [*pad, 1, size], "stride1": [*zeros, 0, 1], "stride2": [*zeros, 0, 1]}
    runs = size // inner if inner else 0
    flat, held = [*zeros, inner, 1], [*zeros, 0, 1 if inner > 1 else 0]
    dims = [*pad, runs, inner] if inner > 1 else [*pad, 1, size]
    if inner == 1:
        flat = [*zeros, 0, 1]
    first_held = plan["kind"] == 1
    return {
        **plan,
        "kind": 3,
        "dims": dims,
        "stride1": held if first_held else flat,
        "stride2": flat if first_held else held,
    }


def check_broadcast_rank(ctx: OpContext, p) -> None:
    if tuple(p.input1_shape) != tuple(p.input2_shape) and len(p.output_shape) > BROADCAST_RANK:
        raise ctx.fail(f"an int16 broadcast of rank {len(p.output_shape)} (TFLM broadcasts int16 in 4-D at most)")
