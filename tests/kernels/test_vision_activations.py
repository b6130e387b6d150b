"""PRELU, L2_NORMALIZATION, BROADCAST_TO (int8): the reference and the generated C, bit-exact with TFLM."""

import numpy as np
import pytest

from edgenn.errors import ModelFileError, UnsupportedError
from edgenn.graph.tflite import Graph, Op, Tensor, parse_tflite
from edgenn.reference import interpreter
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, float_tflite, int8_tflite
from tests.kernels.op_models import T, op_names, single_op_model

keras = pytest.importorskip("keras")

# Every int8 code once per invocation, ascending then descending, as a (256, 1) column.
ALL_CODES = np.stack([np.arange(-128, 128), np.arange(127, -129, -1)]).astype(np.int8).reshape(2, 1, 256, 1)


def require_c(target="host"):
    from tests.conftest import require_target_tools, require_tool

    if target == "host":
        require_tool("gcc")
    else:
        require_target_tools(target)


# --- PRELU --------------------------------------------------------------------------------------


def prelu_keras(shape, shared_axes=None, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    layer = keras.layers.PReLU(alpha_initializer=keras.initializers.RandomUniform(-1.5, 1.5), shared_axes=shared_axes)
    return keras.Model(x, layer(x))


@pytest.mark.parametrize("shared_axes", [None, [1, 2]])
@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (0.0, 3.0), (-3.0, 0.0), (-20.0, 5.0)])
def test_prelu_converted(shared_axes, bounds):
    data = int8_tflite(prelu_keras((4, 4, 3), shared_axes), low=bounds[0], high=bounds[1])
    assert op_names(data) == ("PRELU",)
    check_bit_exact(data, count=40)


def test_prelu_converted_after_dense():
    keras.utils.set_random_seed(3)
    x = keras.Input(batch_shape=(1, 6, 5))
    y = keras.layers.PReLU(alpha_initializer=keras.initializers.RandomUniform(-0.5, 0.5))(keras.layers.Dense(7)(x))
    data = int8_tflite(keras.Model(x, y), low=-2.0, high=2.0)
    assert "PRELU" in op_names(data)
    check_bit_exact(data, count=40)


# Alpha codes: both ends, zero, the zero points' neighbours, a spread in between.
ALPHA_CODES = np.array([-128, -127, -100, -64, -5, -1, 0, 1, 2, 5, 33, 64, 100, 126, 127, 10], np.int8).reshape(
    1, 1, 16
)


def prelu_model(si, zi, sa, za, so, zo, in_shape=(1, 256, 1), alpha=ALPHA_CODES, out_shape=None):
    alpha = np.asarray(alpha, np.int8)
    if out_shape is None:
        out_shape = np.broadcast_shapes(in_shape, alpha.shape)
    return single_op_model(
        "PRELU",
        [T(in_shape, scale=si, zero_point=zi), T(alpha.shape, scale=sa, zero_point=za, data=alpha)],
        T(tuple(out_shape), scale=so, zero_point=zo),
    )


# (input scale, zero point, alpha scale, zero point, output scale, zero point)
PRELU_CASES = [
    (0.05, 3, 0.01, 0, 0.02, -10),
    (0.02, 127, 0.02, -128, 0.02, 127),  # zero points at the top (input, output) and bottom (alpha)
    (0.02, -128, 0.02, 127, 0.02, -128),  # ... and the other way round
    (0.1, 0, 0.5, 0, 0.001, 0),  # both multipliers large: saturation on both sides
    (0.001, -7, 0.001, 9, 1.0, 0),  # tiny multipliers
    (0.5, 0, 1.0, 0, 1.0, 0),  # ties: 0.5 * x, 0.5 * x * a exact halves
    (1.0, 0, 1.0, 0, 2.0**-30, 0),  # 2^30: the largest left shift, 31
    (2.0**-21, 0, 1.0, 0, 2.0**11, 0),  # 2^-32: the smallest shift kept
    (2.0**-22, 0, 1.0, 0, 2.0**11, 0),  # 2^-33: flushed to zero multipliers
]


@pytest.mark.parametrize("case", PRELU_CASES)
def test_prelu_hand_built_on_every_input_code(case):
    check_bit_exact(prelu_model(*case), inputs=ALL_CODES)


