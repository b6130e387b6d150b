"""Kernels built for flash (`codegen --optimize size`: config.h's EDGENN_USE_OPTIMIZE_SIZE, -Os): one
general loop where the fast build keeps specialized ones (the cores' dot products kept), nothing forced
inline. They compute TFLM's bytes like the fast kernels, on the host (its vector and plain dot
products), the Cortex-M4 and M33 (DSP dot products), the M55 (its Helium loops left out), the M0+ and
RV32 (scalar), dense and with packed weights; and they take less code than the fast ones.
"""

import json

import pytest

from edgenn.optimize.compress import compress_tflite
from tests.conftest import require_target_tools
from tests.kernels.harness import HOST_VARIANTS, check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")


def _image_model(per_channel: bool) -> bytes:
    """Every kernel whose size build takes another loop: convolutions padded, strided, dilated and
    pointwise; depthwise 3x3 (the fast build's unrolled 3x3 path), 5x5, and with depth multiplier 2;
    max and average pooling over 16+8+odd channels. The output is the last layer's whole tensor, so
    a wrong value anywhere shows."""
    keras.utils.set_random_seed(11)
    x = keras.Input(batch_shape=(1, 12, 11, 3))
    y = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(y)
    y = keras.layers.DepthwiseConv2D(3, padding="same")(y)
    y = keras.layers.Conv2D(27, 3, strides=2, padding="valid")(y)
    y = keras.layers.MaxPooling2D(2, strides=1, padding="same")(y)
    y = keras.layers.Conv2D(12, 3, dilation_rate=2, padding="same", activation="relu")(y)
    y = keras.layers.DepthwiseConv2D(5, padding="same", depth_multiplier=2)(y)
    y = keras.layers.AveragePooling2D(2, strides=1)(y)
    y = keras.layers.Conv2D(31, 1)(y)
    return int8_tflite(keras.Model(x, y), per_channel=per_channel)


def _head_model() -> bytes:
    """A classifier's head: global average pooling (MEAN) over 16+8+odd channels, dense, softmax."""
    keras.utils.set_random_seed(13)
    x = keras.Input(batch_shape=(1, 6, 5, 27))
    y = keras.layers.GlobalAveragePooling2D()(x)
    y = keras.layers.Dense(10)(y)
    y = keras.layers.Softmax()(y)
    return int8_tflite(keras.Model(x, y))


