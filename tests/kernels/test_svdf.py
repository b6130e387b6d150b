"""SVDF, int8 with an int8 or int16 state: reference and C against TFLM over sequences of runs.

Every check feeds a sequence through one TFLM interpreter, one prepared reference graph and one
generated C program, so the state each run leaves is what the next one reads: a kernel that forgot
it, or started it anywhere but where TFLM does (the zero point for an int8 state), differs from the
second run on.
"""

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter, op_macs
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, probe_inputs
from tests.kernels.op_models import T, single_op_model

RELU = 1


def svdf_model(
    batches=1,
    input_size=16,
    units=8,
    rank=1,
    memory=4,
    state_dtype="int8",
    input_q=(0.05, 3),
    state_q=(0.25, -20),
    output_q=(0.5, 7),
    feature_scale=0.01,
    time_scale=0.01,
    activation=0,
    seed=0,
) -> bytes:
    """One SVDF with random weights and bias; the bias scale is state scale x time weights scale, as TFLM requires."""
    rng = np.random.default_rng(seed)
    filters = units * rank
    wt_info = np.iinfo(state_dtype)
    wf = rng.integers(-127, 128, (filters, input_size)).astype(np.int8)
    wt = rng.integers(wt_info.min + 1, wt_info.max + 1, (filters, memory)).astype(state_dtype)
    bias_scale = float(np.float32(state_q[0]) * np.float32(time_scale))
    bias = rng.integers(-2000, 2000, units).astype(np.int32)
    inputs = [
        T((batches, input_size), scale=input_q[0], zero_point=input_q[1]),
        T((filters, input_size), scale=feature_scale, data=wf),
        T((filters, memory), state_dtype, scale=time_scale, data=wt),
        T((units,), "int32", scale=bias_scale, data=bias),
        T((batches, filters * memory), state_dtype, scale=state_q[0], zero_point=state_q[1], variable=True),
    ]
    out = T((batches, units), scale=output_q[0], zero_point=output_q[1])
    return single_op_model("SVDF", inputs, out, {"rank": rank, "fusedActivationFunction": activation})


def sequence(data: bytes, count: int = 16, seed: int = 0) -> np.ndarray:
    return probe_inputs(parse_tflite(data).input_tensor().shape, count, seed)


CASES = {
    "rank1": {},
    "rank2-relu": dict(input_size=24, units=6, rank=2, memory=10, activation=RELU, seed=1),
    "rank3-long-memory": dict(input_size=8, units=5, rank=3, memory=32, input_q=(0.02, -128), seed=2),
    # A feature scale that saturates the newest activations, and a state zero point whose sum with
    # them wraps int8 (TFLM stores zero point + activation in the state's type).
    "wrapping-state": dict(state_q=(0.05, 100), output_q=(0.05, -10), time_scale=0.002, seed=3),
    "int16-state": dict(
        input_size=20, units=4, rank=2, memory=6, state_dtype="int16", state_q=(0.002, 0), output_q=(150.0, 0), seed=4
    ),
    "int16-state-zero-point": dict(state_dtype="int16", state_q=(0.002, -300), output_q=(100.0, 5), seed=5),
}


@pytest.mark.parametrize("name", CASES)
def test_reference(name):
    data = svdf_model(**CASES[name])
    out = check_bit_exact(data, sequence(data))
    assert len(np.unique(out)) > 4, out  # not all saturated


def test_reference_two_batches():
    data = svdf_model(batches=2, units=3, rank=2, memory=5, seed=6)
    check_bit_exact(data, sequence(data))


def test_state_carries_over():
    # The same input twice in a row gives different outputs: the second run reads the first's activations.
    data = svdf_model(**CASES["rank1"])
    x = np.repeat(sequence(data, 5)[4:5], 3, axis=0)
    out = check_bit_exact(data, x)
    assert not np.array_equal(out[0], out[1])


def test_fused_relu_is_not_applied():
    # TFLM's integer SVDF saturates to int8 and applies no fused activation: outputs below the zero point stay.
    data = svdf_model(**CASES["rank2-relu"])
    out = check_bit_exact(data, sequence(data))
    assert (out < 7).any()


def test_macs():
    graph = parse_tflite(svdf_model(input_size=24, units=6, rank=2, memory=10))
    assert op_macs(graph, graph.ops[0]) == 12 * (24 + 10)


def refused(data: bytes, match: str) -> None:
    with pytest.raises(UnsupportedError, match=match):
        interpreter.prepare(parse_tflite(data))


def test_refusals():
    rng = np.random.default_rng(0)
    wf = rng.integers(-127, 128, (4, 8)).astype(np.int8)

    def model(wt_dtype="int8", state_dtype="int8", bias_scale=0.0025, rank=1, units=4, state_data=None):
        return single_op_model(
            "SVDF",
            [
                T((1, 8), scale=0.05),
                T((4, 8), scale=0.01, data=wf),
                T((4, 3), wt_dtype, scale=0.01, data=np.ones((4, 3), wt_dtype)),
                T((units,), "int32", scale=bias_scale, data=np.zeros(units, np.int32)),
                T((1, 12), state_dtype, scale=0.25, data=state_data, variable=True),
            ],
            T((1, units), scale=0.5),
            {"rank": rank},
        )

    refused(model(state_dtype="int16"), "state is int16 but time weights are int8")
    refused(model(bias_scale=0.01), "bias scale .* is not state scale times time weights scale")
    refused(model(rank=3, units=1), "rank 3 does not divide the 4 filters")
    refused(model(rank=2, units=4), r"output \(1, 4\) and bias .* do not hold 2 units")
    refused(model(state_data=np.zeros((1, 12), np.int8)), "state tensor .* has data in the file")


# --- the generated C ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rank2-relu", "wrapping-state", "int16-state-zero-point"])
def test_in_c(tmp_path, name):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = svdf_model(**CASES[name])
    check_c_bit_exact(data, tmp_path, inputs=sequence(data))


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_in_c_on_target(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    for name in ("wrapping-state", "int16-state-zero-point"):
        data = svdf_model(**CASES[name])
        check_c_bit_exact(data, tmp_path / name, inputs=sequence(data, 8), target=target)
