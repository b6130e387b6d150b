"""Int8 models whose weights the generated C can pack (edgenn/export/packing.py), from int8 models.

`compress_tflite(data, scheme)` rewrites the weights of every layer the C packs (CONV_2D and
FULLY_CONNECTED with int8 weights) so that an encoding holds them, and returns a new int8 .tflite:
a dense model that TFLM and LiteRT run as they run any other, with the same effective weights as
the packed C (the reference every bit-exact check compares against).

    lut2, lut3, lut4  per output channel, the int8 weights clustered to 2^b values (k-means in one
                      dimension, on the integer grid): the scale stays, the bias stays
    lut2t ... lut4t   the same over the whole layer: one table of 2^b values that every channel
                      shares (its own scale still applies), so the C stores one table, not one a
                      channel
    int4              per output channel, the weights on a 4-bit grid: values in [-7, 7] with the
                      channel's scale times max|w| / 7, and the bias requantized to the new scale
    sparse            per pair of output channels, the blocks of 2 x 4 weights with the smallest
                      magnitude set to 0 until `sparsity` of them are (pruning whose zero blocks the
                      C skips)

This is post-training: the accuracy it costs is the model's, measured like any variant's.
"""

from __future__ import annotations

import numpy as np

from edgenn.errors import EdgeNNError
from edgenn.graph.tflite import OP_NAMES, model_tree, schema, serialize

SCHEMES = ("int4", "lut2", "lut3", "lut4", "lut2t", "lut3t", "lut4t", "sparse")
PACKED_OPS = ("CONV_2D", "FULLY_CONNECTED")  # the ops whose C kernels take packed weights
KMEANS_STEPS = 30


def kmeans_int(values: np.ndarray, k: int) -> np.ndarray:
    """`values` (integers) replaced by the nearest of at most k integer centroids, found by Lloyd's
    iterations on the values' histogram from quantile starting points."""
    v = np.asarray(values, np.int64).reshape(-1)
    uniq, counts = np.unique(v, return_counts=True)
    if uniq.size <= k:
        return v.copy()
    cum = np.cumsum(counts) / counts.sum()
    centroids = uniq[np.searchsorted(cum, (np.arange(k) + 0.5) / k)].astype(np.float64)
    for _ in range(KMEANS_STEPS):
        nearest = np.abs(uniq[:, None] - centroids[None, :]).argmin(1)
        sums = np.bincount(nearest, uniq * counts, minlength=k)
        weight = np.bincount(nearest, counts, minlength=k)
        moved = np.where(weight > 0, sums / np.maximum(weight, 1), centroids)
        if np.allclose(moved, centroids):
            break
        centroids = moved
    centroids = np.unique(np.clip(np.round(centroids), -127, 127))
    nearest = np.abs(v[:, None] - centroids[None, :]).argmin(1)
    return centroids[nearest].astype(np.int64)


