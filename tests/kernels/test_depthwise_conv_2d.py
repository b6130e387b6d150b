import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, float_tflite, int8_tflite, prepare_int8

keras = pytest.importorskip("keras")


def dw_model(
    shape, kernel=3, strides=1, dilation=1, padding="same", multiplier=1, activation=None, use_bias=True, seed=0
):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    y = keras.layers.DepthwiseConv2D(
        kernel,
        strides=strides,
        dilation_rate=dilation,
        padding=padding,
        depth_multiplier=multiplier,
        activation=activation,
        use_bias=use_bias,
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
        (5, 2, 1, "same"),
    ],
)
def test_geometry_on_odd_sizes(kernel, strides, dilation, padding):
    check_bit_exact(int8_tflite(dw_model((7, 9, 3), kernel, strides, dilation, padding)))


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("shape, multiplier", [((7, 9, 3), 2), ((5, 5, 1), 3)])
def test_depth_multiplier(per_channel, shape, multiplier):
    data = int8_tflite(dw_model(shape, multiplier=multiplier, strides=2), per_channel=per_channel)
    g = parse_tflite(data)
    assert g.ops[0].options.depthMultiplier == multiplier
    assert len(g.tensors[g.ops[0].inputs[1]].scale) == (shape[-1] * multiplier if per_channel else 1)
    check_bit_exact(data)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_activation_and_quantization_granularity(per_channel, activation):
    check_bit_exact(int8_tflite(dw_model((5, 5, 3), activation=activation), per_channel=per_channel))


@pytest.mark.parametrize("low, high, zero_point", [(0.0, 3.0, -128), (-3.0, 0.0, 127)])
def test_input_zero_point_at_the_int8_extremes(low, high, zero_point):
    data = int8_tflite(dw_model((7, 9, 3), activation="relu", multiplier=2), low=low, high=high)
    assert parse_tflite(data).input_tensor().zero_point == (zero_point,)
    check_bit_exact(data)


@pytest.mark.parametrize("shape", [(5, 5, 1), (9, 7, 16)])
def test_channel_counts(shape):
    check_bit_exact(int8_tflite(dw_model(shape, strides=2)))


def test_without_bias():
    check_bit_exact(int8_tflite(dw_model((7, 9, 3), use_bias=False, activation="relu6")))


def test_mobilenet_style_stack_at_96x96():
    # The shape of a person-detection network: strided stem, depthwise/pointwise pairs, global mean.
    keras.utils.set_random_seed(3)
    x = keras.Input(batch_shape=(1, 96, 96, 1))
    y = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    for filters, strides in [(16, 1), (32, 2), (32, 1), (64, 2)]:
        y = keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", activation="relu6")(y)
        y = keras.layers.Conv2D(filters, 1, activation="relu6")(y)
    y = keras.layers.GlobalAveragePooling2D(keepdims=True)(y)
    check_bit_exact(int8_tflite(keras.Model(x, y), low=0.0, high=1.0), count=6)


def test_float_depthwise_goes_to_its_own_kernel():
    """The int8 kernel names the float32 it refuses; the model runs with the float32 sibling (test_float_ops)."""
    data = float_tflite(dw_model((5, 5, 2)))
    with pytest.raises(UnsupportedError, match=r"DEPTHWISE_CONV_2D.*float32; supported: int8"):
        prepare_int8(data)


C_GEOMETRIES = [
    # shape, kernel, strides, dilation, padding, multiplier
    ((7, 9, 3), 3, 1, 1, "same", 1),
    ((7, 9, 3), 3, 2, 1, "valid", 1),
    ((8, 9, 3), 3, 2, 1, "same", 1),
    ((7, 9, 3), 3, 1, 2, "same", 1),
    ((7, 9, 3), (2, 3), (2, 1), 1, "same", 1),
    ((7, 9, 29), 3, 1, 1, "same", 1),  # 16- and 8-wide channel blocks, then a tail of 5
    ((9, 7, 8), 5, 2, 1, "same", 1),
    ((7, 9, 3), 3, 2, 1, "same", 2),
    ((9, 9, 1), 3, 2, 1, "same", 8),  # one input channel feeding all outputs, as person detection starts
    ((5, 5, 1), 3, 1, 1, "valid", 3),
]


