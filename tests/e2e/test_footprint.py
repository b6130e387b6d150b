"""The planned arena on real models: no overlapping live bytes, close to the lower bound; analyze's
figures; the line-buffered depthwise and the schedule with the lower peak.

The generated C under AddressSanitizer and UndefinedBehaviorSanitizer is tested in test_sanitizers.py."""

from __future__ import annotations

import json

import pytest

from edgenn import layout
from edgenn.export.plan import overlapping_pairs, plan_arena, violations
from edgenn.graph.tflite import read_tflite
from tests.conftest import require_tool, run_cli

EXAMPLES = ["hello_world_int8", "micro_speech_quantized", "person_detect"]


def models(tflm_examples, digits_build):
    return [digits_build / layout.TFLITE_INT8] + [tflm_examples / f"{m}.tflite" for m in EXAMPLES]


def test_no_two_live_tensors_share_bytes(tflm_examples, digits_build):
    for path in models(tflm_examples, digits_build):
        graph = read_tflite(path)
        plan = plan_arena(graph)
        assert overlapping_pairs(plan) == [], path.name
        assert violations(graph, plan) == [], path.name
        # Every tensor of every buffer fits inside the arena.
        for b in plan.buffers.values():
            assert 0 <= b.offset and b.offset + b.size <= plan.arena_bytes
        # These models are sequential: the plan is within 5% of the bound.
        assert plan.arena_bytes <= 1.05 * plan.lower_bound_bytes + 16, path.name


def test_analyze_json(tflm_examples):
    proc = run_cli("analyze", str(tflm_examples / "micro_speech_quantized.tflite"), "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["schema"] == 1
    assert {"flash_bytes", "ram_bytes", "ram_lower_bound_bytes", "tflm_arena_bytes", "macs", "layers"} <= set(r)
    assert r["tflm_arena_bytes"] == 7584  # TFLM's recording allocator on this model
    assert r["macs"] == sum(layer["macs"] for layer in r["layers"]) == 336_000
    assert r["ram_lower_bound_bytes"] <= r["ram"]["arena"] <= r["ram_bytes"]
    assert r["flash_bytes"] == sum(r["flash"].values())
    assert [layer["op"] for layer in r["layers"]] == ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]


def test_analyze_table(tflm_examples):
    proc = run_cli("analyze", str(tflm_examples / "hello_world_int8.tflite"))
    assert proc.returncode == 0, proc.stderr
    assert "FULLY_CONNECTED" in proc.stdout and "TFLM arena 1,504 B" in proc.stdout


def test_micro_speech_depthwise_writes_over_its_consumed_input(tflm_examples):
    from dataclasses import replace

    from edgenn.export.plan import streaming_gap

    graph = read_tflite(tflm_examples / "micro_speech_quantized.tflite")
    plan = plan_arena(graph)
    dw = next(op for op in graph.ops if op.name == "DEPTHWISE_CONV_2D")
    assert plan.streaming == frozenset({dw.index})
    inp, out = graph.tensors[dw.inputs[0]], graph.tensors[dw.outputs[0]]
    # Input and output share one buffer: far less than both side by side.
    assert plan.arena_bytes < inp.nbytes + out.nbytes - 1500
    assert plan.offset(dw.inputs[0]) - plan.offset(dw.outputs[0]) >= streaming_gap(graph, dw)
    # The checker notices when the input starts one row too early.
    moved = dict(plan.sub_offset)
    for t, buf in plan.buffer_of.items():
        if buf == plan.buffer_of[dw.inputs[0]] and t != dw.outputs[0]:
            moved[t] -= 40 * 16
    assert violations(graph, replace(plan, sub_offset=moved))


@pytest.mark.parametrize("dsp", [False, True])
def test_line_buffered_depthwise_on_cortex_m4(tflm_examples, tmp_path, dsp):
    from tests.kernels.harness import check_c_bit_exact

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    data = (tflm_examples / "micro_speech_quantized.tflite").read_bytes()
    check_c_bit_exact(data, tmp_path, count=12, target="cortex-m4", dsp=dsp)


def _two_branches():
    keras = pytest.importorskip("keras")
    from tests.kernels.harness import int8_tflite

    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 16, 16, 4))
    a = keras.layers.Conv2D(4, 3, strides=2, padding="same")(keras.layers.Conv2D(32, 3, padding="same")(x))
    b = keras.layers.Conv2D(4, 3, strides=2, padding="same")(keras.layers.Conv2D(32, 3, padding="same")(x))
    return int8_tflite(keras.Model(x, keras.layers.Concatenate()([a, b])))


