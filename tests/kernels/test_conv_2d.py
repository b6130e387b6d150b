import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import (
    HOST_VARIANTS,
    check_bit_exact,
    check_c_bit_exact,
    float_tflite,
    int8_tflite,
    prepare_int8,
    xorshift_c,
)

keras = pytest.importorskip("keras")


def conv_model(
    shape, filters, kernel=3, strides=1, dilation=1, padding="same", activation=None, use_bias=True, groups=1, seed=0
):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    y = keras.layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        dilation_rate=dilation,
        padding=padding,
        activation=activation,
        use_bias=use_bias,
        groups=groups,
    )(x)
    return keras.Model(x, y)


@pytest.mark.parametrize(
    "kernel, strides, dilation, padding",
    [
        (3, 1, 1, "same"),
        (3, 1, 1, "valid"),
        (3, 2, 1, "same"),
        (3, 2, 1, "valid"),
        (3, 1, 2, "same"),
        (3, 1, 2, "valid"),
        ((2, 3), (2, 1), 1, "same"),  # even kernel: SAME pads one more row after than before
        (1, 1, 1, "valid"),
    ],
)
def test_geometry_on_odd_sizes(kernel, strides, dilation, padding):
    check_bit_exact(int8_tflite(conv_model((7, 9, 3), 4, kernel, strides, dilation, padding)))


def test_kernel_as_large_as_the_input_with_stride_2():
    check_bit_exact(int8_tflite(conv_model((5, 5, 2), 3, kernel=5, strides=2)))


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_activation_and_quantization_granularity(per_channel, activation):
    data = int8_tflite(conv_model((5, 5, 1), 3, activation=activation), per_channel=per_channel)
    g = parse_tflite(data)
    assert len(g.tensors[g.ops[0].inputs[1]].scale) == (3 if per_channel else 1)
    check_bit_exact(data)


@pytest.mark.parametrize("low, high, zero_point", [(0.0, 3.0, -128), (-3.0, 0.0, 127)])
def test_input_zero_point_at_the_int8_extremes(low, high, zero_point):
    data = int8_tflite(conv_model((7, 9, 3), 5, activation="relu"), low=low, high=high)
    assert parse_tflite(data).input_tensor().zero_point == (zero_point,)
    check_bit_exact(data)


@pytest.mark.parametrize("shape, filters, strides", [((5, 5, 1), 1, 1), ((9, 7, 8), 16, 2), ((6, 6, 3), 2, (1, 2))])
def test_channel_counts(shape, filters, strides):
    check_bit_exact(int8_tflite(conv_model(shape, filters, strides=strides, padding="same")))


def test_grouped_convolution():
    data = int8_tflite(conv_model((7, 9, 4), 6, groups=2))
    g = parse_tflite(data)
    assert g.tensors[g.ops[0].inputs[1]].shape == (6, 3, 3, 2)
    check_bit_exact(data)


def test_without_bias():
    check_bit_exact(int8_tflite(conv_model((7, 9, 3), 4, use_bias=False, activation="relu6")))


def test_float_conv_goes_to_its_own_kernel():
    """The int8 kernel names the float32 it refuses; the model runs with the float32 sibling (test_float_ops)."""
    data = float_tflite(conv_model((5, 5, 2), 2))
    with pytest.raises(UnsupportedError, match=r"CONV_2D.*float32; supported: int8"):
        prepare_int8(data)


# Generated C, compared byte for byte with TFLM: every path of the kernel (windows that see no
# padding in pairs and alone, windows over the padding, 16- and 8-wide blocks and their tails).
C_GEOMETRIES = [
    # shape, filters, kernel, strides, dilation, padding, groups
    ((7, 9, 3), 5, 3, 1, 1, "same", 1),
    ((7, 9, 3), 4, 3, 2, 1, "valid", 1),
    ((8, 9, 3), 4, 3, 2, 1, "same", 1),
    ((7, 9, 3), 4, 3, 1, 2, "same", 1),  # dilated: taps of a padded window are not contiguous
    ((7, 9, 3), 4, (2, 3), (2, 1), 1, "same", 1),
    ((5, 5, 2), 3, 5, 2, 1, "same", 1),  # every window sees padding
    ((7, 9, 4), 6, 3, 1, 1, "same", 2),
    ((9, 7, 24), 17, 1, 1, 1, "valid", 1),  # pointwise over 63 pixels, odd channel count
    ((9, 7, 40), 16, 1, 2, 1, "same", 1),  # strided pointwise
    ((6, 7, 20), 9, 3, 1, 1, "same", 1),
    ((12, 10, 1), 7, (10, 4), 2, 1, "same", 1),  # DS-CNN's first conv: runs of 4 values, mostly padded
    ((6, 5, 70), 3, 3, 1, 1, "same", 1),  # windows of 630 values: deeper than the stack patch
]


