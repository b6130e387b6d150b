"""FULLY_CONNECTED, int8: TFLM's reference_integer_ops::FullyConnected (per-tensor or per-channel)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "FULLY_CONNECTED"
TFLM_RESOLVER = "AddFullyConnected"
TFLITE_OPTIONS = "FullyConnectedOptions"
CONSTANTS = ("biases", "quantization")
C_DEPENDS = ("conv_common",)


@dataclass(frozen=True)
class ConvQuant:
    """The requantization every int8 convolution-like op's params lead with (TFLM's OpDataConv)."""

    input_offset: int
    output_offset: int
    multiplier: np.ndarray  # int32, one per output channel (repeated when per-tensor)
    shift: np.ndarray  # int32
    act_min: int
    act_max: int


@dataclass(frozen=True)
class Params(ConvQuant):
    batches: int
    accum_depth: int
    output_depth: int
    output_shape: tuple[int, ...]


def conv_multipliers(ctx: OpContext, input_scale: float, filter_scales, output_scale: float, channels: int):
    """Per-channel (multiplier, shift) as TFLM's PopulateConvolutionQuantizationParams computes them."""
    scales = list(filter_scales) if len(filter_scales) > 1 else [filter_scales[0]] * channels
    pairs = [fp.quantize_multiplier(float(input_scale) * float(s) / float(output_scale)) for s in scales]
    return np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32)


def conv_quant(ctx: OpContext, inp, flt, out, channels: int) -> tuple:
    """ConvQuant's fields, in order, for int8 input `inp`, weights `flt` and output `out`."""
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    mult, shift = conv_multipliers(ctx, in_scale, flt.scale, out_scale, channels)
    act_min, act_max = fp.activation_range(ctx.activation(), out_scale, out_zp)
    return -in_zp, out_zp, mult, shift, act_min, act_max


def bias_or_zeros(bias, channels: int) -> np.ndarray:
    """The bias as int64, or zeros where the op has none."""
    return np.zeros(channels, np.int64) if bias is None else bias.astype(np.int64)


