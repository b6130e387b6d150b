"""Where the C library lies: the kernels, headers, Makefiles and target files under edgenn/firmware/.

They ship inside the package as package data and are found through importlib.resources, so a
checkout, an editable install and a wheel install all find the same files. Nothing writes there.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

FIRMWARE = Path(str(files("edgenn") / "firmware"))
INCLUDE = FIRMWARE / "include" / "edgenn"  # one header per kernel, plus the shared ones
SRC = FIRMWARE / "src"  # one .c per kernel, named as its module in edgenn/reference/
