"""SUM, REDUCE_MAX, ARG_MAX, ARG_MIN and LOG_SOFTMAX (int8): the reference and the generated C against TFLM."""

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, float_tflite, int8_tflite
from tests.kernels.op_models import CODES, T, op_names, single_op_model

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def lambda_model(shape, fn):
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, keras.layers.Lambda(fn)(x))


def reducer(op, shape, axes, out_shape, scales=(0.02, 0.05), zero_points=(-3, 5), keep=False):
    """A hand-built one-op SUM or REDUCE_MAX model with exact scales."""
    (s_in, s_out), (z_in, z_out) = scales, zero_points
    axis = T((len(axes),), "int32", data=np.array(axes, np.int32))
    return single_op_model(
        op,
        [T(shape, scale=s_in, zero_point=z_in), axis],
        T(out_shape, scale=s_out, zero_point=z_out),
        {"keepDims": keep},
    )


def arg_model(op, shape, axis, out_shape, out_dtype="int32"):
    axis_t = T((), "int32", data=np.array(axis, np.int32))
    options = {"outputType": 2 if out_dtype == "int32" else 4}
    return single_op_model(op, [T(shape, scale=0.03, zero_point=-7), axis_t], T(out_shape, out_dtype), options)


def every_code_sample(shape):
    """One sample holding every int8 code at least once, in order."""
    return np.resize(CODES, (1, *shape)).astype(np.int8)[None]


# ---------------------------------------------------------------------------------------------- SUM


@pytest.mark.parametrize(
    "axis, keepdims",
    [(2, False), ((1, 2), True), (-1, False), ((1, 3), False), ((1, 2, 3), True)],
)
def test_sum_from_keras(axis, keepdims):
    data = int8_tflite(lambda_model((4, 5, 6), lambda t: keras.ops.sum(t, axis=axis, keepdims=keepdims)))
    assert op_names(data) == ("SUM",)
    check_bit_exact(data, count=32)


@pytest.mark.parametrize("low, high, zero_point", [(0.0, 3.0, -128), (-3.0, 0.0, 127)])
def test_sum_input_zero_point_at_the_int8_extremes(low, high, zero_point):
    data = int8_tflite(lambda_model((7, 9, 3), lambda t: keras.ops.sum(t, axis=(1, 2))), low=low, high=high)
    assert parse_tflite(data).input_tensor().zero_point == (zero_point,)
    check_bit_exact(data, count=32)


@pytest.mark.parametrize(
    "scales, zero_points",
    [
        ((0.02, 0.05), (-3, 5)),
        ((0.05, 0.05), (0, 0)),  # identical quantization: still rescaled
        ((0.5, 0.003), (-128, 127)),  # ratio > 1: the rescale shifts left
        ((0.01, 0.01 * 2.0**40), (127, -128)),  # ratio 2^-40: multiplier 0, every output the zero point
        ((0.01 * 1.5 * 2.0**30, 0.01), (1, -1)),  # the largest left shift, 31
    ],
)
def test_sum_every_code_and_scale(scales, zero_points):
    # The reduced axis has one element, so each output is one input code rescaled: every code once.
    data = reducer("SUM", (1, 256, 1), [2], (1, 256), scales, zero_points)
    check_bit_exact(data, inputs=every_code_sample((256, 1)))
    # ... and sums of 64 codes, the largest wrapped into the left shift.
    check_bit_exact(reducer("SUM", (1, 4, 64), [-1], (1, 4), scales, zero_points), count=24)


def test_sum_over_three_separate_runs_runs_in_the_reference_not_in_c():
    data = reducer("SUM", (1, 2, 3, 4, 5, 6), [1, 3, 5], (1, 3, 5))
    check_bit_exact(data, count=8)
    with pytest.raises(UnsupportedError, match=r"SUM.*more than two separate runs of reduced dimensions"):
        interpreter.prepare(parse_tflite(data), need_c=True)


def test_sum_without_axes_rescales_each_element():
    data = single_op_model(
        "SUM",
        [T((1, 4, 6), scale=0.01, zero_point=-5), T((0,), "int32", data=np.zeros(0, np.int32))],
        T((1, 4, 6), scale=0.03, zero_point=9),
    )
    check_bit_exact(data, count=8)


