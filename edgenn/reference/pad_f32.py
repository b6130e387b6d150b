"""PAD, float32: TFLM's reference_ops::Pad (float), filling with 0.0f.

0.0f is four zero bytes, so the float tensor is padded as bytes: its innermost dim viewed as 4x as
many bytes, by the int8 kernel (pad.c) with a zero fill.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference import pad
from edgenn.reference.base import OpContext

NAME = "PAD"
TFLM_RESOLVER = "AddPad"
TFLITE_OPTIONS = "PadOptions"
TYPES = ("float32",)
C_DEPENDS = ("pad",)


@dataclass(frozen=True)
class Params:
    paddings: tuple[tuple[int, int], ...]  # (before, after) per input dimension
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp, out = fl.float_operands(ctx, 0)
    pads = ctx.require_dtype(ctx.input(1), "int32")
    if len(ctx.op.inputs) > 2 and ctx.op.inputs[2] >= 0:
        raise ctx.fail("an explicit pad value (PADV2-style third input) is not supported")
    pairs = pad.padding_pairs(ctx, inp, pads, out)
    return Params(pairs, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    return np.pad(np.asarray(inputs[0], np.float32), p.paddings, mode="constant", constant_values=np.float32(0.0))


def emit(p: Params, e) -> str:
    return pad.emit_call(e, "edgenn_pad_f32", p.output_shape, p.paddings, 0, item_bytes=4)
