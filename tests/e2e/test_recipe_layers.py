"""The sequence and vision layers a recipe may name: each builds, converts to int8 TFLite with the
real converter, and runs under TFLM; where the C backend has every op, the C is bit-exact with TFLM.

Recurrent layers are unrolled for the converter (no WHILE loop, which TFLM cannot run), so an LSTM
or GRU becomes fixed per-step ops or one UNIDIRECTIONAL_SEQUENCE_LSTM.
"""

from __future__ import annotations

import pytest

from edgenn.convert.tflite import batch_one
from edgenn.errors import UnsupportedError
from edgenn.recipe import load_recipe
from edgenn.reference import missing_ops
from edgenn.train.layers import build_model
from tests.kernels.harness import check_c_bit_exact, int8_tflite, probe_inputs, tflm_outputs
from tests.kernels.op_models import op_names

RECIPE = """
name = "layers"
[data]
source = "sine"
[model]
task = "regression"
input_shape = {shape}
layers = [{layers}]
"""

CASES = {  # name: (input shape, layers)
    "conv1d": ([16, 3], '{ type = "conv1d", filters = 4, kernel_size = 3, padding = "same" }, { type = "relu" }'),
    "pool1d": ([16, 3], '{ type = "maxpool1d" }, { type = "avgpool1d" }, { type = "global_avgpool1d" }'),
    "lstm": ([6, 4], '{ type = "lstm", units = 8 }, { type = "dense", units = 3 }'),
    "gru": ([6, 4], '{ type = "gru", units = 8 }, { type = "dense", units = 3 }'),
    "conv2d_transpose": ([4, 4, 2], '{ type = "conv2d_transpose", filters = 3, kernel_size = 3, strides = 2 }'),
    "upsampling2d": ([4, 4, 2], '{ type = "upsampling2d", size = 2, interpolation = "bilinear" }'),
    "leaky_relu": ([8], '{ type = "dense", units = 8 }, { type = "leaky_relu", negative_slope = 0.1 }'),
    "prelu": ([8], '{ type = "dense", units = 8 }, { type = "prelu" }'),
    "hard_swish": ([8], '{ type = "dense", units = 8 }, { type = "hard_swish" }'),
    "reshape": ([8], '{ type = "reshape", target_shape = [2, 4] }, { type = "dense", units = 3 }'),
    # graphs: a residual block (ADD) and two branches joined on the channels (CONCATENATION)
    "residual_add": (
        [6, 6, 4],
        '{ type = "conv2d", filters = 4, kernel_size = 3, padding = "same", name = "a" },'
        '{ type = "relu" }, { type = "conv2d", filters = 4, kernel_size = 3, padding = "same" },'
        '{ type = "add", inputs = ["a", "input"] }, { type = "relu" }',
    ),
    "concatenate": (
        [6, 6, 2],
        '{ type = "conv2d", filters = 3, kernel_size = 1, name = "narrow" },'
        '{ type = "conv2d", filters = 5, kernel_size = 3, padding = "same", inputs = ["input"], name = "wide" },'
        '{ type = "concatenate", inputs = ["narrow", "wide"] }, { type = "global_avgpool2d" }',
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_recipe_layer_converts_and_runs_under_tflm(case, tmp_path):
    import keras

    shape, layers = CASES[case]
    path = tmp_path / "r.toml"
    path.write_text(RECIPE.format(shape=shape, layers=layers))
    recipe = load_recipe(path)
    keras.utils.set_random_seed(0)
    model = batch_one(keras, build_model(keras, recipe.model, "layers"))  # as edgenn's converter sees it
    data = int8_tflite(model)
    ops = op_names(data)
    assert "WHILE" not in ops, ops
    x = probe_inputs(tuple(model.inputs[0].shape[1:]), count=6).reshape(6, 1, *model.inputs[0].shape[1:])
    tflm_outputs(data, x)  # TFLM runs it
    if missing_ops(ops, need_c=True):
        with pytest.raises(UnsupportedError, match="not supported"):
            check_c_bit_exact(data, tmp_path / "c", x)
    else:
        check_c_bit_exact(data, tmp_path / "c", x)


def test_nearest_upsampling_is_refused_in_the_recipe(tmp_path):
    """Keras 3 lowers it to TILE, which TFLM cannot run: the recipe says so before any training."""
    from edgenn.errors import RecipeError

    path = tmp_path / "r.toml"
    path.write_text(RECIPE.format(shape=[4, 4, 2], layers='{ type = "upsampling2d", interpolation = "nearest" }'))
    with pytest.raises(RecipeError, match="must be 'bilinear'"):
        load_recipe(path)


def test_graph_recipe_builds_the_graph_it_names(tmp_path):
    """The residual recipe is a functional model whose ADD takes the first conv's output and the input."""
    import keras

    path = tmp_path / "r.toml"
    path.write_text(RECIPE.format(shape=CASES["residual_add"][0], layers=CASES["residual_add"][1]))
    model = build_model(keras, load_recipe(path).model, "graph")
    add = next(layer for layer in model.layers if isinstance(layer, keras.layers.Add))
    sources = {t._keras_history.operation.name for t in add.input}
    first_conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert sources == {first_conv.name, "input"}
