"""PADV2 and MIRROR_PAD, int8: data movement that copies codes (PADV2 fills with its constant's code,
MIRROR_PAD reflects or repeats the edge), reference and C bit-exact with TFLM."""

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import CODES, T, single_op_model

keras = pytest.importorskip("keras")

REFLECT, SYMMETRIC = 0, 1


def with_op(data, *names):
    graph = parse_tflite(data)
    assert all(n in graph.op_names for n in names), graph.op_names
    return data


def padded(shape, pads):
    return tuple(d + a + b for d, (a, b) in zip(shape, pads, strict=True))


def mirror_model(in_shape, pads, mode, in_q=(0.05, 3), out_q=None, pad_dtype="int32"):
    out_q = out_q or in_q
    pads_t = T((len(pads), 2), pad_dtype, data=np.array(pads, pad_dtype))
    return single_op_model(
        "MIRROR_PAD",
        [T(in_shape, scale=in_q[0], zero_point=in_q[1]), pads_t],
        T(padded(in_shape, pads), scale=out_q[0], zero_point=out_q[1]),
        {"mode": mode},
    )


def padv2_model(in_shape, pads, value, q=(0.05, 3), value_q=None):
    value_q = value_q or q
    return single_op_model(
        "PADV2",
        [
            T(in_shape, scale=q[0], zero_point=q[1]),
            T((len(pads), 2), "int32", data=np.array(pads, np.int32)),
            T((), scale=value_q[0], zero_point=value_q[1], data=np.array(value, np.int8)),
        ],
        T(padded(in_shape, pads), scale=q[0], zero_point=q[1]),
    )


def chained_model():
    """Keras: reflect, then symmetric, then a constant pad: MIRROR_PAD twice and PADV2."""
    x = keras.Input(batch_shape=(1, 4, 5, 3))
    y = keras.ops.pad(x, [[0, 0], [3, 2], [1, 4], [0, 0]], mode="reflect")
    y = keras.ops.pad(y, [[0, 0], [1, 0], [0, 2], [1, 1]], mode="symmetric")
    y = keras.ops.pad(y, [[0, 0], [2, 1], [0, 0], [1, 0]], mode="constant", constant_values=-0.75)
    return with_op(int8_tflite(keras.Model(x, y)), "MIRROR_PAD", "PADV2")


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
def test_keras_mirror_pad(mode):
    x = keras.Input(batch_shape=(1, 6, 5, 2))
    y = keras.ops.pad(x, [[0, 0], [2, 3], [4, 1], [0, 0]], mode=mode)
    check_bit_exact(with_op(int8_tflite(keras.Model(x, y)), "MIRROR_PAD"))


@pytest.mark.parametrize("value", [0.5, -1.0, 3.0])
def test_keras_padv2(value):
    x = keras.Input(batch_shape=(1, 4, 6))
    y = keras.ops.pad(x, [[0, 0], [1, 2], [3, 0]], mode="constant", constant_values=value)
    check_bit_exact(with_op(int8_tflite(keras.Model(x, y)), "PADV2"))


def test_keras_chained():
    check_bit_exact(chained_model())


MIRROR_CASES = [
    ((1, 256), [[0, 0], [255, 255]], REFLECT),  # every code, the widest reflect
    ((1, 256), [[0, 0], [256, 256]], SYMMETRIC),  # every code, the widest symmetric
    ((5,), [[4, 4]], REFLECT),  # rank 1
    ((3, 2), [[3, 0], [0, 2]], SYMMETRIC),
    ((2, 3, 3, 2, 3), [[0, 1], [1, 1], [2, 0], [0, 1], [1, 2]], REFLECT),  # rank 5
    ((1, 2, 3, 2, 3), [[1, 0], [2, 2], [0, 3], [2, 0], [3, 1]], SYMMETRIC),
    ((2, 1, 3), [[0, 0], [1, 1], [0, 0]], SYMMETRIC),  # a size-1 dim repeated
    ((2, 3), [[0, 0], [0, 0]], REFLECT),  # nothing to pad
]


@pytest.mark.parametrize("in_shape, pads, mode", MIRROR_CASES)
def test_mirror_pad_hand_built(in_shape, pads, mode):
    data = mirror_model(in_shape, pads, mode)
    inputs = CODES.reshape(1, 1, 256) if in_shape == (1, 256) else probe_inputs(in_shape, 8)
    check_bit_exact(with_op(data, "MIRROR_PAD"), inputs=inputs.reshape(-1, *in_shape))


