"""Each kernel's C parameter struct and the fields its op module's `emit` fills agree, and `emit`
declares only the constant kinds its module says it does.

The models here are hand-built one-op models (no TensorFlow, no compiler), so this runs anywhere;
the C kernel tests make the same struct check on every model they generate (harness.c_outputs).
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.clib import INCLUDE
from edgenn.export.codegen import generate
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import OPS, traits
from tests.kernels.c_structs import library_structs, mismatches, parse_structs
from tests.kernels.op_models import T, single_op_model

SAME, VALID = schema.Padding.SAME, schema.Padding.VALID


def const(shape, dtype=np.int8, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.int32:
        return rng.integers(-500, 500, shape).astype(np.int32)
    return rng.integers(-127, 128, shape).astype(dtype)


def q(shape, scale=0.05, zero_point=1, data=None):
    return T(shape, scale=scale, zero_point=zero_point, data=data)


WINDOW = {"strideH": 1, "strideW": 1, "dilationHFactor": 1, "dilationWFactor": 1}

# name → (op, inputs, output, options): every op registered today, and both forms where `emit` has
# two. A new op's struct is checked by its own C kernel tests; an example here is welcome, not required.
EXAMPLES = {
    "conv_2d": (
        "CONV_2D",
        [q((1, 5, 5, 2)), q((3, 3, 3, 2), 0.02, 0, const((3, 3, 3, 2))), T((3,), "int32", data=const((3,), np.int32))],
        q((1, 5, 5, 3), 0.1, -2),
        {"padding": SAME, **WINDOW},
    ),
    "conv_2d_pointwise": (
        "CONV_2D",
        [q((1, 4, 4, 3)), q((2, 1, 1, 3), 0.02, 0, const((2, 1, 1, 3)))],
        q((1, 4, 4, 2), 0.1, -2),
        {"padding": VALID, **WINDOW},
    ),
    "depthwise_conv_2d": (
        "DEPTHWISE_CONV_2D",
        [q((1, 5, 5, 2)), q((1, 3, 3, 4), 0.02, 0, const((1, 3, 3, 4))), T((4,), "int32", data=const((4,), np.int32))],
        q((1, 5, 5, 4), 0.1, -2),
        {"padding": SAME, "depthMultiplier": 2, **WINDOW},
    ),
    "fully_connected": (
        "FULLY_CONNECTED",
        [q((1, 8)), q((4, 8), 0.02, 0, const((4, 8))), T((4,), "int32", data=const((4,), np.int32))],
        q((1, 4), 0.1, -2),
        {},
    ),
    "average_pool_2d": (
        "AVERAGE_POOL_2D",
        [q((1, 4, 4, 3))],
        q((1, 2, 2, 3)),
        {"padding": VALID, "strideH": 2, "strideW": 2, "filterHeight": 2, "filterWidth": 2},
    ),
    "max_pool_2d": (
        "MAX_POOL_2D",
        [q((1, 4, 4, 3))],
        q((1, 2, 2, 3)),
        {"padding": VALID, "strideH": 2, "strideW": 2, "filterHeight": 2, "filterWidth": 2},
    ),
    "mean": ("MEAN", [q((1, 4, 4, 3)), T((2,), "int32", data=np.array([1, 2], np.int32))], q((1, 3)), {}),
    "add": ("ADD", [q((1, 4, 3), 0.05, 3), q((3,), 0.08, -9, const((3,)))], q((1, 4, 3), 0.1, 2), {}),
    "mul": ("MUL", [q((1, 2, 1, 3), 0.05, 3), q((1, 1, 4, 1), 0.08, -9, const((1, 1, 4, 1)))], q((1, 2, 4, 3)), {}),
    "reshape": ("RESHAPE", [q((1, 2, 6))], q((3, 4)), {"newShape": [3, 4]}),
    "squeeze": ("SQUEEZE", [q((1, 1, 4, 3))], q((1, 4, 3)), {"squeezeDims": [1]}),
    "pad": (
        "PAD",
        [q((1, 3, 3, 2)), T((4, 2), "int32", data=np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32))],
        q((1, 6, 6, 2)),
        {},
    ),
    "concatenation": ("CONCATENATION", [q((1, 2, 3)), q((1, 2, 5), data=const((1, 2, 5)))], q((1, 2, 8)), {"axis": 2}),
    "softmax": ("SOFTMAX", [q((1, 10))], q((1, 10), 1 / 256, -128), {"beta": 1.0}),
    "logistic": ("LOGISTIC", [q((1, 16))], q((1, 16), 1 / 256, -128), {}),
    "tanh": ("TANH", [q((1, 16))], q((1, 16), 1 / 128, 0), {}),
    "relu": ("RELU", [q((1, 16))], q((1, 16), 0.03, -128), {}),
    "relu6": ("RELU6", [q((1, 16))], q((1, 16)), {}),
    "leaky_relu": ("LEAKY_RELU", [q((1, 16))], q((1, 16), 0.03, -20), {"alpha": -0.2}),
    "quantize": ("QUANTIZE", [T((1, 16), "float32")], q((1, 16), 0.02, 3), {}),
    "quantize_int8": ("QUANTIZE", [q((1, 16))], q((1, 16), 0.02, 3), {}),
    "dequantize": ("DEQUANTIZE", [q((1, 16), 0.0123, -3)], T((1, 16), "float32"), {}),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_emit_fills_exactly_the_header_struct(name):
    op, inputs, output, options = EXAMPLES[name]
    gen = generate(parse_tflite(single_op_model(op, inputs, output, options)), "net", "test")
    model_c = gen.files["net.c"]
    assert mismatches(model_c) == []
    module = OPS[op]
    if f"edgenn_{module}_params" in parse_structs((INCLUDE / f"{module}.h").read_text()):
        assert f"static const edgenn_{module}_params " in model_c
    declared = {"weights", *traits(op).constants}
    assert {kind for _, _, kind, _ in gen.const_items} <= declared


HEADER = """
typedef struct {
    int32_t a; /* a comment; with a semicolon */
    const int8_t *b[EDGENN_N];
    edgenn_inner c;
} edgenn_x_params;
typedef struct { int32_t k, m[2]; } edgenn_inner;
"""


def c_init(fields: str) -> str:
    return f"static const edgenn_x_params op0_params = {{\n{fields}\n}};"


def test_the_check_sees_a_field_missing_on_either_side():
    structs = parse_structs(HEADER)
    assert structs == {
        "edgenn_x_params": {"a": "int32_t", "b": "int8_t", "c": "edgenn_inner"},
        "edgenn_inner": {"k": "int32_t", "m": "int32_t"},
    }
    good = "    .a = 1,\n    .b = {NULL},\n    .c = {.k = 1, .m = {2, 3}},"
    assert mismatches(c_init(good), structs) == []
    assert mismatches(c_init("    .a = 1,\n    .c = {.k = 1, .m = {2, 3}},"), structs) == [
        "op0_params: edgenn_x_params.b is never set"
    ]
    assert mismatches(c_init(good + "\n    .d = 4,"), structs) == [
        "op0_params: sets d, which edgenn_x_params does not declare"
    ]
    assert mismatches(c_init(good.replace(".k = 1, ", "")), structs) == ["op0_params.c: edgenn_inner.k is never set"]


def test_the_library_headers_parse():
    structs = library_structs()
    assert structs["edgenn_add_params"]["broadcast"] == "edgenn_ew_broadcast"
    assert "shift" in structs["edgenn_conv_2d_params"]
