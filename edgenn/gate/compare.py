"""Two snapshots side by side: totals, and layers matched by their place in the op sequence.

Layers are matched with difflib's sequence alignment over the op types, so that a pull request that
adds or removes a layer shows it as added or removed and the layers around it still line up.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from edgenn.gate.snapshot import FIGURES, LAYER_FIGURES, Snapshot, layer_label


def change(baseline: float | None, now: float | None) -> dict:
    """Baseline, now, now − baseline and that in percent of the baseline (None where undefined)."""
    delta = None if baseline is None or now is None else now - baseline
    pct = None if delta is None or baseline == 0 else 100.0 * delta / abs(baseline)
    return {"baseline": baseline, "now": now, "change": delta, "change_pct": pct}


def figures(now: Snapshot, baseline: Snapshot | None) -> list[dict]:
    """Each total either side has, with its change."""
    rows = []
    for f in FIGURES:
        f = now.figure(f)
        value = now.figures.get(f.metric)
        base = baseline.figures.get(f.metric) if baseline else None
        if value is None and base is None:
            continue
        rows.append(
            {
                "metric": f.metric,
                "label": f.label,
                "unit": f.unit,
                "higher_is_better": f.higher_is_better,
                **change(base, value),
            }
        )
    return rows


def _layer_figures(a: dict | None, b: dict | None) -> dict:
    return {
        key: change(a.get(key) if a else None, b.get(key) if b else None)
        for key in LAYER_FIGURES
        if (a and a.get(key) is not None) or (b and b.get(key) is not None)
    }


def layers(now: Snapshot, baseline: Snapshot | None, changed_only: bool = True) -> list[dict]:
    """Per-layer rows (`status` changed, same, added or removed); only those that differ by default."""
    if baseline is None:
        rows = [{"layer": layer_label(x), "status": "same", "figures": _layer_figures(None, x)} for x in now.layers]
        return [] if changed_only else rows
    old, new = baseline.layers, now.layers
    matcher = SequenceMatcher(a=[x["op"] for x in old], b=[x["op"] for x in new], autojunk=False)
    rows = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs = list(zip(range(i1, i2), range(j1, j2), strict=False)) if tag in ("equal", "replace") else []
        for i, j in pairs:
            figs = _layer_figures(old[i], new[j])
            differs = any(c["change"] not in (0, None) for c in figs.values()) or tag == "replace"
            rows.append({"layer": layer_label(new[j]), "status": "changed" if differs else "same", "figures": figs})
        # Layers left over on either side of a replace, and inserts and deletes.
        for i in range(i1 + len(pairs), i2):
            rows.append({"layer": layer_label(old[i]), "status": "removed", "figures": _layer_figures(old[i], None)})
        for j in range(j1 + len(pairs), j2):
            rows.append({"layer": layer_label(new[j]), "status": "added", "figures": _layer_figures(None, new[j])})
    return [r for r in rows if r["status"] != "same"] if changed_only else rows
