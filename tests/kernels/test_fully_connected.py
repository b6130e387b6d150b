import numpy as np
import pytest

from tests.kernels.harness import HOST_VARIANTS, check_bit_exact, check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")


def dense_model(units, inputs, activation=None, use_bias=True, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, inputs))
    y = keras.layers.Dense(units, activation=activation, use_bias=use_bias)(x)
    return keras.Model(x, y)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_dense(per_channel, activation):
    check_bit_exact(int8_tflite(dense_model(7, 33, activation), per_channel=per_channel))


def test_dense_without_bias_and_skewed_inputs():
    # Inputs calibrated on [0, 3] give an input zero point at the int8 extreme (-128).
    check_bit_exact(int8_tflite(dense_model(5, 16, use_bias=False), low=0.0, high=3.0))


def test_dense_on_a_rank3_input():
    keras.utils.set_random_seed(1)
    x = keras.Input(batch_shape=(1, 4, 6))
    m = keras.Model(x, keras.layers.Dense(3)(x))
    check_bit_exact(int8_tflite(m))


@pytest.mark.parametrize("per_channel", [True, False])
def test_dense_in_c(tmp_path, per_channel):
    from tests.conftest import require_tool

    require_tool("gcc")
    model = dense_model(9, 40, "relu", seed=3)
    check_c_bit_exact(int8_tflite(model, per_channel=per_channel), tmp_path, count=64)


# --- the C kernel's paths on each kind of core -------------------------------------------------
# The DSP path (cortex-m4) takes output channels four at a time and the depth four bytes at a time,
# Helium (cortex-m55) sixteen bytes at a time with a predicated remainder and predicated lanes for a
# channel count that is not a multiple of four; cortex-m0plus and the host run the plain loop.
C_TARGETS = ["host", "cortex-m0plus", "cortex-m4", "cortex-m55"]


def fc_model(batches, depth, units, in_q, out_q, *, act=0, bias_scale=None, weight_scale=0.02, weight_max=128, seed=0):
    """A hand-built per-tensor FULLY_CONNECTED: in_q/out_q are (scale, zero point), weights random in
    [-weight_max, weight_max); `bias_scale` multiplies the random int32 bias (None: no bias)."""
    from tests.kernels.op_models import T, single_op_model

    rng = np.random.default_rng(seed)
    w = rng.integers(-weight_max, weight_max, (units, depth)).astype(np.int8)
    inputs = [T((batches, depth), scale=in_q[0], zero_point=in_q[1]), T((units, depth), scale=weight_scale, data=w)]
    if bias_scale is not None:
        bias = (rng.uniform(-1, 1, units) * bias_scale).astype(np.int32)
        inputs.append(T((units,), dtype="int32", scale=in_q[0] * weight_scale, data=bias))
    out = T((batches, units), scale=out_q[0], zero_point=out_q[1])
    return single_op_model("FULLY_CONNECTED", inputs, out, {"fusedActivationFunction": act})


def generated_c(tmp_path) -> str:
    return (tmp_path / "c" / "net.c").read_text()


# (batches, depth, units, input (scale, zero point), output (scale, zero point), activation, bias scale,
# weight range, one-multiply requantization expected)
FC_CASES = {
    "odd-depth-3-batches": (3, 37, 7, (0.03, -128), (0.9, 5), 1, 3000, 128, True),
    "tiny": (1, 3, 1, (0.05, 127), (0.4, 0), 0, 100, 128, True),
    "dscnn-head": (1, 64, 12, (0.1, 7), (1.2, -20), 0, 20000, 128, True),
    "two-blocks-and-a-tail": (2, 35, 9, (0.02, 0), (0.03, -128), 3, None, 128, True),
    # a multiplier of exactly 2^-4 (weight scale 0.25): many sums fall halfway, where the roundings differ
    "power-of-two-scales": (2, 13, 6, (0.5, 0), (2.0, 1), 0, 40, 2, True),
    # a bias near 2^30 rules out the one-multiply form: TFLM's two steps
    "huge-bias": (2, 21, 6, (0.04, -3), (20000.0, 0), 0, 2.1e9, 128, False),
    # a multiplier above one (a left shift): TFLM's two steps
    "left-shift": (2, 19, 5, (0.5, 0), (0.008, -1), 2, 50, 2, False),
}


# The device targets, and the host's other kernel variants (HOST_VARIANTS).
TARGET_VARIANTS = [(t, "native") for t in C_TARGETS] + [("host", v) for v in HOST_VARIANTS if v != "native"]


@pytest.mark.parametrize("target, variant", TARGET_VARIANTS)
@pytest.mark.parametrize("case", list(FC_CASES))
def test_c_paths_hand_built(tmp_path, case, target, variant):
    from tests.conftest import require_tool

    require_tool("gcc")
    batches, depth, units, in_q, out_q, act, bias_scale, weight_max, one_multiply = FC_CASES[case]
    weight_scale = 0.25 if case == "power-of-two-scales" else 0.02
    data = fc_model(
        batches,
        depth,
        units,
        in_q,
        out_q,
        act=act,
        bias_scale=bias_scale,
        weight_scale=weight_scale,
        weight_max=weight_max,
        seed=len(case),
    )
    dsp, cflags = HOST_VARIANTS[variant] if target == "host" else (True, "")
    want = check_c_bit_exact(data, tmp_path, count=12, target=target, dsp=dsp, cflags=cflags)
    assert (".rq_k = 0," in generated_c(tmp_path)) != one_multiply
    assert len(np.unique(want)) > 2, "the outputs should not all saturate"


@pytest.mark.parametrize("target", C_TARGETS)
@pytest.mark.parametrize("per_channel", [True, False])
def test_c_paths_converter_batches_and_extreme_zero_points(tmp_path, per_channel, target):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(5)
    x = keras.Input(batch_shape=(1, 3, 45))
    m = keras.Model(x, keras.layers.Dense(13, activation="relu")(x))
    # inputs calibrated on [0, 3]: the input zero point is -128, the ReLU output's too
    check_c_bit_exact(int8_tflite(m, per_channel=per_channel, low=0.0, high=3.0), tmp_path, count=12, target=target)
