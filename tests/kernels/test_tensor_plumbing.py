"""EXPAND_DIMS, TRANSPOSE, SLICE, STRIDED_SLICE, DEPTH_TO_SPACE and SPACE_TO_DEPTH, int8.

TFLM copies codes in all six (no rescale, whatever the output quantization says), so every case
here checks that each code lands where TFLM puts it: the reference and the generated C against
TFLM, on converter-built and hand-built models, every int8 code in one sample where a tensor holds
256 elements, and each refusal. EXPAND_DIMS is a view in the arena plan, so Conv1D (EXPAND_DIMS +
CONV_2D + RESHAPE when converted with a dynamic batch) costs no copy and no arena bytes for it.
"""

import subprocess

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import interpreter
from edgenn.reference._strided_copy import walk
from tests.kernels import op_models
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import CODES, T, check_bytes_exact, check_c_bytes_exact, op_names, single_op_model

keras = pytest.importorskip("keras")


def with_op(data: bytes, *names: str) -> bytes:
    found = op_names(data)
    assert set(names) <= set(found), found
    return data


def samples(shape, count: int = 8) -> np.ndarray:
    """Extremes and random codes, then one sample holding every int8 code in turn."""
    return np.concatenate([probe_inputs(shape, count), np.resize(CODES, shape)[None]]).astype(np.int8)


def i32(values) -> np.ndarray:
    return np.array(values, np.int32)


def refuses(data: bytes, match: str) -> None:
    with pytest.raises(UnsupportedError, match=match):
        interpreter.prepare(parse_tflite(data))


# Input quantization, and another one for the output: TFLM copies the codes either way.
Q_IN = {"scale": 0.05, "zero_point": -128}
Q_OUT = {"scale": 0.07, "zero_point": 127}


def expand_dims_model(in_shape, axis, out_shape, axis_shape=(), dtype="int8") -> bytes:
    q = Q_IN if dtype == "int8" else {}
    axis_t = T(axis_shape, "int32", data=np.full(axis_shape, axis, np.int32))
    return single_op_model("EXPAND_DIMS", [T(in_shape, dtype, **q), axis_t], T(out_shape, dtype, **q))


def transpose_model(in_shape, perm, out_shape=None) -> bytes:
    out_shape = tuple(in_shape[k] for k in perm) if out_shape is None else out_shape
    perm_t = T((len(perm),), "int32", data=i32(perm))
    return single_op_model("TRANSPOSE", [T(in_shape, **Q_IN), perm_t], T(out_shape, **Q_OUT))


def slice_model(in_shape, begin, size, out_shape, dtype="int32") -> bytes:
    consts = [T((len(begin),), dtype, data=np.array(begin, dtype)), T((len(size),), dtype, data=np.array(size, dtype))]
    return single_op_model("SLICE", [T(in_shape, **Q_IN), *consts], T(out_shape, **Q_OUT))


def strided_slice_model(in_shape, begin, end, strides, out_shape, **masks) -> bytes:
    consts = [T((len(v),), "int32", data=i32(v)) for v in (begin, end, strides)]
    return single_op_model("STRIDED_SLICE", [T(in_shape, **Q_IN), *consts], T(out_shape, **Q_OUT), masks)


def block_model(op, in_shape, block, out_shape) -> bytes:
    return single_op_model(op, [T(in_shape, **Q_IN)], T(out_shape, **Q_OUT), {"blockSize": block})


# --- EXPAND_DIMS -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "in_shape, axis, axis_shape, out_shape",
    [
        ((1, 4, 3), 0, (), (1, 1, 4, 3)),
        ((1, 4, 3), 3, (1,), (1, 4, 3, 1)),
        ((1, 4, 3), -1, (), (1, 4, 3, 1)),
        ((1, 4, 3), -4, (1,), (1, 1, 4, 3)),
        ((2, 5), 1, (), (2, 1, 5)),
    ],
)
def test_expand_dims_hand_built(in_shape, axis, axis_shape, out_shape):
    data = expand_dims_model(in_shape, axis, out_shape, axis_shape)
    check_bit_exact(with_op(data, "EXPAND_DIMS"), inputs=probe_inputs(in_shape, 8))


