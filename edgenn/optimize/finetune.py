"""Fine-tuning after pruning, with the epoch kept chosen on the validation split.

One routine serves structured pruning (fewer channels: the smaller network retrains to recover)
and unstructured pruning (magnitude pruning on the polynomial schedule during the first
`prune_share` of the epochs, the rest at full sparsity). The test split is never seen here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from edgenn.data.splits import Dataset
from edgenn.recipe import OptimizeSpec
from edgenn.tfimport import tensorflow
from edgenn.train.layers import outputs_probabilities


@dataclass(frozen=True)
class FineTuned:
    model: object  # a fresh, uncompiled Keras model (pruning state stripped)
    best_epoch: int
    best_val_accuracy: float
    seconds: float
    targets: dict[str, float]  # per-layer final sparsity; empty without unstructured pruning


def fine_tune(
    model,
    ds: Dataset,
    spec: OptimizeSpec,
    seed: int,
    sparsity: float = 0.0,
    compress: str = "none",
    qat: bool = False,
    calib: int = 200,
) -> FineTuned:
    """Train `model` further on ds's training split, pruning it to `sparsity` on the way, and keeping
    its weights where `compress` (edgenn.optimize.compress's schemes) packs them: "sparse" prunes the
    Conv2D and Dense kernels in blocks of 2 channels x 4 values, "lutB" clusters each of their channels
    to 2^B shared values ("lutBt": 2^B values that all of a layer's channels share, in units of each
    channel's step), "int4" keeps each on a symmetric 4-bit grid (edgenn.optimize.cluster).

    With `qat`, the model trains as its int8 model computes (edgenn.optimize.qat: BatchNorm folded,
    weights and activations fake-quantized, ranges set on `calib` training samples), at the spec's
    qat_learning_rate; "int4" then trains through the 4-bit grid, and the zeros of an already pruned
    model stay zero. Start it from a model fine-tuned for `compress`: its clusters are kept as they are.
    The returned model is the fake-quantized one: edgenn.optimize.qat.to_int8 converts it.

    The epoch kept is the best on the validation split among those trained at full sparsity
    (every epoch when `sparsity` is 0); with `qat`, as the int8 model classifies it (validation runs
    the fake-quant model in inference, where it replays TFLite's integer arithmetic).
    """
    if sparsity > 0 and (compress == "int4" or compress.startswith("lut") or qat):
        what = "quantization-aware training" if qat else compress
        raise ValueError(f"prune first, then fine-tune for {what}: the clusters and ranges are set at the start")
    tf = tensorflow()
    import keras

    from edgenn.optimize.prune import MagnitudePruning, default_targets, strip

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    # Layers draw their random seeds (Dropout's masks) when they are made: remake them under the seed
    # just set, or the result would depend on what the process did before.
    model = strip(model)
    if qat:
        from edgenn.optimize.qat import qat_model

        model = qat_model(model, ds.x_train[:calib], weight_bits=4 if compress == "int4" else 8)
    model.compile(
        optimizer=keras.optimizers.Adam(spec.qat_learning_rate if qat else spec.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=not outputs_probabilities(model)),
        metrics=["accuracy"],
    )
    callbacks = []
    pruning = None
    if sparsity > 0:
        steps = math.ceil(len(ds.y_train) / spec.batch_size)
        pruning = MagnitudePruning(
            default_targets(model, sparsity),
            begin_step=0,
            end_step=max(1, int(steps * spec.fine_tune_epochs * spec.prune_share)),
            frequency=max(1, steps // 4),
            blocks=compress == "sparse",
        )
        callbacks.append(pruning)
    if compress == "int4" or compress.startswith("lut") or qat:
        from edgenn.optimize import cluster

        if compress.startswith("lut"):  # lutBt: one table of values for a layer's channels
            callbacks.append(cluster.ClusterWeights(int(compress[3]), shared=compress.endswith("t")))
        elif compress == "int4" and not qat:  # with qat the forward pass puts the weights on the grid
            callbacks.append(cluster.GridWeights())
        elif sparsity == 0:
            callbacks.append(cluster.KeepZeros())
    best = {"val_accuracy": -1.0, "epoch": 0, "weights": None}

    class KeepBest(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            at_target = pruning is None or pruning.step >= pruning.end_step
            if at_target and logs["val_accuracy"] > best["val_accuracy"]:
                best.update(val_accuracy=logs["val_accuracy"], epoch=epoch + 1, weights=self.model.get_weights())

    callbacks.append(KeepBest())
    start = time.perf_counter()
    model.fit(
        ds.x_train,
        ds.y_train,
        validation_data=(ds.x_val, ds.y_val),
        epochs=spec.fine_tune_epochs,
        batch_size=spec.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start
    if best["weights"] is None:  # prune_share 1.0: only the last epoch reaches the target
        best.update(val_accuracy=float("nan"), epoch=spec.fine_tune_epochs, weights=model.get_weights())
    model.set_weights(best["weights"])
    return FineTuned(
        strip(model),
        best["epoch"],
        float(best["val_accuracy"]),
        seconds,
        dict(pruning.targets) if pruning else {},
    )
