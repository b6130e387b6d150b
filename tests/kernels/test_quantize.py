"""QUANTIZE: float32 → int8 at a float model input, and int8 → int8 where scales must change."""

import numpy as np
import pytest

from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite
from tests.kernels.op_models import T, check_bytes_exact, check_c_bytes_exact, float_io_tflite, single_op_model

keras = pytest.importorskip("keras")


def quantize_ops(data):
    graph = parse_tflite(data)
    assert "QUANTIZE" in graph.op_names, graph.op_names
    return graph, [op for op in graph.ops if op.name == "QUANTIZE"]


def float_probes(scale: float, zero_point: int, n: int, seed: int = 0) -> np.ndarray:
    """Values that land exactly on, just beside and far from rounding ties, plus the non-finite ones."""
    rng = np.random.default_rng(seed)
    s = np.float32(scale)
    k = rng.integers(-140 - zero_point, 140 - zero_point, size=n)
    ties = ((k + 0.5) * s).astype(np.float32)
    rows = [
        ties,
        np.nextafter(ties, np.float32(np.inf)),
        np.nextafter(ties, np.float32(-np.inf)),
        (k * s).astype(np.float32),
        rng.normal(0.0, 200.0 * scale, n).astype(np.float32),
        rng.uniform(-1e12, 1e12, n).astype(np.float32),  # beyond int32 once divided by the scale
        np.resize(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45], np.float32), n),
    ]
    return np.stack(rows)


def test_float_input_model():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 40))
    data = float_io_tflite(keras.Model(x, keras.layers.ReLU()(x)), float_output=False, low=-2.0, high=1.0)
    graph, (op,) = quantize_ops(data)
    assert graph.tensors[op.inputs[0]].dtype == "float32"
    out = graph.tensors[op.outputs[0]]
    check_bytes_exact(data, float_probes(out.scale[0], out.zero_point[0], 40)[:, None, :])


@pytest.mark.parametrize("scale, zero_point", [(0.0123, -3), (1.0, -128), (0.5, 127), (3e-5, 0), (7.0, 50)])
def test_float_to_int8_hand_built(scale, zero_point):
    data = single_op_model("QUANTIZE", [T((1, 64), "float32")], T((1, 64), scale=scale, zero_point=zero_point))
    quantize_ops(data)
    check_bytes_exact(data, float_probes(scale, zero_point, 64, seed=1)[:, None, :])


def test_requantize_inserted_by_the_converter():
    # One tensor feeding two concatenations of different ranges cannot share both their scales.
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(4)(x)
    c1 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 10.0])
    c2 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 0.1])
    data = int8_tflite(keras.Model(x, keras.layers.Add()([c1, c2])))
    graph, ops = quantize_ops(data)
    assert any(graph.tensors[op.inputs[0]].dtype == "int8" for op in ops)
    check_bit_exact(data, count=64)


# (input scale, zero point) -> (output scale, zero point)
REQUANTIZE = [
    ((0.05, 3), (0.2, -10)),  # real multiplier 1/4
    ((0.2, -10), (0.05, 3)),  # real multiplier 4: a positive shift, saturating
    ((0.03, 7), (0.03, -7)),  # same scale, new zero point
    ((0.0123, -128), (0.0457, 127)),
    ((1e-6, 0), (1.0, 0)),  # everything rounds to the zero point
]


@pytest.mark.parametrize("inq, outq", REQUANTIZE)
def test_int8_to_int8_hand_built(inq, outq):
    data = single_op_model(
        "QUANTIZE", [T((1, 128), scale=inq[0], zero_point=inq[1])], T((1, 128), scale=outq[0], zero_point=outq[1])
    )
    quantize_ops(data)
    check_bit_exact(data, inputs=np.arange(-128, 128, dtype=np.int8).reshape(2, 1, 128))


# --- the generated C ---------------------------------------------------------------------------
# Quotients beyond int32 and NaN convert as this host's TFLM does (see quantize.h); the probes
# include them, so on another host these compare that host's C with that host's TFLM.


def test_in_c_float_input_model(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 40))
    data = float_io_tflite(keras.Model(x, keras.layers.ReLU()(x)), float_output=False, low=-2.0, high=1.0)
    graph, (op,) = quantize_ops(data)
    out = graph.tensors[op.outputs[0]]
    check_c_bytes_exact(data, tmp_path, float_probes(out.scale[0], out.zero_point[0], 40)[:, None, :])


@pytest.mark.parametrize("scale, zero_point", [(0.0123, -3), (1.0, -128), (0.5, 127), (3e-5, 0), (7.0, 50)])
def test_in_c_float_to_int8_hand_built(tmp_path, scale, zero_point):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model("QUANTIZE", [T((1, 64), "float32")], T((1, 64), scale=scale, zero_point=zero_point))
    check_c_bytes_exact(data, tmp_path, float_probes(scale, zero_point, 64, seed=1)[:, None, :])


def test_in_c_requantize_inserted_by_the_converter(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(4)(x)
    c1 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 10.0])
    c2 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 0.1])
    data = int8_tflite(keras.Model(x, keras.layers.Add()([c1, c2])))
    quantize_ops(data)
    check_c_bit_exact(data, tmp_path, count=64)


@pytest.mark.parametrize("inq, outq", REQUANTIZE)
def test_in_c_int8_to_int8_every_code(tmp_path, inq, outq):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "QUANTIZE", [T((1, 128), scale=inq[0], zero_point=inq[1])], T((1, 128), scale=outq[0], zero_point=outq[1])
    )
    check_c_bit_exact(data, tmp_path, inputs=np.arange(-128, 128, dtype=np.int8).reshape(2, 1, 128))