def _reorder_operators(data: bytes, order: list[int]) -> bytes:
    """The same model with its operators stored in another (still topological) order."""
    import flatbuffers

    from edgenn.graph.tflite import schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    ops = model.subgraphs[0].operators
    model.subgraphs[0].operators = [ops[i] for i in order]
    builder = flatbuffers.Builder(len(data))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_branched_graph_runs_in_the_order_with_the_lower_peak(tmp_path):
    from edgenn.export.plan import plan_schedule
    from edgenn.graph.tflite import parse_tflite
    from tests.kernels.harness import check_c_bit_exact

    good = _two_branches()
    names = [op.name for op in parse_tflite(good).ops]
    assert names.count("CONV_2D") == 4 and names[-1] == "CONCATENATION"
    # Both wide 16x16x32 activations alive at once: the order a naive exporter might store.
    bad = _reorder_operators(good, [0, 2, 1, 3, 4])
    graph = parse_tflite(bad)
    stored = plan_arena(graph)
    chosen_graph, chosen = plan_schedule(graph)
    assert chosen.arena_bytes < 0.6 * stored.arena_bytes
    assert violations(chosen_graph, chosen) == []
    require_tool("gcc")
    check_c_bit_exact(bad, tmp_path, count=16)


@pytest.fixture(scope="module")
def elu_model(tmp_path_factory):
    """Dense → ELU → Dense, int8: the converter keeps ELU in float (DEQUANTIZE, ELU, QUANTIZE), which TFLM
    runs and the C backend lacks."""
    import keras

    from tests.kernels.harness import int8_tflite

    keras.utils.set_random_seed(0)
    layers = [keras.Input((8,), batch_size=1), keras.layers.Dense(16), keras.layers.ELU(), keras.layers.Dense(4)]
    path = tmp_path_factory.mktemp("elu") / "elu.tflite"
    path.write_bytes(int8_tflite(keras.Sequential(layers)))
    return path


def test_a_model_with_ops_the_c_lacks_still_gets_its_figures(elu_model):
    """Every layer, the unknown op named, the totals of the C-array route."""
    from edgenn.evaluate.footprint import TFLM_RUNTIME_BYTES
    from edgenn.evaluate.runners import TFLMRunner
    from edgenn.schemas import check

    model = elu_model
    proc = run_cli("analyze", str(model), "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    check(r, "analyze", model)
    graph = read_tflite(model)
    assert r["route"] == "tflm" and r["unsupported_ops"] == ["ELU"]
    assert [layer["op"] for layer in r["layers"]] == [op.name for op in graph.ops]
    assert all(layer["supported"] == (layer["op"] != "ELU") for layer in r["layers"])
    assert r["flash_bytes"] == model.stat().st_size + TFLM_RUNTIME_BYTES
    assert r["ram_bytes"] == r["tflm_arena_bytes"] == TFLMRunner(model).arena_bytes()
    fc = [layer for layer in r["layers"] if layer["op"] == "FULLY_CONNECTED"]
    assert len(fc) == 2 and all(layer["params"] > 0 and layer["const_bytes"] > 0 for layer in fc)
    assert sum(layer["macs"] for layer in fc) == 8 * 16 + 16 * 4

    table = run_cli("analyze", str(model))
    assert table.returncode == 0, table.stderr
    assert "ELU (no C)" in table.stdout and "the C backend lacks ELU" in table.stdout


def test_every_missing_op_is_named_in_one_line():
    from edgenn.errors import UnsupportedError
    from edgenn.reference import require_ops

    with pytest.raises(UnsupportedError, match=r"^ops ELU, GRU_TEST are not supported; supported ops: CONV_2D"):
        require_ops(["CONV_2D", "ELU", "FULLY_CONNECTED", "GRU_TEST", "ELU"], need_c=True)
    with pytest.raises(UnsupportedError, match=r"^op ELU is not supported; supported ops: CONV_2D"):
        require_ops(["ELU", "CONV_2D"], need_c=True)
    require_ops(["CONV_2D", "SOFTMAX"], need_c=True)


def test_kernel_code_is_the_kernel_objects_text(tflm_examples, tmp_path):
    """`Build.kernel_text` sums the text of the kernel library's objects, and nothing of the model's own."""
    import subprocess

    from edgenn import toolchain
    from edgenn.export.codegen import codegen

    require_tool("arm-none-eabi-gcc")
    folder = codegen(tflm_examples / "micro_speech_quantized.tflite", tmp_path / "c", name="ms")
    b = toolchain.build(folder, "cortex-m4")
    objects = sorted((b.elf.parent / "obj" / "edgenn").glob("*.o"))
    assert {o.stem for o in objects} == {"depthwise_conv_2d", "fully_connected", "softmax"}
    sizes = subprocess.run(["arm-none-eabi-size", *map(str, objects)], capture_output=True, text=True, check=True)
    want = sum(int(line.split()[0]) for line in sizes.stdout.splitlines()[1:])
    assert b.kernel_text == want
    assert 0 < b.kernel_text < b.text


@pytest.mark.parametrize("kernel", ["softmax", "log_softmax", "arg_max", "arg_min"])
def test_kernels_that_run_once_per_inference_are_compiled_for_size(tmp_path, kernel):
    """cold.h makes gcc compile them for size whatever the build's -O: -O2 gives what -Os gives, within
    5% (the command line's -Os also sets a few options the pragma does not; without the pragma softmax's
    -O2 code is 2.8 times its -Os code)."""
    import subprocess

    from edgenn.clib import FIRMWARE

    require_tool("arm-none-eabi-gcc")
    sizes = []
    for level in ("-O2", "-Os"):
        obj = tmp_path / f"{kernel}{level}.o"
        subprocess.run(
            ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", level, "-std=c99",
             "-I", str(FIRMWARE / "include" / "edgenn"), "-c", str(FIRMWARE / "src" / f"{kernel}.c"), "-o", str(obj)],
            check=True,
        )  # fmt: skip
        out = subprocess.run(["arm-none-eabi-size", str(obj)], capture_output=True, text=True, check=True).stdout
        sizes.append(int(out.splitlines()[1].split()[0]))
    assert sizes[0] <= 1.05 * sizes[1], sizes


