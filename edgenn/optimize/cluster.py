"""Weight clustering and 4-bit grids for Keras 3 models, without the TF Model Optimization Toolkit.

Fine-tuning with `ClusterWeights(bits)` keeps every output channel of each Conv2D and Dense kernel
on at most 2^bits shared values: each weight is assigned once, at the start, to the nearest of its
channel's centroids (k-means in one dimension), and after every training step each weight is set to
the mean of its cluster's weights, as the step left them: the centroids train, the assignments stay
(the weight sharing of Han et al., 2016, "Deep Compression", done as a projection after each step).
`GridWeights()` keeps each channel on a symmetric 4-bit grid instead: values k * s, k in [-7, 7],
s the channel's largest magnitude over 7.

The int8 converter quantizes each channel with one scale and folds a following BatchNorm into it
with one factor per channel, so a channel's distinct float values stay at most 2^bits distinct int8
values: `edgenn.optimize.compress` then holds them in a 2^bits-entry palette (lutB) or rescales them
into [-7, 7] (int4) without changing them further, and the C packs them (edgenn/export/packing.py).
Zeros from pruning are kept: a pruned weight stays 0 (its own cluster).

Like MagnitudePruning (edgenn/optimize/prune.py), the callbacks change kernels in place: no wrapper
layers, nothing to strip but the training state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.optimize.prune import _keras, kernel_variable, prunable_layers

KMEANS_STEPS = 30


def packable_layers(model) -> list:
    """The Conv2D (not depthwise) and Dense layers: those whose weights the C packs."""
    keras = _keras()
    return [
        layer
        for layer in prunable_layers(model)
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense)
        and not isinstance(layer, keras.layers.DepthwiseConv2D)
    ]


def channels(kernel: np.ndarray) -> np.ndarray:
    """A Conv2D [kh, kw, in, out] or Dense [in, out] kernel as [out, values]: one row per output channel,
    in the order the .tflite stores it."""
    return kernel.reshape(-1, kernel.shape[-1]).T


def from_channels(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return rows.T.reshape(shape)


def kmeans_1d(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(centroids, assignment of each value) for `values` in one dimension: Lloyd's iterations from
    centroids spread evenly between the smallest and the largest value; values with no more than k
    distinct ones are their own centroids. Zeros (pruned weights) are a cluster of their own, at 0,
    whenever there are any."""
    v = np.asarray(values, np.float64).reshape(-1)
    zero = v == 0
    free = k - 1 if zero.any() else k
    rest = v[~zero]
    if rest.size == 0 or free < 1:
        return np.zeros(1), np.zeros(v.size, np.int64)
    distinct = np.unique(rest)
    if distinct.size <= free:  # already clustered (a model fine-tuned for it): keep its values exactly
        centroids = distinct
    else:
        centroids = np.linspace(rest.min(), rest.max(), free) if free > 1 else np.array([rest.mean()])
        for _ in range(KMEANS_STEPS):
            nearest = np.abs(rest[:, None] - centroids[None, :]).argmin(1)
            sums = np.bincount(nearest, rest, minlength=free)
            counts = np.bincount(nearest, minlength=free)
            moved = np.where(counts > 0, sums / np.maximum(counts, 1), centroids)
            if np.allclose(moved, centroids):
                break
            centroids = moved
    assign = np.zeros(v.size, np.int64)
    assign[~zero] = np.abs(rest[:, None] - centroids[None, :]).argmin(1) + (1 if zero.any() else 0)
    return (np.concatenate([[0.0], centroids]) if zero.any() else centroids), assign


def shared_clusters(codes: np.ndarray, k: int) -> np.ndarray:
    """Assignments of `codes` (weights in units of their channel's int8 step, in [-127, 127]) to k shared
    clusters: 0 and 1 the ends (codes -127 and 127), 2 zero where there are zeros, the rest k-means."""
    v = np.asarray(codes, np.float64)
    assign = np.zeros(v.shape, np.int64)
    low, high = v <= -127 + 1e-6, v >= 127 - 1e-6
    zero = v == 0
    first = 3 if zero.any() else 2
    inner = ~(low | high | zero)
    assign[high] = 1
    assign[zero] = 2
    if inner.any():  # k >= 4: at least one cluster is free
        assign[inner] = kmeans_1d(v[inner], k - first)[1] + first
    return assign


def project_shared(rows: np.ndarray, assign: np.ndarray, zeros: bool) -> np.ndarray:
    """Rows set to their shared clusters (shared_clusters' numbering; `zeros`: cluster 2 holds zeros),
    each in its own row's step: the step from the row's weights at the ends, every free cluster's code
    the mean of its weights' codes, rounded (the int8 value every channel then shares)."""
    ends = assign <= 1
    scale = np.where(ends, np.abs(rows), 0).sum(1) / np.maximum(ends.sum(1), 1) / 127  # a row's step
    scale = np.where(ends.any(1), scale, np.abs(rows).max(1) / 127)[:, None]
    codes = rows / np.maximum(scale, 1e-12)
    k = int(assign.max()) + 1
    counts = np.maximum(np.bincount(assign.ravel(), minlength=k), 1)
    centroid = np.round(np.bincount(assign.ravel(), codes.ravel(), minlength=k) / counts)
    centroid[0], centroid[1] = -127.0, 127.0
    if zeros:
        centroid[2] = 0.0
    return np.clip(centroid, -127, 127)[assign] * scale


