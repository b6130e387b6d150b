"""What the commands print: the report, the gates, the analysis and the sweep as terminal tables.

The files (report.json/.md, sweep.md) are written by report.py and sweep_report.py; this module only
renders for a person at a terminal or reading a CI log.
"""

from __future__ import annotations

from rich.table import Table

from edgenn.console import out
from edgenn.evaluate import metrics
from edgenn.evaluate.report import fmt_score, metric_name, score


def print_report(report: dict) -> None:
    """The variants' scores and sizes, the int8 agreement with TFLM, and the footprint."""
    table = Table(title=f"{report['model']}: {report['data']['split']} split, {report['data']['samples']} samples")
    columns = (("variant", "left"), ("runner", "left"), (metric_name(report), "right"), ("size (B)", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for v in report["variants"]:
        table.add_row(v["name"], v["runner"], fmt_score(report, score(v)), f"{v['size_bytes']:,}")
    out.print(table)
    ag = report["agreement"]
    for name, a in ag["int8"].items():
        r = ag["int8_random_inputs"].get(name)
        extra = (
            f"; random inputs: max {r['max_diff_lsb']} LSB, {r['mismatched_bytes']}/{r['total_bytes']} bytes"
            if r
            else ""
        )
        top1 = (
            f"top-1 {100 * a['top1_agreement']:.2f}%, "
            if report.get("task", "classification") == "classification"
            else ""
        )
        out.print(
            f"int8 {name} vs {ag['int8_reference']}: {top1}"
            f"max {a['max_diff_lsb']} LSB, {a['mismatched_bytes']}/{a['total_bytes']} bytes differ{extra}",
            soft_wrap=True,
        )
    for output in (report.get("validation") or {}).get("outputs", []):
        for c in output["comparisons"]:
            figures = ", ".join(
                f"{k} n/a" if c[k] is None else f"{k} {c[k]:{fmt}}"
                for k, fmt in (("rmse", ".4g"), ("l2r", ".4g"), ("cos", ".6f"), ("nse", ".6f"))
            )
            lsb = "" if c["max_lsb"] is None else f", max {c['max_lsb']} LSB"
            out.print(f"output {output['index']}: {c['a']} vs {c['b']}: {figures}{lsb}", soft_wrap=True)
    int8 = next((v for v in report["variants"] if v["name"] == "tflite_int8_tflm"), {})
    lowest = metrics.lowest_recall(int8.get("class_recall"), report["data"]["labels"])
    if lowest:
        worst, label = lowest
        out.print(f"lowest class recall ({int8['name']}): {100 * worst:.2f}% (class {label})", soft_wrap=True)
    foot = report["footprint"]
    arena = "n/a" if foot["tflm_arena_bytes"] is None else f"{foot['tflm_arena_bytes']:,} B"
    out.print(
        f"flash {foot['flash_bytes']:,} B: {foot['definitions']['flash_bytes']}\nRAM {foot['ram_bytes']:,} B: "
        f"{foot['definitions']['ram_bytes']} (TFLM would need a {arena} arena and "
        f"{foot['tflite_bytes']:,} B of .tflite)",
        soft_wrap=True,
    )


def print_gates(rows: list[dict]) -> bool:
    """The gate table; True when every check passed."""
    table = Table(title="gate")
    for col in ("check", "value", "limit", "result"):
        table.add_column(col)
    for c in rows:
        table.add_row(c["name"], f"{c['value']:g}", f"{c['limit']:g}", "[green]pass" if c["passed"] else "[red]FAIL")
    out.print(table)
    return all(c["passed"] for c in rows)


def _print_chains(r: dict) -> None:
    """The row-streamed chains: their layers, each one's window (rows and bytes), what they save and cost."""
    for n, c in enumerate(r.get("chains", [])):
        windows = ", ".join(
            f"op {layer['index']} {layer['op']} reads {layer['rows_read']}"
            + ("" if layer["window_rows"] is None else f", keeps {layer['window_rows']} ({layer['window_bytes']:,} B)")
            for layer in c["layers"]
        )
        where = "over the input it has read" if c["windows_over_input"] else "beside its input"
        out.print(
            f"chain {n}: ops {c['ops'][0]}–{c['ops'][-1]} row by row ({windows}); windows {c['window_bytes']:,} B "
            f"{where}, in place of {c['intermediate_bytes']:,} B of whole tensors; {c['kernel_calls']:,} kernel "
            f"calls, {c['moved_bytes']:,} B moved, {c['extra_macs']:,} extra MACs",
            soft_wrap=True,
        )


def _print_packed(r: dict) -> None:
    """One line for the layers whose weights the C stores packed, and what each costs in RAM."""
    packed = [(x["index"], x["weights"]) for x in r["layers"] if "scratch_bytes" in x.get("weights", {})]
    if not packed:
        return
    saved = sum(w["dense_bytes"] - w["bytes"] for _, w in packed)
    items = "; ".join(
        f"op {i} {w['encoding']} {w['dense_bytes']:,} → {w['bytes']:,} B, "
        + (
            f"unpacked {w['group']} channel{'s' * (w['group'] != 1)} at a time in {w['scratch_bytes']:,} B of the arena"
            if w["group"]
            else f"read packed, with a {w['scratch_bytes']:,} B table of pairs in the arena"
            if w["scratch_bytes"]
            else "read packed"
        )
        for i, w in packed
    )
    out.print(f"packed weights save {saved:,} B: {items}", soft_wrap=True)


def print_analysis(r: dict) -> None:
    """Per-layer flash, RAM and MACs, then the totals against TFLM's arena."""
    table = Table(title=f"{r['model']}: layers (RAM: bytes live at each step, in the planned arena)")
    cols = ("#", "op", "output", "params", "MACs", "act. B", "live B", "const B", "weights B", "in place", "chain")
    for col in cols:
        table.add_column(col, justify="left" if col in ("op", "output") else "right")
    for layer in r["layers"]:
        chain = layer.get("chain")
        w = layer.get("weights")
        if w is None:
            weights = ""
        elif w["encoding"] == "dense":
            weights = f"{w['bytes']:,}"
        else:
            weights = f"{w['encoding']} {w['bytes']:,} of {w['dense_bytes']:,}"
        table.add_row(
            str(layer["index"]),
            layer["op"] + ("" if layer.get("supported", True) else " (no C)"),
            "x".join(map(str, layer["output_shape"])),
            f"{layer['params']:,}",
            f"{layer['macs']:,}",
            f"{layer['activation_bytes']:,}",
            f"{layer['live_bytes']:,}",
            f"{layer['const_bytes']:,}",
            weights,
            "yes" if layer["shares_input_bytes"] else "",
            "" if chain is None else str(chain),
        )
    out.print(table)
    _print_chains(r)
    _print_packed(r)
    f = r["flash"]
    if r.get("route") == "tflm":
        missing = r["unsupported_ops"]
        tflm = r["tflm_arena_bytes"]
        arena = "not measured (TFLM cannot run it here)" if tflm is None else f"{tflm:,} B"
        out.print(
            f"no C for this model: the C backend lacks {', '.join(missing)}. As the C-array route runs it (TFLM): "
            f"flash {r['flash_bytes']:,} B (.tflite {f['model_file']:,} + TFLM's runtime {f['code']:,}), "
            f"arena {arena}; the planner's lower bound for the C would be {r['ram_lower_bound_bytes']:,} B; "
            f"MACs {r['macs']:,} in the ops edgenn knows",
            soft_wrap=True,
        )
        return
    out.print(
        f"flash {r['flash_bytes']:,} B on {r['measured_on']}: weights {f['weights']:,}, biases {f['biases']:,}, "
        f"quantization {f['quantization']:,}, tables {f['tables']:,}, code {f['code']:,}",
        soft_wrap=True,
    )
    out.print(
        f"RAM {r['ram_bytes']:,} B (arena {r['ram']['arena']:,}, other {r['ram']['other']:,}); lower bound "
        f"{r['ram_lower_bound_bytes']:,} B (layer by layer: {r['layerwise_lower_bound_bytes']:,} B); TFLM arena "
        f"{r['tflm_arena_bytes']:,} B "
        f"({r['ram_bytes'] / r['tflm_arena_bytes']:.2f}×); MACs {r['macs']:,}",
        soft_wrap=True,
    )


def print_sweep(result: dict, files: list) -> None:
    """The sweep's Pareto front, smallest flash first."""
    table = Table(title=f"{result['recipe']}: Pareto front of {len(result['points'])} points (test split)")
    for col, justify in (("name", "left"), ("accuracy", "right"), ("flash (B)", "right"), ("RAM (B)", "right")):
        table.add_column(col, justify=justify)
    for p in sorted((p for p in result["points"] if p["pareto"]), key=lambda p: p["flash_bytes"]):
        ram = "—" if p.get("ram_bytes") is None else f"{p['ram_bytes']:,}"
        table.add_row(p["name"], f"{100 * p['accuracy']:.2f}%", f"{p['flash_bytes']:,}", ram)
    out.print(table)
    out.print("wrote " + ", ".join(map(str, files)))


def print_tune(result: dict, files: list) -> None:
    """The search's Pareto front of the trials within budget, smallest flash first."""
    rows = result["trials"]
    table = Table(title=f"{result['recipe']}: Pareto front of {len(rows)} trials (validation split; test for these)")
    for col in ("trial", "knobs", "val accuracy", "test accuracy", "flash (B)", "RAM (B)", "instructions"):
        table.add_column(col, justify="left" if col in ("trial", "knobs") else "right")
    for r in sorted((r for r in rows if r.get("pareto")), key=lambda r: r["flash_bytes"]):
        knobs = ", ".join(f"{k} {v}" for k, v in sorted(r["config"].items()))
        instructions = "—" if r["instructions"] is None else f"{r['instructions']:,}"
        table.add_row(
            r["trial"],
            knobs,
            f"{100 * r['val_accuracy']:.2f}%",
            f"{100 * r['test_accuracy']:.2f}%",
            f"{r['flash_bytes']:,}",
            f"{r['ram_bytes']:,}",
            instructions,
        )
    within = sum(r["status"] == "within budget" for r in rows)
    out.print(table)
    out.print(f"{within} of {len(rows)} trials within budget")
    out.print("wrote " + ", ".join(map(str, files)))
