"""The host's kernel variants, byte for byte with TFLM: AVX2 (the host build's -march=native on a core
that has it), SSE2 alone, and the plain loops other hosts take (HOST_VARIANTS in harness.py).

The vector paths: CONV_2D's and FULLY_CONNECTED's multiply-adds (test_conv_2d, test_fully_connected),
DEPTHWISE_CONV_2D's blocks of 16 and 8 channels and its one-input-channel line buffer, and the
four-lane requantization they share, checked here against the scalar one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.kernels.harness import HOST_VARIANTS, check_c_bit_exact, int8_tflite, xorshift_c

keras = pytest.importorskip("keras")


def has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.is_file() and " avx2" in cpuinfo.read_text()


VECTOR_REQUANT_CHECK = (
    r"""
#include <stdio.h>
#include "conv_common.h"

#if !EDGENN_CONV_AVX2
#error "built without AVX2"
#endif
"""
    + xorshift_c(0x9E3779B97F4A7C15)
    + r"""
int main(void) {
    long i;
    for (i = 0; i < 1000000; ++i) {
        int32_t x[4];
        int32_t m[4];
        int32_t s[4];
        int32_t got[4];
        const int32_t k = 2 * ((int32_t)(next() % 256u) - 128) + 1;
        const int32_t lo = -128 + (int32_t)(next() % 64u);
        const int32_t hi = 127 - (int32_t)(next() % 64u);
        int j;
        for (j = 0; j < 4; ++j) {
            x[j] = (int32_t)next() >> 2; /* |x| < 2^30, as export requires */
            if (next() % 3u == 0) {
                x[j] >>= next() % 30u;
            }
            m[j] = (int32_t)(next() >> 1);
            s[j] = (int32_t)(next() % 31u);
        }
        _mm_storeu_si128((__m128i *)(void *)got,
                         edgenn_avx_rq4(_mm_loadu_si128((const __m128i *)(const void *)x),
                                        _mm_loadu_si128((const __m128i *)(const void *)m),
                                        _mm_loadu_si128((const __m128i *)(const void *)s), k, _mm_set1_epi32(lo),
                                        _mm_set1_epi32(hi)));
        for (j = 0; j < 4; ++j) {
            if (got[j] != edgenn_clamp_int8(edgenn_conv_rq(x[j], m[j], s[j], k), lo, hi)) {
                printf("%ld %ld %ld %ld\n", (long)x[j], (long)m[j], (long)s[j], (long)k);
                return 1;
            }
        }
    }
    return 0;
}
"""
)


def test_four_lane_requantization_matches_the_scalar_one(tmp_path):
    from edgenn.clib import INCLUDE
    from tests.conftest import require_tool

    gcc = require_tool("gcc")
    if not has_avx2():
        pytest.skip("this CPU has no AVX2: the host build takes SSE2 or the plain loops")
    (tmp_path / "check.c").write_text(VECTOR_REQUANT_CHECK)
    flags = ["-std=c99", "-O2", "-mavx2", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wconversion"]
    subprocess.run([gcc, *flags, f"-I{INCLUDE}", "check.c", "-o", "check"], cwd=tmp_path, check=True)
    proc = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True)
    assert proc.returncode == 0, f"x, multiplier, shift, k where the lanes differ: {proc.stdout}"


def dw_model(shape, kernel, strides, padding, multiplier, activation, seed):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    layer = keras.layers.DepthwiseConv2D(
        kernel, strides=strides, padding=padding, depth_multiplier=multiplier, activation=activation
    )
    return keras.Model(x, layer(x))


DEPTHWISE_CASES = {
    # shape, kernel, strides, padding, multiplier, activation, (low, high)
    "16-and-8-channel-blocks": ((7, 9, 24), 3, 1, "same", 1, "relu6", (-1.0, 1.0)),
    "16-and-a-tail-of-5": ((6, 7, 21), 3, 2, "same", 1, None, (0.0, 3.0)),
    "8-channels-valid": ((8, 6, 8), 3, 1, "valid", 1, "relu", (-3.0, 0.0)),
    "line-buffer-as-person-detection": ((9, 11, 1), 3, 2, "same", 8, "relu", (-1.0, 1.0)),
    "line-buffer-as-micro-speech": ((13, 12, 1), (10, 8), 2, "same", 8, "relu", (0.0, 3.0)),
    "line-buffer-5-wide": ((7, 9, 1), 5, 1, "same", 4, None, (-3.0, 0.0)),
}


@pytest.mark.parametrize("variant", list(HOST_VARIANTS))
@pytest.mark.parametrize("case", list(DEPTHWISE_CASES))
def test_depthwise_variants(tmp_path, case, variant):
    from tests.conftest import require_tool

    require_tool("gcc")
    shape, kernel, strides, padding, multiplier, activation, (low, high) = DEPTHWISE_CASES[case]
    model = dw_model(shape, kernel, strides, padding, multiplier, activation, seed=len(case))
    dsp, cflags = HOST_VARIANTS[variant]
    check_c_bit_exact(int8_tflite(model, low=low, high=high), tmp_path, count=6, dsp=dsp, cflags=cflags)


@pytest.mark.parametrize("variant", list(HOST_VARIANTS))
def test_two_step_requantization_on_the_host(tmp_path, monkeypatch, variant):
    # Layers whose accumulators export cannot bound get TFLM's two steps (forced here): the vector
    # paths leave them to the scalar requantization.
    import edgenn.reference.fully_connected as requant_module
    from tests.conftest import require_tool

    require_tool("gcc")
    monkeypatch.setattr(requant_module, "requant_constants", lambda *args: None)
    keras.utils.set_random_seed(9)
    x = keras.Input(batch_shape=(1, 6, 7, 1))
    y = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=8, activation="relu")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    y = keras.layers.Conv2D(16, 1, activation="relu")(y)
    y = keras.layers.Dense(5)(keras.layers.Flatten()(y))
    data = int8_tflite(keras.Model(x, y))
    dsp, cflags = HOST_VARIANTS[variant]
    check_c_bit_exact(data, tmp_path, count=6, dsp=dsp, cflags=cflags)
    assert ".rq_k = 0," in (tmp_path / "c" / "net.c").read_text()
