"""RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR, int8 NHWC: reference and generated C bit-exact with TFLM."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter, resize_nearest_neighbor
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import CODES, T, op_names, single_op_model

OPS = ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
# (align_corners, half_pixel_centers): every combination TFLM runs.
OPTIONS = [(False, False), (True, False), (False, True)]
# (in_h, in_w, out_h, out_w): even, odd and mixed factors up and down, identity, 1-pixel extremes.
GEOMETRIES = [
    (2, 3, 4, 6),  # x2
    (3, 2, 9, 6),  # x3
    (4, 5, 7, 13),  # non-integer up
    (8, 9, 4, 3),  # down, even and odd
    (7, 6, 2, 5),  # down, non-integer
    (5, 5, 5, 5),  # identity
    (1, 1, 3, 4),  # one pixel up
    (4, 6, 1, 1),  # down to one pixel
    (1, 5, 1, 17),  # a single row
    (3, 40, 2, 97),  # long rows: fractions of every size
    (6, 10, 49, 3),  # float32 ratios that are not exact (nearest)
]


def resize_model(op, in_hw, out_hw, align=False, half=False, depth=3, batch=1, zp=-5):
    x = T((batch, *in_hw, depth), scale=0.05, zero_point=zp)
    size = T((2,), "int32", data=np.array(out_hw, np.int32))
    y = T((batch, *out_hw, depth), scale=0.05, zero_point=zp)
    return single_op_model(op, [x, size], y, {"alignCorners": align, "halfPixelCenters": half})


def code_inputs(shape):
    """Probe inputs, then every int8 code laid out along the image and across it."""
    n = int(np.prod(shape))
    lay = [np.resize(CODES, n), np.resize(CODES[::-1], n), np.resize(CODES[::3], n)]
    return np.concatenate([probe_inputs(shape, 12), np.stack(lay).reshape(-1, *shape).astype(np.int8)])


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("align, half", OPTIONS)
def test_geometries_and_options(op, align, half):
    for in_h, in_w, out_h, out_w in GEOMETRIES:
        data = resize_model(op, (in_h, in_w), (out_h, out_w), align, half)
        check_bit_exact(data, code_inputs((1, in_h, in_w, 3)))


@pytest.mark.parametrize("op", OPS)
def test_every_code_and_zero_points(op):
    # 256 codes next to each other, both ways: every neighbouring pair of codes blended.
    for zp in (-128, 127):
        data = resize_model(op, (16, 16), (37, 23), half=True, depth=1, zp=zp)
        x = np.stack([CODES.reshape(1, 16, 16, 1), CODES.reshape(16, 16).T.reshape(1, 16, 16, 1)])
        check_bit_exact(data, np.concatenate([x, probe_inputs((1, 16, 16, 1), 6)]))


def test_batches():
    for op in OPS:
        check_bit_exact(resize_model(op, (3, 4), (5, 7), batch=2, depth=2))


def keras_model(shape=(5, 7, 3)):
    import keras

    x = keras.Input(shape)
    y = keras.layers.UpSampling2D(2, interpolation="bilinear")(x)
    y = keras.layers.Resizing(7, 9, interpolation="bilinear")(y)
    y = keras.layers.Resizing(13, 4, interpolation="nearest")(y)
    return int8_tflite(keras.Model(x, y), low=-3.0, high=3.0)


def test_keras_layers():
    data = keras_model()
    names = op_names(data)
    assert set(names) == set(OPS), names
    check_bit_exact(data)


def test_c_host(tmp_path):
    check_c_bit_exact(keras_model(), tmp_path / "keras")
    for op, align, half in [("RESIZE_BILINEAR", False, True), ("RESIZE_NEAREST_NEIGHBOR", True, False)]:
        data = resize_model(op, (3, 40), (7, 97), align, half, depth=2)
        check_c_bit_exact(data, tmp_path / op, code_inputs((1, 3, 40, 2)))


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_on_devices(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(keras_model(), tmp_path / "keras", count=12, target=target)


def prepare(data):
    return interpreter.prepare(parse_tflite(data))


def test_refusals():
    with pytest.raises(UnsupportedError, match="align_corners together with half_pixel_centers"):
        prepare(resize_model("RESIZE_BILINEAR", (2, 2), (4, 4), True, True))
    # A dynamic size: TFLM refuses it too.
    x, y = T((1, 2, 2, 1), scale=0.05), T((1, 4, 4, 1), scale=0.05)
    with pytest.raises(UnsupportedError, match="constant"):
        graph = parse_tflite(single_op_model("RESIZE_NEAREST_NEIGHBOR", [x, T((2,), "int32")], y))
        resize_nearest_neighbor.prepare(OpContext(graph, graph.ops[0]))
    with pytest.raises(UnsupportedError, match="float32"):
        f = T((1, 2, 2, 1), "float32"), T((1, 4, 4, 1), "float32")
        prepare(single_op_model("RESIZE_BILINEAR", [f[0], T((2,), "int32", data=np.array([4, 4], np.int32))], f[1]))
    with pytest.raises(UnsupportedError, match="4-D"):
        size = T((2,), "int32", data=np.array([4, 4], np.int32))
        prepare(single_op_model("RESIZE_BILINEAR", [T((2, 2, 1), scale=0.05), size], T((4, 4, 1), scale=0.05)))
    with pytest.raises(UnsupportedError, match="is not input"):
        size = T((2,), "int32", data=np.array([4, 5], np.int32))
        prepare(single_op_model("RESIZE_BILINEAR", [x, size], y))
    # A huge upscale whose rounded 10-bit scale overshoots the input: TFLM reads past it.
    with pytest.raises(UnsupportedError, match="read past"):
        prepare(resize_model("RESIZE_BILINEAR", (1, 1), (1, 2000), depth=1))
