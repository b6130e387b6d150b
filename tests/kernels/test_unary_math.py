"""ABS, RSQRT and HARD_SWISH, int8: every input code through the reference and the generated C, bit-exact
with TFLM.

NEG and EXP have no int8 kernel in TFLM (NEG's Eval and EXP's Prepare take float32 only), so there is
nothing to be bit-exact with; the last tests pin that TFLM refuses them and that edgenn does too.
"""

import flatbuffers
import numpy as np
import pytest

from edgenn.errors import ModelFileError, UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import abs as abs_op
from edgenn.reference import fixedpoint as fp
from edgenn.reference import hard_swish, interpreter, rsqrt
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, float_tflite, int8_tflite, tflm_outputs
from tests.kernels.op_models import TYPES, T, op_names, single_op_model

keras = pytest.importorskip("keras")

CODES = np.arange(-128, 128)
# Every int8 code once per invocation, ascending then descending.
ALL_CODES = np.stack([CODES, CODES[::-1]]).astype(np.int8).reshape(2, 1, 256)


def hand_built(op, si, zi, so, zo, shape=(1, 256)):
    return single_op_model(op, [T(shape, scale=si, zero_point=zi)], T(shape, scale=so, zero_point=zo))


def keras_model(layer, shape=(256,)):
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, layer(x))


def converted(op, layer, bounds, shape=(256,)):
    data = int8_tflite(keras_model(layer, shape), low=bounds[0], high=bounds[1])
    assert op_names(data) == (op,), op_names(data)
    return data


def params_of(module, data, for_c=False):
    graph = parse_tflite(data)
    return module.prepare(OpContext(graph, graph.ops[0], for_c=for_c))


# --- ABS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (-1.0, 3.0), (0.0, 3.0), (-3.0, 0.0)])
def test_abs_converted_on_every_input_code(bounds):
    data = converted("ABS", keras.ops.abs, bounds)
    if bounds == (0.0, 3.0):
        assert parse_tflite(data).tensors[0].zero_point == (-128,)
    if bounds == (-3.0, 0.0):
        assert parse_tflite(data).tensors[0].zero_point == (127,)
    check_bit_exact(data, inputs=ALL_CODES)


# (input scale, zero point, output scale, zero point)
ABS_DOUBLE = (0.002202864270657301, 0, 0.0016854129498824477, 0)  # input_scale / output_scale in double
ABS_CASES = [
    (0.05, 3, 0.05, 3),  # equal quantization: |x - z| + z
    (0.05, -128, 0.05, 127),  # equal scales, other zero points: still no multiplier
    (0.05, 127, 0.05, -128),
    (0.05, 0, 0.1, -128),  # a right shift
    (0.05, -20, 0.01, 40),  # 5: a left shift
    (1.0, 0, 2.0**-30, 0),  # 2^30: the largest left shift kept, 31
    (2.0**-21, 0, 2.0**11, 0),  # 2^-32: the smallest shift kept, -31
    (2.0**-22, 0, 2.0**11, 0),  # 2^-33: flushed to a zero multiplier
    (0.75, 0, 1.0, 0),  # ties, rounded half away from zero
    ABS_DOUBLE,
    (0.7501881718635559, -7, 0.714771568775177, 9),
]


@pytest.mark.parametrize("case", ABS_CASES)
def test_abs_hand_built_on_every_input_code(case):
    check_bit_exact(hand_built("ABS", *case), inputs=ALL_CODES)


def test_abs_skips_the_multiplier_only_for_equal_scales():
    p = params_of(abs_op, hand_built("ABS", 0.05, -128, 0.05, 127, shape=(4,)))
    assert (p.needs_rescale, p.multiplier) == (False, 0)
    assert abs_op.run(p, [np.array([-128, -127, 0, 127], np.int8)]).tolist() == [127, 127, 127, 127]
    p = params_of(abs_op, hand_built("ABS", 0.05, 0, 0.1, 0))
    assert (p.needs_rescale, p.multiplier, p.shift) == (True, 1 << 30, 0)


