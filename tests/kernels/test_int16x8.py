"""int16x8 kernels (int16 activations with zero point 0, int8 weights, int64 biases): the reference
and the generated C against TFLM, on models from Keras through the converter's int16x8 variant and
by hand, with inputs over the whole int16 range."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import interpreter
from tests.kernels import op_models
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, probe_inputs
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")


def int16x8_tflite(model, low: float = -1.0, high: float = 1.0, seed: int = 0) -> bytes:
    """A Keras model with a batch-1 input as the converter's int16x8 variant (int16 I/O)."""
    from edgenn.convert.tflite import keras_converter, to_tflite

    shape = tuple(model.inputs[0].shape)
    calib = np.random.default_rng(seed).uniform(low, high, (64, *shape[1:])).astype(np.float32)
    return to_tflite(keras_converter(model), "int16x8", calib)


def codes(shape, count: int = 24, seed: int = 0, spread: int | None = None) -> np.ndarray:
    """Extremes and random int16 codes; with `spread`, more random codes within ±spread (a calibrated range)."""
    x = probe_inputs(shape, count, seed, dtype=np.int16)
    if spread is None:
        return x
    rng = np.random.default_rng(seed + 1)
    return np.concatenate([x, rng.integers(-spread, spread + 1, (count, *shape)).astype(np.int16)])


