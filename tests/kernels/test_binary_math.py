"""SUB, MAXIMUM, MINIMUM and SQUARED_DIFFERENCE, int8: the reference and the generated C against TFLM."""

import numpy as np
import pytest

from edgenn.errors import ModelFileError, UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import _binary_math as bm
from edgenn.reference import fixedpoint as fp
from edgenn.reference import interpreter, sub
from edgenn.reference.base import ACTIVATIONS
from tests.kernels.harness import (
    check_bit_exact,
    check_c_bit_exact,
    int8_tflite,
    prepare_int8,
    probe_inputs,
    tflm_outputs,
)
from tests.kernels.op_models import C_BROADCAST_SHAPES, PAIR_LAYOUTS, T, every_pair_model, single_op_model
from tests.kernels.test_add import SCALES as ADD_SCALES

keras = pytest.importorskip("keras")

OPS = ("SUB", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE")
COMPARE = ("MAXIMUM", "MINIMUM")
ACT = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def ops_in(data, name):
    graph = parse_tflite(data)
    assert name in graph.op_names, graph.op_names
    return graph, [op for op in graph.ops if op.name == name]


def constant(shape, seed=1):
    return np.random.default_rng(seed).integers(-128, 128, size=shape).astype(np.int8)


def prepare(data):
    return interpreter.prepare(parse_tflite(data))


def c_prepare(data):
    return interpreter.prepare(parse_tflite(data), need_c=True)


def quantization(op, seed=0):
    """(scales, zero points) for one op: a shared pair for the comparisons, which need one; an output
    scale that keeps SUB's output multiplier below one and spreads SQUARED_DIFFERENCE's codes."""
    rng = np.random.default_rng(seed)
    s1, s2 = (float(np.float32(v)) for v in 10.0 ** rng.uniform(-3, 0, 2))
    z1, z2, zo = (int(v) for v in rng.integers(-128, 128, 3))
    if op in COMPARE:
        return (s1, s1, s1), (z1, z1, z1)
    if op == "SQUARED_DIFFERENCE":
        so = float(np.float32(max(s1, s2) ** 2 * 10.0 ** rng.uniform(0, 3)))
    else:
        so = float(np.float32(max(s1, s2) * 10.0 ** rng.uniform(-0.5, 1.5)))
    return (s1, s2, so), (z1, z2, zo)


# --- models from the converter ------------------------------------------------------------------


def branches(seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(6)(x)
    b = keras.layers.Dense(6, kernel_initializer=keras.initializers.RandomUniform(-2.0, 2.0))(x)
    return x, a, b


@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_sub_of_two_branches_with_different_scales(activation):
    x, a, b = branches()
    y = keras.layers.Subtract()([a, b])
    if activation is not None:
        y = keras.layers.ReLU(6.0 if activation == "relu6" else None)(y)
    data = int8_tflite(keras.Model(x, y), low=-3.0, high=3.0)
    graph, (op,) = ops_in(data, "SUB")
    assert len({graph.tensors[i].scale[0] for i in op.inputs}) == 2
    assert ACTIVATIONS[op.options.fusedActivationFunction] == (activation or "none").upper()
    check_bit_exact(data, count=64)


def test_squared_difference_of_two_branches():
    x, a, b = branches()
    data = int8_tflite(keras.Model(x, keras.ops.square(a - b)), low=-3.0, high=3.0)
    graph, (op,) = ops_in(data, "SQUARED_DIFFERENCE")
    assert len({graph.tensors[i].scale[0] for i in op.inputs}) == 2
    check_bit_exact(data, count=64)


def chain_model():
    """Every op of the group, one after the other, as the converter quantizes them."""
    x, a, b = branches(1)
    d = keras.layers.ReLU()(keras.layers.Subtract()([a, b]))
    m = keras.layers.Minimum()([keras.layers.Maximum()([d, a]), b])
    return int8_tflite(keras.Model(x, keras.ops.square(m - a)), low=-3.0, high=3.0)


def test_a_chain_of_every_op():
    data = chain_model()
    assert set(OPS) <= set(parse_tflite(data).op_names)
    check_bit_exact(data, count=64)


class WithConstant(keras.layers.Layer):
    def __init__(self, op, value, constant_first=False, **kwargs):
        super().__init__(**kwargs)
        self.op, self.value, self.constant_first = op, np.asarray(value, np.float32), constant_first

    def call(self, t):
        a, b = (self.value, t) if self.constant_first else (t, self.value)
        if self.op == "SQUARED_DIFFERENCE":
            return keras.ops.square(keras.ops.subtract(a, b))
        return {"SUB": keras.ops.subtract, "MAXIMUM": keras.ops.maximum, "MINIMUM": keras.ops.minimum}[self.op](a, b)


def constant_model(op, constant_first=False):
    x = keras.Input(batch_shape=(1, 4, 4, 3))
    layer = WithConstant(op, [[[[0.5, -0.25, 0.75]]]], constant_first)
    return int8_tflite(keras.Model(x, layer(x)), low=-1.0, high=1.0)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("constant_first", [False, True])
def test_broadcast_with_a_constant(op, constant_first):
    data = constant_model(op, constant_first)
    graph, (node,) = ops_in(data, op)
    shapes = [graph.tensors[i].shape for i in node.inputs]
    assert shapes[0] != shapes[1]
    is_constant = [graph.tensors[i].data is not None for i in node.inputs]
    assert sum(is_constant) == 1
    if op == "SUB":  # the converter may put a commutative op's constant second
        assert is_constant[0] == constant_first
    check_bit_exact(data)


# --- hand-built models: scales, zero points, every code pair --------------------------------------

# ADD's cases (input scale, zero point), (constant scale, zero point), (output scale, zero point), activation
SUB_SCALES = [
    *ADD_SCALES,
    ((0.05, 127), (0.05, -128), (0.1, 127), "RELU"),  # zero points at both ends
]

# (input scale, zero point), (constant scale, zero point), (output scale, zero point)
SQD_SCALES = [
    ((0.05, 3), (0.1, -2), (0.02, -128)),
    ((0.02, -128), (0.02, 127), (0.5, -128)),  # equal input scales, zero points at both ends
    ((0.1, 0), (0.003, 50), (1e-6, 10)),  # output multiplier 2.4: a left shift
    ((0.7, -5), (0.9, 9), (1e-13, 127)),  # output multiplier near 2^30, shift 31 (the C's largest): wraps
    ((0.001, 5), (0.002, -7), (1e6, -3)),  # output multiplier below 2^-31: Q31 0, every code is the zero point
    ((0.3, 127), (0.01, -128), (0.4, 0)),
]


def sub_model(in1, in2, out, act, shape=(1, 3, 5)):
    return single_op_model(
        "SUB",
        [T(shape, scale=in1[0], zero_point=in1[1]), T(shape, scale=in2[0], zero_point=in2[1], data=constant(shape))],
        T(shape, scale=out[0], zero_point=out[1]),
        {"fusedActivationFunction": ACT[act]},
    )


def sqd_model(in1, in2, out, shape=(1, 3, 5)):
    return single_op_model(
        "SQUARED_DIFFERENCE",
        [T(shape, scale=in1[0], zero_point=in1[1]), T(shape, scale=in2[0], zero_point=in2[1], data=constant(shape))],
        T(shape, scale=out[0], zero_point=out[1]),
    )


@pytest.mark.parametrize("in1, in2, out, act", SUB_SCALES)
def test_sub_scales_and_activations(in1, in2, out, act):
    data = sub_model(in1, in2, out, act)
    ops_in(data, "SUB")
    check_bit_exact(data, count=64)


@pytest.mark.parametrize("in1, in2, out", SQD_SCALES)
def test_squared_difference_scales(in1, in2, out):
    data = sqd_model(in1, in2, out)
    ops_in(data, "SQUARED_DIFFERENCE")
    check_bit_exact(data, count=64)


def test_squared_difference_multiplier_extremes():
    shifts = [prepare(sqd_model(*case))[0].params.output_shift for case in SQD_SCALES]
    assert max(shifts) == 31 and any(1 <= s <= 3 for s in shifts)
    assert prepare(sqd_model(*SQD_SCALES[4]))[0].params.output_multiplier == 0


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("seed", range(3))
def test_every_code_pair(op, seed):
    # Roundings that differ only near ties need every (input, constant) pair to show up.
    scales, zero_points = quantization(op, seed)
    data, x = every_pair_model(op, "flat", scales, zero_points)
    ops_in(data, op)
    check_bit_exact(data, inputs=x)


def test_every_code_pair_with_zero_points_at_the_ends():
    for op in OPS:
        for z in (-128, 127):
            scales = (0.02, 0.02, 0.02) if op in COMPARE else (0.02, 0.05, 0.03)
            data, x = every_pair_model(op, "flat", scales, (z, -z - 1 if op not in COMPARE else z, z))
            check_bit_exact(data, inputs=x)


# A case where the multipliers formed in float32 (as TFLM's sub_common.cc reads) and in double (as the
# installed TFLM computes them) move one output code: the reference must follow the double.
SUB_FLOAT32_TRAP = ((0.8760038614273071, 0.11392681300640106, 0.08940830081701279), (87, 48, 52))


def test_sub_multipliers_are_divided_in_double():
    (s1, s2, so), zero_points = SUB_FLOAT32_TRAP
    f32 = np.float32
    twice = f32(2.0) * f32(max(s1, s2))
    in_float32 = (float(f32(s1) / twice), float(f32(s2) / twice), float(twice / (f32(1 << 20) * f32(so))))
    in_double = bm.real_multipliers(s1, s2, so, sub.LEFT_SHIFT)
    assert [fp.quantize_multiplier(r) for r in in_float32] != [fp.quantize_multiplier(r) for r in in_double]
    data, x = every_pair_model("SUB", "flat", (s1, s2, so), zero_points)
    check_bit_exact(data, inputs=x)


BROADCAST_SHAPES = [
    ((4, 3), (3,)),  # ranks differ
    ((3,), (4, 3)),  # the constant is the larger operand
    ((1, 6), (6,)),  # equal once padded: TFLM's flat loop (or its broadcast loop, to the same bytes)
    ((2, 3, 4), ()),  # a scalar constant
    ((2, 1, 4, 1, 3), (1, 5, 1, 2, 1)),  # both broadcast, five dims
    ((2, 3, 2, 2, 5, 2), (1, 3, 1, 2, 1, 2)),  # six dims, alternating
]


def broadcast_model(op, shape1, shape2, seed=3):
    (s1, s2, so), (z1, z2, zo) = quantization(op, seed)
    return single_op_model(
        op,
        [T(shape1, scale=s1, zero_point=z1), T(shape2, scale=s2, zero_point=z2, data=constant(shape2))],
        T(np.broadcast_shapes(shape1, shape2), scale=so, zero_point=zo),
    )


@pytest.mark.parametrize("op", OPS)
def test_broadcast_shapes(op):
    for shape1, shape2 in BROADCAST_SHAPES:
        check_bit_exact(broadcast_model(op, shape1, shape2), inputs=probe_inputs(shape1, 16))


def test_compare_codes_and_ties():
    # equal codes, both extremes: the comparisons only pick codes, never make one
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    for op, pick in (("MAXIMUM", np.maximum), ("MINIMUM", np.minimum)):
        c = np.roll(np.arange(-128, 128, dtype=np.int8), 1)
        data = single_op_model(
            op,
            [T((256,), scale=0.1, zero_point=-128), T((256,), scale=0.1, zero_point=-128, data=c)],
            T((256,), scale=0.1, zero_point=-128),
        )
        want = check_bit_exact(data, inputs=x)
        np.testing.assert_array_equal(want[0], pick(x[0], c))


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", COMPARE)
@pytest.mark.parametrize("which", ["input 2 scale", "output zero point"])
def test_compare_refuses_different_quantizations(op, which):
    # TFLM compares the codes as they are and checks nothing: the bytes would not be the max/min.
    s2, zo = (0.2, 1) if which == "input 2 scale" else (0.1, 2)
    data = single_op_model(
        op,
        [T((1, 4), scale=0.1, zero_point=1), T((1, 4), scale=s2, zero_point=1, data=constant((1, 4)))],
        T((1, 4), scale=0.1, zero_point=zo),
    )
    tflm_outputs(data, probe_inputs((1, 4), 4))  # TFLM runs it
    with pytest.raises(UnsupportedError, match="must share quantization: TFLM compares int8 codes"):
        prepare(data)


@pytest.mark.parametrize("op", OPS)
def test_the_int8_kernel_refuses_a_float_model(op):
    data = single_op_model(op, [T((1, 4), "float32"), T((1, 4), "float32", data=np.ones((1, 4)))], T((1, 4), "float32"))
    with pytest.raises(UnsupportedError, match="float32; supported: int8"):
        prepare_int8(data)


@pytest.mark.parametrize("op", OPS)
def test_refuses_shapes_that_do_not_broadcast(op):
    data = single_op_model(
        op, [T((1, 4), scale=0.1), T((1, 3), scale=0.1, data=constant((1, 3)))], T((1, 4), scale=0.1)
    )
    with pytest.raises(UnsupportedError, match="do not broadcast"):
        prepare(data)


@pytest.mark.parametrize("op", OPS)
def test_refuses_more_than_six_dims(op):
    shape = (1, 2, 1, 2, 1, 2, 2)
    data = single_op_model(op, [T(shape, scale=0.05), T(shape, scale=0.05, data=constant(shape))], T(shape, scale=0.05))
    with pytest.raises(ModelFileError, match="at most 6"):  # the reader: TFLM holds at most six
        prepare(data)


def test_sub_refuses_an_output_multiplier_of_one_or_more():
    # TFLM's QuantizeMultiplierSmallerThanOneExp aborts the process here.
    with pytest.raises(UnsupportedError, match="output multiplier .* is outside"):
        prepare(sub_model((1.0, 0), (1.0, 0), (1e-7, 0), "NONE"))


def test_squared_difference_c_refuses_a_multiplier_of_two_to_the_31():
    # TFLM's x * (1 << 32) is undefined; no C reproduces what its build happens to do there.
    data = sqd_model((1.0, 0), (1.0, 0), (1e-16, 0))
    prepare(data)
    with pytest.raises(UnsupportedError, match="real multiplier of 2"):
        c_prepare(data)


# --- the generated C ----------------------------------------------------------------------------


def test_in_c_converter_models(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(chain_model(), tmp_path / "chain", count=64)
    check_c_bit_exact(constant_model("SUB", constant_first=True), tmp_path / "sub", count=16)


@pytest.mark.parametrize("op", OPS)
def test_in_c_broadcast_shapes(tmp_path, op):
    from tests.conftest import require_tool

    require_tool("gcc")
    for i, (shape1, shape2) in enumerate(C_BROADCAST_SHAPES):
        data = broadcast_model(op, shape1, shape2, seed=4)
        check_c_bit_exact(data, tmp_path / str(i), inputs=probe_inputs(shape1, 16))


@pytest.mark.parametrize("op", OPS)
def test_in_c_every_code_pair(tmp_path, op):
    # each walk of edgenn_ew_binary (flat, a repeated vector either side, the general odometer)
    from tests.conftest import require_tool

    require_tool("gcc")
    for seed, layout in enumerate(PAIR_LAYOUTS):
        data, x = every_pair_model(op, layout, *quantization(op, 10 + seed))
        check_c_bit_exact(data, tmp_path / layout, inputs=x)


def test_in_c_scales_and_activations(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    for i, case in enumerate(SUB_SCALES):
        check_c_bit_exact(sub_model(*case, shape=(1, 256)), tmp_path / f"sub{i}", inputs=probe_inputs((1, 256), 8))
    for i, case in enumerate(SQD_SCALES):
        check_c_bit_exact(sqd_model(*case, shape=(1, 256)), tmp_path / f"sqd{i}", inputs=probe_inputs((1, 256), 8))


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_in_c_on_targets(tmp_path, target):
    # every code pair on the target's own 32-bit arithmetic, for each op
    from tests.conftest import require_target_tools

    require_target_tools(target)
    for op in OPS:
        data, x = every_pair_model(op, "repeat", *quantization(op, 20))
        check_c_bit_exact(data, tmp_path / op, inputs=x, target=target)
