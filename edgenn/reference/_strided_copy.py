"""What TRANSPOSE, SLICE, STRIDED_SLICE, DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPLIT, SPLIT_V and UNPACK
share: a strided copy.

Each of them writes its output in order, and each output dimension steps through the input by a
fixed number of elements (negative for a reversed strided slice). So the C kernel of each is one
walk (edgenn/firmware/include/edgenn/strided_copy.h): per output dimension a count and an input
stride, and the input element that output element 0 reads. `walk` builds it at export time, with
size-1 dimensions dropped and dimensions that step through the input as one merged, so that the
innermost loop copies runs as long as the layout allows.

An op with several outputs (SPLIT, SPLIT_V, UNPACK) runs one walk per output.

The checks they share are here too: an output of the expected shape and not empty, and the
block size and NHWC input of DEPTH_TO_SPACE and SPACE_TO_DEPTH.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edgenn.cfmt import c_brace
from edgenn.graph.tflite import Tensor
from edgenn.reference.base import OpContext

RANK = 5  # the walk's dimensions (edgenn/firmware/include/edgenn/strided_copy.h)


@dataclass(frozen=True)
class Walk:
    count: tuple[int, ...]  # output dims, outermost first, left-filled with 1 to RANK
    stride: tuple[int, ...]  # input elements between neighbours along each output dim
    start: int  # the input element output element 0 reads


@dataclass(frozen=True)
class BlockParams:
    """The Params of DEPTH_TO_SPACE and SPACE_TO_DEPTH."""

    block: int
    walk: Walk


def row_major_strides(shape: Iterable[int]) -> list[int]:
    """Elements between neighbours along each dimension of a row-major tensor."""
    strides: list[int] = []
    step = 1
    for d in reversed(tuple(shape)):
        strides.append(step)
        step *= int(d)
    return strides[::-1]


def flat_index(shape: Iterable[int], index: Iterable[int]) -> int:
    """The element of a row-major tensor of `shape` at `index`, counted from its first."""
    return sum(i * s for i, s in zip(index, row_major_strides(shape), strict=True))


def require_output(ctx: OpContext, out, expected: tuple[int, ...], what: str) -> None:
    """Refuse an output shape other than `expected` (`what` says what it should be), and an empty one."""
    if tuple(out.shape) != tuple(expected):
        raise ctx.fail(f"output shape {out.shape} is not {what}")
    if 0 in expected:
        raise ctx.fail("an empty tensor is not supported")


def block_operands(ctx: OpContext) -> tuple[int, tuple[int, int, int, int], Tensor]:
    """DEPTH_TO_SPACE and SPACE_TO_DEPTH: block_size, the int8 NHWC input's (n, h, w, c), the output."""
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    if len(inp.shape) != 4:
        raise ctx.fail(f"input of rank {len(inp.shape)} is not supported (NHWC, 4 dimensions)")
    n, h, w, c = (int(d) for d in inp.shape)
    return int(getattr(ctx.options, "blockSize", 0)), (n, h, w, c), out


def walk(dims: Iterable[tuple[int, int]], start: int = 0) -> Walk:
    """The walk for output dims given as (count, input stride), outermost first."""
    merged: list[tuple[int, int]] = []
    for count, stride in dims:
        if count == 1:
            continue
        if merged and merged[-1][1] == stride * count:
            merged[-1] = (merged[-1][0] * count, stride)
        else:
            merged.append((int(count), int(stride)))
    if len(merged) > RANK:
        raise ValueError(f"a copy of {len(merged)} dimensions does not fit the {RANK}-dimensional walk")
    merged = [(1, 0)] * (RANK - len(merged)) + merged
    return Walk(tuple(c for c, _ in merged), tuple(s for _, s in merged), int(start))


def emit(function: str, w: Walk, e, output: int = 0, source: int = 0) -> str:
    """The call that copies op input `source` into op output `output` along `w`. The C walks bytes,
    so a walk built in bytes (counts and strides times the element size) moves wider elements too."""
    params = e.struct("edgenn_strided_copy", {"count": c_brace(w.count), "stride": c_brace(w.stride), "start": w.start})
    return f"{function}({params}, {e.input(source, 'int8_t')}, {e.output(output, 'int8_t')});"