def test_abs_multiplier_is_formed_in_double():
    si, _, so, _ = ABS_DOUBLE
    p = params_of(abs_op, hand_built("ABS", *ABS_DOUBLE))
    f32 = np.float32
    assert (p.multiplier, p.shift) == fp.quantize_multiplier(float(f32(si)) / float(f32(so)))
    assert (p.multiplier, p.shift) != fp.quantize_multiplier(float(f32(si) / f32(so)))


# --- RSQRT ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bounds", [(0.0, 1.0), (0.5, 4.0), (0.0, 100.0)])
def test_rsqrt_converted_on_every_input_code(bounds):
    data = converted("RSQRT", keras.ops.rsqrt, bounds)
    assert parse_tflite(data).tensors[0].zero_point == (-128,)  # calibration always takes in 0
    check_bit_exact(data, inputs=ALL_CODES)


RSQRT_DOUBLE = (0.06340359151363373, -128, 0.0030335120391100645, 0)  # sqrt and product in double
RSQRT_CASES = [
    (0.05, -128, 0.02, -128),
    (1.0, -128, 1.0 / 128, -128),  # 1/sqrt(v) for v = 0 .. 255
    (0.001, -128, 0.5, 0),
    (1e-6, -128, 10.0, 127),
    (10.0, -128, 1e-3, -50),  # most outputs saturate
    (100.0, -128, 300.0, 0),  # 2^-12 < 1 / (sqrt(100) * 300): the largest right shift kept, 31
    (1e-10, -128, 1e-10, -128),  # 2^49.8: a left shift of 30
    RSQRT_DOUBLE,
    (0.020720986649394035, -128, 0.00750063918530941, 0),
]


@pytest.mark.parametrize("case", RSQRT_CASES)
def test_rsqrt_hand_built_on_every_input_code(case):
    check_bit_exact(hand_built("RSQRT", *case), inputs=ALL_CODES)


@pytest.mark.parametrize("zi", [-1, 0, 60, 127])
def test_rsqrt_codes_from_a_zero_point_above_the_bottom(zi):
    # TFLM fails on a code below the zero point, so each sample holds the codes from it up.
    n = 128 - zi
    x = np.stack([np.arange(zi, 128), np.arange(127, zi - 1, -1)]).astype(np.int8).reshape(2, 1, n)
    check_bit_exact(hand_built("RSQRT", 0.03, zi, 0.05, -20, shape=(1, n)), inputs=x)


def test_rsqrt_below_the_zero_point_tflm_fails_and_edgenn_gives_the_largest_output():
    data = hand_built("RSQRT", 0.03, 10, 0.05, -20, shape=(1, 3))
    with pytest.raises(RuntimeError):  # "Rsqrt is only defined for positive values"
        tflm_outputs(data, np.array([[[9, 10, 11]]], np.int8))
    p = params_of(rsqrt, data)
    # codes below the zero point give what the zero point itself (v = 0) gives: 127
    assert rsqrt.run(p, [np.array([[-128, 9, 10]], np.int8)]).tolist() == [[127, 127, 127]]


def test_rsqrt_multiplier_is_formed_in_double():
    si, _, so, _ = RSQRT_DOUBLE
    p = params_of(rsqrt, hand_built("RSQRT", *RSQRT_DOUBLE))
    f32 = np.float32
    assert (p.multiplier, p.shift) == fp.quantize_multiplier(1.0 / (np.sqrt(float(f32(si))) * float(f32(so))))
    assert (p.multiplier, p.shift) != fp.quantize_multiplier(1.0 / float(np.sqrt(f32(si)) * f32(so)))


