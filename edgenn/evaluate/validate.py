"""`edgenn validate`: where the quantization loss comes from, layer by layer.

The float model (model_float.tflite on LiteRT) and the int8 model (edgenn's NumPy reference
interpreter, bit-exact with TFLM; LiteRT's reference kernels for a model it cannot run) run the same
samples with every intermediate tensor kept. The int8 model's layers are matched to the float
model's, and each int8 layer's dequantized output is compared with its float counterpart (cosine
similarity, relative L2 error, RMSE: edgenn.evaluate.metrics). Sums are kept per layer as samples
go by, so a large model's activations are never all held at once. No TensorFlow needed.
"""

from __future__ import annotations

import difflib
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn import __version__, layout
from edgenn.console import native_quiet, out, progress
from edgenn.data.splits import check_shape, load_build_data, load_npz_xy
from edgenn.errors import BuildDirError, DataError, ModelFileError, UnsupportedError, first_line, shown
from edgenn.evaluate import metrics
from edgenn.evaluate.report import pyplot, save_png
from edgenn.fileio import write_json
from edgenn.graph.quant import QuantParams, io_quant, quantize
from edgenn.graph.tflite import NUMPY_DTYPES, Graph, Op, Tensor, native_bytes, parse_tflite
from edgenn.isolate import isolated
from edgenn.isolate import tick as isolate_tick

VALIDATE_SCHEMA = 1
DEFAULT_SAMPLES = 200
# Ops that only convert between float and integer codes: the float model has no counterpart to them.
CONVERSIONS = frozenset({"QUANTIZE", "DEQUANTIZE"})
INT8_ENGINES = {
    "reference": "edgenn's NumPy reference interpreter (bit-exact with TFLM)",
    "litert_ref": "LiteRT's reference kernels",
}
FLOAT_ENGINE = "LiteRT (built-in kernels, no delegate)"

DEFINITIONS = {
    **{k: text for k, text in metrics.CLOSENESS_DEFINITIONS.items() if k != "max_lsb"},
    "values": "a: the int8 layer's output dequantized with its scale and zero point; b: the matched float "
    "layer's output; every value of every sample as one vector",
    "input": "the model input: the int8 model's quantized input, dequantized, against the float samples",
    "index": "the op's index in model_int8.tflite; float_index: the matched op's in model_float.tflite",
    "scale": "the int8 output's quantization step (and zero_point): the finest difference the layer can express",
    "l2r_increase": "l2r minus the largest l2r among the layer's inputs (the model input or earlier layers, "
    "through QUANTIZE and DEQUANTIZE): the relative error the layer adds; null when no input was measured",
    "worst_layer": "the layer with the largest l2r; largest_increase_layer: the one with the largest l2r_increase",
    "matching": "QUANTIZE and DEQUANTIZE dropped from both models, the remaining ops aligned in order by "
    "op name and output shape; unmatched ops are listed and have no figures",
}


@dataclass(frozen=True)
class Matching:
    """The int8 model's layers paired with the float model's, and those of either left over."""

    pairs: tuple[tuple[Op, Op], ...]  # (int8 op, float op), in the int8 model's order
    int8_unmatched: tuple[Op, ...]
    float_unmatched: tuple[Op, ...]


def layers(graph: Graph) -> list[Op]:
    """The ops that compute something: every op but QUANTIZE and DEQUANTIZE."""
    return [op for op in graph.ops if op.name not in CONVERSIONS]


def _key(graph: Graph, op: Op) -> tuple[str, tuple[int, ...]]:
    return op.name, graph.tensors[op.outputs[0]].shape


def match_layers(int8: Graph, float_: Graph) -> Matching:
    """Pair each int8 layer with the float layer that computes the same thing.

    The converter keeps the float model's op order and fuses the same activations into both, so the
    two sequences of (op name, output shape), conversions dropped, align; a longest-matching-blocks
    alignment (difflib) pairs what agrees and leaves an op that only one model has unmatched instead
    of shifting every later pair.
    """
    a, b = layers(int8), layers(float_)
    sm = difflib.SequenceMatcher(None, [_key(int8, op) for op in a], [_key(float_, op) for op in b], autojunk=False)
    pairs = [(a[blk.a + k], b[blk.b + k]) for blk in sm.get_matching_blocks() for k in range(blk.size)]
    paired_a = {op8.index for op8, _ in pairs}
    paired_b = {opf.index for _, opf in pairs}
    return Matching(
        tuple(pairs),
        tuple(op for op in a if op.index not in paired_a),
        tuple(op for op in b if op.index not in paired_b),
    )


