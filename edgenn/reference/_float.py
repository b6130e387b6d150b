"""Shared by the float32 kernels (the `*_f32` siblings and the float-only ops): TFLM's float reference
arithmetic, one float32 rounding per step in the order its loops take.

TFLM computes each float op in single precision: products and sums rounded to float32 as they come,
a fused activation as `min(max(x, act_min), act_max)` (CalculateActivationRange: the float limits
for NONE). NumPy's float32 operations round the same way, so summing taps one at a time in TFLM's
loop order gives the same floats as its C++ (and as our C, built without contraction into FMAs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from edgenn.cfmt import c_float
from edgenn.reference import _elementwise as ew
from edgenn.reference import _spatial
from edgenn.reference.base import OpContext
from edgenn.reference.conv_2d import check_bias, shape_fields, stride_fields

F32 = np.float32
FLT_MAX = float(np.finfo(np.float32).max)
# CalculateActivationRange for float: each fused activation as [act_min, act_max].
ACTIVATION_RANGES = {
    "NONE": (-FLT_MAX, FLT_MAX),
    "RELU": (0.0, FLT_MAX),
    "RELU6": (0.0, 6.0),
    "RELU_N1_TO_1": (-1.0, 1.0),
}


def activation_range(ctx: OpContext) -> tuple[float, float]:
    return ACTIVATION_RANGES[ctx.activation()]


def clamp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """ActivationFunctionWithMinMax: std::min(std::max(x, lo), hi), NaN and -0.0 as std:: gives them."""
    x = np.asarray(x, F32)
    x = np.where(x < F32(lo), F32(lo), x)
    return np.where(F32(hi) < x, F32(hi), x).astype(F32)


def act_fields(lo: float, hi: float) -> dict[str, str]:
    return {"act_min": c_float(lo), "act_max": c_float(hi)}


def float_operands(ctx: OpContext, *indices: int):
    """Inputs `indices` and the output, each required to be float32."""
    return [ctx.require_dtype(ctx.input(i), "float32") for i in indices] + [ctx.require_dtype(ctx.output(), "float32")]


def bias_array(e, index: int, channels: int) -> str:
    """The bias operand's values, or zeros where it is omitted (TFLM adds 0.0f then)."""
    data = e.data(index)
    values = np.zeros(channels, F32) if data is None else data.astype(F32).reshape(-1)
    return e.array("float", values, "bias", "biases")


def dot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x (R, K) · w (O, K)ᵀ as TFLM's loops sum it: from 0.0f, one product at a time along K."""
    acc = np.zeros((x.shape[0], w.shape[0]), F32)
    for k in range(x.shape[1]):
        acc += x[:, k, None] * w[None, :, k]
    return acc


def add_bias(acc: np.ndarray, bias) -> np.ndarray:
    return acc + (F32(0.0) if bias is None else np.asarray(bias, F32).reshape(-1))


def size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def same_size_unary(ctx: OpContext):
    inp, out = float_operands(ctx, 0)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    return inp, out


def window_fields(w: _spatial.Window, in_shape, out_c: int, depth_multiplier: int = 1) -> dict[str, int]:
    """The edgenn_window_f32 initializer fields of a window over an NHWC input."""
    return {
        **shape_fields(w, in_shape, out_c),
        "filter_h": w.filter_h,
        "filter_w": w.filter_w,
        **stride_fields(w),
        "depth_multiplier": depth_multiplier,
    }


@dataclass(frozen=True)
class UnaryParams:
    size: int
    output_shape: tuple[int, ...]


def prepare_unary(ctx: OpContext) -> UnaryParams:
    """A one-input elementwise op over float32."""
    _, out = same_size_unary(ctx)
    return UnaryParams(size(out.shape), out.shape)


def emit_unary(p: UnaryParams, e, function: str) -> str:
    """The call `function(size, input, output)`."""
    return f"{function}({p.size}, {e.input(0)}, {e.output()});"


def unary_op(apply: Callable[[np.ndarray], np.ndarray], function: str):
    """`run` and `emit` of a one-input elementwise op: `apply` on the float32 input, the C `function`."""

    def run(p: UnaryParams, inputs) -> np.ndarray:
        return apply(np.asarray(inputs[0], F32)).reshape(p.output_shape)

    def emit(p: UnaryParams, e) -> str:
        return emit_unary(p, e, function)

    return run, emit


