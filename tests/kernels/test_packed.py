"""Packed weights (edgenn/export/packing.py, firmware/src/packed.c): a model whose weights
edgenn.optimize.compress rewrote for an encoding runs in TFLM as a dense int8 model, and the C that
stores those weights packed computes the same bytes, on every host variant and on the Cortex-M4 with
and without its DSP instructions. Every packable layer must actually be packed (edgenn.json says
which), so a choice that quietly falls back to dense fails."""

import json

import numpy as np
import pytest

from edgenn.export import packing
from edgenn.graph.tflite import parse_tflite
from edgenn.optimize.compress import SCHEMES, compress_tflite
from tests.conftest import require_target_tools, require_tool
from tests.kernels.harness import HOST_VARIANTS, check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")


def _model() -> bytes:
    """Every shape the packed kernels meet: a 5x5 convolution over 3 channels (75 values a channel,
    padded windows), one with an odd number of channels, a pointwise one over an odd depth, and dense
    layers whose inputs are no multiple of 8, one with an odd number of outputs. Each layer is deep
    enough that every encoding saves bytes on it (per-channel tables cost 2^b bytes a channel)."""
    keras.utils.set_random_seed(5)
    x = keras.Input(batch_shape=(1, 9, 7, 3))
    y = keras.layers.Conv2D(12, 5, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(63, 3, strides=2, padding="valid", activation="relu")(y)
    y = keras.layers.Conv2D(16, 1, activation="relu")(y)
    y = keras.layers.Flatten()(y)
    y = keras.layers.Dense(48, activation="relu")(y)
    y = keras.layers.Dense(11)(y)
    return int8_tflite(keras.Model(x, y))


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    dense = _model()
    return {scheme: compress_tflite(dense, scheme, sparsity=0.5)[0] for scheme in SCHEMES}


def _packed(folder) -> list[dict]:
    return json.loads((folder / "edgenn.json").read_text())["packed"]


def _packed_ops(folder) -> dict[int, str]:
    return {p["op"]: p["encoding"] for p in _packed(folder)}


def _check(data: bytes, tmp_path, scheme: str, **kwargs) -> None:
    check_c_bit_exact(data, tmp_path, count=12, compress=scheme, **kwargs)
    graph = parse_tflite(data)
    packable = {op.index for op in graph.ops if op.name in ("CONV_2D", "FULLY_CONNECTED")}
    assert _packed_ops(tmp_path / "c") == dict.fromkeys(packable, packing.encoding_of(scheme))
    tables = [p["tables"] for p in _packed(tmp_path / "c")]
    if scheme.startswith("lut"):  # one table a layer where the compression shared one, else one a channel
        assert tables == [1] * len(packable) if scheme.endswith("t") else all(t > 1 for t in tables), tables


@pytest.mark.parametrize("variant", list(HOST_VARIANTS))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_packed_weights_bit_exact_on_the_host(tmp_path, models, scheme, variant):
    require_tool("gcc")
    dsp, cflags = HOST_VARIANTS[variant]
    _check(models[scheme], tmp_path, scheme, dsp=dsp, cflags=cflags)


@pytest.mark.parametrize("dsp", [True, False])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_packed_weights_bit_exact_on_cortex_m4(tmp_path, models, scheme, dsp):
    require_target_tools("cortex-m4")
    _check(models[scheme], tmp_path, scheme, target="cortex-m4", dsp=dsp)


def test_a_dense_model_stays_dense(tmp_path, models):
    """Trained int8 weights take most of the 255 values: no encoding holds them, none is chosen."""
    require_tool("gcc")
    check_c_bit_exact(_model(), tmp_path, count=4, compress="auto")
    assert _packed_ops(tmp_path / "c") == {}


@pytest.mark.parametrize("encoding", [*packing.ENCODINGS, "lut3 shared", "lut4 shared"])
def test_encodings_round_trip(encoding):
    rng = np.random.default_rng(1)
    rows, depth = 7, 45
    shared = encoding.endswith(" shared")
    encoding = encoding.removesuffix(" shared")
    if encoding == "int4":
        w = rng.integers(-8, 8, (rows, depth))
    elif encoding == "sparse":
        kept = (rng.random((rows, (depth + 3) // 4)) < 0.3).repeat(4, 1)[:, :depth]
        w = rng.integers(-128, 128, (rows, depth)) * kept
    else:
        palette = rng.integers(-128, 128, (1 if shared else rows, 1 << int(encoding[3:])))
        palette = np.broadcast_to(palette, (rows, palette.shape[1]))
        w = np.take_along_axis(palette, rng.integers(0, palette.shape[1], (rows, depth)), 1)
    p = packing.encode(w.astype(np.int8), encoding)
    assert p is not None and p.nbytes < w.size
    if encoding.startswith("lut"):  # one table where the layer has few enough values, else one a channel
        assert p.values.shape[0] == (1 if shared else rows) and p.table_step == (0 if shared else p.values.shape[1])
        # 4-bit indices into one table are stored in pairs (k, k + 2), (k + 1, k + 3) for the loops that read them
        assert p.paired == (shared and encoding == "lut4")
        assert p.row_bytes == (2 * -(-depth // 4) if p.paired else -(-depth * p.bits // 8))
    np.testing.assert_array_equal(packing.unpack(p), w)


def test_an_encoding_that_cannot_hold_the_weights_is_refused():
    w = np.arange(-64, 64, dtype=np.int8).reshape(4, 32)  # 32 distinct values a channel, up to 63
    assert packing.encode(w, "int4") is None
    assert packing.encode(w, "lut4") is None
    assert packing.choose(w, packing.ENCODINGS) is None  # sparse holds them but saves nothing


def test_compress_values_are_checked():
    with pytest.raises(ValueError, match="lut5"):
        packing.allowed("lut4,lut5")
    assert packing.allowed("auto") == packing.ENCODINGS
    assert packing.allowed("none") == ()
    assert packing.allowed("sparse, int4") == ("int4", "sparse")
    assert packing.allowed("lut3t") == ("lut3",)  # edgenn compress's one-table scheme, packed by lut3


def _ds_block():
    """A depthwise-separable stack (the KWS model's shape): the pointwise layers write over the input
    they have read (plan.streaming), their weights packed."""
    keras.utils.set_random_seed(7)
    x = keras.Input(batch_shape=(1, 15, 7, 1))
    y = keras.layers.Conv2D(24, (5, 3), strides=(2, 1), padding="same", activation="relu")(x)
    for _ in range(2):
        y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(y)
        y = keras.layers.Conv2D(24, 1, activation="relu")(y)
    y = keras.layers.GlobalAveragePooling2D()(y)
    return int8_tflite(keras.Model(x, keras.layers.Dense(5)(y)))


@pytest.mark.parametrize("scheme", ["int4", "sparse"])
@pytest.mark.parametrize("case", ["mobile", "residual", "ds"])
def test_packed_layers_keep_streaming_and_chains(tmp_path, case, scheme):
    """int4 and sparse convolutions read their input as the dense ones do: the planner still streams
    them over their consumed input and holds them in row-streamed chains, with no scratch, and the C
    stays bit-exact on the host and the Cortex-M4."""
    from edgenn.export.codegen import generate
    from tests.e2e.test_streaming import MODELS

    require_tool("gcc")
    keras.utils.set_random_seed(3)
    dense = _ds_block() if case == "ds" else int8_tflite(MODELS[case]())
    data = compress_tflite(dense, scheme, sparsity=0.5)[0]
    gen = generate(parse_tflite(data), "net", "test", compress=scheme)
    plain = generate(parse_tflite(dense), "net", "test", compress="none")
    packed = set(gen.packings)
    assert packed and all(p.group == 0 for p in gen.packings.values())  # read in the loop: no scratch
    assert gen.arena_bytes == plain.arena_bytes
    streamed = packed & (set(gen.plan.streaming) | set(gen.plan.chained))
    assert streamed, (sorted(gen.plan.streaming), [c.ops for c in gen.plan.chains], sorted(packed))
    check_c_bit_exact(data, tmp_path / "host", count=8, compress=scheme)
    require_target_tools("cortex-m4")
    check_c_bit_exact(data, tmp_path / "m4", count=8, compress=scheme, target="cortex-m4")


def test_one_table_4_bit_layers_read_in_the_loop_and_stream(tmp_path):
    """4-bit indices into one table per layer are read in the kernels' loops (CONV_LUT4, FC_LUT4), two
    values a lookup in a table of pairs the layer builds in the arena: no channels unpacked, the
    convolutions still stream over their consumed input or join row-streamed chains (whose layers share
    one table's bytes), the arena grows by one table at most, and the C stays bit-exact on the host and
    the Cortex-M4 with and without DSP."""
    from edgenn.export.codegen import generate

    require_tool("gcc")
    dense = _ds_block()
    data = compress_tflite(dense, "lut4t")[0]
    gen = generate(parse_tflite(data), "net", "test", compress="lut4t")
    plain = generate(parse_tflite(dense), "net", "test", compress="none")
    assert gen.packings and all(p.paired and p.group == 0 for p in gen.packings.values())
    assert all(p.scratch_bytes == packing.PAIR_TABLE_BYTES for p in gen.packings.values())
    pointwise = [op.index for op in gen.graph.ops if op.name == "CONV_2D" and op.index > 0]
    assert set(pointwise) <= set(gen.packings) and set(pointwise) <= set(gen.plan.streaming), gen.plan.streaming
    assert gen.arena_bytes <= plain.arena_bytes + packing.PAIR_TABLE_BYTES
    check_c_bit_exact(data, tmp_path / "host", count=8, compress="lut4t")
    require_target_tools("cortex-m4")
    for dsp in (True, False):
        check_c_bit_exact(data, tmp_path / f"m4-{dsp}", count=8, compress="lut4t", target="cortex-m4", dsp=dsp)


def test_one_table_4_bit_layers_join_chains_sharing_one_table(tmp_path):
    """Two 3x3 convolutions and a pooling row-streamed as one chain (digits' shape), the convolutions'
    weights as 4-bit indices into one table each: the chain holds them, their tables of pairs take one
    buffer (each stage call builds its own before reading it), and the C stays bit-exact."""
    from edgenn.export.codegen import generate

    require_tool("gcc")
    keras.utils.set_random_seed(11)
    x = keras.Input(batch_shape=(1, 12, 12, 3))
    y = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(y)
    y = keras.layers.MaxPooling2D(2)(y)
    y = keras.layers.Dense(10)(keras.layers.Flatten()(y))
    data = compress_tflite(int8_tflite(keras.Model(x, y)), "lut4t")[0]
    gen = generate(parse_tflite(data), "net", "test", compress="lut4t")
    convs = [op.index for op in gen.graph.ops if op.name == "CONV_2D" and op.index in gen.packings]
    chained = [c.ops for c in gen.plan.chains if set(convs) <= set(c.ops)]
    assert len(convs) == 2 and chained, ([c.ops for c in gen.plan.chains], convs)
    tables = {gen.plan.offset(gen.packings[i].scratch) for i in convs}
    assert len(tables) == 1
    check_c_bit_exact(data, tmp_path / "host", count=6, compress="lut4t")
    require_target_tools("cortex-m4")
    check_c_bit_exact(data, tmp_path / "m4", count=6, compress="lut4t", target="cortex-m4")


@pytest.mark.parametrize("scheme", ["int4", "sparse", "lut4t"])
def test_a_model_packed_throughout_compiles_no_dense_kernel(tmp_path, models, scheme):
    """Where every CONV_2D and FULLY_CONNECTED reads its packed weights in its loop, the dense kernels'
    code is not compiled (CONV_DENSE, FC_DENSE off): the model is smaller by it, and still bit-exact."""
    from edgenn.export.codegen import generate

    require_tool("gcc")
    data = models[scheme]
    gen = generate(parse_tflite(data), "net", "test", compress=scheme)
    assert all(p.group == 0 for p in gen.packings.values())
    config = gen.files["edgenn/config.h"]
    assert "#define EDGENN_USE_CONV_DENSE 0" in config and "#define EDGENN_USE_FC_DENSE 0" in config
    plain = generate(parse_tflite(data), "net", "test", compress="none").files["edgenn/config.h"]
    assert "#define EDGENN_USE_CONV_DENSE 1" in plain and "#define EDGENN_USE_FC_DENSE 1" in plain
    check_c_bit_exact(data, tmp_path, count=4, compress=scheme)


def test_one_table_4_bit_windows_too_deep_for_the_loop_unpack(tmp_path):
    """A convolution whose windows are deeper than the pair path's patch buffer (3x3 over 72 channels:
    648 values) unpacks its paired indices a group of channels at a time instead (UNPACK_PAIRS), and
    stays bit-exact on the host and the Cortex-M4."""
    from edgenn.export.codegen import generate

    require_tool("gcc")
    keras.utils.set_random_seed(13)
    x = keras.Input(batch_shape=(1, 5, 5, 72))
    y = keras.layers.Conv2D(12, 3, activation="relu")(x)
    y = keras.layers.Dense(6)(keras.layers.Flatten()(y))
    data = compress_tflite(int8_tflite(keras.Model(x, y)), "lut4t")[0]
    gen = generate(parse_tflite(data), "net", "test", compress="lut4t")
    conv = next(op.index for op in gen.graph.ops if op.name == "CONV_2D")
    assert gen.packings[conv].paired and gen.packings[conv].group > 0
    assert "#define EDGENN_USE_UNPACK_PAIRS 1" in gen.files["edgenn/config.h"]
    check_c_bit_exact(data, tmp_path / "host", count=6, compress="lut4t")
    require_target_tools("cortex-m4")
    check_c_bit_exact(data, tmp_path / "m4", count=6, compress="lut4t", target="cortex-m4")


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_a_ram_budget_lets_unpacked_layers_take_more_channels_at_a_time(tmp_path, models, target):
    """Without a budget a palettized layer unpacks as many channels at a time as the smallest arena
    leaves room for; with one, as many as fit the budget (fewer passes over its input), still bit-exact,
    and the arena within the budget."""
    if target != "host":
        require_target_tools(target)
    data = models["lut3"]
    check_c_bit_exact(data, tmp_path / "least", count=6, target=target, compress="lut3")
    least = json.loads((tmp_path / "least" / "c" / "edgenn.json").read_text())
    budget = least["arena_bytes"] + 4096
    check_c_bit_exact(data, tmp_path / "budget", count=6, target=target, compress="lut3", ram_budget=budget)
    wide = json.loads((tmp_path / "budget" / "c" / "edgenn.json").read_text())
    assert least["arena_bytes"] < wide["arena_bytes"] <= budget
    groups = {p["op"]: p["group"] for p in least["packed"]}
    assert all(p["group"] >= groups[p["op"]] for p in wide["packed"]), (least["packed"], wide["packed"])
    assert any(p["group"] > groups[p["op"]] for p in wide["packed"]), (least["packed"], wide["packed"])
