"""`edgenn profile`: per-layer instructions on the emulated Cortex-M4 add up to the exact total that
`count_instructions` gives, marks split translation blocks without losing an instruction, and the
cost model's table in docs/cost-model.md is the one the code uses."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from edgenn import schemas, toolchain
from edgenn.errors import EdgeNNError
from edgenn.export.codegen import codegen, generate
from edgenn.graph.tflite import read_tflite
from edgenn.profile import (
    BRANCH_REFILL,
    COST_TABLE,
    DIVIDE_CYCLES,
    CostModel,
    benchmark_inputs,
    cost_class,
    instruction_cycles,
    profile,
    profile_folder,
)
from edgenn.reference import op_macs
from tests.conftest import REPO, require_tool

DOC = REPO / "docs" / "cost-model.md"
MODELS = ["hello_world_int8", "micro_speech_quantized"]  # micro_speech: a depthwise conv and a RESHAPE


def require_m4():
    for tool in ("gcc", "make", "arm-none-eabi-gcc", "arm-none-eabi-nm", "arm-none-eabi-objdump", "qemu-system-arm"):
        require_tool(tool)


@pytest.fixture(scope="module", params=MODELS)
def profiled(request, tflm_examples, tmp_path_factory):
    """(tflite graph, generated folder, inputs, profile, count_instructions on the same build and inputs)."""
    require_m4()
    path = tflm_examples / f"{request.param}.tflite"
    graph = read_tflite(path)
    folder = codegen(path, tmp_path_factory.mktemp(request.param) / "c", name=request.param)
    x = benchmark_inputs(graph.input_tensor().shape, graph.input_tensor().dtype)[:2]
    r = profile_folder(folder, graph, x, dsp=True)
    return graph, folder, x, r, toolchain.count_instructions(folder, x)


def test_layers_and_overhead_add_up_to_the_exact_total(profiled):
    _, _, x, r, counted = profiled
    assert r["total"]["instructions"] == counted  # one code path: the same figure, exactly
    assert r["inputs"] == len(x)
    parts = sum(layer["instructions"] for layer in r["layers"]) + r["overhead"]["instructions"]
    assert parts == pytest.approx(r["total"]["instructions"], rel=0, abs=1e-6)
    assert 0 < r["overhead"]["instructions"] < r["total"]["instructions"]
    cycles = sum(layer["cycles"] for layer in r["layers"]) + r["overhead"]["cycles"]
    assert cycles == pytest.approx(r["total"]["cycles"], rel=1e-12)
    shares = sum(layer["share"] for layer in r["layers"])
    assert shares == pytest.approx(1 - r["overhead"]["instructions"] / r["total"]["instructions"], rel=1e-9)


def test_layers_follow_the_generated_code(profiled):
    graph, folder, _, r, _ = profiled
    gen = generate(graph, toolchain.manifest(folder)["name"], "test")
    assert [(layer["index"], layer["op"]) for layer in r["layers"]] == [(op.index, op.name) for op in gen.graph.ops]
    for op, layer in zip(gen.graph.ops, r["layers"], strict=True):
        assert layer["macs"] == op_macs(gen.graph, op)
        if op.index in gen.plan.views:  # no code, no label: nothing runs for it
            assert layer["instructions"] == 0 and layer["cycles"] == 0 and layer["macs_per_instruction"] is None
        else:
            assert layer["instructions"] > 0
            assert layer["macs_per_instruction"] == layer["macs"] / layer["instructions"]
            assert layer["cycles"] >= layer["instructions"]
    assert r["total"]["macs"] == sum(op_macs(gen.graph, op) for op in gen.graph.ops)
    assert r["total"]["macs_per_instruction"] == r["total"]["macs"] / r["total"]["instructions"]
    assert r["total"]["cycles"] >= r["total"]["instructions"]
    assert r["overhead"]["cycles"] >= r["overhead"]["instructions"]
    assert r["unknown_mnemonics"] == []  # the int8 kernels use only instructions the table knows


def test_a_reshape_has_no_code_and_no_instructions(profiled):
    graph, _, _, r, _ = profiled
    reshapes = [layer for layer in r["layers"] if layer["op"] == "RESHAPE"]
    assert len(reshapes) == sum(op.name == "RESHAPE" for op in graph.ops)
    assert bool(reshapes) == (r["model"] == "micro_speech_quantized")
    assert all(layer["instructions"] == 0 and layer["macs_per_instruction"] is None for layer in reshapes)


def test_every_executed_run_is_found_in_the_disassembly(profiled):
    _, folder, x, _, _ = profiled
    elf = toolchain.build_dir(folder, "cortex-m4") / "runner.elf"
    counts = toolchain.instruction_counts(folder, x)
    cost = CostModel(elf)
    for _, start, length, _ in counts.segments:
        assert cost.cycles(start, length) >= length
    assert sum(length * execs for _, _, length, execs in counts.segments) == counts.total


def test_marks_inside_blocks_lose_no_instruction(profiled):
    """A mark at every instruction of the kernels' code splits blocks everywhere: the total stays exact."""
    _, folder, x, _, _ = profiled
    elf = toolchain.build_dir(folder, "cortex-m4") / "runner.elf"
    kernel = re.compile(r"edgenn_(fully_connected|depthwise_conv_2d)")
    kernels = sorted(a for name, a in toolchain.symbols(elf).items() if kernel.fullmatch(name))
    assert kernels
    code = [ins.address for ins in CostModel(elf).code if kernels[0] <= ins.address < kernels[0] + 4096]
    marks = {address: 1 + i % 3 for i, address in enumerate(code)}
    plain = toolchain.instruction_counts(folder, x)
    split = toolchain.instruction_counts(folder, x, marks)
    assert split.total == plain.total
    assert len(split.bins) == 4 and all(b > 0 for b in split.bins[1:])
    for b, total in enumerate(split.bins):
        assert sum(length * execs for s, _, length, execs in split.segments if s == b) == total