@pytest.mark.parametrize("out_q", [(0.5, -128), (0.001, 127)])
def test_mirror_pad_copies_codes_whatever_the_quantization(out_q):
    # TFLM checks no quantization and copies the codes; so does the reference.
    data = mirror_model((1, 256), [[0, 0], [3, 2]], REFLECT, in_q=(0.05, 3), out_q=out_q)
    want = check_bit_exact(data, inputs=CODES.reshape(1, 1, 256))
    assert np.array_equal(want[0, 0, 3:259], CODES)


@pytest.mark.parametrize("value, zp", [(-128, -128), (127, -128), (-128, 127), (127, 127), (0, 5)])
def test_padv2_hand_built(value, zp):
    data = padv2_model((1, 3, 4, 2), [[0, 0], [1, 2], [2, 0], [0, 1]], value, q=(0.02, zp))
    check_bit_exact(with_op(data, "PADV2"), inputs=probe_inputs((1, 3, 4, 2), 6))


def test_padv2_rank_5():
    data = padv2_model((1, 2, 1, 3, 2), [[0, 1], [1, 0], [2, 2], [0, 0], [1, 1]], -77)
    check_bit_exact(data, inputs=probe_inputs((1, 2, 1, 3, 2), 6))


def refused(data, match):
    with pytest.raises(UnsupportedError, match=match):
        interpreter.prepare(parse_tflite(data), need_c=True)


@pytest.mark.parametrize(
    "in_shape, pads, mode",
    [
        ((1, 4), [[0, 0], [4, 0]], REFLECT),  # reflect reaches past the far edge
        ((1, 4), [[0, 0], [0, 5]], SYMMETRIC),
        ((1, 4), [[0, 0], [-1, 0]], REFLECT),
    ],
)
def test_mirror_pad_refuses_paddings_too_wide(in_shape, pads, mode):
    out_shape = padded(in_shape, pads)
    data = single_op_model(
        "MIRROR_PAD",
        [T(in_shape, scale=0.1), T((2, 2), "int32", data=np.array(pads, np.int32))],
        T(out_shape, scale=0.1),
        {"mode": mode},
    )
    refused(data, "do not fit input")


def test_mirror_pad_refuses():
    refused(mirror_model((1, 1, 2, 2, 2, 2), [[0, 0]] * 5 + [[1, 1]], SYMMETRIC), "dimensions")
    bad_mode = mirror_model((1, 4), [[0, 0], [1, 1]], REFLECT)
    graph = parse_tflite(bad_mode)
    graph.ops[0].options.mode = 7
    with pytest.raises(UnsupportedError, match="mode 7"):
        interpreter.prepare(graph, need_c=True)
    data = single_op_model(
        "MIRROR_PAD", [T((1, 4), "float32"), T((2, 2), "int32", data=np.ones((2, 2), np.int32))], T((3, 6), "float32")
    )
    refused(data, "float32")


def test_padv2_refuses():
    refused(padv2_model((1, 4), [[0, 0], [1, 1]], 3, q=(0.05, 3), value_q=(0.05, 4)), "quantization")
    refused(padv2_model((1, 4), [[0, 0], [1, 1]], 3, q=(0.05, 3), value_q=(0.1, 3)), "quantization")
    two = single_op_model(
        "PADV2",
        [
            T((1, 4), scale=0.05),
            T((2, 2), "int32", data=np.array([[0, 0], [1, 1]], np.int32)),
            T((2,), scale=0.05, data=np.array([1, 2], np.int8)),
        ],
        T((1, 6), scale=0.05),
    )
    refused(two, "one element")
    six = np.zeros((6, 2), np.int32)
    six[2] = 1
    refused(padv2_model((1, 1, 2, 2, 2, 2), six.tolist(), 0), "dimensions")


def test_in_c_hand_built(tmp_path):
    data = mirror_model((1, 256), [[0, 0], [255, 255]], REFLECT)
    check_c_bit_exact(data, tmp_path / "reflect", inputs=CODES.reshape(1, 1, 256))
    data = mirror_model((1, 2, 3, 2, 3), [[0, 1], [1, 1], [2, 0], [0, 1], [1, 2]], SYMMETRIC)
    check_c_bit_exact(data, tmp_path / "symmetric", inputs=probe_inputs((1, 2, 3, 2, 3), 6))
    data = padv2_model((1, 3, 4, 2), [[0, 0], [1, 2], [2, 0], [0, 1]], 127, q=(0.02, -128))
    check_c_bit_exact(data, tmp_path / "padv2", inputs=probe_inputs((1, 3, 4, 2), 6))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c_chained(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(chained_model(), tmp_path, count=8, target=target)
