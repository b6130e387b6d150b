"""CONCATENATION, int8: TFLM moves codes only, and refuses inputs quantized unlike the output."""

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs, tflm_outputs
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")


def concat_ops(data):
    graph = parse_tflite(data)
    assert "CONCATENATION" in graph.op_names, graph.op_names
    return graph, [op for op in graph.ops if op.name == "CONCATENATION"]


def test_branches_of_different_ranges():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(4)(x)
    b = keras.layers.Dense(3, activation="relu", kernel_initializer=keras.initializers.RandomUniform(-3.0, 3.0))(x)
    c = keras.layers.Dense(5)(x)
    data = int8_tflite(keras.Model(x, keras.layers.Concatenate()([a, b, c])))
    graph, (op,) = concat_ops(data)
    assert len(op.inputs) == 3
    check_bit_exact(data, count=64)


def test_ranges_the_converter_must_requantize():
    # One tensor feeding two concatenations of different ranges gets a QUANTIZE before one of them.
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(4)(x)
    c1 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 10.0])
    c2 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 0.1])
    data = int8_tflite(keras.Model(x, keras.layers.Add()([c1, c2])))
    graph, ops = concat_ops(data)
    assert len(ops) == 2 and "QUANTIZE" in graph.op_names
    for op in ops:
        out = graph.tensors[op.outputs[0]]
        assert all(graph.tensors[i].scale == out.scale for i in op.inputs)
    check_bit_exact(data, count=64)


@pytest.mark.parametrize("axis", [1, 2, 3, -3])
def test_model_input_with_itself(axis):
    x = keras.Input(batch_shape=(1, 4, 2, 3))
    data = int8_tflite(keras.Model(x, keras.layers.Concatenate(axis=axis)([x, x])), low=0.0, high=2.0)
    concat_ops(data)
    check_bit_exact(data)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_hand_built_with_a_constant(axis):
    shape = (2, 3)
    const_shape = tuple(4 if i == axis % 2 else d for i, d in enumerate(shape))
    out_shape = tuple(d + c if i == axis % 2 else d for i, (d, c) in enumerate(zip(shape, const_shape, strict=True)))
    const = np.arange(np.prod(const_shape), dtype=np.int8).reshape(const_shape) * 9
    data = single_op_model(
        "CONCATENATION",
        [T(const_shape, scale=0.05, zero_point=-4, data=const), T(shape, scale=0.05, zero_point=-4)],
        T(out_shape, scale=0.05, zero_point=-4),
        {"axis": axis},
    )
    concat_ops(data)
    check_bit_exact(data, inputs=probe_inputs(shape, 8))


def test_refuses_inputs_quantized_unlike_the_output():
    data = single_op_model(
        "CONCATENATION",
        [T((1, 3), scale=0.05, zero_point=3), T((1, 2), scale=0.1, zero_point=3, data=np.array([[1, 2]], np.int8))],
        T((1, 5), scale=0.05, zero_point=3),
        {"axis": 1},
    )
    concat_ops(data)
    with pytest.raises(RuntimeError):  # TFLM's Prepare fails, so the interpreter cannot allocate
        tflm_outputs(data, np.zeros((1, 1, 3), np.int8))
    with pytest.raises(UnsupportedError, match="must share quantization"):
        interpreter.prepare(parse_tflite(data))


# --- the generated C ---------------------------------------------------------------------------


def test_in_c_branches_of_different_ranges(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(4)(x)
    b = keras.layers.Dense(3, activation="relu", kernel_initializer=keras.initializers.RandomUniform(-3.0, 3.0))(x)
    c = keras.layers.Dense(5)(x)
    check_c_bit_exact(int8_tflite(keras.Model(x, keras.layers.Concatenate()([a, b, c]))), tmp_path, count=64)


@pytest.mark.parametrize("axis", [1, 2, 3])
def test_in_c_model_input_with_itself(tmp_path, axis):
    from tests.conftest import require_tool

    require_tool("gcc")
    x = keras.Input(batch_shape=(1, 4, 2, 3))
    data = int8_tflite(keras.Model(x, keras.layers.Concatenate(axis=axis)([x, x])), low=0.0, high=2.0)
    check_c_bit_exact(data, tmp_path)


@pytest.mark.parametrize("axis", [1, 2, -1])
def test_in_c_hand_built_with_constants(tmp_path, axis):
    from tests.conftest import require_tool

    require_tool("gcc")
    shape = (1, 2, 3)
    const_shapes = [tuple(n if i == axis % 3 else d for i, d in enumerate(shape)) for n in (4, 1)]
    consts = [(np.arange(np.prod(s)).reshape(s) * 9 - 100).astype(np.int8) for s in const_shapes]
    out_shape = tuple(d + 5 if i == axis % 3 else d for i, d in enumerate(shape))
    q = {"scale": 0.05, "zero_point": -4}
    data = single_op_model(
        "CONCATENATION",
        [T(const_shapes[0], **q, data=consts[0]), T(shape, **q), T(const_shapes[1], **q, data=consts[1])],
        T(out_shape, **q),
        {"axis": axis},
    )
    concat_ops(data)
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs(shape, 8))


def test_in_c_ten_inputs(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    q = {"scale": 0.1, "zero_point": 7}
    consts = [T((1, 1, i + 1), **q, data=np.full((1, 1, i + 1), 10 * i - 50, np.int8)) for i in range(9)]
    data = single_op_model(
        "CONCATENATION", [*consts[:4], T((1, 1, 2), **q), *consts[4:]], T((1, 1, 47), **q), {"axis": -1}
    )
    check_c_bit_exact(data, tmp_path, inputs=probe_inputs((1, 1, 2), 8))


class AddMul(keras.layers.Layer):
    """t * a + b for constant a per channel and b per row: a MUL and an ADD that broadcast differently."""

    def call(self, t):
        rows = np.linspace(-1.0, 1.0, t.shape[1], dtype=np.float32).reshape(-1, 1, 1)
        return t * np.array([0.5, -1.5, 2.0], np.float32) + rows


def add_mul_pad_concat_model() -> bytes:
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 5, 4, 3))
    padded = keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(x)
    y = keras.layers.Concatenate()([padded, AddMul()(padded), keras.layers.Multiply()([padded, padded])])
    return int8_tflite(keras.Model(x, keras.layers.Add()([y, keras.layers.Concatenate()([padded] * 3)])))


def test_in_c_cortex_m4(tmp_path):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    data = add_mul_pad_concat_model()
    names = parse_tflite(data).op_names
    assert {"ADD", "MUL", "PAD", "CONCATENATION"} <= set(names), names
    check_c_bit_exact(data, tmp_path, count=16, target="cortex-m4")
