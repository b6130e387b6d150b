"""The JSON Schemas shipped in edgenn/schemas: valid documents, one per file kind and version, and the
one-line errors a damaged file gets."""

import json
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

from edgenn import schemas
from edgenn.errors import BuildDirError


def shipped() -> set[str]:
    return {p.name for p in resources.files("edgenn.schemas").iterdir() if p.name.endswith(".schema.json")}


def test_every_kind_has_its_versioned_file_and_nothing_else_is_shipped():
    expected = {schemas.filename(name) for name in (*schemas.VERSIONS, schemas.COMMON)}
    assert shipped() == expected


@pytest.mark.parametrize("name", [*schemas.VERSIONS, schemas.COMMON])
def test_each_schema_is_a_valid_draft_2020_12_document_naming_its_version(name):
    doc = schemas.document(name)
    Draft202012Validator.check_schema(doc)
    version = schemas.VERSIONS.get(name, 1)
    assert doc["$id"] == f"urn:edgenn:schema:{name}:{version}"
    if name != schemas.COMMON:
        assert doc["properties"].get("schema", {"const": version}) in ({"const": version}, {"type": "integer"})
        assert doc["title"]


def minimal_report() -> dict:
    return {
        "schema": 1,
        "model": "m",
        "edgenn_version": "0",
        "command": "edgenn eval",
        "source_sha256": "0" * 64,
        "data": {"split": "test", "samples": 2, "labels": ["a", "b"]},
        "metric": {"name": "accuracy", "higher_is_better": True, "definition": "top-1"},
        "variants": [{"name": "v", "format": "c", "precision": "int8", "runner": "c", "size_bytes": 10}],
        "agreement": {"int8_reference": "t", "int8": {}, "float_reference": "k", "float": {}},
        "footprint": {"flash_bytes": 1, "ram_bytes": 2, "definitions": {"flash_bytes": "f", "ram_bytes": "r"}},
        "gates": [],
    }


def test_a_minimal_report_passes():
    schemas.check(minimal_report(), "report", "report.json")
    schemas.produced(minimal_report(), "report")


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda r: r.pop("footprint"), "'footprint' is missing"),
        (lambda r: r["footprint"].update(flash_bytes="12"), "'footprint.flash_bytes' is a string, expected"),
        (lambda r: r["footprint"].update(ram_bytes=-1), "'footprint.ram_bytes' is -1, expected at least 0"),
        (lambda r: r["variants"][0].update(size_bytes=True), "'variants[0].size_bytes' is true or false"),
        (lambda r: r.update(task="x" * 500 + "\n"), "'task' is a string, expected one of classification"),
        (lambda r: r.update(schema=2), "'schema' is an integer, expected 1"),
        (lambda r: r["data"].update(labels=[1]), "'data.labels[0]' is an integer, expected a string"),
        (lambda r: r["variants"][0].update(class_recall=[1.5]), "'variants[0].class_recall[0]'"),
    ],
)
def test_a_damaged_report_gets_one_line_naming_the_file_and_field(damage, message):
    r = minimal_report()
    damage(r)
    with pytest.raises(BuildDirError) as err:
        schemas.check(r, "report", "build/report.json")
    line = str(err.value)
    assert line.startswith("build/report.json: not as edgenn writes it: ") and message in line
    assert "\n" not in line and len(line) < 300


def test_what_edgenn_writes_must_match_its_schema():
    r = minimal_report()
    r["footprint"]["flash_bytes"] = 2**40
    with pytest.raises(AssertionError, match="edgenn made a report file its schema refuses"):
        schemas.produced(r, "report")


def test_schemas_refer_to_each_other_by_id():
    """The common definitions resolve from every document (no file paths, no network)."""
    text = json.dumps(schemas.document("report"))
    assert "urn:edgenn:schema:common:1#/$defs/" in text
    schemas.check(_c_manifest(), "c-manifest", "c/edgenn.json")


def _c_manifest() -> dict:
    return {
        "schema": 1,
        "name": "m",
        "prefix": "M",
        **_io(),
        "arena_bytes": 1,
        "const_bytes": 2,
        "ops": [],
        "header": "m.h",
        "sources": ["m.c"],
        "kernels": [],
    }


def _io() -> dict:
    io = {"shape": [1, 4], "dtype": "int8", "scale": [0.5], "zero_point": [0]}
    return {"input": io, "output": io}


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "m; rm -rf ~"),  # reaches make's command lines
        ("prefix", "M$(shell id)"),
        ("header", "../../outside.h"),
        ("sources", ["/etc/passwd.c"]),
        ("kernels", ["edgenn/../../x.c"]),
        ("sources", []),
    ],
)
def test_a_hostile_c_manifest_is_refused_before_any_build_reads_it(field, value):
    """A build folder's edgenn.json names the files make compiles: only C identifiers and paths inside it pass."""
    good = {**_c_manifest(), "kernels": ["edgenn/conv_2d.c"]}
    schemas.check(good, "c-manifest", "c/edgenn.json")
    with pytest.raises(BuildDirError, match="c/edgenn.json"):
        schemas.check({**good, field: value}, "c-manifest", "c/edgenn.json")
