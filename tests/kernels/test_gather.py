"""GATHER, int8: the reference and the generated C against TFLM, with constant indices and with
indices computed at run time (an ARG_MAX), every axis/batch_dims layout TFLM takes, and each refusal.

TFLM copies codes (no rescale, whatever the output quantization says) and reads int32 indices only.
"""

from functools import cache

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import CODES, T, op_names, single_op_model

keras = pytest.importorskip("keras")

Q_IN = {"scale": 0.05, "zero_point": -128}
Q_OUT = {"scale": 0.07, "zero_point": 127}


def samples(shape, count: int = 8) -> np.ndarray:
    """Extremes and random codes, then one sample holding every int8 code in turn."""
    return np.concatenate([probe_inputs(shape, count), np.resize(CODES, shape)[None]]).astype(np.int8)


def gather_model(in_shape, indices, out_shape, axis=0, batch_dims=0, dtype="int32") -> bytes:
    idx = np.asarray(indices, dtype)
    inputs = [T(in_shape, **Q_IN), T(idx.shape, dtype, data=idx)]
    return single_op_model("GATHER", inputs, T(out_shape, **Q_OUT), {"axis": axis, "batchDims": batch_dims})


HAND_BUILT = {  # name: (input shape, indices, output shape, axis, batch_dims)
    "rows": ((5, 3), [4, 0, 0, 2], (4, 3), 0, 0),
    "middle axis": ((1, 6, 4), [3, 0, 5], (1, 3, 4), 1, 0),
    "last axis, negative": ((1, 4, 6), [5, 1], (1, 4, 2), -1, 0),
    "2-D indices": ((1, 6, 4), [[1, 2], [5, 5], [0, 3]], (1, 3, 2, 4), 1, 0),
    "scalar index": ((1, 6, 4), 2, (1, 4), 1, 0),
    "batch_dims 1": ((2, 5, 3), [[4, 0], [1, 1]], (2, 2, 3), 1, 1),
    "batch_dims 1, later axis": ((2, 3, 5), [[4, 0, 2], [1, 1, 3]], (2, 3, 3), 2, 1),
    "batch_dims -1": ((2, 5, 3), [[4, 0], [1, 1]], (2, 2, 3), 1, -1),
    "all 256 codes": ((1, 256), list(range(255, -1, -1)), (1, 256), 1, 0),
}


@pytest.mark.parametrize("name", list(HAND_BUILT))
def test_hand_built(name):
    in_shape, indices, out_shape, axis, batch_dims = HAND_BUILT[name]
    check_bit_exact(gather_model(in_shape, indices, out_shape, axis, batch_dims), samples(in_shape))


REFUSED = {  # name: (model, message)
    "index past the end": (lambda: gather_model((1, 6, 4), [1, 6], (1, 2, 4), 1), "index 6 is out of range"),
    "negative index": (lambda: gather_model((1, 6, 4), [-1], (1, 1, 4), 1), "index -1 is out of range"),
    "int16 indices": (lambda: gather_model((1, 6, 4), [1], (1, 1, 4), 1, dtype="int16"), "int16"),
    "axis out of range": (lambda: gather_model((1, 6, 4), [1], (1, 6, 4, 1), 3), "axis 3 is out of range"),
    "batch_dims past the axis": (lambda: gather_model((2, 5, 3), [[1], [2]], (2, 1, 3), 0, 1), "batch_dims 1"),
    "batch dims differ": (lambda: gather_model((2, 5, 3), [[1], [2], [0]], (2, 3, 1, 3), 1, 1), "first 1 dims"),
    "wrong output shape": (lambda: gather_model((1, 6, 4), [1, 2], (1, 2, 2), 1), "output shape"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refuses(name):
    make, match = REFUSED[name]
    with pytest.raises(UnsupportedError, match=match):
        interpreter.prepare(parse_tflite(make()))


@cache
def gather_graph() -> bytes:
    """Constant indices (a tf.gather) and indices from an ARG_MAX (a per-row lookup by batch_dims 2)."""
    import tensorflow as tf

    class Lookup(keras.layers.Layer):
        def call(self, t):
            idx = tf.argmax(t, axis=-1, output_type=tf.int32)  # (1, 6), each in [0, 4)
            return tf.gather(t * 2.0 + 0.5, idx, axis=2, batch_dims=2)  # (1, 6)

    keras.utils.set_random_seed(0)
    x = keras.Input(shape=(6, 4), batch_size=1)
    picked = keras.layers.Lambda(lambda t: tf.gather(t, [3, 0, 0, 5], axis=1))(x)  # (1, 4, 4)
    y = keras.layers.Concatenate()([keras.layers.Reshape((16,))(picked), Lookup()(x)])
    data = int8_tflite(keras.Model(x, y))
    assert {"GATHER", "ARG_MAX"} <= set(op_names(data)), op_names(data)
    return data


def test_from_keras():
    check_bit_exact(gather_graph(), samples((1, 6, 4), 24))


def test_run_time_index_out_of_range_gives_zeros():
    """TFLM leaves it undefined (it reads outside the input); the reference and the C write zeros."""
    from edgenn.reference import gather

    p = gather.Params(batch=1, outer=1, axis_size=3, coord_size=3, inner=2, output_shape=(3, 2))
    x = np.arange(6, dtype=np.int8).reshape(3, 2)
    got = gather.run(p, [x, np.array([2, 3, -1], np.int32)])
    np.testing.assert_array_equal(got, [[4, 5], [0, 0], [0, 0]])


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(gather_graph(), tmp_path / "graph", samples((1, 6, 4)), target=target)
    if target == "host":
        in_shape, indices, out_shape, axis, batch_dims = HAND_BUILT["batch_dims 1, later axis"]
        data = gather_model(in_shape, indices, out_shape, axis, batch_dims)
        check_c_bit_exact(data, tmp_path / "batch", samples(in_shape))
