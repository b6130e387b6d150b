import itertools

import numpy as np
import pytest

from edgenn.errors import ModelFileError, UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import _elementwise as ew
from edgenn.reference import interpreter
from edgenn.reference.base import ACTIVATIONS
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import C_BROADCAST_SHAPES, PAIR_LAYOUTS, T, every_pair_model, single_op_model

keras = pytest.importorskip("keras")


def add_ops(data):
    graph = parse_tflite(data)
    assert "ADD" in graph.op_names, graph.op_names
    return graph, [op for op in graph.ops if op.name == "ADD"]


def constant(shape, seed=1):
    return np.random.default_rng(seed).integers(-128, 128, size=shape).astype(np.int8)


@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_two_branches_with_different_scales(activation):
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(6)(x)
    b = keras.layers.Dense(6, kernel_initializer=keras.initializers.RandomUniform(-2.0, 2.0))(x)
    y = keras.layers.Add()([a, b])
    if activation == "relu":
        y = keras.layers.ReLU()(y)
    elif activation == "relu6":
        y = keras.layers.ReLU(6.0)(y)
    data = int8_tflite(keras.Model(x, y), low=-3.0, high=3.0)
    graph, (op,) = add_ops(data)
    s1, s2 = (graph.tensors[i].scale[0] for i in op.inputs)
    assert s1 != s2
    assert ACTIVATIONS[op.options.fusedActivationFunction] == (activation or "none").upper()
    check_bit_exact(data, count=64)


def test_broadcast_from_a_second_branch():
    keras.utils.set_random_seed(2)
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    v = keras.layers.Reshape((1, 1, 3))(keras.layers.Dense(3)(keras.layers.Flatten()(x)))
    data = int8_tflite(keras.Model(x, keras.layers.Add()([x, v])))
    graph, (op,) = add_ops(data)
    assert graph.tensors[op.inputs[0]].shape != graph.tensors[op.inputs[1]].shape
    check_bit_exact(data)


class ConstantOp(keras.layers.Layer):
    def __init__(self, value, mul=False, **kwargs):
        super().__init__(**kwargs)
        self.value = np.asarray(value, np.float32)
        self.mul = mul

    def call(self, t):
        return t * self.value if self.mul else t + self.value


def test_broadcast_with_a_constant():
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    data = int8_tflite(keras.Model(x, ConstantOp([[[[0.5, -1.0, 2.0]]]])(x)))
    graph, (op,) = add_ops(data)
    assert graph.tensors[op.inputs[1]].shape == (1, 1, 1, 3) and graph.tensors[op.inputs[1]].data is not None
    check_bit_exact(data)


# (input scale, zero point), (constant scale, zero point), (output scale, zero point), activation
SCALES = [
    ((0.05, 3), (0.1, -2), (0.07, 1), "NONE"),
    ((0.02, -128), (0.02, 127), (0.03, 0), "RELU"),  # equal input scales: both multipliers are 1/2
    ((0.001, 5), (1.0, 0), (1.1, -7), "RELU6"),  # a 1000x scale ratio: the small input nearly vanishes
    ((0.5, 0), (0.004, -100), (0.2, 20), "RELU_N1_TO_1"),
    ((0.3, 60), (0.3, -60), (0.0003, 0), "NONE"),  # a tiny output scale saturates almost everything
]


@pytest.mark.parametrize("in1, in2, out, act", SCALES)
def test_hand_built_scales_and_activations(in1, in2, out, act):
    data = single_op_model(
        "ADD",
        [
            T((1, 3, 5), scale=in1[0], zero_point=in1[1]),
            T((1, 3, 5), scale=in2[0], zero_point=in2[1], data=constant((1, 3, 5))),
        ],
        T((1, 3, 5), scale=out[0], zero_point=out[1]),
        {"fusedActivationFunction": {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}[act]},
    )
    add_ops(data)
    check_bit_exact(data, count=64)


@pytest.mark.parametrize(
    "shape1, shape2",
    [
        ((4, 3), (3,)),  # ranks differ
        ((3,), (4, 3)),  # the constant is the larger operand
        ((1, 6), (6,)),  # equal once padded: TFLM's flat loop
        ((2, 3, 4), ()),  # a scalar constant
        ((2, 1, 4, 1, 3), (1, 5, 1, 2, 1)),  # both broadcast, five dims
        ((2, 3, 2, 2, 5, 2), (1, 3, 1, 2, 1, 2)),  # six dims, alternating
    ],
)
def test_hand_built_broadcast_shapes(shape1, shape2):
    out = np.broadcast_shapes(shape1, shape2)
    data = single_op_model(
        "ADD",
        [T(shape1, scale=0.05, zero_point=3), T(shape2, scale=0.08, zero_point=-9, data=constant(shape2))],
        T(out, scale=0.09, zero_point=2),
    )
    add_ops(data)
    check_bit_exact(data, inputs=probe_inputs(shape1, 16))


