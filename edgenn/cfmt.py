"""C literals for single values and brace lists.

Below both the op modules (whose `emit` writes their kernels' parameter values) and export/, which
writes whole files, so neither has to reach into the other for them.

>>> c_float(0.00390625)
'0.00390625f'
>>> c_int(-128)
'(-128)'
>>> c_brace([1, 2, 3])
'{1, 2, 3}'
"""

from __future__ import annotations


def c_float(value: float) -> str:
    """A float literal that reads back as the same float32 (9 significant digits suffice)."""
    text = f"{value:.9g}"
    if not any(ch in text for ch in ".en"):
        text += ".0"
    return f"{text}f"


def c_int(value: int) -> str:
    return f"({value})" if value < 0 else str(value)


def c_brace(values) -> str:
    return "{" + ", ".join(str(v) for v in values) + "}"
