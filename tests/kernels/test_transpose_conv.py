import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import interpreter, traits, transpose_conv
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")

ACT = schema.ActivationFunctionType


def tconv_layer(filters, kernel, strides, padding, use_bias=True):
    return keras.layers.Conv2DTranspose(
        filters, kernel, strides=strides, padding=padding, use_bias=use_bias, bias_initializer="random_normal"
    )


def tconv_model(shape, layers, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    y = x
    for layer in layers:
        y = tconv_layer(*layer)(y)
    return keras.Model(x, y)


def tconv_ops(data):
    g = parse_tflite(data)
    return [op for op in g.ops if op.name == "TRANSPOSE_CONV"], g


@pytest.mark.parametrize(
    "shape, filters, kernel, strides, padding, use_bias",
    [
        ((4, 5, 3), 4, 3, 1, "same", True),
        ((4, 5, 3), 4, 3, 2, "same", True),
        ((4, 5, 3), 2, 3, 2, "valid", False),
        ((3, 3, 1), 5, 2, 2, "same", True),
        ((3, 4, 6), 3, 4, 2, "valid", True),
        ((2, 3, 8), 16, 4, 2, "same", False),  # even kernel, SAME: an odd total padding
        ((5, 2, 2), 1, (2, 3), (1, 2), "valid", True),
        ((1, 1, 4), 3, 4, 2, "same", True),  # the output is smaller than the kernel
    ],
)
def test_keras_geometry_against_tflm(shape, filters, kernel, strides, padding, use_bias):
    data = int8_tflite(tconv_model(shape, [(filters, kernel, strides, padding, use_bias)]))
    ops, g = tconv_ops(data)
    assert len(ops) == 1 and len(ops[0].inputs) == (4 if use_bias else 3)
    assert len(g.tensors[ops[0].inputs[1]].scale) == filters  # per-channel weights
    check_bit_exact(data)


def test_per_tensor_weights_and_input_zero_point_at_the_extreme():
    data = int8_tflite(tconv_model((4, 4, 3), [(5, 3, 2, "same")]), per_channel=False, low=0.0, high=3.0)
    ops, g = tconv_ops(data)
    assert len(g.tensors[ops[0].inputs[1]].scale) == 1 and g.input_tensor().zero_point == (-128,)
    check_bit_exact(data)


def stacked_model():
    """Every geometry of the Keras cases in one graph, for the C builds."""
    return tconv_model(
        (3, 4, 3),
        [(4, 3, 2, "same"), (3, 2, 1, "valid", False), (5, 4, 2, "valid"), (2, (3, 1), (1, 2), "same")],
        seed=1,
    )


def hand_model(activation=ACT.NONE, in_zp=-3, out_zp=5, out_scale=0.5, bias=True, strides=(2, 2), padding=0):
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (3, 3, 3, 2)).astype(np.int8)
    w[0] = 127  # one channel of all-maximal weights drives its sums to the extremes
    out_shape = (1, 7, 5, 3) if padding == 0 else (1, 9, 7, 3)
    inputs = [
        T((4,), "int32", data=np.array(out_shape, np.int32)),
        T(w.shape, scale=0.02, data=w),
        T((1, 4, 3, 2), scale=0.1, zero_point=in_zp),
    ]
    if bias:
        inputs.append(T((3,), "int32", scale=0.002, data=np.array([3000, -250000, 7], np.int32)))
    options = {"padding": padding, "strideH": strides[0], "strideW": strides[1], "fusedActivationFunction": activation}
    return single_op_model("TRANSPOSE_CONV", inputs, T(out_shape, scale=out_scale, zero_point=out_zp), options)


@pytest.mark.parametrize("activation", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_fused_activations(activation):
    check_bit_exact(hand_model(activation, out_scale=0.05 if activation == ACT.RELU_N1_TO_1 else 0.5))


@pytest.mark.parametrize("in_zp, out_zp, out_scale", [(-128, 127, 4.0), (127, -128, 1e-3), (0, 0, 0.02)])
def test_zero_points_and_scales_at_the_extremes(in_zp, out_zp, out_scale):
    for padding in (0, 1):
        check_bit_exact(hand_model(in_zp=in_zp, out_zp=out_zp, out_scale=out_scale, padding=padding, bias=padding == 0))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    data = int8_tflite(stacked_model())
    assert len(tconv_ops(data)[0]) == 4
    check_c_bit_exact(data, tmp_path / "keras", target=target, count=8)
    check_c_bit_exact(hand_model(ACT.RELU6, in_zp=-128, out_zp=-7), tmp_path / "hand", target=target, count=8)
    # A multiplier above 1/2 leaves the one-multiply requantization for TFLM's two steps.
    wide = hand_model(in_zp=127, out_zp=-128, out_scale=1e-3, padding=1, bias=False)
    check_c_bit_exact(wide, tmp_path / "wide", target=target, count=8)


def test_macs_count_the_products_that_reach_the_output():
    g = parse_tflite(hand_model(padding=1))  # VALID, stride 2: every tap lands inside the 9x7 output
    assert traits("TRANSPOSE_CONV").macs(g, g.ops[0]) == 4 * 3 * 3 * 3 * 2 * 3
    g = parse_tflite(hand_model())  # SAME over 7x5: pad 1 drops a row and a column of taps at each end
    assert traits("TRANSPOSE_CONV").macs(g, g.ops[0]) == (12 - 2) * (9 - 2) * 2 * 3


@pytest.mark.parametrize(
    "change, message",
    [
        ({"fusedActivationFunction": ACT.TANH}, "fused activation TANH"),
        ({"strideH": 0}, "strides"),
    ],
)
def test_refuses_options(change, message):
    data = hand_model()
    g = parse_tflite(data)
    for k, v in change.items():
        setattr(g.ops[0].options, k, v)
    with pytest.raises(UnsupportedError, match=message):
        interpreter.prepare(g)


def test_refuses_what_tflm_would_not_compute_alike():
    w = np.ones((2, 3, 3, 2), np.int8)
    shape = T((4,), "int32", data=np.array([1, 6, 6, 2], np.int32))
    x = T((1, 3, 3, 2), scale=0.1)
    out = T((1, 6, 6, 2), scale=0.1)
    opts = {"padding": 0, "strideH": 2, "strideW": 2}
    cases = [
        ([shape, T(w.shape, scale=0.1, zero_point=1, data=w), x], out, "non-zero zero point"),
        ([shape, T(w.shape, scale=0.1), x], out, "constant"),
        ([T((4,), "int32", data=np.array([1, 6, 5, 2], np.int32)), T(w.shape, scale=0.1, data=w), x], out, "differs"),
        ([shape, T(w.shape, scale=0.1, data=w), T((1, 3, 3, 2), "int16", scale=0.1)], out, "int16"),
    ]
    huge_bias = T((2,), "int32", data=np.array([2**31 - 1, 0], np.int32))
    cases.append(([shape, T(w.shape, scale=0.1, data=w), x, huge_bias], out, "overflow the int32 accumulator"))
    for inputs, output, message in cases:
        with pytest.raises(UnsupportedError, match=message):
            g = parse_tflite(single_op_model("TRANSPOSE_CONV", inputs, output, opts))
            transpose_conv.prepare(OpContext(g, g.ops[0], for_c=True))  # the op's own checks only
