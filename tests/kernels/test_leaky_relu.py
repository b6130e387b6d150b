"""LEAKY_RELU, int8: every input code through the reference and the generated C, bit-exact with TFLM."""

import numpy as np
import pytest

from edgenn.errors import ModelFileError, UnsupportedError
from edgenn.graph.tflite import Graph, Op, Tensor, parse_tflite, schema
from edgenn.reference import fixedpoint as fp
from edgenn.reference import interpreter, leaky_relu
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, float_tflite, int8_tflite
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")

# Every int8 code once per invocation, ascending then descending.
ALL_CODES = np.stack([np.arange(-128, 128), np.arange(127, -129, -1)]).astype(np.int8).reshape(2, 1, 256)


def leaky_model(alpha, shape=(256,)):
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, keras.layers.LeakyReLU(negative_slope=alpha)(x))


def only_op(data):
    graph = parse_tflite(data)
    assert graph.op_names == ("LEAKY_RELU",), graph.op_names
    op = graph.ops[0]
    return graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]


# (alpha, calibration range): (0, 3) puts both zero points at -128, (-3, 0) at 127; Keras refuses
# a negative slope, so negative alphas are hand-built below.
CONVERTED = [
    *[(a, r) for a in (0.01, 0.2, 0.3, 1.5) for r in ((-1.0, 1.0), (0.0, 3.0), (-3.0, 0.0))],
    (0.0, (-1.0, 1.0)),
    (0.0, (-3.0, 0.0)),  # the output scale collapses to about 1e-8: a multiplier flushed to zero
    (0.1, (-20.0, 5.0)),
]


@pytest.mark.parametrize("alpha, bounds", CONVERTED)
def test_converted_on_every_input_code(alpha, bounds):
    data = int8_tflite(leaky_model(alpha), low=bounds[0], high=bounds[1])
    inp, _ = only_op(data)
    if bounds == (0.0, 3.0):
        assert inp.zero_point == (-128,)
    if bounds == (-3.0, 0.0):
        assert inp.zero_point == (127,)
    check_bit_exact(data, inputs=ALL_CODES)


def test_dense_then_leaky_relu_on_a_rank4_tensor():
    keras.utils.set_random_seed(5)
    x = keras.Input(batch_shape=(1, 2, 4, 6))
    y = keras.layers.LeakyReLU(negative_slope=0.2)(keras.layers.Dense(8)(x))
    data = int8_tflite(keras.Model(x, y), low=-2.0, high=2.0)
    assert "LEAKY_RELU" in parse_tflite(data).op_names
    check_bit_exact(data, count=200)


# (input scale, zero point, output scale, zero point, alpha)
TIES = (0.75, 0, 1.0, 0, -1.0)  # multiplier -0.75 on even inputs: exact ties, which TFLM rounds
#                                 through the magnitude and a negation (a signed multiplier would not)
WIDEST_SHIFT = (1.0, 0, 2.0**-30, 0, 0.5)  # 2^30: the largest left shift, 31, where x << 31 wraps
MINUS_TWO_TO_THE_31 = (1 - 2.0**-23, 0, 1.0, 0, -(1 + 2.0**-23))  # -(1 - 2^-46) rounds to -2^31 in Q31
# Ratios whose Q31 multiplier, formed in float32 as TFLM's source reads, would move an output code.
DOUBLE_ALPHA = (0.019940244033932686, -35, 0.0014388255076482892, 42, 0.1)
DOUBLE_IDENTITY = (0.37824496626853943, 9, 0.10327507555484772, -67, 0.2)

HAND_BUILT = [
    (0.05, 3, 0.01, -128, 0.2),  # identity multiplier 5: a left shift
    (0.01, -20, 0.05, -100, 0.01),
    (0.02, 127, 0.02, 127, 0.3),  # zero points at the top: nearly every input takes the alpha path
    (0.02, -128, 0.02, -128, 0.3),  # ... and at the bottom: none does
    (0.1, 0, 0.1, 0, 0.0),  # alpha 0: a zero multiplier
    (0.02, 5, 0.02, 5, 1.0),  # both multipliers 1
    (0.05, 10, 0.02, -30, 1000.0),  # a large alpha saturates the negative side
    TIES,
    (0.375, 0, 1.0, 0, -2.0),
    (0.04, 10, 0.03, -5, -0.5),
    (0.02, -128, 0.05, 127, -0.3),
    (2.0**-21, 0, 2.0**11, 0, 1.0),  # 2^-32: the smallest shift kept, -31
    (2.0**-22, 0, 2.0**11, 0, 1.0),  # 2^-33: flushed to a zero multiplier
    WIDEST_SHIFT,
    MINUS_TWO_TO_THE_31,
    DOUBLE_ALPHA,
    DOUBLE_IDENTITY,
]


