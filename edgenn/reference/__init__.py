"""NumPy reference kernels, bit-exact with TFLM: one module per op, registered in one table.

`kernel(name)` returns the module for a TFLite op or raises UnsupportedError naming the op and
listing the supported ones; `traits(name)` is what the planner, the MACs count, analyze and the
TFLM C array read of it (base.Traits), defaults for an op without a module.

An op's int8 module (`OPS`) may have siblings for other activation types, found by name: `<module>_f32`
for float32 activations, `<module>_i16` for int16 (TFLite's int16x8 scheme: int16 activations, int8
weights). `kernel_for(graph, op)` picks by the dtype of the op's input 0 and falls back to the int8
module, whose `prepare` then names the dtype it refuses. A sibling is a whole op module of its own
(NAME, prepare, run, emit, its own C file); the planner's and analyze's traits stay the int8 module's.
"""

from __future__ import annotations

import builtins
import importlib
from functools import cache
from types import ModuleType

from edgenn.errors import UnsupportedError
from edgenn.reference.base import Traits

# TFLite op name → module in this package (and, by the same name, edgenn/firmware/src/<module>.c).
OPS: dict[str, str] = {
    "CONV_2D": "conv_2d",
    "DEPTHWISE_CONV_2D": "depthwise_conv_2d",
    "FULLY_CONNECTED": "fully_connected",
    "ADD": "add",
    "MUL": "mul",
    "AVERAGE_POOL_2D": "average_pool_2d",
    "MAX_POOL_2D": "max_pool_2d",
    "MEAN": "mean",
    "RESHAPE": "reshape",
    "SQUEEZE": "squeeze",
    "PAD": "pad",
    "CONCATENATION": "concatenation",
    "SOFTMAX": "softmax",
    "LOGISTIC": "logistic",
    "TANH": "tanh",
    "RELU": "relu",
    "RELU6": "relu6",
    "LEAKY_RELU": "leaky_relu",
    "QUANTIZE": "quantize",
    "DEQUANTIZE": "dequantize",
    # binary math
    "SUB": "sub",
    "MAXIMUM": "maximum",
    "MINIMUM": "minimum",
    "SQUARED_DIFFERENCE": "squared_difference",
    # unary math
    "ABS": "abs",
    "RSQRT": "rsqrt",
    "HARD_SWISH": "hard_swish",
    # tensor plumbing
    "SPLIT": "split",
    "SPLIT_V": "split_v",
    "UNPACK": "unpack",
    "PACK": "pack",
    "GATHER": "gather",
    "EXPAND_DIMS": "expand_dims",
    "TRANSPOSE": "transpose",
    "SLICE": "slice",
    "STRIDED_SLICE": "strided_slice",
    "DEPTH_TO_SPACE": "depth_to_space",
    "SPACE_TO_DEPTH": "space_to_depth",
    # reductions
    "SUM": "sum",
    "REDUCE_MAX": "reduce_max",
    "ARG_MAX": "arg_max",
    "ARG_MIN": "arg_min",
    "LOG_SOFTMAX": "log_softmax",
    # pads
    "PADV2": "padv2",
    "MIRROR_PAD": "mirror_pad",
    # resize
    "RESIZE_BILINEAR": "resize_bilinear",
    "RESIZE_NEAREST_NEIGHBOR": "resize_nearest_neighbor",
    # vision activations
    "PRELU": "prelu",
    "L2_NORMALIZATION": "l2_normalization",
    "BROADCAST_TO": "broadcast_to",
    # recurrent and audio
    "SVDF": "svdf",
    # lstm
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "unidirectional_sequence_lstm",
    # transposed conv and matmul
    "BATCH_MATMUL": "batch_matmul",
    "TRANSPOSE_CONV": "transpose_conv",
    # float math
    "EXP": "exp",
    "NEG": "neg",
}

# Ops TFLM runs that have no module here: the resolver method the TFLM C array still names for them.
TFLM_ONLY_RESOLVERS: dict[str, str] = {}


def _load(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"edgenn.reference.{module}")
    except ModuleNotFoundError as exc:
        if exc.name == f"edgenn.reference.{module}":
            return None
        raise


def _has_c(module: str) -> bool:
    from edgenn.clib import SRC

    return (SRC / f"{module}.c").is_file()


