"""Hostile inputs through every command: mutated .tflite, .onnx, .npz, recipes and build-folder files.

Usage: python benchmarks/fuzz.py [--cases 20000] [--seed 0] [--jobs N] [--compile N] [--keep DIR] [--libfuzzer 60]

Each case takes a valid seed file, mutates it (byte-level: bit flips, truncation, spliced chunks;
schema-aware: a .tflite's shapes, types, buffer/opcode/tensor indices, quantization, options and
names rewritten through the flatbuffer schema; an .onnx's dims, types, attributes and initializers
through its protobuf; an .npz's keys, dtypes and shapes; JSON values and TOML fields) and runs one
`edgenn` command on it in a forked child with a time limit. Outcomes:

  clean      exit 2 with exactly one line on stderr (the contract for bad input)
  accepted   exit 0 or 1 (still a valid input, or a gate that failed as it should)
  traceback  a Python traceback, or an exit status edgenn never uses
  crash      the child died from a signal (a native crash)
  hang       the child outlived the time limit
  multiline  exit 2 with more than one line on stderr
  partial    a failed command left an output behind, or any command left a temporary file

It prints a table of counts per input kind and overall; the C of up to --compile distinct accepted
models is compiled with the strict flags (-Wall -Wextra -Werror -pedantic) and must build. Then
libFuzzer (benchmarks/libfuzzer.py) drives each model's generated entry point for --libfuzzer seconds
under ASan and UBSan.
Recipes are fuzzed through `edgenn.recipe.load_recipe` (a recipe that loads would start a training).
The seeds are the TFLM examples in ../shared, an ONNX model built here with onnx.helper, and a build
folder imported from hello_world_int8; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("EDGENN_SHARED", REPO.parent / "shared"))
EXAMPLES = SHARED / "models" / "tflm-examples"

OUTCOMES = ("clean", "accepted", "traceback", "crash", "hang", "multiline", "partial")
HOSTILE_NAMES = (
    "*/ #error injected from a model /*",
    "name\n#error newline",
    "trail\\",
    "??/ trigraph ??=",
    "ünïcødé ✓ \u202e",
    "\x00nul\x1b[31m",
    "x" * 5000,
    "",
)
INTERESTING_INTS = (0, 1, -1, 2, 3, 127, 128, -128, 255, 256, 65535, 2**31 - 1, -(2**31), 2**32 - 1, 10**6)
INTERESTING_FLOATS = (0.0, -0.0, -1.0, float("nan"), float("inf"), float("-inf"), 1e-45, 1e30, 1e-30, 3.0)


# ----- seeds ------------------------------------------------------------------------------------


def _onnx_seed() -> bytes:
    """A small float MLP (Gemm, Relu, Gemm, Softmax) on a [1, 4] input."""
    import onnx
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    w1 = helper.make_tensor("w1", TensorProto.FLOAT, [4, 8], rng.normal(size=32).astype(np.float32))
    b1 = helper.make_tensor("b1", TensorProto.FLOAT, [8], rng.normal(size=8).astype(np.float32))
    w2 = helper.make_tensor("w2", TensorProto.FLOAT, [8, 3], rng.normal(size=24).astype(np.float32))
    b2 = helper.make_tensor("b2", TensorProto.FLOAT, [3], rng.normal(size=3).astype(np.float32))
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["z"]),
        helper.make_node("Softmax", ["z"], ["y"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [w1, b1, w2, b2],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@dataclass
class Seeds:
    root: Path
    tflite: dict[str, bytes]
    onnx: bytes
    npz: bytes  # x, y for hello_world (regression)
    build: Path  # an imported, evaluated build folder of hello_world_int8, with its C built
    recipes: dict[str, str]


def make_seeds(root: Path) -> Seeds:
    from edgenn.cli import main as edgenn_main

    root.mkdir(parents=True, exist_ok=True)
    tflite = {
        name: (EXAMPLES / f"{name}.tflite").read_bytes()
        for name in ("hello_world_int8", "micro_speech_quantized", "hello_world_float", "keyword_scrambled_8bit")
    }
    x = np.linspace(0, 6.28, 24, dtype=np.float32).reshape(-1, 1)
    npz = _npz(x=x, y=np.sin(x).astype(np.float32))
    (root / "hello_world_int8.tflite").write_bytes(tflite["hello_world_int8"])
    (root / "data.npz").write_bytes(npz)
    build = root / "build"
    for argv in (
        ["convert", str(root / "hello_world_int8.tflite"), "-o", str(build), "--task", "regression"],
        ["codegen", str(build)],
        ["firmware", "build", str(build / "c"), "--target", "host"],
        ["eval", str(build), "--data", str(root / "data.npz")],
    ):
        code = _run_inline(edgenn_main, argv)
        if code != 0:
            raise SystemExit(f"seed step failed: edgenn {' '.join(argv)} (exit {code})")
    recipes = {p.name: p.read_text() for p in sorted((REPO / "models").glob("*.toml"))}
    return Seeds(root, tflite, _onnx_seed(), npz, build, recipes)


def _run_inline(fn, argv) -> int:
    try:
        fn(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0


# ----- mutations --------------------------------------------------------------------------------


def mutate_bytes(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    buf = bytearray(data)
    how = rng.choice(["flip", "set", "truncate", "splice", "zero_run", "insert"])
    if not buf:
        return bytes(rng.integers(0, 256, 16, dtype=np.uint8)), "random"
    if how == "flip":
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(len(buf)))
            buf[i] ^= 1 << int(rng.integers(8))
    elif how == "set":
        for _ in range(int(rng.integers(1, 5))):
            buf[int(rng.integers(len(buf)))] = int(rng.choice([0, 0xFF, 0x7F, 0x80, 0x01]))
    elif how == "truncate":
        buf = buf[: int(rng.integers(len(buf)))]
    elif how == "splice":
        a, b = sorted(int(v) for v in rng.integers(len(buf), size=2))
        c = int(rng.integers(len(buf)))
        buf[c:c] = buf[a:b]
    elif how == "zero_run":
        a = int(rng.integers(len(buf)))
        buf[a : a + int(rng.integers(1, 64))] = bytes(min(64, len(buf) - a))
    else:
        a = int(rng.integers(len(buf)))
        buf[a:a] = bytes(rng.integers(0, 256, int(rng.integers(1, 32)), dtype=np.uint8))
    return bytes(buf), f"bytes:{how}"


def _pick(rng, items):
    return items[int(rng.integers(len(items)))] if len(items) else None


def mutate_tflite(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """Rewrite one field of the model through the schema's object API and serialize it again."""
    import flatbuffers

    from edgenn.graph.tflite import schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    sub = m.subgraphs[0]
    tensors, ops = sub.tensors or [], sub.operators or []
    t = _pick(rng, tensors)
    op = _pick(rng, ops)
    n_t = len(tensors)
    what = str(
        rng.choice(
            [
                "shape",
                "type",
                "buffer",
                "opcode",
                "op_io",
                "scale",
                "zero_point",
                "qdim",
                "options",
                "options_type",
                "name",
                "custom",
                "io",
                "buffer_data",
                "version",
                "drop_op",
                "dup_op",
            ]
        )
    )
    if what == "shape" and t is not None:
        shape = list(t.shape if t.shape is not None else [])
        choice = int(rng.integers(4))
        if choice == 0 and shape:
            shape[int(rng.integers(len(shape)))] = int(rng.choice(INTERESTING_INTS))
        elif choice == 1:
            shape.append(int(rng.choice([1, 2, 0, 7])))
        elif choice == 2 and shape:
            shape.pop()
        else:
            shape = [int(rng.integers(1, 4))] * int(rng.integers(0, 9))
        t.shape = shape
    elif what == "type" and t is not None:
        t.type = int(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 17, 99]))
    elif what == "buffer" and t is not None:
        t.buffer = int(rng.choice([0, 1, len(m.buffers or []) - 1, len(m.buffers or []), 2**31 - 1]))
    elif what == "opcode" and op is not None:
        if rng.random() < 0.5:
            op.opcodeIndex = int(rng.choice([len(m.operatorCodes), 2**31 - 1, 0]))
        else:
            code = _pick(rng, m.operatorCodes)
            code.builtinCode = int(rng.choice([0, 3, 9, 22, 25, 32, 150, 209, 500]))
            code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    elif what == "op_io" and op is not None:
        lst = list(op.inputs if rng.random() < 0.5 and op.inputs is not None else op.outputs)
        if lst:
            lst[int(rng.integers(len(lst)))] = int(rng.choice([-1, -2, n_t, n_t + 5, 0, 2**31 - 1]))
        else:
            lst = [int(rng.integers(-1, n_t + 2))]
        if rng.random() < 0.5:
            op.inputs = lst
        else:
            op.outputs = lst
    elif what in ("scale", "zero_point", "qdim") and t is not None:
        q = t.quantization or schema.QuantizationParametersT()
        t.quantization = q
        if what == "scale":
            scale = list(q.scale if q.scale is not None else [1.0])
            if rng.random() < 0.3:
                scale = scale + [float(rng.choice(INTERESTING_FLOATS))]
            else:
                scale[int(rng.integers(len(scale)))] = float(rng.choice(INTERESTING_FLOATS))
            q.scale = scale
        elif what == "zero_point":
            zp = list(q.zeroPoint if q.zeroPoint is not None else [0])
            zp[int(rng.integers(len(zp)))] = int(rng.choice(INTERESTING_INTS))
            q.zeroPoint = zp
        else:
            q.quantizedDimension = int(rng.choice([0, 1, 3, 5, 100, 2**31 - 1]))
    elif what == "options" and op is not None and op.builtinOptions is not None:
        fields = [k for k, v in vars(op.builtinOptions).items() if isinstance(v, (int, float))]
        if fields:
            field = fields[int(rng.integers(len(fields)))]
            value = getattr(op.builtinOptions, field)
            new = (
                float(rng.choice(INTERESTING_FLOATS)) if isinstance(value, float) else int(rng.choice(INTERESTING_INTS))
            )
            if isinstance(value, int) and not isinstance(value, bool):
                new = int(np.clip(new, -(2**31), 2**31 - 1))
            setattr(op.builtinOptions, field, new)
    elif what == "options_type" and op is not None:
        kinds = [v for k, v in vars(schema.BuiltinOptions).items() if not k.startswith("_")]
        kind = int(rng.choice(kinds))
        op.builtinOptionsType = kind
        op.builtinOptions = _default_options(schema, kind)
    elif what == "name" and t is not None:
        t.name = str(rng.choice(HOSTILE_NAMES)).encode("utf-8", "surrogatepass")
    elif what == "custom":
        code = _pick(rng, m.operatorCodes)
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
        code.customCode = str(rng.choice(HOSTILE_NAMES[:6])).encode("utf-8", "surrogatepass")
    elif what == "io":
        sub.inputs = [int(rng.choice([-1, 0, n_t, n_t - 1, 2**31 - 1]))] * int(rng.integers(0, 3))
    elif what == "buffer_data" and m.buffers:
        b = m.buffers[int(rng.integers(len(m.buffers)))]
        old = np.asarray(b.data if b.data is not None else [], dtype=np.uint8)
        cut = int(rng.integers(0, len(old) + 9))
        b.data = np.resize(old, cut) if len(old) else np.zeros(cut, dtype=np.uint8)
    elif what == "version":
        m.version = int(rng.choice([0, 2, 4, 2**31 - 1]))
    elif what == "drop_op" and ops:
        ops.pop(int(rng.integers(len(ops))))
    elif what == "dup_op" and ops:
        ops.insert(int(rng.integers(len(ops) + 1)), copy.deepcopy(_pick(rng, ops)))
    builder = flatbuffers.Builder(len(data) + 4096)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), f"tflite:{what}"


