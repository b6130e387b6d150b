"""What a gate compares: one build's figures (totals and per layer), read from its report or measured.

A snapshot comes from a `report.json` (a build folder's, or one downloaded from another CI run),
or, for a build without a report or a bare `.tflite`, from `edgenn analyze` (flash, RAM, MACs per
layer, no accuracy). Never imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edgenn import layout, schemas
from edgenn.errors import BuildDirError, shown

INT8_VARIANT = "tflite_int8_tflm"  # the microcontroller reference decides int8 accuracy
FLOAT_VARIANTS = ("keras_float", "tflite_float")  # first present is the float baseline
LAYER_FIGURES = ("const_bytes", "live_bytes", "macs", "instructions")  # per-layer figures compared


@dataclass(frozen=True)
class Figure:
    """A total the gate and diff compare."""

    metric: str
    label: str
    unit: str
    higher_is_better: bool = False


# The totals in the order tables show them; the score's label and direction follow the task.
FIGURES = (
    Figure("flash_bytes", "flash", "B"),
    Figure("ram_bytes", "RAM", "B"),
    Figure("instructions", "latency (instructions)", ""),
    Figure("score", "int8 score", "", True),
    Figure("tflite_bytes", ".tflite", "B"),
    Figure("tflm_arena_bytes", "TFLM arena", "B"),
    Figure("macs", "MACs", ""),
)


@dataclass
class Snapshot:
    model: str
    path: Path
    sha256: str | None = None
    task: str = "classification"
    metric: str = "accuracy"
    higher_is_better: bool = True
    figures: dict[str, float | None] = field(default_factory=dict)
    float_score: tuple[str, float] | None = None  # (variant, score) of the float model
    labels: list[str] = field(default_factory=list)
    class_recall: list[float | None] | None = None
    layers: list[dict] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)
    report: dict | None = None

    def figure(self, f: Figure) -> Figure:
        """`f` as this build names it: the score is the task's metric."""
        if f.metric == "score":
            return Figure("score", f"int8 {self.metric}", "", self.higher_is_better)
        return f


# Words that mark, among the names a converter fuses into one tensor name ("a;b;c"), the op's own layer.
_NAME_HINTS = {"CONV_2D": ("conv",), "DEPTHWISE_CONV_2D": ("depthwise",), "FULLY_CONNECTED": ("matmul", "dense")}


def short_name(name: str, op: str) -> str:
    """A tensor name as a person would call the layer: of the fused names, the one that names the op,
    and of its path, the last two parts ('model/conv2d_1/convolution' → 'conv2d_1/convolution')."""
    parts = [p for p in name.split(";") if p] or [name]
    hints = _NAME_HINTS.get(op, ())
    best = next((p for p in parts if any(h in p.lower() for h in hints)), parts[0])
    return "/".join(best.split("/")[-2:])


def layer_label(layer: dict) -> str:
    """'op 3 CONV_2D (conv2d_1/convolution)': the op index and type, and the layer's name in the model."""
    name = layer.get("name")
    return f"op {layer['index']} {layer['op']}" + (f" ({shown(short_name(name, layer['op']), 60)})" if name else "")


def _score(report: dict, names: tuple[str, ...]) -> tuple[str, float] | None:
    by_name = {v.get("name"): v for v in report["variants"]}
    for name in names:
        v = by_name.get(name)
        if v is None:
            continue
        value = v.get("score", v.get("accuracy"))
        if isinstance(value, (int, float)):
            return name, float(value)
    return None


def from_report(report: dict, path: Path) -> Snapshot:
    """A snapshot of a report.json already checked against its schema."""
    foot = report["footprint"]
    metric = report.get("metric") or {}
    int8 = _score(report, (INT8_VARIANT,))
    recall = next((v.get("class_recall") for v in report["variants"] if v.get("name") == INT8_VARIANT), None)
    latency = report.get("latency") or {}
    layers = report.get("layers") or []
    return Snapshot(
        model=report["model"],
        path=path,
        sha256=report.get("source_sha256"),
        task=report.get("task", "classification"),
        metric=metric.get("name", "accuracy"),
        higher_is_better=metric.get("higher_is_better", True),
        figures={
            "flash_bytes": foot.get("flash_bytes"),
            "ram_bytes": foot.get("ram_bytes"),
            "instructions": latency.get("instructions"),
            "score": int8[1] if int8 else None,
            "tflite_bytes": foot.get("tflite_bytes"),
            "tflm_arena_bytes": foot.get("tflm_arena_bytes"),
            "macs": sum(layer["macs"] for layer in layers) if layers else None,
        },
        float_score=_score(report, FLOAT_VARIANTS),
        labels=list(report["data"]["labels"]),
        class_recall=recall,
        layers=layers,
        definitions=dict(foot.get("definitions") or {}),
        report=report,
    )


def load_report(path: Path) -> dict:
    """A report.json, checked: first that it is an edgenn report at all, then against its schema."""
    report = layout.read_json_object(path)
    if report is None:
        raise BuildDirError(path, "not found")
    if report.get("schema") != schemas.VERSIONS["report"]:
        found = shown(repr(report.get("schema")), 40)
        raise BuildDirError(path, f"not an edgenn report of schema {schemas.VERSIONS['report']} (schema: {found})")
    schemas.check(report, "report", path)
    return report


def from_analysis(a: dict, path: Path) -> Snapshot:
    """A snapshot of `edgenn analyze`'s figures: footprint and layers, no accuracy."""
    return Snapshot(
        model=a["model"],
        path=path,
        sha256=a["source_sha256"],
        figures={
            "flash_bytes": a["flash_bytes"],
            "ram_bytes": a["ram_bytes"],
            "instructions": None,
            "score": None,
            "tflite_bytes": a["tflite_bytes"],
            "tflm_arena_bytes": a["tflm_arena_bytes"],
            "macs": a["macs"],
        },
        layers=a["layers"],
    )


def load(target: Path) -> Snapshot:
    """A build folder (its report.json, else its model analyzed), a report.json, or a .tflite (analyzed)."""
    target = Path(target)
    if target.is_dir() and (target / layout.REPORT_JSON).is_file():
        target = target / layout.REPORT_JSON
    if target.is_file() and target.suffix == ".json":
        return from_report(load_report(target), target)
    if not target.exists():
        raise BuildDirError(target, "not found: give a build folder, a report.json or a .tflite")
    from edgenn.analyze import analyze

    return from_analysis(analyze(target), target)