def supported_ops(need_c: bool = False) -> tuple[str, ...]:
    """Ops with a reference kernel (and, with need_c, a C kernel and its code generator)."""
    return tuple(
        name
        for name, module in OPS.items()
        if (m := _load(module)) is not None and (not need_c or (hasattr(m, "emit") and _has_c(module)))
    )


def _found(name: str, need_c: bool) -> ModuleType | None:
    module = OPS.get(name)
    found = _load(module) if module else None
    if found is None or (need_c and not (hasattr(found, "emit") and _has_c(module))):
        return None
    return found


def missing_ops(names, need_c: bool = False) -> list[str]:
    """The distinct ops among `names` with no kernel (no C kernel with need_c), in first-seen order."""
    return [name for name in dict.fromkeys(names) if _found(name, need_c) is None]


def require_ops(names, where=None, need_c: bool = False) -> None:
    """Raise one UnsupportedError naming every op of `names` that has no kernel, and the supported ones."""
    missing = missing_ops(names, need_c)
    if missing:
        what = f"op {missing[0]} is" if len(missing) == 1 else f"ops {', '.join(missing)} are"
        raise UnsupportedError(where, f"{what} not supported; supported ops: {', '.join(supported_ops(need_c))}")


def kernel(name: str, where=None, need_c: bool = False) -> ModuleType:
    found = _found(name, need_c)
    if found is None:
        require_ops([name], where, need_c)
    return found


# Activation dtype (of an op's input 0) → (suffix of the sibling module, type name for `edgenn ops`).
VARIANTS = {"float32": ("_f32", "float32"), "int16": ("_i16", "int16x8")}
TYPE_ORDER = ("int8", "int16x8", "float32")


def _variant(name: str, dtype: str, need_c: bool) -> ModuleType | None:
    module = OPS.get(name)
    if module is None or dtype not in VARIANTS:
        return None
    sibling = module + VARIANTS[dtype][0]
    found = _load(sibling)
    if found is None or (need_c and not (hasattr(found, "emit") and _has_c(sibling))):
        return None
    return found


def kernel_for(graph, op, where=None, need_c: bool = False) -> ModuleType:
    """The module that runs `op` in `graph`: the sibling for its input 0's dtype where there is one,
    else the op's int8 module."""
    base = kernel(op.name, where, need_c)
    if op.inputs and op.inputs[0] >= 0:
        found = _variant(op.name, graph.tensors[op.inputs[0]].dtype, need_c)
        if found is not None:
            return found
    return base


def module_name(module: ModuleType) -> str:
    """The module's name in this package: its C twin's file name."""
    return module.__name__.rsplit(".", 1)[1]


def op_types(name: str, need_c: bool = False) -> tuple[str, ...]:
    """The activation types `name` runs in: its int8 module's TYPES and one per sibling module."""
    types = set(traits(name).types)
    types.update(type_name for dtype, (_, type_name) in VARIANTS.items() if _variant(name, dtype, need_c) is not None)
    return tuple(t for t in TYPE_ORDER if t in types)


@cache
def traits(name: str) -> Traits:
    module = OPS.get(name)
    found = _load(module) if module else None
    if found is None:
        return Traits(tflm_resolver=TFLM_ONLY_RESOLVERS.get(name))
    return Traits.of(found)


def op_table(targets: tuple[str, ...]) -> dict:
    """`edgenn ops --json`: every op with a reference kernel, its types, and whether (and for which
    `targets`) it has a C kernel."""
    rows = []
    for name, module in OPS.items():
        if _load(module) is None:
            continue
        c = _found(name, need_c=True) is not None
        rows.append(
            {
                "op": name,
                "module": module,
                "types": list(op_types(name)),
                "reference": True,
                "c": c,
                "targets": list(targets) if c else [],
            }
        )
    return {"schema": 1, "count": len(rows), "ops": rows}


def op_macs(graph, op) -> int:
    """Multiply-accumulates of one op, as its module counts them."""
    return traits(op.name).macs(graph, op)


def macs(graph) -> int:
    """Multiply-accumulates of the whole graph."""
    # builtins.sum: once the SUM op's module is imported, `sum` in this package's namespace is that module.
    return builtins.sum(op_macs(graph, op) for op in graph.ops)
