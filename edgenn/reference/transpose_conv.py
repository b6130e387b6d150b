"""TRANSPOSE_CONV, int8: TFLM's reference_integer_ops::TransposeConv (per-tensor or per-channel weights).

Inputs are output_shape (int32, unused: TFLM sizes everything from the output tensor), weights
[out_c, filter_h, filter_w, in_c], input [batches, in_h, in_w, in_c] and an optional int32 bias.
TFLM scatters each input pixel times each filter tap into an int32 scratch copy of the whole
output, then adds the bias and requantizes per channel as CONV_2D does. The C gathers instead:
output pixel (oy, ox) takes filter tap (ky, kx) from input pixel ((oy + pad_top - ky) / stride_h,
(ox + pad_left - kx) / stride_w) where those divide exactly and land inside the input; the same
int32 sums, in another order, with no scratch buffer. The padding is the one a forward convolution
from the output's size to the input's would use, its odd half-pixel dropped, as TFLM computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import conv_2d
from edgenn.reference.base import PADDINGS, OpContext, compute_padding
from edgenn.reference.fully_connected import ConvQuant, bias_or_zeros, conv_quant

NAME = "TRANSPOSE_CONV"
TFLM_RESOLVER = "AddTransposeConv"
TFLITE_OPTIONS = "TransposeConvOptions"
CONSTANTS = ("biases", "quantization")
C_DEPENDS = ("conv_common",)


@dataclass(frozen=True)
class Params(ConvQuant):
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    output_shape: tuple[int, ...]


def _pads(options, output_shape, weights_shape) -> tuple[int, int]:
    """(pad_top, pad_left): ComputePaddingHeightWidth over the output's size, without dilation."""
    padding = PADDINGS.get(options.padding, "VALID")
    _, pad_top = compute_padding(padding, output_shape[1], weights_shape[1], int(options.strideH), 1)
    _, pad_left = compute_padding(padding, output_shape[2], weights_shape[2], int(options.strideW), 1)
    return pad_top, pad_left