@pytest.mark.parametrize("variant", list(HOST_VARIANTS))
@pytest.mark.parametrize("shape, filters, kernel, strides, dilation, padding, groups", C_GEOMETRIES)
def test_geometry_in_c(tmp_path, shape, filters, kernel, strides, dilation, padding, groups, variant):
    from tests.conftest import require_tool

    require_tool("gcc")
    model = conv_model(shape, filters, kernel, strides, dilation, padding, "relu", groups=groups, seed=1)
    dsp, cflags = HOST_VARIANTS[variant]
    check_c_bit_exact(int8_tflite(model), tmp_path, dsp=dsp, cflags=cflags)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("low, high", [(0.0, 3.0), (-3.0, 0.0)])
def test_quantization_and_extreme_zero_points_in_c(tmp_path, per_channel, low, high):
    from tests.conftest import require_tool

    require_tool("gcc")
    model = conv_model((7, 9, 3), 5, activation="relu6", use_bias=per_channel, seed=2)
    check_c_bit_exact(int8_tflite(model, per_channel=per_channel, low=low, high=high), tmp_path)


REQUANTIZE_CHECK = r"""
#include <stdio.h>
#include "conv_common.h"

static uint64_t state = 0x9e3779b97f4a7c15u;
static uint32_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 16);
}

int main(void) {
    long i;
    for (i = 0; i < 4000000; ++i) {
        int32_t x = (int32_t)next();
        int32_t m = (int32_t)(next() >> 1);
        const int32_t shift = (int32_t)(next() % 40u) - 31;
        if (i % 3 == 0) {
            x >>= next() % 31u; /* small accumulators too */
        }
        if (i % 5 == 0) {
            m = (int32_t)((next() >> 2) | 0x40000000u); /* QuantizeMultiplier's range */
        }
        if (shift > 0) {
            x >>= shift; /* TFLM assumes the left shift does not overflow */
        }
        if (edgenn_conv_requantize(x, m, shift) != edgenn_requantize(x, m, shift)) {
            printf("%ld %ld %ld\n", (long)x, (long)m, (long)shift);
            return 1;
        }
    }
    return 0;
}
"""


def test_merged_requantization_matches_tflm_double_rounding(tmp_path):
    # The kernels' one-step requantization is an algebraic rearrangement of TFLM's two roundings;
    # compare it with the reference implementation over millions of random operands.
    import subprocess

    from edgenn.clib import INCLUDE
    from tests.conftest import require_tool

    gcc = require_tool("gcc")
    (tmp_path / "check.c").write_text(REQUANTIZE_CHECK)
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wconversion", "-Wshadow"]
    include = f"-I{INCLUDE}"
    subprocess.run([gcc, *flags, include, "check.c", "-o", "check"], cwd=tmp_path, check=True)
    proc = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True)
    assert proc.returncode == 0, f"x, multiplier, shift where the two differ: {proc.stdout}"


ONE_MULTIPLY_CHECK = (
    r"""
#include <stdio.h>
#include "conv_common.h"
"""
    + xorshift_c(0x2545F4914F6CDD1D)
    + r"""
int main(void) {
    long i;
    for (i = 0; i < 4000000; ++i) {
        int32_t x = (int32_t)next() >> 2; /* |x| < 2^30, as export requires */
        int32_t m = (int32_t)(next() >> 1);
        const int32_t r = (int32_t)(next() % 31u) + 1;
        const int32_t offset = (int32_t)(next() % 256u) - 128;
        if (i % 3 == 0) {
            x >>= next() % 30u; /* small accumulators too */
        }
        if (i % 5 == 0) {
            m = (int32_t)((next() >> 2) | 0x40000000u); /* QuantizeMultiplier's range */
        }
        if (i % 7 == 0 && r < 31) {
            x = ((x >> r) << r) | (1 << (r - 1)); /* ties of the second rounding, near enough */
        }
        const int32_t want = edgenn_requantize(x, m, -r) + offset;
        if (edgenn_conv_rq(x, m, r - 1, 2 * offset + 1) != want ||
            edgenn_conv_rq_sat8(x, m, r - 1, 2 * offset + 1) != edgenn_clamp_int8(want, -128, 127)) {
            printf("%ld %ld %ld %ld\n", (long)x, (long)m, (long)r, (long)offset);
            return 1;
        }
    }
    return 0;
}
"""
)


def test_one_multiply_requantization_matches_tflm(tmp_path):
    # The kernels' SMMLAR form of requantization plus output offset (from a multiplier, the right
    # shift less one and 2 * output_offset + 1) against TFLM's two roundings over millions of operands
    # in the range export allows: every right shift TFLM can ask for. The portable edgenn_smmlar is the
    # instruction's definition, so this covers the DSP build's arithmetic too (its saturating halving
    # runs under QEMU in the Cortex-M4 tests).
    import subprocess

    from edgenn.clib import INCLUDE
    from tests.conftest import require_tool

    gcc = require_tool("gcc")
    (tmp_path / "check.c").write_text(ONE_MULTIPLY_CHECK)
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wconversion", "-Wshadow"]
    include = f"-I{INCLUDE}"
    subprocess.run([gcc, *flags, include, "check.c", "-o", "check"], cwd=tmp_path, check=True)
    proc = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True)
    assert proc.returncode == 0, f"x, multiplier, r, offset where the two differ: {proc.stdout}"


