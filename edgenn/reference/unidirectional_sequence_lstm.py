"""UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations, int8 weights, int16 cell state: TFLM's integer LSTM.

What the converter makes of a Keras LSTM under full-integer quantization ("8x8_16"). TFLM's
lstm_eval runs, for each time step, four gates (input, forget, cell, output): an input FC and a
recurrent FC (int8 x int8 → int32, requantized to int16 at scale 2^-12, the recurrent one without
bias), their saturating int16 sum, then sigmoid (the cell gate: the op's fused activation, tanh)
into Q0.15. The cell state (int16, power-of-two scale) becomes forget * cell + input * cell gate,
both products requantized to the cell scale, saturating and clipped to the quantized cell clip;
the new hidden state (int8, the output's quantization) is tanh(cell) * output gate requantized.

The hidden and cell states are variable tensors: TFLM fills them once (the int8 one with its zero
point, the int16 one with 0) and then carries them from one invocation to the next, so a model
remembers earlier inputs. `Params.state` holds them for the reference, as the arena does for the
C. The C keeps the hidden state XOR its zero point: the zero-initialised arena then reads as
TFLM's initial state without any start-up code.

Peepholes, projection and layer normalisation (inputs 9-11, 16-17, 20-23) are refused, as TFLM
refuses them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edgenn.reference import _lstm
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import ACTIVATIONS, OpContext

NAME = "UNIDIRECTIONAL_SEQUENCE_LSTM"
TFLM_RESOLVER = "AddUnidirectionalSequenceLSTM"
TFLITE_OPTIONS = "UnidirectionalSequenceLSTMOptions"
CONSTANTS = ("weights", "biases", "quantization", "tables")
C_DEPENDS = ("sigmoid_i16",)

# Op inputs, as lstm_shared.h numbers them; gates in the order the C packs them.
GATES = ("input", "forget", "cell", "output")
INPUT_WEIGHTS = (1, 2, 3, 4)
RECURRENT_WEIGHTS = (5, 6, 7, 8)
BIASES = (12, 13, 14, 15)
HIDDEN_STATE, CELL_STATE = 18, 19
UNSUPPORTED = {9: "peepholes", 10: "peepholes", 11: "peepholes", 16: "a projection", 17: "a projection"}
UNSUPPORTED.update({i: "layer normalisation" for i in range(20, 24)})

GATE_SCALE = 2.0**-12  # the FC outputs: Q3.12, the sigmoid's and tanh's input
NONLINEAR_SCALE = 2.0**-15  # the gates: Q0.15


@dataclass(frozen=True)
class Params:
    batches: int
    time_steps: int
    input_size: int
    units: int
    time_major: bool
    input_zero_point: int
    hidden_zero_point: int
    fc_multiplier: np.ndarray  # [2, 4]: input FC then recurrent FC, gates in GATES order
    fc_shift: np.ndarray
    forget_multiplier: int  # forget gate x cell state → cell state
    forget_shift: int
    update_multiplier: int  # input gate x cell gate → cell state
    update_shift: int
    hidden_multiplier: int  # tanh(cell) x output gate → hidden state
    hidden_shift: int
    cell_clip: int | None  # quantized; None: no clipping
    cell_tanh: tuple[int, int]  # (multiplier, shift) bringing the cell state to tanh's input
    output_shape: tuple[int, ...]
    # The variable tensors, carried from one run to the next (filled on the first).
    state: dict = field(default_factory=dict, compare=False, repr=False)


def _multiplier(ctx: OpContext, real: float) -> tuple[int, int]:
    m, s = fp.quantize_multiplier(real)
    if m == 0:
        raise ctx.fail(f"an effective scale of {real:g} underflows the multiplier")
    return m, s


def prepare(ctx: OpContext) -> Params:
    if len(ctx.op.inputs) != 24:
        raise ctx.fail(f"has {len(ctx.op.inputs)} inputs; TFLM's LSTM takes 24")
    for i, what in UNSUPPORTED.items():
        if ctx.input(i) is not None:
            raise ctx.fail(f"LSTMs with {what} are not supported (TFLM refuses them too)")
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    hidden = ctx.require_dtype(ctx.input(HIDDEN_STATE), "int8")
    cell = ctx.require_dtype(ctx.input(CELL_STATE), "int16")
    for t in (hidden, cell):
        if t.data is not None or t.index in ctx.graph.inputs or t.index in ctx.graph.outputs:
            raise ctx.fail(f"state tensor '{t.name}' must be a variable tensor")
        if ctx.for_c and any(t.index in op.inputs for op in ctx.graph.ops if op is not ctx.op):
            raise ctx.fail(f"state tensor '{t.name}' is read by another op; the C keeps it encoded")
    weights = [ctx.require_dtype(ctx.input(i), "int8") for i in (*INPUT_WEIGHTS, *RECURRENT_WEIGHTS)]
    biases = [ctx.require_dtype(ctx.input(i), "int32") for i in BIASES]
    for t in (*weights, *biases):
        ctx.const(t)
    for w in weights:
        if len(w.scale) != 1:
            raise ctx.fail(f"weights '{w.name}' have {len(w.scale)} scales; the integer LSTM takes one per tensor")
        if w.zero_point[0] != 0:
            raise ctx.fail(f"weights '{w.name}' have a non-zero zero point")
    activation = ACTIVATIONS.get(getattr(ctx.options, "fusedActivationFunction", 0), "?")
    if activation != "TANH":
        raise ctx.fail(f"cell gate activation {activation} is not supported (TANH only)")
    if getattr(ctx.options, "asymmetricQuantizeInputs", False):
        raise ctx.fail("hybrid (asymmetric-quantized inputs) LSTMs are not supported")

    if len(inp.shape) != 3 or len(out.shape) != 3:
        raise ctx.fail(f"input {inp.shape} and output {out.shape} must both be rank 3")
    time_major = bool(getattr(ctx.options, "timeMajor", False))
    time_steps, batches = (inp.shape[0], inp.shape[1]) if time_major else (inp.shape[1], inp.shape[0])
    input_size = inp.shape[2]
    units = weights[0].shape[0] if len(weights[0].shape) == 2 else -1
    for k, w in enumerate(weights):
        want = (units, input_size) if k < 4 else (units, units)
        if tuple(w.shape) != want:
            raise ctx.fail(f"weights '{w.name}' are {w.shape}, expected {want}")
    for b in biases:
        if tuple(b.shape) != (units,):
            raise ctx.fail(f"bias '{b.name}' is {b.shape}, expected ({units},)")
    if tuple(out.shape) != (*inp.shape[:2], units):
        raise ctx.fail(f"output {out.shape} does not match input {inp.shape} and {units} units")
    for t in (hidden, cell):
        if int(np.prod(t.shape)) != batches * units:
            raise ctx.fail(f"state tensor '{t.name}' of shape {t.shape} does not hold {batches} x {units}")

    in_scale, in_zp = ctx.per_tensor(inp)
    h_scale, h_zp = ctx.per_tensor(hidden)
    cell_scale, cell_zp = ctx.per_tensor(cell)
    if cell_zp != 0:
        raise ctx.fail("the cell state must have zero point 0")
    power = math.log2(cell_scale)
    if power != round(power):
        raise ctx.fail(f"cell state scale {cell_scale:g} is not a power of two")
    if power > 2:
        # tanh's input scaling (3 << (12 + power)) would overflow int32 on the largest cell values.
        raise ctx.fail(f"cell state scale 2^{int(power)} is too coarse (at most 2^2)")
    out_scale, out_zp = ctx.per_tensor(out)
    if (out_scale, out_zp) != (h_scale, h_zp):
        raise ctx.fail("the output must share the hidden state's quantization (TFLM copies it)")

    fc = [
        _multiplier(ctx, float(src) * float(w.scale[0]) / GATE_SCALE)
        for src, group in ((in_scale, weights[:4]), (h_scale, weights[4:]))
        for w in group
    ]
    forget = _multiplier(ctx, NONLINEAR_SCALE * float(cell_scale) / float(cell_scale))
    update = _multiplier(ctx, NONLINEAR_SCALE * NONLINEAR_SCALE / float(cell_scale))
    hide = _multiplier(ctx, NONLINEAR_SCALE * NONLINEAR_SCALE / float(h_scale))
    clip = float(getattr(ctx.options, "cellClip", 0.0))
    # CreateLstmCellStateInfo: float clip / float scale in double, saturated, truncated to int16.
    quantized_clip = int(min(max(np.float64(np.float32(clip)) / np.float64(np.float32(cell_scale)), -32768.0), 32767.0))
    return Params(
        batches,
        time_steps,
        input_size,
        units,
        time_major,
        in_zp,
        h_zp,
        np.array([m for m, _ in fc], np.int32).reshape(2, 4),
        np.array([s for _, s in fc], np.int32).reshape(2, 4),
        *forget,
        *update,
        *hide,
        quantized_clip if clip > 0 else None,
        _lstm.input_scaling(int(round(power))),
        out.shape,
    )


def _requantize16(x, multiplier: int, shift: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier saturated to int16: the FC outputs and the cell state products."""
    return np.clip(fp.multiply_by_quantized_multiplier(x, multiplier, shift), -32768, 32767)


