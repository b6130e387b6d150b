"""Keras → TFLite, float32 and full-integer int8.

The model is traced through a `tf.function` with batch 1, so every shape is static: a Flatten
becomes one RESHAPE with a constant shape instead of SHAPE/STRIDED_SLICE/PACK, which
microcontroller runtimes would have to carry. BatchNormalization folds into the preceding
convolution and Dropout vanishes at inference.
"""

from __future__ import annotations

import numpy as np


def serving_function(tf, model):
    """The model's inference graph with a fixed (1, *input_shape) float32 signature."""
    shape = (1, *model.input_shape[1:])
    spec = tf.TensorSpec(shape, tf.float32, name="input")
    return tf.function(lambda x: model(x, training=False), input_signature=[spec])


def batch_one(keras, model):
    """The same layers and weights behind a batch-1 input, so conversion sees only static shapes."""
    inp = keras.Input(batch_shape=(1, *model.input_shape[1:]), name="input")
    return keras.Model(inp, model(inp, training=False), name=model.name)


def to_tflite(tf, model, calib: np.ndarray | None) -> bytes:
    """Convert a batch-1 model; with `calib`, to full-integer int8 (int8 I/O, per-channel weights)."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if calib is not None:

        def representative():
            for sample in calib:
                yield [sample[np.newaxis].astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()
