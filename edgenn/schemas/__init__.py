"""The JSON files edgenn writes, each described by a versioned JSON Schema shipped in this package.

`<name>-<version>.schema.json` (draft 2020-12) describes one kind of file; `common-1` holds the
definitions several share. Every read of a file an earlier step or another machine wrote goes
through `check`: a CI cache, a hand edit or a half-copied artifact can leave anything in a build
folder, and code past the reader indexes the object without guarding every access. The same
schemas are what other tools (a dashboard, a CI script) can validate edgenn's output against.

Validation is jsonschema's (the reference implementation of the standard); only the one-line
error that names the file and the field is edgenn's.

>>> check({"schema": 1, "recipe": "m"}, "history", "x.json")
>>> check({"task": 3}, "history", "x.json")
Traceback (most recent call last):
  ...
edgenn.errors.BuildDirError: x.json: not as edgenn writes it: 'task' is an integer, expected one of ...
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from edgenn.errors import BuildDirError, shown

# The files, and the version of each schema this edgenn writes and reads.
VERSIONS = {
    "report": 1,  # report.json (edgenn eval, edgenn gate)
    "analyze": 1,  # edgenn analyze --json
    "gate": 1,  # edgenn gate --json FILE, edgenn diff --json FILE
    "sweep": 1,  # sweep.json (edgenn sweep)
    "profile": 1,  # edgenn profile --json
    "validate": 1,  # validate.json (edgenn validate)
    "c-manifest": 1,  # c/edgenn.json (edgenn codegen)
    "source": 1,  # source.json (edgenn convert MODEL)
    "history": 1,  # history.json (edgenn train)
    "ops": 1,  # edgenn ops --json
}
COMMON = "common"


def filename(name: str) -> str:
    return f"{name}-{VERSIONS.get(name, 1)}.schema.json"


@cache
def document(name: str) -> dict:
    """The JSON Schema of the file kind `name` (a key of VERSIONS, or 'common')."""
    return json.loads(resources.files(__package__).joinpath(filename(name)).read_text(encoding="utf-8"))


@cache
def _validator(name: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (document(n)["$id"], Resource.from_contents(document(n))) for n in (COMMON, *VERSIONS)
    )
    schema = document(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
    "object": "an object",
    "array": "a list",
}


# The JSON type of a parsed value (bool before int: True is an int in Python).
_JSON_TYPES = (
    (bool, "boolean"),
    (dict, "object"),
    (list, "array"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
)


def _found(value) -> str:
    if value is None:
        return "null"
    return next((_TYPE_WORDS[t] for cls, t in _JSON_TYPES if isinstance(value, cls)), type(value).__name__)


def _field(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return shown(out, 80)


def _expected(schema: dict) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(shown(str(v), 30) for v in schema["enum"])
    if "const" in schema:
        return shown(json.dumps(schema["const"]), 30)
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    return " or ".join(_TYPE_WORDS.get(t, t) for t in types) or "another value"


def _problem(error) -> str:
    """What is wrong at the error's place, in words, never quoting a long or multi-line value."""
    field = _field(error.absolute_path)
    if error.validator == "required":
        missing = next((k for k in error.validator_value if k not in error.instance), "?")
        where = f"{field}.{missing}" if field else str(missing)
        return f"{shown(where, 80)!r} is missing"
    if error.validator == "oneOf" and error.context:  # a value or null: describe the value's alternative
        return _problem(min(error.context, key=lambda e: len(e.absolute_schema_path)))
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "above", "exclusiveMaximum": "below"}
        expected = f"{bound[error.validator]} {error.validator_value:g}"
        return f"{field or 'the file'!r} is {error.instance:g}, expected {expected}"
    if error.validator in ("type", "enum", "const", "pattern"):
        return f"{field or 'the file'!r} is {_found(error.instance)}, expected {_expected(error.schema)}"
    return f"{field or 'the file'!r}: {shown(' '.join(error.message.split()), 100)}"


def first_error(obj, name: str):
    """The most relevant departure of `obj` from the schema `name` (a jsonschema ValidationError), or None."""
    from jsonschema.exceptions import best_match

    return best_match(_validator(name).iter_errors(obj))


def produced(obj, name: str) -> None:
    """Assert that a file edgenn is about to write or print matches its own schema: one that does not
    is a bug here, never the user's input, and must not reach a CI system that trusts the schema."""
    error = first_error(obj, name)
    if error is not None:
        raise AssertionError(f"edgenn made a {name} file its schema refuses: {_problem(error)}")


def check(obj, name: str, path) -> None:
    """Raise BuildDirError naming `path` and the field where `obj` departs from the schema `name`."""
    error = first_error(obj, name)
    if error is not None:
        raise BuildDirError(path, f"not as edgenn writes it: {_problem(error)}")
