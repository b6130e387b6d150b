"""The float32 kernels (the `*_f32` siblings, EXP and NEG) against TFLM.

Float paths are compared within RTOL 1e-5 and ATOL 1e-6 of TFLM (not byte for byte): the reference
and the C follow TFLM's float loops in order (sums from 0.0f, bias after the sum, the fused
activation's clamp last), so in practice they agree to the last bit, but libm's expf and tanhf may
differ from the C++ library's by an ulp. Models are Keras float models converted with no
quantization (`harness.float_tflite`) and one-op models built by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import interpreter
from tests.conftest import require_target_tools
from tests.kernels.harness import c_outputs, float_tflite, reference_outputs, tflm_outputs
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6  # float paths: within this of TFLM
ACT = schema.ActivationFunctionType


def float_inputs(shape, count: int = 12, seed: int = 0, scale: float = 2.0) -> np.ndarray:
    """Zeros, large values of both signs, alternating signs, then normal samples."""
    rng = np.random.default_rng(seed)
    big = 8 * scale
    fixed = [np.zeros(shape), np.full(shape, big), np.full(shape, -big), np.resize([big, -big], shape)]
    rand = [rng.normal(0.0, scale, shape) for _ in range(max(0, count - len(fixed)))]
    return np.stack(fixed + rand).astype(np.float32)


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == want.dtype == np.float32, (got.dtype, want.dtype)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=RTOL, atol=ATOL, err_msg=what)


def check_close(data: bytes, inputs: np.ndarray | None = None, count: int = 12, scale: float = 2.0) -> np.ndarray:
    """The reference within RTOL/ATOL of TFLM; returns TFLM's outputs."""
    if inputs is None:
        inputs = float_inputs(parse_tflite(data).input_tensor().shape, count, scale=scale)
    want = tflm_outputs(data, inputs)
    assert_close(reference_outputs(data, inputs), want, "reference")
    return want


def check_c_close(data: bytes, workdir, inputs: np.ndarray, target: str = "host") -> None:
    """The generated, compiled C within RTOL/ATOL of TFLM on `target`."""
    require_target_tools(target)
    want = tflm_outputs(data, inputs)
    assert_close(c_outputs(data, inputs, workdir, target), want, f"C on {target}")


def ops_of(data: bytes) -> list[str]:
    return list(parse_tflite(data).op_names)


def sequential(shape, *layers) -> bytes:
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, *shape))
    y = x
    for layer in layers:
        y = layer(y)
    return float_tflite(keras.Model(x, y))


@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
@pytest.mark.parametrize("shape, use_bias", [((8,), True), ((3, 8), False)])
def test_fully_connected(shape, use_bias, activation):
    data = sequential(shape, keras.layers.Dense(5, activation=activation, use_bias=use_bias))
    assert ops_of(data)[0] == "FULLY_CONNECTED"
    check_close(data)


@pytest.mark.parametrize(
    "kernel, strides, dilation, padding, activation",
    [
        (3, 1, 1, "same", "relu"),
        (3, 2, 1, "valid", None),
        ((2, 3), (2, 1), 1, "same", "relu6"),
        (3, 1, 2, "same", None),
    ],
)
def test_conv_2d(kernel, strides, dilation, padding, activation):
    layer = keras.layers.Conv2D(4, kernel, strides=strides, dilation_rate=dilation, padding=padding)
    data = sequential((7, 9, 3), layer, *([keras.layers.Activation(activation)] if activation else []))
    assert ops_of(data) == ["CONV_2D"]
    check_close(data)


@pytest.mark.parametrize("multiplier, strides, padding", [(1, 1, "same"), (2, 2, "valid"), (3, 2, "same")])
def test_depthwise_conv_2d(multiplier, strides, padding):
    layer = keras.layers.DepthwiseConv2D(3, strides=strides, padding=padding, depth_multiplier=multiplier)
    data = sequential((7, 9, 3), layer, keras.layers.ReLU(6.0))
    assert ops_of(data) == ["DEPTHWISE_CONV_2D"]
    check_close(data)


@pytest.mark.parametrize("pool", ["AveragePooling2D", "MaxPooling2D"])
@pytest.mark.parametrize("size, strides, padding", [(2, 2, "valid"), (3, 2, "same"), ((2, 3), 1, "same")])
def test_pools(pool, size, strides, padding):
    data = sequential((7, 9, 3), getattr(keras.layers, pool)(size, strides=strides, padding=padding))
    assert len(ops_of(data)) == 1
    check_close(data)