def check_weights(ctx: OpContext, inp, flt, bias, out, bias_dtype: str = "int32") -> tuple[int, int, int]:
    """Weights, bias and shapes as TFLM's FullyConnected reads them: (batches, accum_depth, output_depth)."""
    ctx.const(flt)
    if bias is not None:
        ctx.require_dtype(bias, bias_dtype)
        ctx.const(bias)
    if ctx.options is not None and getattr(ctx.options, "weightsFormat", 0) != 0:
        raise ctx.fail("shuffled weights are not supported")
    if any(z != 0 for z in flt.zero_point):
        raise ctx.fail("weights with a non-zero zero point are not supported")
    if len(flt.shape) != 2 or min(flt.shape) < 1:
        raise ctx.fail(f"weights of shape {flt.shape}: expected [outputs, inputs]")
    output_depth, accum_depth = flt.shape
    if len(flt.scale) not in (1, output_depth):
        raise ctx.fail(f"weights have {len(flt.scale)} scales for {output_depth} outputs")
    if bias is not None and ctx.const(bias).size != output_depth:
        raise ctx.fail(f"bias has {ctx.const(bias).size} values for {output_depth} outputs")
    size = int(np.prod(inp.shape))
    if size % accum_depth:
        raise ctx.fail(f"input of {size} values does not divide into rows of {accum_depth}")
    if int(np.prod(out.shape)) != size // accum_depth * output_depth:
        raise ctx.fail(f"output shape {out.shape} does not hold {size // accum_depth} rows of {output_depth}")
    return size // accum_depth, accum_depth, output_depth


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    flt = ctx.require_dtype(ctx.input(1), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    batches, accum_depth, output_depth = check_weights(ctx, inp, flt, ctx.input(2), out)
    quant = conv_quant(ctx, inp, flt, out, output_depth)
    return Params(*quant, batches, accum_depth, output_depth, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.batches, p.accum_depth).astype(np.int64) + p.input_offset
    w = inputs[1].reshape(p.output_depth, p.accum_depth).astype(np.int64)
    acc = x @ w.T
    if len(inputs) > 2 and inputs[2] is not None:
        acc = acc + inputs[2].astype(np.int64)
    acc = fp.multiply_by_quantized_multiplier(fp.wrap_int32(acc), p.multiplier, p.shift) + p.output_offset
    return np.clip(acc, p.act_min, p.act_max).astype(np.int8).reshape(p.output_shape)


def accumulator_bound(raw_bias, weight_abs_sums) -> np.ndarray:
    """Per output channel, |bias| + 255 * sum|w|: a bound on the int32 sums, as |input + input_offset| <= 255."""
    return np.abs(np.asarray(raw_bias, np.int64)) + 255 * np.asarray(weight_abs_sums, np.int64)


def requant_constants(p, raw_bias: np.ndarray, weight_abs_sums: np.ndarray) -> np.ndarray | None:
    """{multiplier, right shift - 1} per output channel for the kernels' one-multiply requantization
    (edgenn_conv_rq), or None where it would not be exact: it needs every accumulator below 2^30 in
    magnitude (bounded here by |bias| + 255 * sum|w|, as |input + input_offset| <= 255), non-negative
    multipliers and right shifts in [1, 31]."""
    shift = np.asarray(p.shift, np.int64)
    multiplier = np.asarray(p.multiplier, np.int64)
    right = -shift
    bound = accumulator_bound(raw_bias, weight_abs_sums)
    if shift.size == 0 or (right < 1).any() or (right > 31).any() or (multiplier < 0).any() or (bound >= 1 << 30).any():
        return None
    return np.stack([multiplier, right - 1], axis=1)


def requant_fields(p, e, raw_bias: np.ndarray, weight_abs_sums: np.ndarray) -> dict[str, object]:
    """The params' multiplier, shift and rq_k fields: one int32 multiplier and one int8 shift per
    output channel (one per layer where every layer's are per tensor: EDGENN_QCH); the one-multiply
    form's remaining constant, 2 * output_offset + 1, is the layer's. A layer left with rq_k == 0 needs
    the kernels' two-step path (RQ_TWO_STEP)."""
    q = requant_constants(p, raw_bias, weight_abs_sums)
    if q is None:
        e.use("RQ_TWO_STEP")
        return {
            "multiplier": e.array("int32_t", p.multiplier, "multiplier", "quantization", per_channel=True),
            "shift": e.array("int8_t", p.shift, "shift", "quantization", per_channel=True),
            "rq_k": 0,
        }
    return {
        "multiplier": e.array("int32_t", q[:, 0], "requant_multiplier", "quantization", per_channel=True),
        "shift": e.array("int8_t", q[:, 1], "requant_shift", "quantization", per_channel=True),
        "rq_k": 2 * p.output_offset + 1,
    }


def emit(p: Params, e) -> str:

    weights = e.data(1).astype(np.int64).reshape(p.output_depth, p.accum_depth)
    bias = e.data(2) if len(e.op.inputs) > 2 else None
    raw = bias_or_zeros(bias, p.output_depth)
    folded = raw + p.input_offset * weights.sum(1)
    params = e.struct(
        "edgenn_fully_connected_params",
        {
            "batches": p.batches,
            "accum_depth": p.accum_depth,
            "output_depth": p.output_depth,
            "output_offset": p.output_offset,
            "act_min": p.act_min,
            "act_max": p.act_max,
            "bias": e.array("int32_t", fp.wrap_int32(folded), "bias_folded", "biases"),
            **requant_fields(p, e, raw, np.abs(weights).sum(1)),
        },
    )
    if e.packing is not None and unpack_group(p, e.packing) == 0:
        e.use("FC_INT4" if e.packing.encoding == "int4" else "FC_LUT4" if e.packing.paired else "FC_SPARSE")
        return e.packed_call("edgenn_fully_connected", params)
    e.use("FC_DENSE")
    if e.packing is not None:
        return e.packed_call("edgenn_fully_connected", params)
    return f"edgenn_fully_connected({params}, {e.input(0)}, {e.input(1)}, {e.output()});"


def packable(p: Params) -> bool:
    """Whether the C can run the layer on packed weights (export/packing.py): one input row."""
    return p.batches == 1


def unpack_group(p: Params, packing) -> int:
    """Channels unpacked at a time: none for int4, sparse and paired 4-bit indices into one table,
    which every core reads in the loop."""
    return 0 if packing.encoding in ("int4", "sparse") or packing.paired else packing.group


def macs(graph, op) -> int:
    w = graph.tensors[op.inputs[1]]  # [out, in]
    return int(np.prod(graph.tensors[op.outputs[0]].shape)) * w.shape[-1]
