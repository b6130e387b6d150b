"""RESHAPE, SQUEEZE and PAD: int8 data movement; PAD fills with the output zero point."""

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from edgenn.reference.pad import merged_paddings
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import T, check_bytes_exact, check_c_bytes_exact, single_op_model

keras = pytest.importorskip("keras")


def with_op(data, name):
    graph = parse_tflite(data)
    assert name in graph.op_names, graph.op_names
    return data


@pytest.mark.parametrize("target", [(16, 3), (48,), (2, 2, 2, 2, 3)])
def test_reshape_of_the_model_input(target):
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    check_bit_exact(with_op(int8_tflite(keras.Model(x, keras.layers.Reshape(target)(x))), "RESHAPE"))


def test_reshape_between_ops():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 12))
    y = keras.layers.Dense(4)(keras.layers.Reshape((4, 3))(x))
    check_bit_exact(with_op(int8_tflite(keras.Model(x, keras.layers.Flatten()(y))), "RESHAPE"))


@pytest.mark.parametrize("shape_input", [True, False])
def test_reshape_hand_built(shape_input):
    inputs = [T((1, 2, 6), scale=0.1, zero_point=-5)]
    if shape_input:
        inputs.append(T((2,), "int32", data=np.array([3, 4], np.int32)))
    data = single_op_model("RESHAPE", inputs, T((3, 4), scale=0.1, zero_point=-5), {"newShape": [3, 4]})
    check_bit_exact(with_op(data, "RESHAPE"))


# The converter turns every static-shape squeeze into RESHAPE, so SQUEEZE is built by hand.
@pytest.mark.parametrize(
    "in_shape, dims, out_shape",
    [((1, 1, 4, 3), [1], (1, 4, 3)), ((1, 1, 4, 1), [], (4,)), ((2, 1, 3), [-2], (2, 3)), ((1, 5), [0], (5,))],
)
def test_squeeze_hand_built(in_shape, dims, out_shape):
    data = single_op_model(
        "SQUEEZE",
        [T(in_shape, scale=0.05, zero_point=9)],
        T(out_shape, scale=0.05, zero_point=9),
        {"squeezeDims": dims},
    )
    check_bit_exact(with_op(data, "SQUEEZE"))


def test_squeeze_float32():
    data = single_op_model("SQUEEZE", [T((1, 6, 1), "float32")], T((1, 6), "float32"), {"squeezeDims": [2]})
    values = np.random.default_rng(0).normal(size=(4, 1, 6, 1)).astype(np.float32)
    check_bytes_exact(with_op(data, "SQUEEZE"), values)


def test_squeeze_refuses_a_dim_that_is_not_one():
    data = single_op_model("SQUEEZE", [T((1, 4, 3), scale=0.05)], T((1, 12), scale=0.05), {"squeezeDims": [1]})
    with pytest.raises(UnsupportedError, match="cannot squeeze"):
        interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (0.5, 3.0), (-4.0, -1.0)])
def test_zero_padding_2d(low, high):
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    data = int8_tflite(keras.Model(x, keras.layers.ZeroPadding2D(((1, 2), (0, 3)))(x)), low=low, high=high)
    check_bit_exact(with_op(data, "PAD"))


def test_zero_padding_1d():
    x = keras.Input(batch_shape=(1, 6, 2))
    data = int8_tflite(keras.Model(x, keras.layers.ZeroPadding1D((2, 1))(x)), low=0.0, high=2.0)
    check_bit_exact(with_op(data, "PAD"))


@pytest.mark.parametrize(
    "in_shape, pads",
    [((3,), [[2, 1]]), ((1, 2, 3, 2, 2), [[0, 0], [1, 0], [0, 2], [1, 1], [0, 1]]), ((2, 3), [[1, 1], [0, 0]])],
)
def test_pad_hand_built(in_shape, pads):
    out_shape = tuple(d + a + b for d, (a, b) in zip(in_shape, pads, strict=True))
    # TFLM copies the input codes unchanged, even when the output quantization differs.
    data = single_op_model(
        "PAD",
        [T(in_shape, scale=0.05, zero_point=3), T((len(pads), 2), "int32", data=np.array(pads, np.int32))],
        T(out_shape, scale=0.07, zero_point=-77),
    )
    check_bit_exact(with_op(data, "PAD"), inputs=probe_inputs(in_shape, 8))


