"""Quantization-aware training in Keras 3 (edgenn.optimize.qat): BatchNorm folding, and the int8 model
the converter makes from the fake-quantization ranges computing what the fake-quant model computes.

In inference the fake-quant model replays TFLite's integer arithmetic (edgenn.train.fake_quant), so
its outputs are the int8 model's as TFLM computes them: 0 LSB apart, layer by layer and end to end,
given the same int8 input (the inputs here are on the input's grid: the harness rounds floats to
int8 its own way). Its float path alone (`float_path`, what training and the converter see) parts
from TFLite near ties, which a deep network carries from layer to layer: the deep test shows both.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import EdgeNNError

pytestmark = pytest.mark.slow


def _keras():
    return pytest.importorskip("keras")


def _tflm(blob: bytes, x: np.ndarray, tmp_path):
    from edgenn.evaluate.runners import runner_for

    path = tmp_path / "model.tflite"
    path.write_bytes(blob)
    runner = runner_for("tflm", path)
    return runner.predict(x), runner.output_quant


def _lsb(fake_quant_model, blob, x, tmp_path) -> np.ndarray:
    """|int8 output - the fake-quant model's output on the same grid|, per value."""
    out, quant = _tflm(blob, x, tmp_path)
    scale, zero = float(np.ravel(quant.scale)[0]), int(np.ravel(quant.zero_point)[0])
    ref = np.round(np.asarray(fake_quant_model(x, training=False)) / scale).astype(np.int64) + zero
    return np.abs(out.astype(np.int64).reshape(ref.shape) - ref)


def _randomize_batchnorm(model, rng):
    keras = _keras()
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, n),
                    rng.normal(0, 0.2, n),
                    rng.normal(0, 0.3, n),
                    rng.uniform(0.5, 2.0, n),
                ]
            )


def _single(kind: str):
    """A model of one layer kind after the input (and what folds or fuses into it)."""
    keras = _keras()
    L = keras.layers
    inp = keras.Input((6, 6, 8))
    if kind == "conv_bn_relu":
        out = L.ReLU()(L.BatchNormalization()(L.Conv2D(12, 3, padding="same", use_bias=False)(inp)))
    elif kind == "depthwise_bn_relu6":
        out = L.ReLU(max_value=6.0)(L.BatchNormalization()(L.DepthwiseConv2D(3, strides=2, padding="same")(inp)))
    elif kind == "dense":
        out = L.Dense(7)(L.Flatten()(inp))
    elif kind == "conv_linear":
        out = L.Conv2D(5, 1)(inp)
    elif kind == "global_avgpool":
        out = L.GlobalAveragePooling2D()(inp)
    elif kind == "add_relu":
        out = L.ReLU()(L.Add()([inp, L.MaxPooling2D(1)(inp)]))  # two operands and nothing else before
    elif kind == "avgpool":  # windows that overhang the input: fewer cells to divide by
        out = L.AveragePooling2D(4, strides=3, padding="same")(inp)
    else:
        raise AssertionError(kind)
    return keras.Model(inp, out)


def _on_grid(q, x) -> np.ndarray:
    """`x` on the QAT model's input grid: the int8 input both models then see."""
    return np.asarray(q.get_layer("input_quant")(x))


@pytest.mark.parametrize(
    "kind", ["conv_bn_relu", "depthwise_bn_relu6", "dense", "conv_linear", "global_avgpool", "add_relu", "avgpool"]
)
@pytest.mark.parametrize("bits", [8, 4])
def test_each_layer_replays_the_int8_kernel_exactly(kind, bits, tmp_path):
    keras = _keras()
    from edgenn.optimize.qat import qat_model, to_int8

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    model = _single(kind)
    _randomize_batchnorm(model, rng)
    x = rng.normal(0.3, 1.0, size=(300, 6, 6, 8)).astype(np.float32)
    q = qat_model(model, x[:100], weight_bits=bits)
    d = _lsb(q, to_int8(q), _on_grid(q, x[100:]), tmp_path)
    assert d.max() == 0, (kind, bits, d.max(), (d > 0).mean())


