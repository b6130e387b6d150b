"""Errors a user can fix. The CLI turns each into one line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path

# An error line stays one readable line whatever a file puts in it.
MAX_LINE = 400


def shown(text: str, limit: int = MAX_LINE) -> str:
    """`text` as one printable line: control characters escaped, cut to `limit` characters.

    Names inside model files (tensors, custom ops) reach messages; a newline or an escape
    sequence in one must not split the line or drive the terminal.

    >>> shown("conv\\n\\x1b[31m")
    'conv\\\\n\\\\x1b[31m'
    """
    out = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))
    return out if len(out) <= limit else out[: limit - 3] + "..."


def first_line(exc: BaseException, limit: int = 300) -> str:
    """What an exception from a library says, as one shown line (its first), for a one-line error."""
    text = exc.message if isinstance(exc, EdgeNNError) else str(exc)
    return shown((text.strip().splitlines() or [type(exc).__name__])[0], limit)


class EdgeNNError(Exception):
    """A problem with the user's input: a file, a recipe, an option, or data.

    Args:
        path: the file or folder at fault, or None when no file is involved.
        message: what is wrong, in one line.
    """

    def __init__(self, path: str | Path | None, message: str):
        self.path = None if path is None else str(path)
        self.message = message
        super().__init__(self.line())

    def __reduce__(self):  # pickled whole (errors cross from isolated children, edgenn.isolate)
        return (type(self), (self.path, self.message))

    def line(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return shown(text)


class RecipeError(EdgeNNError):
    """The recipe is missing, not TOML, or does not match the schema."""


class ModelFileError(EdgeNNError):
    """A model file is missing, corrupt, truncated, or of an unsupported kind."""


class DataError(EdgeNNError):
    """Data is missing or has the wrong shape or type."""


class BuildDirError(EdgeNNError):
    """A build directory is missing or lacks an artifact that an earlier step makes."""


class UnsupportedError(ModelFileError):
    """The model uses an op, dtype or option that edgenn's kernels do not implement."""
