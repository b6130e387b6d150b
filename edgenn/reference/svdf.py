"""SVDF, int8: TFLM's EvalIntegerSvdfReference (svdf_common.cc), with an int8 or int16 state.

Each run shifts every filter's `memory` past activations one place left, writes the newest one (the
input times the feature weights, rescaled to the state's quantization and saturated) into the last
place, takes each filter's dot product with its time weights, sums `rank` filters per unit with the
bias and rescales to the int8 output. The state is a variable tensor that persists between runs:
TFLM fills it with its zero point (int8) or 0 (int16) when the interpreter is made, and so does
`prepare` here, so one prepared graph keeps its state from run to run as one TFLM interpreter does.

TFLM's integer path applies no fused activation (the output is only saturated to int8) and ignores
the weights' zero points; so does this. It reads the state with the time weights' type, so the two
must match, and it requires the bias (Prepare reads its scale).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "SVDF"
TFLM_RESOLVER = "AddSvdf"
TFLITE_OPTIONS = "SVDFOptions"
BIAS_SCALE_TOLERANCE = 1e-5  # TFLM's |bias scale - state scale * time weights scale| bound


@dataclass(frozen=True)
class Params:
    batches: int
    input_size: int
    filters: int
    rank: int
    memory: int
    input_zero_point: int
    state_zero_point: int
    state_reset: int  # what TFLM fills the state with: its zero point (int8) or 0 (int16)
    output_zero_point: int
    feature_multiplier: int
    feature_shift: int
    output_multiplier: int
    output_shift: int
    state_dtype: str
    output_shape: tuple[int, ...]
    # The persistent state, [batches, filters, memory] in the state's dtype; run updates it.
    state: np.ndarray = field(compare=False, repr=False)


def _wrap(x: np.ndarray, dtype: str) -> np.ndarray:
    """Two's-complement wrap into `dtype`, as TFLM's implicit int32 → int8/int16 store does."""
    bits = np.iinfo(dtype).bits
    return (((np.asarray(x, np.int64) + (1 << (bits - 1))) & ((1 << bits) - 1)) - (1 << (bits - 1))).astype(dtype)


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    wf = ctx.require_dtype(ctx.input(1), "int8")
    wt = ctx.require_dtype(ctx.input(2), "int8", "int16")
    bias = ctx.input(3)
    state = ctx.require_dtype(ctx.input(4), "int8", "int16")
    out = ctx.require_dtype(ctx.output(), "int8")
    ctx.const(wf)
    ctx.const(wt)
    if bias is None:
        raise ctx.fail("SVDF without a bias is not supported (TFLM's Prepare reads the bias scale)")
    ctx.require_dtype(bias, "int32")
    ctx.const(bias)
    if state.data is not None:
        # TFLM ignores such data (it fills the state on reset), but here the tensor would be a constant.
        raise ctx.fail(f"state tensor '{state.name}' has data in the file; only an empty variable tensor is supported")
    if state.dtype != wt.dtype:
        raise ctx.fail(f"state is {state.dtype} but time weights are {wt.dtype} (TFLM reads the state as the latter)")
    if any(len(t.shape) != 2 for t in (inp, wf, wt, state, out)):
        raise ctx.fail("input, weights, state and output must all be of rank 2")
    rank = int(getattr(ctx.options, "rank", 0) or 0)
    batches, input_size = inp.shape
    filters = wf.shape[0]
    memory = wt.shape[1]
    if rank < 1 or filters % rank:
        raise ctx.fail(f"rank {rank} does not divide the {filters} filters")
    units = filters // rank
    if wf.shape[1] != input_size or wt.shape[0] != filters:
        raise ctx.fail(f"weights of shapes {wf.shape} and {wt.shape} do not fit an input of {input_size}")
    if tuple(state.shape) != (batches, memory * filters):
        raise ctx.fail(f"state of shape {state.shape}: expected {(batches, memory * filters)}")
    if tuple(out.shape) != (batches, units) or ctx.const(bias).size != units:
        raise ctx.fail(f"output {out.shape} and bias {ctx.const(bias).shape} do not hold {units} units")
    in_scale, in_zp = ctx.per_tensor(inp)
    wf_scale, _ = ctx.per_tensor(wf)
    wt_scale, _ = ctx.per_tensor(wt)
    bias_scale, _ = ctx.per_tensor(bias)
    state_scale, state_zp = ctx.per_tensor(state)
    out_scale, out_zp = ctx.per_tensor(out)
    for t, zp in ((inp, in_zp), (state, state_zp)):
        info = np.iinfo(t.dtype)
        if not info.min <= zp <= info.max:
            raise ctx.fail(f"tensor '{t.name}' has zero point {zp}, outside {t.dtype}")
    f32 = np.float32
    # TFLM computes both effective scales in float32 and only then widens them to double.
    scale_1 = float(f32(in_scale) * f32(wf_scale) / f32(state_scale))
    scale_2 = float(f32(state_scale) * f32(wt_scale) / f32(out_scale))
    if not abs(float(f32(bias_scale)) - float(f32(state_scale) * f32(wt_scale))) < BIAS_SCALE_TOLERANCE:
        raise ctx.fail(f"bias scale {bias_scale} is not state scale times time weights scale (TFLM requires it)")
    m1, s1 = fp.quantize_multiplier(scale_1)
    m2, s2 = fp.quantize_multiplier(scale_2)
    ew.require_c_shift(ctx, s1, s2)
    reset = state_zp if state.dtype == "int8" else 0
    initial = _wrap(np.full((batches, filters, memory), reset), state.dtype)
    return Params(
        batches,
        input_size,
        filters,
        rank,
        memory,
        in_zp,
        state_zp,
        reset,
        out_zp,
        m1,
        s1,
        m2,
        s2,
        state.dtype,
        tuple(out.shape),
        initial,
    )


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.batches, p.input_size).astype(np.int64) - p.input_zero_point
    wf = inputs[1].astype(np.int64)
    wt = inputs[2].astype(np.int64)
    bias = inputs[3].astype(np.int64)
    info = np.iinfo(p.state_dtype)
    # The newest activation: saturated to the state's type, then stored with its zero point (wrapping).
    newest = fp.multiply_by_quantized_multiplier(fp.wrap_int32(x @ wf.T), p.feature_multiplier, p.feature_shift)
    newest = _wrap(np.clip(newest, info.min, info.max) + p.state_zero_point, p.state_dtype)
    p.state[:, :, :-1] = p.state[:, :, 1:].copy()
    p.state[:, :, -1] = newest
    centered = p.state.astype(np.int64) - p.state_zero_point
    per_filter = fp.wrap_int32((centered * wt[None]).sum(axis=2))  # [batches, filters]
    units = per_filter.reshape(p.batches, -1, p.rank).sum(axis=2) + bias[None]
    y = fp.multiply_by_quantized_multiplier(fp.wrap_int32(units), p.output_multiplier, p.output_shift)
    return np.clip(y + p.output_zero_point, -128, 127).astype(np.int8).reshape(p.output_shape)


C_TYPES = {"int8": "int8_t", "int16": "int16_t"}


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_svdf_params",
        {
            "batches": p.batches,
            "input_size": p.input_size,
            "filters": p.filters,
            "rank": p.rank,
            "memory": p.memory,
            "input_zero_point": p.input_zero_point,
            "state_zero_point": p.state_zero_point,
            "state_reset": p.state_reset,
            "output_zero_point": p.output_zero_point,
            "feature_multiplier": p.feature_multiplier,
            "feature_shift": p.feature_shift,
            "output_multiplier": p.output_multiplier,
            "output_shift": p.output_shift,
        },
    )
    kernel = "edgenn_svdf_int16_state" if p.state_dtype == "int16" else "edgenn_svdf"
    args = ", ".join([e.input(0), e.input(1), e.input(2), e.input(3), e.input(4), e.output()])
    return f"{kernel}({params}, {args});"


def macs(graph, op) -> int:
    """The feature matmul and the time dot products of one run."""
    batches, input_size = graph.tensors[op.inputs[0]].shape[:2]
    filters, memory = graph.tensors[op.inputs[2]].shape[:2]
    return int(batches) * int(filters) * (int(input_size) + int(memory))
