"""Classical baselines beside the network: logistic regression, a decision tree and a small random forest.

Each is trained on the training split (features flattened), its hyper-parameter picked on the validation
split, and exported to float C: the trees through emlearn, logistic regression through a small emitter
here. The C is compiled to measure flash and RAM, and a host build of the same C predicts the test split,
so the accuracy reported is that of the C, checked sample by sample against the Python model.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.data.splits import Dataset
from edgenn.errors import EdgeNNError

HOST_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
# The firmware's own Cortex-M4 flags (hard float), so baseline and network sizes compare like for like.
ARM_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Os", "-mcpu=cortex-m4", "-mthumb"]
ARM_FLAGS += ["-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
LOGISTIC_C = (0.1, 1.0, 10.0)
TREE_DEPTHS = (4, 6, 8, 10, 12)
FOREST_TREES = 10
COMPILE_TIMEOUT_S = 120
BASELINES = ("logistic_regression", "decision_tree", "random_forest")


@dataclass(frozen=True)
class Baseline:
    """A fitted model, its C source (a header defining `<name>_predict`) and the Python predictor to match."""

    name: str
    model: Any
    source: str
    n_features: int
    predict: Callable[[np.ndarray], np.ndarray]


def flatten(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.reshape(len(x), -1), dtype=np.float32)


def _pick(candidates, fit: Callable, score: Callable):
    """Fit each candidate and keep the best by validation score; ties keep the earlier (smaller) one."""
    best, best_score = None, -1.0
    for value in candidates:
        model = fit(value)
        s = score(model)
        if s > best_score:
            best, best_score = model, s
    return best


def forest_vote(forest, x: np.ndarray) -> np.ndarray:
    """Majority vote of the trees' own argmax classes, lowest class on a tie: what emlearn's C computes.

    scikit-learn averages the trees' class proportions instead; a hard vote needs no per-leaf
    probability tables in flash, and this reference keeps the C checkable against scikit-learn's trees.
    """
    votes = np.zeros((len(x), forest.n_classes_), dtype=np.int64)
    for tree in forest.estimators_:
        leaf_class = np.argmax(tree.tree_.value[tree.apply(x), 0, :], axis=1)
        votes[np.arange(len(x)), leaf_class] += 1
    return forest.classes_[np.argmax(votes, axis=1)]


def logistic_c(model, name: str) -> str:
    """Float C for a fitted multinomial LogisticRegression: argmax over W x + b.

    emlearn has no linear-model export, so this writes one: softmax is monotonic, so the class is
    the argmax of the logits and no exp() is needed. Weights are float32, rows per class; the first
    maximum wins a tie, as numpy's argmax does in scikit-learn's predict.
    """
    coef = np.asarray(model.coef_, dtype=np.float32)
    bias = np.asarray(model.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # binary: one row scores class 1 against class 0
        coef = np.vstack([np.zeros_like(coef), coef])
        bias = np.concatenate([np.zeros(1, dtype=np.float32), bias])
    n_classes, n_features = coef.shape

    def lit(v: np.float32) -> str:
        return f"{float(v):.8e}f"  # 9 significant digits round-trip a float32 exactly

    rows = ",\n".join("    {" + ", ".join(lit(v) for v in row) + "}" for row in coef)
    guard = f"{name.upper()}_H"
    return f"""#ifndef {guard}
#define {guard}
#include <stdint.h>

static const float {name}_weights[{n_classes}][{n_features}] = {{
{rows}
}};
static const float {name}_bias[{n_classes}] = {{{", ".join(lit(v) for v in bias)}}};

