"""The generated C under AddressSanitizer and UndefinedBehaviorSanitizer.

Every recipe model (digits, KWS, sine) and every TFLM example whose ops edgenn supports is built for
the host with both sanitizers, aborting on the first report, and run on thousands of int8 inputs:
all -128, all 127, all 0, alternating extremes, then uniformly random codes. A prefix of those runs
is compared with TFLM byte for byte. The SVDF example is refused at export, and every example in the
folder is accounted for.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from edgenn import layout, toolchain
from edgenn.errors import EdgeNNError, UnsupportedError
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
}
SLOW = {"kws", "sine", "person_detect"}  # a training, or more than 20 s of sanitized inference
REFUSED = {
    "keyword_scrambled_8bit": "op SVDF is not supported",
    "hello_world_float": "is float32; supported: int8",
}


def sanitizer_inputs(shape: tuple[int, ...], rows: int = RANDOM_ROWS, seed: int = 0) -> np.ndarray:
    """All -128, all 127, all 0, -128 and 127 alternating, then `rows` uniformly random samples; every code too
    when a sample is one value."""
    rng = np.random.default_rng(seed)
    fixed = [np.full((1, *shape), v, dtype=np.int8) for v in (-128, 127, 0)]
    fixed.append(np.resize(np.array([-128, 127], dtype=np.int8), (1, *shape)))
    if int(np.prod(shape)) == 1:
        fixed.append(np.arange(-128, 128, dtype=np.int8).reshape(256, *shape))
    rand = rng.integers(-128, 128, size=(rows, *shape), dtype=np.int16).astype(np.int8)
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
    shape = read_tflite(model).input_tensor().shape
    x = sanitizer_inputs(shape)
    assert len(x) >= RANDOM_ROWS + 4
    got = sanitized_run(folder, x)
    assert len(got) == len(x)
    compared = MODELS[name][1] or len(x)
    want = tflm_outputs(model.read_bytes(), x[:compared])
    got = got[:compared].reshape(want.shape)
    diff = np.argwhere(got != want)
    assert len(diff) == 0, (
        f"{name}: {len(diff)} of {want.size} bytes differ from TFLM; first at {tuple(diff[0])}: "
        f"C {got[tuple(diff[0])]}, TFLM {want[tuple(diff[0])]}"
    )


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unsupported_example_is_refused(tflm_examples, tmp_path, name):
    with pytest.raises(UnsupportedError, match=REFUSED[name]):
        codegen(tflm_examples / f"{name}.tflite", tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_every_example_is_sanitized_or_refused(tflm_examples):
    examples = {p.stem for p in tflm_examples.glob("*.tflite")}
    covered = {n for n, (source, _) in MODELS.items() if source == "tflm_examples"}
    assert examples == covered | set(REFUSED), examples ^ (covered | set(REFUSED))
