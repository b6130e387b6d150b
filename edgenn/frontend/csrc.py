"""The MFCC frontend as C: CMSIS-DSP's own sources (from the `cmsisdsp` source distribution) plus generated tables.

The device compiles the same CMSIS-DSP version, and the same functions, that `edgenn.frontend.mfcc` calls
through the `cmsisdsp` package. The sources are not part of this repository: `fetch` downloads the
pinned source distribution from PyPI with pip, checks its sha256, and unpacks it into a cache.

    python -m edgenn.frontend.csrc fetch      (what `make cmsisdsp` runs; a no-op when the cache exists)

`write_frontend` writes a folder with the tables (`mfcc_tables.c/.h`), a two-function API
(`edgenn_frontend.h/.c`), `cmsisdsp.mk` (the CMSIS-DSP files, include folders and defines to build with)
and `frontend.json` (the spec the folder was written for).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from edgenn.errors import EdgeNNError

CMSISDSP_VERSION = "1.10.3"
# sha256 of cmsisdsp-1.10.3.tar.gz as PyPI serves it (pip download --no-deps --no-binary cmsisdsp cmsisdsp==1.10.3).
CMSISDSP_SHA256 = "307d32298faa7c58db912851027fce35f886fec7eb1a27c4b309ce1a97f47519"
SDIST = f"cmsisdsp-{CMSISDSP_VERSION}"
ENV_SOURCE = "EDGENN_CMSISDSP_SRC"
FETCH_HINT = (
    f"run 'make cmsisdsp' (python -m edgenn.frontend.csrc fetch), or set {ENV_SOURCE} to an extracted "
    f"{SDIST} source tree or its .tar.gz"
)

# What arm_mfcc_f32 and arm_mfcc_init_<N>_f32 reach, relative to the source tree's root: the MFCC itself,
# the real FFT over a complex radix-8 FFT with its bit reversal, the FFT tables and instances, and the
# vector kernels of the MFCC's steps (absmax, scale, window multiply, magnitude, mel dot products,
# offset, log, DCT matrix-vector product).
CMSIS_SOURCES = (
    "Source/TransformFunctions/arm_mfcc_f32.c",
    "Source/TransformFunctions/arm_mfcc_init_f32.c",
    "Source/TransformFunctions/arm_rfft_fast_f32.c",
    "Source/TransformFunctions/arm_rfft_fast_init_f32.c",
    "Source/TransformFunctions/arm_cfft_f32.c",
    "Source/TransformFunctions/arm_cfft_init_f32.c",
    "Source/TransformFunctions/arm_cfft_radix8_f32.c",
    "Source/TransformFunctions/arm_bitreversal2.c",
    "Source/CommonTables/arm_common_tables.c",
    "Source/CommonTables/arm_const_structs.c",
    "Source/StatisticsFunctions/arm_absmax_f32.c",
    "Source/BasicMathFunctions/arm_scale_f32.c",
    "Source/BasicMathFunctions/arm_mult_f32.c",
    "Source/BasicMathFunctions/arm_dot_prod_f32.c",
    "Source/BasicMathFunctions/arm_offset_f32.c",
    "Source/ComplexMathFunctions/arm_cmplx_mag_f32.c",
    "Source/FastMathFunctions/arm_vlog_f32.c",
    "Source/MatrixFunctions/arm_mat_vec_mult_f32.c",
)
CMSIS_INCLUDE_DIRS = ("Include", "PrivateInclude")
# The configuration the `cmsisdsp` package's extension is built with: the portable C kernels
# (`__GNUC_PYTHON__` selects them and drops the dependency on CMSIS-Core's headers) with loop unrolling.
# Using it on every target gives the device the code paths, and so the summation orders, of training.
CMSIS_DEFINES = ("__GNUC_PYTHON__", "ARM_MATH_LOOPUNROLL")

FILES = ("mfcc_tables.h", "mfcc_tables.c", "edgenn_frontend.h", "edgenn_frontend.c", "cmsisdsp.mk", "frontend.json")
MANIFEST = "frontend.json"


# ---------------------------------------------------------------------------------------------------------------
# The CMSIS-DSP source tree


def cache_dir() -> Path:
    """Where `fetch` unpacks the sources: $XDG_CACHE_HOME/edgenn/cmsisdsp-1.10.3, else ~/.cache/edgenn/..."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgenn" / SDIST


def _missing(root: Path) -> list[str]:
    return [rel for rel in (*CMSIS_SOURCES, "Include/arm_math.h") if not (root / rel).is_file()]