def _gate(p: Params, inputs, g: int, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Gate g (GATES order) in Q0.15: both FCs (int16 out, zero point 0), saturating sum, activation."""
    acc_in = (x + -p.input_zero_point) @ inputs[INPUT_WEIGHTS[g]].astype(np.int64).T
    acc_in = acc_in + inputs[BIASES[g]].astype(np.int64)
    acc_rec = (h + -p.hidden_zero_point) @ inputs[RECURRENT_WEIGHTS[g]].astype(np.int64).T
    z = _requantize16(fp.wrap_int32(acc_in), int(p.fc_multiplier[0, g]), int(p.fc_shift[0, g]))
    z = np.clip(
        z + _requantize16(fp.wrap_int32(acc_rec), int(p.fc_multiplier[1, g]), int(p.fc_shift[1, g])), -32768, 32767
    )
    return _lstm.tanh(z, 3, 0) if GATES[g] == "cell" else _lstm.sigmoid(z)


def run(p: Params, inputs) -> np.ndarray:
    if not p.state:
        p.state["hidden"] = np.full((p.batches, p.units), p.hidden_zero_point, np.int64)
        p.state["cell"] = np.zeros((p.batches, p.units), np.int64)
    h, c = p.state["hidden"], p.state["cell"]
    x = inputs[0].astype(np.int64)
    if not p.time_major:
        x = x.transpose(1, 0, 2)  # [time, batch, features]
    out = np.empty((p.time_steps, p.batches, p.units), np.int64)
    for t in range(p.time_steps):
        i_gate, f_gate, c_gate, o_gate = (_gate(p, inputs, g, x[t], h) for g in range(4))
        kept = _requantize16(f_gate * c, p.forget_multiplier, p.forget_shift)
        c = np.clip(kept + _requantize16(i_gate * c_gate, p.update_multiplier, p.update_shift), -32768, 32767)
        if p.cell_clip is not None:
            c = np.clip(c, -p.cell_clip, p.cell_clip)
        prod = _lstm.tanh(c, *p.cell_tanh) * o_gate
        h = np.clip(
            p.hidden_zero_point + fp.multiply_by_quantized_multiplier(prod, p.hidden_multiplier, p.hidden_shift),
            -128,
            127,
        )
        out[t] = h
    p.state["hidden"], p.state["cell"] = h, c
    if not p.time_major:
        out = out.transpose(1, 0, 2)
    return out.astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    def packed(indices) -> np.ndarray:
        return np.concatenate([e.data(i).astype(np.int64) for i in indices])

    w_in, w_rec = packed(INPUT_WEIGHTS), packed(RECURRENT_WEIGHTS)
    # Both FCs' input offsets fold into per-row constants: the bias (input FC only, as in TFLM)
    # minus zero point x row sum.
    b_in = packed(BIASES) - p.input_zero_point * w_in.sum(1)
    b_rec = -p.hidden_zero_point * w_rec.sum(1)
    params = e.struct(
        "edgenn_unidirectional_sequence_lstm_params",
        {
            "batches": p.batches,
            "time_steps": p.time_steps,
            "input_size": p.input_size,
            "units": p.units,
            "time_major": int(p.time_major),
            "input_weights": e.array("int8_t", w_in, "input_weights", "weights", tensor=True),
            "recurrent_weights": e.array("int8_t", w_rec, "recurrent_weights", "weights", tensor=True),
            "input_bias": e.array("int32_t", fp.wrap_int32(b_in), "input_bias_folded", "biases"),
            "recurrent_bias": e.array("int32_t", fp.wrap_int32(b_rec), "recurrent_bias_folded", "biases"),
            "fc_multiplier": e.array("int32_t", p.fc_multiplier.reshape(-1), "fc_multiplier", "quantization"),
            "fc_shift": e.array("int32_t", p.fc_shift.reshape(-1), "fc_shift", "quantization"),
            "sigmoid_table": e.array("uint16_t", _lstm.SIGMOID_TABLE, "sigmoid_table", "tables"),
            "forget_multiplier": p.forget_multiplier,
            "forget_shift": p.forget_shift,
            "update_multiplier": p.update_multiplier,
            "update_shift": p.update_shift,
            "hidden_multiplier": p.hidden_multiplier,
            "hidden_shift": p.hidden_shift,
            "hidden_zero_point": p.hidden_zero_point,
            "clip_cell": int(p.cell_clip is not None),
            "cell_clip": p.cell_clip or 0,
            "cell_tanh_multiplier": p.cell_tanh[0],
            "cell_tanh_shift": p.cell_tanh[1],
        },
    )
    return (
        f"edgenn_unidirectional_sequence_lstm({params}, {e.input(0)}, {e.input(HIDDEN_STATE)}, "
        f"{e.input(CELL_STATE)}, {e.output()});"
    )


def macs(graph, op) -> int:
    inp = graph.tensors[op.inputs[0]]
    units = graph.tensors[op.inputs[1]].shape[0]
    steps = int(np.prod(inp.shape[:2]))
    return steps * 4 * units * (inp.shape[2] + units)
