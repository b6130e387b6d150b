"""TFLite conversion: every converter setting edgenn uses, in one table, applied in one place.

`VARIANTS` names each way edgenn converts a model (float32, float16 weights, dynamic-range int8,
full int8 with per-channel or per-tensor weights, int16x8) by the converter settings it needs;
`to_tflite(make_converter, variant, calib)` applies them to a fresh converter and converts.
`edgenn convert`, `edgenn convert MODEL` (import), the quantization sweep and the test harnesses
all convert through it, so a model converted by one gives the same bytes as by another.

Keras models are traced with batch 1 (`batch_one`), so every shape is static: a Flatten becomes
one RESHAPE with a constant shape instead of SHAPE/STRIDED_SLICE/PACK, which microcontroller
runtimes would have to carry. BatchNormalization folds into the preceding convolution and
Dropout vanishes at inference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgenn.errors import EdgeNNError


@dataclass(frozen=True)
class TFLiteVariant:
    """Converter settings, by name; they are resolved against TensorFlow only when converting."""

    description: str
    optimize: bool = False  # Optimize.DEFAULT: quantize the weights, and the activations when calibrated
    weight_types: tuple[str, ...] = ()  # target_spec.supported_types, as tf dtype names
    ops: str | None = None  # a tf.lite.OpsSet member restricting the model to integer kernels
    input_type: str | None = None  # inference_input_type (a tf dtype name); None keeps float32
    output_type: str | None = None
    per_channel: bool = True

    @property
    def calibrated(self) -> bool:
        """Whether conversion needs representative samples (it does for integer activations)."""
        return self.ops is not None


VARIANTS: dict[str, TFLiteVariant] = {
    "float32": TFLiteVariant("float32 weights and activations"),
    "float16": TFLiteVariant(
        "float16 weights, dequantized to float32 at load", optimize=True, weight_types=("float16",)
    ),
    "dynamic_int8": TFLiteVariant("int8 weights, float activations quantized on the fly", optimize=True),
    "int8_per_channel": TFLiteVariant(
        "full int8, per-channel weight scales, int8 I/O",
        optimize=True,
        ops="TFLITE_BUILTINS_INT8",
        input_type="int8",
        output_type="int8",
    ),
    "int8_per_tensor": TFLiteVariant(
        "full int8, one weight scale per tensor, int8 I/O",
        optimize=True,
        ops="TFLITE_BUILTINS_INT8",
        input_type="int8",
        output_type="int8",
        per_channel=False,
    ),
    "int16x8": TFLiteVariant(
        "int16 activations, int8 weights, int16 I/O",
        optimize=True,
        ops="EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8",
        input_type="int16",
        output_type="int16",
    ),
}

# A model trained with fake quantization (edgenn.optimize.qat) converts to full int8 from its own
# ranges; it is not a variant of a float model, so it is not in VARIANTS. No `ops` restriction: that
# would ask for calibration samples, and the FakeQuant ops already place a scale on every tensor.
QAT_INT8 = TFLiteVariant(
    "full int8 from fake-quantization ranges, int8 I/O", optimize=True, input_type="int8", output_type="int8"
)


def serving_function(tf, model):
    """The model's inference graph with a fixed (1, *input_shape) float32 signature."""
    shape = (1, *model.input_shape[1:])
    spec = tf.TensorSpec(shape, tf.float32, name="input")
    return tf.function(lambda x: model(x, training=False), input_signature=[spec])


def batch_one(keras, model):
    """The same layers and weights behind a batch-1 input, so conversion sees only static shapes."""
    inp = keras.Input(batch_shape=(1, *model.input_shape[1:]), name="input")
    return keras.Model(inp, model(inp, training=False), name=model.name)


def keras_converter(model) -> Callable[[], Any]:
    """A `make_converter` for `to_tflite` that converts a Keras model as it is (trace it with batch_one first)."""
    from edgenn.tfimport import tensorflow

    return lambda: tensorflow().lite.TFLiteConverter.from_keras_model(model)


def to_tflite(
    make_converter: Callable[[], Any], variant: str | TFLiteVariant, calib: np.ndarray | None = None
) -> bytes:
    """Convert with the settings of `variant` (a VARIANTS name, or a TFLiteVariant) and return the .tflite bytes.

    Args:
        make_converter: builds the tf.lite.TFLiteConverter (from a Keras model, a SavedModel or
            concrete functions); called once, after the calibration check.
        variant: the settings to apply.
        calib: representative samples, shaped like one model input each (no batch axis). Required
            by calibrated variants; ignored by the others.
    """
    if isinstance(variant, str):
        if variant not in VARIANTS:
            raise EdgeNNError(None, f"unknown TFLite variant {variant!r}; known: {', '.join(VARIANTS)}")
        label, spec = variant, VARIANTS[variant]
    else:
        label, spec = _label(variant), variant
    if spec.calibrated and (calib is None or len(calib) == 0):
        raise EdgeNNError(None, f"variant {label} needs calibration samples")

    from edgenn.console import native_quiet
    from edgenn.tfimport import tensorflow

    tf = tensorflow()
    converter = make_converter()
    if spec.optimize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if spec.weight_types:
        converter.target_spec.supported_types = [tf.as_dtype(t) for t in spec.weight_types]
    # Only calibrated variants get the samples: with Optimize.DEFAULT, a representative dataset
    # alone turns dynamic-range or float16 conversion into integer quantization with float fallback.
    if spec.calibrated:

        def representative():
            for sample in calib:
                yield [sample[np.newaxis].astype(np.float32)]

        converter.representative_dataset = representative
    if spec.ops is not None:
        converter.target_spec.supported_ops = [getattr(tf.lite.OpsSet, spec.ops)]
    if spec.input_type is not None:
        converter.inference_input_type = tf.as_dtype(spec.input_type)
    if spec.output_type is not None:
        converter.inference_output_type = tf.as_dtype(spec.output_type)
    if not spec.per_channel:
        # The converter has no public switch; per-tensor weights are what older int8
        # accelerators and some DSP kernels require.
        converter._experimental_disable_per_channel = True
    with native_quiet():
        return converter.convert()


def _label(variant: TFLiteVariant) -> str:
    """The VARIANTS name of `variant`, or its description when it is a variation of none."""
    return next((name for name, v in VARIANTS.items() if v == variant), variant.description)
