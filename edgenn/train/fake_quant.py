"""Keras 3 layers that compute as TFLite's int8 model does: fake quantization of activations and
weights, for quantization-aware training (edgenn.optimize.qat builds models from them).

- `FakeQuant`: per-tensor asymmetric 8-bit fake quantization over a range [min, max] that holds 0,
  nudged so that 0 is a level (TFLite's int8 activations); the range follows an exponential moving
  average (`RANGE_MOMENTUM`) of each training batch's minimum and maximum.
- `QuantConv2D`, `QuantDepthwiseConv2D`, `QuantDense`: the Keras layers with their kernel
  fake-quantized per output channel, symmetric (k * max|w| / 127, |k| <= 127: TFLite's int8
  weights), or first put on a 4-bit grid (`weight_bits=4`).

TensorFlow's own ops do the rounding (FakeQuantWithMinMaxVars, QuantizeAndDequantizeV3), with the
straight-through gradient inside the range; the TFLite converter reads their ranges.

They are registered with Keras under the package "edgenn", so a saved model that uses them loads
with safe_mode (`register`): the classes are edgenn's, nothing from the file runs.
"""

from __future__ import annotations

from edgenn.tfimport import tensorflow

RANGE_MOMENTUM = 0.99  # the weight of the running range against each batch's


def _make_classes(keras):
    tf = tensorflow()

    def fake_quant_weights(kernel, bits: int, axis: int):
        """Symmetric per-channel fake quantization along `axis`: k * max|w| / 127, |k| <= 127, as TFLite's
        int8 weights. With bits < 8 the weights first go onto their b-bit grid (k * step, |k| <= 2^(b-1) - 1,
        step = max|w| / (2^(b-1) - 1)), and the 8-bit step is made a divisor of that step so that it changes
        none of them: the layer computes with the b-bit values (edgenn.optimize.qat.to_int8 stores those)."""
        others = [i for i in range(len(kernel.shape)) if i != axis % len(kernel.shape)]
        top = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(kernel), axis=others, keepdims=True), 1e-8))
        if bits < 8:
            levels = (1 << (bits - 1)) - 1
            step = top / levels
            snapped = tf.clip_by_value(tf.round(kernel / step), -levels, levels) * step
            kernel = kernel + tf.stop_gradient(snapped - kernel)  # straight-through
            top = step * 127 / (127 // levels)
        top = tf.reshape(top, [-1])
        return tf.raw_ops.QuantizeAndDequantizeV3(  # V3: the version that takes a range per channel
            input=kernel,
            input_min=-top,
            input_max=top,
            num_bits=8,
            signed_input=True,
            range_given=True,
            narrow_range=True,
            axis=axis % len(kernel.shape),
        )

    @keras.saving.register_keras_serializable(package="edgenn")
    class FakeQuant(keras.layers.Layer):
        """Per-tensor asymmetric 8-bit fake quantization over a running range that holds 0."""

        def __init__(self, momentum: float = RANGE_MOMENTUM, **kwargs):
            super().__init__(**kwargs)
            self.momentum = momentum

        def build(self, input_shape):
            self.range_min = self.add_weight(name="range_min", shape=(), initializer="zeros", trainable=False)
            self.range_max = self.add_weight(name="range_max", shape=(), initializer="ones", trainable=False)

        def call(self, x, training=None):
            if training:
                m = self.momentum
                self.range_min.assign(m * self.range_min + (1 - m) * tf.minimum(tf.reduce_min(x), 0.0))
                self.range_max.assign(m * self.range_max + (1 - m) * tf.maximum(tf.reduce_max(x), 0.0))
            return tf.quantization.fake_quant_with_min_max_vars(
                x, self.range_min, self.range_max, num_bits=8, narrow_range=False
            )

        def get_config(self):
            return {**super().get_config(), "momentum": self.momentum}

    class _WeightBits:
        def __init__(self, *args, weight_bits: int = 8, **kwargs):
            super().__init__(*args, **kwargs)
            self.weight_bits = weight_bits

        def get_config(self):
            return {**super().get_config(), "weight_bits": self.weight_bits}

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantConv2D(_WeightBits, keras.layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            return super().convolution_op(inputs, fake_quant_weights(kernel, self.weight_bits, -1))

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantDepthwiseConv2D(_WeightBits, keras.layers.DepthwiseConv2D):
        def call(self, inputs):
            k = self.kernel  # [kh, kw, in, multiplier]: TFLite's channels are in * multiplier + m
            flat = tf.reshape(k, [k.shape[0], k.shape[1], k.shape[2] * k.shape[3]])
            kernel = tf.reshape(fake_quant_weights(flat, self.weight_bits, -1), k.shape)
            outputs = keras.ops.depthwise_conv(
                inputs,
                kernel,
                strides=self.strides,
                padding=self.padding,
                dilation_rate=self.dilation_rate,
                data_format=self.data_format,
            )
            if self.use_bias:
                outputs = outputs + self.bias
            return self.activation(outputs) if self.activation is not None else outputs

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantDense(_WeightBits, keras.layers.Dense):
        def call(self, inputs, training=None):
            # TFLite stores the kernel as [out, in], quantized along its first axis: fake-quantize it in
            # that layout (the converter cannot move a per-channel axis through a transpose).
            kernel = fake_quant_weights(tf.transpose(self.kernel), self.weight_bits, 0)
            x = tf.linalg.matmul(inputs, kernel, transpose_b=True)
            if self.bias is not None:
                x = x + self.bias
            return self.activation(x) if self.activation is not None else x

    quant = {"Conv2D": QuantConv2D, "DepthwiseConv2D": QuantDepthwiseConv2D, "Dense": QuantDense}
    return FakeQuant, quant


_classes = None


def layers():
    """(FakeQuant, {"Conv2D": QuantConv2D, "DepthwiseConv2D": QuantDepthwiseConv2D, "Dense": QuantDense})."""
    global _classes
    if _classes is None:
        tensorflow()
        import keras

        _classes = _make_classes(keras)
    return _classes


def __getattr__(name: str):
    # Importing this module should not import TensorFlow: the layers are made on first access (PEP 562).
    if name == "FakeQuant":
        return layers()[0]
    if name in ("QuantConv2D", "QuantDepthwiseConv2D", "QuantDense"):
        return layers()[1][name.removeprefix("Quant")]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register() -> None:
    """Make the layers known to Keras, so that a saved model using them loads."""
    layers()
