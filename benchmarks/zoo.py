"""The MLPerf Tiny model shapes the speed benchmark measures, as int8 .tflite files built here.

Speed does not depend on what the weights learned, only on the layers' shapes, so these are built
from seeded random weights (BatchNorm statistics included) and calibrated on seeded random inputs:
- dscnn_kws: MLPerf Tiny's KWS DS-CNN (49×10 MFCC frames, conv 10×4 stride 2 → 64, four depthwise-
  separable blocks of 64, average pooling, FC 64 → 12);
- resnet8: MLPerf Tiny's image classifier (32×32×3, the `resnet8` architecture with 16 filters);
- mobilenet_v1: visual wake words (96×96×3, `mobilenet_v1` at α = 0.25, 2 classes);
- fc_autoencoder: MLPerf Tiny's anomaly detection model (640 features, 4 × 128, bottleneck 8).

They are written once to build/zoo/ (ignored by git) and rebuilt when this file changes.

Usage: python benchmarks/zoo.py   (prints where each model is and its MACs)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ZOO = REPO / "build" / "zoo"
SHAPES = {
    "dscnn_kws": (49, 10, 1),
    "resnet8": (32, 32, 3),
    "mobilenet_v1": (96, 96, 3),
    "fc_autoencoder": (640,),
}


def _dscnn(keras):
    L = keras.layers
    inp = keras.Input(shape=SHAPES["dscnn_kws"])
    x = L.Conv2D(64, (10, 4), strides=2, padding="same", use_bias=False)(inp)
    x = L.ReLU()(L.BatchNormalization()(x))
    for _ in range(4):
        x = L.ReLU()(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)))
        x = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 1, use_bias=False)(x)))
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Softmax()(L.Dense(12)(x)), name="dscnn_kws")


def _build(name: str):
    import keras

    from edgenn.train.architectures import build_architecture

    keras.utils.set_random_seed(0)
    if name == "dscnn_kws":
        return _dscnn(keras)
    if name == "resnet8":
        return build_architecture(keras, "resnet8", SHAPES[name], 10, {"filters": 16})
    if name == "mobilenet_v1":
        return build_architecture(keras, "mobilenet_v1", SHAPES[name], 2, {"alpha": 0.25})
    return build_architecture(
        keras, "fc_autoencoder", SHAPES[name], SHAPES[name][0], {"hidden": 128, "bottleneck": 8, "depth": 4}
    )


def _randomise_batchnorm(model, rng: np.random.Generator) -> None:
    """Trained-looking BatchNorm statistics, so each channel gets its own scale as after training."""
    for layer in model.layers:
        if layer.__class__.__name__ == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            n = gamma.shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, n).astype(np.float32),
                    rng.normal(0, 0.2, n).astype(np.float32),
                    rng.normal(0, 0.2, n).astype(np.float32),
                    rng.uniform(0.5, 2.0, n).astype(np.float32),
                ]
            )


def zoo(names: tuple[str, ...] = tuple(SHAPES)) -> dict[str, Path]:
    """Each model's int8 .tflite, built if missing or older than this file's contents."""
    stamp = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    found = {}
    for name in names:
        path = ZOO / f"{name}-{stamp}.tflite"
        if not path.is_file():
            from edgenn.optimize.quantize import tflite_variant

            model = _build(name)
            rng = np.random.default_rng(0)
            _randomise_batchnorm(model, rng)
            calib = rng.normal(0, 1, (64, *SHAPES[name])).astype(np.float32)
            data = tflite_variant(model, "int8_per_channel", calib)
            ZOO.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        found[name] = path
    return found


def main() -> None:
    from edgenn.graph.tflite import read_tflite
    from edgenn.reference import macs

    for name, path in zoo().items():
        print(f"{name}: {path.relative_to(REPO)}, {macs(read_tflite(path)):,} MACs")


if __name__ == "__main__":
    main()