def hand_built(si, zi, so, zo, alpha, shape=(1, 256)):
    return single_op_model(
        "LEAKY_RELU", [T(shape, scale=si, zero_point=zi)], T(shape, scale=so, zero_point=zo), {"alpha": alpha}
    )


def single_op_graph(in_dtype, out_dtype, in_q, out_q, alpha=0.2, shape=(1, 8)) -> Graph:
    opts = schema.LeakyReluOptionsT()
    opts.alpha = alpha
    tensors = (
        Tensor(0, "x", shape, in_dtype, *in_q, 0, None),
        Tensor(1, "y", shape, out_dtype, *out_q, 0, None),
    )
    return Graph(None, "", 0, tensors, (Op(0, "LEAKY_RELU", (0,), (1,), opts),), (0,), (1,))


def prepare_graph(graph):
    return leaky_relu.prepare(OpContext(graph, graph.ops[0]))


@pytest.mark.parametrize("case", [(2147483520.0, 0, 1.0, -1000, 0.25), (0.05, 300, 0.05, -128, 0.3)])
def test_zero_points_past_int8_are_refused_by_the_reader(case):
    # TFLM would compute with them (and wrap int32 sums); no converter writes them, so the reader refuses.
    with pytest.raises(ModelFileError, match="outside INT8's range"):
        parse_tflite(hand_built(*case))


@pytest.mark.parametrize("case", HAND_BUILT)
def test_hand_built_on_every_input_code(case):
    data = hand_built(*case)
    only_op(data)
    check_bit_exact(data, inputs=ALL_CODES)


def params_of(data):
    return prepare_graph(parse_tflite(data))


def test_the_multipliers_are_formed_in_double():
    # The installed TFLM multiplies and divides the float32 scales and alpha in double; in float32
    # one output code of each of these models would differ (check_bit_exact above pins it).
    f32 = np.float32
    si, _, so, _, alpha = DOUBLE_ALPHA
    p = params_of(hand_built(*DOUBLE_ALPHA))
    s_in, s_out, a = (float(f32(v)) for v in (si, so, alpha))
    assert (p.alpha_multiplier, p.alpha_shift) == fp.quantize_multiplier(s_in * a / s_out)
    assert (p.alpha_multiplier, p.alpha_shift) != fp.quantize_multiplier(float(f32(s_in) * f32(a) / f32(s_out)))
    si, _, so, _, _ = DOUBLE_IDENTITY
    p = params_of(hand_built(*DOUBLE_IDENTITY))
    s_in, s_out = float(f32(si)), float(f32(so))
    assert (p.identity_multiplier, p.identity_shift) == fp.quantize_multiplier(s_in / s_out)
    assert (p.identity_multiplier, p.identity_shift) != fp.quantize_multiplier(float(f32(s_in) / f32(s_out)))


def test_a_negative_alpha_keeps_the_magnitude_and_a_sign():
    p = params_of(hand_built(*TIES))
    assert (p.alpha_multiplier, p.alpha_shift, p.alpha_negative) == (3 << 29, 0, True)
    assert (p.identity_multiplier, p.identity_shift) == (3 << 29, 0)
    # -2 * -0.75 = 1.5: the signed multiplier would round it to 2, TFLM's negated magnitude gives 1
    assert int(fp.multiply_by_quantized_multiplier(-2, -(3 << 29), 0)) == 2
    assert leaky_relu.run(p, [np.full((1, 256), -2, np.int8)])[0, 0] == 1
    # TFLM's negation of -2^31 wraps: the negative side then passes through unscaled
    p = params_of(hand_built(*MINUS_TWO_TO_THE_31))
    assert (p.alpha_multiplier, p.alpha_negative) == (-(2**31), True)