def test_sum_refusals():
    with pytest.raises(UnsupportedError, match=r"SUM.*float32; supported: int8"):
        interpreter.prepare(parse_tflite(float_tflite(lambda_model((4, 5), lambda t: keras.ops.sum(t, axis=1)))))
    with pytest.raises(UnsupportedError, match=r"scale ratio .* too large.* shift left by 32 bits"):
        interpreter.prepare(parse_tflite(reducer("SUM", (1, 4, 6), [2], (1, 4), (2.0**31, 1.0))))
    with pytest.raises(UnsupportedError, match=r"axis 3 is out of range for a rank-3 input"):
        interpreter.prepare(parse_tflite(reducer("SUM", (1, 4, 6), [3], (1, 4))))
    with pytest.raises(UnsupportedError, match=r"does not match the reduced shape"):
        interpreter.prepare(parse_tflite(reducer("SUM", (1, 4, 6), [2], (1, 6))))


# --------------------------------------------------------------------------------------- REDUCE_MAX


@pytest.mark.parametrize("axis, keepdims", [(-1, False), ((1, 3), True), (1, True), ((1, 2, 3), False)])
def test_reduce_max_from_keras(axis, keepdims):
    data = int8_tflite(lambda_model((4, 5, 6), lambda t: keras.ops.max(t, axis=axis, keepdims=keepdims)))
    assert op_names(data) == ("REDUCE_MAX",)
    check_bit_exact(data, count=32)


@pytest.mark.parametrize("zero_point", [-128, 127])
def test_reduce_max_every_code(zero_point):
    # Each output row [code, -128, ...]: the maximum is the code, for every code; then random rows.
    x = np.full((1, 1, 256, 3), -128, np.int8)
    x[0, 0, :, 0] = CODES
    data = reducer("REDUCE_MAX", (1, 256, 3), [2], (1, 256), (0.04, 0.04), (zero_point, zero_point))
    out = check_bit_exact(data, inputs=x)
    assert out.reshape(-1).tolist() == CODES.tolist()
    check_bit_exact(reducer("REDUCE_MAX", (1, 3, 5, 7), [1, 2], (1, 1, 1, 7), (0.04, 0.04), (zero_point,) * 2, True))


def test_reduce_max_refuses_another_output_quantization():
    with pytest.raises(UnsupportedError, match=r"REDUCE_MAX.*needs them equal"):
        interpreter.prepare(parse_tflite(reducer("REDUCE_MAX", (1, 4, 6), [2], (1, 4), (0.02, 0.03), (1, 1))))
    with pytest.raises(UnsupportedError, match=r"REDUCE_MAX.*needs them equal"):
        interpreter.prepare(parse_tflite(reducer("REDUCE_MAX", (1, 4, 6), [2], (1, 4), (0.02, 0.02), (1, 2))))


# ---------------------------------------------------------------------------------- ARG_MAX, ARG_MIN


def argmax_keras(shape, axis, output_type=None, smallest=False):
    # keras.ops.argmax does not convert: for float input it adds a signbit test (tf.BitwiseAnd), which
    # TFLite has no builtin for. tf.math.argmax converts to ARG_MAX; it returns int64 unless told.
    fn = tf.math.argmin if smallest else tf.math.argmax
    kwargs = {} if output_type is None else {"output_type": output_type}
    return int8_tflite(lambda_model(shape, lambda t: fn(t, axis=axis, **kwargs)))


@pytest.mark.parametrize("smallest", [False, True])
@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_arg_min_max_from_keras(axis, smallest):
    data = argmax_keras((4, 5, 6), axis, tf.int32, smallest)
    assert op_names(data) == ("ARG_MIN" if smallest else "ARG_MAX",)
    assert parse_tflite(data).output_tensor().dtype == "int32"
    check_bit_exact(data, count=32)


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_arg_min_max_ties_keep_the_first_index(op):
    # Rows of few distinct codes tie often; all-equal rows give index 0.
    rng = np.random.default_rng(1)
    x = rng.choice(np.array([-128, -1, 0, 127], np.int8), size=(16, 1, 3, 9, 4))
    x[0] = 5
    out = check_bit_exact(arg_model(op, (1, 3, 9, 4), 2, (1, 3, 4)), inputs=x)
    assert (out[0] == 0).all()
    check_bit_exact(arg_model(op, (1, 256), -1, (1,)), inputs=every_code_sample((256,)))


