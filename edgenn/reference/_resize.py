"""Shared checks and export-time index tables of RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR, int8 NHWC.

Both TFLM kernels copy or blend input codes without rescaling. Everything that depends only on
the output row or column (which input rows/columns it reads, and with what weight) is computed
here once per axis, so the NumPy reference and the C read the same small tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference.base import OpContext

ONE = 1 << 10  # TFLM's ResizeBilinearInteger: 10 fractional bits per axis


def prepare_geometry(ctx: OpContext) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], bool, bool]:
    """(input NHWC shape, output NHWC shape, align_corners, half_pixel_centers), checked as TFLM's Prepare does."""
    inp = ctx.require_dtype(ctx.input(0), "int8")
    size = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), "int8")
    if len(inp.shape) != 4 or len(out.shape) != 4:
        raise ctx.fail(f"input {inp.shape} and output {out.shape} must both be 4-D NHWC")
    if size.data is None:
        raise ctx.fail("the output size must be a constant tensor (TFLM refuses a dynamic one)")
    hw = ctx.const(size).astype(np.int64).ravel()
    if hw.size != 2:
        raise ctx.fail(f"the size operand must hold 2 values (height, width), has {hw.size}")
    n, in_h, in_w, c = (int(d) for d in inp.shape)
    want = (n, int(hw[0]), int(hw[1]), c)
    if tuple(out.shape) != want:
        raise ctx.fail(f"output shape {out.shape} is not input {inp.shape} resized to {tuple(int(v) for v in hw)}")
    if min(want) <= 0 or min(inp.shape) <= 0:
        raise ctx.fail(f"empty input {inp.shape} or output {out.shape}")
    o = ctx.options
    align = bool(getattr(o, "alignCorners", False)) if o is not None else False
    half = bool(getattr(o, "halfPixelCenters", False)) if o is not None else False
    if align and half:
        raise ctx.fail("align_corners together with half_pixel_centers is not supported")
    return (n, in_h, in_w, c), want, align, half


def _cdiv(a: np.ndarray, b: int) -> np.ndarray:
    """C's truncating integer division."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def bilinear_axis(in_size: int, out_size: int, align: bool, half: bool) -> np.ndarray:
    """(out_size, 3) int32 rows of (lower index, upper index, fraction in 1/1024) as TFLM's
    ComputeInterpolationValuesInteger gives them; the fraction is negative before the first centre."""
    if align and out_size > 1:
        scale = (ONE * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        scale = (ONE * in_size + out_size // 2) // out_size
    v = np.arange(out_size, dtype=np.int64) * scale
    if half:
        v = v + scale // 2 - ONE // 2
    lo = np.maximum(_cdiv(v, ONE), 0)
    hi = np.minimum(_cdiv(v + ONE - 1, ONE), in_size - 1)
    return np.stack([lo, hi, v - ONE * lo], axis=1)


def nearest_axis(in_size: int, out_size: int, align: bool, half: bool) -> np.ndarray:
    """The input index of each output index, as TFLM's GetNearestNeighbor computes it in float32."""
    f32 = np.float32
    if align and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    pos = (np.arange(out_size, dtype=f32) + f32(0.5 if half else 0.0)) * scale
    if align:
        idx = np.floor(pos.astype(np.float64) + 0.5)  # std::round of a float >= 0, exact in float64
    else:
        idx = np.floor(pos)
    idx = np.minimum(idx.astype(np.int64), in_size - 1)
    if half:
        idx = np.maximum(idx, 0)
    return idx


@dataclass(frozen=True)
class Params:
    input_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]
    rows: np.ndarray  # per output row: its table entry (bilinear: y0, y1, fraction; nearest: the source row)
    cols: np.ndarray  # per output column, the same


def prepare(ctx: OpContext, axis_table) -> Params:
    """Checks, then `axis_table(in_size, out_size, align, half)` for rows and columns (their indices in bounds)."""
    in_shape, out_shape, align, half = prepare_geometry(ctx)
    rows = axis_table(in_shape[1], out_shape[1], align, half)
    cols = axis_table(in_shape[2], out_shape[2], align, half)
    for what, table, size in (("row", rows, in_shape[1]), ("column", cols, in_shape[2])):
        index = table[:, :2] if table.ndim == 2 else table
        if index.min() < 0 or index.max() >= size:
            raise ctx.fail(f"{what} index {int(index.max())} falls outside the input's {size}: TFLM would read past it")
    return Params(in_shape, out_shape, rows, cols)


def emit(p: Params, e, op: str) -> str:
    """The call of edgenn_<op>, whose params struct holds one edgenn_resize_geometry (resize.h)."""
    (n, in_h, in_w, c), (_, out_h, out_w, _) = p.input_shape, p.output_shape
    rows = e.array("int32_t", p.rows.astype(np.int32).ravel(), "rows", "tables")
    cols = e.array("int32_t", p.cols.astype(np.int32).ravel(), "cols", "tables")
    fields = {"batches": n, "in_h": in_h, "in_w": in_w, "depth": c, "out_h": out_h, "out_w": out_w}
    geometry = "{" + ", ".join(f".{k} = {v}" for k, v in fields.items()) + f", .rows = {rows}, .cols = {cols}}}"
    params = e.struct(f"edgenn_{op}_params", {"geometry": geometry})
    return f"edgenn_{op}({params}, {e.input(0)}, {e.output()});"