def _default_options(schema, kind: int):
    names = {v: k for k, v in vars(schema.BuiltinOptions).items() if not k.startswith("_")}
    cls = getattr(schema, f"{names[kind]}T", None)
    return cls() if cls is not None else None


def mutate_onnx(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    import onnx

    m = onnx.load_model_from_string(data)
    g = m.graph
    what = str(rng.choice(["dims", "dtype", "raw", "op_type", "attr", "input_name", "opset", "external", "io_shape"]))
    init = _pick(rng, list(g.initializer))
    node = _pick(rng, list(g.node))
    if what == "dims" and init is not None:
        dims = list(init.dims)
        dims[int(rng.integers(len(dims)))] = int(rng.choice([0, -1, 2**31 - 1, 3, 1]))
        del init.dims[:]
        init.dims.extend(dims)
    elif what == "dtype" and init is not None:
        init.data_type = int(rng.choice([0, 2, 3, 6, 7, 8, 10, 11, 16, 99]))
    elif what == "raw" and init is not None:
        raw = init.raw_data or np.asarray(init.float_data, dtype=np.float32).tobytes()
        del init.float_data[:]
        init.raw_data = raw[: int(rng.integers(0, len(raw) + 1))] + bytes(int(rng.integers(0, 3)))
    elif what == "op_type" and node is not None:
        node.op_type = str(rng.choice(["Conv", "MaxPool", "Reshape", "Unknown", "", "Gemm", "Softmax"]))
    elif what == "attr" and node is not None:
        node.attribute.append(
            onnx.helper.make_attribute(str(rng.choice(["axis", "transA", "alpha"])), int(rng.choice(INTERESTING_INTS)))
        )
    elif what == "input_name" and node is not None:
        node.input[int(rng.integers(len(node.input)))] = str(rng.choice(["missing", "", "y", "x"]))
    elif what == "opset":
        m.opset_import[0].version = int(rng.choice([1, 7, 99, 0]))
    elif what == "external" and init is not None:
        init.data_location = onnx.TensorProto.EXTERNAL
        init.external_data.add(key="location", value="../../../etc/passwd")
    else:
        dim = g.input[0].type.tensor_type.shape.dim[int(rng.integers(2))]
        dim.dim_value = int(rng.choice([0, 2**40, 7, 1]))
    return m.SerializeToString(), f"onnx:{what}"


def mutate_npz(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    with np.load(io.BytesIO(data)) as z:
        arrays = {k: z[k] for k in z.files}
    what = str(rng.choice(["key", "dtype", "shape", "values", "empty", "object", "header", "extra"]))
    if what == "key":
        k = str(rng.choice(list(arrays)))
        arrays[str(rng.choice(["X", "x_", "labels", ""]))] = arrays.pop(k)
    elif what == "dtype":
        k = str(rng.choice(list(arrays)))
        arrays[k] = arrays[k].astype(str(rng.choice(["int8", "float64", "complex64", "bool", "U3", "uint64"])))
    elif what == "shape":
        k = str(rng.choice(list(arrays)))
        arrays[k] = arrays[k].reshape(-1)[: int(rng.integers(0, arrays[k].size + 1))]
        if rng.random() < 0.5:
            arrays[k] = arrays[k].reshape(-1, 1, 1)
    elif what == "values":
        k = str(rng.choice(list(arrays)))
        a = arrays[k].astype(np.float32)
        a.reshape(-1)[int(rng.integers(a.size))] = float(rng.choice(INTERESTING_FLOATS))
        arrays[k] = a
    elif what == "empty":
        arrays = {k: v[:0] for k, v in arrays.items()}
    elif what == "object":
        buf = io.BytesIO()
        np.savez(buf, x=np.array([{"a": 1}, None], dtype=object), y=arrays.get("y", np.zeros(2)))
        return buf.getvalue(), "npz:object"
    elif what == "header":  # an .npy header that promises a huge array
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            head = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 1), }"
            npy = b"\x93NUMPY\x01\x00" + len(head + "\n").to_bytes(2, "little") + (head + "\n").encode()
            z.writestr("x.npy", npy + bytes(64))
            z.writestr("y.npy", npy + bytes(64))
        return buf.getvalue(), "npz:header"
    else:
        arrays["x_calib"] = np.full((2, 3), np.nan, dtype=np.float32)
    return _npz(**arrays), f"npz:{what}"