def test_no_options_table_means_alpha_zero():
    graph = single_op_graph("int8", "int8", ((0.05,), (3,)), ((0.05,), (3,)))
    graph = Graph(None, "", 0, graph.tensors, (Op(0, "LEAKY_RELU", (0,), (1,), None),), (0,), (1,))
    p = prepare_graph(graph)
    assert (p.alpha_multiplier, p.alpha_shift, p.alpha_negative) == (0, 0, False)


# --- refusals -----------------------------------------------------------------------------------


def test_refuses_a_float_model():
    data = float_tflite(leaky_model(0.2, (16,)))
    with pytest.raises(UnsupportedError, match="float32; supported: int8"):
        interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("in_dtype, out_dtype", [("int16", "int16"), ("int8", "int16"), ("uint8", "uint8")])
def test_refuses_other_integer_types(in_dtype, out_dtype):
    graph = single_op_graph(in_dtype, out_dtype, ((0.05,), (0,)), ((0.05,), (0,)))
    with pytest.raises(UnsupportedError, match=f"is {in_dtype if in_dtype != 'int8' else out_dtype}; supported: int8"):
        prepare_graph(graph)


def test_refuses_per_channel_quantization():
    graph = single_op_graph("int8", "int8", ((0.05, 0.1), (0, 0)), ((0.05,), (0,)))
    with pytest.raises(UnsupportedError, match="per-tensor"):
        prepare_graph(graph)


def test_refuses_more_than_six_dims():
    shape = (1, 2, 1, 2, 1, 2, 2)
    with pytest.raises(ModelFileError, match="at most 6"):  # the reader: TFLM holds at most six
        interpreter.prepare(parse_tflite(hand_built(0.05, 0, 0.05, 0, 0.2, shape)))


def test_refuses_tensors_of_different_sizes():
    data = single_op_model("LEAKY_RELU", [T((1, 8), scale=0.05)], T((1, 9), scale=0.05), {"alpha": 0.2})
    with pytest.raises(UnsupportedError, match="differ in size"):
        interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("alpha", [float("inf"), -float("inf"), float("nan")])
def test_refuses_a_multiplier_that_is_not_finite(alpha):
    graph = single_op_graph("int8", "int8", ((0.05,), (0,)), ((0.05,), (0,)), alpha=alpha)
    with pytest.raises(UnsupportedError, match="alpha multiplier is .*; a finite one is needed"):
        prepare_graph(graph)


def test_refuses_an_output_scale_of_zero():
    graph = single_op_graph("int8", "int8", ((0.05,), (0,)), ((0.0,), (0,)))
    with pytest.raises(UnsupportedError, match="scale 0"):
        prepare_graph(graph)


@pytest.mark.parametrize("case", [(1000.0, 0, 1e-7, 0, 0.2), (0.05, 0, 0.05, 0, 1e10)])
def test_c_refuses_a_multiplier_of_two_to_the_31(case):
    # TFLM's x * (1 << 32) is undefined; no C reproduces what its build happens to do there.
    from edgenn.export.codegen import generate

    data = hand_built(*case)
    interpreter.prepare(parse_tflite(data))
    with pytest.raises(UnsupportedError, match="real multiplier of 2"):
        generate(parse_tflite(data), "net", "test")


# --- the generated C ----------------------------------------------------------------------------


@pytest.mark.parametrize("alpha, bounds", [(0.01, (-1.0, 1.0)), (1.5, (-3.0, 0.0)), (0.3, (0.0, 3.0))])
def test_in_c_converted_on_every_input_code(tmp_path, alpha, bounds):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = int8_tflite(leaky_model(alpha), low=bounds[0], high=bounds[1])
    check_c_bit_exact(data, tmp_path, inputs=ALL_CODES)


@pytest.mark.parametrize("case", HAND_BUILT)
def test_in_c_hand_built_on_every_input_code(tmp_path, case):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(hand_built(*case), tmp_path, inputs=ALL_CODES)


def test_in_c_cortex_m4(tmp_path):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    # the cases where rounding and wrapping decide, on the target's own 32-bit arithmetic
    for i, case in enumerate([TIES, WIDEST_SHIFT, MINUS_TWO_TO_THE_31, DOUBLE_ALPHA]):
        check_c_bit_exact(hand_built(*case), tmp_path / str(i), inputs=ALL_CODES, target="cortex-m4")
