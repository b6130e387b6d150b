"""`edgenn eval`: every variant of a build on the test split, their agreement, and the footprint.

No TensorFlow here: the Keras variant's outputs were recorded by `edgenn train`.
"""

from __future__ import annotations

import math
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn import __version__, layout, toolchain
from edgenn.console import progress
from edgenn.data.splits import check_shape, load_build_data, load_npz_xy
from edgenn.errors import BuildDirError
from edgenn.evaluate import footprint as footprint_of
from edgenn.evaluate import metrics
from edgenn.evaluate.runners import CRunner, RecordedRunner, Runner, TFLMRunner, runner_for
from edgenn.fileio import sha256_file
from edgenn.graph.quant import dequantize, io_quant
from edgenn.graph.tflite import read_tflite

REPORT_SCHEMA = 1


@dataclass(frozen=True)
class Variant:
    name: str
    format: str
    precision: str
    runner: str
    artifact: str
    make: Callable[[Path], Runner]
    description: str
    needs: tuple[str, ...] = ()  # further files the runner reads
    size: Callable[[Path], int] | None = None  # bytes of what runs; default: the artifact's file size

    def size_bytes(self, build_dir: Path) -> int:
        return self.size(build_dir) if self.size else (build_dir / self.artifact).stat().st_size

    def present(self, build_dir: Path) -> bool:
        return all((build_dir / name).is_file() for name in (self.artifact, *self.needs))


def footprint(build_dir: Path, tflite_bytes: int, tflm_arena: int | None) -> dict:
    """Flash and RAM for the gate: the generated C's compiled objects when built, else the TFLM route.

    The Cortex-M4 build is preferred to the host build: its text is what a device's flash holds.
    """
    tflm = {"tflite_bytes": tflite_bytes, "tflm_arena_bytes": tflm_arena}
    linked = build_dir / layout.FRONTEND_FOOTPRINT
    fp = layout.read_json_object(linked)
    if fp is not None:
        try:
            parts, target = fp["parts"], fp["target"]
            both = parts["model+frontend"]
        except (KeyError, TypeError) as exc:
            raise BuildDirError(linked, f"unreadable ({type(exc).__name__}: {exc})") from None
        return {
            "flash_bytes": both["flash_bytes"],
            "ram_bytes": both["ram_bytes"],
            "flash_source": f"c+frontend:{target}",
            "ram_source": f"c+frontend:{target}",
            **tflm,
            "parts": parts,
            "definitions": {
                "flash_bytes": f"text + data the linked {target} firmware keeps for the model and its audio frontend "
                "(CMSIS-DSP code and FFT tables, filter bank, libm), unused sections dropped; the test runner "
                "around them not included",
                "ram_bytes": f"data + bss of the same ({target}): the model's arena and the frontend's buffers",
            },
        }
    built = toolchain.built_targets(build_dir / layout.C_DIR)
    if built:
        fp = footprint_of.of_c(toolchain.built(build_dir / layout.C_DIR, built[0]))
    else:
        fp = footprint_of.of_tflm(tflite_bytes, tflm_arena)
    return {**fp.as_dict(), **tflm}