def test_refuses_more_than_six_dims():
    shape = (1, 2, 1, 2, 1, 2, 2)
    data = single_op_model(
        "ADD", [T(shape, scale=0.05), T(shape, scale=0.05, data=constant(shape))], T(shape, scale=0.1)
    )
    # The reader refuses it: TFLM's RuntimeShape holds at most six dimensions.
    with pytest.raises(ModelFileError, match="at most 6"):
        interpreter.prepare(parse_tflite(data))


def test_refuses_an_output_multiplier_of_one_or_more():
    # TFLM's QuantizeMultiplierSmallerThanOneExp aborts the process here.
    data = single_op_model("ADD", [T((4,), scale=1.0), T((4,), scale=1.0, data=constant((4,)))], T((4,), scale=1e-7))
    with pytest.raises(UnsupportedError, match="outside"):
        interpreter.prepare(parse_tflite(data))


def every_pair():
    """All 65536 (input, constant) code pairs: the input varies slowest, the constant fastest."""
    codes = np.arange(-128, 128, dtype=np.int8)
    return np.repeat(codes, 256).reshape(1, 1, 65536), np.tile(codes, 256).reshape(1, 65536)


@pytest.mark.parametrize("seed", range(4))
def test_every_code_pair(seed):
    # Roundings that differ only near ties need every pair to show up, e.g. a left shift of 19 vs 20.
    rng = np.random.default_rng(seed)
    s1, s2, so = (float(np.float32(v)) for v in 10.0 ** rng.uniform(-3, 0, 3))
    z1, z2, zo = (int(v) for v in rng.integers(-128, 128, 3))
    x, c = every_pair()
    data = single_op_model(
        "ADD",
        [T((1, 65536), scale=s1, zero_point=z1), T((1, 65536), scale=s2, zero_point=z2, data=c)],
        T((1, 65536), scale=so, zero_point=zo),
    )
    add_ops(data)
    check_bit_exact(data, inputs=x)


# --- the generated C ---------------------------------------------------------------------------


def c_walk(plan):
    """What edgenn_ew_binary visits: the (input1, input2) flat index of each output element."""
    i1, i2 = [], []

    def row(a, step1, b, step2, n):
        i1.extend(a + k * step1 for k in range(n))
        i2.extend(b + k * step2 for k in range(n))

    kind, size, inner = plan["kind"], plan["size"], plan["inner"]
    if kind == 0:
        row(0, 1, 0, 1, size)
    elif kind in (1, 2) and inner == 1:
        row(0, int(kind == 2), 0, int(kind == 1), size)
    elif kind in (1, 2):
        for r in range(0, size, inner):
            row(0 if kind == 1 else r, 1, r if kind == 1 else 0, 1, inner)
    else:
        dims, s1, s2 = plan["dims"], plan["stride1"], plan["stride2"]
        for idx in itertools.product(*(range(d) for d in dims[:-1])):
            off1 = sum(i * s for i, s in zip(idx, s1, strict=False))
            off2 = sum(i * s for i, s in zip(idx, s2, strict=False))
            row(off1, s1[-1], off2, s2[-1], dims[-1])
    return np.array(i1, np.int64), np.array(i2, np.int64)


def test_broadcast_plan_walks_like_numpy():
    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(1500):
        out = tuple(int(d) for d in rng.integers(1, 4, rng.integers(1, 7)))
        s1, s2 = (tuple(o if rng.random() < 0.5 else 1 for o in out) for _ in range(2))
        s1 = s1[int(rng.integers(0, len(s1) + 1)) :] if rng.random() < 0.3 else s1
        shape = np.broadcast_shapes(s1, s2)
        plan = ew.broadcast_plan(s1, s2, shape)
        kinds.add(plan["kind"])
        got1, got2 = c_walk(plan)
        want1 = np.broadcast_to(np.arange(int(np.prod(s1))).reshape(s1), shape).ravel()
        want2 = np.broadcast_to(np.arange(int(np.prod(s2))).reshape(s2), shape).ravel()
        assert (got1 == want1).all() and (got2 == want2).all(), (s1, s2, plan)
    assert kinds == {0, 1, 2, 3}


def constant_model():
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    return int8_tflite(keras.Model(x, ConstantOp([[[[0.5, -1.0, 2.0]]]])(x)))


def branches_model():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(6)(x)
    b = keras.layers.Dense(6, kernel_initializer=keras.initializers.RandomUniform(-2.0, 2.0))(x)
    return int8_tflite(keras.Model(x, keras.layers.ReLU(6.0)(keras.layers.Add()([a, b]))), low=-3.0, high=3.0)


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
        "ADD",
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
        "ADD",
        [T(shape1, scale=0.05, zero_point=3), T(shape2, scale=0.08, zero_point=-9, data=constant(shape2))],
        T(np.broadcast_shapes(shape1, shape2), scale=0.09, zero_point=2),
    )
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs(shape1, 16))


