"""Generated C: bit-exact with TFLM on the recipe model and TFLM's own examples, on the host and
on an emulated Cortex-M4, compiled warning-free with the strict flags in edgenn/firmware/Makefile."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn import layout, toolchain
from edgenn.data.splits import load_build_data
from edgenn.evaluate.evaluate import random_int8_inputs
from edgenn.export.codegen import codegen
from edgenn.graph.tflite import read_tflite
from tests.conftest import require_tool, run_cli
from tests.kernels.harness import probe_inputs, tflm_outputs


def c_vs_tflm(model, folder, x, target="host"):
    toolchain.build(folder, target)
    got, _ = toolchain.run(folder, x, target)
    want = tflm_outputs(model.read_bytes(), x)
    got = got.reshape(want.shape)
    assert got.dtype == want.dtype
    return got, want


def person_images(tflm_examples) -> np.ndarray:
    from PIL import Image

    # TFLM's person_detection example feeds the grayscale bytes reinterpreted as int8; with that
    # reading (and not with a shift by 128) the model tells the two images apart.
    imgs = [
        np.asarray(Image.open(tflm_examples / f), dtype=np.uint8).view(np.int8) for f in ("person.bmp", "no_person.bmp")
    ]
    return np.stack(imgs).reshape(2, 1, 96, 96, 1)


@pytest.fixture(scope="module")
def digits_c(digits_build):
    folder = digits_build / layout.C_DIR
    assert (folder / "digits_cnn.c").is_file(), "edgenn run generates the C"
    return folder


def test_digits_c_is_bit_exact_on_test_split_and_random_inputs(digits_build, digits_c):
    graph = read_tflite(digits_build / layout.TFLITE_INT8)
    from edgenn.graph.quant import io_quant, quantize

    x_test = quantize(load_build_data(digits_build).x_test, io_quant(graph)[0])
    x = np.concatenate([x_test[:, np.newaxis], probe_inputs(graph.input_tensor().shape, 300)])
    got, want = c_vs_tflm(digits_build / layout.TFLITE_INT8, digits_c, x)
    assert np.count_nonzero(got != want) == 0


def test_report_has_the_c_variant(digits_build):
    import json

    report = json.loads((digits_build / layout.REPORT_JSON).read_text())
    c = next(v for v in report["variants"] if v["runner"] == "c")
    assert c["accuracy"] >= 0.95
    assert report["agreement"]["int8"]["c_int8"]["mismatched_bytes"] == 0
    assert report["agreement"]["int8"]["c_int8"]["samples"] == report["data"]["samples"]
    assert report["agreement"]["int8_random_inputs"]["c_int8"]["mismatched_bytes"] == 0


@pytest.mark.parametrize("name", ["hello_world_int8", "micro_speech_quantized"])
def test_tflm_examples_bit_exact(tflm_examples, tmp_path, name):
    model = tflm_examples / f"{name}.tflite"
    folder = codegen(model, tmp_path / "c")
    x = probe_inputs(read_tflite(model).input_tensor().shape, 200 if name == "hello_world_int8" else 60)
    if name == "hello_world_int8":
        x = np.concatenate([x, np.arange(-128, 128, dtype=np.int8).reshape(256, 1, 1)])
    got, want = c_vs_tflm(model, folder, x)
    assert np.count_nonzero(got != want) == 0


@pytest.fixture(scope="module")
def person_c(tflm_examples, tmp_path_factory):
    return codegen(tflm_examples / "person_detect.tflite", tmp_path_factory.mktemp("person") / "c")


def test_person_detect_bit_exact_on_images_and_random(tflm_examples, person_c):
    model = tflm_examples / "person_detect.tflite"
    x = np.concatenate([person_images(tflm_examples), probe_inputs((1, 96, 96, 1), 6)])
    got, want = c_vs_tflm(model, person_c, x)
    assert np.count_nonzero(got != want) == 0
    # The example's own expectation: the person scores higher on person.bmp than on no_person.bmp.
    assert got[0, 0, 1] > got[0, 0, 0] and got[1, 0, 0] > got[1, 0, 1]


def require_m4():
    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")


def test_cortex_m4_matches_host_on_person_detect(tflm_examples, person_c):
    require_m4()
    x = person_images(tflm_examples)
    toolchain.build(person_c, "host")
    toolchain.build(person_c, "cortex-m4")
    host, _ = toolchain.run(person_c, x, "host")
    m4, _ = toolchain.run(person_c, x, "cortex-m4")
    assert np.array_equal(host, m4)


def test_cortex_m4_matches_host_on_digits(digits_build, digits_c):
    require_m4()
    x = random_int8_inputs(read_tflite(digits_build / layout.TFLITE_INT8), 40).astype(np.float32)
    toolchain.build(digits_c, "cortex-m4")
    host, _ = toolchain.run(digits_c, x, "host")
    m4, _ = toolchain.run(digits_c, x, "cortex-m4")
    assert np.array_equal(host, m4)
    sizes = toolchain.built(digits_c, "cortex-m4")
    assert 0 < sizes.flash_bytes and 0 < sizes.bss


def test_unsupported_op_is_one_line(tmp_path):
    from tests.kernels.op_models import T, single_op_model

    # SPACE_TO_BATCH_ND: an int8 op TFLM runs and edgenn has no kernel for.
    model = tmp_path / "s2b.tflite"
    ints = np.array([1, 1], np.int32), np.zeros((2, 2), np.int32)
    inputs = [T((1, 4, 4, 2), scale=0.1), T((2,), "int32", data=ints[0]), T((2, 2), "int32", data=ints[1])]
    model.write_bytes(single_op_model("SPACE_TO_BATCH_ND", inputs, T((1, 4, 4, 2), scale=0.1)))
    proc = run_cli("codegen", str(model), "-o", str(tmp_path / "c"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "op SPACE_TO_BATCH_ND is not supported" in lines[0] and "CONV_2D" in lines[0]
    assert not (tmp_path / "c").exists()


def test_firmware_cli_round_trip(tflm_examples, tmp_path):
    model = tflm_examples / "hello_world_int8.tflite"
    out = tmp_path / "c"
    assert run_cli("codegen", str(model), "-o", str(out)).returncode == 0
    built = run_cli("firmware", "build", str(out), "--target", "host")
    assert built.returncode == 0 and "flash" in built.stdout
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1, 1)
    np.save(tmp_path / "x.npy", x)
    ran = run_cli(
        "firmware",
        "run",
        str(out),
        "--target",
        "host",
        "--inputs",
        str(tmp_path / "x.npy"),
        "--outputs",
        str(tmp_path / "y.npy"),
    )
    assert ran.returncode == 0, ran.stderr
    assert np.array_equal(np.load(tmp_path / "y.npy").reshape(256, 1, 1), tflm_outputs(model.read_bytes(), x))


STRICT = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wconversion", "-Wshadow"]


@pytest.mark.parametrize("compiler, arch", [("gcc", []), ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb"])])
def test_generated_c_compiles_with_strict_warnings(digits_c, person_c, tmp_path, compiler, arch):
    import subprocess

    require_tool(compiler)
    for folder in (digits_c, person_c):
        sources = toolchain.model_sources(folder)
        for i, src in enumerate(sources):
            cmd = [compiler, *STRICT, *arch, "-O2", "-c", str(src), "-o", str(tmp_path / f"{i}.o")]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0 and not proc.stderr, proc.stderr


def test_dsp_switch_changes_the_code_not_the_bytes(digits_build, digits_c):
    require_m4()
    x = random_int8_inputs(read_tflite(digits_build / layout.TFLITE_INT8), 3).astype(np.float32)
    counts, outs = {}, {}
    for dsp in (False, True):
        toolchain.build(digits_c, "cortex-m4", dsp=dsp)
        counts[dsp] = toolchain.count_instructions(digits_c, x)
        outs[dsp], _ = toolchain.run(digits_c, x, "cortex-m4")
    assert np.array_equal(outs[False], outs[True])
    assert counts[True] < counts[False]  # the SIMD multiply-accumulates do more per instruction
