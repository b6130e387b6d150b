"""Errors a user can fix. The CLI turns each into one line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path


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

    def line(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


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
