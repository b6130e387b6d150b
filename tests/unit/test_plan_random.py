"""The planner on seeded random convolution stacks (strides, paddings, dilations, pools, residual ADDs):
whatever it chooses (streaming layers, row-streamed chains, their windows over the input), the checker
finds no live bytes shared without a rule allowing it, every buffer fits in the arena, the arena is at
least its lower bound, and a chain never plans a window that would overflow."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.export.plan import overlapping_pairs, plan_schedule, violations
from edgenn.export.stream import simulate
from edgenn.graph.tflite import Graph, Op, Tensor, schema

SAME, VALID = schema.Padding.SAME, schema.Padding.VALID


class _Builder:
    def __init__(self):
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []

    def tensor(self, shape, data=None) -> int:
        i = len(self.tensors)
        self.tensors.append(Tensor(i, f"t{i}", tuple(shape), "int8", (0.1,), (0,), 0, data))
        return i

    def op(self, name, inputs, out_shape, options) -> int:
        out = self.tensor(out_shape)
        self.ops.append(Op(len(self.ops), name, tuple(inputs), (out,), options))
        return out


def _out(size, k, s, d, padding):
    eff = (k - 1) * d + 1
    return (size + s - 1) // s if padding == SAME else (size - eff + s) // s


def _random_graph(rng) -> Graph:
    b = _Builder()
    h, w, c = (int(x) for x in rng.integers([6, 4, 1], [30, 20, 5]))
    x = b.tensor((1, h, w, c))
    first = x
    for _ in range(int(rng.integers(2, 9))):
        kind = rng.choice(["conv", "dw", "pool", "pw", "res"])
        k = int(rng.choice([1, 2, 3, 5]))
        s = int(rng.choice([1, 1, 2]))
        d = int(rng.choice([1, 1, 2])) if kind in ("conv", "dw") and s == 1 else 1
        padding = SAME if rng.random() < 0.7 else VALID
        oh, ow = _out(h, k, s, d, padding), _out(w, k, s, d, padding)
        if min(oh, ow) < 1 or kind == "res" and min(h, w) < 3:
            continue
        if kind == "conv":
            o = schema.Conv2DOptionsT()
            co = int(rng.integers(1, 24))
            o.padding, o.strideH, o.strideW, o.dilationHFactor, o.dilationWFactor = padding, s, s, d, d
            wt = b.tensor((co, k, k, c), np.zeros((co, k, k, c), np.int8))
            x, h, w, c = b.op("CONV_2D", (x, wt, -1), (1, oh, ow, co), o), oh, ow, co
        elif kind == "pw":
            o = schema.Conv2DOptionsT()
            co = int(rng.integers(1, 32))
            o.padding, o.strideH, o.strideW, o.dilationHFactor, o.dilationWFactor = SAME, 1, 1, 1, 1
            wt = b.tensor((co, 1, 1, c), np.zeros((co, 1, 1, c), np.int8))
            x, c = b.op("CONV_2D", (x, wt, -1), (1, h, w, co), o), co
        elif kind == "dw":
            o = schema.DepthwiseConv2DOptionsT()
            o.padding, o.strideH, o.strideW, o.dilationHFactor, o.dilationWFactor = padding, s, s, d, d
            o.depthMultiplier = 1
            wt = b.tensor((1, k, k, c), np.zeros((1, k, k, c), np.int8))
            x, h, w = b.op("DEPTHWISE_CONV_2D", (x, wt, -1), (1, oh, ow, c), o), oh, ow
        elif kind == "pool":
            o = schema.Pool2DOptionsT()
            o.padding, o.strideH, o.strideW, o.filterHeight, o.filterWidth = padding, s, s, k, k
            x, h, w = b.op("MAX_POOL_2D", (x,), (1, oh, ow, c), o), oh, ow
        else:  # a residual block: two 3x3 same convolutions and an ADD of the block's input
            skip = x
            for _ in range(2):
                o = schema.Conv2DOptionsT()
                o.padding, o.strideH, o.strideW, o.dilationHFactor, o.dilationWFactor = SAME, 1, 1, 1, 1
                wt = b.tensor((c, 3, 3, c), np.zeros((c, 3, 3, c), np.int8))
                x = b.op("CONV_2D", (x, wt, -1), (1, h, w, c), o)
            x = b.op("ADD", (skip, x) if rng.random() < 0.5 else (x, skip), (1, h, w, c), schema.AddOptionsT())
    return Graph(None, "0" * 64, 0, tuple(b.tensors), tuple(b.ops), (first,), (x,))


@pytest.mark.parametrize("seed", range(40))
def test_random_stacks_plan_without_sharing_live_bytes(seed):
    graph = _random_graph(np.random.default_rng(seed))
    for stream in (True, False):
        ordered, plan = plan_schedule(graph, stream=stream)
        assert violations(ordered, plan) == [], (seed, stream)
        assert overlapping_pairs(plan) == [], (seed, stream)
        assert plan.lower_bound_bytes <= plan.arena_bytes
        for buf in plan.buffers.values():
            assert 0 <= buf.offset and buf.offset + buf.size <= plan.arena_bytes
        for chain in plan.chains:
            assert len(chain.stages) >= 2 and all(s.capacity >= s.rows for s in chain.stages[1:])
            simulate(chain.stages)  # raises where a window would overflow
        if not stream:
            assert not plan.chains
    # Streaming never costs RAM: the planner keeps the layer-by-layer plan where chains do not help.
    assert plan_schedule(graph)[1].arena_bytes <= plan.arena_bytes
