"""SPLIT, SPLIT_V, UNPACK and PACK, int8.

TFLM copies codes in all four and checks no quantization, so every case checks that each code
lands where TFLM puts it, whatever the outputs' quantization says. One-op models with several
graph outputs compare every output with TFLM's (the generated C serves one output, so the C runs
converter-built graphs whose pieces meet again in CONCATENATION and PACK); each refusal too.
"""

from functools import cache

import flatbuffers
import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import NUMPY_DTYPES, parse_tflite, schema
from edgenn.reference import interpreter, kernel_for
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs
from tests.kernels.op_models import CODES, T, assert_same_bytes, check_c_bytes_exact, op_names, single_op_model

keras = pytest.importorskip("keras")

# Input quantization, and another one for the outputs: TFLM copies the codes either way.
Q_IN = {"scale": 0.05, "zero_point": -128}
Q_OUT = {"scale": 0.07, "zero_point": 127}


def samples(shape, count: int = 6, dtype: str = "int8") -> np.ndarray:
    """Extremes and random codes, then one sample holding every int8 code in turn; for int16 and
    float32, random values and every bit pattern of their bytes that the int8 codes make."""
    if dtype == "int8":
        return np.concatenate([probe_inputs(shape, count), np.resize(CODES, shape)[None]]).astype(np.int8)
    kind = np.dtype(NUMPY_DTYPES[dtype])
    codes = np.resize(CODES, (count, int(np.prod(shape)) * kind.itemsize)).copy()
    np.random.default_rng(0).shuffle(codes, axis=1)
    return codes.view(kind).reshape(count, *shape)


def check_every_output(data: bytes) -> None:
    """Every graph output of a one-op model, reference against TFLM (interpreter.prepare serves one output)."""
    from tflite_micro import runtime

    from edgenn.console import native_quiet

    graph = parse_tflite(data)
    prepared = [
        interpreter.Prepared(op, m, m.prepare(OpContext(graph, op))) for op in graph.ops if (m := kernel_for(graph, op))
    ]
    with native_quiet():
        it = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)
    x = samples(graph.input_tensor().shape, dtype=graph.input_tensor().dtype)
    for i, index in enumerate(graph.outputs):
        want = []
        for sample in x:
            it.set_input(sample, 0)
            it.invoke()
            want.append(it.get_output(i).copy())
        got = np.stack([interpreter.run_all(graph, sample, prepared)[index] for sample in x])
        assert_same_bytes(got, np.stack(want), f"output {i}")


def one_output(data: bytes, k: int) -> bytes:
    """The model with only its output k as a graph output (the generated C serves one)."""
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    model.subgraphs[0].outputs = [model.subgraphs[0].outputs[k]]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def refuses(data: bytes, match: str) -> None:
    graph = parse_tflite(data)
    with pytest.raises(UnsupportedError, match=match):
        for op in graph.ops:
            kernel_for(graph, op).prepare(OpContext(graph, op))


def axis_t(axis: int) -> T:
    return T((), "int32", data=np.array(axis, np.int32))


def q(dtype: str, which: dict) -> dict:
    return {} if dtype == "float32" else which if dtype == "int8" else {"scale": which["scale"]}


def split_model(in_shape, axis, out_shapes, axis_const=True, dtype="int8") -> bytes:
    a = axis_t(axis) if axis_const else T((), "int32")
    inputs = [a, T(in_shape, dtype, **q(dtype, Q_IN))]
    return single_op_model(
        "SPLIT", inputs, [T(s, dtype, **q(dtype, Q_OUT)) for s in out_shapes], {"numSplits": len(out_shapes)}
    )


def split_v_model(in_shape, sizes, axis, out_shapes, dtype="int8") -> bytes:
    sizes_t = T((len(sizes),), "int32", data=np.array(sizes, np.int32))
    inputs = [T(in_shape, dtype, **q(dtype, Q_IN)), sizes_t, axis_t(axis)]
    outputs = [T(s, dtype, **q(dtype, Q_OUT)) for s in out_shapes]
    return single_op_model("SPLIT_V", inputs, outputs, {"numSplits": len(sizes)})


def unpack_model(in_shape, axis, num, out_shapes, dtype="int8") -> bytes:
    outputs = [T(s, dtype, **q(dtype, Q_OUT)) for s in out_shapes]
    return single_op_model("UNPACK", [T(in_shape, dtype, **q(dtype, Q_IN))], outputs, {"num": num, "axis": axis})


def pack_model(in_shape, n, axis, out_shape, count=None, dtype="int8") -> bytes:
    inputs = [T(in_shape, dtype, **q(dtype, Q_IN))] + [
        T(in_shape, **Q_IN, data=np.full(in_shape, 7 * i - 100, np.int8)) for i in range(1, n)
    ]
    options = {"valuesCount": n if count is None else count, "axis": axis}
    return single_op_model("PACK", inputs, T(out_shape, **Q_OUT), options)


@pytest.mark.parametrize(
    "in_shape, axis, out_shapes",
    [
        ((1, 6, 4), 1, [(1, 2, 4)] * 3),
        ((1, 6, 4), -1, [(1, 6, 2)] * 2),
        ((2, 3, 4, 5), 2, [(2, 3, 1, 5)] * 4),
        ((256,), 0, [(64,)] * 4),
    ],
)
def test_split_hand_built(in_shape, axis, out_shapes):
    check_every_output(split_model(in_shape, axis, out_shapes))


