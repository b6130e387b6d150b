"""Row-streamed chains (edgenn/export/stream.py, edgenn/firmware/src/stream.c): the planner takes them
where they lower the arena (a residual block's ADD among their layers), the C runs them bit-exact
with TFLM on the host's kernel variants and on the emulated cores, the C driver makes its calls in
the order the planner replayed, the checker catches a window or an output placed over input still
unread, and `--ram-budget` trades RAM for calls. person_detect, with its chains, runs on every
target in test_targets.py."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

import pytest

from edgenn.export.plan import overlapping_pairs, plan_schedule, violations, window_id
from edgenn.export.stream import OUTPUT, simulate
from edgenn.graph.tflite import parse_tflite, read_tflite
from tests.conftest import require_target_tools, require_tool, run_cli
from tests.kernels.harness import HOST_VARIANTS, check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")
L = keras.layers


def _mobile():
    """A MobileNet-like start: the wide tensors sit between the input and a small output."""
    x = keras.Input(batch_shape=(1, 21, 18, 1))
    y = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    y = L.Conv2D(24, 1, activation="relu")(y)
    y = L.DepthwiseConv2D(3, strides=2, padding="same")(y)
    y = L.Conv2D(8, 1)(y)
    return keras.Model(x, L.Dense(3)(L.GlobalAveragePooling2D()(y)))


def _pools():
    """Valid padding, pools, a dilated convolution, an uneven filter and a strided pointwise one."""
    x = keras.Input(batch_shape=(1, 23, 17, 2))
    y = L.Conv2D(20, 3, padding="valid", activation="relu")(x)
    y = L.MaxPooling2D(2)(y)
    y = L.Conv2D(20, 3, dilation_rate=2, padding="same")(y)
    y = L.AveragePooling2D(3, strides=1, padding="same")(y)
    y = L.Conv2D(24, (3, 2), padding="same", activation="relu")(y)
    y = L.Conv2D(4, 1, strides=2)(y)
    return keras.Model(x, L.Dense(2)(L.Flatten()(y)))


def _residual():
    """A residual block: the chain ends with the ADD, which reads the block's input beside its rows."""
    x = keras.Input(batch_shape=(1, 18, 14, 3))
    s = L.Conv2D(12, 3, padding="same", activation="relu")(x)
    y = L.Conv2D(12, 3, padding="same", activation="relu")(s)
    y = L.Conv2D(12, 3, padding="same")(y)
    y = L.ReLU()(L.Add()([s, y]))
    y = L.Conv2D(4, 3, strides=2)(y)
    return keras.Model(x, L.Dense(2)(L.Flatten()(y)))


MODELS = {"mobile": _mobile, "pools": _pools, "residual": _residual}


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    out = {}
    for name, build in MODELS.items():
        keras.utils.set_random_seed(5)
        out[name] = int8_tflite(build())
    return out


@pytest.mark.parametrize("name", list(MODELS))
def test_the_planner_streams_the_wide_layers(models, name):
    graph, plan = plan_schedule(parse_tflite(models[name]))
    assert plan.chains, "no chain taken"
    assert not violations(graph, plan) and not overlapping_pairs(plan)
    flat = plan_schedule(parse_tflite(models[name]), stream=False)[1]
    assert plan.arena_bytes < flat.arena_bytes
    assert plan.layerwise_bound_bytes == flat.lower_bound_bytes
    assert plan.lower_bound_bytes <= plan.arena_bytes
    if name == "residual":  # the ADD is in a chain, its skip read beside its rows
        add = next(op for op in graph.ops if op.name == "ADD")
        chain = next(c for c in plan.chains if add.index in c.ops)
        assert chain.sides and chain.stages[-1].op == add.index


@pytest.mark.parametrize("variant", list(HOST_VARIANTS))
@pytest.mark.parametrize("name", list(MODELS))
def test_chains_bit_exact_on_the_host(models, tmp_path, name, variant):
    require_tool("gcc")
    dsp, cflags = HOST_VARIANTS[variant]
    check_c_bit_exact(models[name], tmp_path, count=8, dsp=dsp, cflags=cflags)


