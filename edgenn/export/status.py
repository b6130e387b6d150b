"""Status codes returned by generated entry points: one table for Python and C.

edgenn/firmware/include/edgenn/status.h is rendered from STATUS by `python -m edgenn.export.status`,
and a test checks that the file on disk equals the rendering.
"""

from __future__ import annotations

from edgenn.clib import INCLUDE

STATUS: tuple[tuple[str, int, str], ...] = (
    ("OK", 0, "success"),
    ("ERROR_NULL_ARGUMENT", 1, "an input or output pointer is NULL"),
)

HEADER = INCLUDE / "status.h"


def render() -> str:
    lines = [
        "/* Status codes of generated entry points. Rendered from edgenn/export/status.py: do not edit. */",
        "#ifndef EDGENN_STATUS_H",
        "#define EDGENN_STATUS_H",
        "",
        "typedef enum {",
        *[f"    EDGENN_{name} = {code}, /* {text} */" for name, code, text in STATUS],
        "} edgenn_status;",
        "",
        "#endif /* EDGENN_STATUS_H */",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    HEADER.write_text(render())