# --- int16 and int32 ----------------------------------------------------------------------------

INT16_CODES = np.arange(-32768, 32768, dtype=np.int16).reshape(16, 1, 4096)  # every int16 code once

# (input dtype, scale, zero point) -> (output dtype, scale, zero point)
INTEGER_PAIRS = {
    "int16-int8": (("int16", 0.000625, 0), ("int8", 0.0592, -128)),  # keyword_scrambled's input
    "int16-int32": (("int16", 1 / 65535, -32768), ("int32", 1 / 32767.5, 0)),  # and its output
    "int16-int16-down": (("int16", 0.001, 5), ("int16", 0.0037, -100)),
    "int16-int16-up": (("int16", 0.004, -7), ("int16", 0.001, 3)),  # a left shift, saturating
    "int16-int32-up": (("int16", 3.0, 0), ("int32", 0.0001, -1000)),
    "int8-int16": (("int8", 0.05, 3), ("int16", 0.0001, 10)),
    "int8-int32": (("int8", 0.05, -128), ("int32", 1e-6, 60000)),
    # The zero point addition wraps int32 (reference only: the C manifest's schema caps zero points).
    "int8-int32-wraps": (("int8", 0.05, -128), ("int32", 1e-6, 2**31 - 1)),
}
C_PAIRS = [name for name in INTEGER_PAIRS if not name.endswith("-wraps")]


def integer_pair_model(name: str, shape=(1, 4096)) -> bytes:
    (a, sa, za), (b, sb, zb) = INTEGER_PAIRS[name]
    return single_op_model("QUANTIZE", [T(shape, a, scale=sa, zero_point=za)], T(shape, b, scale=sb, zero_point=zb))


def codes_for(name: str) -> np.ndarray:
    if INTEGER_PAIRS[name][0][0] == "int16":
        return INT16_CODES
    return np.tile(np.arange(-128, 128, dtype=np.int8), 16).reshape(1, 1, 4096)


@pytest.mark.parametrize("name", INTEGER_PAIRS)
def test_integer_pairs_every_code(name):
    check_bit_exact(integer_pair_model(name), inputs=codes_for(name))


@pytest.mark.parametrize("out_dtype", ["int8", "int16"])
def test_int32_input(out_dtype):
    # A model's input is never int32, so the module is run on its own against TFLM.
    from edgenn.reference import quantize
    from edgenn.reference.base import OpContext
    from tests.kernels.harness import tflm_outputs

    data = single_op_model(
        "QUANTIZE", [T((1, 64), "int32", scale=0.001, zero_point=-5)], T((1, 64), out_dtype, scale=0.07, zero_point=9)
    )
    graph = parse_tflite(data)
    params = quantize.prepare(OpContext(graph, graph.ops[0]))
    rng = np.random.default_rng(0)
    edges = np.array([-(2**31), 2**31 - 1, 2**31 - 6, -(2**31) + 4, 0, -5, 1, -1], np.int32)
    x = np.concatenate([np.resize(edges, (1, 1, 64)), rng.integers(-(2**31), 2**31, (7, 1, 64))]).astype(np.int32)
    want = tflm_outputs(data, x)
    got = np.stack([quantize.run(params, [v]) for v in x])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("scale, zero_point", [(0.000625, 0), (1e-5, -32768), (3.0, 32767), (0.01, 123)])
def test_float_to_int16(scale, zero_point):
    data = single_op_model("QUANTIZE", [T((1, 64), "float32")], T((1, 64), "int16", scale=scale, zero_point=zero_point))
    probes = float_probes(scale, zero_point, 64, seed=2)
    # ties and their neighbours across the whole int16 range too
    k = np.random.default_rng(3).integers(-33000 - zero_point, 33000 - zero_point, size=64)
    wide = ((k + 0.5) * np.float32(scale)).astype(np.float32)
    check_bytes_exact(data, np.concatenate([probes, wide[None], np.nextafter(wide, np.float32(0))[None]])[:, None, :])


def test_unsupported_pairs_are_refused():
    from edgenn.errors import UnsupportedError
    from edgenn.reference import interpreter

    data = single_op_model("QUANTIZE", [T((1, 8), "float32")], T((1, 8), "int32", scale=0.1))
    with pytest.raises(UnsupportedError, match="is int32; supported: int8, int16"):
        interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("name", C_PAIRS)
def test_in_c_integer_pairs_every_code(tmp_path, name):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(integer_pair_model(name), tmp_path, inputs=codes_for(name))


def test_in_c_float_to_int16(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model("QUANTIZE", [T((1, 64), "float32")], T((1, 64), "int16", scale=1e-5, zero_point=-32768))
    check_c_bytes_exact(data, tmp_path, float_probes(1e-5, -32768, 64, seed=4)[:, None, :])


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_on_target(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    for name in ("int16-int8", "int16-int32", "int8-int16"):
        check_c_bit_exact(integer_pair_model(name), tmp_path / name, inputs=codes_for(name)[:4], target=target)
    # Finite quotients inside int32 only: beyond it the conversion is the target's own (see quantize.h).
    data = single_op_model("QUANTIZE", [T((1, 64), "float32")], T((1, 64), "int16", scale=0.001, zero_point=7))
    check_c_bytes_exact(data, tmp_path / "float", float_probes(0.001, 7, 64, seed=5)[:5, None, :], target=target)