static inline int32_t {name}_predict(const float *features, int32_t features_length) {{
    int32_t best = 0;
    float best_score = 0.0f;
    for (int32_t k = 0; k < {n_classes}; k++) {{
        float score = {name}_bias[k];
        for (int32_t i = 0; i < features_length && i < {n_features}; i++) {{
            score += {name}_weights[k][i] * features[i];
        }}
        if (k == 0 || score > best_score) {{
            best = k;
            best_score = score;
        }}
    }}
    return best;
}}
#endif
"""


def strict_bound(threshold: float) -> np.float32:
    """The float32 `b` with `x < b` exactly when `x <= threshold`, for every float32 `x`.

    scikit-learn sends float32 features left when `x <= threshold` (a float64); emlearn's C tests
    `x < threshold`. On digits, thresholds fall on pixel values (the midpoint of 1/16 and 3/16 is
    2/16), so the two disagree on real samples unless the bound moves to the next float32 up.
    """
    below = np.float32(threshold)
    if float(below) > threshold:
        below = np.nextafter(below, np.float32(-np.inf))
    return np.nextafter(below, np.float32(np.inf))


def tree_c(model, name: str) -> str:
    """emlearn's inline float C for a tree or forest (hard voting), split exactly where scikit-learn splits."""
    from unittest import mock

    saved = np.geterr()
    try:
        import emlearn
        from emlearn import cgen
    finally:
        np.seterr(**saved)  # emlearn.bayes sets numpy to raise on every floating-point warning at import

    # 'loadable' takes int16 features only; 'inline' keeps float features.
    wrapper = emlearn.convert(model, method="inline", dtype="float", leaf_bits=0)
    nodes, _, _ = wrapper.forest_
    for node in nodes:
        node[1] = strict_bound(float(node[1]))
    # emlearn prints float constants with 6 decimals, which would undo the bound moved by one ulp;
    # 9 significant digits give back the exact float32.
    emlearn_constant = cgen.constant

    def exact_constant(val, dtype="float"):
        return f"{float(np.float32(val)):.8e}f" if dtype == "float" else emlearn_constant(val, dtype=dtype)

    with mock.patch.object(cgen, "constant", exact_constant):
        code = wrapper.save(name=name, include_proba=False)
    # The per-tree functions never read features_length; -Wextra -Werror rejects that.
    return code.replace("int32_t features_length) {", "int32_t features_length) {\n    (void)features_length;")


def fit_baselines(ds: Dataset, seed: int) -> list[Baseline]:
    """Train the three baselines; each hyper-parameter is chosen on the validation split only."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    x, y = flatten(ds.x_train), ds.y_train
    xv, yv = flatten(ds.x_val), ds.y_val
    n = x.shape[1]

    def accuracy(predict: Callable) -> Callable:
        return lambda m: float(np.mean(predict(m)(xv) == yv))

    logistic = _pick(
        LOGISTIC_C,
        lambda c: LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(x, y),
        accuracy(lambda m: m.predict),
    )
    tree = _pick(
        TREE_DEPTHS,
        lambda d: DecisionTreeClassifier(max_depth=d, random_state=seed).fit(x, y),
        accuracy(lambda m: m.predict),
    )
    forest = _pick(
        TREE_DEPTHS,
        lambda d: RandomForestClassifier(n_estimators=FOREST_TREES, max_depth=d, random_state=seed).fit(x, y),
        accuracy(lambda m: lambda xs: forest_vote(m, xs)),
    )
    lr_name, tree_name, forest_name = BASELINES
    return [
        Baseline(lr_name, logistic, logistic_c(logistic, lr_name), n, logistic.predict),
        Baseline(tree_name, tree, tree_c(tree, tree_name), n, tree.predict),
        Baseline(forest_name, forest, tree_c(forest, forest_name), n, lambda xs: forest_vote(forest, xs)),
    ]


def _run(cmd: list[str], where: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()[:6]
        raise EdgeNNError(where, f"{Path(cmd[0]).name} failed: " + " | ".join(lines))
    return proc.stdout


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EdgeNNError(None, f"{name} not found: install it (Debian: apt-get install {package})")
    return path


def _write_sources(b: Baseline, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{b.name}.h").write_text(b.source)
    # One call through the public entry point keeps the model's code live, as a firmware would.
    (workdir / "classify.c").write_text(
        f'#include "{b.name}.h"\n'
        "int32_t edgenn_classify(const float *features);\n"
        f"int32_t edgenn_classify(const float *features) {{ return {b.name}_predict(features, {b.n_features}); }}\n"
    )
    (workdir / "main.c").write_text(
        f"""#include <stdio.h>
