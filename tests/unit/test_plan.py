"""The arena planner on small hand-made graphs: views, in-place ops, and no overlapping bytes."""

from __future__ import annotations

import numpy as np

from edgenn.export.plan import overlapping_pairs, plan_arena
from edgenn.graph.tflite import Graph, Op, Tensor


def t(i, shape, data=None, dtype="int8"):
    return Tensor(i, f"t{i}", tuple(shape), dtype, (0.1,), (0,), 0, data)


def graph(tensors, ops, inputs, outputs):
    return Graph(None, "0" * 64, 0, tuple(tensors), tuple(Op(i, *o) for i, o in enumerate(ops)), inputs, outputs)


def chain():
    # input(100) → CONV → 400 → RESHAPE → 400 → RELU → 400 → FC → 10
    w = np.zeros((4,), np.int8)
    tensors = [t(0, (1, 100)), t(1, (1, 400)), t(2, (400,)), t(3, (400,)), t(4, (1, 10)), t(5, (4,), w)]
    ops = [
        ("CONV_2D", (0, 5), (1,), None),
        ("RESHAPE", (1,), (2,), None),
        ("RELU", (2,), (3,), None),
        ("FULLY_CONNECTED", (3, 5), (4,), None),
    ]
    return graph(tensors, ops, (0,), (4,))


def test_reshape_is_a_view_and_relu_writes_in_place():
    plan = plan_arena(chain())
    assert plan.views == frozenset({1})
    assert plan.buffer_of[2] == plan.buffer_of[1] == plan.buffer_of[3]
    assert overlapping_pairs(plan) == []
    # Peak: the 100-byte input and the 400-byte conv output at step 0.
    assert plan.lower_bound_bytes == 500
    assert plan.arena_bytes == 512  # 500 rounded up to the 16-byte alignment of each buffer


def test_a_tensor_read_later_is_not_overwritten_in_place():
    # x → RELU → y; ADD(x, y): x is still needed after RELU, so RELU may not write over it.
    tensors = [t(0, (64,)), t(1, (64,)), t(2, (64,))]
    ops = [("RELU", (0,), (1,), None), ("ADD", (0, 1), (2,), None)]
    plan = plan_arena(graph(tensors, ops, (0,), (2,)))
    assert plan.buffer_of[1] != plan.buffer_of[0]
    assert plan.buffer_of[2] in (plan.buffer_of[0], plan.buffer_of[1])  # ADD reuses an input that dies
    assert overlapping_pairs(plan) == []


def test_model_output_is_never_overwritten():
    # The output of RELU is the model's output and is also read by the next op.
    tensors = [t(0, (32,)), t(1, (32,)), t(2, (32,))]
    ops = [("RELU", (0,), (1,), None), ("TANH", (1,), (2,), None)]
    plan = plan_arena(graph(tensors, ops, (0,), (1, 2)))
    assert plan.buffer_of[2] != plan.buffer_of[1]
    assert overlapping_pairs(plan) == []


def test_branches_share_bytes_only_when_lifetimes_do_not_overlap():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(3, 9))
        tensors = [t(i, (int(rng.integers(1, 300)),)) for i in range(n)]
        ops = []
        for out in range(1, n):
            k = int(rng.integers(1, min(out, 2) + 1))
            ins = tuple(sorted({int(x) for x in rng.integers(0, out, size=k)}))
            ops.append(("CONCATENATION", ins, (out,), None))
        plan = plan_arena(graph(tensors, ops, (0,), (n - 1,)))
        assert overlapping_pairs(plan) == []
        assert plan.arena_bytes >= plan.lower_bound_bytes


def test_checker_finds_overlapping_live_tensors():
    from dataclasses import replace

    from edgenn.export.plan import violations

    g = chain()
    plan = plan_arena(g)
    assert violations(g, plan) == []
    # Put the conv output over the input it is computed from: both are live at step 0.
    bad = dict(plan.sub_offset)
    conv_out_buffer = plan.buffers[plan.buffer_of[1]]
    input_offset = plan.offset(0)
    bad.update({t: input_offset - conv_out_buffer.offset for t in conv_out_buffer.tensors})
    assert violations(g, replace(plan, sub_offset=bad))
