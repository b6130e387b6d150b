"""Packed weights against the dense int8 C, measured side by side in one run: flash, RAM, accuracy and
Cortex-M4 instructions of each compression of the digits and KWS recipes' int8 models.

Each scheme is applied post-training to the recipe build's int8 model (`edgenn compress`: weights
clustered to 2^b values per channel for lutB, put on a 4-bit grid for int4, blocks of 2 channels x 4
values pruned to 75% for sparse; no fine-tuning) and generated with `edgenn codegen --compress
SCHEME`. Flash and RAM: text + data and data + bss of the compiled Cortex-M4 model objects (weights,
constants, kernel code; the arena). Accuracy: TFLM on the build's test split; the generated C, built
for the host, must give TFLM's bytes on every test sample. Instructions: one inference on the emulated
Cortex-M4 (QEMU plugin, as `edgenn profile` counts them, 2 random inputs), in total and for the
layers whose weights are packed (the ratio of their sum, and the largest ratio of one of them).

`--optimize size` generates every scheme, the dense one included, with kernels built for flash
(`edgenn codegen --optimize size`), so the ratios compare like with like; `--ram-budget BYTES` plans
every one for that arena (`edgenn codegen --ram-budget`: palettized layers then unpack as many channels
at a time as it holds).

Builds missing from build/ are made with `edgenn run` (KWS needs ../shared/datasets/fsdd).

Usage: python benchmarks/compress.py [--models digits_cnn,kws_dscnn] [--schemes none,int4,lut4,lut3,lut2,sparse]
       [--optimize speed|size] [--ram-budget BYTES]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgenn import layout, toolchain  # noqa: E402
from edgenn.data.splits import load_build_data  # noqa: E402
from edgenn.evaluate.metrics import accuracy  # noqa: E402
from edgenn.evaluate.runners import CRunner, TFLMRunner  # noqa: E402
from edgenn.export.codegen import codegen  # noqa: E402
from edgenn.graph.quant import dequantize  # noqa: E402
from edgenn.graph.tflite import parse_tflite  # noqa: E402
from edgenn.optimize.compress import SCHEMES, compress_tflite  # noqa: E402
from edgenn.profile import first_inputs, profile_folder  # noqa: E402

RECIPES = {"digits_cnn": "models/digits_cnn.toml", "kws_dscnn": "models/kws_dscnn.toml"}
SPARSITY = 0.75


def build(name: str) -> Path:
    out = REPO / "build" / name
    if not (out / layout.TFLITE_INT8).is_file():
        subprocess.run([sys.executable, "-m", "edgenn", "run", str(REPO / RECIPES[name]), "-o", str(out)], check=True)
    return out


def measure(
    data: bytes, scheme: str, tmp: Path, x_test: np.ndarray, y_test: np.ndarray, optimize: str, ram_budget: int | None
) -> dict:
    model = tmp / "model.tflite"
    model.write_bytes(data)
    folder = codegen(
        model,
        tmp / "c",
        name="model",
        command="benchmarks/compress.py",
        compress=scheme,
        optimize=optimize,
        ram_budget=ram_budget,
    )
    m4 = toolchain.build(folder, "cortex-m4")
    toolchain.build(folder, "host")
    tflm = TFLMRunner(model)
    want = tflm.predict(x_test)
    got = CRunner(folder).predict(x_test)
    if not np.array_equal(got.reshape(want.shape), want):
        raise SystemExit(f"{scheme}: the packed C differs from TFLM on the test split")
    graph = parse_tflite(data, model)
    prof = profile_folder(folder, graph, first_inputs(folder, graph, None, 2))
    manifest = toolchain.manifest(folder)
    return {
        "flash": m4.flash_bytes,
        "ram": m4.ram_bytes,
        "accuracy": accuracy(dequantize(want, tflm.output_quant), y_test),
        "instructions": prof["total"]["instructions"],
        "layers": {layer["index"]: layer["instructions"] for layer in prof["layers"]},
        "packed": [p["op"] for p in manifest.get("packed", [])],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(RECIPES))
    ap.add_argument("--schemes", default="none," + ",".join(SCHEMES))
    ap.add_argument("--optimize", choices=("speed", "size"), default="speed", help="what the kernels are built for")
    ap.add_argument("--ram-budget", type=int, default=None, help="the arena every scheme is planned for (bytes)")
    args = ap.parse_args()
    toolchain.require_tools("cortex-m4")
    for name in args.models.split(","):
        path = build(name)
        src = (path / layout.TFLITE_INT8).read_bytes()
        split = load_build_data(path)
        rows = {}
        for scheme in args.schemes.split(","):
            data = src if scheme == "none" else compress_tflite(src, scheme, SPARSITY)[0]
            with tempfile.TemporaryDirectory() as tmp:
                rows[scheme] = measure(
                    data, scheme, Path(tmp), split.x_test, split.y_test, args.optimize, args.ram_budget
                )
        dense = rows["none"]
        print(
            f"\n{name}: {len(split.y_test)} test samples; kernels built for {args.optimize}; "
            f"{'the smallest arena' if args.ram_budget is None else f'planned for {args.ram_budget:,} B'}; "
            "ratios to the dense int8 C ('none')\n"
        )
        print(
            "| scheme | flash B | × | RAM B | accuracy | Δ pp | M4 instructions | × | packed layers × "
            "| worst packed layer × |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for scheme, r in rows.items():
            packed = r["packed"]
            if packed:
                ratios = [r["layers"][i] / dense["layers"][i] for i in packed]
                together = sum(r["layers"][i] for i in packed) / sum(dense["layers"][i] for i in packed)
                layer_cols = f"{together:.2f} | {max(ratios):.2f}"
            else:
                layer_cols = "— | —"
            print(
                f"| {scheme} | {r['flash']:,} | {r['flash'] / dense['flash']:.2f} | {r['ram']:,} "
                f"| {100 * r['accuracy']:.2f}% | {100 * (r['accuracy'] - dense['accuracy']):+.2f} "
                f"| {r['instructions']:,.0f} | {r['instructions'] / dense['instructions']:.2f} | {layer_cols} |"
            )


if __name__ == "__main__":
    main()
