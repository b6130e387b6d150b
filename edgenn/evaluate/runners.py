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
from edgenn.errors import ModelFileError
from edgenn.graph.quant import QuantParams, io_quant, quantize
from edgenn.graph.tflite import NUMPY_DTYPES, Graph, parse_tflite


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


def _read_tflite(path: Path) -> tuple[bytes, Graph]:
    if not path.is_file():
        raise ModelFileError(path, "model file not found")
    data = path.read_bytes()
    return data, parse_tflite(data, path)


class LiteRTRunner(Runner):
    """LiteRT's interpreter; `reference=True` selects its reference kernels (BUILTIN_REF)."""

    def __init__(self, path: Path, reference: bool = False):
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:  # older stacks: tflite_runtime, then TensorFlow's own copy
            try:
                from tflite_runtime.interpreter import Interpreter, OpResolverType
            except ImportError:
                from tensorflow.lite.python.interpreter import Interpreter, OpResolverType
        data, graph = _read_tflite(path)
        self.name = "litert_ref" if reference else "litert"
        self.input_quant, self.output_quant = io_quant(graph)
        kind = OpResolverType.BUILTIN_REF if reference else OpResolverType.AUTO
        try:
            with native_quiet():
                self._it = Interpreter(model_content=data, experimental_op_resolver_type=kind)
                self._it.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelFileError(path, f"LiteRT cannot load it: {str(exc).strip().splitlines()[0]}") from None
        self._in = self._it.get_input_details()[0]["index"]
        self._out = self._it.get_output_details()[0]["index"]

    def _invoke(self, sample):
        self._it.set_tensor(self._in, sample)
        self._it.invoke()
        return self._it.get_tensor(self._out)


class TFLMRunner(Runner):
    """TensorFlow Lite Micro's own interpreter: the reference for what a microcontroller computes."""

    name = "tflm"

    def __init__(self, path: Path):
        from tflite_micro import runtime

        data, graph = _read_tflite(path)
        self.input_quant, self.output_quant = io_quant(graph)
        # The arena must merely be big enough; what the model uses is measured in arena_bytes().
        arena = max(4 * 1024 * 1024, 16 * len(data))
        try:
            with native_quiet():
                self._it = runtime.Interpreter.from_bytes(data, arena_size=arena)
        except (RuntimeError, ValueError) as exc:
            raise ModelFileError(path, f"TFLM cannot load it: {str(exc).strip().splitlines()[0]}") from None
        self._path = path

    def _invoke(self, sample):
        self._it.set_input(sample, 0)
        self._it.invoke()
        return self._it.get_output(0)

    def arena_bytes(self) -> int:
        """Bytes of tensor arena the model needs, from TFLM's RecordingMicroAllocator.

        The allocator reports after an invoke; its log line "Arena allocation total N bytes"
        is the figure firmware must reserve.
        """
        sample = np.zeros(self._it.get_input_details(0)["shape"], dtype=self._it.get_input_details(0)["dtype"])
        self._invoke(sample)
        log = capture_fd2(self._it.print_allocations)
        for line in log.splitlines():
            if "Arena allocation total" in line:
                return int(line.split("total")[1].split("bytes")[0])
        raise ModelFileError(self._path, "TFLM reported no arena allocation")


class OnnxRunner(Runner):
    """onnxruntime on the CPU, all graph optimizations on (as a user would run it)."""

    name = "onnxruntime"

    def __init__(self, path: Path, output_quant: QuantParams | None = None, input_quant: QuantParams | None = None):
        import onnxruntime as ort

        if not path.is_file():
            raise ModelFileError(path, "model file not found")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self._sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for corrupt files
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelFileError(path, f"not a loadable ONNX model: {first}") from None
        inp = self._sess.get_inputs()[0]
        self._in = inp.name
        if inp.type in ("tensor(int8)", "tensor(uint8)"):
            if input_quant is None:
                raise ModelFileError(path, f"integer input {inp.type} needs the quantization of the model it came from")
            self.input_quant = input_quant
            self.output_quant = output_quant

    def _invoke(self, sample):
        return self._sess.run(None, {self._in: sample})[0]


class RecordedRunner(Runner):
    """Outputs recorded when the model was trained (Keras), so evaluation needs no TensorFlow."""

    name = "keras"

    def __init__(self, outputs: np.ndarray):
        self._outputs = outputs

    def predict(self, x, tick=None):
        if len(x) != len(self._outputs):
            raise ValueError("recorded outputs cover the build's own test split only")
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
