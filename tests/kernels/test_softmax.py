import flatbuffers
import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import interpreter, softmax
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite
from tests.kernels.test_logistic import prepare_single, single_op_graph

keras = pytest.importorskip("keras")


def softmax_model(shape):
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, keras.layers.Softmax(axis=-1)(x))


def every_pair() -> np.ndarray:
    """Inputs for a (1, 256, 2) model: invocation a holds the rows (a, b) for every b."""
    codes = np.arange(-128, 128)
    a, b = np.meshgrid(codes, codes, indexing="ij")
    return np.stack([a, b], axis=-1).reshape(256, 1, 256, 2).astype(np.int8)


def options(beta: float = 1.0):
    opts = schema.SoftmaxOptionsT()
    opts.beta = beta
    return opts


def with_beta(data: bytes, beta: float) -> bytes:
    """The same model with every SOFTMAX's beta replaced (the converter always writes 1.0)."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    for op in model.subgraphs[0].operators:
        if isinstance(op.builtinOptions, schema.SoftmaxOptionsT):
            op.builtinOptions.beta = beta
    builder = flatbuffers.Builder(len(data))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# Input calibration ranges: small and large scales, one so large that the beta multiplier is
# capped at 2^31 - 1, and skewed ranges with the zero point at an int8 extreme.
RANGES = [(-0.5, 0.5), (-1.0, 1.0), (-20.0, 20.0), (-5000.0, 5000.0), (0.0, 3.0), (-8.0, 0.1)]


@pytest.mark.parametrize("low, high", RANGES)
def test_softmax_of_every_pair(low, high):
    # Every difference -255..0 against the row maximum, including those below diff_min.
    check_bit_exact(int8_tflite(softmax_model((256, 2)), low=low, high=high), inputs=every_pair())


@pytest.mark.parametrize("length", [2, 10, 37])
@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (-20.0, 20.0), (0.0, 3.0)])
def test_softmax_of_random_rows(length, low, high):
    check_bit_exact(int8_tflite(softmax_model((length,)), low=low, high=high), count=300)


def test_softmax_over_the_last_axis_of_a_rank4_tensor():
    check_bit_exact(int8_tflite(softmax_model((3, 4, 10)), low=-4.0, high=4.0), count=300)


def test_softmax_of_a_long_row():
    data = int8_tflite(softmax_model((600,)), low=-10.0, high=10.0)
    rng = np.random.default_rng(0)
    rows = rng.integers(-128, 128, (40, 1, 600))
    # 511 equal maxima over far smaller values: a sum of exps just under 512, the most TFLM normalizes.
    rows[:20, :, :511] = 127
    rows[:20, :, 511:] = rng.integers(-128, -60, (20, 1, 89))
    check_bit_exact(data, inputs=rows.astype(np.int8))


def test_a_row_tflm_would_abort_on_raises():
    # 512 equal entries sum to 512 in Q12.19; TFLM's output exponent check fails (the process aborts).
    p = prepare_single(
        softmax, single_op_graph("SOFTMAX", "int8", "int8", (0.05, 0), (1 / 256, -128), options(), shape=(1, 512))
    )
    with pytest.raises(UnsupportedError, match="cannot normalize"):
        softmax.run(p, [np.zeros((1, 512), np.int8)])
    ok = np.zeros((1, 512), np.int8)
    ok[0, 0] = -128
    assert softmax.run(p, [ok]).shape == (1, 512)


def test_dense_classifier_head():
    keras.utils.set_random_seed(5)
    x = keras.Input(batch_shape=(1, 32))
    m = keras.Model(x, keras.layers.Dense(10, activation="softmax")(x))
    check_bit_exact(int8_tflite(m, low=-2.0, high=2.0), count=300)


@pytest.mark.parametrize("beta", [0.25, 3.0, 1e-4])
def test_softmax_beta(beta):
    data = with_beta(int8_tflite(softmax_model((256, 2)), low=-6.0, high=6.0), beta)
    assert [op.options.beta for op in parse_tflite(data).ops] == [np.float32(beta)]
    check_bit_exact(data, inputs=every_pair())


def test_the_int8_kernel_leaves_int16_input_to_its_sibling():
    graph = single_op_graph("SOFTMAX", "int16", "int16", (1 / 4096, 0), (1 / 32768, 0), options())
    with pytest.raises(UnsupportedError, match="is int16; supported: int8"):
        prepare_single(softmax, graph)


def test_an_unexpected_output_quantization_is_rejected():
    graph = single_op_graph("SOFTMAX", "int8", "int8", (0.05, 0), (1 / 128, 0), options())
    with pytest.raises(UnsupportedError, match="scale 1/256 and zero point -128"):
        prepare_single(softmax, graph)


def test_a_beta_too_small_for_the_fixed_point_path_is_rejected():
    graph = single_op_graph("SOFTMAX", "int8", "int8", (0.05, 0), (1 / 256, -128), options(1e-9))
    with pytest.raises(UnsupportedError, match="too small"):
        prepare_single(softmax, graph)


def test_prepare_matches_tflm_formulas():
    # scale 1/16: beta * scale * 2^26 = 2^22, so multiplier 2^30, shift 23 and diff_min -floor(31 * 2^26 / 2^23).
    graph = single_op_graph("SOFTMAX", "int8", "int8", (1 / 16, 0), (1 / 256, -128), options())
    p = prepare_single(softmax, graph)
    assert (p.input_multiplier, p.input_left_shift, p.diff_min) == (1 << 30, 23, -248)


def require_gcc():
    from tests.conftest import require_tool

    require_tool("gcc")


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (-20.0, 20.0), (-5000.0, 5000.0), (0.0, 3.0)])
def test_softmax_of_every_pair_in_c(tmp_path, low, high):
    require_gcc()
    check_c_bit_exact(int8_tflite(softmax_model((256, 2)), low=low, high=high), tmp_path, inputs=every_pair())


@pytest.mark.parametrize("beta", [3.0, 1e-4])
def test_softmax_beta_in_c(tmp_path, beta):
    require_gcc()
    data = with_beta(int8_tflite(softmax_model((256, 2)), low=-6.0, high=6.0), beta)
    check_c_bit_exact(data, tmp_path, inputs=every_pair())


@pytest.mark.parametrize("length, low, high", [(2, -1.0, 1.0), (10, 0.0, 3.0), (37, -20.0, 20.0)])
def test_softmax_of_random_rows_in_c(tmp_path, length, low, high):
    require_gcc()
    check_c_bit_exact(int8_tflite(softmax_model((length,)), low=low, high=high), tmp_path, count=300)


def test_softmax_over_the_last_axis_of_a_rank4_tensor_in_c(tmp_path):
    require_gcc()
    check_c_bit_exact(int8_tflite(softmax_model((3, 4, 10)), low=-4.0, high=4.0), tmp_path, count=300)


def test_softmax_of_a_long_row_in_c(tmp_path):
    require_gcc()
    data = int8_tflite(softmax_model((600,)), low=-10.0, high=10.0)
    rng = np.random.default_rng(0)
    rows = rng.integers(-128, 128, (40, 1, 600))
    # Sums of exps just under 512: the largest output exponent TFLM accepts.
    rows[:20, :, :511] = 127
    rows[:20, :, 511:] = rng.integers(-128, -60, (20, 1, 89))
    check_c_bit_exact(data, tmp_path, inputs=rows.astype(np.int8))


def test_a_row_tflm_would_abort_on_gives_the_lowest_code_in_c(tmp_path):
    # TFLM aborts on these rows, so there is nothing to compare with; the C must stay defined and
    # round every probability (all below 1/512) to code -128. The last input is an ordinary row.
    require_gcc()
    from tests.kernels.harness import c_outputs, reference_outputs

    data = int8_tflite(softmax_model((600,)), low=-10.0, high=10.0)
    rows = np.zeros((3, 1, 600), np.int8)
    rows[1, :, :512] = 127
    rows[2, :, 1:] = -128
    out = c_outputs(data, rows, tmp_path)
    assert (out[:2] == -128).all()
    assert (out[2:] == reference_outputs(data, rows[2:]).reshape(out[2:].shape)).all()


def test_gemmlowp_header_matches_the_reference(tmp_path):
    # Rounded to int8, a 1-ulp slip in Q0.31 mostly vanishes; compare the raw int32 results.
    import subprocess

    from edgenn.clib import INCLUDE
    from edgenn.reference import gemmlowp as gl

    require_gcc()
    source = tmp_path / "gl.c"
    source.write_text(
        """#include <stdio.h>
