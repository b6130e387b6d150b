"""UNIDIRECTIONAL_SEQUENCE_LSTM (int8 x int8, int16 cell): reference and C against TFLM.

Hand-built LSTMs (the 24 inputs in TFLM's layout, scales chosen as the converter chooses them)
cover sizes, time-major layout, several batches, cell scales, clipping and hidden-state zero
points. Each check feeds a stream of inputs to one interpreter, so the state carried from one
invocation to the next is checked too. Keras 3 LSTMs go through the real converter as well
(`lstm_tflite`: the converter fuses an LSTM function marked the way Keras 2 marked it).
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import interpreter
from tests.conftest import require_target_tools
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, probe_inputs
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")

OMITTED = (9, 10, 11, 16, 17, 20, 21, 22, 23)


def lstm_model(
    time_steps=5,
    features=3,
    units=4,
    batches=1,
    time_major=False,
    cell_power=-15,
    clip=10.0,
    input_q=(1 / 128, -3),
    hidden_q=(1 / 128, -17),
    weight_range=1.0,
    seed=0,
    keep=(),
    per_channel=False,
    cell_scale=None,
    activation=schema.ActivationFunctionType.TANH,
) -> bytes:
    """A one-op LSTM whose weights are random int8 codes at the scale of a float range of
    +-weight_range, biases at input scale x weight scale, as the converter quantizes them."""
    rng = np.random.default_rng(seed)
    in_shape = (time_steps, batches, features) if time_major else (batches, time_steps, features)
    specs: list[T | None] = [T(in_shape, scale=input_q[0], zero_point=input_q[1])]
    w_scales = rng.uniform(0.3, 1.0, 8) * weight_range / 127
    for k in range(8):
        shape = (units, features if k < 4 else units)
        w = rng.integers(-127, 128, shape).astype(np.int8)
        specs.append(T(shape, scale=w_scales[k], data=w))
    specs += [None] * 3
    for k in range(4):
        b = np.round(rng.uniform(-1, 1, units) / (input_q[0] * w_scales[k])).astype(np.int32)
        specs.append(T((units,), "int32", scale=input_q[0] * w_scales[k], data=b))
    specs += [None] * 2
    specs.append(T((batches, units), scale=hidden_q[0], zero_point=hidden_q[1], variable=True))
    specs.append(T((batches, units), "int16", scale=cell_scale or 2.0**cell_power, variable=True))
    specs += [None] * 4
    for i in keep:
        specs[i] = T((units,), "int16", scale=1e-3, data=np.ones(units, np.int16))
    placeholder = T((1,), data=np.zeros(1, np.int8))
    out = T((*in_shape[:2], units), scale=hidden_q[0], zero_point=hidden_q[1])
    options = {"fusedActivationFunction": activation, "cellClip": clip, "timeMajor": time_major}
    data = single_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM", [s or placeholder for s in specs], out, options)
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    op = model.subgraphs[0].operators[0]
    op.inputs = [i if specs[i] is not None else -1 for i in range(24)]
    if per_channel:
        model.subgraphs[0].tensors[1].quantization.scale = [0.01] * units
        model.subgraphs[0].tensors[1].quantization.zeroPoint = [0] * units
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# (time steps, features, units, keyword arguments): sizes, layouts and quantization corners.
CASES = [
    (1, 3, 4, {}),
    (5, 13, 16, {}),
    (16, 13, 32, {}),
    (16, 3, 32, {"weight_range": 4.0, "seed": 1}),  # gates saturate
    (5, 3, 4, {"weight_range": 0.05, "seed": 2}),  # small weights: small multipliers
    (5, 13, 16, {"time_major": True, "seed": 3}),
    (4, 3, 8, {"batches": 3, "seed": 4}),
    (4, 3, 8, {"batches": 2, "time_major": True, "seed": 5}),
    (6, 3, 8, {"cell_power": -11, "clip": 0.0, "seed": 6}),  # tanh multiplier absorbs the shift
    (6, 3, 8, {"cell_power": -12, "clip": 0.5, "seed": 7}),  # clipping bites
    (6, 3, 8, {"cell_power": -15, "clip": 0.0, "seed": 8}),  # saturating int16 sums, no clip
    (6, 3, 8, {"hidden_q": (1 / 256, 127), "input_q": (0.05, -128), "seed": 9}),
    (6, 3, 8, {"hidden_q": (1 / 100, -128), "input_q": (0.003, 127), "seed": 10}),
    (6, 3, 8, {"hidden_q": (1 / 1024, 0), "weight_range": 3.0, "seed": 15}),  # the hidden state saturates
]


@pytest.mark.parametrize("time_steps, features, units, kwargs", CASES)
def test_reference_is_bit_exact_with_tflm(time_steps, features, units, kwargs):
    check_bit_exact(lstm_model(time_steps, features, units, **kwargs), count=24)


def test_state_carries_between_runs():
    data = lstm_model(3, 3, 8, seed=11)
    x = probe_inputs((1, 3, 3), 8)
    outs = check_bit_exact(data, inputs=np.concatenate([x, x]))
    assert not np.array_equal(outs[:8], outs[8:])  # the same inputs again meet another state


def test_c_is_bit_exact_on_the_host(tmp_path):
    check_c_bit_exact(lstm_model(16, 13, 32, seed=12, weight_range=2.0), tmp_path / "a", count=16)
    check_c_bit_exact(lstm_model(6, 3, 8, cell_power=-12, clip=0.5, seed=13), tmp_path / "b")
    check_c_bit_exact(lstm_model(4, 3, 8, batches=2, time_major=True, seed=16), tmp_path / "c")


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_c_is_bit_exact_on_a_device(tmp_path, target):
    require_target_tools(target)
    data = lstm_model(5, 13, 16, cell_power=-11, hidden_q=(1 / 256, 127), seed=14, weight_range=3.0)
    check_c_bit_exact(data, tmp_path, count=12, target=target)


def _lstm_body(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
    """Keras' standard LSTM with the signature and results (last output, sequence, h, c, runtime)
    the converter's Keras-LSTM fusion expects; the converter replaces the body by the fused op."""
    import tensorflow as tf

    h, c, steps = init_h, init_c, []
    for t in range(inputs.shape[1]):
        z = tf.matmul(inputs[:, t], kernel) + tf.matmul(h, recurrent_kernel) + bias
        zi, zf, zc, zo = tf.split(z, 4, axis=1)
        c = tf.sigmoid(zf) * c + tf.sigmoid(zi) * tf.tanh(zc)
        h = tf.sigmoid(zo) * tf.tanh(c)
        steps.append(h)
    return h, tf.stack(steps, axis=1), h, c, tf.constant(1.0)