@dataclass(frozen=True)
class BinaryParams:
    shape1: tuple[int, ...]  # the views that broadcast like TFLM's loops (_elementwise.binary_shapes)
    shape2: tuple[int, ...]
    act_min: float
    act_max: float
    output_shape: tuple[int, ...]


def prepare_binary(ctx: OpContext) -> BinaryParams:
    """ADD, SUB, MUL over float32: broadcast operands, then the fused activation."""
    a, b, out = float_operands(ctx, 0, 1)
    s1, s2 = ew.binary_shapes(ctx, a, b, out)
    return BinaryParams(s1, s2, *activation_range(ctx), out.shape)


def run_binary(p: BinaryParams, inputs, combine) -> np.ndarray:
    x1 = np.asarray(inputs[0], F32).reshape(p.shape1)
    x2 = np.asarray(inputs[1], F32).reshape(p.shape2)
    return clamp(combine(x1, x2), p.act_min, p.act_max).reshape(p.output_shape)


def emit_binary(p: BinaryParams, e, function: str) -> str:
    plan = ew.broadcast_plan(p.shape1, p.shape2, p.output_shape)
    params = e.struct("edgenn_binary_f32_params", {"b": ew.c_broadcast(plan), **act_fields(p.act_min, p.act_max)})
    return f"{function}({params}, {e.input(0)}, {e.input(1)}, {e.output()});"


def binary_op(combine: Callable[[np.ndarray, np.ndarray], np.ndarray], function: str):
    """`run` and `emit` of ADD, SUB or MUL: `combine` (np.add, ...) broadcast, clamped; the C `function`."""

    def run(p: BinaryParams, inputs) -> np.ndarray:
        return run_binary(p, inputs, combine)

    def emit(p: BinaryParams, e) -> str:
        return emit_binary(p, e, function)

    return run, emit


@dataclass(frozen=True)
class WindowParams:
    window: _spatial.Window
    input_shape: tuple[int, ...]
    out_c: int
    depth_multiplier: int
    act_min: float
    act_max: float
    output_shape: tuple[int, ...]


def window_params(ctx: OpContext, win: _spatial.Window, inp, out, depth_multiplier: int = 1) -> WindowParams:
    return WindowParams(win, inp.shape, out.shape[3], depth_multiplier, *activation_range(ctx), out.shape)


def conv_window_params(ctx: OpContext, inp, flt, out, out_c: int, depth_multiplier: int = 1) -> WindowParams:
    """CONV_2D's and DEPTHWISE_CONV_2D's common checks (output shape, constant float bias) and their window."""
    if out.shape[0] != inp.shape[0] or out.shape[3] != out_c:
        raise ctx.fail(f"output shape {out.shape} does not match input {inp.shape} and weights {flt.shape}")
    check_bias(ctx, ctx.input(2), out_c, "float32")
    win = _spatial.window(ctx, inp.shape[1], inp.shape[2], flt.shape[1], flt.shape[2])
    return window_params(ctx, win, inp, out, depth_multiplier)


def bias_and_clamp(p, acc: np.ndarray, inputs) -> np.ndarray:
    """The bias (input 2, where given) added to the sums, then the fused activation's clamp."""
    acc = add_bias(acc, inputs[2] if len(inputs) > 2 else None)
    return clamp(acc, p.act_min, p.act_max).reshape(p.output_shape)


def emit_conv(p: WindowParams, e, function: str) -> str:
    return emit_window(p, e, function, bias_array(e, 2, p.out_c))


def conv_taps(p: WindowParams, x) -> np.ndarray:
    """Every filter tap of every output position, 0.0 where it falls in the padding (TFLM skips those)."""
    return _spatial.patches(np.asarray(x, F32), p.window, F32(0.0))


def emit_window(p: WindowParams, e, function: str, bias: str, weights: bool = True) -> str:
    """The call of a window kernel: (params, input[, weights], output)."""
    fields = {**window_fields(p.window, p.input_shape, p.out_c, p.depth_multiplier)}
    fields.update(act_fields(p.act_min, p.act_max), bias=bias)
    params = e.struct("edgenn_window_f32", fields)
    operands = [e.input(0), *([e.input(1)] if weights else []), e.output()]
    return f"{function}({params}, {', '.join(operands)});"