def _quant(t: Tensor) -> QuantParams | None:
    """Per-tensor quantization of an activation; None for a float (or unquantized) tensor."""
    if t.scale and t.dtype in NUMPY_DTYPES and np.issubdtype(NUMPY_DTYPES[t.dtype], np.integer):
        return QuantParams(t.scale[0], t.zero_point[0] if t.zero_point else 0, NUMPY_DTYPES[t.dtype])
    return None


def _dequantize(values: np.ndarray, t: Tensor) -> np.ndarray:
    q = _quant(t)
    if q is None:
        return np.asarray(values, dtype=np.float64)
    return (np.asarray(values, dtype=np.float64) - q.zero_point) * q.scale


def _litert(data: bytes, reference: bool, where: Path):
    """A LiteRT interpreter of `data` that keeps every intermediate tensor after invoke.

    Without default delegates: XNNPACK would compute whole partitions itself and leave the
    intermediate tensors unwritten.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:  # older stacks
        from tflite_runtime.interpreter import Interpreter, OpResolverType
    kind = OpResolverType.BUILTIN_REF if reference else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        with native_quiet():
            it = Interpreter(
                model_content=data, experimental_op_resolver_type=kind, experimental_preserve_all_tensors=True
            )
            it.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        raise ModelFileError(where, f"LiteRT cannot load it: {first_line(exc)}") from None
    return it


@dataclass(frozen=True)
class _Models:
    """What the measuring child needs: both graphs and their bytes, and how to run the int8 one."""

    int8: Graph
    int8_data: bytes
    float_: Graph
    float_data: bytes
    int8_engine: str
    prepared: list | None  # the reference interpreter's prepared ops, when it runs the int8 model


def _measure(m: _Models, x: np.ndarray, pairs: tuple[tuple[Op, Op], ...]) -> list[metrics.Closeness]:
    """Run every sample through both models; return the sums of the input and of each pair.

    Runs in an isolated child (edgenn.isolate): LiteRT is native code.
    """
    from edgenn.reference.interpreter import run_all

    in_q, _ = io_quant(m.int8)
    x_int8 = quantize(x, in_q) if in_q is not None else x.astype(np.float32)
    float_it = _litert(m.float_data, False, m.float_.path)
    int8_it = _litert(m.int8_data, True, m.int8.path) if m.int8_engine == "litert_ref" else None
    float_in = float_it.get_input_details()[0]
    int8_input = m.int8.input_tensor()
    sums = [metrics.Closeness() for _ in range(1 + len(pairs))]
    for i in range(len(x)):
        float_it.set_tensor(float_in["index"], x[i : i + 1].astype(float_in["dtype"]))
        float_it.invoke()
        sample = x_int8[i : i + 1].reshape(int8_input.shape)
        if int8_it is None:
            values = run_all(m.int8, sample, m.prepared)
        else:
            int8_it.set_tensor(int8_it.get_input_details()[0]["index"], sample)
            int8_it.invoke()
            values = {op8.outputs[0]: int8_it.get_tensor(op8.outputs[0]) for op8, _ in pairs}
        sums[0].add(_dequantize(sample, int8_input), float_it.get_tensor(m.float_.inputs[0]))
        for k, (op8, opf) in enumerate(pairs, start=1):
            t = op8.outputs[0]
            sums[k].add(_dequantize(values[t], m.int8.tensors[t]), float_it.get_tensor(opf.outputs[0]))
        isolate_tick()
    return sums


def _read(path: Path) -> tuple[bytes, Graph]:
    """The validated graph of a model file, and the bytes a native interpreter may be given."""
    data = path.read_bytes()
    graph = parse_tflite(data, path)
    return native_bytes(data, path), graph


def _samples(build: layout.BuildDir, data: Path | None, graph: Graph, samples: int) -> tuple[np.ndarray, str]:
    """The first `samples` samples of the build's test split, or of `data`, as evaluate loads them."""
    if samples < 1:
        raise DataError(data, f"samples must be at least 1, not {samples}")
    if data is None:
        if build.imported:
            raise build.missing(layout.DATA)
        x, split, where = load_build_data(build.path).x_test, "test", build / layout.DATA
    else:
        x, _, _ = load_npz_xy(data, build.task)
        split, where = str(data), data
    check_shape(where, x, graph.input_tensor().shape[1:])
    return np.asarray(x[:samples], dtype=np.float32), split