def test_pad_refuses_six_dims():
    shape = (1, 1, 2, 1, 2, 1)
    pads = np.zeros((6, 2), np.int32)
    pads[2] = 1
    data = single_op_model(
        "PAD", [T(shape, scale=0.05), T((6, 2), "int32", data=pads)], T((1, 1, 4, 1, 2, 1), scale=0.05)
    )
    with pytest.raises(UnsupportedError, match="at most 5"):
        interpreter.prepare(parse_tflite(data))


# --- the generated C ---------------------------------------------------------------------------


def test_in_c_reshape_between_ops(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 12))
    y = keras.layers.Dense(4)(keras.layers.Reshape((4, 3))(x))
    check_c_bit_exact(with_op(int8_tflite(keras.Model(x, keras.layers.Flatten()(y))), "RESHAPE"), tmp_path)


@pytest.mark.parametrize("shape_input", [True, False])
def test_in_c_reshape_hand_built(tmp_path, shape_input):
    from tests.conftest import require_tool

    require_tool("gcc")
    inputs = [T((1, 2, 6), scale=0.1, zero_point=-5)]
    if shape_input:
        inputs.append(T((3,), "int32", data=np.array([1, 3, 4], np.int32)))
    data = single_op_model("RESHAPE", inputs, T((1, 3, 4), scale=0.1, zero_point=-5), {"newShape": [1, 3, 4]})
    check_c_bit_exact(with_op(data, "RESHAPE"), tmp_path)


@pytest.mark.parametrize(
    "in_shape, dims, out_shape",
    [((1, 1, 4, 3), [1], (1, 4, 3)), ((1, 1, 4, 1), [-1, 1], (1, 4)), ((1, 5, 1), [2], (1, 5))],
)
def test_in_c_squeeze_hand_built(tmp_path, in_shape, dims, out_shape):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "SQUEEZE",
        [T(in_shape, scale=0.05, zero_point=9)],
        T(out_shape, scale=0.05, zero_point=9),
        {"squeezeDims": dims},
    )
    check_c_bit_exact(with_op(data, "SQUEEZE"), tmp_path)


def test_in_c_squeeze_float32(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model("SQUEEZE", [T((1, 6, 1), "float32")], T((1, 6), "float32"), {"squeezeDims": [2]})
    values = np.random.default_rng(0).normal(size=(4, 1, 6, 1)).astype(np.float32)
    values[0, 0, :, 0] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45]
    check_c_bytes_exact(with_op(data, "SQUEEZE"), tmp_path, values)


def test_in_c_zero_padding_2d(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    data = int8_tflite(keras.Model(x, keras.layers.ZeroPadding2D(((1, 2), (0, 3)))(x)), low=0.5, high=3.0)
    check_c_bit_exact(with_op(data, "PAD"), tmp_path)


@pytest.mark.parametrize(
    "in_shape, pads",
    [
        ((1, 3), [[0, 0], [2, 1]]),
        ((1, 2, 3, 2, 2), [[0, 0], [1, 0], [0, 2], [1, 1], [0, 1]]),
        ((1, 2, 3, 2, 2), [[0, 0], [0, 0], [1, 2], [0, 0], [0, 0]]),  # whole rows of padding
        ((1, 2, 3), [[0, 0], [0, 0], [0, 0]]),  # nothing to pad
        ((1, 3, 1, 2), [[0, 0], [0, 1], [2, 0], [0, 0]]),
    ],
)
def test_in_c_pad_hand_built(tmp_path, in_shape, pads):
    from tests.conftest import require_tool

    require_tool("gcc")
    out_shape = tuple(d + a + b for d, (a, b) in zip(in_shape, pads, strict=True))
    data = single_op_model(
        "PAD",
        [T(in_shape, scale=0.05, zero_point=3), T((len(pads), 2), "int32", data=np.array(pads, np.int32))],
        T(out_shape, scale=0.07, zero_point=-77),
    )
    check_c_bit_exact(with_op(data, "PAD"), tmp_path, inputs=probe_inputs(in_shape, 8))


def test_pad_merges_unpadded_dims():
    assert merged_paddings((1, 4, 4, 3), ((0, 0), (1, 2), (0, 3), (0, 0))) == [(4, 1, 2), (12, 0, 9)]
    assert merged_paddings((2, 3, 4), ((0, 0), (0, 0), (0, 0))) == [(24, 0, 0)]
    assert merged_paddings((1, 1, 1), ((0, 0), (0, 0), (0, 0))) == [(1, 0, 0)]
    assert merged_paddings((2, 0, 3), ((1, 0), (0, 0), (0, 1))) == [(2, 1, 0), (0, 0, 0), (3, 0, 1)]
