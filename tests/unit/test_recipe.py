import re
from pathlib import Path

import pytest

from edgenn.errors import RecipeError
from edgenn.recipe import LAYER_OPTIONS, load_recipe

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "models" / "digits_cnn.toml"


def write(tmp_path, text, name="r.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_digits_recipe_loads():
    r = load_recipe(DIGITS)
    assert r.name == "digits_cnn"
    assert r.model.input_shape == (8, 8, 1)
    kinds = [layer.type for layer in r.model.layers]
    # The seed's building blocks: Conv2D → BatchNormalization → ReLU, …, Dropout, Dense.
    assert kinds[:3] == ["conv2d", "batchnorm", "relu"]
    assert "dropout" in kinds and "dense" in kinds
    assert r.budgets.min_int8_accuracy >= 0.95


def test_codegen_section_chooses_the_kernels_build(tmp_path):
    assert load_recipe(DIGITS).codegen.optimize == "speed"
    text = DIGITS.read_text().replace("[optimize]", '[codegen]\noptimize = "size"\n\n[optimize]', 1)
    assert load_recipe(write(tmp_path, text)).codegen.optimize == "size"


def test_every_recipe_layer_has_a_builder():
    keras = pytest.importorskip("keras")
    from edgenn.train.layers import builders

    assert set(builders(keras)) == set(LAYER_OPTIONS)


@pytest.mark.parametrize(
    "change, message",
    [
        (("[train]", "[train]\nwarmup = 3"), "unknown key 'train.warmup'"),
        (("epochs = 30", 'epochs = "many"'), "'train.epochs' must be integer"),
        (("epochs = 30", "epochs = 2.5"), "'train.epochs' must be integer"),
        (("epochs = 30", "epochs = 0"), "'train.epochs' must be positive"),
        (('type = "relu" }', 'type = "swish" }'), "unknown layer type 'swish'"),
        (("filters = 16,", "filters = 16, groups = 2,"), "unknown option 'groups' for conv2d"),
        (('padding = "same"', 'padding = "full"'), "must be 'same' or 'valid'"),
        (("rate = 0.3", "rate = 1.5"), "must be in [0, 1)"),
        (('optimizer = "adam"', 'optimizer = "lion"'), "'train.optimizer' must be one of"),
        (('source = "digits"', 'source = "mnist"'), "'data.source' must be one of"),
        (("min_int8_accuracy = 0.95", "min_int8_accuracy = 95"), "must be in [0, 1]"),
        (("input_shape = [8, 8, 1]", "input_shape = [8, -8, 1]"), "positive integers"),
        (('name = "digits_cnn"', 'name = "digits cnn"'), "identifier-like"),
        (("[budgets]", "[budgets]\nmax_flash = 3"), "unknown key 'budgets.max_flash'"),
        (("prune_share = 0.6", "prune_share = 0"), "'optimize.prune_share' must be in (0, 1]"),
        (("fine_tune_epochs = 15", "fine_tune_epochs = 0"), "'optimize.fine_tune_epochs' must be positive"),
        (("[optimize]", "[optimize]\nschedule = 1"), "unknown key 'optimize.schedule'"),
        (("[optimize]", '[codegen]\noptimize = "tiny"\n\n[optimize]'), "'codegen.optimize' must be one of speed, size"),
        (("[optimize]", '[codegen]\ncompress = "lut3"\n\n[optimize]'), "unknown key 'codegen.compress'"),
    ],
)
def test_bad_recipes_name_file_and_key(tmp_path, change, message):
    text = DIGITS.read_text()
    assert change[0] in text
    path = write(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    assert message in str(err.value)
    assert str(path) in err.value.line()
    assert "\n" not in err.value.line()


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(RecipeError, match="recipe not found"):
        load_recipe(tmp_path / "absent.toml")
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_recipe(write(tmp_path, "name = [\n"))
    with pytest.raises(RecipeError, match="unknown key 'layerz'"):
        load_recipe(write(tmp_path, "layerz = 1\n"))
    with pytest.raises(RecipeError, match=r"missing \[model\]"):
        load_recipe(write(tmp_path, 'name = "x"\n'))


KWS = REPO / "models" / "kws_dscnn.toml"


@pytest.mark.parametrize(
    "change, message",
    [
        (("frame_length = 256", "frame_length = 250"), "a power of two >= 32, got 250"),
        (("clip_samples = 8192", "clip_samples = 128"), "'frontend.frame_length' (256) exceeds clip_samples (128)"),
        (("mfcc_coefficients = 13", "mfcc_coefficients = 40"), "cannot exceed 'frontend.mel_filters'"),
        (("fmax = 4000.0", "fmax = 4100.0"), "fmax <= sample_rate / 2 (4000)"),
        (
            ("hop_length = 128", "hop_length = 64"),
            "must be the frontend's feature shape [125, 13, 1] (or [125, 13]: frames as a sequence), got [63, 13, 1]",
        ),
        (('kind = "mfcc"', 'kind = "mel"'), "'frontend.kind' must be one of none, mfcc"),
        (('kind = "mfcc"', 'kind = "none"'), "a wav data source needs an audio [frontend]"),
        (('split = "customary"', 'split = "random"'), "'data.split' must be 'customary' or 'speaker'"),
        (('test_speaker = "theo"', "split_note = 1"), "unknown key 'data.split_note'"),
    ],
)
def test_bad_audio_recipes(tmp_path, change, message):
    text = KWS.read_text()
    assert change[0] in text
    path = write(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    assert message in str(err.value) and str(path) in err.value.line()


def test_speaker_split_needs_a_test_speaker(tmp_path):
    text = KWS.read_text().replace('split = "customary"', 'split = "speaker"').replace('test_speaker = "theo"', "")
    with pytest.raises(RecipeError, match="'data.test_speaker' is required when data.split is 'speaker'"):
        load_recipe(write(tmp_path, text))


def test_audio_recipe_loads():
    r = load_recipe(KWS)
    assert r.frontend.feature_shape == r.model.input_shape == (63, 13, 1)
    assert (r.data.source, r.data.split, r.data.test_speaker) == ("wav", "customary", "theo")


def test_data_option_replaces_the_recipe_path(tmp_path):
    from edgenn.recipe import with_data_path

    r = with_data_path(load_recipe(KWS), tmp_path)
    assert r.data.path == str(tmp_path.resolve())
    with pytest.raises(RecipeError, match="built in: --data needs source 'npz' or 'wav'"):
        with_data_path(load_recipe(DIGITS), tmp_path)


def test_npz_source_needs_a_path(tmp_path):
    text = DIGITS.read_text().replace('source = "digits"', 'source = "npz"')
    with pytest.raises(RecipeError, match="'data.path' is required"):
        load_recipe(write(tmp_path, text))


def test_integers_accepted_where_numbers_are_expected(tmp_path):
    text = DIGITS.read_text().replace("learning_rate = 0.002", "learning_rate = 1")
    assert load_recipe(write(tmp_path, text)).train.learning_rate == 1.0


ARCH = """
name = "a"
[model]
input_shape = [32, 32, 3]
architecture = "resnet8"
options = { filters = 8 }
"""


@pytest.mark.parametrize(
    "change, message",
    [
        (('"resnet8"', '"resnet9"'), "unknown architecture 'resnet9' in 'model.architecture'"),
        (("filters = 8", "width = 8"), "unknown option 'width' for architecture resnet8 (known: filters)"),
        (("filters = 8", "filters = 0"), "'model.options.filters' must be positive"),
        (("filters = 8", "filters = 1.5"), "'model.options.filters' must be integer"),
        (('"resnet8"\noptions = { filters = 8 }', '"fc_autoencoder"'), "goes with model.task = 'anomaly'"),
        (('architecture = "resnet8"', 'task = "ranking"'), "'model.task' must be one of classification"),
        (('architecture = "resnet8"', 'layers = [{ type = "relu" }]'), "'model.options' belongs to an architecture"),
        (("options = { filters = 8 }", 'layers = [{ type = "relu" }]'), "either 'model.layers' or"),
    ],
)
def test_bad_architectures(tmp_path, change, message):
    assert change[0] in ARCH
    with pytest.raises(RecipeError) as err:
        load_recipe(write(tmp_path, ARCH.replace(change[0], change[1], 1)))
    assert message in err.value.line()


def test_architecture_defaults_fill_in(tmp_path):
    r = load_recipe(write(tmp_path, ARCH.replace("options = { filters = 8 }\n", "")))
    assert (r.model.architecture, r.model.options, r.model.layers) == ("resnet8", {"filters": 16}, ())
    text = ARCH.replace('"resnet8"', '"fc_autoencoder"').replace("options = { filters = 8 }", 'task = "anomaly"')
    r = load_recipe(write(tmp_path, text))
    assert r.model.options == {"hidden": 128, "bottleneck": 8, "depth": 4} and r.model.task == "anomaly"


GRAPH = """
name = "graph"
[data]
source = "digits"
[model]
input_shape = [8, 8, 1]
layers = [{layers}]
"""


@pytest.mark.parametrize(
    "layers, message",
    [
        ('{ type = "add", inputs = ["input"] }', "add layer in model.layers[0] needs 'inputs' naming two"),
        ('{ type = "relu", inputs = ["nowhere"] }', "names 'nowhere', not an earlier layer's name"),
        ('{ type = "relu", name = "a" }, { type = "relu", name = "a" }', "'model.layers[1].name' must be a new"),
        ('{ type = "relu", name = "input" }', "must be a new, non-empty name other than 'input'"),
        ('{ type = "relu", name = "a" }, { type = "relu", inputs = ["a", "input"] }', "takes one input"),
        ('{ type = "add", inputs = ["b", "input"] }, { type = "relu", name = "b" }', "names 'b', not an earlier"),
        ('{ type = "concatenate", inputs = "input" }', "'model.layers[0].inputs' must be list"),
    ],
)
def test_bad_graph_recipes_name_the_layer(tmp_path, layers, message):
    with pytest.raises(RecipeError, match=re.escape(message)):
        load_recipe(write(tmp_path, GRAPH.format(layers=layers)))


def test_graph_recipe_keeps_names_and_inputs(tmp_path):
    layers = '{ type = "conv2d", filters = 2, kernel_size = 1, name = "a" }, { type = "add", inputs = ["a", "input"] }'
    r = load_recipe(write(tmp_path, GRAPH.format(layers=layers)))
    assert [(x.type, x.name, x.inputs) for x in r.model.layers] == [
        ("conv2d", "a", ()),
        ("add", None, ("a", "input")),
    ]