def _float_model(build: layout.BuildDir) -> Path:
    path = build / layout.TFLITE_FLOAT
    if not path.is_file() and build.imported:
        raise BuildDirError(
            path, "missing: validate compares against the float model, and this imported build has none"
        )
    return build.require(layout.TFLITE_FLOAT)


def _int8_engine(graph: Graph) -> tuple[str, list | None, str | None]:
    """The reference interpreter when it runs the model (the oracle for the C), else LiteRT's reference kernels."""
    from edgenn.reference.interpreter import prepare

    try:
        return "reference", prepare(graph), None
    except UnsupportedError as exc:
        return "litert_ref", None, f"int8 activations from LiteRT's reference kernels: {exc.message}"


def _io_check(int8: Graph, float_: Graph, float_path: Path) -> None:
    if len(int8.inputs) != 1 or len(float_.inputs) != 1:
        raise UnsupportedError(float_path, "validate compares models with one input")
    if float_.input_tensor().shape != int8.input_tensor().shape:
        raise ModelFileError(
            float_path,
            f"input shape {float_.input_tensor().shape} differs from the int8 model's {int8.input_tensor().shape}",
        )


def _op_ref(graph: Graph, op: Op) -> dict:
    return {"index": op.index, "op": op.name, "shape": list(graph.tensors[op.outputs[0]].shape)}


def _increase(op: Op, producer: dict[int, Op], l2r_of: dict[int, float | None]) -> float | None:
    """l2r of `op`'s output minus the largest among its inputs, each traced back through conversions."""
    found: list[float] = []
    for t in op.inputs:
        seen = set()
        while t >= 0 and t not in l2r_of and t in producer and producer[t].name in CONVERSIONS and t not in seen:
            seen.add(t)
            t = producer[t].inputs[0]
        if t in l2r_of and l2r_of[t] is not None:
            found.append(l2r_of[t])
    own = l2r_of.get(op.outputs[0])
    if own is None or not found:
        return None
    return own - max(found)


def validate(
    build_dir: Path, data: Path | None = None, samples: int = DEFAULT_SAMPLES, command: str | None = None
) -> dict:
    """Compare the float and the int8 model layer by layer; return validate.json's content (not yet written).

    Args:
        build_dir: a build with model_int8.tflite and model_float.tflite.
        data: an .npz with `x` (and `y`, as `edgenn eval --data` takes it) instead of the build's test split.
        samples: how many samples, from the first.
    """
    build = layout.BuildDir(build_dir).exists()
    int8_path = build.require(layout.TFLITE_INT8)
    float_path = _float_model(build)
    int8_data, int8 = _read(int8_path)
    float_data, float_ = _read(float_path)
    _io_check(int8, float_, float_path)
    x, split = _samples(build, data, int8, samples)

    engine, prepared, engine_note = _int8_engine(int8)
    matching = match_layers(int8, float_)
    models = _Models(int8, int8_data, float_, float_data, engine, prepared)
    # LiteRT runs the float model, and the int8 one too without the reference interpreter: name what it ran.
    where = float_path if engine == "reference" else build.path
    with progress() as bar:
        task = bar.add_task("validate", total=len(x), info=engine)
        sums = isolated(lambda: _measure(models, x, matching.pairs), "LiteRT", where, on_tick=lambda: bar.advance(task))

    notes = [engine_note] if engine_note else []
    for which, graph, ops in (("int8", int8, matching.int8_unmatched), ("float", float_, matching.float_unmatched)):
        if ops:
            listed = ", ".join(
                f"{op.index} {op.name} {'x'.join(map(str, graph.tensors[op.outputs[0]].shape))}" for op in ops
            )
            notes.append(
                f"{len(ops)} {which} layer(s) matched no layer of the other model, so have no figures: {listed}"
            )
    if not matching.pairs:
        notes.append("no layer of the int8 model matched the float model: are they the same model?")

    inp = int8.input_tensor()
    input_row = {"name": inp.name, "shape": list(inp.shape), **_scale(inp), **sums[0].as_dict()}
    rows = []
    l2r_of: dict[int, float | None] = {inp.index: input_row["l2r"]}
    for (op8, opf), s in zip(matching.pairs, sums[1:], strict=True):
        t = int8.tensors[op8.outputs[0]]
        row = {
            "index": op8.index,
            "float_index": opf.index,
            "op": op8.name,
            "name": t.name,
            "shape": list(t.shape),
            **_scale(t),
            **s.as_dict(),
        }
        l2r_of[t.index] = row["l2r"]
        rows.append(row)
    producer = {t: op for op in int8.ops for t in op.outputs}
    for row, (op8, _) in zip(rows, matching.pairs, strict=True):
        row["l2r_increase"] = _increase(op8, producer, l2r_of)

    return {
        "schema": VALIDATE_SCHEMA,
        "model": build.name,
        "edgenn_version": __version__,
        "command": command or shlex.join(["edgenn", *sys.argv[1:]]),
        "data": {"split": split, "samples": int(len(x))},
        "float_model": {"file": layout.TFLITE_FLOAT, "sha256": float_.sha256, "engine": FLOAT_ENGINE},
        "int8_model": {"file": layout.TFLITE_INT8, "sha256": int8.sha256, "engine": INT8_ENGINES[engine]},
        "input": input_row,
        "layers": rows,
        "worst_layer": _argmax(rows, "l2r"),
        "largest_increase_layer": _argmax(rows, "l2r_increase"),
        "unmatched": {
            "int8": [_op_ref(int8, op) for op in matching.int8_unmatched],
            "float": [_op_ref(float_, op) for op in matching.float_unmatched],
        },
        "notes": notes,
        "definitions": DEFINITIONS,
    }


