"""Shared checks for the elementwise and data-movement ops: broadcasting, scales, rounding."""

from __future__ import annotations

import platform

import numpy as np

from edgenn.cfmt import c_brace
from edgenn.reference.base import OpContext

# TFLM's RuntimeShape holds at most six dimensions; a kernel handed a larger tensor overruns it.
MAX_RANK = 6


def check_rank(ctx: OpContext, *tensors, limit: int = MAX_RANK) -> None:
    for t in tensors:
        if len(t.shape) > limit:
            raise ctx.fail(f"tensor '{t.name}' has {len(t.shape)} dimensions; at most {limit} are supported")


def binary_shapes(ctx: OpContext, a, b, out) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The shapes to view inputs a and b in so that NumPy broadcasting yields TFLM's output elements.

    Shapes equal once left-padded with ones take TFLM's flat elementwise loop, where only the
    element count must match the output; any other pair takes its broadcast loop over the output
    shape, which follows NumPy's rules (each dim equal or 1).
    """
    check_rank(ctx, a, b, out)
    rank = max(len(a.shape), len(b.shape), len(out.shape))
    ea, eb, eo = ((1,) * (rank - len(t.shape)) + tuple(t.shape) for t in (a, b, out))
    size = int(np.prod(out.shape, dtype=np.int64))
    if ea == eb:
        if int(np.prod(ea, dtype=np.int64)) != size:
            raise ctx.fail(f"inputs of shape {a.shape} do not match the output shape {out.shape}")
        return (size,), (size,)
    if any(x != y and 1 not in (x, y) for x, y in zip(ea, eb, strict=True)):
        raise ctx.fail(f"input shapes {a.shape} and {b.shape} do not broadcast")
    if tuple(max(x, y) for x, y in zip(ea, eb, strict=True)) != eo:
        raise ctx.fail(f"inputs of shapes {a.shape} and {b.shape} do not broadcast to the output shape {out.shape}")
    return ea, eb


def smaller_than_one(ctx: OpContext, real: float, what: str) -> None:
    """QuantizeMultiplierSmallerThanOneExp aborts outside (0, 1); refuse such a model here instead."""
    if not 0.0 < real < 1.0:
        raise ctx.fail(f"{what} multiplier {real!r} is outside (0, 1)")


def round_half_away(q: np.ndarray) -> np.ndarray:
    """std::round on each value (half away from zero), exact for every float32 or float64 input.

    Adding 0.5 and flooring would round values just below one half up, so compare the fraction instead.
    """
    q = np.asarray(q, dtype=np.float64)
    t = np.trunc(q)
    return t + np.sign(q) * (np.abs(q - t) >= 0.5)


# C leaves float -> int32 conversion undefined outside the int32 range and for NaN, so TFLM's result
# there is whatever the host's conversion instruction gives: x86's cvttss2si returns INT32_MIN (its
# "integer indefinite"), Arm's saturates and maps NaN to 0.
_INDEFINITE_INT32 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")


def float_to_int32(q: np.ndarray) -> np.ndarray:
    """static_cast<int32_t> of whole-valued floats as TFLM computes it on this host; int64 array."""
    q = np.asarray(q, dtype=np.float64)
    inside = (q >= -(2.0**31)) & (q < 2.0**31)
    if _INDEFINITE_INT32:
        fallback = np.full(q.shape, -(2**31), dtype=np.int64)
    else:
        fallback = np.where(np.isnan(q), 0, np.where(q > 0, 2**31 - 1, -(2**31))).astype(np.int64)
    return np.where(inside, np.where(inside, q, 0).astype(np.int64), fallback)


def require_same_quantization(ctx: OpContext, a, b, why: str) -> None:
    """Raise unless tensors a and b share one per-tensor scale and zero point."""
    sa, za = ctx.per_tensor(a)
    sb, zb = ctx.per_tensor(b)
    if sa != sb or za != zb:
        raise ctx.fail(
            f"tensor '{a.name}' (scale {sa!r}, zero point {za}) and '{b.name}' "
            f"(scale {sb!r}, zero point {zb}) must share quantization: {why}"
        )


def same_size(ctx: OpContext, a, b) -> None:
    """Raise unless tensors a and b hold the same number of elements (ops that only move bytes)."""
    if int(np.prod(a.shape, dtype=np.int64)) != int(np.prod(b.shape, dtype=np.int64)):
        raise ctx.fail(f"tensor '{a.name}' {a.shape} and '{b.name}' {b.shape} differ in size")


# Kinds of edgenn_ew_broadcast (edgenn/firmware/include/edgenn/elementwise.h).
EW_KINDS = ("EDGENN_EW_FLAT", "EDGENN_EW_REPEAT1", "EDGENN_EW_REPEAT2", "EDGENN_EW_GENERAL")


def broadcast_plan(shape1, shape2, out_shape) -> dict:
    """How the C walks two operands viewed in `shape1`/`shape2` (from binary_shapes) to fill `out_shape`.

    Output dims of 1 are dropped and neighbouring dims that each operand either spans or broadcasts
    alike are merged, so common cases become a flat loop or a repeated operand (a per-channel vector
    or a scalar) and the rest a walk over at most six dims with stride 0 where an operand broadcasts.
    """
    if tuple(shape1) == tuple(shape2):
        shape1 = shape2 = out_shape  # binary_shapes' flat views: any shape of the right size will do
    rank = max(len(shape1), len(shape2), len(out_shape))
    s1, s2, so = ((1,) * (rank - len(s)) + tuple(int(d) for d in s) for s in (shape1, shape2, out_shape))
    size = int(np.prod(so, dtype=np.int64))
    groups: list[list] = []  # [size, (input1 spans it, input2 spans it)]
    for a, b, o in zip(s1, s2, so, strict=True):
        if o == 1:
            continue
        kind = (a == o, b == o)
        if groups and groups[-1][1] == kind:
            groups[-1][0] *= o
        else:
            groups.append([o, kind])
    kinds = [k for _, k in groups]
    plan = {"kind": 0, "size": size, "inner": size, "dims": [1] * MAX_RANK}
    plan.update(stride1=[0] * MAX_RANK, stride2=[0] * MAX_RANK)
    if size == 0 or kinds in ([], [(True, True)]):
        return plan
    for which, held in ((2, (True, False)), (1, (False, True))):
        if kinds in ([held], [held, (True, True)]):
            plan.update(kind=which, inner=groups[1][0] if len(groups) == 2 else 1)
            return plan
    dims = [1] * (MAX_RANK - len(groups)) + [n for n, _ in groups]
    flags = [(False, False)] * (MAX_RANK - len(groups)) + kinds
    for key, j in (("stride1", 0), ("stride2", 1)):
        step = 1
        for d in reversed(range(MAX_RANK)):
            plan[key][d] = step if flags[d][j] else 0
            step *= dims[d] if flags[d][j] else 1
    plan.update(kind=3, dims=dims)
    return plan


def c_broadcast(plan: dict) -> str:
    """The plan as a C initializer for edgenn_ew_broadcast."""
    dims, stride1, stride2 = (c_brace(int(v) for v in plan[k]) for k in ("dims", "stride1", "stride2"))
    return (
        f"{{.kind = {EW_KINDS[plan['kind']]}, .size = {plan['size']}, .inner = {plan['inner']}, "
        f".dims = {dims}, .stride1 = {stride1}, .stride2 = {stride2}}}"
    )


def require_c_shift(ctx: OpContext, *shifts: int) -> None:
    """For the C, refuse a multiplier with a left shift of 32 or more: TFLM's `x * (1 << shift)` is
    undefined there, so no C reproduces it (x86 masks the shift count, Arm shifts everything out)."""
    if not ctx.for_c:
        return
    for s in shifts:
        if int(s) > 31:
            raise ctx.fail(f"a real multiplier of 2^{int(s) - 1} or more is not supported")