@pytest.mark.parametrize("one_multiply", [True, False])
@pytest.mark.parametrize("dsp", [False, True])
def test_requantization_paths_on_cortex_m4(tmp_path, monkeypatch, dsp, one_multiply):
    # Both requantizations in the kernels: the one-multiply form, and TFLM's two steps, which layers
    # get when export cannot bound their accumulators (forced here).
    import edgenn.reference.fully_connected as conv_module  # where requant_fields finds requant_constants
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    if not one_multiply:
        monkeypatch.setattr(conv_module, "requant_constants", lambda *args: None)
    keras.utils.set_random_seed(6)
    x = keras.Input(batch_shape=(1, 6, 7, 12))
    y = keras.layers.Conv2D(10, 3, padding="same", activation="relu6")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same")(y)
    y = keras.layers.Conv2D(16, 1)(y)
    data = int8_tflite(keras.Model(x, y))
    check_c_bit_exact(data, tmp_path, count=8, target="cortex-m4", dsp=dsp)
    source = (tmp_path / "c" / "net.c").read_text()
    assert ("op0_requant_shift" in source) == one_multiply
    assert ("op0_shift" in source) == (not one_multiply)


# The DSP cores' path (Cortex-M4/M7/M33): pixel pairs in place for pointwise convolutions, otherwise
# windows copied with the padding filled; windows of 4k + 1..3 values end on a masked word; windows
# under 4 values or too deep to copy take the plain path. Run under QEMU.
M4_GEOMETRIES = [
    # shape, filters, kernel, strides, dilation, padding, groups
    ((13, 6, 1), 8, (10, 4), 2, 1, "same", 1),  # DS-CNN's first layer: most windows see padding
    ((9, 9, 3), 8, 3, 2, 1, "same", 1),  # 27 values: 3 past the last word
    ((7, 9, 2), 5, 3, 1, 1, "same", 1),  # 18 values: 2 past the last word, odd output channels
    ((7, 9, 1), 4, 3, 1, 1, "valid", 1),  # 9 values: 1 past the last word
    ((9, 7, 8), 16, 1, 1, 1, "valid", 1),  # pointwise in place, 63 pixels: the last one pairs back
    ((5, 5, 24), 17, 1, 1, 1, "valid", 1),  # pointwise, odd output channels
    ((9, 7, 40), 16, 1, 2, 1, "same", 1),  # strided pointwise: copied windows
    ((7, 9, 3), 4, 3, 1, 2, "same", 1),  # dilated
    ((7, 9, 8), 6, 3, 1, 1, "same", 2),  # grouped: one copy per group
    ((7, 9, 6), 9, 3, 2, 1, "same", 3),  # grouped, 18 values per window
    ((5, 6, 3), 4, 1, 1, 1, "valid", 1),  # 3 values: the plain path
    ((5, 5, 72), 4, 3, 1, 1, "same", 1),  # 648 values: too deep to copy, the plain path
    ((1, 3, 600), 3, 1, 1, 1, "valid", 1),  # pointwise 600 deep: in place however deep
    ((1, 1, 8), 4, 1, 1, 1, "valid", 1),  # a single pixel: the plain path
]


@pytest.mark.parametrize("shape, filters, kernel, strides, dilation, padding, groups", M4_GEOMETRIES)
def test_geometry_on_cortex_m4(tmp_path, shape, filters, kernel, strides, dilation, padding, groups):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    model = conv_model(shape, filters, kernel, strides, dilation, padding, "relu", groups=groups, seed=3)
    check_c_bit_exact(int8_tflite(model), tmp_path, count=6, target="cortex-m4")


@pytest.mark.parametrize("low, high", [(0.0, 3.0), (-3.0, 0.0)])
@pytest.mark.parametrize("kernel, strides", [(3, 1), ((3, 4), 2)])
def test_extreme_zero_points_fill_the_padding_on_cortex_m4(tmp_path, low, high, kernel, strides):
    # Copied windows fill the padding with -input_offset, the input zero point: -128 and 127 here.
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    model = conv_model((7, 9, 3), 6, kernel, strides, activation="relu6", seed=4)
    data = int8_tflite(model, per_channel=True, low=low, high=high)
    check_c_bit_exact(data, tmp_path, count=6, target="cortex-m4")


@pytest.mark.parametrize(
    "shape, filters, kernel, strides, padding",
    [((13, 6, 1), 8, (10, 4), 2, "same"), ((7, 9, 3), 5, 1, 2, "same"), ((9, 7, 5), 6, 1, 1, "valid")],
)
def test_geometry_on_cortex_m0plus(tmp_path, shape, filters, kernel, strides, padding):
    # The plain path on a core that traps unaligned word accesses (odd channel counts put rows off words).
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    model = conv_model(shape, filters, kernel, strides, 1, padding, "relu", seed=5)
    check_c_bit_exact(int8_tflite(model), tmp_path, count=4, target="cortex-m0plus")