def _scale(t: Tensor) -> dict:
    q = _quant(t)
    return {"scale": None if q is None else float(q.scale), "zero_point": None if q is None else int(q.zero_point)}


def _argmax(rows: list[dict], key: str) -> int | None:
    """The index (op index) of the row with the largest `key`, ignoring nulls."""
    known = [r for r in rows if r[key] is not None]
    return max(known, key=lambda r: r[key])["index"] if known else None


def plot(r: dict, dest: Path) -> None:
    """Relative L2 error per layer (what it inherits and what it adds), and cosine similarity below.

    The layer with the largest error is named in red; the one that adds the most has its added part in red.
    """
    from matplotlib.patches import Patch
    from matplotlib.ticker import ScalarFormatter

    plt = pyplot()
    rows = r["layers"]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(max(7.0, 0.75 * len(rows) + 2.5), 6.5), dpi=110, sharex=True, height_ratios=(3, 2)
    )
    split = r["data"]["split"] if r["data"]["split"] == "test" else Path(r["data"]["split"]).name
    top.set_title(f"{r['model']}: int8 against float, layer by layer ({r['data']['samples']} samples, {split})")
    if not rows:
        top.text(0.5, 0.5, "no layer of the int8 model matched the float model", ha="center", transform=top.transAxes)
        save_png(fig, dest)
        return
    xs = np.arange(len(rows))
    l2r = np.array([np.nan if row["l2r"] is None else 100 * row["l2r"] for row in rows])
    known = np.nan_to_num(l2r)
    # Only a rise is drawn as added: a layer that lowers the relative error (a pool, a saturating
    # softmax) shows its whole bar as inherited.
    added = np.array([0.0 if row["l2r_increase"] is None else max(0.0, 100 * row["l2r_increase"]) for row in rows])
    added = np.minimum(added, known)
    worst, most = r["worst_layer"], r["largest_increase_layer"]
    top.bar(xs, known - added, color="#b8c7d9", edgecolor="black", linewidth=0.4)
    colors = ["tab:red" if row["index"] == most else "tab:orange" for row in rows]
    top.bar(xs, added, bottom=known - added, color=colors, edgecolor="black", linewidth=0.4)
    for x, row, value in zip(xs, rows, l2r, strict=True):
        if not np.isnan(value):
            top.annotate(
                f"{value:.2g}%",
                (x, value),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=7.5,
                color="tab:red" if row["index"] == worst else "black",
                fontweight="bold" if row["index"] == worst else "normal",
            )
    handles = [
        Patch(facecolor="#b8c7d9", edgecolor="black", linewidth=0.4, label="inherited from its inputs"),
        Patch(facecolor="tab:orange", edgecolor="black", linewidth=0.4, label="added by the layer"),
        Patch(facecolor="tab:red", edgecolor="black", linewidth=0.4, label="added the most"),
    ]
    if r["input"]["l2r"] is not None:
        handles.append(top.axhline(100 * r["input"]["l2r"], color="gray", lw=0.8, ls="--", label="quantized input"))
    top.set_ylabel("relative L2 error (%)")
    top.set_ylim(0, 1.4 * max(float(np.max(known)), 1e-6))  # headroom for the legend above the bars
    top.legend(handles=handles, loc="upper left", fontsize=8, ncols=2, frameon=False)
    top.grid(True, axis="y", alpha=0.3)

    cos = np.array([np.nan if row["cos"] is None else row["cos"] for row in rows])
    bottom.plot(xs, cos, marker="o", color="tab:blue", lw=1.2)
    for x, row in zip(xs, rows, strict=True):
        if row["index"] == worst and row["cos"] is not None:
            bottom.scatter([x], [row["cos"]], s=90, facecolors="none", edgecolors="tab:red", linewidths=1.5, zorder=3)
    low = float(np.nanmin(cos)) if np.isfinite(cos).any() else 0.0
    bottom.set_ylim(low - max(1e-5, 0.2 * (1.0 - low)), 1.0 + max(1e-6, 0.1 * (1.0 - low)))
    bottom.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))  # 0.99995, not 1e-4 + 0.9999
    bottom.set_ylabel("cosine similarity")
    bottom.grid(True, alpha=0.3)
    bottom.set_xticks(xs)
    bottom.set_xticklabels([f"{row['index']} {row['op']}" for row in rows], rotation=40, ha="right", fontsize=8)
    for label, row in zip(bottom.get_xticklabels(), rows, strict=True):
        if row["index"] == worst:
            label.set_color("tab:red")
            label.set_fontweight("bold")
    bottom.set_xlabel("int8 layer (op index and op); in red: the largest error")
    save_png(fig, dest)