def test_profile_of_a_tflite_equals_count_instructions(tflm_examples, tmp_path):
    require_m4()
    path = tflm_examples / "hello_world_int8.tflite"
    r = profile(path)
    graph = read_tflite(path)
    folder = codegen(path, tmp_path / "c", name="hello_world_int8")
    toolchain.build(folder, "cortex-m4", dsp=True)
    x = benchmark_inputs(graph.input_tensor().shape)[:2]  # the default: the speed benchmark's first two
    assert r["total"]["instructions"] == toolchain.count_instructions(folder, x)
    assert (r["schema"], r["model"], r["target"], r["dsp"], r["inputs"]) == (
        1,
        "hello_world_int8",
        "cortex-m4",
        True,
        2,
    )
    assert r["source_sha256"] == graph.sha256 and "docs/cost-model.md" in r["cost_model"]
    schemas.check(json.loads(json.dumps(r)), "profile", "profile.json")  # what `edgenn profile --json` prints
    one = profile(path, inputs=x[1:], count=1)
    assert one["inputs"] == 1
    assert one["total"]["instructions"] == toolchain.count_instructions(folder, x[1:])
    with pytest.raises(EdgeNNError):
        profile(path, device="host")


def test_speed_benchmark_draws_the_same_inputs():
    x = benchmark_inputs((1, 49, 40, 1))
    assert np.array_equal(x, np.random.default_rng(0).integers(-128, 128, size=(20, 1, 49, 40, 1)).astype(np.int8))


def _doc_table() -> dict[str, tuple[str, list[str]]]:
    rows = {}
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index("| class | cycles | mnemonics |")
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        name, cycles, mnemonics = (cell.strip() for cell in line.strip("|").split("|"))
        rows[name] = (cycles, [m.strip() for m in mnemonics.split(",")])
    return rows


def test_the_doc_table_is_the_cost_table():
    assert _doc_table() == {c.name: (c.cycles, list(c.mnemonics)) for c in COST_TABLE}
    text = DOC.read_text(encoding="utf-8")
    assert f"**P = {BRANCH_REFILL}**" in text
    assert f"**Division: {DIVIDE_CYCLES} cycles.**" in text


@pytest.mark.parametrize(
    "mnemonic, cls",
    [
        ("bls", "branch"),
        ("bne.n", "branch"),
        ("blx", "branch"),
        ("bics", "move, arithmetic, logic, shift, compare"),
        ("lsls", "move, arithmetic, logic, shift, compare"),
        ("teq", "move, arithmetic, logic, shift, compare"),
        ("addeq.w", "move, arithmetic, logic, shift, compare"),
        ("mls", "multiply, multiply-accumulate (32- and 64-bit, SIMD)"),
        ("smlad", "multiply, multiply-accumulate (32- and 64-bit, SIMD)"),
        ("strhs", "store one register"),
        ("ldrsb.w", "load one register"),
        ("itte", "if-then"),
        ("vmov", None),
    ],
)
def test_mnemonics_find_their_class(mnemonic, cls):
    found = cost_class(mnemonic)
    assert (found.name if found else None) == cls


def test_instruction_cycles_follow_the_table():
    p = BRANCH_REFILL
    assert instruction_cycles("ldr", "r0, [r1]", after_load=False)[0] == 2
    assert instruction_cycles("ldr.w", "r0, [r1, #4]", after_load=True)[0] == 1
    assert instruction_cycles("ldr", "pc, [sp], #4", after_load=False)[0] == 2 + p
    assert instruction_cycles("push", "{r4, r5, r6, lr}", after_load=False)[0] == 5
    assert instruction_cycles("pop", "{r4-r7, pc}", after_load=False)[0] == 1 + 5 + p
    assert instruction_cycles("mov", "pc, lr", after_load=False)[0] == 1 + p
    assert instruction_cycles("bne.n", "1234 <f+0x10>", after_load=False)[0] == 1 + p
    assert instruction_cycles("sdiv", "r0, r1, r2", after_load=False)[0] == DIVIDE_CYCLES
    assert instruction_cycles("vadd.f32", "s0, s0, s1", after_load=False) == (1, None)
