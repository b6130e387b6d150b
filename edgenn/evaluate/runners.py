"""Runners: one class per engine, each with `predict(x) -> outputs` on a batch of samples.

Every runner takes float samples as the user has them. Integer models get them quantized with
the model's own input scale and zero point, identically for every engine, so that differences
in outputs come from the engines alone. `predict` returns raw outputs: int8 codes for int8
models (the bytes a microcontroller would produce), floats otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from edgenn import toolchain
from edgenn.console import capture_fd2, native_quiet
from edgenn.data.splits import load_npy
from edgenn.errors import BuildDirError, ModelFileError, first_line
from edgenn.graph.onnx import read_onnx
from edgenn.graph.quant import QuantParams, io_quant, quantize
from edgenn.graph.tflite import NUMPY_DTYPES, Graph, native_bytes, parse_tflite
from edgenn.isolate import isolated
from edgenn.isolate import tick as isolate_tick


class Runner:
    """Base: per-sample invocation of a batch-1 model, with input quantization when needed."""

    name = "runner"
    input_quant: QuantParams | None = None
    output_quant: QuantParams | None = None

    def _invoke(self, sample: np.ndarray) -> np.ndarray:  # one sample with its batch axis
        raise NotImplementedError

    def predict(self, x: np.ndarray, tick: Callable[[], None] | None = None) -> np.ndarray:
        if self.input_quant is not None:
            x = quantize(x, self.input_quant)
        outs = []
        for sample in x:
            outs.append(np.asarray(self._invoke(sample[np.newaxis])).reshape(-1))
            if tick:
                tick()
        return np.stack(outs)


class NativeRunner(Runner):
    """A runner whose engine is native code: it only ever sees a validated model, and it runs in a
    forked child (edgenn.isolate), so that a crash in it is an error naming the engine and the file.

    A subclass sets `engine`, validates the file in `__init__` (then calls `_check_loads()`), and
    defines `_load()`, which makes the engine's interpreter or session, and `_invoke`.
    """

    engine = "native code"
    _path: Path

    def _load(self) -> None:
        raise NotImplementedError

    def _check_loads(self) -> None:
        """Load the model once, isolated: a model the engine refuses fails here, before any run."""
        isolated(self._load, self.engine, self._path)

    def predict(self, x: np.ndarray, tick: Callable[[], None] | None = None) -> np.ndarray:
        def work():
            self._load()
            return Runner.predict(self, x, tick=isolate_tick)

        return isolated(work, self.engine, self._path, on_tick=tick)


def _read_tflite(path: Path) -> tuple[bytes, Graph]:
    """The validated graph of `path`, and the bytes a native interpreter may be given."""
    if not path.is_file():
        raise ModelFileError(path, "model file not found")
    data = path.read_bytes()
    graph = parse_tflite(data, path)
    return native_bytes(data, path), graph


class LiteRTRunner(NativeRunner):
    """LiteRT's interpreter; `reference=True` selects its reference kernels (BUILTIN_REF)."""

    engine = "LiteRT"

    def __init__(self, path: Path, reference: bool = False):
        self._data, graph = _read_tflite(path)
        self._path, self._reference = path, reference
        self.name = "litert_ref" if reference else "litert"
        self.input_quant, self.output_quant = io_quant(graph)
        self._check_loads()

    def _load(self) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:  # older stacks: tflite_runtime, then TensorFlow's own copy
            try:
                from tflite_runtime.interpreter import Interpreter, OpResolverType
            except ImportError:
                from tensorflow.lite.python.interpreter import Interpreter, OpResolverType
        kind = OpResolverType.BUILTIN_REF if self._reference else OpResolverType.AUTO
        try:
            with native_quiet():
                self._it = Interpreter(model_content=self._data, experimental_op_resolver_type=kind)
                self._it.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelFileError(self._path, f"LiteRT cannot load it: {first_line(exc)}") from None
        self._in = self._it.get_input_details()[0]["index"]
        self._out = self._it.get_output_details()[0]["index"]

    def _invoke(self, sample):
        self._it.set_tensor(self._in, sample)
        self._it.invoke()
        return self._it.get_tensor(self._out)