def lstm_tflite(model, calib: np.ndarray, workdir) -> bytes:
    """Full-integer int8 TFLite of a sequential Keras 3 model of LSTM and Dense layers, each LSTM
    fused into UNIDIRECTIONAL_SEQUENCE_LSTM.

    Keras 3's LSTM traces to a while loop the converter cannot fuse (and, with batch 1, has been
    seen to crash it). Keras 2 marked its LSTM function with `api_implements = "lstm_<id>"`, which
    the converter replaces by the fused op when it reads a SavedModel; this does the same with the
    Keras 3 layer's weights.
    """
    import tensorflow as tf

    from edgenn.convert.tflite import to_tflite

    attributes = {"api_preferred_device": "CPU", "time_major": False, "go_backwards": False}
    shape = (1, *model.input_shape[1:])
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    # Every weight becomes a constant: captured Keras variables would stay variables in the SavedModel.
    weights = [[tf.constant(w) for w in layer.get_weights()] for layer in layers]
    for layer in layers:
        assert isinstance(layer, (keras.layers.LSTM, keras.layers.Dense)), f"{layer.name}: LSTM or Dense only"

    def forward(x):
        for layer, w in zip(layers, weights, strict=True):
            if isinstance(layer, keras.layers.Dense):
                x = layer.activation(tf.matmul(x, w[0]) + w[1] if layer.use_bias else tf.matmul(x, w[0]))
                continue
            fused = tf.function(
                _lstm_body,
                autograph=False,
                experimental_attributes={**attributes, "api_implements": f"lstm_{layer.name}_{id(layer)}"},
            )
            zeros = tf.zeros((1, layer.units))
            last, sequence, *_ = fused(x, zeros, zeros, *w)
            x = sequence if layer.return_sequences else last
        return x

    module = tf.Module()
    module.serve = tf.function(forward, input_signature=[tf.TensorSpec(shape, tf.float32)])
    tf.saved_model.save(module, str(workdir), signatures=module.serve.get_concrete_function())
    return to_tflite(lambda: tf.lite.TFLiteConverter.from_saved_model(str(workdir)), "int8_per_channel", calib)


# Keras 3 LSTMs through the real converter: (time steps, features, units, return_sequences).
CONVERTED = [(1, 3, 4, False), (5, 13, 16, True), (16, 13, 32, False), (16, 3, 32, True)]


@pytest.mark.parametrize("time_steps, features, units, sequences", CONVERTED)
def test_converted_keras_lstm(time_steps, features, units, sequences, tmp_path):
    keras.utils.set_random_seed(units * time_steps + features)
    x = keras.Input((time_steps, features))
    model = keras.Model(x, keras.layers.LSTM(units, return_sequences=sequences)(x))
    calib = np.random.default_rng(0).uniform(-1, 1, (64, time_steps, features)).astype(np.float32)
    data = lstm_tflite(model, calib, tmp_path / "saved")
    assert parse_tflite(data).op_names[0] == "UNIDIRECTIONAL_SEQUENCE_LSTM"
    check_bit_exact(data, count=24)
    if units == 32 and not sequences:
        check_c_bit_exact(data, tmp_path / "c", count=12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"keep": (9,)}, "peepholes"),
        ({"keep": (16,)}, "projection"),
        ({"keep": (20,)}, "layer normalisation"),
        ({"per_channel": True}, "one per tensor"),
        ({"cell_scale": 3e-5}, "not a power of two"),
        ({"cell_power": 3}, "too coarse"),
        ({"activation": schema.ActivationFunctionType.RELU}, "activation RELU"),
    ],
)
def test_refusals(kwargs, match):
    with pytest.raises(UnsupportedError, match=match):
        interpreter.prepare(parse_tflite(lstm_model(**kwargs)))