def write(r: dict, build_dir: Path) -> dict[str, Path]:
    """validate.png and validate.json into the build folder, each atomically."""
    build_dir = Path(build_dir)
    paths = {"png": build_dir / layout.VALIDATE_PLOT, "json": build_dir / layout.VALIDATE_JSON}
    plot(r, paths["png"])
    write_json(paths["json"], r, schema="validate")
    return paths


def _fig(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else format(value, fmt)


def print_validation(r: dict) -> None:
    """The per-layer table, the worst layer in red, then the notes."""
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"{r['model']}: int8 against float, layer by layer ({r['data']['samples']} samples, "
        f"{r['data']['split']} split)"
    )
    for col in ("#", "op", "output", "shape", "scale", "cos", "rel. L2", "added", "RMSE"):
        table.add_column(col, justify="left" if col in ("op", "output", "shape") else "right")

    def add(index: str, op: str, row: dict, style: str | None = None) -> None:
        table.add_row(
            index,
            op,
            Text(shown(row["name"], 40)),
            "x".join(map(str, row["shape"])),
            _fig(row["scale"], ".4g"),
            _fig(row["cos"], ".6f"),
            _fig(row["l2r"], ".3%"),
            _fig(row.get("l2r_increase"), "+.3%"),
            _fig(row["rmse"], ".3g"),
            style=style,
        )

    add("in", "input", r["input"], "dim")
    for row in r["layers"]:
        add(str(row["index"]), row["op"], row, "bold red" if row["index"] == r["worst_layer"] else None)
    out.print(table)
    by_index = {row["index"]: row for row in r["layers"]}
    if r["worst_layer"] is not None:
        w = by_index[r["worst_layer"]]
        line = (
            f"largest error: layer {w['index']} {w['op']} "
            f"(rel. L2 {_fig(w['l2r'], '.3%')}, cos {_fig(w['cos'], '.6f')})"
        )
        if r["largest_increase_layer"] is not None:
            m = by_index[r["largest_increase_layer"]]
            line += f"; adds the most: layer {m['index']} {m['op']} ({_fig(m['l2r_increase'], '+.3%')})"
        out.print(line, soft_wrap=True)
    for note in r["notes"]:
        out.print(Text(f"note: {shown(note)}"), soft_wrap=True)