def snap_to_grid(rows: np.ndarray, levels: int = 7) -> np.ndarray:
    """Each row on its symmetric grid k * s, k in [-levels, levels], s its largest magnitude / levels."""
    step = np.maximum(np.abs(rows).max(1, keepdims=True), 1e-12) / levels
    return np.clip(np.round(rows / step), -levels, levels) * step


def _make_classes(keras):
    class _Projection(keras.callbacks.Callback):
        """Sets the targeted kernels to a projection of themselves before training and after every step."""

        def __init__(self, layers: list[str] | None = None):
            super().__init__()
            self.layer_names = layers
            self._kernels: dict[str, Any] = {}
            self._alive: dict[str, np.ndarray] = {}

        def on_train_begin(self, logs=None):
            if getattr(self.model, "steps_per_execution", 1) != 1:
                raise ValueError(f"{type(self).__name__} needs the model compiled with steps_per_execution=1")
            found = {layer.name: layer for layer in packable_layers(self.model)}
            names = list(found) if self.layer_names is None else self.layer_names
            missing = sorted(set(names) - set(found))
            if missing:
                raise ValueError(f"no Conv2D or Dense layer named {', '.join(missing)}")
            self._kernels = {name: kernel_variable(found[name]) for name in names}
            for name, var in self._kernels.items():
                w = var.numpy()
                self._alive[name] = channels(w) != 0
                self.start(name, w)
            self.on_train_batch_end(-1)

        def on_train_batch_end(self, batch, logs=None):
            for name, var in self._kernels.items():
                w = var.numpy()
                rows = self.project(name, channels(w)) * self._alive[name]  # pruned weights stay 0
                var.assign(from_channels(rows, w.shape).astype(w.dtype))

        def start(self, name: str, kernel: np.ndarray) -> None:
            pass

        def project(self, name: str, rows: np.ndarray) -> np.ndarray:
            raise NotImplementedError

    class ClusterWeights(_Projection):
        """Each output channel of the Conv2D and Dense kernels (or of `layers`) shares at most 2^bits
        values: assignments fixed at the start, each weight set to its cluster's mean after every step.

        With `shared`, one set of 2^bits values serves every channel of a layer, in units of the
        channel's own int8 step (max|w| / 127, as the converter scales each channel): the clusters
        are of w / max|w| * 127 over the whole kernel, with the two ends fixed at -127 and 127 so that
        each channel's largest weight, and so its scale, stays where it is. The int8 weights then take
        at most 2^bits values in all, one table for the layer."""

        def __init__(self, bits: int, layers: list[str] | None = None, shared: bool = False):
            super().__init__(layers)
            if not 1 <= bits <= 8 or (shared and bits < 2):
                raise ValueError(f"bits must be in [{2 if shared else 1}, 8], got {bits}")
            self.bits = bits
            self.shared = shared
            self.assignments: dict[str, np.ndarray] = {}
            self.pruned: dict[str, np.ndarray] = {}  # per channel: its cluster 0 holds its zeros

        def start(self, name, kernel):
            rows = channels(kernel)
            if self.shared:
                codes = rows / np.maximum(np.abs(rows).max(1, keepdims=True), 1e-12) * 127
                self.assignments[name] = shared_clusters(codes, 1 << self.bits)
                self.pruned[name] = (rows == 0).any()
                return
            self.assignments[name] = np.stack([kmeans_1d(r, 1 << self.bits)[1] for r in rows])
            self.pruned[name] = (rows == 0).any(1)

        def project(self, name, rows):
            assign = self.assignments[name]
            if self.shared:
                return project_shared(rows, assign, bool(self.pruned[name]))
            k = int(assign.max()) + 1
            flat = assign + np.arange(rows.shape[0])[:, None] * k  # one id per (channel, cluster)
            sums = np.bincount(flat.ravel(), rows.ravel().astype(np.float64), minlength=rows.shape[0] * k)
            counts = np.bincount(flat.ravel(), minlength=rows.shape[0] * k)
            means = sums / np.maximum(counts, 1)
            # The pruned weights (zero at the start: cluster 0 of their channel) stay at zero.
            means[np.nonzero(self.pruned[name])[0] * k] = 0.0
            return means[flat]

    class GridWeights(_Projection):
        """Each output channel of the Conv2D and Dense kernels (or of `layers`) on its symmetric 4-bit grid
        after every step."""

        def project(self, name, rows):
            return snap_to_grid(rows)

    class KeepZeros(_Projection):
        """The zeros of the Conv2D and Dense kernels (or of `layers`) stay zero: the weights of a pruned model
        fine-tuned without a pruning schedule."""

        def project(self, name, rows):
            return rows

    return ClusterWeights, GridWeights, KeepZeros


_classes = None


def __getattr__(name: str):
    # The callbacks subclass keras.callbacks.Callback, yet importing this module should not import
    # TensorFlow: the classes are made on first access (PEP 562).
    global _classes
    names = ("ClusterWeights", "GridWeights", "KeepZeros")
    if name in names:
        if _classes is None:
            _classes = dict(zip(names, _make_classes(_keras()), strict=True))
        return _classes[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