def _line_model() -> bytes:
    """One input channel: the depthwise line buffer, then a convolution taller than wide, flattened."""
    keras.utils.set_random_seed(12)
    x = keras.Input(batch_shape=(1, 10, 12, 1))
    y = keras.layers.DepthwiseConv2D(3, depth_multiplier=8, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(6, (3, 1), activation="relu")(y)
    y = keras.layers.Flatten()(y)
    y = keras.layers.Dense(7)(y)
    return int8_tflite(keras.Model(x, y))


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    return {
        "per-channel": _image_model(True),
        "per-tensor": _image_model(False),
        "line": _line_model(),
        "head": _head_model(),
    }


def _config(folder) -> dict:
    return json.loads((folder / "edgenn.json").read_text())


@pytest.mark.parametrize("variant", sorted(HOST_VARIANTS))
@pytest.mark.parametrize("model", ["per-channel", "per-tensor", "line", "head"])
def test_host_bit_exact(models, tmp_path, model, variant):
    dsp, cflags = HOST_VARIANTS[variant]
    check_c_bit_exact(models[model], tmp_path, count=8, dsp=dsp, cflags=cflags, optimize="size")
    m = _config(tmp_path / "c")
    assert m["optimize"] == "size"
    assert not {"DW_3X3_FULL", "DW_3X3_ACT"} & set(m["features"]), m["features"]  # speed-only paths
    assert "#define EDGENN_USE_OPTIMIZE_SIZE 1" in (tmp_path / "c" / "edgenn" / "config.h").read_text()


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
@pytest.mark.parametrize("model", ["per-channel", "line", "head"])
def test_device_bit_exact(models, tmp_path, model, target):
    require_target_tools(target)
    check_c_bit_exact(models[model], tmp_path, count=4, target=target, optimize="size")


@pytest.mark.parametrize("target", ["cortex-m33", "cortex-m55", "riscv32"])
def test_other_cores_bit_exact(models, tmp_path, target):
    """The M55 leaves its Helium loops for the plain ones; the M33 keeps its DSP dot products; RV32 is scalar."""
    require_target_tools(target)
    check_c_bit_exact(models["per-tensor"], tmp_path, count=3, target=target, optimize="size")


@pytest.mark.parametrize("scheme", ["int4", "lut2", "lut4t", "sparse"])
@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_packed_bit_exact(models, tmp_path, scheme, target):
    """Packed weights read in the loop (int4, lut4t, sparse) or unpacked (lut2) under the size build."""
    if target != "host":
        require_target_tools(target)
    data, _ = compress_tflite(models["per-channel"], scheme, sparsity=0.5)
    check_c_bit_exact(data, tmp_path, count=4, target=target, compress=scheme, optimize="size")
    assert _config(tmp_path / "c")["packed"], "no layer packed"


def test_cmake_package_builds_the_kernels_with_os(models, tmp_path):
    from edgenn import pipeline

    model = tmp_path / "model.tflite"
    model.write_bytes(models["line"])
    size = pipeline.codegen(model, tmp_path / "size", "net", optimize="size")
    speed = pipeline.codegen(model, tmp_path / "speed", "net")
    assert "target_compile_options(edgenn_kernels PRIVATE -Os)" in (size / "CMakeLists.txt").read_text()
    assert "-Os" not in (speed / "CMakeLists.txt").read_text()


def test_analyze_and_codegen_take_optimize_on_the_command_line(models, tmp_path):
    """`--optimize size` reaches the folder (its manifest) and analyze's Cortex-M4 build: less code than
    the fast build, the same constants."""
    from tests.conftest import run_cli

    require_target_tools("cortex-m4")
    model = tmp_path / "model.tflite"
    model.write_bytes(models["per-channel"])
    flash = {}
    for optimize in ("speed", "size"):
        r = run_cli("analyze", str(model), "--json", "--optimize", optimize)
        assert r.returncode == 0, r.stderr
        flash[optimize] = json.loads(r.stdout)["flash"]
    assert flash["size"]["code"] < flash["speed"]["code"], flash
    assert {k: v for k, v in flash["size"].items() if k != "code"} == {
        k: v for k, v in flash["speed"].items() if k != "code"
    }
    r = run_cli("codegen", str(model), "-o", str(tmp_path / "c"), "--optimize", "size")
    assert r.returncode == 0, r.stderr
    assert _config(tmp_path / "c")["optimize"] == "size"
    r = run_cli("codegen", str(model), "-o", str(tmp_path / "bad"), "--optimize", "tiny")
    assert r.returncode == 2 and not (tmp_path / "bad").exists()


@pytest.mark.parametrize("compiler", ["gcc -march=native", "arm-none-eabi-gcc -mcpu=cortex-m55 -mthumb"])
def test_every_kernel_file_compiles_warning_free_built_for_flash(models, tmp_path, compiler):
    """`--kernel-paths all --optimize size` (one copy of the kernels for several models built for flash):
    every kernel file compiles alone under -Werror, whatever its paths leave unreferenced."""
    import subprocess

    from edgenn.export.codegen import codegen
    from tests.conftest import require_tool

    require_tool(compiler.split()[0])
    model = tmp_path / "model.tflite"
    model.write_bytes(models["line"])
    folder = codegen(model, tmp_path / "c", name="net", kernel_paths="all", optimize="size")
    flags = ["-std=c99", "-Os", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wconversion", "-Wshadow"]
    sources = sorted((folder / "edgenn").glob("*.c"))
    assert len(sources) > 50
    for src in sources:
        proc = subprocess.run(
            [*compiler.split(), *flags, f"-I{folder / 'edgenn'}", "-c", str(src), "-o", str(tmp_path / "k.o")],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, f"{src.name}: {proc.stderr[:800]}"
