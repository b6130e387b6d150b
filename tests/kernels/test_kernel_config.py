"""The generated folder's edgenn/config.h: it turns on exactly the kernel paths the model's layers take
(base.FEATURES, reported by each op's emitter), and the kernels compiled with it stay bit-exact with TFLM.

The kernel tests of each op run with such configs too: every generated folder carries one."""

import re

import pytest

from edgenn.clib import INCLUDE
from edgenn.reference.base import FEATURES, SETTINGS
from tests.conftest import require_tool
from tests.kernels.harness import check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")

DW = {"DW_LINE", "DW_SAME", "DW_GENERAL", "DW_3X3_FULL", "DW_3X3_ACT"}


def config_of(folder) -> dict[str, int]:
    """EDGENN_USE_<name> -> 0/1 as the folder's config.h defines them."""
    text = (folder / "edgenn" / "config.h").read_text()
    return {m[1]: int(m[2]) for m in re.finditer(r"#define EDGENN_USE_(\w+) ([01])\b", text)}


def generate(data: bytes, tmp_path):
    import json

    from edgenn.export.codegen import codegen

    tmp_path.mkdir(parents=True, exist_ok=True)
    model = tmp_path / "model.tflite"
    model.write_bytes(data)
    folder = codegen(model, tmp_path / "c", name="net")
    features = set(json.loads((folder / "edgenn.json").read_text())["features"])
    config = config_of(folder)
    assert set(config) == {*FEATURES, *SETTINGS}
    assert {name for name, on in config.items() if on} == features
    return folder, features