@pytest.mark.parametrize("shape, kernel, strides, dilation, padding, multiplier", C_GEOMETRIES)
def test_geometry_in_c(tmp_path, shape, kernel, strides, dilation, padding, multiplier):
    from tests.conftest import require_tool

    require_tool("gcc")
    model = dw_model(shape, kernel, strides, dilation, padding, multiplier, activation="relu", seed=1)
    check_c_bit_exact(int8_tflite(model), tmp_path)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("low, high", [(0.0, 3.0), (-3.0, 0.0)])
def test_quantization_and_extreme_zero_points_in_c(tmp_path, per_channel, low, high):
    from tests.conftest import require_tool

    require_tool("gcc")
    model = dw_model((7, 9, 20), multiplier=1 if per_channel else 2, activation="relu6", use_bias=per_channel)
    check_c_bit_exact(int8_tflite(model, per_channel=per_channel, low=low, high=high), tmp_path)


def small_mobilenet():
    keras.utils.set_random_seed(5)
    x = keras.Input(batch_shape=(1, 11, 13, 3))
    y = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    y = keras.layers.Conv2D(20, 1, activation="relu6")(y)
    y = keras.layers.DepthwiseConv2D(3, strides=2, padding="valid", depth_multiplier=2)(y)
    y = keras.layers.Conv2D(6, 2, padding="same")(y)
    return keras.Model(x, y)


@pytest.mark.parametrize("dsp", [False, True])
def test_conv_and_depthwise_on_cortex_m4(tmp_path, dsp):
    # Built as for the board (Thumb-2, one multiply-accumulate per product) and with the DSP
    # extension's paired multiplies; both must match TFLM to the byte under QEMU.
    from tests.conftest import require_tool
    from tests.kernels.harness import check_c_bit_exact

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    data = int8_tflite(small_mobilenet(), low=0.0, high=1.0)
    assert [op.name for op in parse_tflite(data).ops].count("DEPTHWISE_CONV_2D") == 2
    check_c_bit_exact(data, tmp_path, count=12, target="cortex-m4", dsp=dsp)


# The unrolled 3x3 path for windows that see no padding (cores without a vector unit): stride 1 and 2,
# dilation, four-channel blocks with a tail, int8's full activation range (one saturation) and a
# narrower one (relu6); the host runs the same models through its vectorized blocks.
DW3X3_CASES = [
    # shape, strides, dilation, padding, activation
    ((9, 10, 6), 1, 1, "same", None),
    ((9, 10, 8), 2, 1, "same", "relu6"),
    ((11, 9, 12), 1, 2, "valid", "relu"),
    ((8, 8, 3), 2, 1, "valid", None),
]


@pytest.mark.parametrize("shape, strides, dilation, padding, activation", DW3X3_CASES)
@pytest.mark.parametrize("target, dsp", [("host", True), ("cortex-m4", False), ("cortex-m4", True)])
def test_unrolled_3x3_interior(tmp_path, shape, strides, dilation, padding, activation, target, dsp):
    from tests.conftest import require_tool

    if target == "host":
        require_tool("gcc")
    else:
        require_tool("arm-none-eabi-gcc")
        require_tool("qemu-system-arm")
    model = dw_model(shape, 3, strides, dilation, padding, activation=activation, seed=4)
    check_c_bit_exact(int8_tflite(model, low=-2.0, high=2.0), tmp_path, count=8, target=target, dsp=dsp)