def test_rsqrt_inverse_square_root_matches_its_meaning():
    # GetInvSqrtQuantizedMultiplierExp's pair, applied as TFLM applies it, is 1/sqrt(v) * 2^20
    v = np.arange(2, 256)
    m, s = rsqrt.inv_sqrt_quantized_multiplier_exp(v)
    got = fp.multiply_by_quantized_multiplier(1, m, s + rsqrt.K_SHIFT) / 2.0**rsqrt.K_SHIFT
    np.testing.assert_allclose(got, 1 / np.sqrt(v), rtol=1e-5)
    m, s = rsqrt.inv_sqrt_quantized_multiplier_exp(np.array([0, 1]))
    assert (m.tolist(), s.tolist()) == ([fp.INT32_MAX] * 2, [0, 0])


# --- HARD_SWISH -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (-6.0, 6.0), (-4.0, 0.5), (-0.5, 10.0), (0.0, 3.0)])
def test_hard_swish_converted_on_every_input_code(bounds):
    data = converted("HARD_SWISH", keras.layers.Activation("hard_swish"), bounds)
    check_bit_exact(data, inputs=ALL_CODES)


HARD_SWISH_DOUBLE = (0.018086425960063934, 0, 0.004755476489663124, 0)  # the quotients in double
HARD_SWISH_CASES = [
    (0.05, 0, 0.04, 10),  # reluish exponent > 0: the saturating left shifts
    (0.002, -30, 0.001, -128),  # reluish exponent < 0: a right shift
    (0.05, -128, 0.03, -128),  # zero points at the bottom
    (0.05, 127, 0.03, 127),  # ... and at the top
    (1e-7, 0, 1e-9, 0),  # reluish exponent -17: gemmlowp's int16 rounding wraps its mask
    (0.01, 5, 10.0, -3),  # output exponent -19: the same on the way out
    (0.01, 0, 0.01 / 128 / 0.99, 0),  # output multiplier just below 1: exponent 0
    (1e6, 0, 1e5, 0),  # reluish exponent 27
    (2e-12, 0, 1e-13, 0),  # a reluish multiplier flushed to 0
    HARD_SWISH_DOUBLE,
    (0.00570529792457819, 20, 0.004205403383821249, -20),
]


@pytest.mark.parametrize("case", HARD_SWISH_CASES)
def test_hard_swish_hand_built_on_every_input_code(case):
    check_bit_exact(hand_built("HARD_SWISH", *case), inputs=ALL_CODES)


def test_hard_swish_int16_rounding_quirk():
    # RoundingDivideByPOT<int16_t> with a shift of 16 or more gives +-1, 0 included
    assert hard_swish.rounding_divide_by_pot_int16(np.array([0, 5, 32767, -1, -32768]), 16).tolist() == [
        1,
        1,
        1,
        -1,
        -1,
    ]
    assert hard_swish.rounding_divide_by_pot_int16(np.array([0, 3, -3, 16384]), 15).tolist() == [0, 0, 0, 1]
    p = params_of(hard_swish, hand_built("HARD_SWISH", 1e-7, 0, 1e-9, 0))
    assert p.reluish_exponent <= -16


def test_hard_swish_multipliers_are_formed_in_double():
    si, _, so, _ = HARD_SWISH_DOUBLE
    p = params_of(hard_swish, hand_built("HARD_SWISH", *HARD_SWISH_DOUBLE))
    f32 = np.float32
    hires = float(f32(si)) / 128
    down = hard_swish.down_scale_int32_to_int16_multiplier
    m, e = fp.quantize_multiplier(hires / float(f32(so)))
    assert (p.output_multiplier, p.output_exponent) == (down(m), e)
    m32, e32 = fp.quantize_multiplier(float(f32(hires) / f32(so)))
    assert (p.output_multiplier, p.output_exponent) != (down(m32), e32)


def test_hard_swish_refuses_an_output_multiplier_of_one_or_more():
    data = hand_built("HARD_SWISH", 0.5, 0, 0.5 / 128, 0)
    with pytest.raises(RuntimeError):  # TFLM's Prepare: output_multiplier_exponent <= 0
        tflm_outputs(data, ALL_CODES[:1])
    with pytest.raises(UnsupportedError, match="requires it below 1"):
        interpreter.prepare(parse_tflite(data))