#include "{b.name}.h"

/* argv[1]: float32 samples of {b.n_features} features; argv[2]: one int32 class per sample. */
int main(int argc, char **argv) {{
    float features[{b.n_features}];
    FILE *in, *out;
    if (argc != 3) return 2;
    in = fopen(argv[1], "rb");
    out = fopen(argv[2], "wb");
    if (!in || !out) return 3;
    while (fread(features, sizeof(float), {b.n_features}, in) == {b.n_features}) {{
        int32_t cls = {b.name}_predict(features, {b.n_features});
        if (fwrite(&cls, sizeof cls, 1, out) != 1) return 4;
    }}
    return fclose(in) || fclose(out) ? 5 : 0;
}}
"""
    )


def compile_size(b: Baseline, workdir: Path, target: str) -> tuple[int, int, int]:
    """Compile the one-call translation unit for `target` ("host" or "cortex-m4"): (text, data, bss)."""
    _write_sources(b, workdir)
    if target == "cortex-m4":
        cc = _tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
        size = _tool("arm-none-eabi-size", "binutils-arm-none-eabi")
        flags = ARM_FLAGS
    elif target == "host":
        cc, size, flags = _tool("gcc", "gcc"), _tool("size", "binutils"), HOST_FLAGS
    else:
        raise EdgeNNError(None, f"unknown target '{target}' (known: host, cortex-m4)")
    obj = workdir / f"{b.name}-{target}.o"
    _run([cc, *flags, "-c", str(workdir / "classify.c"), "-o", str(obj)], b.name)
    text, data, bss = (int(v) for v in _run([size, str(obj)], b.name).strip().splitlines()[-1].split()[:3])
    return text, data, bss


def host_predict(b: Baseline, x: np.ndarray, workdir: Path) -> np.ndarray:
    """Build the host predictor from the same C and run it on `x`: one class per sample."""
    _write_sources(b, workdir)
    exe = workdir / f"{b.name}-predict"
    _run([_tool("gcc", "gcc"), *HOST_FLAGS, str(workdir / "main.c"), "-o", str(exe)], b.name)
    x = flatten(x)
    inputs, outputs = workdir / "inputs.bin", workdir / "outputs.bin"
    x.tofile(inputs)
    _run([str(exe), str(inputs), str(outputs)], b.name)
    got = np.fromfile(outputs, dtype=np.int32)
    if got.size != len(x):
        raise EdgeNNError(exe, f"wrote {got.size} classes for {len(x)} samples")
    return got.astype(np.int64)


def baselines(ds: Dataset, seed: int) -> list[dict]:
    """Points for the accuracy/flash plot: test accuracy of the compiled C, flash and RAM of the model's code.

    Flash is measured for the Cortex-M4 when arm-none-eabi-gcc is installed, else for the host.

    Raises:
        EdgeNNError: a compiler is missing, the C does not compile, or the C disagrees with the Python model.
    """
    target = "cortex-m4" if shutil.which("arm-none-eabi-gcc") and shutil.which("arm-none-eabi-size") else "host"
    points = []
    with tempfile.TemporaryDirectory(prefix="edgenn-classical-") as tmp:
        for b in fit_baselines(ds, seed):
            workdir = Path(tmp) / b.name
            text, data, bss = compile_size(b, workdir, target)
            got = host_predict(b, ds.x_test, workdir)
            want = b.predict(flatten(ds.x_test))
            if not np.array_equal(got, want):
                bad = int(np.sum(got != want))
                raise EdgeNNError(None, f"{b.name}: the C disagrees with the Python model on {bad} test samples")
            points.append(
                {
                    "name": b.name,
                    "kind": "classical",
                    "accuracy": float(np.mean(got == ds.y_test)),
                    "val_accuracy": float(np.mean(b.predict(flatten(ds.x_val)) == ds.y_val)),
                    "flash_bytes": text + data,
                    "flash_target": target,
                    "ram_bytes": data + bss,
                    "macs": None,
                    "sparsity": None,
                    "channels": None,
                    "quant": "float32",
                }
            )
    return points