def variants_for(int8_graph) -> list[Variant]:
    in_q, out_q = io_quant(int8_graph)
    return [
        Variant(
            "keras_float",
            "keras",
            "float32",
            "keras",
            layout.KERAS_MODEL,
            lambda d: RecordedRunner(d / layout.KERAS_TEST_OUTPUTS),
            "Keras, float32 (recorded at training)",
            needs=(layout.KERAS_TEST_OUTPUTS,),
        ),
        Variant(
            "tflite_float",
            "tflite",
            "float32",
            "litert",
            layout.TFLITE_FLOAT,
            lambda d: runner_for("litert", d / layout.TFLITE_FLOAT),
            "TFLite float32 on LiteRT",
        ),
        Variant(
            "tflite_int8",
            "tflite",
            "int8",
            "litert",
            layout.TFLITE_INT8,
            lambda d: runner_for("litert", d / layout.TFLITE_INT8),
            "TFLite int8 on LiteRT (optimized kernels)",
        ),
        Variant(
            "tflite_int8_ref",
            "tflite",
            "int8",
            "litert_ref",
            layout.TFLITE_INT8,
            lambda d: runner_for("litert_ref", d / layout.TFLITE_INT8),
            "TFLite int8 on LiteRT reference kernels",
        ),
        Variant(
            "tflite_int8_tflm",
            "tflite",
            "int8",
            "tflm",
            layout.TFLITE_INT8,
            lambda d: runner_for("tflm", d / layout.TFLITE_INT8),
            "TFLite int8 on the TFLM interpreter (microcontroller reference)",
        ),
        Variant(
            "onnx_float",
            "onnx",
            "float32",
            "onnxruntime",
            layout.ONNX_FLOAT,
            lambda d: runner_for("onnxruntime", d / layout.ONNX_FLOAT),
            "ONNX float32 on onnxruntime",
        ),
        Variant(
            "onnx_int8",
            "onnx",
            "int8",
            "onnxruntime",
            layout.ONNX_INT8,
            lambda d: runner_for("onnxruntime", d / layout.ONNX_INT8),
            "ONNX int8 QDQ (onnxruntime static quantization) on onnxruntime",
        ),
        Variant(
            "tflite_int8_as_onnx",
            "onnx",
            "int8",
            "onnxruntime",
            layout.ONNX_FROM_TFLITE_INT8,
            lambda d: runner_for("onnxruntime", d / layout.ONNX_FROM_TFLITE_INT8, output_quant=out_q, input_quant=in_q),
            "the int8 TFLite graph as ONNX (tf2onnx) on onnxruntime",
        ),
        Variant(
            "c_int8",
            "c",
            "int8",
            "c",
            f"{layout.C_DIR}/build-host/runner.elf",
            lambda d: CRunner(d / layout.C_DIR),
            "edgenn's generated C, compiled for the host (size: text + data of the model's objects)",
            needs=(f"{layout.C_DIR}/build-host/model.size",),
            size=lambda d: toolchain.built(d / layout.C_DIR, "host").flash_bytes,
        ),
    ]


REFERENCE_INT8 = "tflite_int8_tflm"
# Runners of the very same int8 TFLite graph: their outputs are compared byte for byte.
INT8_PEERS = ("tflite_int8", "tflite_int8_ref", "tflite_int8_as_onnx", "c_int8")
FLOAT_REFERENCE = "keras_float"
FLOAT_PEERS = ("tflite_float", "onnx_float")
# The float model the validation compares against: the trained model's recorded outputs, else its TFLite.
FLOAT_REFERENCES = ("keras_float", "tflite_float")
C_VARIANT = "c_int8"


RANDOM_PROBES = 200


def random_int8_inputs(graph, count: int, seed: int = 0) -> np.ndarray:
    """Float inputs that quantize to uniformly random codes over the whole int8 input range."""
    in_q, _ = io_quant(graph)
    rng = np.random.default_rng(seed)
    info = np.iinfo(in_q.dtype)
    codes = rng.integers(info.min, info.max + 1, size=(count, *graph.input_tensor().shape[1:]))
    return dequantize(codes, in_q)


