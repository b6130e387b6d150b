"""Small helpers that render C text. Logic elsewhere never builds C strings by hand.

Text from a model file (op and tensor names, file names, labels) reaches generated C only
through these: `c_identifier` makes a new identifier from it, `c_string` a string literal, and
`c_comment`/`comment_block` comment text, each escaped so that no input can end the literal or
the comment, splice lines, form a trigraph, or put a non-ASCII byte in the file.

>>> c_identifier("digits-cnn v2")
'digits_cnn_v2'
>>> c_float(0.00390625)
'0.00390625f'
>>> c_string('say "hi"??/')
'"say \\\\"hi\\\\"\\\\?\\\\?/"'
>>> c_comment("op */ #error x")
'/* op * / #error x */'
"""

from __future__ import annotations

import re

import numpy as np

from edgenn.cfmt import c_brace, c_float, c_int

C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int "
    "long register restrict return short signed sizeof static struct switch typedef union unsigned void "
    "volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert "
    "_Thread_local alignas alignof bool class delete new namespace template this true false".split()
)


# C99 promises 63 significant characters in an internal identifier; prefixes add up to ~20.
MAX_IDENTIFIER = 40
# Characters of model text kept in one comment or string literal.
MAX_SHOWN = 120


def c_identifier(name: str) -> str:
    """A valid, non-keyword C identifier derived from `name` (ASCII letters, digits, underscores)."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_") or "model"
    ident = re.sub(r"_+", "_", ident)[:MAX_IDENTIFIER].rstrip("_")
    if ident[0].isdigit() or ident in C_KEYWORDS or ident.startswith("_"):
        ident = f"m_{ident}"
    return ident


def c_string(text: str, limit: int | None = None) -> str:
    """A C string literal of `text`: printable ASCII as it is, anything else as octal escapes of
    its UTF-8 bytes; `?` escaped so that no trigraph forms, and a `/` next to a `*` so that no
    comment delimiter appears in the file. Cut to `limit` characters if given."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    out = []
    raw = text.encode("utf-8")
    for i, byte in enumerate(raw):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif ch == "/" and b"*" in raw[max(0, i - 1) : i + 2]:  # no "*/" or "/*", even inside a literal
            out.append("\\057")
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def comment_text(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` made safe inside a /* */ comment: one line of printable ASCII (other characters as
    <U+XXXX>, backslashes too, so no line splice), no comment delimiters, no trigraphs."""
    text = "".join(ch if " " <= ch <= "~" and ch != "\\" else f"<U+{ord(ch):04X}>" for ch in str(text))
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    while True:
        safe = text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
        if safe == text:
            return text
        text = safe


def c_comment(text: str, limit: int = MAX_SHOWN) -> str:
    return f"/* {comment_text(text, limit)} */"


def c_byte_rows(data: bytes, per_line: int = 12, indent: str = "    ") -> str:
    rows = []
    for start in range(0, len(data), per_line):
        rows.append(indent + ", ".join(f"0x{b:02x}" for b in data[start : start + per_line]) + ",")
    return "\n".join(rows)


def comment_block(lines: list[str]) -> str:
    body = "\n".join(f" * {comment_text(line, 200)}".rstrip() for line in lines)
    return f"/*\n{body}\n */"


ALIGN_MACRO = """\
/* EDGENN_ALIGN(n): alignas in C11 and C++11, the compiler's attribute in C99. */
#ifndef EDGENN_ALIGN
#if defined(__cplusplus) && __cplusplus >= 201103L
#define EDGENN_ALIGN(n) alignas(n)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#include <stdalign.h>
#define EDGENN_ALIGN(n) alignas(n)
#elif defined(__GNUC__) || defined(__clang__) || defined(__CC_ARM) || defined(__ICCARM__)
#define EDGENN_ALIGN(n) __attribute__((aligned(n)))
#elif defined(_MSC_VER)
#define EDGENN_ALIGN(n) __declspec(align(n))
#else
#error "edgenn: no way known to align data on this compiler; define EDGENN_ALIGN(n)"
#endif
#endif"""


C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float"}


def c_values(values, ctype: str) -> list[str]:
    if ctype == "float":
        return [c_float(float(v)) for v in values]
    if ctype == "int32_t":
        # INT32_MIN cannot be written as a negated literal without overflow warnings.
        return [f"({int(v) + 1} - 1)" if int(v) == -(2**31) else str(int(v)) for v in values]
    return [str(int(v)) for v in values]


def c_const_array(ctype: str, name: str, values, per_line: int = 16, align: int = 16, comment: str = "") -> str:
    """`static const` array, aligned, `per_line` values a line, with an optional comment line above."""
    flat = np.asarray(values).reshape(-1)
    items = c_values(flat, ctype)
    rows = ["    " + ", ".join(items[i : i + per_line]) + "," for i in range(0, len(items), per_line)]
    head = f"{c_comment(comment)}\n" if comment else ""
    return f"{head}static const EDGENN_ALIGN({align}) {ctype} {name}[{len(items)}] = {{\n" + "\n".join(rows) + "\n};"


def io_macros(prefix: str, which: str, tensor) -> list[str]:
    """#defines for a model input or output: element count, rank, shape, dtype and quantization, so
    that firmware can size buffers and quantize sensor data without reading the model."""
    p = f"{prefix}_{which}"
    shape = tensor.shape
    lines = [
        f"#define {p}_SIZE {int(np.prod(shape))}",
        f"#define {p}_DIMS {len(shape)}",
        f"#define {p}_SHAPE {c_brace(shape)}",
        f"#define {p}_DTYPE {c_string(tensor.dtype)}",
    ]
    if tensor.scale:
        lines += [
            f"#define {p}_SCALE {c_float(tensor.scale[0])}",
            f"#define {p}_ZERO_POINT {c_int(tensor.zero_point[0])}",
        ]
    return lines