BROADCASTS = [
    ((2, 1, 4, 1), (1, 3, 1, 5)),  # both operands broadcast: the general walk
    ((2, 3, 4, 5), (5,)),  # a per-channel vector
    ((2, 3, 4, 5), (1,)),  # a scalar
    ((3, 5), (2, 3, 1)),  # ranks differ; the output is larger than the input
    ((2, 3, 4, 5), (2, 3, 4, 5)),  # same shape: the flat loop
]


def broadcast_model(in_shape, alpha_shape, seed=0):
    alpha = np.random.default_rng(seed).integers(-128, 128, alpha_shape).astype(np.int8)
    return prelu_model(0.03, -4, 0.02, 6, 0.025, 2, in_shape, alpha)


@pytest.mark.parametrize("in_shape, alpha_shape", BROADCASTS)
def test_prelu_broadcasts(in_shape, alpha_shape):
    check_bit_exact(broadcast_model(in_shape, alpha_shape), count=12)


def test_prelu_refuses_a_float_model():
    with pytest.raises(UnsupportedError, match="float32; supported: int8"):
        interpreter.prepare(parse_tflite(float_tflite(prelu_keras((4, 3)))))


def one_op_graph(op, dtypes, shapes=((1, 4), (4,), (1, 4)), options=None) -> Graph:
    """Input, then any further inputs, then the output, each of the given dtype and shape."""
    n = len(dtypes)
    tensors = tuple(
        Tensor(
            i, f"t{i}", shapes[i], dtypes[i], (0.05,), (0,), 0, np.zeros(shapes[i], np.int8) if 0 < i < n - 1 else None
        )
        for i in range(n)
    )
    return Graph(None, "", 0, tensors, (Op(0, op, tuple(range(n - 1)), (n - 1,), options),), (0,), (n - 1,))


@pytest.mark.parametrize("dtypes", [("int16", "int8", "int16"), ("int8", "int16", "int8"), ("uint8", "uint8", "uint8")])
def test_prelu_refuses_other_integer_types(dtypes):
    from edgenn.reference import prelu

    graph = one_op_graph("PRELU", dtypes)
    with pytest.raises(UnsupportedError, match="supported: int8"):
        prelu.prepare(OpContext(graph, graph.ops[0]))


def test_prelu_refuses_five_dims():
    data = prelu_model(0.05, 0, 0.05, 0, 0.05, 0, (1, 2, 1, 2, 2), np.ones((2,), np.int8))
    with pytest.raises(UnsupportedError, match="at most 4 are supported"):
        interpreter.prepare(parse_tflite(data))


def test_prelu_refuses_shapes_that_do_not_broadcast():
    data = prelu_model(0.05, 0, 0.05, 0, 0.05, 0, (1, 4, 3), np.ones((2,), np.int8), out_shape=(1, 4, 3))
    with pytest.raises(UnsupportedError, match="do not broadcast"):
        interpreter.prepare(parse_tflite(data))
    data = prelu_model(0.05, 0, 0.05, 0, 0.05, 0, (1, 4, 3), np.ones((3,), np.int8), out_shape=(2, 4, 3))
    with pytest.raises(UnsupportedError, match="do not broadcast to the output shape"):
        interpreter.prepare(parse_tflite(data))


def test_prelu_refuses_an_output_scale_of_zero():
    data = prelu_model(0.05, 0, 0.05, 0, 0.0, 0)
    with pytest.raises((UnsupportedError, ModelFileError), match="scale|finite"):
        interpreter.prepare(parse_tflite(data))


def test_prelu_c_refuses_a_multiplier_of_two_to_the_31():
    from edgenn.export.codegen import generate

    data = prelu_model(1.0, 0, 1.0, 0, 2.0**-31, 0)
    interpreter.prepare(parse_tflite(data))
    with pytest.raises(UnsupportedError, match="real multiplier of 2"):
        generate(parse_tflite(data), "net", "test")


def test_prelu_in_c_host(tmp_path):
    require_c()
    for i, case in enumerate([PRELU_CASES[1], PRELU_CASES[5], PRELU_CASES[6]]):
        check_c_bit_exact(prelu_model(*case), tmp_path / f"codes{i}", inputs=ALL_CODES)
    for i, (in_shape, alpha_shape) in enumerate(BROADCASTS[:4]):
        check_c_bit_exact(broadcast_model(in_shape, alpha_shape), tmp_path / f"bc{i}", count=8)
    data = int8_tflite(prelu_keras((4, 4, 3), [1, 2]), low=-3.0, high=1.0)
    check_c_bit_exact(data, tmp_path / "keras", count=16)


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_prelu_in_c_on_targets(tmp_path, target):
    require_c(target)
    check_c_bit_exact(prelu_model(*PRELU_CASES[6]), tmp_path / "shift", inputs=ALL_CODES, target=target)


