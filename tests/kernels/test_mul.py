import numpy as np
import pytest

from edgenn.errors import ModelFileError, UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from edgenn.reference.base import ACTIVATIONS
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import C_BROADCAST_SHAPES, PAIR_LAYOUTS, T, every_pair_model, single_op_model

keras = pytest.importorskip("keras")


def mul_ops(data):
    graph = parse_tflite(data)
    assert "MUL" in graph.op_names, graph.op_names
    return graph, [op for op in graph.ops if op.name == "MUL"]


def constant(shape, seed=1):
    return np.random.default_rng(seed).integers(-128, 128, size=shape).astype(np.int8)


@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_two_branches_with_different_scales(activation):
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(6)(x)
    b = keras.layers.Dense(6, kernel_initializer=keras.initializers.RandomUniform(-2.0, 2.0))(x)
    y = keras.layers.Multiply()([a, b])
    if activation == "relu":
        y = keras.layers.ReLU()(y)
    elif activation == "relu6":
        y = keras.layers.ReLU(6.0)(y)
    data = int8_tflite(keras.Model(x, y), low=-3.0, high=3.0)
    graph, (op,) = mul_ops(data)
    s1, s2 = (graph.tensors[i].scale[0] for i in op.inputs)
    assert s1 != s2
    assert ACTIVATIONS[op.options.fusedActivationFunction] == (activation or "none").upper()
    check_bit_exact(data, count=64)


def test_broadcast_from_a_second_branch():
    keras.utils.set_random_seed(2)
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    v = keras.layers.Reshape((1, 1, 3))(keras.layers.Dense(3)(keras.layers.Flatten()(x)))
    data = int8_tflite(keras.Model(x, keras.layers.Multiply()([x, v])))
    graph, (op,) = mul_ops(data)
    assert graph.tensors[op.inputs[0]].shape != graph.tensors[op.inputs[1]].shape
    check_bit_exact(data)


class Scale(keras.layers.Layer):
    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = np.asarray(value, np.float32)

    def call(self, t):
        return t * self.value


def test_broadcast_with_a_constant():
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    data = int8_tflite(keras.Model(x, Scale([[[[0.5, -1.0, 2.0]]]])(x)), low=-2.0, high=1.0)
    graph, (op,) = mul_ops(data)
    assert graph.tensors[op.inputs[1]].shape == (1, 1, 1, 3) and graph.tensors[op.inputs[1]].data is not None
    check_bit_exact(data)


# (input scale, zero point), (constant scale, zero point), (output scale, zero point), activation
SCALES = [
    ((0.05, 3), (0.1, -2), (0.07, 1), "NONE"),
    ((0.5, 0), (0.5, -10), (0.01, 4), "RELU"),  # real multiplier 25: a positive shift
    ((0.5, -128), (0.25, 127), (0.125, 0), "RELU6"),  # real multiplier exactly 1: 2^30 with shift 1
    ((0.001, 5), (0.002, 0), (3.0, -7), "RELU_N1_TO_1"),  # real multiplier below 2^-20
    ((0.3, 60), (0.2, -60), (1e-4, 0), "NONE"),  # saturates almost everything
]


@pytest.mark.parametrize("in1, in2, out, act", SCALES)
def test_hand_built_scales_and_activations(in1, in2, out, act):
    data = single_op_model(
        "MUL",
        [
            T((1, 3, 5), scale=in1[0], zero_point=in1[1]),
            T((1, 3, 5), scale=in2[0], zero_point=in2[1], data=constant((1, 3, 5))),
        ],
        T((1, 3, 5), scale=out[0], zero_point=out[1]),
        {"fusedActivationFunction": {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}[act]},
    )
    mul_ops(data)
    check_bit_exact(data, count=64)


@pytest.mark.parametrize(
    "shape1, shape2",
    [
        ((4, 3), (3,)),
        ((3,), (4, 3)),
        ((1, 6), (6,)),
        ((2, 3, 4), ()),
        ((2, 1, 4, 1, 3), (1, 5, 1, 2, 1)),  # beyond the four dims of TFLM's older broadcast loop
        ((2, 3, 2, 2, 5, 2), (1, 3, 1, 2, 1, 2)),
    ],
)
def test_hand_built_broadcast_shapes(shape1, shape2):
    out = np.broadcast_shapes(shape1, shape2)
    data = single_op_model(
        "MUL",
        [T(shape1, scale=0.05, zero_point=3), T(shape2, scale=0.08, zero_point=-9, data=constant(shape2))],
        T(out, scale=0.2, zero_point=2),
    )
    mul_ops(data)
    check_bit_exact(data, inputs=probe_inputs(shape1, 16))


