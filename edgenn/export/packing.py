"""Packed weights in the generated C: fewer bytes of flash for the same int8 weights.

A layer whose weights take few distinct values per output channel (after clustering or a 4-bit
grid: edgenn/optimize/compress.py) or many zeros (after pruning) stores them packed, and the C
unpacks a few output channels at a time into a scratch buffer that the dense kernel then reads
(edgenn/firmware/src/packed.c). The sums are the dense layer's, so the C stays bit-exact with TFLM
running the same int8 model. Each encoding is lossless: it applies to a layer only where it holds
the weights exactly, and is chosen only where it saves bytes.

    int4     two values per byte (of two channels), where every value lies in [-8, 7] (no table)
    lut2-4   b-bit indices into a table of 2^b values per output channel, where a channel has at most
             2^b distinct values; one table for every channel where the whole layer has at most 2^b
             (4-bit indices with one table are read in the kernels' loops: see PAIR_TABLE_BYTES)
    sparse   per pair of output channels the blocks of 2 x 4 values that hold a nonzero, each with its
             index (at most 256 blocks a row); the kernels skip the others

An op module whose `emit` takes packed weights defines `packable(params) -> bool` (whether this
layer can) and asks `OpEmitter.packing` for its layer's choice; `unpack_group(params, packing)`, where
it has one, says how many channels its C unpacks at a time (0: its loop reads them packed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from edgenn.graph.tflite import Graph, Tensor

ENCODINGS = ("int4", "lut2", "lut3", "lut4", "sparse")
CHOICES = ("auto", "none", *ENCODINGS)  # codegen's --compress: every encoding, none, or one
SCRATCH_BYTES = 512  # the unpacked channels of one layer take at most this, or one channel where it is longer
MIN_SAVING = 64  # bytes a layer must save to be packed: below it, the unpacking code costs more than it saves
# The Cortex-M4 code (gcc -O2, bytes, rounded up) that packing layers in each way adds to a model, as
# `edgenn analyze` measured it on the digits model: `--compress auto` packs in a way only where the
# layers so packed save more than this.
CODE_BYTES = {"int4": 2048, "sparse": 1536, "lut": 768}
# A layer of 4-bit indices into one table is decoded in the kernels' loops, two values per lookup: its
# indices in each run of 4 values k..k+3 are stored as the bytes (k, k+2) and (k+1, k+3), low nibble
# first, and the kernel first builds in the arena the 256 words that give each such byte's two values
# as an int16 pair, the pairs the Cortex-M DSP multiply-add takes (SMLAD of the input's bytes 0 and 2,
# then 1 and 3). A dense palette decode costs a lookup per value; with the pairs, one per two values.
PAIR_TABLE_BYTES = 256 * 4


def family(encoding: str) -> str:
    """The kernel code an encoding needs: int4 and sparse their own loops, the palettes the unpacking."""
    return "lut" if encoding.startswith("lut") else encoding


SPARSE = 0  # Packing.bits of the sparse encoding (EDGENN_PACK_SPARSE)


@dataclass(frozen=True)
class Packing:
    encoding: str
    bits: int  # index bits; SPARSE
    rows: int  # output channels
    depth: int  # values per channel
    row_bytes: int  # bytes of one channel's indices; int4: of a pair of channels; sparse: 0
    data: np.ndarray  # uint8 [rows, row_bytes]; int4 [pairs of rows, depth]; sparse: the blocks' indices
    values: np.ndarray | None  # int8: tables [rows or 1 (shared), 2^bits], the sparse blocks, or None (int4)
    group: int  # channels unpacked at a time (0: none, the kernel reads the packed weights itself)
    scratch: int = -1  # the tensor that plan() adds for the unpacked channels
    counts: np.ndarray | None = None  # sparse: uint16, each pair of channels' blocks

    @property
    def nbytes(self) -> int:
        tables = 0 if self.values is None else self.values.size
        return int(self.data.size + tables + (0 if self.counts is None else 2 * self.counts.size))

    @property
    def table_step(self) -> int:
        """Values from one channel's table to the next: 0 where one table serves every channel (or none)."""
        return 1 << self.bits if self.encoding.startswith("lut") and self.values.shape[0] > 1 else 0

    @property
    def paired(self) -> bool:
        """4-bit indices into one table, stored in pairs (PAIR_TABLE_BYTES)."""
        return self.encoding.startswith("lut") and self.bits == 4 and self.values.shape[0] == 1

    @property
    def dense_bytes(self) -> int:
        return self.rows * self.depth

    @property
    def scratch_bytes(self) -> int:
        """Arena bytes the layer's C takes while it runs: its unpacked channels, or the paired table
        where its kernel reads the indices in its loop (group 0)."""
        if self.group:
            return self.group * self.depth
        return PAIR_TABLE_BYTES if self.paired else 0

    def describe(self, op: int) -> dict:
        """The layer's entry in the C manifest's and analyze's `packed` (common schema's packed_layer)."""
        return {
            "op": op,
            "encoding": self.encoding,
            "bytes": self.nbytes,
            "dense_bytes": self.dense_bytes,
            "scratch_bytes": self.scratch_bytes,
            "group": self.group,
            "tables": self.values.shape[0] if self.encoding.startswith("lut") else 0,
        }