def block_prune(w: np.ndarray, sparsity: float) -> np.ndarray:
    """Per pair of rows (the sparse encoding's unit), the blocks of 2 rows x 4 values with the smallest
    L1 norm set to 0 until `sparsity` of the pair's blocks are."""
    rows, depth = w.shape
    blocks, pairs = -(-depth // 4), -(-rows // 2)
    padded = np.zeros((2 * pairs, blocks * 4), np.int64)
    padded[:rows, :depth] = w
    tiles = padded.reshape(pairs, 2, blocks, 4).transpose(0, 2, 1, 3).copy()  # [pairs, blocks, 2, 4]
    drop = int(round(sparsity * blocks))
    if drop:
        order = np.argsort(np.abs(tiles).sum(axis=(2, 3)), axis=1, kind="stable")[:, :drop]
        np.put_along_axis(tiles, order[:, :, None, None], 0, axis=1)
    return tiles.transpose(0, 2, 1, 3).reshape(2 * pairs, blocks * 4)[:rows, :depth]


def compress_tflite(data: bytes, scheme: str, sparsity: float = 0.75, where=None) -> tuple[bytes, list[str]]:
    """The model with each packable layer's weights rewritten for `scheme`; and one line per layer
    saying what changed."""
    if scheme not in SCHEMES:
        raise EdgeNNError(where, f"unknown compression {scheme!r}; one of {', '.join(SCHEMES)}")
    if not 0.0 <= sparsity < 1.0:
        raise EdgeNNError(where, f"sparsity {sparsity} is not in [0, 1)")
    model = model_tree(data, where)
    sub = model.subgraphs[0]
    users: dict[int, int] = {}
    for t in sub.tensors:
        users[t.buffer] = users.get(t.buffer, 0) + 1
    notes = []
    for index, op in enumerate(sub.operators):
        code = model.operatorCodes[op.opcodeIndex]
        name = OP_NAMES.get(max(code.builtinCode, code.deprecatedBuiltinCode))
        if name not in PACKED_OPS or len(op.inputs) < 2 or op.inputs[1] < 0:
            continue
        wt = sub.tensors[op.inputs[1]]
        buf = model.buffers[wt.buffer]
        if wt.type != schema.TensorType.INT8 or buf.data is None or len(buf.data) == 0 or users[wt.buffer] != 1:
            continue
        shape = tuple(int(d) for d in wt.shape)
        if len(shape) < 2 or len(buf.data) != int(np.prod(shape)):
            notes.append(f"op {index} ({name}): weights of {len(buf.data):,} B for shape {shape}: left as they are")
            continue
        w = np.frombuffer(bytes(np.asarray(buf.data, np.uint8)), np.int8).astype(np.int64).reshape(shape[0], -1)
        if scheme.startswith("lut"):
            k = 1 << int(scheme[3])
            new = kmeans_int(w, k).reshape(w.shape) if scheme.endswith("t") else np.stack([kmeans_int(r, k) for r in w])
        elif scheme == "sparse":
            new = block_prune(w, sparsity)
        else:
            new = _int4(model, sub, op, wt, w)
            if new is None:
                continue
        buf.data = new.astype(np.int8).view(np.uint8).reshape(-1)
        changed = int((new != w).sum())
        notes.append(f"op {index} ({name}): {scheme}, {changed:,} of {w.size:,} weights changed")
    return serialize(model, len(data)), notes


def _int4(model, sub, op, wt, w: np.ndarray) -> np.ndarray | None:
    """Weights on a 4-bit grid per channel, the weight scales and the int32 bias rescaled to match."""
    q = wt.quantization
    if q is None or q.scale is None or len(q.scale) not in (1, w.shape[0]):
        return None
    scales = np.asarray(q.scale, np.float64)
    peak = np.maximum(np.abs(w).max(1), 1)
    if scales.size == 1:  # per tensor: one grid for every channel
        peak = np.full(w.shape[0], peak.max())
    step = peak / 7.0
    new = np.clip(np.round(w / step[:, None]), -7, 7).astype(np.int64)
    new_scales = scales * step[: scales.size]
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bt = sub.tensors[op.inputs[2]]
        bbuf = model.buffers[bt.buffer]
        if bt.type != schema.TensorType.INT32 or bbuf.data is None or len(bbuf.data) != 4 * w.shape[0]:
            return None
        bias = np.frombuffer(bytes(np.asarray(bbuf.data, np.uint8)), np.int32).astype(np.float64)
        rescaled = np.clip(np.round(bias / step), -(2**31), 2**31 - 1).astype(np.int32)
        bbuf.data = rescaled.view(np.uint8).reshape(-1)
        if bt.quantization is not None and bt.quantization.scale is not None and len(bt.quantization.scale):
            bs = np.asarray(bt.quantization.scale, np.float64)
            bt.quantization.scale = list(bs * (step if bs.size == step.size else step[0]))
    q.scale = list(new_scales.astype(np.float32).astype(np.float64))
    return new
