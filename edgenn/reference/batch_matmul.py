"""BATCH_MATMUL, int8: TFLM's batch_matmul.cc with reference_ops::BatchMatMul's quantized path.

out[..., i, j] = sum_k (x[..., i, k] - x_zero) * (y[..., k, j] - y_zero) in int32 (wrapping), then
one per-tensor requantization with the multiplier from float(x_scale * y_scale) / out_scale (the
product rounded to float first, as GetQuantizedConvolutionMultipler does), plus the output zero
point, clamped to int8: BATCH_MATMUL has no fused activation. adj_x and adj_y transpose the last
two dims of x and y. Both operands have 2 to 5 dims; their batch dims (all but the last two, the
shorter shape padded with leading 1s) broadcast where one of them is 1. TFLM copies transposed
operands into buffers of their own; the C reads them in place through strides instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "BATCH_MATMUL"
TFLM_RESOLVER = "AddBatchMatMul"
TFLITE_OPTIONS = "BatchMatMulOptions"

MAX_RANK = 5  # BatchMatMulPrepare: ranks 2 to 5
BATCH_DIMS = MAX_RANK - 2


@dataclass(frozen=True)
class Params:
    x_offset: int
    y_offset: int
    output_offset: int
    multiplier: int
    shift: int
    adj_x: bool
    adj_y: bool
    x_shape: tuple[int, ...]  # both padded to MAX_RANK dims
    y_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def _padded(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (MAX_RANK - len(shape)) + tuple(shape)


def prepare(ctx: OpContext) -> Params:
    x = ctx.require_dtype(ctx.input(0), "int8")
    y = ctx.require_dtype(ctx.input(1), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    for t in (x, y):
        if not 2 <= len(t.shape) <= MAX_RANK:
            raise ctx.fail(f"operand of shape {t.shape}: 2 to {MAX_RANK} dimensions are supported")
    o = ctx.options
    adj_x = bool(getattr(o, "adjX", False)) if o is not None else False
    adj_y = bool(getattr(o, "adjY", False)) if o is not None else False
    xs, ys = _padded(x.shape), _padded(y.shape)
    batch = []
    for a, b in zip(xs[:BATCH_DIMS], ys[:BATCH_DIMS], strict=True):
        if a != b and 1 not in (a, b):
            raise ctx.fail(f"batch dims of {x.shape} and {y.shape} do not broadcast")
        batch.append(max(a, b) if 1 in (a, b) else a)
    rows, depth = (xs[4], xs[3]) if adj_x else (xs[3], xs[4])
    y_depth, cols = (ys[4], ys[3]) if adj_y else (ys[3], ys[4])
    if depth != y_depth:
        raise ctx.fail(
            f"inner dims differ: {depth} in {x.shape} (adj_x {adj_x}), {y_depth} in {y.shape} (adj_y {adj_y})"
        )
    rank = max(len(x.shape), len(y.shape))
    expected = (*batch, rows, cols)[MAX_RANK - rank :]
    if out.shape != expected:
        raise ctx.fail(f"output shape {out.shape} is not the {expected} the operands give")
    x_scale, x_zp = ctx.per_tensor(x)
    y_scale, y_zp = ctx.per_tensor(y)
    out_scale, out_zp = ctx.per_tensor(out)
    product = float(np.float32(x_scale) * np.float32(y_scale))
    if product < 0:
        raise ctx.fail("operand scales with a negative product are not supported")
    mult, shift = fp.quantize_multiplier(product / float(out_scale))
    if ctx.for_c and depth * 255 * 255 >= 1 << 31:
        # TFLM's int32 sums wrap where they overflow; C's signed overflow is undefined.
        raise ctx.fail(f"an inner dim of {depth} can overflow the int32 accumulator")
    return Params(-x_zp, -y_zp, out_zp, mult, shift, adj_x, adj_y, xs, ys, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.x_shape).astype(np.int64) + p.x_offset
    y = inputs[1].reshape(p.y_shape).astype(np.int64) + p.y_offset
    if p.adj_x:
        x = np.swapaxes(x, -1, -2)
    if p.adj_y:
        y = np.swapaxes(y, -1, -2)
    acc = fp.wrap_int32(np.matmul(x, y))
    acc = fp.multiply_by_quantized_multiplier(acc, p.multiplier, p.shift) + p.output_offset
    return np.clip(acc, -128, 127).astype(np.int8).reshape(p.output_shape)


def _strides(shape: tuple[int, ...]) -> list[int]:
    """Row-major strides, 0 along dims of size 1 (so a broadcast dim stays put)."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step if n > 1 else 0)
        step *= n
    return out[::-1]


def emit(p: Params, e) -> str:
    xs, ys = p.x_shape, p.y_shape
    x_str, y_str = _strides(xs), _strides(ys)
    rows, depth = (xs[4], xs[3]) if p.adj_x else (xs[3], xs[4])
    cols = ys[3] if p.adj_y else ys[4]
    # Element (i, k) of x sits at i * x_row + k * x_depth; (k, j) of y at k * y_depth + j * y_col.
    x_row, x_depth = (1, xs[4]) if p.adj_x else (xs[4], 1)
    y_depth, y_col = (1, ys[4]) if p.adj_y else (ys[4], 1)
    fields = {f"batch{d}": max(xs[d], ys[d]) for d in range(BATCH_DIMS)}
    fields.update({f"x_batch{d}": x_str[d] for d in range(BATCH_DIMS)})
    fields.update({f"y_batch{d}": y_str[d] for d in range(BATCH_DIMS)})
    fields.update(
        {
            "rows": rows,
            "cols": cols,
            "depth": depth,
            "x_row": x_row,
            "x_depth": x_depth,
            "y_depth": y_depth,
            "y_col": y_col,
            "x_offset": p.x_offset,
            "y_offset": p.y_offset,
            "output_offset": p.output_offset,
            "multiplier": p.multiplier,
            "shift": p.shift,
        }
    )
    params = e.struct("edgenn_batch_matmul_params", fields)
    return f"edgenn_batch_matmul({params}, {e.input(0)}, {e.input(1)}, {e.output()});"


def macs(graph, op) -> int:
    x = graph.tensors[op.inputs[0]]
    adj_x = bool(getattr(op.options, "adjX", False)) if op.options is not None else False
    return int(np.prod(graph.tensors[op.outputs[0]].shape)) * int(x.shape[-2] if adj_x else x.shape[-1])