# --- refusals shared by the three -------------------------------------------------------------------

OPS = ("ABS", "RSQRT", "HARD_SWISH")
LAYERS = {"ABS": keras.ops.abs, "RSQRT": keras.ops.rsqrt, "HARD_SWISH": keras.layers.Activation("hard_swish")}


@pytest.mark.parametrize("op", OPS)
def test_refuses_a_float_model(op):
    data = float_tflite(keras_model(LAYERS[op], (16,)))
    with pytest.raises(UnsupportedError, match="float32; supported: int8"):
        interpreter.prepare(parse_tflite(data))


def raw_model(op, in_type, out_type, in_scales=(0.05,), out_scales=(0.05,), shape=(1, 8), out_shape=None):
    """A one-op model with any tensor types and scale counts (single_op_model writes one scale)."""
    model = schema.ModelT()
    model.version = 3
    model.buffers = [schema.BufferT()]
    tensors = []
    for i, (dtype, scales, s) in enumerate(((in_type, in_scales, shape), (out_type, out_scales, out_shape or shape))):
        t = schema.TensorT()
        t.name, t.shape, t.type, t.buffer = f"t{i}".encode(), list(s), TYPES.get(dtype, dtype), 0
        q = schema.QuantizationParametersT()
        q.scale, q.zeroPoint = [float(v) for v in scales], [0] * len(scales)
        q.quantizedDimension = len(s) - 1
        t.quantization = q
        tensors.append(t)
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, op)
    code.version = 1
    operator = schema.OperatorT()
    operator.opcodeIndex, operator.inputs, operator.outputs = 0, [0], [1]
    sub = schema.SubGraphT()
    sub.tensors, sub.inputs, sub.outputs, sub.operators = tensors, [0], [1], [operator]
    model.subgraphs, model.operatorCodes = [sub], [code]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


MODULES = {"ABS": abs_op, "RSQRT": rsqrt, "HARD_SWISH": hard_swish}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("types", [("int16", "int16"), ("int8", "int16"), ("uint8", "uint8")])
def test_refuses_other_integer_types(op, types):
    codes = {"int16": schema.TensorType.INT16, "int8": schema.TensorType.INT8, "uint8": schema.TensorType.UINT8}
    data = raw_model(op, codes[types[0]], codes[types[1]])
    want = types[0] if types[0] != "int8" else types[1]
    with pytest.raises(UnsupportedError, match=f"is {want}; supported: int8"):
        params_of(MODULES[op], data)


@pytest.mark.parametrize("op", OPS)
def test_refuses_per_channel_quantization(op):
    data = raw_model(op, "int8", "int8", in_scales=(0.05,) * 8)
    with pytest.raises(UnsupportedError, match="per-tensor"):
        params_of(MODULES[op], data)


@pytest.mark.parametrize("op", OPS)
def test_refuses_tensors_of_different_sizes(op):
    data = raw_model(op, "int8", "int8", shape=(1, 8), out_shape=(1, 9))
    with pytest.raises(UnsupportedError, match="differ in size"):
        params_of(MODULES[op], data)


def test_refuses_more_than_six_dims():
    with pytest.raises(ModelFileError, match="at most 6"):  # the reader: TFLM holds at most six
        interpreter.prepare(parse_tflite(hand_built("ABS", 0.05, 0, 0.05, 0, shape=(1, 2, 1, 2, 1, 2, 2))))


