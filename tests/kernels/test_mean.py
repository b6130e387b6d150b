import flatbuffers
import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import interpreter
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, float_tflite, int8_tflite, prepare_int8

keras = pytest.importorskip("keras")


def gap_model(shape, keepdims):
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, keras.layers.GlobalAveragePooling2D(keepdims=keepdims)(x))


def mean_model(shape, axis, keepdims=False):
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=axis, keepdims=keepdims))(x))


def only_mean(data: bytes):
    g = parse_tflite(data)
    assert g.op_names == ("MEAN",)
    return g, g.ops[0]


def with_input_quantization_on_output(data: bytes) -> bytes:
    """The same model with the MEAN output quantized exactly like its input."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    sub = model.subgraphs[0]
    op = sub.operators[0]
    src, dst = sub.tensors[op.inputs[0]].quantization, sub.tensors[op.outputs[0]].quantization
    dst.scale, dst.zeroPoint = list(src.scale), list(src.zeroPoint)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("shape", [(7, 9, 3), (5, 5, 1), (12, 12, 16)])
def test_spatial_mean_requantized(shape, keepdims):
    data = int8_tflite(gap_model(shape, keepdims))
    g, op = only_mean(data)
    assert g.tensors[op.inputs[1]].data.tolist() == [1, 2] and bool(op.options.keepDims) == keepdims
    check_bit_exact(data, count=64)


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("shape", [(7, 9, 3), (5, 5, 8)])
def test_spatial_mean_with_identical_quantization(shape, keepdims):
    # Still rescaled through the folded multiplier, so the mean rounds rather than truncates.
    data = with_input_quantization_on_output(int8_tflite(gap_model(shape, keepdims)))
    g, op = only_mean(data)
    src, dst = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    assert (src.scale, src.zero_point) == (dst.scale, dst.zero_point)
    codes = np.zeros((3, 1, *shape), np.int8)
    codes[0, 0, 0, 0, :] = 2 * shape[0] * shape[1] - 1  # mean code 2 - 1/count: 2, where truncating gives 1
    codes[1] = -codes[0]
    codes[2, 0, 0, :2, :] = 1  # mean code 2/count: 0
    out = check_bit_exact(data, inputs=codes)
    assert out.reshape(3, -1)[:, 0].tolist() == [2, -2, 0]
    check_bit_exact(data, count=64)


@pytest.mark.parametrize("low, high, zero_point", [(0.0, 3.0, -128), (-3.0, 0.0, 127)])
def test_input_zero_point_at_the_int8_extremes(low, high, zero_point):
    data = int8_tflite(gap_model((7, 9, 3), False), low=low, high=high)
    assert parse_tflite(data).input_tensor().zero_point == (zero_point,)
    check_bit_exact(data, count=64)


@pytest.mark.parametrize("axis, keepdims", [(2, False), (-1, True), ((1, 3), False)])
def test_other_axes(axis, keepdims):
    check_bit_exact(int8_tflite(mean_model((7, 9, 3), axis, keepdims)), count=64)


def test_more_than_two_axes_is_refused():
    # TFLM resolves the axes into a two-entry buffer; a third would overrun it.
    data = int8_tflite(mean_model((5, 5, 3), (1, 2, 3)))
    with pytest.raises(UnsupportedError, match=r"MEAN over 3 axes is not supported"):
        interpreter.prepare(parse_tflite(data))


def test_float_mean_goes_to_its_own_kernel():
    """The int8 kernel names the float32 it refuses; the model runs with the float32 sibling (test_float_ops)."""
    data = float_tflite(gap_model((5, 5, 2), False))
    with pytest.raises(UnsupportedError, match=r"MEAN.*float32; supported: int8"):
        prepare_int8(data)


@pytest.mark.parametrize(
    "build",
    [
        lambda: gap_model((7, 9, 3), True),
        lambda: gap_model((6, 5, 29), False),  # 16- and 8-wide blocks, then a tail of 5
        lambda: mean_model((7, 9, 3), 2),
        lambda: mean_model((7, 9, 3), -1, True),  # the reduced axis is the contiguous one
        lambda: mean_model((7, 9, 3), (1, 3)),  # two reduced axes with a kept one between
        lambda: mean_model((4, 5, 6, 3), (2, 3)),
    ],
)
def test_mean_in_c(tmp_path, build):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(int8_tflite(build()), tmp_path, count=40)


@pytest.mark.parametrize("low, high", [(0.0, 3.0), (-3.0, 0.0)])
def test_extreme_zero_points_in_c(tmp_path, low, high):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(int8_tflite(gap_model((7, 9, 3), False), low=low, high=high), tmp_path, count=40)


def test_identical_quantization_rounds_in_c(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    shape = (5, 5, 8)
    data = with_input_quantization_on_output(int8_tflite(gap_model(shape, True)))
    codes = np.zeros((3, 1, *shape), np.int8)
    codes[0, 0, 0, 0, :] = 2 * shape[0] * shape[1] - 1
    codes[1] = -codes[0]
    codes[2, 0, 0, :2, :] = 1
    out = check_c_bit_exact(data, tmp_path, inputs=codes)
    assert out.reshape(3, -1)[:, 0].tolist() == [2, -2, 0]