def test_expand_dims_float32():
    data = expand_dims_model((1, 6), 1, (1, 1, 6), dtype="float32")
    values = np.random.default_rng(0).normal(size=(4, 1, 6)).astype(np.float32)
    values[0, 0] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45]
    check_bytes_exact(with_op(data, "EXPAND_DIMS"), values)


def test_expand_dims_from_keras():
    x = keras.Input(shape=(8, 6))  # a dynamic batch: the converter keeps EXPAND_DIMS
    check_bit_exact(with_op(int8_tflite(keras.Model(x, keras.ops.expand_dims(x, 2))), "EXPAND_DIMS"))


@pytest.mark.parametrize(
    "in_shape, axis, axis_shape, out_shape, match",
    [
        ((1, 4, 3), 4, (), (1, 4, 3, 1), "out of range"),
        ((1, 4, 3), -5, (), (1, 1, 4, 3), "out of range"),
        ((1, 4, 3), 1, (), (1, 4, 1, 3), "with a 1 inserted"),
        ((1, 4, 3), 1, (2,), (1, 1, 4, 3), "one value"),
    ],
)
def test_expand_dims_refuses(in_shape, axis, axis_shape, out_shape, match):
    refuses(expand_dims_model(in_shape, axis, out_shape, axis_shape), match)


def conv1d_model() -> bytes:
    keras.utils.set_random_seed(0)
    x = keras.Input(shape=(8, 3))  # a dynamic batch: EXPAND_DIMS + CONV_2D + RESHAPE
    return int8_tflite(keras.Model(x, keras.layers.Conv1D(4, 3)(x)))


def test_conv1d_expand_dims_is_a_view():
    from edgenn.export.codegen import generate
    from edgenn.export.plan import plan_schedule

    data = with_op(conv1d_model(), "EXPAND_DIMS", "CONV_2D")
    check_bit_exact(data)
    graph = parse_tflite(data)
    _, plan = plan_schedule(graph)
    (op,) = [op for op in graph.ops if op.name == "EXPAND_DIMS"]
    src, dst = op.inputs[0], op.outputs[0]
    assert op.index in plan.views
    assert plan.buffer_of[src] == plan.buffer_of[dst] and plan.offset(src) == plan.offset(dst)
    # The same layers converted with batch 1 (one RESHAPE there, also a view) need the same arena.
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8, 3))
    static = parse_tflite(int8_tflite(keras.Model(x, keras.layers.Conv1D(4, 3)(x))))
    assert "EXPAND_DIMS" not in static.op_names
    assert plan.arena_bytes == plan_schedule(static)[1].arena_bytes
    model_c = generate(graph, "net", "test").files["net.c"]
    assert "EXPAND_DIMS: a view of the same arena bytes, no code" in model_c
    assert "edgenn_expand_dims(" not in model_c


# --- TRANSPOSE ---------------------------------------------------------------------------------


@pytest.mark.parametrize("in_shape, perm", [((1, 4, 5, 3), (3, 1, 2)), ((1, 6, 4), (2, 1))])
def test_transpose_from_keras_permute(in_shape, perm):
    x = keras.Input(batch_shape=in_shape)
    check_bit_exact(with_op(int8_tflite(keras.Model(x, keras.layers.Permute(perm)(x))), "TRANSPOSE"))


TRANSPOSES = [
    ((5,), (0,)),
    ((3, 7), (1, 0)),
    ((1, 4, 8, 8), (0, 3, 1, 2)),  # 256 elements: every code
    ((2, 3, 1, 4, 5), (4, 2, 0, 3, 1)),
    ((1, 2, 3, 4, 5), (0, 1, 2, 4, 3)),
]


@pytest.mark.parametrize("in_shape, perm", TRANSPOSES)
def test_transpose_hand_built(in_shape, perm):
    check_bit_exact(with_op(transpose_model(in_shape, perm), "TRANSPOSE"), inputs=samples(in_shape))


