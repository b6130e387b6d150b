"""tune.md and pareto.png from a search's result (the tune.json content)."""

from __future__ import annotations

from pathlib import Path

from edgenn.fileio import write_text
from edgenn.optimize.sweep_report import _num, _pct

TUNE_MD, TUNE_PNG = "tune.md", "pareto.png"


def _knobs(config: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(config.items()))


def markdown(result: dict) -> str:
    limits = result["limits"]
    budget = ", ".join(
        f"{what} ≤ {value:,}"
        for what, value in (
            ("flash", limits["max_flash_bytes"]),
            ("RAM", limits["max_ram_bytes"]),
            ("instructions", limits["max_instructions"]),
        )
        if value is not None
    )
    rows = result["trials"]
    lines = [
        f"# Search: {result['recipe']}",
        "",
        f"`{result['command']}` — edgenn {result['edgenn_version']}, {len(rows)} trials on {limits['target']} "
        f"({budget or 'no budgets'}).",
        "",
        "★ marks the Pareto front of the trials within budget (flash against validation accuracy): only they "
        "were scored on the test split. Choose by validation accuracy.",
        "",
        "| | trial | knobs | status | val accuracy | test accuracy | flash bytes | RAM bytes | instructions (M4) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]

    def order(r):
        return (r["status"] != "within budget", -(r["val_accuracy"] or 0), r["flash_bytes"] or 0)

    for r in sorted(rows, key=order):
        lines.append(
            f"| {'★' if r.get('pareto') else ''} | {r['trial']} | {_knobs(r['config'])} | {r['status']} "
            f"| {_pct(r['val_accuracy'])} | {_pct(r.get('test_accuracy'))} | {_num(r['flash_bytes'])} "
            f"| {_num(r['ram_bytes'])} | {_num(r['instructions'])} |"
        )
    lines += ["", "## Search space", ""]
    lines += [f"- **{k}**: {', '.join(str(v) for v in choices)}" for k, choices in result["space"].items()]
    lines += ["", "## Definitions", ""]
    lines += [f"- **{k}**: {v}" for k, v in result["definitions"].items()]
    lines += ["", f"![validation accuracy vs flash]({TUNE_PNG})", ""]
    return "\n".join(lines)


def plot(result: dict, dest: Path) -> None:
    from edgenn.evaluate.report import pyplot, save_png

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 6), dpi=110)
    rows = [r for r in result["trials"] if r["val_accuracy"] is not None and r["flash_bytes"] is not None]
    for within, color, label in ((True, "tab:blue", "within budget"), (False, "tab:red", "over budget")):
        chosen = [r for r in rows if (r["status"] == "within budget") == within]
        ax.scatter(
            [r["flash_bytes"] for r in chosen],
            [100 * r["val_accuracy"] for r in chosen],
            c=color,
            s=[70 if r.get("pareto") else 40 for r in chosen],
            edgecolors=["black" if r.get("pareto") else "none" for r in chosen],
            label=label,
            zorder=3,
        )
    front = sorted((r for r in rows if r.get("pareto")), key=lambda r: r["flash_bytes"])
    if front:
        ax.step(
            [r["flash_bytes"] for r in front],
            [100 * r["val_accuracy"] for r in front],
            where="post",
            color="black",
            lw=1.2,
            zorder=2,
            label="Pareto front",
        )
        for r in front:
            ax.annotate(
                r["trial"][:6],
                (r["flash_bytes"], 100 * r["val_accuracy"]),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
            )
    if result["limits"]["max_flash_bytes"]:
        ax.axvline(result["limits"]["max_flash_bytes"], color="tab:red", ls="--", lw=1, label="flash budget")
    ax.set_xlabel("flash bytes")
    ax.set_ylabel("int8 C accuracy on the validation split (%)")
    ax.set_title(f"{result['recipe']}: {len(result['trials'])} trials on {result['limits']['target']}")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    save_png(fig, dest)


def write(result: dict, out: Path) -> None:
    out = Path(out)
    plot(result, out / TUNE_PNG)
    write_text(out / TUNE_MD, markdown(result))
