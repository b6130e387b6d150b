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


def test_npz_source_needs_a_path(tmp_path):
    text = DIGITS.read_text().replace('source = "digits"', 'source = "npz"')
    with pytest.raises(RecipeError, match="'data.path' is required"):
        load_recipe(write(tmp_path, text))


def test_integers_accepted_where_numbers_are_expected(tmp_path):
    text = DIGITS.read_text().replace("learning_rate = 0.002", "learning_rate = 1")
    assert load_recipe(write(tmp_path, text)).train.learning_rate == 1.0
