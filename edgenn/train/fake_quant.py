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

In inference (not in training) the layers that TFLite computes in integers with a rescale of their
own (the three above, `QuantGlobalAveragePooling2D`, `QuantAveragePooling2D`, `QuantAdd`) replay its
int8 arithmetic, once edgenn.optimize.qat has linked each to the FakeQuant layers of its inputs and
output: the int8 weights and int32 bias the converter will write, the exact integer sums, the
fixed-point rescale that rounds twice, the clamp. Their outputs are then the int8 model's, value for
value, rather than within one LSB of them layer by layer (and drifting further apart with depth).
Training keeps the float path and its straight-through gradients. The replay is written in
TensorFlow ops, after edgenn.reference's NumPy kernels, so that it runs inside Keras' compiled
evaluation steps; conversion traces the float path only (`float_path`).

They are registered with Keras under the package "edgenn", so a saved model that uses them loads
with safe_mode (`register`): the classes are edgenn's, nothing from the file runs.
"""

from __future__ import annotations

import contextlib

from edgenn.tfimport import tensorflow

RANGE_MOMENTUM = 0.99  # the weight of the running range against each batch's
_REPLAY = [True]  # whether linked layers replay TFLite's integer arithmetic in inference (float_path)


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

    f64, i64 = tf.float64, tf.int64

    def round_away(x):
        """std::round on float64: half away from zero."""
        return tf.sign(x) * tf.floor(tf.abs(x) + 0.5)

    def pow2(e):
        """2^e as float64, exactly (the exponent bits set directly), for integer-valued float64 e."""
        return tf.bitcast(tf.bitwise.left_shift(tf.cast(e, i64) + 1023, tf.constant(52, i64)), f64)

    def quantize_multiplier(real):
        """QuantizeMultiplier on a float64 tensor of positive reals: (Q31 multiplier, shift) as float64,
        after edgenn.reference.fixedpoint.quantize_multiplier (frexp; the mantissa rounded half away)."""
        e = tf.math.ceil(tf.math.log(real) / tf.constant(0.6931471805599453, f64))
        e = tf.where(real * pow2(-e) >= 1.0, e + 1, e)  # log's own rounding, corrected: mantissa in [0.5, 1)
        e = tf.where(real * pow2(-e) < 0.5, e - 1, e)
        q = tf.floor(real * pow2(-e) * 2.0**31 + 0.5)
        e = tf.where(q == 2.0**31, e + 1, e)
        q = tf.where(q == 2.0**31, q / 2, q)
        small = e < -31
        return tf.where(small, tf.zeros_like(q), q), tf.where(small, tf.zeros_like(e), e)

    def wrap32(x):
        """int64 lanes wrapped to int32, as C's int32 arithmetic wraps."""
        return tf.bitwise.bitwise_and(x + (1 << 31), tf.constant(0xFFFFFFFF, i64)) - (1 << 31)

    def rescale(acc, multiplier, shift):
        """MultiplyByQuantizedMultiplier(int32 acc, multiplier, shift) on int64 lanes: the doubling high
        multiply, then the rounding right shift (edgenn.reference.fixedpoint)."""
        m, shift = tf.cast(multiplier, i64), tf.cast(shift, i64)
        x = wrap32(tf.bitwise.left_shift(acc, tf.maximum(shift, 0)))
        ab = x * m  # |x|, m < 2^31: no overflow
        nudge = tf.where(ab >= 0, tf.constant(1 << 30, i64), tf.constant(1 - (1 << 30), i64))
        high = tf.truncatediv(ab + nudge, tf.constant(1 << 31, i64))
        right = tf.maximum(-shift, 0)
        mask = tf.bitwise.left_shift(tf.ones_like(right), right) - 1
        threshold = tf.bitwise.right_shift(mask, 1) + tf.cast(high < 0, i64)
        up = tf.cast(tf.bitwise.bitwise_and(high, mask) > threshold, i64)
        return tf.bitwise.right_shift(high, right) + up

    def grid(fq):
        """A FakeQuant's int8 quantization as the TFLite converter writes it from the range (float64 maths,
        the scale stored as float32, the zero point rounded half away): (scale, zero point) as float64,
        and the float32 step of TensorFlow's own fake-quant grid, on which the layer's outputs lie."""
        lo, hi = tf.cast(fq.range_min, f64), tf.cast(fq.range_max, f64)
        scale = (hi - lo) / 255.0
        zero = tf.clip_by_value(round_away(-128.0 - lo / scale), -128.0, 127.0)
        return tf.cast(tf.cast(scale, tf.float32), f64), zero, (fq.range_max - fq.range_min) / 255.0

    def integers(x, step):
        """Values on a fake-quant grid as the integers q - zero point, float64."""
        return tf.cast(tf.round(x / step), f64)

    def clamp(q, scale, zero, activation: str):
        """The int8 bounds of CalculateActivationRangeQuantized (float32 division, rounded half away)."""

        def at(v: float):
            return zero + round_away(tf.cast(tf.constant(v, tf.float32) / tf.cast(scale, tf.float32), f64))

        lo = tf.maximum(tf.constant(-128.0, f64), at(0.0)) if activation in ("RELU", "RELU6") else -128.0
        hi = tf.minimum(tf.constant(127.0, f64), at(6.0)) if activation == "RELU6" else 127.0
        return tf.clip_by_value(tf.cast(q, f64), lo, hi)

    def on_grid(q, fq):
        """int8 values q of a FakeQuant's quantization, as the float values of its grid."""
        _, zero, step = grid(fq)
        return tf.cast(q - zero, tf.float32) * step

    class _Links:
        """The FakeQuant layers of a replaying layer's inputs and output: held where neither Keras' tracking
        nor its saving walks (they are the model's layers, saved there)."""

        def __init__(self, inputs: list, output):
            self.inputs, self.output = inputs, output

    class _Replay:
        """A layer that replays TFLite's int8 kernel in inference once linked to the FakeQuant layers of
        its inputs and output (`link`, by edgenn.optimize.qat). `replay` in its config names them, and
        the activation TFLite fuses into it, so that a saved model links again (`relink`)."""

        def __init__(self, *args, replay: dict | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.replay = replay
            self._links = None

        def get_config(self):
            return {**super().get_config(), "replay": self.replay}

        def link(self, inputs: list, output, activation: str) -> None:
            self.replay = {"inputs": [fq.name for fq in inputs], "output": output.name, "activation": activation}
            self._links = _Links(list(inputs), output)

        def replaying(self, training) -> bool:
            return not training and self._links is not None and _REPLAY[-1]

    class _WeightBits(_Replay):
        """Conv2D, DepthwiseConv2D, Dense: the kernel fake-quantized per channel (`quantized_kernel`, in
        the layout TFLite stores), `product` the layer's linear map on it."""

        weight_axes = (0, 1, 2)  # the kernel's axes that are not its output channels' (in TFLite's layout)

        def __init__(self, *args, weight_bits: int = 8, **kwargs):
            super().__init__(*args, **kwargs)
            self.weight_bits = weight_bits

        def get_config(self):
            return {**super().get_config(), "weight_bits": self.weight_bits}

        def call(self, inputs, training=None):
            kernel = self.quantized_kernel()
            if self.replaying(training):
                return self.replayed(inputs, kernel)
            outputs = self.product(inputs, kernel)
            if self.use_bias:
                outputs = outputs + self.bias
            return self.activation(outputs) if self.activation is not None else outputs

        def replayed(self, inputs, kernel):
            """TFLite's int8 CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED: the int8 weights the converter
            writes (each channel's scale its largest |weight| / 127) and the int32 bias (in units of the
            input scale times the weight scale), the exact integer sums, the per-channel rescale, the
            clamp. With 4-bit weights, what edgenn.optimize.compress's int4 rewrite then makes of them."""
            (fq_in,), fq_out = self._links.inputs, self._links.output
            s_in, _, step_in = grid(fq_in)
            s_out, zero_out, _ = grid(fq_out)
            w = tf.cast(kernel, f64)
            per_channel = [1 if i in self.weight_axes else int(d) for i, d in enumerate(w.shape)]
            s_w = tf.reduce_max(tf.abs(w), axis=self.weight_axes, keepdims=True) / 127.0
            w_int = tf.round(w / s_w)
            s_w = tf.reshape(s_w, [-1])  # one a channel, in TFLite's order
            bias = tf.reshape(tf.cast(self.bias, f64), [-1]) if self.use_bias else tf.zeros_like(s_w)
            b_int = round_away(bias / (s_in * s_w))
            s_w = tf.cast(tf.cast(s_w, tf.float32), f64)
            if self.weight_bits == 4:
                step = tf.maximum(tf.reduce_max(tf.abs(w_int), axis=self.weight_axes), 1.0) / 7.0
                w_int = tf.clip_by_value(tf.round(w_int / tf.reshape(step, per_channel)), -7.0, 7.0)
                step = tf.reshape(step, [-1])
                b_int = tf.round(b_int / step)
                s_w = tf.cast(tf.cast(s_w * step, tf.float32), f64)
            multiplier, shift = quantize_multiplier(s_in * s_w / s_out)
            acc = self.product(integers(inputs, step_in), w_int) + b_int
            q = rescale(tf.cast(acc, i64), multiplier, shift)
            q = clamp(q + tf.cast(zero_out, i64), s_out, zero_out, self.replay["activation"])
            return on_grid(q, fq_out)

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantConv2D(_WeightBits, keras.layers.Conv2D):
        def quantized_kernel(self):
            return fake_quant_weights(self.kernel, self.weight_bits, -1)

        def product(self, inputs, kernel):
            return keras.layers.Conv2D.convolution_op(self, inputs, kernel)

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantDepthwiseConv2D(_WeightBits, keras.layers.DepthwiseConv2D):
        weight_axes = (0, 1)  # [kh, kw, in, multiplier]: TFLite's channels are in * multiplier + m

        def quantized_kernel(self):
            k = self.kernel
            flat = tf.reshape(k, [k.shape[0], k.shape[1], k.shape[2] * k.shape[3]])
            return tf.reshape(fake_quant_weights(flat, self.weight_bits, -1), k.shape)

        def product(self, inputs, kernel):
            return keras.ops.depthwise_conv(
                inputs,
                kernel,
                strides=self.strides,
                padding=self.padding,
                dilation_rate=self.dilation_rate,
                data_format=self.data_format,
            )

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantDense(_WeightBits, keras.layers.Dense):
        weight_axes = (1,)

        def quantized_kernel(self):
            # TFLite stores the kernel as [out, in], quantized along its first axis: fake-quantize it in
            # that layout (the converter cannot move a per-channel axis through a transpose).
            return fake_quant_weights(tf.transpose(self.kernel), self.weight_bits, 0)

        def product(self, inputs, kernel):
            return tf.linalg.matmul(inputs, kernel, transpose_b=True)

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantGlobalAveragePooling2D(_Replay, keras.layers.GlobalAveragePooling2D):
        def call(self, inputs, training=None):
            if not self.replaying(training):
                return super().call(inputs)
            # TFLite's int8 MEAN (edgenn.reference.mean): the sum of q - zero point, rescaled by
            # input scale / output scale with the division by the count folded into the multiplier.
            (fq_in,), fq_out = self._links.inputs, self._links.output
            s_in, _, step_in = grid(fq_in)
            s_out, zero_out, _ = grid(fq_out)
            total = tf.reduce_sum(integers(inputs, step_in), axis=[1, 2], keepdims=self.keepdims)
            count = int(inputs.shape[1]) * int(inputs.shape[2])
            multiplier, shift = quantize_multiplier(s_in / s_out)
            fold = tf.minimum(tf.minimum(tf.constant(count.bit_length() - 1, f64), 32.0), 31.0 + shift)
            multiplier = tf.math.floordiv(tf.bitwise.left_shift(tf.cast(multiplier, i64), tf.cast(fold, i64)), count)
            q = rescale(wrap32(tf.cast(total, i64)), multiplier, shift - fold) + tf.cast(zero_out, i64)
            return on_grid(clamp(q, s_out, zero_out, self.replay["activation"]), fq_out)

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantAveragePooling2D(_Replay, keras.layers.AveragePooling2D):
        def call(self, inputs, training=None):
            if not self.replaying(training):
                return super().call(inputs)
            # TFLite's int8 AVERAGE_POOL_2D: the sum of the int8 values over the window's cells inside the
            # input, divided by their count rounding half away from zero; the input's quantization kept.
            (fq_in,), fq_out = self._links.inputs, self._links.output
            _, zero, step = grid(fq_in)
            q = integers(inputs, step) + zero
            channels = int(inputs.shape[-1])
            ones = tf.ones([*self.pool_size, channels, 1], f64)
            window = {"strides": [1, *self.strides, 1], "padding": self.padding.upper()}
            total = tf.nn.depthwise_conv2d(q, ones, **window)
            count = tf.nn.depthwise_conv2d(tf.ones_like(q[..., :1]), ones[..., :1, :], **window)
            half = tf.floor(count / 2)
            mean = tf.truncatediv(tf.cast(total + tf.where(total > 0, half, -half), i64), tf.cast(count, i64))
            return on_grid(clamp(mean, 1.0, zero, "NONE"), fq_out)

    @keras.saving.register_keras_serializable(package="edgenn")
    class QuantAdd(_Replay, keras.layers.Add):
        def call(self, inputs, training=None):
            if not self.replaying(training) or len(inputs) != 2:
                return super().call(inputs)
            # TFLite's int8 ADD (edgenn.reference.add): both inputs shifted left 20 bits and rescaled to
            # twice the larger input scale, added, rescaled to the output, clamped.
            (fq_a, fq_b), fq_out = self._links.inputs, self._links.output
            (s_a, _, step_a), (s_b, _, step_b) = grid(fq_a), grid(fq_b)
            s_out, zero_out, _ = grid(fq_out)
            twice_max = 2.0 * tf.maximum(s_a, s_b)
            total = 0
            for x, s, step in ((inputs[0], s_a, step_a), (inputs[1], s_b, step_b)):
                m, shift = quantize_multiplier(s / twice_max)
                total += rescale(wrap32(tf.cast(integers(x, step), i64) * (1 << 20)), m, shift)
            m, shift = quantize_multiplier(twice_max / (2.0**20 * s_out))
            q = rescale(total, m, shift) + tf.cast(zero_out, i64)
            return on_grid(clamp(q, s_out, zero_out, self.replay["activation"]), fq_out)

    quant = {
        "Conv2D": QuantConv2D,
        "DepthwiseConv2D": QuantDepthwiseConv2D,
        "Dense": QuantDense,
        "GlobalAveragePooling2D": QuantGlobalAveragePooling2D,
        "AveragePooling2D": QuantAveragePooling2D,
        "Add": QuantAdd,
    }
    return FakeQuant, quant


_classes = None


def layers():
    """(FakeQuant, {Keras layer class name: the edgenn layer that stands for it}): QuantConv2D,
    QuantDepthwiseConv2D, QuantDense, QuantGlobalAveragePooling2D, QuantAveragePooling2D, QuantAdd."""
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
    if name.startswith("Quant") and name.removeprefix("Quant") in layers()[1]:
        return layers()[1][name.removeprefix("Quant")]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register() -> None:
    """Make the layers known to Keras, so that a saved model using them loads."""
    layers()


@contextlib.contextmanager
def float_path():
    """Within it, the layers compute their float fake-quant path in inference too: what the TFLite
    converter must trace."""
    _REPLAY.append(False)
    try:
        yield
    finally:
        _REPLAY.pop()


def relink(model) -> None:
    """Link each replaying layer of a loaded model to the FakeQuant layers its config names."""
    by_name = {layer.name: layer for layer in model.layers}
    for layer in model.layers:
        spec = getattr(layer, "replay", None)
        if isinstance(spec, dict) and hasattr(layer, "link"):
            names = [*spec.get("inputs", ()), spec.get("output")]
            if all(isinstance(n, str) and n in by_name for n in names):
                layer.link([by_name[n] for n in names[:-1]], by_name[names[-1]], str(spec.get("activation")))