def evaluate(build_dir: Path, data: Path | None = None, command: str | None = None) -> dict:
    """Evaluate every variant present in `build_dir` and return the report dict (not yet written).

    Args:
        build_dir: a directory made by `edgenn train` and `edgenn convert`.
        data: an optional .npz with `x` and `y` to evaluate on instead of the build's test split.
    """
    build = layout.BuildDir(build_dir).exists()
    build_dir = build.path
    int8_path = build.require(layout.TFLITE_INT8)
    graph = read_tflite(int8_path)

    kind = build.task
    if data is None:
        if build.imported:
            raise build.missing(layout.DATA)
        built = load_build_data(build_dir)
        x, y, labels, split = built.x_test, built.y_test, built.labels, "test"
        check_shape(build / layout.DATA, x, graph.input_tensor().shape[1:])
    else:
        x, y, found = load_npz_xy(data, kind)
        check_shape(data, x, graph.input_tensor().shape[1:])
        labels, split = found or _labels(build, graph, kind), str(data)
    if kind == "anomaly" and y is None:
        kind = "reconstruction"
    metric = metrics.METRICS[kind]

    variants = [v for v in variants_for(graph) if v.present(build_dir)]
    if data is not None:  # recorded Keras outputs cover the build's own test split only
        variants = [v for v in variants if v.runner != "keras"]

    runners = {v.name: v.make(build_dir) for v in variants}  # loading validates every artifact first
    outputs: dict[str, np.ndarray] = {}
    rows = []
    arena = None
    with progress() as bar:
        for v in variants:
            task = bar.add_task(f"eval {v.name}", total=len(x), info=v.runner)
            runner = runners[v.name]
            out = runner.predict(x, tick=lambda task=task: bar.advance(task))
            outputs[v.name] = out
            if isinstance(runner, TFLMRunner):
                arena = runner.arena_bytes()
            value = metrics.score(kind, dequantize(out, runner.output_quant), y, x)
            value = value if math.isfinite(value) else None  # a float model overflowed: no figure
            row = {
                "name": v.name,
                "format": v.format,
                "precision": v.precision,
                "runner": v.runner,
                "accuracy": value if kind == "classification" else None,
                "score": value,
                "size_bytes": v.size_bytes(build_dir),
                "artifact": v.artifact,
                "description": v.description,
            }
            if kind == "classification":
                row["class_recall"] = metrics.class_recall(out, y, len(labels))
            rows.append(row)

    agreement = {
        "int8_reference": REFERENCE_INT8,
        "int8": {},
        "int8_random_inputs": {},
        "float_reference": FLOAT_REFERENCE,
        "float": {},
    }
    if REFERENCE_INT8 in outputs:
        peers = [p for p in INT8_PEERS if p in outputs]
        for peer in peers:
            agreement["int8"][peer] = metrics.int8_agreement(outputs[REFERENCE_INT8], outputs[peer])
        # Real data often saturates the outputs, which hides kernel differences. Uniformly random
        # int8 inputs do not: the report shows both, so neither figure flatters the other.
        probe = random_int8_inputs(graph, RANDOM_PROBES)
        ref = runners[REFERENCE_INT8].predict(probe)
        for peer in peers:
            agreement["int8_random_inputs"][peer] = metrics.int8_agreement(ref, runners[peer].predict(probe))
    if FLOAT_REFERENCE in outputs:
        for peer in FLOAT_PEERS:
            if peer in outputs:
                agreement["float"][peer] = metrics.float_agreement(outputs[FLOAT_REFERENCE], outputs[peer])

    return {
        "schema": REPORT_SCHEMA,
        "model": build.name,
        "edgenn_version": __version__,
        "command": command or shlex.join(["edgenn", *sys.argv[1:]]),
        "source_sha256": sha256_file(int8_path),
        "data": {"split": split, "samples": int(len(x)), "labels": list(labels)},
        "task": build.task,
        "metric": {"name": metric.name, "higher_is_better": metric.higher_is_better, "definition": metric.definition},
        "tflite_ops": list(graph.op_names),
        "variants": rows,
        "agreement": agreement,
        "validation": validation(graph, outputs, runners, rows),
        "footprint": footprint(build_dir, graph.size_bytes, arena),
        "gates": [],
        **_speaker_held_out(build_dir),
    }


def validation(graph, outputs: dict[str, np.ndarray], runners: dict[str, Runner], rows: list[dict]) -> dict:
    """How close the generated C, TFLM and the float model are on the evaluated data, per model output.

    Each comparison measures `a` against the reference `b` on dequantized values (metrics.closeness):
    C against TFLM (bit-exact by design), then C and TFLM against the float model (what quantization
    costs). Only pairs whose variants ran are listed.
    """
    float_reference = next((name for name in FLOAT_REFERENCES if name in outputs), None)
    scores = {row["name"]: row["score"] for row in rows}
    comparisons = []
    for a, b in ((C_VARIANT, REFERENCE_INT8), (C_VARIANT, float_reference), (REFERENCE_INT8, float_reference)):
        if a not in outputs or b not in outputs:
            continue
        qa, qb = runners[a].output_quant, runners[b].output_quant
        close = metrics.closeness(dequantize(outputs[a], qa), dequantize(outputs[b], qb))
        # Codes compare only under one scale and zero point; else the difference in LSB means nothing.
        lsb = metrics.max_lsb(outputs[a], outputs[b]) if qa is not None and qa == qb else None
        comparisons.append({"a": a, "b": b, "score": scores[a], **close, "max_lsb": lsb})
    out = graph.output_tensor()
    return {
        "float_reference": float_reference,
        "int8_reference": REFERENCE_INT8,
        "outputs": [{"index": 0, "name": out.name, "shape": list(out.shape), "comparisons": comparisons}],
        "definitions": {"score": "the task's metric (see metric) of a", **metrics.CLOSENESS_DEFINITIONS},
    }


def _labels(build: layout.BuildDir, graph, task: str) -> tuple[str, ...]:
    """Class names from the build's own data when it has some, else the output indices."""
    if (build / layout.DATA).is_file():
        return load_build_data(build.path).labels
    return tuple(str(i) for i in range(graph.output_tensor().shape[-1])) if task == "classification" else ()


def _speaker_held_out(build_dir: Path) -> dict:
    """The speaker-held-out figure `edgenn run` measured for an audio recipe, when there is one."""
    found = layout.read_json_object(build_dir / layout.SPEAKER_JSON)
    return {} if found is None else {"speaker_held_out": found}