def test_a_deep_model_replays_tflite_end_to_end_and_its_float_path_does_not(tmp_path):
    """Eight layers, each rescaled its own way: the replay is the int8 model to the last logit, while the
    float fake-quant path (what training computes) parts from it near ties and carries that on."""
    keras = _keras()
    from edgenn.optimize.qat import qat_model, to_int8
    from edgenn.train.fake_quant import float_path

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    L = keras.layers
    inp = keras.Input((12, 12, 3))
    x = L.ReLU()(L.BatchNormalization()(L.Conv2D(16, 3, padding="same", use_bias=False)(inp)))
    for _ in range(2):
        x = L.ReLU(max_value=6.0)(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)))
        skip = x
        x = L.BatchNormalization()(L.Conv2D(16, 1, use_bias=False)(x))
        x = L.ReLU()(L.Add()([x, skip]))
    x = L.AveragePooling2D(2)(x)
    x = L.Conv2D(8, 3, activation="relu")(x)
    logits = L.Dense(5)(L.GlobalAveragePooling2D()(x))
    model = keras.Model(inp, logits)
    _randomize_batchnorm(model, rng)
    data = rng.normal(0.2, 1.0, size=(400, 12, 12, 3)).astype(np.float32)
    q = qat_model(model, data[:100])
    blob, on_grid = to_int8(q), _on_grid(q, data[100:])
    assert _lsb(q, blob, on_grid, tmp_path).max() == 0
    with float_path():
        drift = _lsb(q, blob, on_grid, tmp_path)
    assert drift.max() >= 1 and (drift > 0).mean() > 0.001, (drift.max(), (drift > 0).mean())


def test_batchnorm_folds_into_the_layer_before_it():
    keras = _keras()
    from edgenn.optimize.qat import _folded_weights

    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    L = keras.layers
    inp = keras.Input((5, 5, 6))
    conv = L.Conv2D(4, 3, use_bias=True)
    dw = L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    bn1, bn2 = L.BatchNormalization(), L.BatchNormalization()
    model = keras.Model(inp, [bn1(conv(inp)), bn2(dw(inp))])
    _randomize_batchnorm(model, rng)
    x = rng.normal(size=(8, 5, 5, 6)).astype(np.float32)
    want_conv, want_dw = (np.asarray(y) for y in model(x, training=False))
    k, b = _folded_weights(conv, bn1)
    got = np.asarray(keras.ops.conv(x, k)) + b
    np.testing.assert_allclose(got, want_conv, rtol=1e-5, atol=1e-5)
    k, b = _folded_weights(dw, bn2)
    got = np.asarray(keras.ops.depthwise_conv(x, k)) + b
    np.testing.assert_allclose(got, want_dw, rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def trained():
    """A small classifier (Conv-BN-ReLU, depthwise, max pooling, Dense, Softmax) trained briefly, and its data."""
    keras = _keras()
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 8, 8, 3)).astype(np.float32)
    y = (x[:, :4, :, 0].mean((1, 2)) > x[:, 4:, :, 1].mean((1, 2))).astype(np.int64) + 2 * (x[..., 2].mean((1, 2)) > 0)
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            L.Conv2D(16, 3, padding="same", use_bias=False),
            L.BatchNormalization(),
            L.ReLU(),
            L.DepthwiseConv2D(3, padding="same", use_bias=False),
            L.BatchNormalization(),
            L.ReLU(),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dropout(0.2),
            L.Dense(4),
            L.Softmax(),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:400], y[:400], epochs=4, batch_size=32, verbose=0)
    return model, x, y


def _dataset(x, y):
    from edgenn.data.splits import Dataset

    return Dataset(x[:400], y[:400], x[400:500], y[400:500], x[500:], y[500:], ("0", "1", "2", "3"))


