"""CONV_2D, int8: TFLM's reference_integer_ops::ConvPerChannel (per-tensor or per-channel, grouped)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.graph.tflite import schema
from edgenn.reference import _spatial
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext, compute_padding
from edgenn.reference.fully_connected import (  # noqa: F401 (requant_constants, accumulator_bound: used through this module)
    ConvQuant,
    accumulator_bound,
    bias_or_zeros,
    conv_quant,
    requant_constants,
    requant_fields,
)

NAME = "CONV_2D"
TFLM_RESOLVER = "AddConv2D"
TFLITE_OPTIONS = "Conv2DOptions"
CONSTANTS = ("biases", "quantization", "tables")


@dataclass(frozen=True)
class Params(ConvQuant):
    window: _spatial.Window
    groups: int
    output_shape: tuple[int, ...]


def check_filter_quantization(ctx: OpContext, flt, channels: int, axis: int) -> None:
    if any(z != 0 for z in flt.zero_point):
        raise ctx.fail("weights with a non-zero zero point are not supported")
    if len(flt.scale) not in (1, channels):
        raise ctx.fail(f"weights have {len(flt.scale)} scales for {channels} output channels")
    if len(flt.scale) > 1 and flt.quantized_dimension != axis:
        raise ctx.fail(f"weights are quantized along axis {flt.quantized_dimension}, expected {axis}")


def check_bias(ctx: OpContext, bias, channels: int, dtype: str = "int32") -> None:
    if bias is None:
        return
    ctx.require_dtype(bias, dtype)
    data = ctx.const(bias)
    if data.size != channels:
        raise ctx.fail(f"bias has {data.size} values for {channels} output channels")


def check_geometry(ctx: OpContext, inp, flt, out, bias_dtype: str = "int32") -> tuple[_spatial.Window, int]:
    """Shapes, weights, bias and window as TFLM's ConvPerChannel reads them: (window, groups)."""
    ctx.const(flt)
    if len(inp.shape) != 4 or len(flt.shape) != 4 or len(out.shape) != 4:
        raise ctx.fail(f"expects 4-D input, weights and output, got {inp.shape}, {flt.shape}, {out.shape}")
    batches, in_h, in_w, in_c = inp.shape
    out_c, filter_h, filter_w, filter_c = flt.shape
    if filter_c < 1 or in_c % filter_c:
        raise ctx.fail(f"input depth {in_c} is not a multiple of the weights' depth {filter_c}")
    groups = in_c // filter_c
    if out_c % groups:
        raise ctx.fail(f"{out_c} output channels do not split into {groups} groups")
    if out.shape[0] != batches or out.shape[3] != out_c:
        raise ctx.fail(f"output shape {out.shape} does not match input {inp.shape} and weights {flt.shape}")
    check_filter_quantization(ctx, flt, out_c, 0)
    check_bias(ctx, ctx.input(2), out_c, bias_dtype)
    return _spatial.window(ctx, in_h, in_w, filter_h, filter_w), groups


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    flt = ctx.require_dtype(ctx.input(1), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    win, groups = check_geometry(ctx, inp, flt, out)
    return Params(*conv_quant(ctx, inp, flt, out, flt.shape[0]), win, groups, out.shape)


def requantize(acc: np.ndarray, bias, p) -> np.ndarray:
    """Bias, per-channel rescale, output offset and activation clamp on int64 sums of shape (..., C)."""
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    acc = fp.multiply_by_quantized_multiplier(fp.wrap_int32(acc), p.multiplier, p.shift) + p.output_offset
    return np.clip(acc, p.act_min, p.act_max).astype(np.int8)


def run(p: Params, inputs) -> np.ndarray:
    # float64 matmul is exact here: every product is at most 255 * 128 in magnitude, so sums stay
    # integers far below 2^53 for any filter volume a model can hold, in whatever order BLAS adds.
    x = inputs[0].astype(np.float64) + p.input_offset
    taps = _spatial.patches(x, p.window, 0.0)  # (N, OH, OW, KH, KW, Cin)
    n, oh, ow = taps.shape[:3]
    w = inputs[1].astype(np.float64)
    out_c, kh, kw, group_c = w.shape
    per_group = out_c // p.groups
    rows = n * oh * ow
    if p.groups == 1:
        acc = taps.reshape(rows, kh * kw * group_c) @ w.reshape(out_c, -1).T
    else:
        taps = taps.reshape(n, oh, ow, kh, kw, p.groups, group_c)
        acc = np.concatenate(
            [
                taps[..., g, :].reshape(rows, kh * kw * group_c)
                @ w[g * per_group : (g + 1) * per_group].reshape(per_group, -1).T
                for g in range(p.groups)
            ],
            axis=1,
        )
    bias = inputs[2] if len(inputs) > 2 else None
    return requantize(acc.astype(np.int64), bias, p).reshape(p.output_shape)


C_DEPENDS = ("conv_common",)


def inner_range(in_size: int, filter_size: int, stride: int, dilation: int, pad: int, out_size: int) -> tuple[int, int]:
    """Output positions [start, end) along one axis whose window lies wholly inside the input."""
    origin = np.arange(out_size) * stride - pad
    inside = np.flatnonzero((origin >= 0) & (origin + (filter_size - 1) * dilation <= in_size - 1))
    return (int(inside[0]), int(inside[-1]) + 1) if inside.size else (0, 0)


def shape_fields(w: _spatial.Window, in_shape, out_c: int) -> dict[str, int]:
    """The NHWC input's sizes, the window's output rows and columns, and the output depth, as the window
    kernels' params structs name them."""
    batches, in_h, in_w, in_c = in_shape
    return {
        "batches": batches,
        "in_h": in_h,
        "in_w": in_w,
        "in_c": in_c,
        "out_h": w.out_h,
        "out_w": w.out_w,
        "out_c": out_c,
    }


def stride_fields(w: _spatial.Window) -> dict[str, int]:
    """A window's strides, dilations and top/left padding, as the window kernels' params structs name them."""
    return {
        "stride_h": w.stride_h,
        "stride_w": w.stride_w,
        "dilation_h": w.dilation_h,
        "dilation_w": w.dilation_w,
        "pad_top": w.pad_top,
        "pad_left": w.pad_left,
    }


def inner_box(w: _spatial.Window, in_h: int, in_w: int) -> dict[str, int]:
    y0, y1 = inner_range(in_h, w.filter_h, w.stride_h, w.dilation_h, w.pad_top, w.out_h)
    x0, x1 = inner_range(in_w, w.filter_w, w.stride_w, w.dilation_w, w.pad_left, w.out_w)
    return {"inner_y0": y0, "inner_y1": y1, "inner_x0": x0, "inner_x1": x1}


def window_runs(w: _spatial.Window, in_w: int, in_c: int, group_c: int) -> tuple[list[int], int]:
    """An unpadded window in weight order as equal runs of contiguous input: (offsets, run length)."""
    taps = [
        ((ky * w.dilation_h * in_w + kx * w.dilation_w) * in_c, group_c)
        for ky in range(w.filter_h)
        for kx in range(w.filter_w)
    ]
    runs = [list(taps[0])]
    for at, n in taps[1:]:
        if at == runs[-1][0] + runs[-1][1]:
            runs[-1][1] += n
        else:
            runs.append([at, n])
    if len({n for _, n in runs}) > 1:
        runs = [list(t) for t in taps]
    return [at for at, _ in runs], runs[0][1]


def emit(p: Params, e) -> str:
    w = p.window
    batches, in_h, in_w, in_c = e.graph.tensors[e.op.inputs[0]].shape
    weights = e.data(1).astype(np.int64)
    out_c, _, _, group_c = weights.shape
    bias = e.data(2)
    raw = bias_or_zeros(bias, out_c)
    folded = raw + p.input_offset * weights.reshape(out_c, -1).sum(1)
    out_h, out_w = w.out_h, w.out_w
    if w.filter_h == w.filter_w == 1 and (out_h, out_w) == (in_h, in_w):
        # A pointwise convolution over every pixel: one long row pairs pixels across row ends.
        batches, in_h, in_w, out_h, out_w = 1, 1, batches * in_h * in_w, 1, batches * in_h * in_w
        w = _spatial.Window(1, 1, 1, 1, 1, 1, 0, 0, out_h, out_w)
    box = inner_box(w, in_h, in_w)
    everywhere = (box["inner_y0"], box["inner_y1"], box["inner_x0"], box["inner_x1"]) == (0, out_h, 0, out_w)
    offsets, run_len = window_runs(w, in_w, in_c, group_c)
    fields = {
        **shape_fields(w, (batches, in_h, in_w, in_c), out_c),
        "filter_h": w.filter_h,
        "filter_w": w.filter_w,
        "group_c": group_c,
        "group_out": out_c // p.groups,
        "groups": p.groups,
        **stride_fields(w),
        **box,
        "runs": len(offsets),
        "run_len": run_len,
        "run_offset": "NULL"
        if len(offsets) == 1
        else e.array("int32_t", np.array(offsets, np.int64), "run_offset", "tables"),
        "input_offset": p.input_offset,
        "output_offset": p.output_offset,
        "act_min": p.act_min,
        "act_max": p.act_max,
        "bias": e.array("int32_t", fp.wrap_int32(folded), "bias_folded", "biases"),
        "bias_raw": "NULL" if everywhere else e.array("int32_t", fp.wrap_int32(raw), "bias", "biases"),
        **requant_fields(p, e, raw, np.abs(weights).reshape(out_c, -1).sum(1)),
    }
    e.use(*features(fields))
    params = e.struct("edgenn_conv_2d_params", fields)
    if e.packing is not None and _reads_packed(p, e.packing):
        e.use("CONV_INT4" if e.packing.encoding == "int4" else "CONV_LUT4" if e.packing.paired else "CONV_SPARSE")
        return e.packed_call("edgenn_conv_2d", params)
    e.use("CONV_DENSE")
    if e.packing is not None:
        return e.packed_call("edgenn_conv_2d", params)
    return f"edgenn_conv_2d({params}, {e.input(0)}, {e.input(1)}, {e.output()});"


def packable(p: Params) -> bool:
    """Whether the C can run the layer on packed weights (export/packing.py): one group."""
    return p.groups == 1


def _reads_packed(p: Params, packing) -> bool:
    """Whether the pair path reads the layer's packed weights in its loop on every core: int4
    (CONV_INT4), sparse ones (CONV_SPARSE, zero blocks skipped) and paired 4-bit indices into one table
    (CONV_LUT4), in windows of 4 to CONV_PATCH values. The layer then reads its input as the dense one
    does: it may stream (and, but for a paired table in the arena, join chains)."""
    return (packing.encoding in ("int4", "sparse") or packing.paired) and 4 <= packing.depth <= CONV_PATCH


def unpack_group(p: Params, packing) -> int:
    """Channels unpacked at a time: none where the pair path reads the weights in its loop, else
    packing's own choice."""
    return 0 if _reads_packed(p, packing) else packing.group


CONV_PATCH = 576  # EDGENN_CONV_PATCH in conv_2d.c


def features(f: dict) -> list[str]:
    """The kernel paths (base.FEATURES) a layer with these params fields takes, as edgenn_conv_2d reads
    them: on the DSP cores (and SSE2 hosts), conv_pairs declines windows of under 4 values and windows deeper than its
    patch buffer that one long row of two or more pixels does not hold in place (CONV_PLAIN)."""
    n = f["filter_h"] * f["filter_w"] * f["group_c"]
    pixels = f["batches"] * f["out_h"] * f["out_w"]
    flat = f["runs"] == 1 and f["groups"] == 1 and f["stride_w"] * f["in_c"] == n
    in_place = (
        flat
        and f["batches"] == 1
        and f["out_h"] == 1
        and f["inner_y1"] == 1
        and f["inner_x0"] == 0
        and f["inner_x1"] == f["out_w"]
        and f["pad_left"] == 0
    )
    return ["CONV_PLAIN"] if n < 4 or (n > CONV_PATCH and not (in_place and pixels >= 2)) else []


def macs(graph, op) -> int:
    w = graph.tensors[op.inputs[1]]  # [out_c, kh, kw, in_c / groups]
    return int(np.prod(graph.tensors[op.outputs[0]].shape)) * int(np.prod(w.shape[1:]))


# Output pixels the C writes together at most (conv_pairs' pairs, conv_inner_pair's), in row-major order;
# an odd last pixel goes with the one before it, whose window it then reads again.
PIXEL_GROUP = 2


def streaming_gap(graph, op) -> int | None:
    """Bytes by which input 0 must start after the output so that every path of edgenn_conv_2d, which
    writes output pixels in row-major order in groups of at most PIXEL_GROUP, each group only after
    reading its windows, never writes over input a later window reads: output pixel q's bytes end at
    (q + 1) * out_c, and from pixel q - 1 on no window starts before the smallest first-tap offset of
    the pixels that follow (`need`). Batch 1, int8 only."""
    if op.options is None:
        return None
    inp, flt, out = (graph.tensors[t] for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if (
        len(inp.shape) != 4
        or len(out.shape) != 4
        or len(flt.shape) != 4
        or inp.shape[0] != 1
        or inp.dtype != "int8"
        or out.dtype != "int8"
    ):
        return None
    _, in_h, in_w, in_c = inp.shape
    _, out_h, out_w, out_c = out.shape
    o = op.options
    padding = "SAME" if o.padding == schema.Padding.SAME else "VALID"
    _, pad_top = compute_padding(padding, in_h, flt.shape[1], o.strideH, o.dilationHFactor)
    _, pad_left = compute_padding(padding, in_w, flt.shape[2], o.strideW, o.dilationWFactor)
    iy = np.maximum(0, np.arange(out_h) * o.strideH - pad_top)
    ix = np.maximum(0, np.arange(out_w) * o.strideW - pad_left)
    start = ((iy[:, None] * in_w + ix[None, :]) * in_c).reshape(-1)  # each pixel's first tap, row-major
    need = np.minimum.accumulate(start[::-1])[::-1]  # the lowest input offset pixel q or a later one reads
    pixels = start.size
    q = np.arange(pixels)
    written = np.minimum(q + PIXEL_GROUP, pixels) * out_c  # output bytes written by the time group q is
    return int(max(0, (written - need[np.maximum(q - 1, 0)]).max()))


def row_window(graph, op):
    flt = (
        graph.tensors[op.inputs[1]] if len(op.inputs) > 1 and op.inputs[1] >= 0 else None
    )  # [out_c, kh, kw, in_c / groups]
    if op.options is None or flt is None or len(flt.shape) != 4:
        return None
    return _spatial.row_window(graph, op, flt.shape[1], int(op.options.dilationHFactor))
