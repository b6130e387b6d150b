"""Unstructured magnitude pruning for Keras 3 models, without the TF Model Optimization Toolkit.

During fine-tuning, `MagnitudePruning` zeroes the smallest-magnitude fraction of each targeted
kernel, raising that fraction on the polynomial schedule of Zhu & Gupta (2017, "To prune, or not
to prune"). Weights are zeroed in place: the model gains no wrapper layers and no mask variables,
so after fine-tuning `strip` only has to drop the training state, and the result converts like
any other model.

A .tflite stores int8 weights densely, so zeros alone do not make it smaller; they make it
compress well (`gzip_size`), which is what matters for over-the-air updates and for firmware
images that are stored compressed.

`polynomial_sparsity` and `gzip_size` are plain Python; everything else imports TensorFlow, and
does so only when first used.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.tfimport import tensorflow

# default_targets: a kernel with fewer weights than this is pruned at most SMALL_LAYER_MAX_SPARSITY.
SMALL_LAYER_WEIGHTS = 200
SMALL_LAYER_MAX_SPARSITY = 0.5
# default_targets never asks more than this of one layer, whatever the overall target.
MAX_LAYER_SPARSITY = 0.95


def polynomial_sparsity(
    step: int, begin_step: int, end_step: int, initial: float, final: float, power: float = 3
) -> float:
    """Sparsity at `step`: `initial` up to `begin_step`, `final` from `end_step`, polynomial in between.

    s(t) = final + (initial - final) * (1 - (t - begin) / (end - begin)) ** power

    With power 3 (Zhu & Gupta) sparsity rises fast while the network has many redundant weights
    and slowly near the end, when each further weight removed costs more accuracy.
    """
    if end_step <= begin_step:
        raise ValueError(f"end_step ({end_step}) must be after begin_step ({begin_step})")
    if not 0.0 <= initial <= final < 1.0:
        raise ValueError(f"need 0 <= initial ({initial}) <= final ({final}) < 1")
    if power <= 0:
        raise ValueError(f"power must be positive, got {power}")
    progress = min(max((step - begin_step) / (end_step - begin_step), 0.0), 1.0)
    return final + (initial - final) * (1.0 - progress) ** power


def gzip_size(data: bytes | bytearray | memoryview | str | os.PathLike) -> int:
    """Bytes after gzip at level 9, of a file (path) or of bytes; mtime 0 so equal inputs give equal sizes."""
    if isinstance(data, str | os.PathLike):
        data = Path(data).read_bytes()
    return len(gzip.compress(bytes(data), compresslevel=9, mtime=0))


def magnitude_mask(weights: np.ndarray, sparsity: float, keep: np.ndarray | None = None) -> np.ndarray:
    """A 0/1 mask, shaped like `weights`, zeroing the round(sparsity * size) smallest magnitudes.

    Weights already masked out by `keep` count as the smallest, so a mask only ever grows and
    a weight once pruned is never restored.
    """
    magnitude = np.abs(weights).ravel()
    if keep is not None:
        magnitude = magnitude * keep.ravel()
    count = int(np.floor(sparsity * magnitude.size + 0.5))
    mask = np.ones(magnitude.size, dtype=np.float32)
    if count:
        # Stable sort: ties (zeros above all) are broken by position, so masks are reproducible.
        mask[np.argsort(magnitude, kind="stable")[:count]] = 0.0
    if keep is not None:
        mask *= keep.ravel()
    return mask.reshape(weights.shape)


def block_mask(kernel: np.ndarray, sparsity: float, keep: np.ndarray | None = None) -> np.ndarray:
    """magnitude_mask in blocks of 2 output channels x 4 values (a Conv2D [kh, kw, in, out] or Dense
    [in, out] kernel as the .tflite stores it, one row per output channel): the round(sparsity * blocks)
    blocks with the smallest L1 norm are zeroed whole, the unit whose zeros the C's sparse encoding
    skips (edgenn/export/packing.py). A block holding a weight `keep` masks out counts as the smallest."""
    out = kernel.shape[-1]
    rows = np.abs(kernel.reshape(-1, out).T)  # [out, values]
    if keep is not None:
        rows = rows * keep.reshape(-1, out).T
    depth = rows.shape[1]
    blocks, pairs = -(-depth // 4), -(-out // 2)
    padded = np.zeros((2 * pairs, blocks * 4))
    padded[:out, :depth] = rows
    norms = padded.reshape(pairs, 2, blocks, 4).sum(axis=(1, 3)).ravel()
    if keep is not None:
        kept = np.zeros((2 * pairs, blocks * 4))
        kept[:out, :depth] = keep.reshape(-1, out).T
        norms = np.where(kept.reshape(pairs, 2, blocks, 4).any(axis=(1, 3)).ravel(), norms, -1.0)
    count = int(np.floor(sparsity * norms.size + 0.5))
    alive = np.ones(norms.size, np.float32)
    if count:
        alive[np.argsort(norms, kind="stable")[:count]] = 0.0
    tiles = np.broadcast_to(alive.reshape(pairs, 1, blocks, 1), (pairs, 2, blocks, 4)).reshape(2 * pairs, -1)
    mask = tiles[:out, :depth].T.reshape(kernel.shape).astype(np.float32)
    return mask if keep is None else mask * keep


def _keras():
    tensorflow()
    import keras

    return keras


def prunable_layers(model) -> list:
    """Conv2D, DepthwiseConv2D and Dense layers, nested models included, in order, each once."""
    keras = _keras()
    kinds = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
    found: list = []
    seen: set[int] = set()

    def walk(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        if isinstance(layer, kinds):
            found.append(layer)
        for sub in getattr(layer, "layers", None) or ():
            walk(sub)

    for layer in model.layers:
        walk(layer)
    return found


def kernel_variable(layer):
    """The layer's kernel variable (never its bias); refused where the kernel is not a plain float variable."""
    keras = _keras()
    if getattr(layer, "quantization_mode", None) or getattr(layer, "lora_enabled", False):
        raise ValueError(f"layer '{layer.name}' is quantized or uses LoRA: only float kernels can be pruned")
    var = layer.kernel
    if not isinstance(var, keras.Variable):
        raise ValueError(f"layer '{layer.name}' has no kernel variable to prune")
    return var