@pytest.mark.parametrize(
    "target, dsp",
    [("cortex-m4", True), ("cortex-m4", False), ("cortex-m55", True), ("cortex-m0plus", True), ("riscv32", True)],
)
def test_chains_bit_exact_on_the_cores(models, tmp_path, target, dsp):
    require_target_tools(target)
    for name, data in models.items():
        check_c_bit_exact(data, tmp_path / name, count=3, target=target, dsp=dsp)


def test_person_detect_fits_in_less_than_a_third_of_its_layerwise_arena(tflm_examples):
    graph, plan = plan_schedule(read_tflite(tflm_examples / "person_detect.tflite"))
    assert plan.arena_bytes <= 28_000
    assert plan.layerwise_bound_bytes > 2 * plan.arena_bytes
    assert not violations(graph, plan)
    assert all(c.moved_bytes >= 0 and c.calls == sum(s.out_h for s in c.stages) for c in plan.chains)


def test_checker_catches_a_window_or_an_output_over_unread_input(tflm_examples):
    graph, plan = plan_schedule(read_tflite(tflm_examples / "person_detect.tflite"))
    n, chain = next((n, c) for n, c in enumerate(plan.chains) if c.windows_over_input)
    x = plan.offset(chain.input)
    # The first window moved onto the input's last row, which the chain reads last.
    key = window_id(n, 1)
    sub = dict(plan.sub_offset)
    sub[key] += x + chain.input_bytes - chain.stages[1].in_row_bytes - plan.offset(key)
    assert any("overwrites unread input" in v for v in violations(graph, replace(plan, sub_offset=sub)))
    # The output one row higher: its first row then lands on input the first stage still reads.
    sub = dict(plan.sub_offset)
    slack = dict(chain.slack)[OUTPUT]
    sub[chain.output] += x + slack - plan.offset(chain.output) + chain.stages[-1].out_row_bytes
    assert violations(graph, replace(plan, sub_offset=sub))


DRIVER = r"""
#include <stdio.h>
#include "stream.h"

static int8_t arena[ARENA];
static int32_t log_stage[4096], log_row[4096], log_out[4096], calls;
#define STAGE(k) static void s##k(int32_t row, const int8_t *in, int8_t *out) { \
    (void)in; log_stage[calls] = k; log_row[calls] = row; log_out[calls] = (int32_t)(out - arena); calls++; }
STAGE(0) STAGE(1) STAGE(2) STAGE(3) STAGE(4) STAGE(5)
static const edgenn_stage_fn fns[6] = {s0, s1, s2, s3, s4, s5};

int main(void) {
    edgenn_stage st[] = {TABLE};
    int32_t i;
    for (i = 0; i < N; ++i) st[i].run = fns[i];
    edgenn_stream(st, N);
    for (i = 0; i < calls; ++i) printf("%d %d %d\n", (int)log_stage[i], (int)log_row[i], (int)log_out[i]);
    return 0;
}
"""