def test_refuses_more_than_six_dims():
    shape = (1, 2, 1, 2, 1, 2, 2)
    data = single_op_model(
        "MUL", [T(shape, scale=0.05), T(shape, scale=0.05, data=constant(shape))], T(shape, scale=0.1)
    )
    with pytest.raises(ModelFileError, match="at most 6"):  # the reader: TFLM holds at most six
        interpreter.prepare(parse_tflite(data))


def test_refuses_shapes_that_do_not_broadcast():
    data = single_op_model(
        "MUL", [T((2, 3), scale=0.05), T((2, 2), scale=0.05, data=constant((2, 2)))], T((2, 3), scale=0.1)
    )
    with pytest.raises(UnsupportedError, match="do not broadcast"):
        interpreter.prepare(parse_tflite(data))


def every_pair():
    """All 65536 (input, constant) code pairs: the input varies slowest, the constant fastest."""
    codes = np.arange(-128, 128, dtype=np.int8)
    return np.repeat(codes, 256).reshape(1, 1, 65536), np.tile(codes, 256).reshape(1, 65536)


@pytest.mark.parametrize("seed", range(4))
def test_every_code_pair(seed):
    rng = np.random.default_rng(seed)
    s1, s2 = (float(np.float32(v)) for v in 10.0 ** rng.uniform(-3, 0, 2))
    so = float(np.float32(s1 * s2 * 10.0 ** rng.uniform(1, 4)))
    z1, z2, zo = (int(v) for v in rng.integers(-128, 128, 3))
    x, c = every_pair()
    data = single_op_model(
        "MUL",
        [T((1, 65536), scale=s1, zero_point=z1), T((1, 65536), scale=s2, zero_point=z2, data=c)],
        T((1, 65536), scale=so, zero_point=zo),
    )
    mul_ops(data)
    check_bit_exact(data, inputs=x)


# --- the generated C ---------------------------------------------------------------------------


def constant_model():
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    return int8_tflite(keras.Model(x, Scale([[[[0.5, -1.0, 2.0]]]])(x)), low=-2.0, high=1.0)


def branches_model():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(6)(x)
    b = keras.layers.Dense(6, kernel_initializer=keras.initializers.RandomUniform(-2.0, 2.0))(x)
    return int8_tflite(keras.Model(x, keras.layers.ReLU()(keras.layers.Multiply()([a, b]))), low=-3.0, high=3.0)


@pytest.mark.parametrize("build", [constant_model, branches_model])
def test_in_c_converter_models(tmp_path, build):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(build(), tmp_path, count=64)


@pytest.mark.parametrize("in1, in2, out, act", SCALES)
def test_in_c_hand_built_scales_and_activations(tmp_path, in1, in2, out, act):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "MUL",
        [
            T((1, 3, 5), scale=in1[0], zero_point=in1[1]),
            T((1, 3, 5), scale=in2[0], zero_point=in2[1], data=constant((1, 3, 5))),
        ],
        T((1, 3, 5), scale=out[0], zero_point=out[1]),
        {"fusedActivationFunction": {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}[act]},
    )
    check_c_bit_exact(data, tmp_path, count=64)


@pytest.mark.parametrize("shape1, shape2", C_BROADCAST_SHAPES)
def test_in_c_broadcast_shapes(tmp_path, shape1, shape2):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "MUL",
        [T(shape1, scale=0.05, zero_point=3), T(shape2, scale=0.08, zero_point=-9, data=constant(shape2))],
        T(np.broadcast_shapes(shape1, shape2), scale=0.2, zero_point=2),
    )
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs(shape1, 16))


@pytest.mark.parametrize("seed, layout", list(enumerate(PAIR_LAYOUTS)))
def test_in_c_every_code_pair(tmp_path, seed, layout):
    from tests.conftest import require_tool

    require_tool("gcc")
    rng = np.random.default_rng(200 + seed)
    s1, s2 = (float(np.float32(v)) for v in 10.0 ** rng.uniform(-3, 0, 2))
    so = float(np.float32(s1 * s2 * 10.0 ** rng.uniform(1, 4)))
    data, x = every_pair_model("MUL", layout, (s1, s2, so), [int(v) for v in rng.integers(-128, 128, 3)])
    check_c_bit_exact(data, tmp_path, inputs=x)


def test_c_refuses_a_multiplier_of_two_to_the_31():
    # TFLM's x * (1 << 32) is undefined; no C reproduces what its build happens to do there.
    from edgenn.export.codegen import generate

    data = single_op_model(
        "MUL", [T((1, 4), scale=1000.0), T((1, 4), scale=1000.0, data=constant((1, 4)))], T((1, 4), scale=1e-4)
    )
    interpreter.prepare(parse_tflite(data))
    with pytest.raises(UnsupportedError, match="real multiplier of 2"):
        generate(parse_tflite(data), "net", "test")