def prepare_only_op(data: bytes):
    """The one op's own prepare, without the graph checks around it (which refuse int64 model outputs first)."""
    from edgenn.reference import kernel
    from edgenn.reference.base import OpContext

    graph = parse_tflite(data)
    (op,) = graph.ops
    return kernel(op.name).prepare(OpContext(graph, op, for_c=True))


def test_arg_max_refusals():
    data = argmax_keras((4, 6), -1)  # tf.math.argmax's default output type, int64, which TFLM does not run
    assert parse_tflite(data).output_tensor().dtype == "int64"
    with pytest.raises(UnsupportedError, match=r"ARG_MAX.*is int64; TFLM's ARG_MAX writes int32 indices only"):
        prepare_only_op(data)
    with pytest.raises(UnsupportedError, match=r"ARG_MIN.*output shape \(1, 6\) is not the input shape"):
        prepare_only_op(arg_model("ARG_MIN", (1, 4, 6), 2, (1, 6)))
    with pytest.raises(UnsupportedError, match=r"ARG_MAX.*float32; supported: int8"):
        prepare_only_op(float_tflite(lambda_model((4, 6), lambda t: tf.math.argmax(t, axis=1, output_type=tf.int32))))


# -------------------------------------------------------------------------------------- LOG_SOFTMAX


def log_softmax_model(shape, scale, zero_point, out_scale=1 / 16, out_zero_point=127):
    return single_op_model(
        "LOG_SOFTMAX",
        [T(shape, scale=scale, zero_point=zero_point)],
        T(shape, scale=out_scale, zero_point=out_zero_point),
    )


@pytest.mark.parametrize("shape, low, high", [((4, 5, 6), -1.0, 1.0), ((10,), -8.0, 8.0), ((3, 40), -0.1, 0.1)])
def test_log_softmax_from_keras(shape, low, high):
    data = int8_tflite(lambda_model(shape, lambda t: keras.ops.log_softmax(t, axis=-1)), low=low, high=high)
    assert op_names(data) == ("LOG_SOFTMAX",)
    check_bit_exact(data, count=64)


@pytest.mark.parametrize("zero_point", [-128, 127])
@pytest.mark.parametrize("scale", [1.6e-8, 1e-3, 0.05, 1.0, 100.0])
def test_log_softmax_scales(scale, zero_point):
    # 1.6e-8 is just above the smallest input scale TFLM takes (scale * 2^26 must exceed 1).
    data = log_softmax_model((1, 64, 7), scale, zero_point)
    check_bit_exact(data, count=16)
    check_bit_exact(log_softmax_model((1, 256), scale, zero_point), inputs=every_code_sample((256,)))


def log_sum_cut_rows() -> np.ndarray:
    """Rows whose log-sum (1, 3 and 8 equal maxima) cuts off differences near diff_min: without the cut
    their scaled difference minus the log-sum would wrap int32 and give 127 where TFLM gives -128."""
    x = np.zeros((3, 1, 40), np.int8)
    for n_max, row in zip((1, 3, 8), x, strict=True):
        row[0, n_max:] = -np.arange(20, 60 - n_max)
    return x


def cut_model():
    # scale * 2^26 just below a power of two: diff_min is -31 codes, about -31 in real terms (Q5.26's edge).
    return log_softmax_model((1, 40), 0.99999, 0)


def test_log_softmax_cut_below_the_log_sum():
    check_bit_exact(cut_model(), inputs=log_sum_cut_rows())


def test_log_softmax_long_rows():
    # All-equal rows sum the most exps: 4095 of them stay below the Q12.19 wrap.
    check_bit_exact(log_softmax_model((1, 4095), 0.02, 0), count=6)