def test_the_c_driver_calls_in_the_order_the_planner_replays(tmp_path, tflm_examples):
    """edgenn_stream against simulate(): the same (stage, row, output offset) for every call, on each
    chain the planner picks for person_detect and for the two models here."""
    from edgenn.clib import INCLUDE, SRC

    require_tool("gcc")
    plans = [plan_schedule(read_tflite(tflm_examples / "person_detect.tflite"))[1]]
    for build in MODELS.values():
        keras.utils.set_random_seed(5)
        plans.append(plan_schedule(parse_tflite(int8_tflite(build())))[1])
    checked = 0
    for plan in plans:
        for chain in plan.chains:
            if len(chain.stages) > 6:
                continue
            # Windows one after the other from offset 0, the output after them.
            at, offsets = 0, []
            for k in range(len(chain.stages)):
                offsets.append(at)
                at += chain.window_size(k) if k else chain.input_bytes
            out_at = at
            rows = [
                f"{{0, arena + {offsets[k]}, {s.in_row_bytes}, {s.out_row_bytes}, {s.in_h}, {s.out_h}, {s.rows}, "
                f"{s.stride}, {s.pad_top}, {s.capacity}}}"
                for k, s in enumerate(chain.stages)
            ]
            rows.append(f"{{0, arena + {out_at}, 0, 0, 0, 0, 0, 0, 0, {chain.stages[-1].out_h}}}")
            src = tmp_path / f"driver{checked}.c"
            src.write_text(
                DRIVER.replace("TABLE", ", ".join(rows))
                .replace("ARENA", str(out_at + chain.output_bytes))
                .replace("N)", f"{len(chain.stages)})")
                .replace("i < N;", f"i < {len(chain.stages)};")
            )
            exe = tmp_path / f"driver{checked}"
            cmd = [
                "gcc",
                "-std=c99",
                "-Wall",
                "-Werror",
                f"-I{INCLUDE}",
                str(src),
                str(SRC / "stream.c"),
                "-o",
                str(exe),
            ]
            subprocess.run(cmd, check=True)
            printed = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
            got = [tuple(map(int, line.split())) for line in printed.splitlines()]
            writes, _, calls = simulate(chain.stages)
            want, made = [], [0] * len(chain.stages)
            for w in writes:
                stage = len(chain.stages) - 1 if w.block == OUTPUT else w.block - 1
                base = out_at if w.block == OUTPUT else offsets[w.block]
                want.append((stage, made[stage], base + w.start))
                made[stage] += 1
            assert got == want and len(got) == calls
            checked += 1
    assert checked >= 3


def test_ram_budget_trades_ram_for_calls(tmp_path, tflm_examples):
    model = str(tflm_examples / "person_detect.tflite")
    loose = run_cli("codegen", model, "-o", str(tmp_path / "loose"), "--ram-budget", "60000")
    assert loose.returncode == 0, loose.stderr
    m = json.loads((tmp_path / "loose" / "edgenn.json").read_text())
    assert m["chains"] == [] and m["arena_bytes"] <= 60000  # the layer-by-layer plan fits: no extra calls
    tight = run_cli("codegen", model, "-o", str(tmp_path / "tight"), "--ram-budget", "30000")
    assert tight.returncode == 0, tight.stderr
    t = json.loads((tmp_path / "tight" / "edgenn.json").read_text())
    assert t["chains"] and t["arena_bytes"] <= 30000 and "row-streamed chain" in tight.stdout
    smallest = json.loads(run_cli("analyze", model, "--json").stdout)["ram"]["arena"]
    budgeted = json.loads(run_cli("analyze", model, "--json", "--ram-budget", "60000").stdout)
    assert budgeted["chains"] == [] and budgeted["ram"]["arena"] == m["arena_bytes"] > smallest
    too_tight = run_cli("codegen", model, "-o", str(tmp_path / "none"), "--ram-budget", "5000")
    assert too_tight.returncode == 2
    assert len(too_tight.stderr.strip().splitlines()) == 1 and f"{smallest:,} B" in too_tight.stderr
    assert not (tmp_path / "none").exists()


def test_analyze_shows_the_chains(tflm_examples):
    model = str(tflm_examples / "person_detect.tflite")
    r = json.loads(run_cli("analyze", model, "--json").stdout)
    assert r["chains"] and r["layerwise_lower_bound_bytes"] > r["ram_lower_bound_bytes"]
    chained = [layer["index"] for layer in r["layers"] if layer["chain"] is not None]
    assert chained == [i for c in r["chains"] for i in c["ops"]]
    first = r["chains"][0]
    assert first["extra_macs"] == 0 and first["layers"][0]["window_rows"] is None
    assert all(layer["window_rows"] >= layer["rows_read"] for layer in first["layers"][1:])
    text = run_cli("analyze", model).stdout
    assert f"chain 0: ops {first['ops'][0]}–{first['ops'][-1]}" in text and "layer by layer:" in text
