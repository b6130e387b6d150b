"""Build small int8 TFLite models with the real converter and check our kernels against TFLM.

`int8_tflite(model)` converts a Keras model with a batch-1 input into a full-integer int8 .tflite
and `float_tflite(model)` into a float one, through edgenn's own converter settings.
`check_bit_exact(data)` runs TFLM and the reference interpreter on extreme, random and
calibration-like inputs and requires identical bytes.
"""

from __future__ import annotations

import platform

import numpy as np

from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from tests.kernels import c_structs


def int8_tflite(
    model,
    calib: np.ndarray | None = None,
    per_channel: bool = True,
    seed: int = 0,
    low: float = -1.0,
    high: float = 1.0,
) -> bytes:
    """Convert a Keras model with a batch-1 input to full-integer int8 TFLite."""
    from edgenn.convert.tflite import keras_converter, to_tflite

    shape = tuple(model.inputs[0].shape)
    rng = np.random.default_rng(seed)
    if calib is None:
        calib = rng.uniform(low, high, (64, *shape[1:])).astype(np.float32)
    return to_tflite(keras_converter(model), "int8_per_channel" if per_channel else "int8_per_tensor", calib)


def float_tflite(model) -> bytes:
    """Convert a Keras model with a batch-1 input to float32 TFLite (what the int8 kernels refuse)."""
    from edgenn.convert.tflite import keras_converter, to_tflite

    return to_tflite(keras_converter(model), "float32")


def probe_inputs(shape: tuple[int, ...], count: int = 24, seed: int = 0, dtype=np.int8) -> np.ndarray:
    """Extremes first (all -128, all 127, alternating), then uniformly random codes."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    fixed = [
        np.full(shape, info.min),
        np.full(shape, info.max),
        np.zeros(shape),
        np.resize(np.array([info.min, info.max]), shape),
    ]
    rand = [rng.integers(info.min, info.max + 1, size=shape) for _ in range(max(0, count - len(fixed)))]
    return np.stack(fixed + rand).astype(dtype)


def tflm_outputs(data: bytes, inputs: np.ndarray) -> np.ndarray:
    from tflite_micro import runtime

    from edgenn.console import native_quiet

    with native_quiet():
        it = runtime.Interpreter.from_bytes(data, arena_size=max(4 << 20, 16 * len(data)))
    outs = []
    for x in inputs:
        it.set_input(x, 0)
        it.invoke()
        outs.append(it.get_output(0).copy())
    return np.stack(outs)


def prepare_int8(data: bytes) -> None:
    """Prepare every op of the model with its int8 module, whatever the activation types (a float32 or
    int16 op would otherwise go to its sibling module): what the int8 kernel refuses, it names."""
    from edgenn.reference import kernel
    from edgenn.reference.base import OpContext

    graph = parse_tflite(data)
    for op in graph.ops:
        kernel(op.name).prepare(OpContext(graph, op))


def reference_outputs(data: bytes, inputs: np.ndarray) -> np.ndarray:
    graph = parse_tflite(data)
    prepared = interpreter.prepare(graph)
    return np.stack([interpreter.run(graph, x, prepared) for x in inputs])


def check_bit_exact(data: bytes, inputs: np.ndarray | None = None, count: int = 24) -> np.ndarray:
    """Assert 0 differing bytes between TFLM and the reference; returns the outputs."""
    graph = parse_tflite(data)
    if inputs is None:
        inputs = probe_inputs(graph.input_tensor().shape, count)
    want = tflm_outputs(data, inputs)
    got = reference_outputs(data, inputs)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.shape, got.dtype, want.shape, want.dtype)
    diff = np.argwhere(got != want)
    assert len(diff) == 0, (
        f"{len(diff)} of {want.size} bytes differ (ops {graph.op_names}); first at {tuple(diff[0])}: "
        f"ours {got[tuple(diff[0])]}, TFLM {want[tuple(diff[0])]}"
    )
    return want


def c_outputs(
    data: bytes,
    inputs: np.ndarray,
    workdir,
    target: str = "host",
    dsp: bool = True,
    cflags: str = "",
    stream: bool = True,
    compress: str = "auto",
    optimize: str = "speed",
    ram_budget: int | None = None,
) -> np.ndarray:
    """Generate C for the model (with row-streamed chains where the planner takes them, unless not
    `stream`; weights packed as `compress` allows; kernels built as `optimize` asks; the plan for
    `ram_budget`), compile it warning-free for `target`, run it on `inputs`."""
    from pathlib import Path

    from edgenn import toolchain
    from edgenn.export.codegen import codegen

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    model = workdir / "model.tflite"
    model.write_bytes(data)
    folder = codegen(
        model, workdir / "c", name="net", stream=stream, compress=compress, optimize=optimize, ram_budget=ram_budget
    )
    problems = c_structs.mismatches((folder / "net.c").read_text())
    assert not problems, problems
    toolchain.build(folder, target, dsp=dsp, extra_cflags=cflags)
    out, _ = toolchain.run(folder, inputs, target)
    return out


def xorshift_c(seed: int) -> str:
    """C source of a seeded xorshift generator, next() -> uint32_t, for the C checks that sweep random cases."""
    return f"""
static uint64_t state = {seed:#x}u;
static uint32_t next(void) {{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 16);
}}
"""


# Host builds of the three host kernel variants: the widest vector unit there is (-march=native: AVX2
# on most x86-64), SSE2 alone, and the plain loops (-DEDGENN_NO_DSP) that hosts without either take.
HOST_VARIANTS = {"native": (True, ""), "plain": (False, "")}
if platform.machine() in ("x86_64", "AMD64"):
    HOST_VARIANTS["sse2"] = (True, "-mno-avx2")


def check_c_bit_exact(
    data: bytes,
    workdir,
    inputs: np.ndarray | None = None,
    count: int = 24,
    target: str = "host",
    dsp: bool = True,
    cflags: str = "",
    stream: bool = True,
    compress: str = "auto",
    optimize: str = "speed",
    ram_budget: int | None = None,
) -> np.ndarray:
    """Assert 0 differing bytes between TFLM and the generated, compiled C; returns the outputs."""
    graph = parse_tflite(data)
    if inputs is None:
        inputs = probe_inputs(graph.input_tensor().shape, count)
    want = tflm_outputs(data, inputs)
    got = c_outputs(data, inputs, workdir, target, dsp, cflags, stream, compress, optimize, ram_budget)
    got = got.reshape(want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    diff = np.argwhere(got != want)
    assert len(diff) == 0, (
        f"C: {len(diff)} of {want.size} bytes differ (ops {graph.op_names}); first at {tuple(diff[0])}: "
        f"C {got[tuple(diff[0])]}, TFLM {want[tuple(diff[0])]}"
    )
    return want


def check_folder_on_target(folder, x: np.ndarray, want: np.ndarray, target: str) -> None:
    """Build a generated C folder for `target` (edgenn/targets.py), run it on `x` (in QEMU for a device)
    and require TFLM's outputs `want` byte for byte, on a board whose memory holds the model."""
    from edgenn import toolchain
    from edgenn.targets import TARGETS

    b = toolchain.build(folder, target)
    got, _ = toolchain.run(folder, x, target)
    np.testing.assert_array_equal(got.reshape(want.shape), want, err_msg=f"{folder} on {target} ({b.machine})")
    if TARGETS[target].is_device:
        board = TARGETS[target].machine(b.machine)
        assert b.ram_bytes <= board.ram[1] and b.flash_bytes <= board.flash[1]