def _json_paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _json_paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _json_paths(v, (*prefix, i))


def mutate_json(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    if rng.random() < 0.25:
        return mutate_bytes(data, rng)
    obj = json.loads(data)
    paths = [p for p in _json_paths(obj) if p]
    if not paths:
        return b"[]", "json:root"
    path = paths[int(rng.integers(len(paths)))]
    parent = obj
    for k in path[:-1]:
        parent = parent[k]
    values = [None, -1, 0, 2**63, 1e308, "", "x" * 300, [], {}, True, "*/ #error x", [1, "a", None]]
    if rng.random() < 0.2 and isinstance(parent, dict):
        del parent[path[-1]]
        how = "delete"
    else:
        parent[path[-1]] = values[int(rng.integers(len(values)))]
        how = "replace"
    text = json.dumps(obj, allow_nan=True)
    if rng.random() < 0.1:
        text = text.replace("1", "NaN", 1)
    return text.encode(), f"json:{how}"


def mutate_toml(text: str, rng: np.random.Generator) -> tuple[bytes, str]:
    lines = text.splitlines()
    assignments = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
    what = str(rng.choice(["value", "delete", "bytes", "dup_table", "key"]))
    if what == "bytes" or not assignments:
        return mutate_bytes(text.encode(), rng)
    i = assignments[int(rng.integers(len(assignments)))]
    key = lines[i].split("=", 1)[0]
    if what == "value":
        value = str(rng.choice(['"x"', "-1", "0", "1e400", "nan", "[]", "{}", "true", '"../../../etc"', "99999999999"]))
        lines[i] = f"{key}= {value}"
    elif what == "delete":
        lines.pop(i)
    elif what == "dup_table":
        lines.append(lines[0] if lines[0].startswith("[") else "[model]")
    else:
        lines[i] = f"unknown_key_{int(rng.integers(9))} = 1"
    return ("\n".join(lines) + "\n").encode(), f"toml:{what}"


# ----- cases ------------------------------------------------------------------------------------


@dataclass
class Case:
    index: int
    kind: str  # what was mutated
    mutation: str
    argv: list[str]  # edgenn's arguments, or ["<recipe>", path] for load_recipe
    workdir: Path
    outputs: list[Path]  # what the command may write; absent after a clean failure
    unchanged: dict[Path, bytes] = field(default_factory=dict)  # files a failed command must leave as they were
    started: float = 0.0


def make_case(i: int, seed: int, seeds: Seeds, root: Path) -> Case:
    rng = np.random.default_rng([seed, i])
    work = root / f"case{i:06d}"
    work.mkdir(parents=True)
    kind = str(rng.choice(["tflite", "tflite", "tflite", "tflite_bytes", "onnx", "npz", "json", "recipe"]))
    out = work / "out"
    if kind in ("tflite", "tflite_bytes"):
        name = str(
            rng.choice(
                [
                    "hello_world_int8",
                    "hello_world_int8",
                    "micro_speech_quantized",
                    "hello_world_float",
                    "keyword_scrambled_8bit",
                ]
            )
        )
        base = seeds.tflite[name]
        try:
            data, how = mutate_tflite(base, rng) if kind == "tflite" else mutate_bytes(base, rng)
        except Exception as exc:  # a mutation the schema cannot serialize: fall back to bytes
            data, how = mutate_bytes(base, rng)
            how += f" (after {type(exc).__name__})"
        model = work / "model.tflite"
        model.write_bytes(data)
        command = str(rng.choice(["analyze", "analyze_json", "export", "codegen", "codegen", "convert", "eval"]))
        argv = {
            "analyze": ["analyze", str(model)],
            "analyze_json": ["analyze", str(model), "--json"],
            "export": ["export", str(model), "-o", str(out)],
            "codegen": ["codegen", str(model), "-o", str(out)],
            "convert": ["convert", str(model), "-o", str(out), "--task", "regression"],
            "eval": [
                "eval",
                str(model),
                "--data",
                str(seeds.root / "data.npz"),
                "-o",
                str(out),
                "--task",
                "regression",
            ],
        }[command]
        return Case(i, kind, how, argv, work, [out])
    if kind == "onnx":
        data, how = mutate_onnx(seeds.onnx, rng)
        model = work / "model.onnx"
        model.write_bytes(data)
        return Case(i, kind, how, ["convert", str(model), "-o", str(out)], work, [out])
    if kind == "npz":
        data, how = mutate_npz(seeds.npz, rng) if rng.random() < 0.8 else mutate_bytes(seeds.npz, rng)
        npz = work / "data.npz"
        npz.write_bytes(data)
        build = work / "build"
        shutil.copytree(seeds.build, build, symlinks=True)
        report = build / "report.json"
        before = report.read_bytes()
        return Case(i, kind, how, ["eval", str(build), "--data", str(npz)], work, [], {report: before})
    if kind == "json":
        build = work / "build"
        shutil.copytree(seeds.build, build, symlinks=True)
        target = str(rng.choice(["source.json", "report.json", "c/edgenn.json"]))
        data, how = mutate_json((build / target).read_bytes(), rng)
        (build / target).write_bytes(data)
        command = {
            "source.json": ["eval", str(build), "--data", str(seeds.root / "data.npz")],
            "report.json": ["gate", str(build), "--max-flash", "100000"],
            "c/edgenn.json": [
                "firmware",
                "run",
                str(build / "c"),
                "--inputs",
                str(work / "in.npy"),
                "--outputs",
                str(out / "o.npy"),
            ],
        }[target]
        np.save(work / "in.npy", np.zeros((3, 1), dtype=np.int8))
        if target == "source.json" and rng.random() < 0.5:
            command = ["export", str(build), "-o", str(out)]
        report = build / "report.json"
        return Case(i, kind, f"{target}:{how}", command, work, [out], {report: report.read_bytes()})
    name = str(rng.choice(list(seeds.recipes)))
    data, how = mutate_toml(seeds.recipes[name], rng)
    recipe = work / name
    recipe.write_bytes(data)
    return Case(i, "recipe", how, ["<recipe>", str(recipe)], work, [])


# ----- running ----------------------------------------------------------------------------------


def _child(case: Case, timeout: float) -> None:
    """In the forked child: run the case with stdout/stderr in files, exit with edgenn's status."""
    # What the parent process holds stays as it is: collecting it here would run its finalizers in the
    # child, and TensorFlow's (functions a caller traced before the fuzz) abort after fork().
    gc.freeze()
    signal.alarm(max(1, int(timeout)))
    os.chdir(case.workdir)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        f = os.open(case.workdir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(f, fd)
        os.close(f)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), line_buffering=True)
    from edgenn import console

    console.out.file, console.err.file = sys.stdout, sys.stderr  # both keep their own handles otherwise
    code = 0
    try:
        if case.argv[0] == "<recipe>":
            from edgenn.errors import EdgeNNError
            from edgenn.recipe import load_recipe

            try:
                load_recipe(Path(case.argv[1]))
            except EdgeNNError as exc:
                print(f"edgenn: error: {exc.line()}", file=sys.stderr)
                code = 2
        else:
            from edgenn.cli import main as edgenn_main

            sys.argv = ["edgenn", *case.argv]
            edgenn_main(case.argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def classify(case: Case, status: int) -> str:
    err = (case.workdir / "stderr").read_text("utf-8", "replace")
    lines = [line for line in err.splitlines() if line.strip()]
    temps = [p for p in case.workdir.rglob("*") if p.name.startswith(".") and (".tmp" in p.name or p.is_dir())]
    if os.WIFSIGNALED(status):
        return "hang" if os.WTERMSIG(status) == signal.SIGALRM else "crash"
    code = os.waitstatus_to_exitcode(status)
    if "Traceback (most recent call last)" in err or code not in (0, 1, 2):
        return "traceback"
    if code == 2:
        if len(lines) != 1 or not lines[0].startswith("edgenn: error:"):
            return "multiline"
        if temps or any(p.exists() for p in case.outputs):
            return "partial"
        if any(p.read_bytes() != before for p, before in getattr(case, "unchanged", {}).items()):
            return "partial"
        return "clean"
    if code == 1 and not err.strip():
        return "traceback"
    return "partial" if temps else "accepted"


def run_cases(cases_iter, jobs: int, timeout: float, on_done) -> None:
    running: dict[int, Case] = {}
    pending = iter(cases_iter)
    exhausted = False
    while running or not exhausted:
        while not exhausted and len(running) < jobs:
            case = next(pending, None)
            if case is None:
                exhausted = True
                break
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    _child(case, timeout)
                finally:
                    os._exit(70)
            case.started = time.perf_counter()
            running[pid] = case
        if running:
            pid, status = os.wait()
            case = running.pop(pid, None)
            if case is not None:
                on_done(case, status)


def compile_strict(folder: Path) -> str | None:
    """Build a generated C folder for the host with the strict flags; the compiler's complaint, if any."""
    from edgenn import toolchain
    from edgenn.errors import EdgeNNError

    try:
        toolchain.build(folder, "host", extra_cflags="-Wall -Wextra -Werror -pedantic")
    except EdgeNNError as exc:
        return exc.line()
    return None


def fuzz(cases: int, seed: int, jobs: int, timeout: float, keep: Path | None, compile_max: int, log=print) -> dict:
    """Run `cases` cases; returns {"by_kind": {kind: Counter}, "total": Counter, "bad": [...], "compiled": n}."""
    os.environ["EDGENN_QUIET"] = "1"
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="edgenn-fuzz-"))
    # Import what the commands use once, so that each forked case starts warm.
    import edgenn.cli  # noqa: F401
    import edgenn.evaluate.evaluate  # noqa: F401
    import edgenn.export.carray  # noqa: F401
    import edgenn.export.codegen  # noqa: F401
    import edgenn.recipe  # noqa: F401

    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        seeds = make_seeds(root / "seeds")
    by_kind: dict[str, Counter] = {}
    bad: list[dict] = []
    seconds: dict[str, list[float]] = defaultdict(list)
    accepted_c: dict[str, Path] = {}
    start = time.time()
    done = [0]

    def on_done(case: Case, status: int) -> None:
        outcome = classify(case, status)
        seconds[f"{case.kind} {case.argv[0]}"].append(time.perf_counter() - case.started)
        by_kind.setdefault(case.kind, Counter())[outcome] += 1
        if outcome not in ("clean", "accepted"):
            err = (case.workdir / "stderr").read_text("utf-8", "replace")
            bad.append(
                {
                    "case": case.index,
                    "kind": case.kind,
                    "mutation": case.mutation,
                    "argv": case.argv,
                    "outcome": outcome,
                    "stderr": err[-2000:],
                }
            )
            (case.workdir / "outcome").write_text(outcome)
        elif outcome == "accepted" and case.argv[0] == "codegen" and (case.workdir / "out" / "edgenn.json").is_file():
            key = "".join(p.read_text() for p in sorted((case.workdir / "out").glob("*.c")))
            if key not in accepted_c and len(accepted_c) < compile_max:
                keep_dir = root / "accepted_c" / f"case{case.index:06d}"
                shutil.copytree(case.workdir / "out", keep_dir)
                accepted_c[key] = keep_dir
        if outcome in ("clean", "accepted") and not keep:
            shutil.rmtree(case.workdir, ignore_errors=True)
        done[0] += 1
        if done[0] % 500 == 0:
            log(f"  {done[0]:,}/{cases:,} cases, {time.time() - start:.0f} s")

    work = root / "cases"
    run_cases((make_case(i, seed, seeds, work) for i in range(cases)), jobs, timeout, on_done)
    compile_failures = []
    for folder in accepted_c.values():
        problem = compile_strict(folder)
        if problem:
            compile_failures.append({"folder": str(folder), "error": problem})
    total = Counter()
    for c in by_kind.values():
        total.update(c)
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "cases": cases,
        "seconds": time.time() - start,
        "by_kind": by_kind,
        "total": total,
        "bad": bad,
        "compiled": len(accepted_c),
        "seconds_by_command": {k: (len(v), sum(v)) for k, v in sorted(seconds.items())},
        "compile_failures": compile_failures,
    }