def _version_of(root: Path) -> str | None:
    """The version the tree's `cmsisdsp/version.py` states, or None when it has none."""
    path = root / "cmsisdsp" / "version.py"
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        if line.strip().startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("'\"")
    return None


def _check_tree(root: Path) -> Path:
    """`root` itself, or its `cmsisdsp-1.10.3` subfolder, when it holds every file the frontend compiles."""
    if not (root / "Include").is_dir() and (root / SDIST).is_dir():
        root = root / SDIST
    missing = _missing(root)
    if missing:
        raise EdgeNNError(root, f"not a {SDIST} source tree ({missing[0]} is missing): {FETCH_HINT}")
    version = _version_of(root)
    if version is not None and version != CMSISDSP_VERSION:
        raise EdgeNNError(root, f"CMSIS-DSP sources are version {version}, the frontend needs {CMSISDSP_VERSION}")
    return root.resolve()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract(tarball: Path, dest: Path) -> Path:
    """Check the tarball's sha256 and unpack its tree to `dest` atomically (a temporary folder, then a rename)."""
    tarball = Path(tarball)
    actual = sha256(tarball)
    if actual != CMSISDSP_SHA256:
        raise EdgeNNError(tarball, f"sha256 {actual} is not the pinned {CMSISDSP_SHA256} of {SDIST}.tar.gz")
    dest = Path(dest)
    if dest.is_dir():
        return _check_tree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as tmp:
        with tarfile.open(tarball, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name == SDIST or m.name.startswith(SDIST + "/")]
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, members=members, filter="data")
            else:  # Python without extraction filters: refuse links and paths that leave the folder
                for m in members:
                    if m.issym() or m.islnk() or ".." in Path(m.name).parts or Path(m.name).is_absolute():
                        raise EdgeNNError(tarball, f"unexpected member {m.name!r}")
                tar.extractall(tmp, members=members)
        _check_tree(Path(tmp) / SDIST)
        try:
            os.rename(Path(tmp) / SDIST, dest)
        except OSError:
            if not dest.is_dir():  # another process unpacking at the same time wins; anything else is an error
                raise
    return _check_tree(dest)


def cmsis_dsp_root() -> Path:
    """The extracted cmsisdsp-1.10.3 source tree.

    Looked up in order: ${EDGENN_CMSISDSP_SRC} (a folder, or the .tar.gz, which is unpacked into the cache),
    then the cache (`cache_dir()`); otherwise an EdgeNNError saying how to fetch it.
    """
    given = os.environ.get(ENV_SOURCE)
    if given:
        path = Path(given).expanduser()
        if path.is_dir():
            return _check_tree(path)
        if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
            return extract(path, cache_dir())
        raise EdgeNNError(path, f"{ENV_SOURCE} names neither a folder nor a .tar.gz")
    cached = cache_dir()
    if cached.is_dir():
        return _check_tree(cached)
    raise EdgeNNError(None, f"CMSIS-DSP {CMSISDSP_VERSION} sources not found: {FETCH_HINT}")