@pytest.mark.parametrize(
    "in_shape, perm, out_shape, match",
    [
        ((1, 2, 1, 2, 1, 3), (0, 1, 2, 3, 5, 4), None, "rank 6"),
        ((2, 3, 4), (0, 0, 1), (2, 2, 3), "not a permutation"),
        ((2, 3, 4), (0, 1), (2, 3), "not a permutation"),
        ((2, 3, 4), (2, 0, 1), (4, 3, 2), "permuted by"),
    ],
)
def test_transpose_refuses(in_shape, perm, out_shape, match):
    refuses(transpose_model(in_shape, perm, out_shape), match)


# --- SLICE -------------------------------------------------------------------------------------


def test_slice_from_keras():
    x = keras.Input(batch_shape=(1, 8, 6, 3))
    y = keras.ops.slice(x, (0, 1, 2, 0), (1, 4, 3, 2))
    check_bit_exact(with_op(int8_tflite(keras.Model(x, y)), "SLICE"))


SLICES = [
    ((9,), [3], [5], (5,)),
    ((1, 6, 5, 4), [0, 1, 2, 0], [1, 4, -1, 3], (1, 4, 3, 3)),
    ((2, 3, 4, 5, 6), [1, 0, 1, 2, 3], [1, 3, 2, -1, 2], (1, 3, 2, 3, 2)),
    ((1, 16, 16, 2), [0, 0, 0, 0], [1, 16, 8, 2], (1, 16, 8, 2)),  # 256 elements: every code
]


@pytest.mark.parametrize("in_shape, begin, size, out_shape", SLICES)
def test_slice_hand_built(in_shape, begin, size, out_shape):
    check_bit_exact(with_op(slice_model(in_shape, begin, size, out_shape), "SLICE"), inputs=samples(in_shape))


def test_slice_int64_indices(monkeypatch):
    monkeypatch.setitem(op_models.TYPES, "int64", schema.TensorType.INT64)
    data = slice_model((1, 6, 5), [0, 2, 1], [1, -1, 3], (1, 4, 3), dtype="int64")
    check_bit_exact(with_op(data, "SLICE"), inputs=probe_inputs((1, 6, 5), 8))


@pytest.mark.parametrize(
    "in_shape, begin, size, out_shape, match",
    [
        ((1, 6), [0, 5], [1, 3], (1, 3), "does not lie inside"),
        ((1, 6), [0, -1], [1, 1], (1, 1), "does not lie inside"),
        ((1, 6), [0, 1], [1, -2], (1, 1), "does not lie inside"),
        ((1, 6), [0, 1], [1, 3], (1, 4), "not the slice size"),
        ((1, 6, 2), [0, 1], [1, 3], (1, 3, 2), "one entry per input dimension"),
        ((1, 2, 1, 2, 1, 3), [0] * 6, [1] * 6, (1, 1, 1, 1, 1, 1), "rank 6"),
    ],
)
def test_slice_refuses(in_shape, begin, size, out_shape, match):
    refuses(slice_model(in_shape, begin, size, out_shape), match)


# --- STRIDED_SLICE -----------------------------------------------------------------------------


STRIDED_KERAS = {
    "cropping2d": ((1, 6, 6, 3), lambda x: keras.layers.Cropping2D(((1, 2), (0, 1)))(x)),
    "cropping1d": ((1, 9, 4), lambda x: keras.layers.Cropping1D((3, 1))(x)),
    "steps": ((1, 8, 6, 3), lambda x: x[:, 1:5, ::2]),
    "shrink-reversed": ((1, 8, 6, 3), lambda x: x[:, 1, ::-2, 1:]),
    "reversed": ((1, 5, 4), lambda x: x[:, ::-1]),
    "negative-indices": ((1, 7, 6), lambda x: x[..., -4:-1]),
}


@pytest.mark.parametrize("name", STRIDED_KERAS)
def test_strided_slice_from_keras(name):
    shape, layer = STRIDED_KERAS[name]
    x = keras.Input(batch_shape=shape)
    check_bit_exact(with_op(int8_tflite(keras.Model(x, layer(x))), "STRIDED_SLICE"))