class TFLMRunner(NativeRunner):
    """TensorFlow Lite Micro's own interpreter: the reference for what a microcontroller computes."""

    name = "tflm"
    engine = "TFLM"

    def __init__(self, path: Path):
        self._data, graph = _read_tflite(path)
        self._path = path
        self.input_quant, self.output_quant = io_quant(graph)
        self._check_loads()

    def _load(self) -> None:
        from tflite_micro import runtime

        # The arena must merely be big enough; what the model uses is measured in arena_bytes().
        arena = max(4 * 1024 * 1024, 16 * len(self._data))
        try:
            with native_quiet():
                self._it = runtime.Interpreter.from_bytes(self._data, arena_size=arena)
        except (RuntimeError, ValueError) as exc:
            raise ModelFileError(self._path, f"TFLM cannot load it: {first_line(exc)}") from None

    def _invoke(self, sample):
        self._it.set_input(sample, 0)
        self._it.invoke()
        return self._it.get_output(0)

    def arena_bytes(self) -> int:
        """Bytes of tensor arena the model needs, from TFLM's RecordingMicroAllocator.

        The allocator reports after an invoke; its log line "Arena allocation total N bytes"
        is the figure firmware must reserve.
        """

        def measure() -> str:
            self._load()
            details = self._it.get_input_details(0)
            self._invoke(np.zeros(details["shape"], dtype=details["dtype"]))
            return capture_fd2(self._it.print_allocations)

        for line in isolated(measure, self.engine, self._path).splitlines():
            if "Arena allocation total" in line:
                return int(line.split("total")[1].split("bytes")[0])
        raise ModelFileError(self._path, "TFLM reported no arena allocation")


class OnnxRunner(NativeRunner):
    """onnxruntime on the CPU, all graph optimizations on (as a user would run it)."""

    name = "onnxruntime"
    engine = "onnxruntime"

    def __init__(self, path: Path, output_quant: QuantParams | None = None, input_quant: QuantParams | None = None):
        self._path = path
        self._data, info = read_onnx(path)
        if info.input_type in ("int8", "uint8"):
            if input_quant is None:
                raise ModelFileError(path, f"integer input {info.input_type} needs its source model's quantization")
            self.input_quant = input_quant
            self.output_quant = output_quant
        self._check_loads()

    def _load(self) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self._sess = ort.InferenceSession(self._data, opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for models it refuses
            raise ModelFileError(self._path, f"onnxruntime cannot load it: {first_line(exc)}") from None
        self._in = self._sess.get_inputs()[0].name

    def _invoke(self, sample):
        try:
            return self._sess.run(None, {self._in: sample})[0]
        except Exception as exc:
            raise ModelFileError(self._path, f"onnxruntime cannot run it: {first_line(exc)}") from None


class RecordedRunner(Runner):
    """Outputs recorded when the model was trained (Keras), so evaluation needs no TensorFlow."""

    name = "keras"

    def __init__(self, path: Path):
        self._path = path
        self._outputs = load_npy(path)
        if not np.issubdtype(self._outputs.dtype, np.floating) or self._outputs.ndim < 1:
            raise BuildDirError(path, f"{self._outputs.dtype} of shape {self._outputs.shape}: not recorded outputs")

    def predict(self, x, tick=None):
        if len(x) != len(self._outputs):
            raise BuildDirError(self._path, f"{len(self._outputs)} recorded outputs for {len(x)} test samples")
        if tick:
            for _ in range(len(x)):
                tick()
        return self._outputs


class CRunner(Runner):
    """The generated C, compiled for the host: runs every sample in one process."""

    name = "c"

    def __init__(self, folder: Path, target: str = "host"):
        m = toolchain.manifest(folder)
        self._folder, self._target = folder, target

        def q(which):
            io = m[which]
            if io["dtype"] in ("int8", "int16") and io["scale"]:
                return QuantParams(io["scale"][0], io["zero_point"][0], NUMPY_DTYPES[io["dtype"]])
            return None

        self.input_quant, self.output_quant = q("input"), q("output")

    def predict(self, x, tick=None):
        if self.input_quant is not None:
            x = quantize(x, self.input_quant)
        out, _ = toolchain.run(self._folder, x, self._target)
        if tick:
            for _ in range(len(x)):
                tick()
        return out.reshape(len(x), -1)


# Runners of a model file by kind: the one table eval's variants and the quantization variants use.
MODEL_FILE_RUNNERS: dict[str, Callable[..., Runner]] = {
    "litert": LiteRTRunner,
    "litert_ref": lambda path, **kw: LiteRTRunner(path, reference=True, **kw),
    "tflm": TFLMRunner,
    "onnxruntime": OnnxRunner,
}


def runner_for(kind: str, path: Path, **kwargs) -> Runner:
    """A runner of `kind` (MODEL_FILE_RUNNERS) loaded with the model file at `path`."""
    return MODEL_FILE_RUNNERS[kind](path, **kwargs)