def table(result: dict) -> str:
    head = "| input | cases | " + " | ".join(OUTCOMES) + " |"
    rows = [head, "|---|" + "---:|" * (len(OUTCOMES) + 1)]
    for kind, c in sorted(result["by_kind"].items()) + [("**all**", result["total"])]:
        rows.append(f"| {kind} | {sum(c.values()):,} | " + " | ".join(f"{c.get(o, 0):,}" for o in OUTCOMES) + " |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a case may run before it counts as a hang")
    ap.add_argument("--compile", type=int, default=200, help="distinct accepted C folders to compile (strict flags)")
    ap.add_argument("--keep", type=Path, default=None, help="keep every case's files in this folder")
    ap.add_argument(
        "--libfuzzer", type=int, default=60, help="seconds of libFuzzer per model on the generated C (0: skip)"
    )
    args = ap.parse_args()
    result = fuzz(args.cases, args.seed, args.jobs, args.timeout, args.keep, args.compile)
    print(table(result))
    compiled_ok = result["compiled"] - len(result["compile_failures"])
    print(
        f"\n{result['cases']:,} cases in {result['seconds']:.0f} s with {args.jobs} jobs (seed {args.seed}); "
        f"accepted C compiled with -Wall -Wextra -Werror -pedantic: {compiled_ok}/{result['compiled']}"
    )
    for b in result["bad"][:20]:
        print(f"- case {b['case']} {b['outcome']} {b['mutation']}: edgenn {' '.join(b['argv'])}")
        print(f"  {b['stderr'].strip()[-600:]}")
    for f in result["compile_failures"][:10]:
        print(f"- C does not compile: {f['folder']}: {f['error']}")
    bad = sum(result["total"].get(o, 0) for o in OUTCOMES[2:]) + len(result["compile_failures"])
    if args.libfuzzer > 0:
        bad += libfuzzer_table(args.libfuzzer)
    sys.exit(1 if bad else 0)


def libfuzzer_table(seconds: int) -> int:
    """libFuzzer (clang, ASan + UBSan) on the generated entry point of every model edgenn compiles;
    prints a table and returns the number of findings."""
    from libfuzzer import default_models, fuzz_model

    from edgenn.errors import EdgeNNError, UnsupportedError

    print(f"\n| model (libFuzzer, {seconds} s each) | input bytes | runs | findings |\n|---|---:|---:|---:|")
    found = 0
    with tempfile.TemporaryDirectory(prefix="edgenn-libfuzzer-") as work:
        for path in default_models():
            try:
                r = fuzz_model(path, seconds, Path(work) / path.stem)
            except UnsupportedError:
                continue  # edgenn makes no C for it
            except EdgeNNError as exc:  # no clang, or it cannot build the fuzzer: said, not counted
                print(f"| {path.stem} | | not run: {exc.line()} | |")
                continue
            found += r["crashes"]
            print(f"| {path.stem} | {r['input_bytes']:,} | {r['runs']:,} | {r['crashes']} |")
    return found


if __name__ == "__main__":
    main()