#include "gemmlowp.h"
int main(void) {
    int32_t a;
    while (fread(&a, sizeof a, 1, stdin) == 1) {
        const int32_t neg = a > 0 ? (int32_t)(0u - (uint32_t)a) : a;
        int32_t out[8];
        out[0] = edgenn_gl_exp_on_negative_values(neg, 5);
        out[1] = edgenn_gl_exp_on_negative_values(neg, 4);
        out[2] = edgenn_gl_exp_on_negative_values(neg, 0);
        out[3] = edgenn_gl_exp_on_negative_values(neg, 8);
        out[4] = edgenn_gl_one_over_one_plus_x_for_x_in_0_1(a);
        out[5] = edgenn_gl_get_reciprocal(a, 12, &out[6]);
        out[7] = edgenn_gl_mul_pot(a, 3);
        fwrite(out, sizeof out, 1, stdout);
    }
    return 0;
}
"""
    )
    exe = tmp_path / "gl"
    flags = "-std=c99 -Wall -Wextra -Wpedantic -Werror -Wconversion -Wshadow -O2".split()
    subprocess.run(["gcc", *flags, f"-I{INCLUDE}", str(source), "-o", str(exe)], check=True)
    rng = np.random.default_rng(0)
    # Uniform int32 values, small magnitudes of every size, and the edges.
    small = rng.integers(0, 2**31, 50_000) >> rng.integers(0, 31, 50_000)
    edges = [0, 1, -1, 2**31 - 1, -(2**31), 2**19, 2**26, -(2**26), 2**28, 2**28 - 1]
    a = np.concatenate([rng.integers(-(2**31), 2**31, 100_000), small, -small, np.arange(-2000, 2000), edges])
    a = a.astype(np.int32)
    proc = subprocess.run([str(exe)], input=a.tobytes(), capture_output=True, check=True)
    got = np.frombuffer(proc.stdout, np.int32).reshape(-1, 8).astype(np.int64)
    x = a.astype(np.int64)
    neg = np.where(x > 0, gl.neg(x), x)
    scale, bits = gl.get_reciprocal(x, 12)
    want = np.stack(
        [
            gl.exp_on_negative_values(neg, 5),
            gl.exp_on_negative_values(neg, 4),
            gl.exp_on_negative_values(neg, 0),
            gl.exp_on_negative_values(neg, 8),
            gl.one_over_one_plus_x_for_x_in_0_1(x),
            scale,
            bits,
            gl.saturating_rounding_multiply_by_pot(x, 3),
        ],
        axis=1,
    )
    bad = np.argwhere(got != want)
    assert len(bad) == 0, f"{len(bad)} differ; first: input {a[bad[0][0]]}, column {bad[0][1]}"


def test_dense_classifier_head_on_cortex_m4(tmp_path):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    keras.utils.set_random_seed(5)
    x = keras.Input(batch_shape=(1, 32))
    m = keras.Model(x, keras.layers.Dense(10, activation="softmax")(x))
    check_c_bit_exact(int8_tflite(m, low=-2.0, high=2.0), tmp_path, count=100, target="cortex-m4")


# --- int8 input, int16 output ------------------------------------------------------------------


def int16_output_model(input_q=(0.1, 0), output_q=(1 / 65536, -32768), shape=(1, 256, 2), beta=1.0) -> bytes:
    from tests.kernels.op_models import T, single_op_model

    return single_op_model(
        "SOFTMAX",
        [T(shape, scale=input_q[0], zero_point=input_q[1])],
        T(shape, "int16", scale=output_q[0], zero_point=output_q[1]),
        {"beta": beta},
    )


# (input scale, zero point), output scale, beta: TFLM accepts an output scale within 0.1% of 1/65536
# (keyword_scrambled's is 1/65535).
INT16_OUTPUT = [
    ((0.1, 0), 1 / 65536, 1.0),
    ((0.02, -128), 1 / 65535, 1.0),
    ((0.5, 127), 1 / 65536, 1.0),
    ((40.0, 3), 1 / 65536, 1.0),  # the beta multiplier capped at 2^31 - 1
    ((0.05, 0), 1 / 65536, 3e-3),
]


@pytest.mark.parametrize("input_q, output_scale, beta", INT16_OUTPUT)
def test_int16_output_of_every_pair(input_q, output_scale, beta):
    check_bit_exact(int16_output_model(input_q, (output_scale, -32768), beta=beta), inputs=every_pair())


@pytest.mark.parametrize("length", [3, 37, 600])
def test_int16_output_of_random_rows(length):
    # Rows of 512 or more that int8 output cannot normalize: int16 output's shift stays in range.
    data = int16_output_model((0.01, 0), shape=(1, length))
    rng = np.random.default_rng(length)
    x = np.concatenate([np.zeros((2, 1, length)), rng.integers(-128, 128, (30, 1, length))]).astype(np.int8)
    check_bit_exact(data, inputs=x)


@pytest.mark.parametrize("output_q", [(1 / 65536, 0), (1 / 65000, -32768), (1 / 256, -128)])
def test_an_unexpected_int16_output_quantization_is_rejected(output_q):
    with pytest.raises(UnsupportedError, match="int16 SOFTMAX output must have scale 1/65536"):
        interpreter.prepare(parse_tflite(int16_output_model(output_q=output_q)))


@pytest.mark.parametrize("input_q, output_scale, beta", INT16_OUTPUT[:3])
def test_int16_output_of_every_pair_in_c(tmp_path, input_q, output_scale, beta):
    require_gcc()
    check_c_bit_exact(int16_output_model(input_q, (output_scale, -32768), beta=beta), tmp_path, inputs=every_pair())


def test_int16_output_of_a_long_row_in_c(tmp_path):
    require_gcc()
    data = int16_output_model((0.01, 0), shape=(1, 600))
    rng = np.random.default_rng(0)
    x = np.concatenate([np.zeros((2, 1, 600)), rng.integers(-128, 128, (6, 1, 600))]).astype(np.int8)
    check_c_bit_exact(data, tmp_path, inputs=x)


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_int16_output_on_target(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(
        int16_output_model((0.02, -128), (1 / 65535, -32768)), tmp_path, inputs=every_pair()[::8], target=target
    )