@pytest.mark.parametrize("seed, layout", list(enumerate(PAIR_LAYOUTS)))
def test_in_c_every_code_pair(tmp_path, seed, layout):
    from tests.conftest import require_tool

    require_tool("gcc")
    rng = np.random.default_rng(100 + seed)
    scales = [float(np.float32(v)) for v in 10.0 ** rng.uniform(-3, 0, 3)]
    data, x = every_pair_model("ADD", layout, scales, [int(v) for v in rng.integers(-128, 128, 3)])
    check_c_bit_exact(data, tmp_path, inputs=x)


# --- the table kernel (edgenn_add_table) and the loop on each kind of core ---------------------
C_TARGETS = ["host", "cortex-m0plus", "cortex-m4", "cortex-m55"]


def generated_call(tmp_path) -> str:
    text = (tmp_path / "c" / "net.c").read_text()
    return "table" if "edgenn_add_table(" in text else "loop"


def flat_add_model(shape, s1, s2, so, act="NONE"):
    """ADD of the graph input and a same-shaped constant: (scale, zero point) pairs, an activation name."""
    return single_op_model(
        "ADD",
        [T(shape, scale=s1[0], zero_point=s1[1]), T(shape, scale=s2[0], zero_point=s2[1], data=constant(shape, 7))],
        T(shape, scale=so[0], zero_point=so[1]),
        {"fusedActivationFunction": {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}[act]},
    )


# An output scale whose real multiplier is in [0.5, 1): no right shift, so no one-multiply form.
NO_SHIFT = ((0.5, 3), (0.25, -7), (1.0 / ((1 << 20) * 0.7), 0), "NONE")


@pytest.mark.parametrize("target", C_TARGETS)
@pytest.mark.parametrize("in1, in2, out, act", [*SCALES, NO_SHIFT])
def test_in_c_table_scales_and_activations(tmp_path, in1, in2, out, act, target):
    # 1027 elements: the table path (1024 and up), with a remainder for Helium's four-lane steps
    from tests.conftest import require_tool

    require_tool("gcc")
    data = flat_add_model((1, 13, 79), in1, in2, out, act)
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs((1, 13, 79), 6), target=target)
    assert generated_call(tmp_path) == "table"
    one_multiply = "rq_k = 0," not in (tmp_path / "c" / "net.c").read_text()
    assert one_multiply == ((in1, in2, out, act) != NO_SHIFT)


@pytest.mark.parametrize("target", C_TARGETS[1:])
@pytest.mark.parametrize("layout", ["flat", "repeat-first"])
def test_in_c_every_code_pair_on_devices(tmp_path, layout, target):
    # flat: the table path; repeat-first: the broadcasting loop
    from tests.conftest import require_tool

    require_tool("gcc")
    rng = np.random.default_rng(7)
    scales = [float(np.float32(v)) for v in 10.0 ** rng.uniform(-3, 0, 3)]
    data, x = every_pair_model("ADD", layout, scales, [int(v) for v in rng.integers(-128, 128, 3)])
    check_c_bit_exact(data, tmp_path, inputs=x, target=target)
    assert generated_call(tmp_path) == ("table" if layout == "flat" else "loop")


@pytest.mark.parametrize("target", C_TARGETS)
@pytest.mark.parametrize("size, call", [(1023, "loop"), (1024, "table")])
def test_in_c_table_threshold(tmp_path, size, call, target):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = flat_add_model((1, size), (0.05, -128), (0.1, 127), (0.07, 1), "RELU")
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs((1, size), 6), target=target)
    assert generated_call(tmp_path) == call


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("in1, in2, out, act", [*SCALES, NO_SHIFT])
def test_in_c_loop_scales_on_devices(tmp_path, in1, in2, out, act, target):
    # 111 elements: the loop (Helium's four-lane steps with a remainder on cortex-m55)
    from tests.conftest import require_tool

    require_tool("gcc")
    data = flat_add_model((1, 3, 37), in1, in2, out, act)
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs((1, 3, 37), 12), target=target)
    assert generated_call(tmp_path) == "loop"


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("shape1, shape2", C_BROADCAST_SHAPES)
def test_in_c_broadcast_shapes_on_devices(tmp_path, shape1, shape2, target):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "ADD",
        [T(shape1, scale=0.05, zero_point=3), T(shape2, scale=0.08, zero_point=-9, data=constant(shape2))],
        T(np.broadcast_shapes(shape1, shape2), scale=0.09, zero_point=2),
    )
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs(shape1, 8), target=target)
    assert generated_call(tmp_path) == "loop"