def default_targets(model, sparsity: float) -> dict[str, float]:
    """Per-layer final sparsities whose weighted total is `sparsity`, sparing small layers.

    The rule: a kernel with fewer than SMALL_LAYER_WEIGHTS (200) weights is pruned at most
    SMALL_LAYER_MAX_SPARSITY (50%). Such kernels are typically the first convolution, which
    sees the raw input through few channels: each weight carries much of what every later layer
    receives, so pruning it costs accuracy out of proportion to the bytes it saves. The zeros
    they are spared go to the larger kernels instead, all pruned alike, so that the model as a
    whole reaches `sparsity`. No layer is asked for more than MAX_LAYER_SPARSITY (95%); where
    that cap binds, the total falls short.
    """
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    sizes = {layer.name: int(np.prod(kernel_variable(layer).shape)) for layer in prunable_layers(model)}
    if not sizes:
        raise ValueError(f"model '{model.name}' has no Conv2D, DepthwiseConv2D or Dense layer to prune")
    targets = {name: min(sparsity, SMALL_LAYER_MAX_SPARSITY) for name, n in sizes.items() if n < SMALL_LAYER_WEIGHTS}
    large = {name: n for name, n in sizes.items() if name not in targets}
    if large:
        spared = sum((sparsity - targets[name]) * sizes[name] for name in targets)
        share = min(sparsity + spared / sum(large.values()), MAX_LAYER_SPARSITY)
        targets.update({name: share for name in large})
    return {name: targets[name] for name in sizes}


def sparsity_report(model) -> dict[str, Any]:
    """Zeros in each prunable kernel and in all of them together.

    Returns:
        {"layers": [{"name", "weights", "zeros", "sparsity"}, ...], "total": {"weights", "zeros", "sparsity"}}
    """
    rows = []
    for layer in prunable_layers(model):
        w = kernel_variable(layer).numpy()
        zeros = int(np.count_nonzero(w == 0))
        rows.append({"name": layer.name, "weights": int(w.size), "zeros": zeros, "sparsity": zeros / w.size})
    weights = sum(r["weights"] for r in rows)
    zeros = sum(r["zeros"] for r in rows)
    return {
        "layers": rows,
        "total": {"weights": weights, "zeros": zeros, "sparsity": zeros / weights if weights else 0.0},
    }


def strip(model):
    """A fresh copy of a pruned model: the same layers and weights, zeros included, and nothing else.

    The copy is rebuilt from the model's config, not cloned with keras.models.clone_model, which
    would compile it again and so build a fresh optimizer's variables. Uncompiled, it carries no
    optimizer state and no training callbacks: fitting it again would revive pruned weights
    unless MagnitudePruning is passed once more.
    """
    from edgenn.train.fake_quant import relink

    clone = type(model).from_config(model.get_config())
    clone.set_weights(model.get_weights())
    relink(clone)  # a fake-quant model's replaying layers, to its FakeQuant layers again
    return clone