# (input shape, begin, end, strides, masks, output shape)
STRIDED = {
    "reverse-step-3": ((10,), [8], [1], [-3], {}, (3,)),
    "clamped": ((1, 6, 7), [0, -100, 100], [1, 100, -100], [1, 2, -2], {}, (1, 3, 4)),
    "masks-backwards": ((2, 5, 4), [1, 0, 0], [0, 0, 0], [1, -1, -2], {"beginMask": 6, "endMask": 7}, (1, 5, 2)),
    "shrink-negative-begin": ((3, 4, 5), [-1, 1, 0], [0, 3, 5], [1, 1, 2], {"shrinkAxisMask": 1}, (2, 3)),
    "shrink-ignores-end": ((5, 3), [2, 0], [0, 0], [1, 1], {"shrinkAxisMask": 1, "endMask": 2}, (3,)),
    "bits-past-rank": ((4, 6), [1, 1], [3, 5], [1, 2], {"beginMask": 12, "endMask": 240, "shrinkAxisMask": 4}, (2, 2)),
    "every-code": (
        (1, 8, 8, 4),  # 256 elements
        [0, 1, 0, 1],
        [1, 8, 0, 4],
        [1, 3, -1, 1],
        {"beginMask": 4, "endMask": 4},
        (1, 3, 8, 3),
    ),
}


@pytest.mark.parametrize("name", STRIDED)
def test_strided_slice_hand_built(name):
    in_shape, begin, end, strides, masks, out_shape = STRIDED[name]
    data = strided_slice_model(in_shape, begin, end, strides, out_shape, **masks)
    check_bit_exact(with_op(data, "STRIDED_SLICE"), inputs=samples(in_shape))


STRIDED_REFUSED = {
    "ellipsis": (((1, 4, 3), [0, 0], [1, 2], [1, 1], {"ellipsisMask": 1}, (1, 2, 3)), "ellipsis_mask"),
    "new-axis": (((4, 3), [0, 0], [1, 2], [1, 1], {"newAxisMask": 1}, (1, 4, 2)), "new_axis_mask"),
    "offset": (((4, 3), [0, 0], [1, 2], [1, 1], {"offset": True}, (1, 2)), "offset"),
    "rank-5": (((1, 2, 2, 2, 2), [0] * 5, [1] * 5, [1] * 5, {}, (1, 1, 1, 1, 1)), "rank 5"),
    "zero-stride": (((4, 3), [0, 0], [4, 3], [1, 0], {}, (4, 3)), "hold a 0"),
    "shrink-reversed": (((4, 3), [1, 0], [2, 3], [-1, 1], {"shrinkAxisMask": 1}, (3,)), "Eval reads 0"),
    "shrink-past-end": (((4, 3), [4, 0], [5, 3], [1, 1], {"shrinkAxisMask": 1}, (3,)), "Eval reads 0"),
    "short-indices": (((4, 3), [0], [2], [1], {}, (2, 3)), "one entry per input dimension"),
    "wrong-output": (((4, 3), [0, 0], [2, 3], [1, 2], {}, (2, 1)), "not the slice's shape"),
    "index-overflow": (((4, 3), [3, 0], [4, 3], [2**31 - 1, 1], {}, (1, 3)), "overflows"),
}


@pytest.mark.parametrize("name", STRIDED_REFUSED)
def test_strided_slice_refuses(name):
    (in_shape, begin, end, strides, masks, out_shape), match = STRIDED_REFUSED[name]
    refuses(strided_slice_model(in_shape, begin, end, strides, out_shape, **masks), match)


# --- DEPTH_TO_SPACE and SPACE_TO_DEPTH ---------------------------------------------------------


def test_depth_to_space_and_back_from_keras():
    import tensorflow as tf

    x = keras.Input(batch_shape=(1, 4, 3, 8))
    y = keras.layers.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(x)  # (8, 6, 2)
    y = keras.layers.Lambda(lambda t: tf.nn.space_to_depth(t, 2))(y)  # (4, 3, 8)
    check_bit_exact(with_op(int8_tflite(keras.Model(x, y)), "DEPTH_TO_SPACE", "SPACE_TO_DEPTH"))