def test_log_softmax_refusals():
    with pytest.raises(UnsupportedError, match=r"LOG_SOFTMAX output must have scale 16/256 and zero point 127"):
        interpreter.prepare(parse_tflite(log_softmax_model((1, 8), 0.05, 0, 1 / 256, -128)))
    with pytest.raises(UnsupportedError, match=r"a last axis of 4096 is not supported"):
        interpreter.prepare(parse_tflite(log_softmax_model((1, 4096), 0.05, 0)))
    with pytest.raises(UnsupportedError, match=r"input scale .* is too small"):
        interpreter.prepare(parse_tflite(log_softmax_model((1, 8), 2.0**-27, 0)))
    with pytest.raises(UnsupportedError, match=r"LOG_SOFTMAX.*float32; supported: int8"):
        interpreter.prepare(parse_tflite(float_tflite(lambda_model((8,), lambda t: keras.ops.log_softmax(t)))))


# ------------------------------------------------------------------------------------------------ C


def sum_c_model():
    # Reduced axes on both sides of a kept one: the two-run layout, with blocks of 16 and 8 and a tail.
    return reducer("SUM", (1, 3, 29, 2, 4), [1, 3], (1, 29, 4), (0.02, 0.09), (-128, 127))


def max_c_model():
    return reducer("REDUCE_MAX", (1, 3, 29, 2, 4), [1, 3], (1, 29, 4), (0.02, 0.02), (127, 127))


@pytest.mark.parametrize(
    "build",
    [
        lambda: int8_tflite(lambda_model((4, 5, 6), lambda t: keras.ops.sum(t, axis=(1, 2), keepdims=True))),
        lambda: reducer("SUM", (1, 16, 64), [-1], (1, 16), (0.01 * 2.0**20, 0.01), (-5, 3)),  # wrapping left shift
        sum_c_model,
        lambda: int8_tflite(lambda_model((4, 5, 6), lambda t: keras.ops.max(t, axis=-1))),
        max_c_model,
        lambda: int8_tflite(lambda_model((4, 5, 6), lambda t: keras.ops.log_softmax(t)), low=-8.0, high=8.0),
        lambda: log_softmax_model((1, 64, 7), 1.6e-8, 127),
        lambda: log_softmax_model((1, 3, 700), 0.02, -128),
    ],
)
def test_reductions_in_c(tmp_path, build):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(build(), tmp_path, count=32)


def test_every_code_in_c(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = reducer("SUM", (1, 256, 1), [2], (1, 256), (0.5, 0.003), (-128, 127))
    check_c_bit_exact(data, tmp_path / "sum", inputs=every_code_sample((256, 1)))
    check_c_bit_exact(arg_model("ARG_MIN", (1, 256), -1, (1,)), tmp_path / "arg", inputs=every_code_sample((256,)))
    data = log_softmax_model((1, 256), 0.05, 127)
    check_c_bit_exact(data, tmp_path / "log_softmax", inputs=every_code_sample((256,)))
    check_c_bit_exact(cut_model(), tmp_path / "cut", inputs=log_sum_cut_rows())


@pytest.mark.parametrize("op, axis, out_shape", [("ARG_MAX", 2, (1, 3, 4)), ("ARG_MIN", -1, (1, 3, 9))])
def test_arg_min_max_in_c(tmp_path, op, axis, out_shape):
    from tests.conftest import require_tool

    require_tool("gcc")
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            rng.choice(np.array([-128, -1, 0, 127], np.int8), size=(12, 1, 3, 9, 4)),  # many ties
            rng.integers(-128, 128, size=(12, 1, 3, 9, 4)).astype(np.int8),
        ]
    )
    check_c_bit_exact(arg_model(op, (1, 3, 9, 4), axis, out_shape), tmp_path, inputs=x)


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_on_devices(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(sum_c_model(), tmp_path / "sum", count=12, target=target)
    check_c_bit_exact(max_c_model(), tmp_path / "max", count=12, target=target)
    check_c_bit_exact(arg_model("ARG_MAX", (1, 3, 9, 4), 2, (1, 3, 4)), tmp_path / "argmax", count=12, target=target)
    check_c_bit_exact(arg_model("ARG_MIN", (1, 3, 9, 4), 1, (1, 9, 4)), tmp_path / "argmin", count=12, target=target)
    check_c_bit_exact(log_softmax_model((1, 5, 40), 0.1, 3), tmp_path / "log_softmax", count=12, target=target)
