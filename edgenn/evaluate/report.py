"""Write report.json, report.md and accuracy_vs_size.png, each atomically."""

from __future__ import annotations

from pathlib import Path

from edgenn import layout
from edgenn.errors import shown
from edgenn.fileio import atomic_path, write_json, write_text

TFLM_ROUTE = {
    "tflite_bytes": "the int8 .tflite, which TFLM firmware keeps in flash (plus TFLM's own code)",
    "tflm_arena_bytes": "TFLM's tensor arena for the model, measured by the tflite_micro interpreter's "
    "RecordingMicroAllocator after one invoke",
}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def metric_name(report: dict) -> str:
    return (report.get("metric") or {}).get("name", "accuracy")


def is_error_metric(report: dict) -> bool:
    """MAE and MSE (lower is better) are shown as numbers; accuracy and AUC as percentages."""
    return not (report.get("metric") or {}).get("higher_is_better", True)


def fmt_score(report: dict, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}" if is_error_metric(report) else f"{100 * value:.2f}%"


def score(v: dict) -> float | None:
    return v.get("score", v.get("accuracy"))


def markdown(report: dict) -> str:
    lines = [
        f"# edgenn report: {report['model']}",
        "",
        f"edgenn {report['edgenn_version']} · int8 model SHA-256 `{report['source_sha256']}`  ",
        f"command: `{report['command']}`  ",
        f"data: {report['data']['split']} split, {report['data']['samples']} samples",
        "",
        "## Variants",
        "",
        f"| variant | format | precision | runner | {metric_name(report)} | size (bytes) |",
        "|---|---|---|---|---:|---:|",
    ]
    for v in report["variants"]:
        cells = [
            v["name"],
            v["format"],
            v["precision"],
            v["runner"],
            fmt_score(report, score(v)),
            f"{v['size_bytes']:,}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    agreement = report["agreement"]
    for key, what in (
        ("int8", f"{report['data']['split']} data"),
        ("int8_random_inputs", "uniformly random int8 inputs"),
    ):
        if not agreement.get(key):
            continue
        lines += [
            "",
            f"## int8 agreement with `{agreement['int8_reference']}` on {what} (same int8 TFLite graph)",
            "",
            "| runner | samples | top-1 agreement | max diff (LSB) | differing bytes |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, a in agreement[key].items():
            lines.append(
                f"| {name} | {a['samples']} | {_pct(a['top1_agreement'])} | {a['max_diff_lsb']} | "
                f"{a['mismatched_bytes']} of {a['total_bytes']} |"
            )
    if agreement["float"]:
        lines += [
            "",
            f"## float agreement with `{agreement['float_reference']}`",
            "",
            "| runner | top-1 agreement | max abs diff |",
            "|---|---:|---:|",
        ]
        for name, a in agreement["float"].items():
            largest = "n/a" if a["max_abs_diff"] is None else f"{a['max_abs_diff']:.2e}"
            lines.append(f"| {name} | {_pct(a['top1_agreement'])} | {largest} |")
    lines += _recall_lines(report)
    lines += _validation_lines(report)
    held = report.get("speaker_held_out")
    if held:
        lines += [
            "",
            "## Speaker held out",
            "",
            f"The same recipe trained without speaker `{held['test_speaker']}`, tested on all {held['samples']} of "
            f"their recordings: int8 {_pct(held['int8_accuracy'])} ({held['runner']}), "
            f"float {_pct(held['float_accuracy'])}.",
        ]
    foot = report["footprint"]
    lines += ["", "## Footprint", "", "| figure | bytes | definition |", "|---|---:|---|"]
    definitions = {**TFLM_ROUTE, **foot["definitions"]}
    for key in ("flash_bytes", "ram_bytes", "tflite_bytes", "tflm_arena_bytes"):
        if key in foot:
            value = foot[key]
            lines.append(f"| {key} | {'n/a' if value is None else f'{value:,}'} | {definitions[key]} |")
    if foot.get("parts"):
        lines += ["", "| part of the linked firmware | flash bytes | RAM bytes |", "|---|---:|---:|"]
        for part, b in foot["parts"].items():
            lines.append(f"| {part} | {b['flash_bytes']:,} | {b['ram_bytes']:,} |")
    if report["gates"]:
        lines += ["", "## Gates", "", "| check | value | limit | result |", "|---|---:|---:|---|"]
        for g in report["gates"]:
            lines.append(f"| {g['name']} | {g['value']} | {g['limit']} | {'pass' if g['passed'] else 'FAIL'} |")
    lines += ["", f"![accuracy vs size]({layout.PLOT})", ""]
    return "\n".join(lines)


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def _cell(text: str, limit: int = 80) -> str:
    """A name from a model file as one table cell: one printable line, no column break, not too long."""
    return shown(text, limit).replace("|", "\\|").replace("`", "'")


def _fixed(value: float | None) -> str:
    """Figures that sit near 1 (cos, NSE): enough decimals that 0.9999 does not print as 1."""
    return "n/a" if value is None else f"{value:.6f}"


def _recall_lines(report: dict) -> list[str]:
    """Recall per class: the float reference and the int8 runners the validation compares, else every variant."""
    with_recall = [v for v in report["variants"] if v.get("class_recall") is not None]
    if not with_recall:
        return []
    compared = {
        name
        for out in (report.get("validation") or {}).get("outputs", [])
        for c in out["comparisons"]
        for name in (c["a"], c["b"])
    }
    columns = [v for v in with_recall if v["name"] in compared] or with_recall
    labels = report["data"]["labels"]
    lines = [
        "",
        f"## Recall per class ({report['data']['split']} split)",
        "",
        "| class | " + " | ".join(v["name"] for v in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for i, label in enumerate(labels):
        cells = [_pct(v["class_recall"][i]) if i < len(v["class_recall"]) else "n/a" for v in columns]
        lines.append(f"| {_cell(label)} | " + " | ".join(cells) + " |")
    return lines


def _validation_lines(report: dict) -> list[str]:
    """C against TFLM, and both against the float model, on dequantized outputs."""
    validation = report.get("validation")
    if not validation or not any(out["comparisons"] for out in validation["outputs"]):
        return []
    lines = [
        "",
        f"## Validation on the {report['data']['split']} split",
        "",
        f"| output | a | b (reference) | {metric_name(report)} of a | RMSE | MAE | rel. L2 | cos | NSE | max LSB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for out in validation["outputs"]:
        where = f"{out['index']}: {_cell(out['name'])} ({'x'.join(map(str, out['shape']))})"
        for c in out["comparisons"]:
            cells = [
                where,
                c["a"],
                c["b"],
                fmt_score(report, c["score"]),
                _num(c["rmse"]),
                _num(c["mae"]),
                _num(c["l2r"]),
                _fixed(c["cos"]),
                _fixed(c["nse"]),
                "n/a" if c["max_lsb"] is None else str(c["max_lsb"]),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    definitions = validation.get("definitions") or {}
    if definitions:
        lines += [""] + [f"- {key}: {text}" for key, text in definitions.items()]
    return lines


def pyplot():
    """matplotlib.pyplot on the file-only backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, dest: Path) -> None:
    """Lay out, write atomically as PNG, and free the figure."""
    fig.tight_layout()
    with atomic_path(dest) as tmp:
        fig.savefig(tmp, format="png")
    pyplot().close(fig)


def plot(report: dict, dest: Path) -> None:
    plt = pyplot()

    colors = {"float32": "tab:blue", "int8": "tab:orange"}
    markers = {"keras": "s", "tflite": "o", "onnx": "^"}
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    scale = 1 if is_error_metric(report) else 100  # error metrics as they are, shares in percent
    groups: dict[str, list[dict]] = {}
    scored = [v for v in report["variants"] if score(v) is not None]  # a model whose outputs overflowed has none
    for v in scored:
        groups.setdefault(v.get("artifact", v["name"]), []).append(v)
        ax.scatter(
            v["size_bytes"],
            scale * score(v),
            s=60,
            c=colors.get(v["precision"], "tab:gray"),
            marker=markers.get(v["format"], "o"),
            edgecolors="black",
            linewidths=0.5,
            zorder=3,
        )
    # One label per artifact (several runners share a file); alternate above/below so that
    # artifacts of similar size stay readable.
    for i, (artifact, vs) in enumerate(sorted(groups.items(), key=lambda kv: kv[1][0]["size_bytes"])):
        runners = "\n".join(f"{v['runner']} {fmt_score(report, score(v))}" for v in vs)
        top = max(vs, key=score)
        ax.annotate(
            f"{artifact}\n{runners}",
            (top["size_bytes"], scale * score(top)),
            textcoords="offset points",
            xytext=(0, 12) if i % 2 == 0 else (0, -12),
            ha="center",
            va="bottom" if i % 2 == 0 else "top",
            fontsize=7.5,
            arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "gray"},
        )
    accs = [scale * score(v) for v in scored] or [0.0]
    if scale == 100:
        ax.set_ylim(min(accs) - 3, min(100.5, max(accs) + 3) if max(accs) < 99 else max(accs) + 2)
    else:
        ax.margins(y=0.3)
    sizes = [v["size_bytes"] for v in scored] or [1]
    ax.set_xlim(min(sizes) / 1.6, max(sizes) * 1.6)
    ax.set_xscale("log")
    ax.set_xlabel("artifact size (bytes, log scale)")
    unit = "" if scale == 1 else " (%)"
    ax.set_ylabel(f"{metric_name(report)} on {report['data']['split']} split{unit}")
    ax.set_title(f"{report['model']}: {metric_name(report)} vs size")
    ax.grid(True, which="both", alpha=0.3)
    for precision, color in colors.items():
        ax.scatter([], [], c=color, label=precision, edgecolors="black", linewidths=0.5)
    ax.legend(loc="lower right")
    save_png(fig, dest)


def write(report: dict, build_dir: Path, with_plot: bool = True) -> dict[str, Path]:
    """report.json, report.md and (unless only the gates changed) the accuracy-vs-size plot."""
    build_dir = Path(build_dir)
    paths = {"json": build_dir / layout.REPORT_JSON, "md": build_dir / layout.REPORT_MD, "png": build_dir / layout.PLOT}
    if with_plot:
        plot(report, paths["png"])
    write_text(paths["md"], markdown(report))
    write_json(paths["json"], report, schema="report")
    return paths