def test_concatenation_pad_and_mean():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 4, 5, 3))
    a = keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(x)
    b = keras.layers.Conv2D(2, 1)(a)
    y = keras.layers.Concatenate()([a, b])
    y = keras.layers.Concatenate(axis=1)([y, y])
    z = keras.layers.GlobalAveragePooling2D(keepdims=True)(y)
    m = keras.ops.mean(y, axis=-1, keepdims=False)
    out = keras.layers.Concatenate()([keras.layers.Flatten()(z), keras.layers.Flatten()(m)])
    data = float_tflite(keras.Model(x, out))
    assert {"PAD", "CONCATENATION", "MEAN"} <= set(ops_of(data))
    check_close(data)


def binary_model(op: str, shape1, shape2, out_shape, activation=ACT.NONE, constant_first=False) -> bytes:
    """input (shape1) op constant (shape2), or the constant first: one graph input either way."""
    rng = np.random.default_rng(1)
    const = T(shape2, "float32", data=rng.normal(0.0, 2.0, shape2).astype(np.float32))
    x = T(shape1, "float32")
    inputs = [const, x] if constant_first else [x, const]
    return single_op_model(op, inputs, T(out_shape, "float32"), {"fusedActivationFunction": activation})


# (input shape, constant shape, output shape): equal, a per-channel vector, a scalar, a general broadcast.
BROADCASTS = [
    ((1, 4, 5, 3), (1, 4, 5, 3), (1, 4, 5, 3)),
    ((1, 4, 5, 3), (3,), (1, 4, 5, 3)),
    ((1, 4, 5, 3), (1,), (1, 4, 5, 3)),
    ((1, 4, 1, 3), (1, 1, 5, 1), (1, 4, 5, 3)),
]


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("shapes", BROADCASTS, ids=["flat", "vector", "scalar", "general"])
def test_binary(op, shapes):
    for constant_first in (False, True):
        for activation in (ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1):
            check_close(binary_model(op, *shapes, activation, constant_first), count=6)


UNARY = ["RELU", "RELU6", "LOGISTIC", "TANH", "EXP", "NEG"]


def unary_inputs(shape=(1, 64)) -> np.ndarray:
    """A sweep over [-20, 20] (both logistic cutoffs, exp's overflow at 88.7 beyond), the extremes."""
    n = int(np.prod(shape))
    sweep = np.linspace(-20.0, 20.0, n)
    cutoffs = np.resize([16.619047, 16.62, -9.0, -9.0001, 0.0, -0.0, 6.0, 6.0001, 88.0, -103.0], n)
    extremes = np.resize([3e38, -3e38, 1e-30, -1e-30, 1.0, -1.0], n)
    return np.stack([sweep, cutoffs, extremes]).reshape(3, *shape).astype(np.float32)


@pytest.mark.parametrize("op", UNARY)
def test_unary(op):
    data = single_op_model(op, [T((1, 64), "float32")], T((1, 64), "float32"))
    with np.errstate(over="ignore"):
        check_close(data, unary_inputs())


@pytest.mark.parametrize("beta", [1.0, 0.5, 3.0])
@pytest.mark.parametrize("shape", [(1, 10), (2, 3, 7)])
def test_softmax(beta, shape):
    data = single_op_model("SOFTMAX", [T(shape, "float32")], T(shape, "float32"), {"beta": beta})
    check_close(data, scale=4.0)


# One model through every float kernel, compiled: on the host, and on a core with an FPU and one without.
def all_ops_model() -> bytes:
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8, 8, 2))
    y = keras.layers.ZeroPadding2D(1)(x)
    y = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(y)
    y = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu6")(y)
    a = keras.layers.MaxPooling2D(2)(y)
    b = keras.layers.AveragePooling2D(2, strides=1, padding="same")(y)
    b = keras.layers.MaxPooling2D(2)(b)
    y = keras.layers.Concatenate()([a, b])
    y = keras.layers.Add()([y, keras.ops.tanh(y)])
    y = keras.layers.Multiply()([y, keras.ops.sigmoid(y)])
    y = keras.layers.Subtract()([keras.ops.exp(keras.ops.negative(y)), y])
    g = keras.layers.GlobalAveragePooling2D()(y)
    y = keras.layers.Dense(6, activation="relu")(g)
    y = keras.layers.Dense(4, activation="softmax")(y)
    return float_tflite(keras.Model(x, y))


