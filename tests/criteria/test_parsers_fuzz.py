"""The criteria loaders, fuzzed: a data file (shipped, or a catalogue given by path) that is broken in any
way is one CriteriaDataError naming it, never another exception (docs/parsers.md lists these tests)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from criteria._data import CriteriaDataError, parse_toml, read_resource_text, validate_data
from criteria.catalogue import Catalogue, load_catalogue, parse_catalogue
from criteria.credentials import parse_credentials_csv
from criteria.known_vulnerable import version_key

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
STAR1_LINES = read_resource_text("star1.toml").splitlines()
TOMLISH = st.lists(st.one_of(st.sampled_from(STAR1_LINES), st.text(max_size=30)), max_size=30).map("\n".join)
DEEP = st.sampled_from(["a = " + "[" * 3000, "a = " + "{b = " * 3000, "[" * 3000 + "a]"])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["id", "items", "title", "name", "requirements", "x"]) | st.text(max_size=8),
                        inner, max_size=4),
                    max_leaves=20)


@FUZZ
@example(text="a = " + "[" * 3000)  # once a RecursionError out of tomllib
@given(text=st.one_of(st.text(max_size=300), TOMLISH, DEEP))
def test_any_toml_text_is_data_or_one_criteria_error(text: str) -> None:
    try:
        data = parse_toml("star1.toml", text)
    except CriteriaDataError as exc:
        assert str(exc).startswith("star1.toml: ")
        return
    try:
        parse_catalogue(data, "star1.toml")
    except CriteriaDataError as exc:
        assert str(exc).startswith("star1.toml: ")


@FUZZ
@given(data=JSON)
def test_any_parsed_data_is_a_catalogue_or_one_criteria_error(data: Any) -> None:
    try:
        validate_data("cat.toml", data, Catalogue)
    except CriteriaDataError as exc:
        assert exc.origin == "cat.toml" and exc.problems


@FUZZ
@example(data=b"\xff")  # once a UnicodeDecodeError
@given(data=st.one_of(st.binary(max_size=300), TOMLISH.map(str.encode), DEEP.map(str.encode)))
def test_any_catalogue_file_loads_or_gives_one_criteria_error(tmp_path: Path, data: bytes) -> None:
    folder = tmp_path / "cat"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "cat.toml").write_bytes(data)
    try:
        load_catalogue(folder / "cat.toml")
    except CriteriaDataError as exc:
        assert exc.origin == str(folder / "cat.toml")


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


CELLS = st.one_of(st.text(max_size=12), st.sampled_from(["1", "0", "-1", "x" * 140_000, '"', "\x00", "\r"]))


@FUZZ
@example(text="# source: x\nusername,password,weight\n" + "a" * 200_000 + ",b,1\n")  # once a csv.Error
@given(text=st.one_of(
    st.text(max_size=200),
    st.lists(st.lists(CELLS, max_size=4), max_size=4).map(lambda rows: "# source: gen\nusername,password,weight\n"
                                                          + _csv(rows)),
    st.text(max_size=100).map(lambda t: "# source: gen\nusername,password,weight\n" + t)))
def test_any_credentials_csv_is_entries_or_one_criteria_error(text: str) -> None:
    try:
        provenance, entries = parse_credentials_csv(text, "creds.csv")
    except CriteriaDataError as exc:
        assert str(exc).startswith("creds.csv")
        return
    assert provenance.startswith("source:") and entries


@FUZZ
@example(text="1" * 5000)  # once a ValueError (int() of over 4300 digits)
@given(text=st.one_of(st.text(max_size=60), st.from_regex(r"[0-9.a-z_-]{0,5000}", fullmatch=True)))
def test_any_version_text_gives_a_comparable_key(text: str) -> None:
    key = version_key(text)
    assert key == key and (key <= key)
