"""DEPTHWISE_CONV_2D, int8: TFLM's reference_integer_ops::DepthwiseConvPerChannel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _spatial
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext, compute_padding, schema
from edgenn.reference.conv_2d import check_bias, check_filter_quantization, requantize
from edgenn.reference.fully_connected import ConvQuant, bias_or_zeros, conv_quant

NAME = "DEPTHWISE_CONV_2D"
TFLM_RESOLVER = "AddDepthwiseConv2D"
TFLITE_OPTIONS = "DepthwiseConv2DOptions"
CONSTANTS = ("biases", "quantization")


@dataclass(frozen=True)
class Params(ConvQuant):
    window: _spatial.Window
    depth_multiplier: int
    output_shape: tuple[int, ...]


def check_geometry(ctx: OpContext, inp, flt, out, bias_dtype: str = "int32") -> tuple[_spatial.Window, int]:
    """Shapes, weights, bias and window as TFLM's DepthwiseConvPerChannel reads them: (window, multiplier)."""
    ctx.const(flt)
    if len(inp.shape) != 4 or len(flt.shape) != 4 or len(out.shape) != 4:
        raise ctx.fail(f"expects 4-D input, weights and output, got {inp.shape}, {flt.shape}, {out.shape}")
    batches, in_h, in_w, in_c = inp.shape
    one, filter_h, filter_w, out_c = flt.shape
    if one != 1:
        raise ctx.fail(f"weights of shape {flt.shape} should have a leading 1")
    if out.shape[0] != batches or out.shape[3] != out_c:
        raise ctx.fail(f"output shape {out.shape} does not match input {inp.shape} and weights {flt.shape}")
    multiplier = int(ctx.options.depthMultiplier)
    # TFLM trusts the option to map output channel c*m + k to input channel c; a value that disagrees
    # with the shapes would make it read the wrong channels, so refuse it instead.
    if multiplier < 1 or in_c * multiplier != out_c:
        raise ctx.fail(f"depth multiplier {multiplier} does not turn {in_c} input channels into {out_c}")
    check_filter_quantization(ctx, flt, out_c, 3)
    check_bias(ctx, ctx.input(2), out_c, bias_dtype)
    return _spatial.window(ctx, in_h, in_w, filter_h, filter_w), multiplier


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    flt = ctx.require_dtype(ctx.input(1), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    win, multiplier = check_geometry(ctx, inp, flt, out)
    return Params(*conv_quant(ctx, inp, flt, out, flt.shape[3]), win, multiplier, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].astype(np.int64) + p.input_offset
    taps = _spatial.patches(x, p.window, 0)  # (N, OH, OW, KH, KW, Cin)
    n, oh, ow, kh, kw, in_c = taps.shape
    w = inputs[1].astype(np.int64).reshape(kh, kw, in_c, p.depth_multiplier)
    acc = np.zeros((n, oh, ow, in_c, p.depth_multiplier), np.int64)
    for i in range(kh):
        for j in range(kw):
            acc += taps[:, :, :, i, j, :, None] * w[i, j]
    bias = inputs[2] if len(inputs) > 2 else None
    return requantize(acc.reshape(n, oh, ow, in_c * p.depth_multiplier), bias, p).reshape(p.output_shape)


C_DEPENDS = ("conv_common",)

LINE_BYTES = 512  # EDGENN_DW_LINE_BYTES in depthwise_conv_2d.h


def line_weights(w: _spatial.Window, in_c: int, weights: np.ndarray) -> np.ndarray | None:
    """The line-buffer path's weights (wpack in depthwise_conv_2d.h), or None where it does not apply:
    per group of four output channels, filter row, group of four taps and channel, the int16 pairs of
    taps (0, 2) and (1, 3) as words, low half first."""
    quads = (w.filter_w + 3) // 4
    pitch = (w.out_w - 1) * w.stride_w + 4 * quads
    if in_c != 1 or weights.shape[3] % 4 or w.dilation_w != 1 or w.filter_h * pitch > LINE_BYTES:
        return None
    out_c = weights.shape[3]
    groups = (out_c + 3) // 4
    k = np.zeros((w.filter_h, 4 * quads, 4 * groups), np.int64)
    k[:, : w.filter_w, :out_c] = weights.reshape(w.filter_h, w.filter_w, out_c)
    k = k.reshape(w.filter_h, quads, 4, groups, 4).transpose(3, 0, 1, 4, 2)  # (g, r, q, j, tap)
    lo, hi = k[..., [0, 1]], k[..., [2, 3]]
    return fp.wrap_int32((lo & 0xFFFF) | (hi << 16)).reshape(-1)


def features(p: Params, line: bool, rq_k: int) -> list[str]:
    """The kernel paths (base.FEATURES) the layer takes, as edgenn_depthwise_conv_2d dispatches on its
    params: the line buffer where wpack is set, else by depth multiplier; multiplier 1 runs 3x3 windows
    unrolled where the one-multiply requantization applies, with or without an activation clamp."""
    if line:
        return ["DW_LINE"]
    if p.depth_multiplier != 1:
        return ["DW_GENERAL"]
    w = p.window
    if (w.filter_h, w.filter_w) != (3, 3) or rq_k == 0:
        return ["DW_SAME"]
    return ["DW_SAME", "DW_3X3_FULL" if (p.act_min, p.act_max) == (-128, 127) else "DW_3X3_ACT"]


def emit(p: Params, e) -> str:
    from edgenn.reference.conv_2d import inner_box, requant_fields, shape_fields, stride_fields

    w = p.window
    batches, in_h, in_w, in_c = e.graph.tensors[e.op.inputs[0]].shape
    weights = e.data(1).astype(np.int64)
    out_c = weights.shape[3]
    bias = e.data(2)
    raw = bias_or_zeros(bias, out_c)
    folded = raw + p.input_offset * weights.reshape(-1, out_c).sum(0)
    box = inner_box(w, in_h, in_w)
    wpack = line_weights(w, in_c, weights)
    everywhere = (box["inner_y0"], box["inner_y1"], box["inner_x0"], box["inner_x1"]) == (0, w.out_h, 0, w.out_w)
    rq = requant_fields(p, e, raw, np.abs(weights).reshape(-1, out_c).sum(0))
    e.use(*features(p, wpack is not None, rq["rq_k"]))
    params = e.struct(
        "edgenn_depthwise_conv_2d_params",
        {
            **shape_fields(w, (batches, in_h, in_w, in_c), out_c),
            "depth_multiplier": p.depth_multiplier,
            "filter_h": w.filter_h,
            "filter_w": w.filter_w,
            **stride_fields(w),
            **box,
            "input_offset": p.input_offset,
            "output_offset": p.output_offset,
            "act_min": p.act_min,
            "act_max": p.act_max,
            "bias": e.array("int32_t", fp.wrap_int32(folded), "bias_folded", "biases"),
            "bias_raw": "NULL" if everywhere else e.array("int32_t", fp.wrap_int32(raw), "bias", "biases"),
            **rq,
            "wpack": "NULL" if wpack is None else e.array("int32_t", wpack, "weights_paired", "weights"),
        },
    )
    return f"edgenn_depthwise_conv_2d({params}, {e.input(0)}, {e.input(1)}, {e.output()});"


def macs(graph, op) -> int:
    w = graph.tensors[op.inputs[1]]  # [1, kh, kw, out_c]
    return int(np.prod(graph.tensors[op.outputs[0]].shape)) * w.shape[1] * w.shape[2]


def streaming_gap(graph, op) -> int | None:
    """The C kernel writes output rows in order, and once it writes row y it has no more use for
    input rows above max(0, y * stride - pad_top): output row y lands at [y*Ro, (y+1)*Ro) from the
    output's start, so the input must start the largest such difference later. Batch 1 only."""
    if op.options is None:
        return None
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if len(inp.shape) != 4 or inp.shape[0] != 1 or inp.dtype != "int8" or out.dtype != "int8":
        return None
    _, in_h, in_w, in_c = inp.shape
    _, out_h, out_w, out_c = out.shape
    filt_h = graph.tensors[op.inputs[1]].shape[1]
    padding = "SAME" if op.options.padding == schema.Padding.SAME else "VALID"
    _, pad_top = compute_padding(padding, in_h, filt_h, op.options.strideH, op.options.dilationHFactor)
    row_in, row_out = in_w * in_c, out_w * out_c
    return max((y + 1) * row_out - max(0, y * op.options.strideH - pad_top) * row_in for y in range(out_h))


def row_window(graph, op):
    flt = graph.tensors[op.inputs[1]] if len(op.inputs) > 1 and op.inputs[1] >= 0 else None  # [1, kh, kw, out_c]
    if op.options is None or flt is None or len(flt.shape) != 4:
        return None
    return _spatial.row_window(graph, op, flt.shape[1], int(op.options.dilationHFactor))