BLOCKS = [
    ("DEPTH_TO_SPACE", (1, 4, 4, 16), 2, (1, 8, 8, 4)),  # 256 elements: every code
    ("DEPTH_TO_SPACE", (2, 2, 3, 18), 3, (2, 6, 9, 2)),
    ("DEPTH_TO_SPACE", (1, 1, 1, 4), 2, (1, 2, 2, 1)),
    ("DEPTH_TO_SPACE", (1, 2, 3, 5), 1, (1, 2, 3, 5)),
    ("SPACE_TO_DEPTH", (1, 8, 8, 4), 2, (1, 4, 4, 16)),  # every code
    ("SPACE_TO_DEPTH", (2, 6, 3, 1), 3, (2, 2, 1, 9)),
    ("SPACE_TO_DEPTH", (1, 4, 6, 3), 2, (1, 2, 3, 12)),
]


@pytest.mark.parametrize("op, in_shape, block, out_shape", BLOCKS)
def test_block_ops_hand_built(op, in_shape, block, out_shape):
    check_bit_exact(with_op(block_model(op, in_shape, block, out_shape), op), inputs=samples(in_shape))


@pytest.mark.parametrize(
    "op, in_shape, block, out_shape, match",
    [
        ("DEPTH_TO_SPACE", (1, 2, 2, 8), 3, (1, 6, 6, 1), "does not divide"),
        ("DEPTH_TO_SPACE", (1, 2, 2, 8), 0, (1, 2, 2, 8), "does not divide"),
        ("DEPTH_TO_SPACE", (1, 2, 2, 8), 2, (1, 2, 8, 2), "is not"),
        ("DEPTH_TO_SPACE", (2, 2, 8), 2, (4, 4, 2), "rank 3"),
        ("SPACE_TO_DEPTH", (1, 4, 6, 2), 3, (1, 1, 2, 18), "does not divide"),
        ("SPACE_TO_DEPTH", (1, 4, 6, 2), 0, (1, 4, 6, 2), "does not divide"),
        ("SPACE_TO_DEPTH", (1, 4, 6, 2), 2, (1, 3, 2, 8), "is not"),
    ],
)
def test_block_ops_refuse(op, in_shape, block, out_shape, match):
    refuses(block_model(op, in_shape, block, out_shape), match)


# --- the walk the C follows --------------------------------------------------------------------


def test_walk_drops_ones_and_merges_contiguous_dims():
    # A slice of whole rows is one run; a transpose keeps its steps; size-1 dims vanish.
    assert walk([(1, 96), (4, 24), (6, 4), (4, 1)], 24) == walk([(96, 1)], 24)
    assert walk([(96, 1)], 24).count == (1, 1, 1, 1, 96)
    w = walk([(1, 60), (5, 1), (3, 20), (4, 2)])
    assert (w.count, w.stride) == ((1, 1, 5, 3, 4), (0, 0, 1, 20, 2))
    w = walk([(3, -9), (4, -2)], 30)
    assert (w.count, w.stride, w.start) == ((1, 1, 1, 3, 4), (0, 0, 0, -9, -2), 30)


# --- the generated C ---------------------------------------------------------------------------


def need_gcc():
    from tests.conftest import require_tool

    require_tool("gcc")


@pytest.mark.parametrize("in_shape, perm", TRANSPOSES)
def test_in_c_transpose(tmp_path, in_shape, perm):
    need_gcc()
    check_c_bit_exact(transpose_model(in_shape, perm), tmp_path, inputs=samples(in_shape))


@pytest.mark.parametrize("in_shape, begin, size, out_shape", SLICES)
def test_in_c_slice(tmp_path, in_shape, begin, size, out_shape):
    need_gcc()
    check_c_bit_exact(slice_model(in_shape, begin, size, out_shape), tmp_path, inputs=samples(in_shape))


@pytest.mark.parametrize("name", STRIDED)
def test_in_c_strided_slice(tmp_path, name):
    need_gcc()
    in_shape, begin, end, strides, masks, out_shape = STRIDED[name]
    data = strided_slice_model(in_shape, begin, end, strides, out_shape, **masks)
    check_c_bit_exact(data, tmp_path, inputs=samples(in_shape))


@pytest.mark.parametrize("op, in_shape, block, out_shape", BLOCKS)
def test_in_c_block_ops(tmp_path, op, in_shape, block, out_shape):
    need_gcc()
    check_c_bit_exact(block_model(op, in_shape, block, out_shape), tmp_path, inputs=samples(in_shape))


