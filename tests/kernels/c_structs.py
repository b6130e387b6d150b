"""Each kernel's C parameter struct against the initializer its op module's `emit` writes.

The struct (a typedef in the op's header) and the dict `emit` fills are written by hand on both
sides. C zero-fills a field that an initializer leaves out, so a field missing from `emit` would
compile and quietly compute with 0; `mismatches` names every field set on one side only, nested
structs (such as edgenn_ew_broadcast) included. harness.c_outputs runs it on every model the C
kernel tests generate.
"""

from __future__ import annotations

import re

from edgenn.clib import INCLUDE

_TYPEDEF = re.compile(r"typedef\s+struct\s*\w*\s*\{(?P<body>[^{}]*)\}\s*(?P<name>\w+)\s*;")
_DECLARATOR = re.compile(r"\**\s*(?P<name>\w+)\s*(\[[^\]]*\]\s*)*$")
_FIRST = re.compile(r"(?P<type>.*?)(?P<declarator>\**\s*\w+\s*(\[[^\]]*\]\s*)*)$")  # `const int8_t *inputs[N]`
_QUALIFIERS = {"const", "volatile", "struct", "signed", "unsigned"}
_INITIALIZER = re.compile(r"^static const (?P<type>\w+) (?P<var>\w+) = \{\n(?P<body>.*?)\n\};", re.M | re.S)
_FIELD_LINE = re.compile(r"^\s*\.(?P<name>\w+) = (?P<value>.*?),?$")


def strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def parse_structs(header_text: str) -> dict[str, dict[str, str]]:
    """typedef name → {field: its type with qualifiers, pointers and array bounds dropped}."""
    structs = {}
    for m in _TYPEDEF.finditer(strip_comments(header_text)):
        fields: dict[str, str] = {}
        for decl in m["body"].split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            first, *more = decl.split(",")
            head = _FIRST.match(first)
            ctype = [w for w in head["type"].split() if w not in _QUALIFIERS][-1]
            for d in [head["declarator"], *more]:
                fields[_DECLARATOR.match(d.strip())["name"]] = ctype
        structs[m["name"]] = fields
    return structs


def library_structs() -> dict[str, dict[str, str]]:
    structs: dict[str, dict[str, str]] = {}
    for header in sorted(INCLUDE.glob("*.h")):
        structs.update(parse_structs(header.read_text()))
    return structs


def initializers(model_c: str) -> list[tuple[str, str, dict[str, str]]]:
    """(struct type, variable, {field: value text}) for each `static const T v = {...};` that
    OpEmitter.struct writes, one `.field = value` a line."""
    found = []
    for m in _INITIALIZER.finditer(model_c):
        fields = {f["name"]: f["value"] for line in m["body"].splitlines() if (f := _FIELD_LINE.match(line))}
        found.append((m["type"], m["var"], fields))
    return found


def designators(value: str) -> list[str]:
    """The outermost `.name =` designators of a braced initializer such as `{.a = 1, .b = {2, 3}}`."""
    names, depth = [], 0
    for tok in re.finditer(r"[{}]|\.(\w+)\s*=", value):
        if tok[0] == "{":
            depth += 1
        elif tok[0] == "}":
            depth -= 1
        elif depth == 1:
            names.append(tok[1])
    return names


def _compare(ctype: str, where: str, names: list[str], structs: dict[str, dict[str, str]]) -> list[str]:
    declared = structs[ctype]
    problems = [f"{where}: {ctype}.{f} is never set" for f in declared if f not in names]
    problems += [f"{where}: sets {f}, which {ctype} does not declare" for f in names if f not in declared]
    problems += [f"{where}: sets {f} twice" for f in sorted({f for f in names if names.count(f) > 1})]
    return problems


def mismatches(model_c: str, structs: dict[str, dict[str, str]] | None = None) -> list[str]:
    structs = library_structs() if structs is None else structs
    problems = []
    for ctype, var, fields in initializers(model_c):
        if ctype not in structs:
            problems.append(f"{var}: no header declares typedef struct {ctype}")
            continue
        problems += _compare(ctype, var, list(fields), structs)
        for name, value in fields.items():
            inner = structs[ctype].get(name)
            if inner in structs and value.startswith("{."):
                problems += _compare(inner, f"{var}.{name}", designators(value), structs)
    return problems