def dw_model(shape, kernel=3, multiplier=1, padding="same", activation=None, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    y = keras.layers.DepthwiseConv2D(kernel, padding=padding, depth_multiplier=multiplier, activation=activation)(x)
    return keras.Model(x, y)


def test_the_librarys_config_turns_every_path_on():
    """Builds without a model compile every path, built for speed; the library's config.h is what codegen
    writes for all."""
    from edgenn.export.codegen import config_header

    assert config_of(INCLUDE.parent) == {**dict.fromkeys(FEATURES, 1), **dict.fromkeys(SETTINGS, 0)}
    assert (INCLUDE / "config.h").read_text() == config_header(set(FEATURES))


# (model, per_channel, the depthwise paths its one layer takes)
DW_CASES = [
    pytest.param(lambda: dw_model((10, 12, 1), multiplier=8), True, {"DW_LINE"}, id="one-input-channel-line"),
    pytest.param(lambda: dw_model((7, 9, 3), multiplier=2), True, {"DW_GENERAL"}, id="multiplier-2"),
    pytest.param(lambda: dw_model((7, 9, 8)), True, {"DW_SAME", "DW_3X3_FULL"}, id="3x3-full-range"),
    pytest.param(lambda: dw_model((9, 10, 8), seed=4), False, {"DW_SAME", "DW_3X3_ACT"}, id="3x3-fused-relu"),
    pytest.param(lambda: dw_model((7, 9, 8), kernel=5), False, {"DW_SAME"}, id="5x5"),
]


def with_relu(data: bytes) -> bytes:
    """The model with RELU fused into its first op: on an output quantized over negative values too, a
    clamp narrower than int8 (converters calibrate a fused activation's output to its own range)."""
    import flatbuffers

    from edgenn.graph.tflite import schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    model.subgraphs[0].operators[0].builtinOptions.fusedActivationFunction = schema.ActivationFunctionType.RELU
    builder = flatbuffers.Builder(len(data))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def dw_data(make, per_channel: bool, paths) -> bytes:
    data = int8_tflite(make(), per_channel=per_channel, low=-2.0, high=2.0)
    return with_relu(data) if "DW_3X3_ACT" in paths else data


@pytest.mark.parametrize("make, per_channel, paths", DW_CASES)
def test_depthwise_config_is_the_paths_its_layer_takes(tmp_path, make, per_channel, paths):
    data = dw_data(make, per_channel, paths)
    folder, features = generate(data, tmp_path)
    assert features & DW == paths
    assert ("PER_CHANNEL" in features) == per_channel
    assert "RQ_TWO_STEP" not in features  # export bounds these layers' sums: one multiply
    if not per_channel:
        # One multiplier and one shift per layer: the arrays hold one value.
        text = (folder / "net.c").read_text()
        assert re.search(r"int32_t \w*requant_multiplier\w*\[1\]", text), text[:3000]


@pytest.mark.parametrize("make, per_channel, paths", DW_CASES)
@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_depthwise_with_its_config_matches_tflm(tmp_path, make, per_channel, paths, target):
    if target != "host":
        require_tool("arm-none-eabi-gcc")
        require_tool("qemu-system-arm")
    data = dw_data(make, per_channel, paths)
    check_c_bit_exact(data, tmp_path, count=8, target=target)
    assert {k for k, on in config_of(tmp_path / "c").items() if on} & DW == paths


def stack():
    """conv, depthwise, pooling and dense: every convolution-like kernel's constants in one model."""
    keras.utils.set_random_seed(1)
    x = keras.Input(batch_shape=(1, 9, 9, 3))
    y = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    y = keras.layers.Conv2D(12, 1)(y)
    y = keras.layers.Conv2D(6, 3, padding="valid")(keras.layers.MaxPooling2D(3)(y))  # a lone output pixel
    y = keras.layers.Dense(5)(keras.layers.Flatten()(y))
    return keras.Model(x, y)


@pytest.mark.parametrize("two_step", [False, True])
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m55"])
def test_per_tensor_and_two_step_configs_match_tflm(tmp_path, monkeypatch, per_channel, two_step, target):
    """Per-tensor constants stored once per layer (EDGENN_QCH) and TFLM's two-step requantization turned
    off or on, through the plain, DSP and Helium paths of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED."""
    import edgenn.reference.fully_connected as conv_module  # where requant_fields finds requant_constants

    if target != "host":
        require_tool("arm-none-eabi-gcc")
        require_tool("qemu-system-arm")
    if two_step:
        monkeypatch.setattr(conv_module, "requant_constants", lambda *args: None)
    data = int8_tflite(stack(), per_channel=per_channel, low=0.0, high=1.0)
    folder, features = generate(data, tmp_path / "gen")
    assert ("PER_CHANNEL" in features) == per_channel
    assert ("RQ_TWO_STEP" in features) == two_step
    assert "CONV_PLAIN" not in features  # the lone pixel pairs with itself on the DSP path
    check_c_bit_exact(data, tmp_path / "run", count=8, target=target)


def test_conv_windows_the_dsp_path_declines_turn_the_plain_loops_on(tmp_path):
    """A 1x1 convolution over 2 input channels has windows of 2 values: conv_dsp declines them."""
    keras.utils.set_random_seed(2)
    x = keras.Input(batch_shape=(1, 5, 6, 2))
    data = int8_tflite(keras.Model(x, keras.layers.Conv2D(4, 1)(x)), low=0.0, high=1.0)
    _, features = generate(data, tmp_path / "gen")
    assert "CONV_PLAIN" in features
    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    check_c_bit_exact(data, tmp_path / "run", count=8, target="cortex-m4")


def test_a_model_checks_the_config_it_is_compiled_with(tmp_path):
    """A model linked with kernels compiled under another config.h (another model's) fails the link."""
    from edgenn import toolchain
    from edgenn.errors import EdgeNNError

    data = int8_tflite(dw_model((7, 9, 3), multiplier=2), low=0.0, high=1.0)
    folder, features = generate(data, tmp_path)
    assert "DW_GENERAL" in features
    config = folder / "edgenn" / "config.h"
    config.write_text(config.read_text().replace("#define EDGENN_USE_DW_GENERAL 1", "#define EDGENN_USE_DW_GENERAL 0"))
    with pytest.raises(EdgeNNError, match="edgenn_depthwise_conv_2d_config_"):
        toolchain.build(folder, "host")


def test_unknown_features_are_refused():
    from edgenn.export.codegen import OpEmitter, Unit

    e = OpEmitter.__new__(OpEmitter)
    e.unit, e.op = Unit(), type("Op", (), {"name": "CONV_2D"})()
    with pytest.raises(ValueError, match="unknown kernel feature"):
        e.use("DW_LINES")
    e.use("DW_LINE")
    assert list(e.unit.features) == ["DW_LINE"]