# --- L2_NORMALIZATION ---------------------------------------------------------------------------


def l2_keras(shape):
    import tensorflow as tf

    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, keras.layers.Lambda(lambda v: tf.math.l2_normalize(v, axis=-1))(x))


@pytest.mark.parametrize("shape, bounds", [((8,), (-1.0, 1.0)), ((3, 5, 16), (0.0, 3.0)), ((2, 40), (-3.0, 0.5))])
def test_l2_normalization_converted(shape, bounds):
    data = int8_tflite(l2_keras(shape), low=bounds[0], high=bounds[1])
    assert op_names(data) == ("L2_NORMALIZATION",)
    check_bit_exact(data, count=40)


def l2_model(shape, zp, scale=0.05, out_scale=1 / 128, out_zp=0, options=None):
    return single_op_model(
        "L2_NORMALIZATION",
        [T(shape, scale=scale, zero_point=zp)],
        T(shape, scale=out_scale, zero_point=out_zp),
        options,
    )


@pytest.mark.parametrize("zp", [-128, -3, 0, 127])
def test_l2_normalization_every_code_alone(zp):
    # depth 1: every square from 0 to 255^2 through the inverse square root
    check_bit_exact(l2_model((1, 256, 1), zp), inputs=ALL_CODES)


def near_zero_point(shape, zp, spread, count=16, seed=0):
    """Codes within `spread` of the zero point: the smallest sums of squares (0, 1, 2, ...)."""
    rng = np.random.default_rng(seed)
    return np.clip(zp + rng.integers(-spread, spread + 1, (count, *shape)), -128, 127).astype(np.int8)


def extreme_rows(shape, zp, count=8, seed=1):
    """All codes far from the zero point (the largest sums), then random codes."""
    far = -128 if zp > 0 else 127
    rng = np.random.default_rng(seed)
    rows = [np.full(shape, far), np.resize(np.array([-128, 127]), shape)]
    rows += [rng.integers(-128, 128, shape) for _ in range(count)]
    return np.stack(rows).astype(np.int8)


L2_SHAPES = [((1, 6, 3), 0), ((2, 3, 4, 5), -128), ((4, 8), 127), ((1, 8000), -128), ((1, 32767), 0)]


@pytest.mark.parametrize("shape, zp", L2_SHAPES)
def test_l2_normalization_rows(shape, zp):
    data = l2_model(shape, zp)
    check_bit_exact(data, inputs=near_zero_point(shape, zp, 2))
    check_bit_exact(data, inputs=extreme_rows(shape, zp))


def test_l2_normalization_refusals():
    cases = [
        (l2_model((1, 8), 0, out_scale=0.01), "always writes scale 1/128"),
        (l2_model((1, 8), 0, out_zp=5), "always writes scale 1/128"),
        (l2_model((1, 8261), -128), "sum of squares of 2\\^29"),
        (l2_model((1, 32768), 0), "sum of squares of 2\\^29"),
        (l2_model((1, 1, 1, 2, 3), 0), "at most 4 are supported"),
        (l2_model((1, 0), 0), "empty last dimension"),
        (l2_model((1, 8), 0, options={"fusedActivationFunction": 1}), "RELU activation is not supported"),
    ]
    for data, match in cases:
        with pytest.raises(UnsupportedError, match=match):
            interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("dtypes", [("int16", "int16"), ("float32", "float32"), ("int8", "int16")])
def test_l2_normalization_refuses_other_types(dtypes):
    from edgenn.reference import l2_normalization

    graph = one_op_graph("L2_NORMALIZATION", dtypes, shapes=((1, 4), (1, 4)))
    with pytest.raises(UnsupportedError, match="supported: int8"):
        l2_normalization.prepare(OpContext(graph, graph.ops[0]))