def _make_callback_class(keras):
    class MagnitudePruning(keras.callbacks.Callback):
        """Prune the named kernels while the model trains, keeping pruned weights at zero.

        Steps are training batches counted by this callback, across every `fit` it is passed
        to. After each step in [begin_step, end_step] that is a multiple of `frequency` from
        begin_step, and after end_step itself, each target's mask is recomputed from the
        current weights at the scheduled sparsity; after every step the masks are multiplied
        into the kernels, so optimizer updates (momentum included) cannot revive a pruned
        weight. From end_step on, every target holds exactly its final sparsity.

        Args:
            targets: layer name → final sparsity in [0, 1), e.g. from default_targets.
            begin_step: the step at which the schedule starts from `initial_sparsity`.
            end_step: the step by which every target reaches its final sparsity.
            frequency: steps between mask updates.
            initial_sparsity: the schedule's start (capped at each target's final sparsity).
            power: the schedule's exponent (polynomial_sparsity).
            blocks: prune the Conv2D and Dense kernels in blocks of 2 output channels x 4 values
                (block_mask), whose zeros the C's sparse weights skip; depthwise ones weight by weight.
        """

        def __init__(
            self,
            targets: Mapping[str, float],
            begin_step: int = 0,
            end_step: int = 1000,
            frequency: int = 10,
            initial_sparsity: float = 0.0,
            power: float = 3,
            blocks: bool = False,
        ):
            super().__init__()
            if not targets:
                raise ValueError("no layers to prune")
            for name, final in targets.items():
                if not 0.0 <= final < 1.0:
                    raise ValueError(f"sparsity for '{name}' must be in [0, 1), got {final}")
            if begin_step < 0 or end_step <= begin_step:
                raise ValueError(f"need 0 <= begin_step ({begin_step}) < end_step ({end_step})")
            if frequency < 1:
                raise ValueError(f"frequency must be at least 1, got {frequency}")
            if not 0.0 <= initial_sparsity < 1.0:
                raise ValueError(f"initial_sparsity must be in [0, 1), got {initial_sparsity}")
            if power <= 0:
                raise ValueError(f"power must be positive, got {power}")
            self.targets = dict(targets)
            self.begin_step = begin_step
            self.end_step = end_step
            self.frequency = frequency
            self.initial_sparsity = initial_sparsity
            self.power = power
            self.blocks = blocks
            self._blocked: set[str] = set()
            self.step = 0
            self.masks: dict[str, np.ndarray] = {}
            self._kernels: dict[str, Any] = {}
            self._mask_tensors: dict[str, Any] = {}

        def sparsity_at(self, step: int) -> dict[str, float]:
            """Each target's scheduled sparsity after `step` training steps."""
            return {
                name: polynomial_sparsity(
                    step, self.begin_step, self.end_step, min(self.initial_sparsity, final), final, self.power
                )
                for name, final in self.targets.items()
            }

        def on_train_begin(self, logs=None):
            if getattr(self.model, "steps_per_execution", 1) != 1:
                # Batch callbacks then run once per several optimizer steps, leaving revived weights in between.
                raise ValueError("MagnitudePruning needs the model compiled with steps_per_execution=1")
            layers = {layer.name: layer for layer in prunable_layers(self.model)}
            missing = sorted(set(self.targets) - set(layers))
            if missing:
                raise ValueError(
                    f"no prunable layer named {', '.join(missing)} (prunable: {', '.join(layers) or 'none'})"
                )
            self._kernels = {name: kernel_variable(layers[name]) for name in self.targets}
            if self.blocks:
                plain = (keras.layers.Conv2D, keras.layers.Dense)
                self._blocked = {
                    name
                    for name in self.targets
                    if isinstance(layers[name], plain) and not isinstance(layers[name], keras.layers.DepthwiseConv2D)
                }
            if self.step == 0 and self._update_due(0):
                self._update_masks()
            self._apply_masks()

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self._update_due(self.step):
                self._update_masks()
            self._apply_masks()

        def _update_due(self, step: int) -> bool:
            if not self.begin_step <= step <= self.end_step:
                return False
            return (step - self.begin_step) % self.frequency == 0 or step == self.end_step

        def _update_masks(self):
            for name, sparsity in self.sparsity_at(self.step).items():
                var = self._kernels[name]
                prune = block_mask if name in self._blocked else magnitude_mask
                mask = prune(var.numpy(), sparsity, self.masks.get(name))
                self.masks[name] = mask
                self._mask_tensors[name] = keras.ops.convert_to_tensor(mask, dtype=var.dtype)

        def _apply_masks(self):
            for name, mask in self._mask_tensors.items():
                var = self._kernels[name]
                var.assign(keras.ops.multiply(var, mask))

    return MagnitudePruning


_callback_class = None


def __getattr__(name: str):
    # The callback must subclass keras.callbacks.Callback, yet importing this module should not
    # import TensorFlow: the class is made on first access (PEP 562).
    global _callback_class
    if name == "MagnitudePruning":
        if _callback_class is None:
            _callback_class = _make_callback_class(_keras())
        return _callback_class
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
