"""sweep.md and pareto.png from a sweep's result (the sweep.json content)."""

from __future__ import annotations

from pathlib import Path

from edgenn.fileio import write_json, write_text

SWEEP_JSON, SWEEP_MD, PARETO_PNG = "sweep.json", "sweep.md", "pareto.png"
RUN_JSON = "run.json"  # how the last invocation ran: executor, workers, wall time, each job's own time


def _num(v, fmt: str = ",") -> str:
    return "—" if v is None else format(v, fmt)


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f}%"


def _opt(v) -> str:
    return "—" if v is None else f"{v:g}"


def _order(p: dict) -> tuple:
    """Grid order: widest first, then sparsity, then variant; classical baselines last."""
    return (p["kind"] != "nn", -(p.get("channels") or 0), p.get("sparsity") or 0, p["quant"], p["name"])


def markdown(result: dict) -> str:
    points = result["points"]
    scored = sorted((p for p in points if p.get("accuracy") is not None), key=lambda p: (p["flash_bytes"], _order(p)))
    lines = [
        f"# Sweep: {result['recipe']}",
        "",
        f"`{result['command']}` — edgenn {result['edgenn_version']}, "
        f"{len(points)} points, accuracy on the {result['data']['samples']}-sample {result['data']['split']} split.",
        "",
        "★ marks the Pareto front: no other point is at least as accurate with no more flash. Choose a point "
        "by its validation accuracy (float model, the split fine-tuning was steered by): choosing by test "
        "accuracy would make the test figure optimistic.",
        "",
        "| | name | kind | channels | sparsity | variant | runner | test accuracy | val accuracy (float) "
        "| flash bytes | RAM bytes | MACs | instructions (M4) | params |",
        "|---|---|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in scored:
        lines.append(
            f"| {'★' if p.get('pareto') else ''} | {p['name']} | {p['kind']} | {_opt(p.get('channels'))} "
            f"| {_opt(p.get('sparsity'))} | {p['quant']} | {p.get('runner') or '—'} | {_pct(p['accuracy'])} "
            f"| {_pct(p.get('val_accuracy'))} | {_num(p['flash_bytes'])} | {_num(p.get('ram_bytes'))} "
            f"| {_num(p.get('macs'))} | {_num(p.get('instructions'))} | {_num(p.get('params'))} |"
        )
    unrun = [p for p in points if p.get("accuracy") is None]
    if unrun:
        lines += ["", "## Not evaluated: no installed runner executes them", ""]
        for p in unrun:
            reasons = "; ".join(f"{k}: {v}" for k, v in sorted(p.get("not_runnable", {}).items()))
            lines.append(f"- {p['name']}: {reasons}")
    sparse = [p for p in scored if p["kind"] == "nn" and p.get("sparsity")]
    if sparse:
        lines += [
            "",
            "## Unstructured sparsity",
            "",
            "Zeros do not shrink a dense int8 model; they shrink its compressed image (gzip -9 of the model file):",
            "",
            "| name | weight sparsity | model bytes | gzip bytes |",
            "|---|---:|---:|---:|",
        ]
        for p in sorted(scored, key=_order):
            if p["kind"] == "nn":
                lines.append(
                    f"| {p['name']} | {_pct(p.get('weight_sparsity'))} | {_num(p.get('model_bytes'))} "
                    f"| {_num(p.get('gzip_bytes'))} |"
                )
    lines += ["", "## Definitions", ""]
    lines += [f"- **{k}**: {v}" for k, v in result["definitions"].items()]
    lines += ["", f"![accuracy vs flash]({PARETO_PNG})", ""]
    return "\n".join(lines)


def plot(result: dict, dest: Path) -> None:
    from edgenn.evaluate.report import pyplot, save_png

    plt = pyplot()

    points = [p for p in result["points"] if p.get("accuracy") is not None]
    fig, ax = plt.subplots(figsize=(10, 6), dpi=110)
    quants = sorted({p["quant"] for p in points if p["kind"] == "nn"})
    palette = plt.get_cmap("tab10")
    colors = {q: palette(i % 10) for i, q in enumerate(quants)}
    labels: dict[tuple[int, float], list[str]] = {}
    for p in points:
        classical = p["kind"] == "classical"
        ax.scatter(
            p["flash_bytes"],
            100 * p["accuracy"],
            s=70 if p.get("pareto") else 40,
            marker="D" if classical else "o",
            c="tab:gray" if classical else [colors[p["quant"]]],
            edgecolors="black" if p.get("pareto") else "none",
            linewidths=1.0,
            zorder=3,
        )
        # The colour names the variant, so a network's label is its channels and sparsity; points
        # that coincide share one label.
        name = p["name"] if classical else p["name"].removesuffix(f"_{p['quant']}")
        labels.setdefault((p["flash_bytes"], round(100 * p["accuracy"], 3)), []).append(name)
    for i, ((x, y), names) in enumerate(sorted(labels.items())):
        ax.annotate(
            "\n".join(dict.fromkeys(names)),
            (x, y),
            textcoords="offset points",
            xytext=(6, 4) if i % 2 == 0 else (6, -4),
            va="bottom" if i % 2 == 0 else "top",
            fontsize=7,
        )
    front = sorted((p for p in points if p.get("pareto")), key=lambda p: p["flash_bytes"])
    if front:
        xs = [p["flash_bytes"] for p in front]
        ys = [100 * p["accuracy"] for p in front]
        ax.step(xs, ys, where="post", color="black", lw=1.2, zorder=2, label="Pareto front")
    for q in quants:
        ax.scatter([], [], c=[colors[q]], marker="o", label=f"network, {q}")
    if any(p["kind"] == "classical" for p in points):
        ax.scatter([], [], c="tab:gray", marker="D", label="classical (C)")
    ax.set_xscale("log")
    ax.margins(x=0.08, y=0.08)  # room for the labels at the edges
    ax.set_xlabel("flash bytes (log scale)")
    ax.set_ylabel(f"accuracy on the {result['data']['split']} split (%)")
    ax.set_title(f"{result['recipe']}: accuracy vs flash, {len(result['points'])} points")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    save_png(fig, dest)


def write(result: dict, out: Path) -> dict[str, Path]:
    out = Path(out)
    paths = {"json": out / SWEEP_JSON, "md": out / SWEEP_MD, "png": out / PARETO_PNG}
    plot(result, paths["png"])
    write_text(paths["md"], markdown(result))
    write_json(paths["json"], result, schema="sweep")
    return paths
