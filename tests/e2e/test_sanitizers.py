"""The generated C under AddressSanitizer and UndefinedBehaviorSanitizer. Every recipe model (digits,
KWS, sine) and every TFLM example whose ops edgenn supports is built for the host with both
sanitizers, aborting on the first report, and run on thousands of inputs of the model's input type:
all lowest, all highest, all 0, alternating extremes, then uniformly random codes (for a float
model, large and small values, then uniform ones). A prefix of those runs is compared with TFLM byte
for byte. Every example in the folder is accounted for.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from edgenn import layout, toolchain
from edgenn.errors import EdgeNNError
from edgenn.export.codegen import codegen
from edgenn.graph.tflite import read_tflite
from tests.conftest import require_tool
from tests.kernels.harness import tflm_outputs

FLAGS = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
RANDOM_ROWS = 2000

# Model → (where it comes from, rows compared with TFLM). Builds come from session fixtures.
MODELS = {
    "digits": ("digits_build", 100),
    "kws": ("kws_build", 100),
    "sine": ("sine_build", None),  # one input value: every row is compared
    "hello_world_int8": ("tflm_examples", None),
    "micro_speech_quantized": ("tflm_examples", 100),
    "person_detect": ("tflm_examples", 20),
    "keyword_scrambled_8bit": ("tflm_examples", 100),  # int16 input; SVDF state carries over from run to run
    "hello_world_float": ("tflm_examples", None),  # float32 throughout: compared within rtol 1e-5, atol 1e-6
}
SLOW = {"kws", "sine", "person_detect"}  # a training, or more than 20 s of sanitized inference


def sanitizer_inputs(shape: tuple[int, ...], dtype: str = "int8", rows: int = RANDOM_ROWS, seed: int = 0) -> np.ndarray:
    """All lowest, all highest, all 0, lowest and highest alternating, then `rows` uniformly random samples of
    the integer `dtype`; every int8 code too when a sample is one value."""
    rng = np.random.default_rng(seed)
    if dtype == "float32":  # zeros, the float extremes a model may meet, then uniform values in [-8, 8)
        fixed = [np.full((1, *shape), v, dtype=np.float32) for v in (0.0, -8.0, 8.0, -1e30, 1e30)]
        return np.concatenate([*fixed, rng.uniform(-8, 8, (rows, *shape)).astype(np.float32)])
    lo, hi = int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
    fixed = [np.full((1, *shape), v, dtype=dtype) for v in (lo, hi, 0)]
    fixed.append(np.resize(np.array([lo, hi], dtype=dtype), (1, *shape)))
    if int(np.prod(shape)) == 1 and dtype == "int8":
        fixed.append(np.arange(-128, 128, dtype=np.int8).reshape(256, *shape))
    rand = rng.integers(lo, hi + 1, size=(rows, *shape), dtype=np.int32).astype(dtype)
    return np.concatenate([*fixed, rand])


def model_path(request, name: str) -> Path:
    source, _ = MODELS[name]
    where = request.getfixturevalue(source)
    return where / f"{name}.tflite" if source == "tflm_examples" else where / layout.TFLITE_INT8


def assert_instrumented(folder: Path) -> None:
    """The model's own objects call into both sanitizers' runtimes: the flags did reach the compiler."""
    objects = sorted((toolchain.build_dir(folder, "host") / "obj").rglob("*.o"))
    assert objects, folder
    undefined = subprocess.run(["nm", "-u", *map(str, objects)], capture_output=True, text=True, check=True).stdout
    assert "__asan_report_" in undefined and "__ubsan_handle_" in undefined, undefined[:400]


def sanitized_run(folder: Path, x: np.ndarray) -> np.ndarray:
    """`toolchain.run` on the sanitized build; a report (non-zero exit) fails the test with the report's text."""
    try:
        got, _ = toolchain.run(folder, x, "host")
    except EdgeNNError as e:
        elf = toolchain.build_dir(folder, "host") / "runner.elf"
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "inputs.bin").write_bytes(np.ascontiguousarray(x).tobytes())
            proc = subprocess.run([str(elf), "inputs.bin", "outputs.bin"], cwd=tmp, capture_output=True, text=True)
        report = "\n".join(proc.stderr.strip().splitlines()[:40])
        pytest.fail(f"sanitized C failed on {folder}: {e}\n{report}")
    return got


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in MODELS])
def test_c_is_clean_and_bit_exact_under_sanitizers(request, tmp_path, name):
    for tool in ("gcc", "make", "nm"):
        require_tool(tool)
    model = model_path(request, name)
    folder = codegen(model, tmp_path / "c")
    toolchain.build(folder, "host", extra_cflags=FLAGS, extra_ldflags=FLAGS)
    assert_instrumented(folder)
    inp = read_tflite(model).input_tensor()
    x = sanitizer_inputs(inp.shape, inp.dtype)
    assert len(x) >= RANDOM_ROWS + 4
    got = sanitized_run(folder, x)
    assert len(got) == len(x)
    compared = MODELS[name][1] or len(x)
    want = tflm_outputs(model.read_bytes(), x[:compared])
    got = got[:compared].reshape(want.shape)
    if want.dtype == np.float32:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
        return
    diff = np.argwhere(got != want)
    assert len(diff) == 0, (
        f"{name}: {len(diff)} of {want.size} bytes differ from TFLM; first at {tuple(diff[0])}: "
        f"C {got[tuple(diff[0])]}, TFLM {want[tuple(diff[0])]}"
    )


def test_every_example_is_sanitized(tflm_examples):
    examples = {p.stem for p in tflm_examples.glob("*.tflite")}
    covered = {n for n, (source, _) in MODELS.items() if source == "tflm_examples"}
    assert examples == covered, examples ^ covered