def layer_model(shape, *layers, seed: int = 0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    y = x
    for layer in layers:
        y = layer(y)
    return keras.Model(x, y)


def biased(**kw):
    return {"bias_initializer": keras.initializers.RandomNormal(stddev=0.5), **kw}


def op_dtypes(data: bytes, name: str) -> tuple[str, ...]:
    g = parse_tflite(data)
    return tuple(g.tensors[i].dtype for op in g.ops if op.name == name for i in op.inputs if i >= 0)


@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_fully_connected(activation):
    data = int16x8_tflite(layer_model((33,), keras.layers.Dense(7, activation=activation, **biased())))
    assert op_dtypes(data, "FULLY_CONNECTED") == ("int16", "int8", "int64")
    check_bit_exact(data, codes((1, 33), spread=3000))


def test_fully_connected_without_bias_on_a_rank3_input():
    data = int16x8_tflite(layer_model((4, 6), keras.layers.Dense(3, use_bias=False)))
    assert len(op_dtypes(data, "FULLY_CONNECTED")) == 2
    check_bit_exact(data, codes((1, 4, 6)))


@pytest.mark.parametrize(
    "kw",
    [
        {"padding": "same", "activation": "relu"},
        {"padding": "valid", "strides": 2},
        {"padding": "same", "dilation_rate": 2, "activation": "relu6"},
        {"padding": "same", "groups": 2},
    ],
)
def test_conv_2d(kw):
    data = int16x8_tflite(layer_model((9, 9, 4), keras.layers.Conv2D(6, 3, **biased(**kw))), low=-2.0, high=2.0)
    assert op_dtypes(data, "CONV_2D") == ("int16", "int8", "int64")
    check_bit_exact(data, codes((1, 9, 9, 4), spread=2000))


@pytest.mark.parametrize(
    "kw", [{"padding": "same", "depth_multiplier": 2}, {"padding": "valid", "strides": 2, "activation": "relu"}]
)
def test_depthwise_conv_2d(kw):
    data = int16x8_tflite(layer_model((8, 8, 3), keras.layers.DepthwiseConv2D(3, **biased(**kw))))
    check_bit_exact(data, codes((1, 8, 8, 3), spread=2000))


@pytest.mark.parametrize("pool", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("kw", [{"strides": 2, "padding": "same"}, {"strides": 1, "padding": "valid"}])
def test_pools(pool, kw):
    data = int16x8_tflite(layer_model((7, 7, 5), getattr(keras.layers, pool)(3, **kw)))
    check_bit_exact(data, codes((1, 7, 7, 5)))


def relu_model(layer: str) -> bytes:
    act = keras.layers.ReLU() if layer == "ReLU" else keras.layers.Activation("relu6")
    data = int16x8_tflite(layer_model((4, 9), act), low=-8.0, high=8.0)
    assert parse_tflite(data).op_names == (layer.upper(),)
    return data


@pytest.mark.parametrize("layer", ["ReLU", "relu6"])
def test_relus(layer):
    check_bit_exact(relu_model(layer), codes((1, 4, 9), spread=6000))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_relus_in_c(tmp_path, target):
    from tests.conftest import require_target_tools, require_tool

    require_tool("gcc") if target == "host" else require_target_tools(target)
    for layer in ("ReLU", "relu6"):
        check_c_bit_exact(relu_model(layer), tmp_path / layer, codes((1, 4, 9), 16, spread=6000), target=target)


@pytest.mark.parametrize("keepdims", [True, False])
def test_mean(keepdims):
    data = int16x8_tflite(layer_model((5, 6, 4), keras.layers.GlobalAveragePooling2D(keepdims=keepdims)))
    assert "MEAN" in parse_tflite(data).op_names
    check_bit_exact(data, codes((1, 5, 6, 4), spread=3000))


@pytest.mark.parametrize(("scale", "beta"), [(0.0005, 1.0), (0.004, 0.5), (1e-5, 2.0)])
def test_softmax_by_hand(scale, beta):
    data = single_op_model(
        "SOFTMAX", [T((1, 3, 10), "int16", scale)], T((1, 3, 10), "int16", 1.0 / 32768), {"beta": beta}
    )
    check_bit_exact(data, codes((1, 3, 10), 64, spread=400))


def test_softmax_from_keras():
    data = int16x8_tflite(layer_model((12,), keras.layers.Softmax()), low=-8.0, high=8.0)
    check_bit_exact(data, codes((1, 12), 64, spread=300))


@pytest.fixture()
def int64_tensors(monkeypatch):
    monkeypatch.setitem(op_models.TYPES, "int64", schema.TensorType.INT64)


def fc_by_hand(bias_dtype: str = "int64", bias=None, in_zp: int = 0, options=None) -> bytes:
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (5, 16)).astype(np.int8)
    w[0] = 127  # the largest sums
    b = rng.integers(-(2**33), 2**33, 5) if bias is None else bias
    return single_op_model(
        "FULLY_CONNECTED",
        [T((1, 16), "int16", 0.01, in_zp), T((5, 16), "int8", 0.003, 0, w), T((5,), bias_dtype, 3e-5, 0, b)],
        T((1, 5), "int16", 0.02),
        options,
    )


def test_per_tensor_weights_and_wide_biases_by_hand(int64_tensors):
    check_bit_exact(fc_by_hand(), codes((1, 16)))


def test_refusals(int64_tensors):
    def refused(data: bytes, match: str) -> None:
        with pytest.raises(UnsupportedError, match=match):
            interpreter.prepare(parse_tflite(data), need_c=True)

    refused(fc_by_hand("int32", np.arange(5)), "int32 bias on int16 activations")
    refused(fc_by_hand(in_zp=3), "zero point 3")
    refused(fc_by_hand(bias=np.full(5, 2**50)), "beyond 2\\^46")
    wrong_scale = single_op_model("SOFTMAX", [T((1, 10), "int16", 0.001)], T((1, 10), "int16", 1.0 / 65536))
    refused(wrong_scale, "scale 1/32768")


def small_net():
    layers = keras.layers
    return layer_model(
        (8, 8, 2),
        layers.Conv2D(8, 3, padding="same", activation="relu", **biased()),
        layers.DepthwiseConv2D(3, strides=2, padding="same", **biased()),
        layers.AveragePooling2D(3, strides=1, padding="same"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10, **biased()),
        layers.Softmax(),
        seed=4,
    )


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_small_net_in_c(tmp_path, target):
    from tests.conftest import require_target_tools, require_tool

    require_tool("gcc") if target == "host" else require_target_tools(target)
    data = int16x8_tflite(small_net(), low=-2.0, high=2.0)
    assert parse_tflite(data).op_names == (
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "AVERAGE_POOL_2D",
        "MAX_POOL_2D",
        "RESHAPE",
        "FULLY_CONNECTED",
        "SOFTMAX",
    )
    x = codes((1, 8, 8, 2), 16, spread=4000)
    if target == "host":
        check_bit_exact(data, x)
    check_c_bit_exact(data, tmp_path, x, target=target)


def test_fully_connected_without_bias_in_c(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = int16x8_tflite(layer_model((20,), keras.layers.Dense(6, use_bias=False, activation="relu")))
    check_c_bit_exact(data, tmp_path, codes((1, 20), 24, spread=5000))


ADD_SHAPES = [((1, 4, 6), (1, 4, 6)), ((1, 4, 3), (3,)), ((1, 2, 3, 4), ()), ((1, 3, 1, 2), (1, 1, 4, 1))]


def add_by_hand(shape1, shape2, s1=0.002, s2=0.0007, so=0.003, activation="NONE", seed=0, op="ADD") -> bytes:
    out = tuple(np.broadcast_shapes(shape1, shape2))
    c = np.random.default_rng(seed).integers(-32768, 32768, shape2).astype(np.int16)
    return single_op_model(
        op,
        [T(shape1, "int16", s1), T(shape2, "int16", s2, 0, c)],
        T(out, "int16", so),
        {"fusedActivationFunction": getattr(schema.ActivationFunctionType, activation)},
    )


@pytest.mark.parametrize("op", ["ADD", "MUL"])
@pytest.mark.parametrize(("shape1", "shape2"), ADD_SHAPES)
def test_add_and_mul_by_hand(shape1, shape2, op):
    check_bit_exact(add_by_hand(shape1, shape2, op=op), codes(shape1, 32))


@pytest.mark.parametrize("op", ["ADD", "MUL"])
@pytest.mark.parametrize(
    ("scales", "activation"), [((0.5, 0.5, 1.0), "RELU"), ((1e-4, 0.01, 0.004), "RELU6"), ((0.01, 0.02, 1e-5), "NONE")]
)
def test_add_and_mul_scales_and_activations(scales, activation, op):
    check_bit_exact(add_by_hand((1, 5, 7), (1, 5, 7), *scales, activation, op=op), codes((1, 5, 7), 32))


def add_mul_net():
    keras.utils.set_random_seed(2)
    x = keras.Input(batch_shape=(1, 6, 6, 3))
    y = keras.layers.Add()([x, keras.layers.Conv2D(3, 1, **biased())(x)])
    y = keras.layers.Multiply()([y, keras.layers.Conv2D(3, 1, activation="relu", **biased())(x)])
    return keras.Model(x, keras.layers.GlobalAveragePooling2D()(y))


def test_add_and_mul_from_keras():
    data = int16x8_tflite(add_mul_net())
    assert {"ADD", "MUL", "MEAN"} <= set(parse_tflite(data).op_names)
    check_bit_exact(data, codes((1, 6, 6, 3), spread=3000))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_add_and_mul_in_c(tmp_path, target):
    from tests.conftest import require_target_tools, require_tool

    require_tool("gcc") if target == "host" else require_target_tools(target)
    check_c_bit_exact(
        int16x8_tflite(add_mul_net()), tmp_path / "net", codes((1, 6, 6, 3), 16, spread=3000), target=target
    )
    if target == "host":
        for i, (shape1, shape2) in enumerate(ADD_SHAPES):
            for op in ("ADD", "MUL"):
                check_c_bit_exact(add_by_hand(shape1, shape2, op=op), tmp_path / f"{op}{i}", codes(shape1, 16))