@pytest.mark.parametrize(
    "in_shape, sizes, axis, out_shapes",
    [
        ((1, 7, 3), [1, 4, 2], 1, [(1, 1, 3), (1, 4, 3), (1, 2, 3)]),
        ((1, 4, 9), [5, 4], -1, [(1, 4, 5), (1, 4, 4)]),
        ((2, 2, 2, 2, 4), [1, 1], 3, [(2, 2, 2, 1, 4)] * 2),
    ],
)
def test_split_v_hand_built(in_shape, sizes, axis, out_shapes):
    check_every_output(split_v_model(in_shape, sizes, axis, out_shapes))


@pytest.mark.parametrize(
    "in_shape, axis, out_shape", [((1, 4, 3), 1, (1, 3)), ((1, 4, 3), -1, (1, 4)), ((3, 2, 5), 0, (2, 5))]
)
def test_unpack_hand_built(in_shape, axis, out_shape):
    n = in_shape[axis]
    check_every_output(unpack_model(in_shape, axis, n, [out_shape] * n))


@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_wider_types_hand_built(dtype):
    """TFLM copies int16 and float32 pieces as it does int8 ones: every bit pattern lands as it was."""
    check_every_output(split_model((1, 6, 4), 1, [(1, 2, 4)] * 3, dtype=dtype))
    check_every_output(split_v_model((1, 7, 3), [1, 4, 2], 1, [(1, 1, 3), (1, 4, 3), (1, 2, 3)], dtype=dtype))
    check_every_output(unpack_model((1, 4, 3), -1, 3, [(1, 4)] * 3, dtype=dtype))


@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_in_c_wider_types(dtype, tmp_path):
    """Pieces that start inside the input, in C: a SPLIT_V's middle piece and an UNPACK's last slice."""
    cases = {
        "split_v": (split_v_model((1, 7, 3), [1, 4, 2], 1, [(1, 1, 3), (1, 4, 3), (1, 2, 3)], dtype=dtype), 1),
        "unpack": (unpack_model((1, 4, 3), 1, 4, [(1, 3)] * 4, dtype=dtype), 3),
    }
    for name, (data, k) in cases.items():
        data = one_output(data, k)
        check_c_bytes_exact(data, tmp_path / name, samples(parse_tflite(data).input_tensor().shape, dtype=dtype))


@pytest.mark.parametrize(
    "in_shape, n, axis, out_shape",
    [((1, 4, 3), 3, 1, (1, 3, 4, 3)), ((1, 4, 3), 2, -1, (1, 4, 3, 2)), ((1, 256), 10, 0, (10, 1, 256))],
)
def test_pack_hand_built(in_shape, n, axis, out_shape):
    check_bit_exact(pack_model(in_shape, n, axis, out_shape), samples(in_shape))


@pytest.mark.parametrize(
    "data, match",
    [
        (lambda: split_model((1, 6), 1, [(1, 3)] * 2, axis_const=False), "constant"),
        (lambda: split_model((1, 6), 1, [(1, 2), (1, 4)]), "equal pieces"),
        (lambda: split_model((1, 6), 1, [(1, 2)] * 4), "equal pieces"),
        (lambda: split_model((1, 6), 2, [(1, 3)] * 2), "out of range"),
        (lambda: split_model((2, 6), 0, [(1, 3)] * 2), "not output 0.s piece"),
        (lambda: split_v_model((1, 6), [2, 2], 1, [(1, 2), (1, 2)]), "do not cut"),
        (lambda: split_v_model((1, 6), [2, 4], 1, [(1, 2), (2, 4)]), "not output 1's piece"),
        (lambda: unpack_model((1, 3, 2), 1, 2, [(1, 2)] * 2), "num 2"),
        (lambda: unpack_model((1, 3, 2), 1, 3, [(1, 3)] * 3), "not output 0's piece"),
        (lambda: pack_model((1, 3), 2, 1, (1, 2, 3), count=3), "values_count 3"),
        (lambda: pack_model((1, 3), 11, 0, (11, 1, 3)), "11 inputs"),
        (lambda: pack_model((1, 3), 2, 1, (1, 3, 2)), r"not 2 inputs \(1, 3\) stacked along axis 1"),
        (lambda: pack_model((1, 3), 2, 3, (1, 3, 2)), "out of range"),
        (lambda: unpack_model((1, 2), 1, 2, [(1,)] * 2, dtype="int32"), "int32"),
        (lambda: pack_model((1, 3), 2, 0, (2, 1, 3), dtype="int16"), "int16"),
    ],
)
def test_refuses(data, match):
    refuses(data(), match)


@cache
def plumbing_model() -> bytes:
    """SPLIT, SPLIT_V, UNPACK and PACK in one converted graph, their pieces meeting again in one output.
    Every UNPACK slice is used: with some left over, the converter now and then leaves UNPACK float."""
    keras.utils.set_random_seed(0)
    x = keras.Input(shape=(6, 4), batch_size=1)
    a, b, c = keras.ops.split(x, 3, axis=1)  # SPLIT
    d, e = keras.ops.split(x, [1], axis=-1)  # SPLIT_V, lengths 1 and 3
    u = keras.ops.unstack(x, axis=1)  # UNPACK
    s = keras.ops.stack([u[3], u[0], u[5], u[1], u[4], u[2]], axis=1)  # PACK, every slice in another order
    y = keras.layers.Concatenate(axis=1)([c, a, b, s])
    z = keras.layers.Concatenate(axis=-1)([e, d])
    y = keras.layers.Concatenate(axis=1)([keras.layers.Reshape((-1,))(y), keras.layers.Reshape((-1,))(z)])
    data = int8_tflite(keras.Model(x, y))
    names = set(op_names(data))
    assert {"SPLIT", "SPLIT_V", "UNPACK", "PACK"} <= names and "DEQUANTIZE" not in names, names
    return data


def test_from_keras():
    check_bit_exact(plumbing_model(), samples((1, 6, 4), 24))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(plumbing_model(), tmp_path, samples((1, 6, 4), 12), target=target)