def _kernel_build(folder, target: str = "cortex-m4"):
    """(kernel text per library object, the build) of a generated folder."""
    import subprocess

    from edgenn import toolchain

    b = toolchain.build(folder, target)
    objects = sorted((b.elf.parent / "obj" / "edgenn").glob("*.o"))
    sizes = subprocess.run(["arm-none-eabi-size", *map(str, objects)], capture_output=True, text=True, check=True)
    return {o.stem: int(line.split()[0]) for o, line in zip(objects, sizes.stdout.splitlines()[1:], strict=True)}, b


@pytest.mark.parametrize(
    "model, features",
    [
        ("micro_speech_quantized", ["FC_DENSE", "DW_LINE", "PER_CHANNEL"]),
        ("person_detect", ["CONV_DENSE", "DW_LINE", "DW_SAME", "DW_3X3_FULL", "PER_CHANNEL"]),
    ],
)
def test_kernel_code_is_only_the_paths_the_layers_take(tflm_examples, tmp_path, model, features):
    """The folder's config.h compiles only the kernel paths its layers take: generated with every path
    on (as for models sharing one copy of the kernels) the same model's kernels are larger; with its
    own, under 8 KB of Cortex-M4 code."""
    from edgenn.export.codegen import codegen

    require_tool("arm-none-eabi-gcc")
    folder = codegen(tflm_examples / f"{model}.tflite", tmp_path / "c", name="m")
    assert json.loads((folder / "edgenn.json").read_text())["features"] == features
    every = codegen(tflm_examples / f"{model}.tflite", tmp_path / "every", name="m", kernel_paths="all")
    own, b = _kernel_build(folder)
    full, _ = _kernel_build(every)
    assert b.kernel_text == sum(own.values()) <= 8192, own
    assert own["depthwise_conv_2d"] < 0.6 * full["depthwise_conv_2d"], (own, full)
    assert sum(own.values()) < sum(full.values()) - 2000, (own, full)


def test_per_tensor_model_stores_one_multiplier_per_layer(tflm_examples, tmp_path):
    """hello_world's layers are per tensor: no per-channel path (its dense layers' own path only), one
    multiplier and shift per layer."""
    import re

    from edgenn.export.codegen import codegen

    require_tool("arm-none-eabi-gcc")
    folder = codegen(tflm_examples / "hello_world_int8.tflite", tmp_path / "c", name="m")
    assert json.loads((folder / "edgenn.json").read_text())["features"] == ["FC_DENSE"]
    arrays = re.findall(r"int32_t (\w*multiplier\w*)\[(\d+)\]", (folder / "m.c").read_text())
    assert len(arrays) == 3 and all(n == "1" for _, n in arrays), arrays
    _, b = _kernel_build(folder)
    assert b.kernel_text <= 8192
    # With every path on (kernels shared with per-channel models) each channel has its own again.
    every = codegen(tflm_examples / "hello_world_int8.tflite", tmp_path / "every", name="m", kernel_paths="all")
    arrays = re.findall(r"int32_t (\w*multiplier\w*)\[(\d+)\]", (every / "m.c").read_text())
    assert sorted(int(n) for _, n in arrays) == [1, 16, 16], arrays


def test_per_tensor_digits_takes_less_flash_than_per_channel(digits_build, tmp_path):
    """The digits CNN converted with one weight scale per tensor and with one per channel: the first
    keeps one multiplier and shift per layer and compiles no per-channel indexing, so it is smaller."""
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    from edgenn.data.splits import load_build_data
    from edgenn.export.codegen import codegen
    from edgenn.optimize.quantize import tflite_variant

    require_tool("arm-none-eabi-gcc")
    model = keras.models.load_model(digits_build / "model.keras", compile=False)
    calib = load_build_data(digits_build).x_calib
    builds = {}
    for name in ("int8_per_channel", "int8_per_tensor"):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(tflite_variant(model, name, calib))
        folder = codegen(path, tmp_path / name, name="digits")
        assert ("PER_CHANNEL" in json.loads((folder / "edgenn.json").read_text())["features"]) == (
            name == "int8_per_channel"
        )
        builds[name] = _kernel_build(folder)[1]
    per_channel, per_tensor = builds["int8_per_channel"], builds["int8_per_tensor"]
    assert per_tensor.flash_bytes < per_channel.flash_bytes, (per_tensor, per_channel)
    assert per_tensor.kernel_text < per_channel.kernel_text, (per_tensor, per_channel)