def test_l2_normalization_in_c_host(tmp_path):
    require_c()
    for zp in (-128, 127):
        check_c_bit_exact(l2_model((1, 256, 1), zp), tmp_path / f"codes{zp}", inputs=ALL_CODES)
    for i, (shape, zp) in enumerate(L2_SHAPES[1:4]):
        inputs = np.concatenate([near_zero_point(shape, zp, 2, count=6), extreme_rows(shape, zp, count=2)])
        check_c_bit_exact(l2_model(shape, zp), tmp_path / f"rows{i}", inputs=inputs)


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_l2_normalization_in_c_on_targets(tmp_path, target):
    require_c(target)
    check_c_bit_exact(l2_model((1, 256, 1), -128), tmp_path / "codes", inputs=ALL_CODES, target=target)


# --- BROADCAST_TO -------------------------------------------------------------------------------


def broadcast_to_model(in_shape, shape, out_shape=None, shape_dims=None):
    shape_data = np.asarray(shape, np.int32)
    if shape_dims is not None:
        shape_data = shape_data.reshape(shape_dims)
    return single_op_model(
        "BROADCAST_TO",
        [T(in_shape, scale=0.05, zero_point=-3), T(shape_data.shape, "int32", data=shape_data)],
        T(tuple(shape if out_shape is None else out_shape), scale=0.05, zero_point=-3),
    )


BROADCAST_TO_CASES = [
    ((1, 256, 1), (2, 3, 256, 4)),  # every code, repeated inside and outside
    ((3, 1), (2, 3, 5)),
    ((1, 4), (4, 4)),
    ((2, 1, 3, 1, 2), (2, 4, 3, 5, 2)),  # five dims, broadcast dims interleaved
    ((5,), (1, 1, 1, 1, 5)),  # only new leading ones: a plain copy
    ((2, 3), (2, 3)),
]


def codes_for(shape, count=6, seed=0):
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    rows = [np.resize(np.arange(-128, 128), n)] + [rng.integers(-128, 128, n) for _ in range(count - 1)]
    return np.stack(rows).astype(np.int8).reshape(count, *shape)


@pytest.mark.parametrize("in_shape, shape", BROADCAST_TO_CASES)
def test_broadcast_to(in_shape, shape):
    check_bit_exact(broadcast_to_model(in_shape, shape), inputs=codes_for(in_shape))


def test_broadcast_to_converted():
    import tensorflow as tf

    x = keras.Input(batch_shape=(1, 1, 6))
    y = keras.layers.Lambda(lambda v: tf.broadcast_to(v, (1, 4, 6)))(x)
    data = int8_tflite(keras.Model(x, y))
    if "BROADCAST_TO" not in op_names(data):
        pytest.skip(f"the converter wrote {op_names(data)}")
    check_bit_exact(data, count=12)


def test_broadcast_to_refusals():
    cases = [
        (broadcast_to_model((2, 3), (2, 4)), "does not broadcast"),
        (broadcast_to_model((1, 2, 3), (2, 3)), "does not broadcast"),
        (broadcast_to_model((1, 3), (1, 1, 1, 1, 2, 3)), "at most 5"),
        (broadcast_to_model((1, 3), (2, 3), out_shape=(3, 3)), "is not the shape operand's"),
        (broadcast_to_model((1, 3), (2, 3), shape_dims=(1, 2)), "it must have 1"),
        (broadcast_to_model((1, 3), (0, 3)), "empty tensor"),
    ]
    for data, match in cases:
        with pytest.raises(UnsupportedError, match=match):
            interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize(
    "dtypes", [("int16", "int32", "int16"), ("int8", "int64", "int8"), ("float32", "int32", "float32")]
)
def test_broadcast_to_refuses_other_types(dtypes):
    from edgenn.reference import broadcast_to

    graph = one_op_graph("BROADCAST_TO", dtypes, shapes=((1, 4), (2,), (2, 4)))
    with pytest.raises(UnsupportedError, match="supported: int"):
        broadcast_to.prepare(OpContext(graph, graph.ops[0]))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_broadcast_to_in_c(tmp_path, target):
    require_c(target)
    in_shape, shape = BROADCAST_TO_CASES[3] if target != "host" else BROADCAST_TO_CASES[0]
    check_c_bit_exact(broadcast_to_model(in_shape, shape), tmp_path / "a", inputs=codes_for(in_shape), target=target)
    if target == "host":
        for i, (in_shape, shape) in enumerate(BROADCAST_TO_CASES[1:]):
            check_c_bit_exact(broadcast_to_model(in_shape, shape), tmp_path / str(i), inputs=codes_for(in_shape))