def test_in_c_expand_dims_float32(tmp_path):
    need_gcc()
    data = expand_dims_model((1, 6), 2, (1, 6, 1), dtype="float32")
    values = np.random.default_rng(0).normal(size=(3, 1, 6)).astype(np.float32)
    values[0, 0] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45]
    check_c_bytes_exact(data, tmp_path, values)


def every_op_model() -> bytes:
    """All six ops in one converted model: a dynamic batch keeps both EXPAND_DIMS."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    x = keras.Input(shape=(12, 4))
    y = keras.layers.Conv1D(8, 3, padding="same")(x)  # EXPAND_DIMS + CONV_2D + RESHAPE
    y = keras.ops.expand_dims(y, -1)  # (12, 8, 1)
    y = keras.layers.Permute((2, 1, 3))(y)  # (8, 12, 1): the innermost run steps by 8
    y = keras.layers.Lambda(lambda t: tf.nn.space_to_depth(t, 2))(y)  # (4, 6, 4)
    y = keras.layers.Lambda(lambda t: t[:, ::-1, 1::2, ::-1])(y)  # (4, 3, 4), backwards
    y = keras.layers.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(y)  # (8, 6, 1)
    y = keras.ops.slice(y, (0, 1, 1, 0), (1, 6, 4, 1))  # (6, 4, 1)
    ops = ("EXPAND_DIMS", "TRANSPOSE", "STRIDED_SLICE", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "SLICE")
    return with_op(int8_tflite(keras.Model(x, y)), *ops)


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c_every_op(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    data = every_op_model()
    if target == "host":
        check_bit_exact(data)
        check_c_bit_exact(conv1d_model(), tmp_path / "conv1d")
    check_c_bit_exact(data, tmp_path / "all", count=12, target=target)


C_FILES = ["expand_dims", "transpose", "slice", "strided_slice", "depth_to_space", "space_to_depth"]
STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wconversion", "-Wshadow"]

DRIVER = """
#include <string.h>
#include "expand_dims.h"
#include "transpose.h"

int main(void) {
    const int8_t in[6] = {-128, -1, 0, 1, 126, 127};
    int8_t out[6] = {0, 0, 0, 0, 0, 0};
    int8_t t[6] = {0, 0, 0, 0, 0, 0};
    const int8_t want_t[6] = {-128, 1, -1, 126, 0, 127};
    /* (2, 3) -> (3, 2) */
    static const edgenn_strided_copy walk = {.count = {1, 1, 1, 3, 2}, .stride = {0, 0, 0, 1, 3}, .start = 0};
    edgenn_expand_dims(in, out, sizeof in);
    edgenn_transpose(&walk, in, t);
    return memcmp(in, out, sizeof in) != 0 || memcmp(t, want_t, sizeof t) != 0;
}
"""


@pytest.mark.parametrize(
    "compiler, arch", [("gcc", []), ("arm-none-eabi-gcc", ["-mcpu=cortex-m0plus", "-mthumb", "-ffreestanding"])]
)
def test_kernels_build_with_strict_warnings(tmp_path, compiler, arch):
    """EXPAND_DIMS's copy never runs in a generated model (it is a view), so it is built and run here."""
    from edgenn.clib import INCLUDE, SRC
    from tests.conftest import require_tool

    require_tool(compiler)
    for name in C_FILES:
        obj = tmp_path / f"{name}.o"
        cmd = [compiler, *STRICT, *arch, f"-I{INCLUDE}", "-c", str(SRC / f"{name}.c"), "-o", str(obj)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stderr, proc.stderr
    if compiler == "gcc":
        (tmp_path / "driver.c").write_text(DRIVER)
        sources = [str(tmp_path / "driver.c"), str(SRC / "expand_dims.c"), str(SRC / "transpose.c")]
        subprocess.run(["gcc", *STRICT, f"-I{INCLUDE}", *sources, "-o", str(tmp_path / "driver")], check=True)
        assert subprocess.run([str(tmp_path / "driver")]).returncode == 0