@pytest.mark.parametrize("compress", ["none", "int4", "lut3", "lut3t", "sparse"])
def test_fine_tuned_qat_model_converts_to_the_int8_model_it_trained_as(trained, compress, tmp_path):
    keras = _keras()
    from edgenn.graph.tflite import parse_tflite
    from edgenn.optimize.compress import compress_tflite
    from edgenn.optimize.finetune import fine_tune
    from edgenn.optimize.qat import qat_model, to_int8
    from edgenn.recipe import OptimizeSpec
    from edgenn.train.fake_quant import FakeQuant

    model, x, y = trained
    start = keras.models.clone_model(model)
    start.set_weights(model.get_weights())
    if compress == "sparse":  # a pruned model: its zeros must stay
        for layer in start.layers:
            if isinstance(layer, keras.layers.Dense):
                k = layer.kernel.numpy()
                k[np.abs(k) < np.quantile(np.abs(k), 0.5)] = 0
                layer.kernel.assign(k)
    before = qat_model(start, x[:100])
    ranges_before = {layer.name: layer.get_weights() for layer in before.layers if isinstance(layer, FakeQuant)}
    spec = OptimizeSpec(fine_tune_epochs=3, learning_rate=1e-3, batch_size=32, prune_share=0.6)
    tuned = fine_tune(start, _dataset(x, y), spec, seed=0, compress=compress, qat=True, calib=100)
    q = tuned.model
    moved = [
        layer.name
        for layer in q.layers
        if isinstance(layer, FakeQuant) and not np.allclose(layer.get_weights(), ranges_before[layer.name])
    ]
    assert moved, "the ranges follow the training batches"
    blob = to_int8(q)
    graph = parse_tflite(blob)
    assert graph.input_tensor().dtype == "int8"
    assert {t.dtype for t in graph.tensors if t.data is None} == {"int8"}  # every activation int8
    for op in graph.ops:
        if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            w = graph.tensors[op.inputs[1]]
            channels = w.shape[3] if op.name == "DEPTHWISE_CONV_2D" else w.shape[0]
            assert w.dtype == "int8" and len(w.scale) == channels, (op.name, len(w.scale))  # per channel
            if compress == "int4" and op.name != "DEPTHWISE_CONV_2D":  # depthwise kernels stay int8
                assert np.abs(w.data).max() <= 7
    if compress != "none":
        _, notes = compress_tflite(blob, compress, sparsity=0.0)
        assert notes and all(" 0 of " in n for n in notes), notes  # the weights are the encoding's already
    if compress == "sparse":
        dense = next(op for op in graph.ops if op.name == "FULLY_CONNECTED")
        assert np.mean(graph.tensors[dense.inputs[1]].data == 0) >= 0.5
    # The logits are the int8 model's, exactly; the softmax after them is float in the fake-quant model
    # and TFLite's fixed-point exp in the int8 one.
    logits = keras.Model(q.input, q.layers[-2].output)
    assert _lsb(logits, to_int8(logits), _on_grid(q, x[400:]), tmp_path).max() == 0, compress
    assert _lsb(q, blob, _on_grid(q, x[400:]), tmp_path).max() <= 1, compress


def test_saved_qat_model_loads_safely_and_still_replays_tflite(trained, tmp_path):
    keras = _keras()
    from edgenn.convert.pipeline import load_keras
    from edgenn.optimize.qat import qat_model, to_int8

    model, x, _ = trained
    q = qat_model(model, x[:100])
    q.save(tmp_path / "qat.keras")
    again = load_keras(tmp_path / "qat.keras")
    np.testing.assert_array_equal(np.asarray(again(x[:50])), np.asarray(q(x[:50])))
    logits = keras.Model(again.input, again.layers[-2].output)  # linked again, by the names it saved
    assert _lsb(logits, to_int8(logits), _on_grid(q, x[400:]), tmp_path).max() == 0


def test_layers_it_does_not_model_are_refused_by_name():
    keras = _keras()
    from edgenn.optimize.qat import qat_model

    L = keras.layers
    inp = keras.Input((6, 6, 2))
    model = keras.Model(inp, L.Dense(3)(L.Flatten()(L.LeakyReLU(name="leaky")(L.Conv2D(4, 3)(inp)))))
    with pytest.raises(EdgeNNError, match="'leaky' \\(LeakyReLU\\)"):
        qat_model(model, np.zeros((4, 6, 6, 2), np.float32))
    inp = keras.Input((6, 6, 2))
    lone = keras.Model(inp, L.BatchNormalization(name="bn_first")(inp))
    with pytest.raises(EdgeNNError, match="'bn_first'"):
        qat_model(lone, np.zeros((4, 6, 6, 2), np.float32))