def test_one_multiply_requantization_is_chosen_only_when_exact():
    import numpy as np

    from edgenn.reference.conv_2d import requant_constants

    class P:
        multiplier = np.array([1 << 30, (1 << 31) - 1], np.int32)
        shift = np.array([-1, -21], np.int32)
        output_offset = -5

    q = requant_constants(P, np.array([7, -9]), np.array([10, 20]))
    assert q.tolist() == [[1 << 30, 0], [(1 << 31) - 1, 20]]  # the multiplier, the right shift less one
    P.shift = np.array([-1, -31], np.int32)
    assert requant_constants(P, np.array([7, -9]), np.array([10, 20])).tolist() == [[1 << 30, 0], [(1 << 31) - 1, 30]]
    P.shift = np.array([0, -3], np.int32)  # a left shift (or none): TFLM's two steps
    assert requant_constants(P, np.array([7, -9]), np.array([10, 20])) is None
    P.shift = np.array([-2, -3], np.int32)
    assert requant_constants(P, np.array([1 << 29, 0]), np.array([(1 << 29) // 255 + 1, 0])) is None


# One input channel feeding a multiple of four outputs (person detection's first layer, micro_speech's
# only one): the line-buffer path with paired weights, padding filled with the input zero point. Tap
# rows of 3, 5 and 8 (one and two groups of four, zero-padded), stride 1 and 2, SAME and VALID, taller
# dilation, and both int8 extremes of the input zero point; the DSP build pairs taps with SMLAD, the
# others read the int8 weights, one input load for four channels.
LINE_CASES = [
    # shape, kernel, strides, dilation, padding, multiplier, (low, high)
    ((9, 11, 1), 3, 2, 1, "same", 8, (-1.0, 1.0)),  # as person detection starts
    ((13, 12, 1), (10, 8), 2, 1, "same", 8, (-1.0, 1.0)),  # as micro_speech
    ((7, 9, 1), 3, 1, 1, "same", 4, (0.0, 3.0)),  # zero point -128
    ((7, 9, 1), 5, 1, 1, "same", 4, (-3.0, 0.0)),  # zero point 127
    ((10, 9, 1), 3, 1, (2, 1), "same", 12, (-1.0, 1.0)),
    ((8, 10, 1), (3, 5), 2, 1, "valid", 8, (-1.0, 1.0)),
]


@pytest.mark.parametrize("shape, kernel, strides, dilation, padding, multiplier, limits", LINE_CASES)
@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_one_input_channel_line_buffer(tmp_path, shape, kernel, strides, dilation, padding, multiplier, limits, target):
    from tests.conftest import require_tool

    require_tool("gcc" if target == "host" else "arm-none-eabi-gcc")
    if target != "host":
        require_tool("qemu-system-arm")
    model = dw_model(shape, kernel, strides, dilation, padding, multiplier, activation="relu", seed=6)
    data = int8_tflite(model, low=limits[0], high=limits[1])
    assert "weights_paired" in generated_c(data, tmp_path)
    check_c_bit_exact(data, tmp_path, count=6, target=target)


# In-channel 1 layers the line buffer does not take: a multiplier that is not a multiple of four,
# dilated columns, rows too wide for the buffer. They run the general loops.
@pytest.mark.parametrize(
    "shape, kernel, strides, dilation, multiplier",
    [((7, 9, 1), 3, 1, 1, 3), ((7, 9, 1), 3, 1, (1, 2), 4), ((4, 300, 1), 3, 1, 1, 4)],
)
@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_one_input_channel_elsewhere(tmp_path, shape, kernel, strides, dilation, multiplier, target):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    model = dw_model(shape, kernel, strides, dilation, "same", multiplier, activation="relu6", seed=7)
    data = int8_tflite(model)
    assert "weights_paired" not in generated_c(data, tmp_path)
    check_c_bit_exact(data, tmp_path, count=4, target=target)


def generated_c(data: bytes, tmp_path) -> str:
    from edgenn.export.codegen import codegen

    model = tmp_path / "m.tflite"
    model.write_bytes(data)
    folder = codegen(model, tmp_path / "gen", name="m")
    return "".join(p.read_text() for p in folder.glob("*.c"))


# Depth multiplier 1 on microcontroller cores: windows that see padding skip its rows and columns whole
# and add the input offset to each input (raw bias); unpadded 3x3 windows take the nine unrolled taps, other
# filters rows of taps three at a time, then two or one (folded bias). Odd channel counts leave a tail of
# single channels; a single input row cuts every window above and below; a filter larger than the input
# leaves windows of one tap.
MCU_CASES = [
    # shape, kernel, strides, dilation, padding, activation, (low, high)
    ((7, 9, 3), 3, 1, 1, "same", None, (-1.0, 1.0)),
    ((8, 9, 7), 3, 2, 1, "same", "relu6", (0.0, 3.0)),  # input zero point -128
    ((7, 9, 8), 3, 1, 2, "same", None, (-3.0, 0.0)),  # input zero point 127
    ((9, 7, 8), 5, 2, 1, "same", "relu", (-1.0, 1.0)),
    ((9, 11, 8), (4, 7), 1, 1, "same", None, (-1.0, 1.0)),  # rows of 7 taps: 3 + 3 + 1
    ((6, 6, 12), (2, 3), (2, 1), 1, "same", "relu6", (-1.0, 1.0)),
    ((6, 7, 5), 3, 1, 1, "valid", None, (-1.0, 1.0)),
    ((1, 6, 4), 3, 1, 1, "same", None, (-1.0, 1.0)),
    ((3, 3, 4), 5, 1, 1, "same", "relu", (-1.0, 1.0)),
]


@pytest.mark.parametrize("shape, kernel, strides, dilation, padding, activation, limits", MCU_CASES)
@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_padded_windows_on_microcontrollers(
    tmp_path, shape, kernel, strides, dilation, padding, activation, limits, target
):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    model = dw_model(shape, kernel, strides, dilation, padding, activation=activation, seed=8)
    # count=8: four random inputs past the uniform and alternating probes, whose channels differ.
    check_c_bit_exact(int8_tflite(model, low=limits[0], high=limits[1]), tmp_path, count=8, target=target)


# The DSP build's 3x3 rows (depth multiplier 1, one-multiply requantization): a group of four channels
# through every unpadded window of a row from a stack table of extended weights and constants, one asm
# block per window where the activation range is all of int8, C requantization with a narrower one (a
# ReLU whose output shares a concatenation's wider range, so its clamp is above -128), the channels past
# the last group of four one by one; padded windows around them. Stride 1 and 2, dilation, SAME and
# VALID, tails of one to three channels, both int8 extremes of the input zero point; the Cortex-M0+ runs
# the same models through its plain loops.
ROW3X3_CASES = [
    # shape, strides, dilation, padding, activation, (low, high)
    ((10, 12, 8), 1, 1, "same", None, (-1.0, 1.0)),
    ((9, 11, 6), 1, 1, "same", None, (0.0, 3.0)),  # input zero point -128
    ((11, 10, 12), 2, 1, "same", None, (-3.0, 0.0)),  # input zero point 127
    ((10, 9, 7), 2, 1, "same", "relu", (-4.0, 4.0)),
    ((12, 11, 5), 1, 2, "same", None, (-1.0, 1.0)),
    ((8, 9, 20), 1, 1, "valid", "relu", (-4.0, 4.0)),
]


def row3x3_model(shape, strides, dilation, padding, activation):
    keras.utils.set_random_seed(11)
    x = keras.Input(batch_shape=(1, *shape))
    y = keras.layers.DepthwiseConv2D(
        3, strides=strides, dilation_rate=dilation, padding=padding, activation=activation
    )(x)
    if activation is not None:
        # int8 CONCATENATION keeps one scale: the ReLU's output takes the input's negative range too.
        y = keras.layers.Concatenate()(
            [y, keras.layers.Cropping2D(((0, shape[0] - y.shape[1]), (0, shape[1] - y.shape[2])))(x)]
        )
    return keras.Model(x, y)


def _dw_fields(workdir):
    """The depthwise layer's integer fields in the generated C."""
    import re
    from pathlib import Path

    text = (Path(workdir) / "c" / "net.c").read_text()
    block = text[text.index("edgenn_depthwise_conv_2d_params") :]
    return {k: int(v) for k, v in re.findall(r"\.(\w+) = (-?\d+),", block[: block.index("}")])}


@pytest.mark.parametrize("shape, strides, dilation, padding, activation, limits", ROW3X3_CASES)
@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_3x3_rows_on_microcontrollers(tmp_path, shape, strides, dilation, padding, activation, limits, target):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    model = row3x3_model(shape, strides, dilation, padding, activation)
    # Past probe_inputs' four uniform and alternating ones, four random inputs: channels that differ.
    check_c_bit_exact(int8_tflite(model, low=limits[0], high=limits[1]), tmp_path, count=8, target=target)
    f = _dw_fields(tmp_path)
    assert f["rq_k"] != 0 and f["depth_multiplier"] == 1  # the 3x3 rows' conditions
    full = (f["act_min"], f["act_max"]) == (-128, 127)
    assert full == (activation is None), (f["act_min"], f["act_max"])  # both requantization forms are reached