def fetch(dest_cache: Path | None = None) -> Path:
    """Download the pinned sdist with pip, check its sha256 and unpack it; a no-op when `dest_cache` exists."""
    dest = Path(dest_cache) if dest_cache is not None else cache_dir()
    if dest.is_dir():
        return _check_tree(dest)
    with tempfile.TemporaryDirectory(prefix="edgenn-cmsisdsp-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            "cmsisdsp",
            f"cmsisdsp=={CMSISDSP_VERSION}",
            "-d",
            tmp,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        tarball = Path(tmp) / f"{SDIST}.tar.gz"
        if proc.returncode != 0 or not tarball.is_file():
            detail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            raise EdgeNNError(None, f"pip could not download {SDIST}.tar.gz: {detail}")
        return extract(tarball, dest)


# ---------------------------------------------------------------------------------------------------------------
# The generated folder


def c_float(value) -> str:
    """A C float literal that parses back to exactly this float32 (9 significant digits always suffice)."""
    import numpy as np

    v = np.float32(value)
    if not np.isfinite(v):
        raise ValueError(f"table value {v} is not finite")
    text = f"{float(v):.9g}"
    if np.float32(text) != v:  # cannot happen for float32 and 9 digits; the check keeps the claim honest
        raise ValueError(f"{text} does not round-trip to {v!r}")
    if not any(c in text for c in ".en"):
        text += ".0"
    return text + "f"


def _c_array(ctype: str, name: str, values, fmt, per_line: int) -> str:
    items = [fmt(v) for v in values]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    body = ",\n    ".join(lines)
    return f"const {ctype} {name}[{len(items)}] = {{\n    {body}\n}};\n"


def _write(path: Path, text: str) -> None:
    """Write only when the content changes, so that make rebuilds only what changed."""
    if path.is_file() and path.read_text() == text:
        return
    path.write_text(text)


def _tables_c(spec, t: dict) -> tuple[str, str]:
    n, mel, dct = spec.frame_length, spec.mel_filters, spec.mfcc_coefficients
    ncoef = int(t["filter_coefs"].size)
    header = f"""/* MFCC tables for CMSIS-DSP's arm_mfcc_init_f32 (generated by edgenn; see edgenn/frontend/mfcc.py). */
#ifndef EDGENN_MFCC_TABLES_H
#define EDGENN_MFCC_TABLES_H

#include <stdint.h>

#define EDGENN_MFCC_FFT_LENGTH {n}
#define EDGENN_MFCC_MEL_FILTERS {mel}
#define EDGENN_MFCC_DCT_OUTPUTS {dct}
#define EDGENN_MFCC_FILTER_COEFS {ncoef}

/* Periodic Hann window, one value per frame sample. */
extern const float edgenn_mfcc_window[EDGENN_MFCC_FFT_LENGTH];
/* Mel filter m applies filter_lengths[m] coefficients from FFT bin filter_positions[m] on. */
extern const uint32_t edgenn_mfcc_filter_positions[EDGENN_MFCC_MEL_FILTERS];
extern const uint32_t edgenn_mfcc_filter_lengths[EDGENN_MFCC_MEL_FILTERS];
extern const float edgenn_mfcc_filter_coefs[EDGENN_MFCC_FILTER_COEFS];
/* DCT-II matrix, EDGENN_MFCC_DCT_OUTPUTS rows of EDGENN_MFCC_MEL_FILTERS, row-major. */
extern const float edgenn_mfcc_dct[EDGENN_MFCC_DCT_OUTPUTS * EDGENN_MFCC_MEL_FILTERS];

#endif /* EDGENN_MFCC_TABLES_H */
"""
    source = (
        "/* MFCC tables (generated by edgenn): float32 values printed to round-trip exactly. */\n"
        '#include "mfcc_tables.h"\n\n'
        + _c_array("float", "edgenn_mfcc_window", t["window"], c_float, 6)
        + "\n"
        + _c_array("uint32_t", "edgenn_mfcc_filter_positions", t["filter_positions"], lambda v: f"{int(v)}u", 10)
        + "\n"
        + _c_array("uint32_t", "edgenn_mfcc_filter_lengths", t["filter_lengths"], lambda v: f"{int(v)}u", 10)
        + "\n"
        + _c_array("float", "edgenn_mfcc_filter_coefs", t["filter_coefs"], c_float, 6)
        + "\n"
        + _c_array("float", "edgenn_mfcc_dct", t["dct"], c_float, 6)
    )
    return header, source


def _api_c(spec) -> tuple[str, str]:
    header = f"""/*
 * MFCC audio frontend (generated by edgenn): CMSIS-DSP {CMSISDSP_VERSION}'s arm_mfcc_f32 over a clip of
 * int16 samples, the computation edgenn.frontend.mfcc.MfccFrontend trains with.
 *
 * Frame f is clip[f * HOP_LENGTH .. f * HOP_LENGTH + FRAME_LENGTH), scaled by 1/32768; its
 * COEFFICIENTS MFCCs are features[f * COEFFICIENTS .. (f + 1) * COEFFICIENTS). No heap: the working
 * buffers are static, so the functions are not reentrant.
 */
#ifndef EDGENN_FRONTEND_H
#define EDGENN_FRONTEND_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

#define EDGENN_FRONTEND_SAMPLE_RATE {spec.sample_rate}
#define EDGENN_FRONTEND_CLIP_SAMPLES {spec.clip_samples}
#define EDGENN_FRONTEND_FRAME_LENGTH {spec.frame_length}
#define EDGENN_FRONTEND_HOP_LENGTH {spec.hop_length}
#define EDGENN_FRONTEND_FRAMES {spec.frames}
#define EDGENN_FRONTEND_COEFFICIENTS {spec.mfcc_coefficients}
#define EDGENN_FRONTEND_FEATURES (EDGENN_FRONTEND_FRAMES * EDGENN_FRONTEND_COEFFICIENTS)

/* Sets up the MFCC instance; call once before edgenn_frontend_compute. Returns 0, or -1 on failure. */
int edgenn_frontend_init(void);

/* clip: EDGENN_FRONTEND_CLIP_SAMPLES samples; features: EDGENN_FRONTEND_FEATURES floats, frames x coefficients. */
void edgenn_frontend_compute(const int16_t *clip, float *features);

#ifdef __cplusplus
}}
#endif

#endif /* EDGENN_FRONTEND_H */
"""
    source = f"""/* MFCC audio frontend (generated by edgenn): see edgenn_frontend.h. */
#include "edgenn_frontend.h"

#include "dsp/transform_functions.h"
#include "mfcc_tables.h"

#if defined(ARM_MFCC_USE_CFFT)
#define EDGENN_MFCC_SCRATCH (2 * EDGENN_MFCC_FFT_LENGTH) /* complex FFT of the frame */
#else
#define EDGENN_MFCC_SCRATCH EDGENN_MFCC_FFT_LENGTH /* real FFT output, then the mel energies */
#endif

static arm_mfcc_instance_f32 mfcc;
static float32_t frame[EDGENN_MFCC_FFT_LENGTH];
static float32_t scratch[EDGENN_MFCC_SCRATCH];

int edgenn_frontend_init(void) {{
    arm_status status = arm_mfcc_init_{spec.frame_length}_f32(
        &mfcc, EDGENN_MFCC_MEL_FILTERS, EDGENN_MFCC_DCT_OUTPUTS, edgenn_mfcc_dct, edgenn_mfcc_filter_positions,
        edgenn_mfcc_filter_lengths, edgenn_mfcc_filter_coefs, edgenn_mfcc_window);
    return status == ARM_MATH_SUCCESS ? 0 : -1;
}}

void edgenn_frontend_compute(const int16_t *clip, float *features) {{
    uint32_t f, k;
    for (f = 0; f < (uint32_t)EDGENN_FRONTEND_FRAMES; ++f) {{
        const int16_t *in = clip + f * (uint32_t)EDGENN_FRONTEND_HOP_LENGTH;
        /* arm_mfcc_f32 normalises and windows its input in place: it works on a copy of the frame. */
        for (k = 0; k < (uint32_t)EDGENN_MFCC_FFT_LENGTH; ++k) {{
            frame[k] = (float32_t)in[k] / 32768.0f;
        }}
        arm_mfcc_f32(&mfcc, frame, features + f * (uint32_t)EDGENN_FRONTEND_COEFFICIENTS, scratch);
    }}
}}
"""
    return header, source


def _make_fragment() -> str:
    srcs = " \\\n    ".join(CMSIS_SOURCES)
    return f"""# CMSIS-DSP {CMSISDSP_VERSION} files the frontend compiles, relative to the tree (generated by edgenn).
EDGENN_CMSISDSP_VERSION := {CMSISDSP_VERSION}
EDGENN_CMSISDSP_SRCS := \\
    {srcs}
EDGENN_CMSISDSP_INCS := {" ".join(CMSIS_INCLUDE_DIRS)}
EDGENN_CMSISDSP_DEFS := {" ".join("-D" + d for d in CMSIS_DEFINES)}
EDGENN_FRONTEND_SRCS := edgenn_frontend.c mfcc_tables.c
"""


def write_frontend(spec, folder: Path) -> Path:
    """Write the frontend's C folder for `spec` (see the module docstring); returns the folder."""
    from dataclasses import asdict

    from edgenn.frontend.mfcc import tables

    t = tables(spec)  # checks the spec first
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables_h, tables_c = _tables_c(spec, t)
    api_h, api_c = _api_c(spec)
    manifest = {
        "spec": asdict(spec),
        "frames": spec.frames,
        "cmsisdsp_version": CMSISDSP_VERSION,
        "cmsis_sources": list(CMSIS_SOURCES),
    }
    for name, text in (
        ("mfcc_tables.h", tables_h),
        ("mfcc_tables.c", tables_c),
        ("edgenn_frontend.h", api_h),
        ("edgenn_frontend.c", api_c),
        ("cmsisdsp.mk", _make_fragment()),
        (MANIFEST, json.dumps(manifest, indent=2) + "\n"),
    ):
        _write(folder / name, text)
    return folder


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in (["fetch"], ["path"]):
        print("usage: python -m edgenn.frontend.csrc fetch|path", file=sys.stderr)
        return 2
    try:
        # With EDGENN_CMSISDSP_SRC set, that tree (or tarball) is used and nothing is downloaded.
        root = fetch() if args == ["fetch"] and not os.environ.get(ENV_SOURCE) else cmsis_dsp_root()
    except EdgeNNError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return 2
    print(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