@pytest.mark.parametrize(
    "op, case, match",
    [
        ("ABS", (1.0, 0, 2.0**-31, 0), "real multiplier of 2"),  # TFLM's x * (1 << 32)
        ("RSQRT", (1000.0, -128, 1000.0, 0), r"outside \[2\^-12"),  # a right shift of 36
        ("RSQRT", (1e-16, -128, 1e-14, 0), r"outside \[2\^-12"),  # a left shift of 33
        ("HARD_SWISH", (1e9, 0, 1e8, 0), "shift past 31"),
    ],
)
def test_c_refuses_shifts_tflm_leaves_undefined(op, case, match):
    from edgenn.export.codegen import generate

    data = hand_built(op, *case)
    interpreter.prepare(parse_tflite(data))  # the reference runs it
    with pytest.raises(UnsupportedError, match=match):
        generate(parse_tflite(data), "net", "test")


# --- NEG and EXP: no int8 kernel in TFLM ------------------------------------------------------------


@pytest.mark.parametrize("op", ["NEG", "EXP"])
def test_neg_and_exp_have_no_int8_kernel_in_tflm_nor_here(op):
    data = hand_built(op, 0.05, 0, 0.05, 0)
    with pytest.raises(RuntimeError):
        tflm_outputs(data, ALL_CODES[:1])
    with pytest.raises(UnsupportedError, match="is int8; supported: float32"):  # float32 only, as TFLM
        interpreter.prepare(parse_tflite(data))


# --- the generated C --------------------------------------------------------------------------------


def chain_model(stages):
    """ABS, then RSQRT, then HARD_SWISH, one after the other: [(op, scale, zero point) of each output]
    after the input's (scale, zero point)."""
    model = schema.ModelT()
    model.version = 3
    model.buffers = [schema.BufferT()]
    model.operatorCodes, operators, tensors = [], [], []
    for i, (scale, zero_point) in enumerate(q for _, q in stages):
        t = schema.TensorT()
        t.name, t.shape, t.type, t.buffer = f"t{i}".encode(), [1, 256], schema.TensorType.INT8, 0
        t.quantization = schema.QuantizationParametersT()
        t.quantization.scale, t.quantization.zeroPoint = [float(np.float32(scale))], [zero_point]
        tensors.append(t)
    for i, (op, _) in enumerate(stages[1:]):
        code = schema.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, op)
        code.version = 1
        model.operatorCodes.append(code)
        operator = schema.OperatorT()
        operator.opcodeIndex, operator.inputs, operator.outputs = i, [i], [i + 1]
        operators.append(operator)
    sub = schema.SubGraphT()
    sub.tensors, sub.inputs, sub.outputs, sub.operators = tensors, [0], [len(tensors) - 1], operators
    model.subgraphs = [sub]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# ABS maps every input code to a distinct output code (|x + 128| - 128), so RSQRT, whose zero point is
# at the bottom, sees every code too; HARD_SWISH sees what RSQRT makes of them.
CHAIN = [(None, (0.05, -128)), ("ABS", (0.05, -128)), ("RSQRT", (0.01, -128)), ("HARD_SWISH", (0.02, 5))]


def test_chain_reference():
    data = chain_model(CHAIN)
    assert op_names(data) == ("ABS", "RSQRT", "HARD_SWISH")
    check_bit_exact(data, inputs=ALL_CODES)


@pytest.mark.parametrize(
    "op, case",
    [("ABS", (0.05, -20, 0.01, 40)), ("RSQRT", RSQRT_DOUBLE), ("HARD_SWISH", (1e-7, 0, 1e-9, 0))],
)
def test_in_c_hand_built_on_every_input_code(tmp_path, op, case):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(hand_built(op, *case), tmp_path, inputs=ALL_CODES)


def test_in_c_converted_hard_swish(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = converted("HARD_SWISH", keras.layers.Activation("hard_swish"), (-6.0, 6.0), shape=(2, 4, 32))
    check_c_bit_exact(data, tmp_path, inputs=ALL_CODES.reshape(2, 1, 2, 4, 32))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c_chain_on_every_input_code(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(chain_model(CHAIN), tmp_path, inputs=ALL_CODES, target=target)