def _pack_bits(indices: np.ndarray, bits: int) -> np.ndarray:
    """[rows, depth] indices below 2^bits → [rows, row_bytes] bytes, each row LSB first from its own byte."""
    rows, depth = indices.shape
    planes = (indices[:, :, None].astype(np.uint16) >> np.arange(bits, dtype=np.uint16)) & 1
    stream = planes.reshape(rows, depth * bits).astype(np.uint8)
    return np.packbits(stream, axis=1, bitorder="little")


def _unpack_bits(data: np.ndarray, bits: int, depth: int) -> np.ndarray:
    stream = np.unpackbits(data, axis=1, bitorder="little")[:, : depth * bits]
    planes = stream.reshape(data.shape[0], depth, bits).astype(np.int64)
    return (planes << np.arange(bits)).sum(2)


def _pack_pairs(indices: np.ndarray) -> np.ndarray:
    """[rows, depth] 4-bit indices → [rows, 2 * ceil(depth / 4)] bytes: per run of 4 values k..k+3 the
    bytes (k | k+2 << 4) and (k+1 | k+3 << 4); the indices past depth are 0."""
    rows, depth = indices.shape
    runs = np.zeros((rows, -(-depth // 4) * 4), np.uint8)
    runs[:, :depth] = indices
    runs = runs.reshape(rows, -1, 4)
    return (runs[:, :, :2] | runs[:, :, 2:] << 4).reshape(rows, -1)


def _unpack_pairs(data: np.ndarray, depth: int) -> np.ndarray:
    runs = data.reshape(data.shape[0], -1, 2).astype(np.int64)
    return np.concatenate([runs & 15, runs >> 4], axis=2).reshape(data.shape[0], -1)[:, :depth]


def group_of(rows: int, depth: int) -> int:
    """Channels unpacked at a time: as many as SCRATCH_BYTES holds, an even number where there are two
    or more (the kernels compute channels in pairs), at least one."""
    group = min(rows, max(1, SCRATCH_BYTES // depth))
    return group - group % 2 if group > 1 else group


def encode(weights: np.ndarray, encoding: str) -> Packing | None:
    """`weights` [rows, depth] (int8) in `encoding`, or None where it cannot hold them exactly."""
    w = np.asarray(weights).astype(np.int64)
    rows, depth = w.shape
    group = group_of(rows, depth)
    if encoding == "int4":
        # The kernels that read int4 in their loops sum 16 times each product (at most 2^14): under 2^31.
        if w.min() < -8 or w.max() > 7 or depth >= 1 << 17:
            return None
        # Channels in pairs: byte k of pair p holds channel 2p's value k in its low nibble and channel
        # 2p + 1's in its high one, so that one word holds four values of two channels (the kernels that
        # compute channel pairs read it whole); an odd last channel has the low nibbles alone.
        pairs = np.zeros((-(-rows // 2) * 2, depth), np.int64)
        pairs[:rows] = w & 15
        data = (pairs[0::2] | pairs[1::2] << 4).astype(np.uint8)
        return Packing(encoding, 4, rows, depth, depth, data, None, group)
    if encoding.startswith("lut"):
        bits = int(encoding[3:])
        uniq, inv = np.unique(w, return_inverse=True)
        if uniq.size <= 1 << bits:  # one table serves every channel
            tables = np.zeros((1, 1 << bits), np.int8)
            tables[0, : uniq.size] = uniq
            indices = inv.reshape(w.shape)
        else:
            tables = np.zeros((rows, 1 << bits), np.int8)
            indices = np.zeros_like(w)
            for r in range(rows):
                uniq, inv = np.unique(w[r], return_inverse=True)
                if uniq.size > 1 << bits:
                    return None
                tables[r, : uniq.size] = uniq
                indices[r] = inv
        data = _pack_pairs(indices) if bits == 4 and tables.shape[0] == 1 else _pack_bits(indices, bits)
        return Packing(encoding, bits, rows, depth, data.shape[1], data, tables, group)
    if encoding == "sparse":
        # Channels in pairs, each pair's values in blocks of 2 channels x 4 values: the blocks that hold
        # a nonzero, each with its index in the pair's row (one byte: at most 256 blocks a row) and its
        # 8 values (the even channel's 4, then the odd one's; a last partial block and an odd last
        # channel padded with zeros), and each pair's count of them. The kernels compute both channels
        # of a pair from each block, one load of the input for both, and skip the other blocks.
        blocks = -(-depth // 4)
        if blocks > 256:
            return None
        pairs = -(-rows // 2)
        padded = np.zeros((2 * pairs, blocks * 4), np.int64)
        padded[:rows, :depth] = w
        tiles = padded.reshape(pairs, 2, blocks, 4).transpose(0, 2, 1, 3)  # [pairs, blocks, 2, 4]
        marked = (tiles != 0).any(axis=(2, 3))
        data = np.nonzero(marked)[1].astype(np.uint8)  # pair by pair, blocks in order
        values = tiles[marked].reshape(-1).astype(np.int8)
        counts = marked.sum(1).astype(np.uint16)
        return Packing(encoding, SPARSE, rows, depth, 0, data, values, group, counts=counts)
    raise ValueError(f"unknown encoding {encoding!r}: one of {', '.join(ENCODINGS)}")


def unpack(p: Packing) -> np.ndarray:
    """The weights [rows, depth] back: the NumPy twin of edgenn_unpack_weights."""
    if p.bits == SPARSE:
        blocks = -(-p.depth // 4)
        pairs = p.counts.size
        tiles = np.zeros((pairs, blocks, 2, 4), np.int8)
        tiles[np.repeat(np.arange(pairs), p.counts), p.data.astype(np.int64)] = p.values.reshape(-1, 2, 4)
        return tiles.transpose(0, 2, 1, 3).reshape(2 * pairs, blocks * 4)[: p.rows, : p.depth]
    if p.values is None:  # int4, channels in pairs
        nibbles = np.stack([p.data & 15, p.data >> 4], axis=1).reshape(-1, p.depth)[: p.rows].astype(np.int64)
        return (((nibbles + 8) & 15) - 8).astype(np.int8)
    idx = _unpack_pairs(p.data, p.depth) if p.paired else _unpack_bits(p.data, p.bits, p.depth)
    tables = np.broadcast_to(p.values.astype(np.int64), (p.rows, p.values.shape[1]))  # a shared one: every row's
    return np.take_along_axis(tables, idx, axis=1).astype(np.int8)


def encoding_of(scheme: str) -> str:
    """The encoding that packs an `edgenn compress` scheme: lutBt (one table a layer) is lutB, which finds
    the shared table itself; the others are their own."""
    return scheme.removesuffix("t") if scheme in ("lut2t", "lut3t", "lut4t") else scheme


def allowed(compress: str | Iterable[str]) -> tuple[str, ...]:
    """The encodings a `--compress` value allows: "auto" all of them (where the arena does not grow:
    codegen.generate), "none" none, else those named."""
    names = [compress] if isinstance(compress, str) else list(compress)
    names = [encoding_of(n.strip()) for name in names for n in name.split(",") if n.strip()]
    bad = [n for n in names if n not in CHOICES]
    if bad:
        raise ValueError(f"unknown --compress value {', '.join(bad)}: choose from {', '.join(CHOICES)}")
    if "auto" in names:
        return ENCODINGS
    return tuple(n for n in ENCODINGS if n in names)


def choose(weights: np.ndarray, encodings: Iterable[str]) -> Packing | None:
    """The encoding among `encodings` that holds `weights` [rows, depth] in the fewest bytes, where it
    saves MIN_SAVING bytes or more."""
    best = None
    dense = int(np.asarray(weights).size)
    for name in encodings:
        p = encode(weights, name)
        if p is not None and p.nbytes <= dense - MIN_SAVING and (best is None or p.nbytes < best.nbytes):
            best = p
    return best


def choices(graph: Graph, prepared: Iterable, encodings: Iterable[str]) -> dict[int, Packing]:
    """Each packable layer's best encoding among `encodings` (op index → Packing), where one saves flash."""
    encodings = tuple(encodings)
    found: dict[int, Packing] = {}
    for p in prepared if encodings else ():
        can = getattr(p.module, "packable", None)
        if can is None or not can(p.params):
            continue
        w = graph.tensors[p.op.inputs[1]]
        if w.data is None or w.dtype != "int8":
            continue
        packing = choose(w.data.reshape(w.shape[0], -1), encodings)
        if packing is not None:
            group = getattr(p.module, "unpack_group", None)
            found[p.op.index] = packing if group is None else replace(packing, group=group(p.params, packing))
    return found


def with_scratch(graph: Graph, packings: dict[int, Packing]) -> tuple[Graph, dict[int, Packing]]:
    """`graph` with each packed layer's scratch buffer as an extra output of its op, which nothing
    reads: the arena planner then gives it bytes for that step only. Unpacked channels keep the layer
    out of row-streamed chains and off its own input (it reads the input once per group of channels);
    a paired table read in the loop is a side tensor (Graph.side): the layer reads its input once, and
    may write its output over it."""
    if not packings:
        return graph, {}
    chosen: dict[int, Packing] = {}
    tensors = list(graph.tensors)
    side = set(graph.side)
    ops = {op.index: op for op in graph.ops}
    for index, packing in packings.items():
        op = ops[index]
        if packing.scratch_bytes == 0:  # the kernel reads the packed weights in its loop
            chosen[index] = packing
            continue
        what = "unpacked" if packing.group else "pair_table"
        scratch = Tensor(len(tensors), f"op{op.index}_{what}", (packing.scratch_bytes,), "int8", (), (), 0, None)
        tensors.append(scratch)
        if not packing.group:
            side.add(scratch.index)
        chosen[index] = replace(packing, scratch=scratch.index)
        ops[index] = replace(op, outputs=(*op.outputs, scratch.index))
    ops_now = tuple(ops[op.index] for op in graph.ops)
    return replace(graph, tensors=tuple(tensors), ops=ops_now, side=frozenset(side)), chosen
