"""A convolution that writes its output over the input rows it has consumed (plan.streaming), planned
layer by layer (no row-streamed chain, which would hold both convolutions): the C is bit-exact with
TFLM on every host variant and on the Cortex-M cores, with the output placed at exactly the planner's
gap below the input, and the checker refuses a placement one byte closer."""

from dataclasses import replace

import pytest

from edgenn.export.plan import plan_schedule, streaming_gap, violations
from edgenn.graph.tflite import parse_tflite
from tests.conftest import require_target_tools, require_tool
from tests.kernels.harness import HOST_VARIANTS, check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")

# (input shape, first conv, second conv): the second one's input dies there and is the largest tensor.
CASES = {
    "3x3 same, odd width": ((11, 9, 1), (12, 3, 1), (12, 3, 1, "same")),
    "3x3 stride 2": ((12, 10, 1), (16, 3, 1), (16, 3, 2, "same")),
    "3x3 valid": ((10, 10, 1), (12, 3, 1), (12, 3, 1, "valid")),
    "pointwise, odd pixels": ((7, 9, 1), (16, 3, 1), (16, 1, 1, "same")),
    "pointwise, wider out": ((7, 7, 1), (12, 3, 1), (20, 1, 1, "same")),
    "5x5 stride 2, deep": ((13, 13, 2), (24, 3, 1), (24, 5, 2, "same")),
}


def _model(case: str) -> bytes:
    shape, (f1, k1, s1), (f2, k2, s2, pad2) = CASES[case]
    keras.utils.set_random_seed(3)
    x = keras.Input(batch_shape=(1, *shape))
    y = keras.layers.Conv2D(f1, k1, strides=s1, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(f2, k2, strides=s2, padding=pad2)(y)
    return int8_tflite(keras.Model(x, y))


def _second_conv_streams(data: bytes):
    graph, plan = plan_schedule(parse_tflite(data), stream=False)
    second = graph.ops[-1]
    assert second.name == "CONV_2D" and second.index in plan.streaming
    gap = streaming_gap(graph, second)
    assert plan.offset(second.inputs[0]) - plan.offset(second.outputs[0]) >= gap
    return graph, plan, second, gap


@pytest.mark.parametrize("variant", list(HOST_VARIANTS))
@pytest.mark.parametrize("case", list(CASES))
def test_conv_over_its_consumed_input_on_the_host(tmp_path, case, variant):
    require_tool("gcc")
    data = _model(case)
    _second_conv_streams(data)
    dsp, cflags = HOST_VARIANTS[variant]
    check_c_bit_exact(data, tmp_path, count=8, dsp=dsp, cflags=cflags, stream=False)


@pytest.mark.parametrize("target, dsp", [("cortex-m4", True), ("cortex-m4", False), ("cortex-m55", True)])
def test_conv_over_its_consumed_input_on_cortex_m(tmp_path, target, dsp):
    require_target_tools(target)
    for n, case in enumerate(CASES):
        data = _model(case)
        _second_conv_streams(data)
        check_c_bit_exact(data, tmp_path / str(n), count=4, target=target, dsp=dsp, stream=False)


def test_checker_refuses_the_output_one_byte_closer():
    graph, plan, second, gap = _second_conv_streams(_model("3x3 same, odd width"))
    assert not violations(graph, plan)
    inp = second.inputs[0]
    moved = dict(plan.sub_offset)
    shift = plan.offset(inp) - plan.offset(second.outputs[0]) - gap + 1  # input starts gap - 1 after the output
    for t, buf in plan.buffer_of.items():
        if buf == plan.buffer_of[inp] and t != second.outputs[0]:
            moved[t] -= shift
    assert violations(graph, replace(plan, sub_offset=moved))
