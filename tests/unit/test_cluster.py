"""Fine-tuning for packed weights in Keras 3 (edgenn.optimize.cluster, block pruning in prune.py): the
masks and projections themselves, then a small convolutional model (with BatchNorm, folded by the
converter) fine-tuned for each compression and converted to int8, whose weights the encoding then
holds as they are: edgenn.optimize.compress changes none of them, and codegen packs every layer."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.optimize.cluster import channels, from_channels, kmeans_1d, project_shared, shared_clusters, snap_to_grid
from edgenn.optimize.prune import block_mask


def test_block_mask_zeroes_whole_blocks_of_two_channels_by_four_values():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 5, 6)).astype(np.float32)  # 45 values a channel: 12 blocks, the last partial
    mask = block_mask(kernel, 0.5)
    rows = channels(mask)
    assert rows.shape == (6, 45)
    dropped_blocks = 0
    for p in range(3):
        pair = rows[2 * p : 2 * p + 2]
        for b in range(12):
            block = pair[:, 4 * b : 4 * b + 4]
            assert block.min() == block.max(), (p, b)  # kept or dropped whole
            dropped_blocks += block.max() == 0
    assert dropped_blocks == 18  # half of the 3 x 12 blocks
    norms = np.abs(kernel).reshape(-1, 6).T
    dropped = norms[rows == 0].mean()
    kept = norms[rows == 1].mean()
    assert dropped < kept  # the smallest blocks went
    again = block_mask(kernel * 10, 0.75, mask)
    assert np.all(again <= mask)  # what was pruned stays pruned


def test_kmeans_keeps_zeros_a_cluster_of_their_own():
    v = np.array([0.0, 0.0, 1.0, 1.1, 5.0, 5.2, -3.0, -3.1, 9.0])
    centroids, assign = kmeans_1d(v, 4)
    assert centroids.size == 4 and centroids[0] == 0.0
    assert np.all(assign[:2] == 0) and np.all(assign[2:] != 0)
    assert len(np.unique(centroids[assign])) == 4


def test_kmeans_keeps_values_already_clustered_exactly():
    rng = np.random.default_rng(3)
    levels = np.array([-0.731, -0.2, 0.0, 0.45])
    v = levels[rng.integers(0, 4, 200)] * 1.37  # a clustered channel after BatchNorm folds a factor into it
    centroids, assign = kmeans_1d(v, 4)
    np.testing.assert_array_equal(centroids[assign], v)


def test_shared_clusters_keep_each_channels_scale_and_one_set_of_int8_values():
    rng = np.random.default_rng(4)
    rows = rng.normal(size=(6, 40)) * rng.uniform(0.1, 3.0, (6, 1))  # channels of different magnitudes
    rows[2, :10] = 0.0  # pruned weights stay a cluster of their own
    codes = rows / np.abs(rows).max(1, keepdims=True) * 127
    assign = shared_clusters(codes, 8)
    projected = project_shared(rows, assign, zeros=True)
    np.testing.assert_allclose(np.abs(projected).max(1), np.abs(rows).max(1), rtol=1e-12)  # the scale stays
    np.testing.assert_array_equal(projected[2, :10], 0)
    int8 = np.round(projected / (np.abs(projected).max(1, keepdims=True) / 127))  # as the converter scales
    assert len(np.unique(int8)) <= 8
    np.testing.assert_allclose(project_shared(projected, assign, zeros=True), projected, rtol=1e-12)  # a projection


def test_grid_is_symmetric_4_bit_per_channel():
    rows = np.array([[0.7, -0.35, 0.1, 0.0], [-2.0, 1.0, 0.5, 0.3]])
    snapped = snap_to_grid(rows)
    steps = np.abs(rows).max(1, keepdims=True) / 7
    k = snapped / steps
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    assert np.abs(k).max() <= 7
    kernel = rows.T.reshape(1, 1, 4, 2)  # a pointwise Conv2D kernel holding the two rows as its channels
    np.testing.assert_array_equal(channels(kernel), rows)
    np.testing.assert_array_equal(from_channels(channels(kernel), kernel.shape), kernel)


@pytest.fixture(scope="module")
def trained():
    """A small model trained briefly on a separable task, and its data."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6, 6, 4)).astype(np.float32)
    y = (x[:, :3].sum((1, 2, 3)) > x[:, 3:].sum((1, 2, 3))).astype(np.int64) + 2 * (x[..., 0].mean((1, 2)) > 0)
    inp = keras.Input((6, 6, 4))
    h = keras.layers.Conv2D(12, 3, padding="same", use_bias=False)(inp)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2D(16, 3, padding="same")(h)
    h = keras.layers.Flatten()(keras.layers.ReLU()(h))
    model = keras.Model(inp, keras.layers.Dense(4)(h))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    return model, x, y


@pytest.mark.parametrize("scheme", ["lut2", "lut3", "lut3t", "int4", "sparse"])
def test_fine_tuned_weights_convert_into_the_encoding(trained, scheme):
    keras = pytest.importorskip("keras")
    from edgenn.convert.tflite import batch_one
    from edgenn.data.splits import Dataset
    from edgenn.export.codegen import generate
    from edgenn.graph.tflite import parse_tflite
    from edgenn.optimize.compress import compress_tflite
    from edgenn.optimize.finetune import fine_tune
    from edgenn.recipe import OptimizeSpec
    from tests.kernels.harness import int8_tflite

    model, x, y = trained
    ds = Dataset(x[:192], y[:192], x[192:], y[192:], x[192:], y[192:], ("a", "b", "c", "d"))
    spec = OptimizeSpec(fine_tune_epochs=3, learning_rate=1e-3, batch_size=32, prune_share=0.6)
    tuned = fine_tune(keras.models.clone_model(model), ds, spec, 0, 0.5 if scheme == "sparse" else 0.0, scheme)
    data = int8_tflite(batch_one(keras, tuned.model), x[:64])
    again, notes = compress_tflite(data, scheme, sparsity=0.0)
    graph, rewritten = parse_tflite(data), parse_tflite(again)
    packable = [op for op in graph.ops if op.name in ("CONV_2D", "FULLY_CONNECTED")]
    assert len(packable) == 3
    for op in packable:
        w = graph.tensors[op.inputs[1]].data.reshape(graph.tensors[op.inputs[1]].shape[0], -1)
        if scheme.startswith("lut"):  # lutBt: for the whole layer, after BatchNorm folded its factors in
            assert max(len(np.unique(r)) for r in ([w] if scheme.endswith("t") else w)) <= 1 << int(scheme[3]), op.index
        if scheme != "int4":  # int4 rescales the weights into [-7, 7]; the others leave them as they are
            np.testing.assert_array_equal(rewritten.tensors[op.inputs[1]].data, graph.tensors[op.inputs[1]].data)
    gen = generate(rewritten, "net", "test", compress=scheme)
    assert set(gen.packings) == {op.index for op in packable}
    if scheme.endswith("t"):
        assert all(p.table_step == 0 for p in gen.packings.values())  # one table a layer