def prepare(ctx: OpContext) -> Params:
    shape_t = ctx.require_dtype(ctx.input(0), "int32")
    flt = ctx.require_dtype(ctx.input(1), "int8")
    inp = ctx.require_dtype(ctx.input(2), "int8")
    bias = ctx.input(3)
    out = ctx.require_dtype(ctx.output(), "int8")
    weights = ctx.const(flt)
    if len(inp.shape) != 4 or len(flt.shape) != 4 or len(out.shape) != 4:
        raise ctx.fail(f"expects 4-D input, weights and output, got {inp.shape}, {flt.shape}, {out.shape}")
    requested = tuple(int(v) for v in np.asarray(ctx.const(shape_t)).reshape(-1))
    if requested != out.shape:
        raise ctx.fail(f"output_shape {list(requested)} differs from the output tensor's shape {out.shape}")
    batches, _, _, in_c = inp.shape
    out_c, filter_h, filter_w, filter_c = flt.shape
    if min(out_c, filter_h, filter_w, filter_c) < 1 or min(inp.shape) < 1 or min(out.shape) < 1:
        raise ctx.fail(f"empty input {inp.shape}, weights {flt.shape} or output {out.shape}")
    if filter_c != in_c or out.shape[0] != batches or out.shape[3] != out_c:
        raise ctx.fail(f"input {inp.shape}, weights {flt.shape} and output {out.shape} do not match")
    conv_2d.check_filter_quantization(ctx, flt, out_c, 0)
    conv_2d.check_bias(ctx, bias, out_c)
    o = ctx.options
    stride_h, stride_w = int(o.strideH), int(o.strideW)
    if min(stride_h, stride_w) < 1:
        raise ctx.fail(f"strides ({stride_h}, {stride_w}) must be at least 1")
    ctx.padding()  # refuses codes the schema does not define
    pad_top, pad_left = _pads(o, out.shape, flt.shape)
    quant = conv_quant(ctx, inp, flt, out, out_c)
    if ctx.for_c:
        # TFLM's int32 sums wrap where they overflow; C's signed overflow is undefined.
        raw = bias_or_zeros(None if bias is None else ctx.const(bias), out_c)
        bound = conv_2d.accumulator_bound(raw, np.abs(weights.astype(np.int64)).reshape(out_c, -1).sum(1))
        if (bound >= 1 << 31).any():
            raise ctx.fail("weights and bias large enough to overflow the int32 accumulator are not supported")
    return Params(*quant, stride_h, stride_w, pad_top, pad_left, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    w = inputs[1].astype(np.int64)  # [out_c, kh, kw, in_c]
    x = inputs[2].astype(np.int64) + p.input_offset
    n, in_h, in_w, _ = x.shape
    out_c, kh, kw, _ = w.shape
    _, out_h, out_w, _ = p.output_shape
    # Every tap lands on a canvas that holds the whole scatter and the cropped output window.
    span_h = (in_h - 1) * p.stride_h + 1
    span_w = (in_w - 1) * p.stride_w + 1
    canvas = np.zeros(
        (n, max(span_h + kh - 1, p.pad_top + out_h), max(span_w + kw - 1, p.pad_left + out_w), out_c), np.int64
    )
    for ky in range(kh):
        for kx in range(kw):
            canvas[:, ky : ky + span_h : p.stride_h, kx : kx + span_w : p.stride_w, :] += x @ w[:, ky, kx, :].T
    acc = canvas[:, p.pad_top : p.pad_top + out_h, p.pad_left : p.pad_left + out_w, :]
    bias = inputs[3] if len(inputs) > 3 else None
    return conv_2d.requantize(acc, bias, p)


def emit(p: Params, e) -> str:
    _, in_h, in_w, in_c = e.graph.tensors[e.op.inputs[2]].shape
    weights = e.data(1).astype(np.int64)
    out_c, filter_h, filter_w, _ = weights.shape
    bias = e.data(3)
    raw = bias_or_zeros(bias, out_c)
    batches, out_h, out_w, _ = p.output_shape
    params = e.struct(
        "edgenn_transpose_conv_params",
        {
            "batches": batches,
            "in_h": in_h,
            "in_w": in_w,
            "in_c": in_c,
            "out_h": out_h,
            "out_w": out_w,
            "out_c": out_c,
            "filter_h": filter_h,
            "filter_w": filter_w,
            "stride_h": p.stride_h,
            "stride_w": p.stride_w,
            "pad_top": p.pad_top,
            "pad_left": p.pad_left,
            "input_offset": p.input_offset,
            "output_offset": p.output_offset,
            "act_min": p.act_min,
            "act_max": p.act_max,
            "bias": e.array("int32_t", raw, "bias", "biases"),
            **conv_2d.requant_fields(p, e, raw, np.abs(weights).reshape(out_c, -1).sum(1)),
        },
    )
    return f"edgenn_transpose_conv({params}, {e.input(2)}, {e.input(1)}, {e.output()});"


def _pairs(in_size: int, filter_size: int, stride: int, pad: int, out_size: int) -> int:
    """(input position, filter tap) pairs along one axis whose output position lies inside the output."""
    at = np.arange(in_size)[:, None] * stride - pad + np.arange(filter_size)[None, :]
    return int(((at >= 0) & (at < out_size)).sum())


def macs(graph, op) -> int:
    """Products that reach the output: taps that TFLM's scatter drops outside the output do not count."""
    x, w, out = (graph.tensors[i] for i in (op.inputs[2], op.inputs[1], op.outputs[0]))
    o = op.options
    if o is None or not len(x.shape) == len(w.shape) == len(out.shape) == 4 or min(o.strideH, o.strideW) < 1:
        return 0
    n, in_h, in_w, in_c = x.shape
    out_c, kh, kw, _ = w.shape
    pad_top, pad_left = _pads(o, out.shape, w.shape)
    rows = _pairs(in_h, kh, int(o.strideH), pad_top, out.shape[1])
    cols = _pairs(in_w, kw, int(o.strideW), pad_left, out.shape[2])
    return n * rows * cols * in_c * out_c