@pytest.fixture(scope="module")
def all_ops():
    data = all_ops_model()
    ops = set(ops_of(data))
    expected = {"PAD", "CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "CONCATENATION", "ADD"}
    expected |= {"MUL", "SUB", "TANH", "LOGISTIC", "EXP", "NEG", "MEAN", "FULLY_CONNECTED", "SOFTMAX"}
    assert expected <= ops, expected - ops
    return data, float_inputs((1, 8, 8, 2), 8, scale=1.0)


def test_all_ops_reference(all_ops):
    check_close(*all_ops)


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_all_ops_c(all_ops, tmp_path, target):
    check_c_close(all_ops[0], tmp_path, all_ops[1], target)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_binary_c_on_host(op, tmp_path):
    # The general broadcast (the all-ops model has flat ones only) with a fused activation.
    data = binary_model(op, *BROADCASTS[3], ACT.RELU6, constant_first=True)
    check_c_close(data, tmp_path, float_inputs((1, 4, 1, 3), 6))


def test_unary_and_softmax_c_on_host(tmp_path):
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 64))
    y = keras.layers.Concatenate()(
        [keras.ops.relu(x), keras.ops.relu6(x), keras.ops.exp(x), keras.ops.negative(x), keras.ops.tanh(x)]
    )
    y = keras.layers.Concatenate()([y, keras.ops.sigmoid(x), keras.layers.Softmax()(x)])
    data = float_tflite(keras.Model(x, y))
    assert {"RELU", "RELU6", "EXP", "NEG", "TANH", "LOGISTIC", "SOFTMAX"} <= set(ops_of(data))
    with np.errstate(over="ignore"):
        check_c_close(data, tmp_path, unary_inputs())


def prepare(data: bytes):
    return interpreter.prepare(parse_tflite(data), need_c=True)


def test_refuses_a_grouped_float_convolution():
    flt = T((4, 3, 3, 2), "float32", data=np.ones((4, 3, 3, 2), np.float32))
    data = single_op_model(
        "CONV_2D", [T((1, 5, 5, 4), "float32"), flt], T((1, 5, 5, 4), "float32"), {"strideH": 1, "strideW": 1}
    )
    with pytest.raises(UnsupportedError, match="grouped convolution is not supported in float"):
        prepare(data)


def test_refuses_weights_that_are_not_constant():
    weights = T((3, 4), "float32", variable=True)  # a tensor the model writes, not a constant
    data = single_op_model("FULLY_CONNECTED", [T((1, 4), "float32"), weights], T((1, 3), "float32"))
    with pytest.raises(UnsupportedError, match="expects a constant tensor"):
        interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("op", ["EXP", "NEG"])
def test_int8_exp_and_neg_are_refused_as_tflm_does(op):
    # TFLM registers EXP and NEG for float32 alone: an int8 model fails there too.
    data = single_op_model(op, [T((1, 4), "int8", 0.1)], T((1, 4), "int8", 0.1))
    with pytest.raises(UnsupportedError, match=f"{op}.*int8; supported: float32"):
        prepare(data)


def test_refuses_pad_with_an_explicit_value():
    pads = T((2, 2), "int32", data=np.array([[0, 0], [1, 1]], np.int32))
    value = T((), "float32", data=np.array(1.5, np.float32))
    data = single_op_model("PAD", [T((1, 4), "float32"), pads, value], T((1, 6), "float32"))
    with pytest.raises(UnsupportedError, match="explicit pad value"):
        prepare(data)


def test_manifest_marks_float_code(tmp_path):
    import json

    from edgenn.export.codegen import codegen

    for name, data in (
        ("f", single_op_model("NEG", [T((1, 4), "float32")], T((1, 4), "float32"))),
        ("q", single_op_model("RELU6", [T((1, 4), "int8", 0.1)], T((1, 4), "int8", 0.1))),
    ):
        (tmp_path / f"{name}.tflite").write_bytes(data)
        folder = codegen(tmp_path / f"{name}.tflite", tmp_path / name)
        assert json.loads((folder / "edgenn.json").read_text())["float_code"] is (name == "f")
