"""What the JSON files of a build folder must hold, and the one check every read goes through.

A build folder is input like any other: a CI cache, a hand edit or a half-copied artifact can
leave anything in it. `check(obj, spec, path)` compares a parsed file with its spec and raises a
BuildDirError naming the file and the field, so that code past the reader can index the object
without guarding every access.

Spec language (kept to what these files need):
    str, int, float, bool   a value of that type (int excludes bool and stays within ±2**53; float
                            accepts an int and must be finite)
    (spec, None)            the spec, or null; a tuple in general is "any of"
    [spec]                  a list whose items match spec
    {"key": spec}           an object with those keys (a key ending in "?" may be absent); other
                            keys are allowed and not checked
    Map(spec)               an object whose values all match spec
    Enum("a", "b")          one of these strings
    Range(low, high)        an integer in low..high

>>> check({"schema": 1, "name": "m"}, {"schema": int, "name": str, "task?": Enum("regression")}, "x.json")
>>> check({"schema": "1"}, {"schema": int}, "x.json")
Traceback (most recent call last):
  ...
edgenn.errors.BuildDirError: x.json: not as edgenn writes it: 'schema' is a string, expected an integer
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edgenn.errors import BuildDirError, shown

MAX_NUMBER = 2**53
MAX_ITEMS = 1_000_000


@dataclass(frozen=True)
class Map:
    values: object


@dataclass(frozen=True)
class Range:
    low: int
    high: int


class Enum:
    def __init__(self, *names: str):
        self.names = frozenset(names)


_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}


def _found(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return _TYPE_WORDS.get(type(value), type(value).__name__)


def _expected(spec) -> str:
    if spec is None:
        return "null"
    if isinstance(spec, type):
        return _TYPE_WORDS.get(spec, spec.__name__)
    if isinstance(spec, tuple):
        return " or ".join(_expected(s) for s in spec)
    if isinstance(spec, list):
        return "a list"
    if isinstance(spec, (dict, Map)):
        return "an object"
    if isinstance(spec, Enum):
        return "one of " + ", ".join(sorted(spec.names))
    if isinstance(spec, Range):
        return f"an integer in {spec.low}..{spec.high}"
    return repr(spec)


def _matches(value, spec) -> bool:
    """Whether `value` has the shape of `spec` at this level (items are checked by `_walk`)."""
    if spec is None:
        return value is None
    if isinstance(spec, tuple):
        return any(_matches(value, s) for s in spec)
    if spec is bool:
        return isinstance(value, bool)
    if spec is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_NUMBER
    if spec is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if spec is str:
        return isinstance(value, str)
    if isinstance(spec, list):
        return isinstance(value, list) and len(value) <= MAX_ITEMS
    if isinstance(spec, (dict, Map)):
        return isinstance(value, dict)
    if isinstance(spec, Enum):
        return isinstance(value, str) and value in spec.names
    if isinstance(spec, Range):
        return isinstance(value, int) and not isinstance(value, bool) and spec.low <= value <= spec.high
    raise TypeError(f"not a spec: {spec!r}")


def _walk(value, spec, field: str, path) -> None:
    if isinstance(spec, tuple):
        for s in spec:
            if _matches(value, s):
                return _walk(value, s, field, path)
    if not _matches(value, spec):
        raise BuildDirError(
            path, f"not as edgenn writes it: {shown(field, 80)!r} is {_found(value)}, expected {_expected(spec)}"
        )
    if isinstance(spec, list):
        for i, item in enumerate(value):
            _walk(item, spec[0], f"{field}[{i}]", path)
    elif isinstance(spec, Map):
        for key, item in value.items():
            _walk(item, spec.values, f"{field}.{key}" if field else key, path)
    elif isinstance(spec, dict):
        for key, sub in spec.items():
            name = key.removesuffix("?")
            where = f"{field}.{name}" if field else name
            if name not in value:
                if key.endswith("?"):
                    continue
                raise BuildDirError(path, f"not as edgenn writes it: {shown(where, 80)!r} is missing")
            _walk(value[name], sub, where, path)


def check(obj, spec, path) -> None:
    """Raise BuildDirError naming `path` and the field where `obj` departs from `spec`."""
    _walk(obj, spec, "", path)


# ----- the files ---------------------------------------------------------------------------------

TASK = Enum("classification", "regression", "anomaly")
DTYPE = Enum("int8", "uint8", "int16", "int32", "float32")
DIM = Range(1, 2**24)
BYTES = Range(0, 2**32)
QUANTIZED_IO = {"shape": [DIM], "dtype": DTYPE, "scale": [float], "zero_point": [Range(-(2**15), 2**16)]}

# c/edgenn.json: what tools need to build and run a generated folder.
C_MANIFEST = {
    "schema": int,
    "name": str,
    "prefix": str,
    "input": QUANTIZED_IO,
    "output": QUANTIZED_IO,
    "arena_bytes": BYTES,
    "const_bytes": BYTES,
    "ops": [str],
}

# history.json: what `edgenn train` did.
HISTORY = {"recipe?": str, "task?": TASK}

# source.json: where an imported model came from.
MODEL_IO = {"shape": [(int, None)], "dtype?": str}  # None: a dimension the model leaves open
SOURCE = {"schema": int, "name?": str, "task?": TASK, "model": {"format": str}, "input": MODEL_IO, "output": MODEL_IO}

INT8_AGREEMENT = {
    "samples": int,
    "top1_agreement": float,
    "max_diff_lsb": int,
    "mismatched_bytes": int,
    "total_bytes": int,
}
FLOAT_AGREEMENT = {"samples": int, "top1_agreement": float, "max_abs_diff": float}
FOOTPRINT_PART = {"flash_bytes": int, "ram_bytes": int}

# report.json: what eval measured and gate checked.
REPORT = {
    "schema": int,
    "model": str,
    "edgenn_version": str,
    "command": str,
    "source_sha256": str,
    "data": {"split": str, "samples": int, "labels": [str]},
    "task?": TASK,
    "metric": {"name": str, "higher_is_better": bool, "definition": str},
    "variants": [
        {
            "name": str,
            "format": str,
            "precision": str,
            "runner": str,
            "accuracy?": (float, None),
            "score?": (float, None),
            "size_bytes": int,
            "artifact?": str,
        }
    ],
    "agreement": {
        "int8_reference": str,
        "int8": Map(INT8_AGREEMENT),
        "int8_random_inputs?": Map(INT8_AGREEMENT),
        "float_reference": str,
        "float": Map(FLOAT_AGREEMENT),
    },
    "footprint": {
        "flash_bytes": (int, None),
        "ram_bytes": (int, None),
        "definitions": {"flash_bytes": str, "ram_bytes": str},
        "tflite_bytes?": (int, None),
        "tflm_arena_bytes?": (int, None),
        "parts?": Map(FOOTPRINT_PART),
    },
    "gates": [{"name": str, "value": float, "limit": float, "passed": bool, "unit": str}],
    "speaker_held_out?": {
        "test_speaker": str,
        "samples": int,
        "int8_accuracy": float,
        "float_accuracy": float,
        "runner": str,
    },
}
