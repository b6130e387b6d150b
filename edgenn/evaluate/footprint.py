"""What flash and RAM mean, written once: for the generated C, for a .tflite under TFLM, for a bare file.

`edgenn eval` (and so the gate), the sweep and the benchmarks size models through these, so a
figure means the same wherever it appears, and every figure carries its source and definition.
"""

from __future__ import annotations

from dataclasses import dataclass

# Flash of TFLM's runtime with the keyword-spotting ops, as TFLM publishes it: an estimate for
# comparing a .tflite + interpreter with a build whose flash is measured.
TFLM_RUNTIME_BYTES = 22 * 1024


@dataclass(frozen=True)
class Footprint:
    flash_bytes: int
    ram_bytes: int | None  # None where no microcontroller runtime here executes the model
    flash_source: str  # "c:<target>", "tflite+<runtime bytes>" or "file": short, for tables
    ram_source: str | None  # "c:<target>", "tflm:arena" or None
    flash_definition: str
    ram_definition: str

    def as_dict(self) -> dict:
        return {
            "flash_bytes": self.flash_bytes,
            "ram_bytes": self.ram_bytes,
            "flash_source": self.flash_source,
            "ram_source": self.ram_source,
            "definitions": {"flash_bytes": self.flash_definition, "ram_bytes": self.ram_definition},
        }


def of_c(build) -> Footprint:
    """The generated C's compiled model objects (a toolchain.Build)."""
    return Footprint(
        build.flash_bytes,
        build.ram_bytes,
        f"c:{build.target}",
        f"c:{build.target}",
        f"text + data of the generated C's model objects ({build.target} build: weights, constants, kernel "
        "code; the application around it not included)",
        f"data + bss of the generated C's model objects ({build.target} build): the static arena, with the "
        "input and output inside it",
    )


def of_tflm(tflite_bytes: int, arena_bytes: int | None) -> Footprint:
    """A .tflite run by TFLM: the flatbuffer plus TFLM's runtime in flash, the measured arena in RAM."""
    return Footprint(
        tflite_bytes + TFLM_RUNTIME_BYTES,
        arena_bytes,
        f"tflite+{TFLM_RUNTIME_BYTES}",
        "tflm:arena",
        f"the .tflite's bytes plus {TFLM_RUNTIME_BYTES:,} B, TFLM's published runtime size (an estimate)",
        "TFLM's tensor arena for the model, measured by the tflite_micro interpreter's RecordingMicroAllocator "
        "('Arena allocation total') after one invoke",
    )


def of_file(size_bytes: int) -> Footprint:
    """A model no microcontroller runtime here executes: its file alone, and no RAM figure."""
    return Footprint(
        size_bytes, None, "file", None, "the model file's bytes alone", "none: no runtime here executes it"
    )
