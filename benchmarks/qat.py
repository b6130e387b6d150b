"""How closely the int8 model computes what its fake-quant model computes (edgenn.optimize.qat), layer by
layer, for the digits and KWS recipes, with int8 and with 4-bit weights.

The recipe build's trained Keras model is made fake-quant (`qat_model`: BatchNorm folded, ranges set on
the build's calibration samples; no fine-tuning, which changes the weights, not the agreement), then
converted from its ranges (`to_int8`; 4-bit: the int4 rewrite after it). For every tensor with a range
of its own, the model cut there is converted too, and its int8 outputs (TFLM, test split) are compared
with the fake-quant model's outputs on the same grid: the largest difference in LSB and how many
values differ at all. The cut models see what the whole model sees, so a value that parts in one
layer shows in the layers after it; the samples are put on the input's grid first, so that both
models start from the same int8 input. A softmax output is compared too: it stays float in the
fake-quant model. Last, the whole model's class: how often TFLM's int8 argmax equals the fake-quant
model's, and both accuracies.

Builds missing from build/ are made with `edgenn run` (KWS needs ../shared/datasets/fsdd).

With --float-path the fake-quant model computes as in training (edgenn.train.fake_quant.float_path):
in float, rounding once per layer, rather than replaying TFLite's integer arithmetic.

Usage: python benchmarks/qat.py [--models digits_cnn,kws_dscnn] [--bits 8,4] [--float-path]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.compress import build  # noqa: E402
from edgenn import layout  # noqa: E402
from edgenn.convert.pipeline import load_keras  # noqa: E402
from edgenn.data.splits import load_build_data  # noqa: E402
from edgenn.evaluate.runners import TFLMRunner  # noqa: E402
from edgenn.optimize.qat import qat_model, to_int8  # noqa: E402
from edgenn.train.fake_quant import FakeQuant  # noqa: E402


def int8_outputs(model, x: np.ndarray, tmp: Path) -> tuple[np.ndarray, float, int]:
    path = tmp / "cut.tflite"
    path.write_bytes(to_int8(model))
    runner = TFLMRunner(path)
    quant = runner.output_quant
    return runner.predict(x), float(np.ravel(quant.scale)[0]), int(np.ravel(quant.zero_point)[0])


def compare(model, x: np.ndarray, tmp: Path) -> tuple[int, str]:
    """The largest difference in LSB, and how many values differ at all ("n of N")."""
    got, scale, zero = int8_outputs(model, x, tmp)
    want = np.round(np.asarray(model(x, training=False)) / scale).astype(np.int64) + zero
    d = np.abs(got.astype(np.int64).reshape(want.shape) - want)
    return int(d.max()), f"{int((d > 0).sum()):,} of {d.size:,}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="digits_cnn,kws_dscnn")
    ap.add_argument("--bits", default="8,4")
    ap.add_argument(
        "--float-path", action="store_true", help="compare the fake-quant model's float path (what training computes)"
    )
    args = ap.parse_args()
    from edgenn.train.fake_quant import float_path

    with float_path() if args.float_path else contextlib.nullcontext():
        report(args.models.split(","), [int(b) for b in args.bits.split(",")])


def report(models: list[str], bits_list: list[int]) -> None:
    import keras

    for name in models:
        folder = build(name)
        data = load_build_data(folder)
        model = load_keras(folder / layout.KERAS_MODEL)
        x, y = data.x_test, data.y_test
        print(f"\n{name}: {len(y)} test samples\n")
        for bits in bits_list:
            q = qat_model(model, data.x_calib, weight_bits=bits)
            # The samples on the input's grid, so that both models start from the same int8 input (the
            # harness rounds floats to int8 its own way; the input's FakeQuant, near ties, the other).
            x = np.asarray(q.get_layer("input_quant")(data.x_test))
            print(f"weights: {bits}-bit\n")
            print("| tensor | depth | max LSB | values differing |")
            print("|---|---:|---:|---:|")
            with tempfile.TemporaryDirectory() as tmp:
                depth = 0
                for layer in q.layers:
                    if not isinstance(layer, FakeQuant) or layer.name == "input_quant":
                        continue
                    depth += 1
                    worst, share = compare(keras.Model(q.input, layer.output), x, Path(tmp))
                    print(f"| {layer.name.removesuffix('_quant')} | {depth} | {worst} | {share} |")
                if not isinstance(q.layers[-1], FakeQuant):  # an output of fixed scale (softmax): float in both
                    worst, share = compare(q, x, Path(tmp))
                    print(f"| {q.layers[-1].name} (output) | {depth + 1} | {worst} | {share} |")
                got, _, _ = int8_outputs(q, x, Path(tmp))
            fq = np.asarray(q(x, training=False))
            same = np.mean(got.argmax(1) == fq.argmax(1))
            print(
                f"\nclass equal to the fake-quant model's: {100 * same:.2f}%; accuracy fake-quant "
                f"{100 * np.mean(fq.argmax(1) == y):.2f}%, int8 {100 * np.mean(got.argmax(1) == y):.2f}%\n"
            )


if __name__ == "__main__":
    main()
