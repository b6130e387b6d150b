from dataclasses import replace

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import batch_matmul, interpreter, traits
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")


class SelfProduct(keras.layers.Layer):
    """x @ x^T (adj_y) or x^T @ x (adj_x) of the layer's own input."""

    def __init__(self, left: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.left = left

    def call(self, x):
        t = keras.ops.swapaxes(x, -1, -2)
        return keras.ops.matmul(t, x) if self.left else keras.ops.matmul(x, t)


class TwoBranches(keras.layers.Layer):
    """Two projections of the input multiplied, the second broadcast over the first's batch dims."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.a = keras.layers.Dense(units)
        self.b = keras.layers.Dense(units)

    def call(self, x):
        a = self.a(x)  # [1, 2, n, units]
        b = keras.ops.mean(self.b(x), axis=1, keepdims=True)  # [1, 1, n, units]
        return keras.ops.matmul(a, keras.ops.swapaxes(b, -1, -2))


def keras_model(layer, shape, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, layer(x))


def matmul_ops(data):
    g = parse_tflite(data)
    return [op for op in g.ops if op.name == "BATCH_MATMUL"]


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: SelfProduct(), (2, 4, 6)),
        (lambda: SelfProduct(left=True), (3, 5)),
        (lambda: TwoBranches(3), (2, 4, 6)),
    ],
)
def test_two_activations_from_keras(layer, shape):
    data = int8_tflite(keras_model(layer(), shape))
    assert matmul_ops(data)
    check_bit_exact(data)


def hand_model(x_shape, y_shape, out_shape, adj_x=False, adj_y=False, zps=(-3, 4, 6), scales=(0.1, 0.05, 0.2), first=0):
    """x @ y with one operand constant: `first` is the index of the graph input (0: x, 1: y)."""
    rng = np.random.default_rng(1)
    (zx, zy, zo), (sx, sy, so) = zps, scales
    x = T(x_shape, scale=sx, zero_point=zx)
    y = T(y_shape, scale=sy, zero_point=zy)
    const = y if first == 0 else x
    const.data = rng.integers(-128, 128, const.shape).astype(np.int8)
    options = {"adjX": adj_x, "adjY": adj_y}
    return single_op_model("BATCH_MATMUL", [x, y], T(out_shape, scale=so, zero_point=zo), options)


# (x shape, y shape, output shape, adj_x, adj_y, graph input)
SHAPES = [
    ((1, 3, 4), (4, 5), (1, 3, 5), False, False, 0),  # ranks differ
    ((1, 4, 3), (1, 5, 4), (1, 3, 5), True, True, 0),
    ((1, 2, 3, 4), (2, 1, 4, 6), (2, 2, 3, 6), False, False, 1),  # both broadcast, x is the constant
    ((1, 2, 1, 3, 7), (2, 1, 3, 5, 7), (2, 2, 3, 3, 5), False, True, 0),  # five dims
    ((1, 2, 6, 3), (1, 1, 6, 2), (1, 2, 3, 2), True, False, 0),  # y's batch of 1: TFLM flattens x's
    ((1, 1, 1), (1, 1, 1), (1, 1, 1), False, False, 0),
]


@pytest.mark.parametrize("x_shape, y_shape, out_shape, adj_x, adj_y, first", SHAPES)
def test_shapes_and_adjoints(x_shape, y_shape, out_shape, adj_x, adj_y, first):
    check_bit_exact(hand_model(x_shape, y_shape, out_shape, adj_x, adj_y, first=first))


@pytest.mark.parametrize(
    "zps, scales",
    [
        ((-128, 127, -128), (0.5, 0.5, 1e-3)),  # a multiplier above 1: left shift
        ((127, -128, 127), (0.02, 0.01, 50.0)),  # a tiny multiplier: everything rounds to the zero point
        ((0, 0, 0), (0.1, 0.1, 0.1)),
    ],
)
def test_zero_points_and_scales_at_the_extremes(zps, scales):
    check_bit_exact(hand_model((1, 3, 64), (64, 4), (1, 3, 4), zps=zps, scales=scales))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    data = int8_tflite(keras_model(TwoBranches(3), (2, 4, 6)))
    check_c_bit_exact(data, tmp_path / "keras", target=target, count=8)
    for i in (2, 3, 4):
        x_shape, y_shape, out_shape, adj_x, adj_y, first = SHAPES[i]
        model = hand_model(x_shape, y_shape, out_shape, adj_x, adj_y, first=first)
        check_c_bit_exact(model, tmp_path / str(i), target=target, count=8)
    wide = hand_model((1, 3, 9), (9, 4), (1, 3, 4), zps=(-128, 127, -128), scales=(0.5, 0.5, 1e-3))
    check_c_bit_exact(wide, tmp_path / "wide", target=target, count=8)


def test_macs():
    g = parse_tflite(hand_model(*SHAPES[1][:5]))
    assert traits("BATCH_MATMUL").macs(g, g.ops[0]) == 3 * 5 * 4


def prepare_only(x, y, out, options=None):
    g = parse_tflite(single_op_model("BATCH_MATMUL", [x, y], out, options or {}))
    return batch_matmul.prepare(OpContext(g, g.ops[0], for_c=True))


def test_refusals():
    w = np.zeros((4, 5), np.int8)
    out = T((1, 3, 5), scale=0.1)
    with pytest.raises(UnsupportedError, match="inner dims differ"):
        prepare_only(T((1, 3, 4), scale=0.1), T((4, 5), scale=0.1, data=w), out, {"adjY": True})
    with pytest.raises(UnsupportedError, match="do not broadcast"):
        prepare_only(T((2, 3, 4), scale=0.1), T((3, 4, 5), scale=0.1, data=np.zeros((3, 4, 5), np.int8)), out)
    with pytest.raises(UnsupportedError, match="2 to 5 dimensions"):
        prepare_only(T((1, 1, 1, 1, 3, 4), scale=0.1), T((4, 5), scale=0.1, data=w), T((1, 1, 1, 1, 3, 5), scale=0.1))
    with pytest.raises(UnsupportedError, match="output shape"):
        prepare_only(T((1, 3, 4), scale=0.1), T((4, 5), scale=0.1, data=w), T((1, 5, 3), scale=0.1))
    with pytest.raises(UnsupportedError, match="int16"):
        prepare_only(T((1, 3, 4), "int16", scale=0.1), T((4, 5), "int16", scale=0.1, data=w.astype(np.int16)), out)
    deep = np.zeros((40000, 1), np.int8)
    with pytest.raises(UnsupportedError, match="overflow"):
        prepare_only(T((1, 1, 40000), scale=0.1), T((40000, 1), scale=0.1, data=deep), T((1, 1, 1), scale=0.1))


def test_refuses_per_channel_operands():
    g = parse_tflite(hand_model((1, 3, 4), (4, 5), (1, 3, 5)))
    y = g.tensors[g.ops[0].inputs[1]]
    per_channel = replace(y, scale=(0.1,) * 5, zero_point=(0,) * 5, quantized_dimension=1)
    g = replace(g, tensors=tuple(per_channel if t.index == y.index else t for t in g.tensors))
    with pytest.raises(UnsupportedError, match="per-tensor"):
        interpreter.prepare(g)
