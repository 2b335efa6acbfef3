"""The ★1 catalogue: it loads, its items are consistent, and bad catalogues are rejected clearly."""

from __future__ import annotations

import copy
import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from criteria import STAR1_IDS, Catalogue, CriteriaDataError, load_catalogue, load_star1
from criteria.catalogue import parse_catalogue

# Checked by hand against the seed (METI 2024-08 policy document, section 3.3 (3/3)): item (N) and the
# requirement numbers printed after it, in the printed order.
SEED_REQUIREMENTS: dict[int, tuple[str, ...]] = {
    1: ("1-3", "5-5"),
    2: ("1-2", "1-1"),
    3: ("1-4",),
    4: ("1-5",),
    5: ("2-1",),
    6: ("3-1", "3-2"),
    7: ("3-3",),
    8: ("3-7", "3-2", "3-10"),
    9: ("3-8",),
    10: ("3-16",),
    11: ("4-1",),
    12: ("5-1", "5-7"),
    13: ("6-1",),
    14: ("9-1",),
    15: ("11-1",),
    16: ("17-12", "17-3", "17-5", "17-8", "17-10"),
}

# From the NTT table (document review vs device test), the only evaluation types a source states.
CONFIRMED_EVALUATION = {
    "S1.1-01": "document",
    "S1.1-02": "document",
    "S1.1-03": "document",
    "S1.1-04": "device",
    "S1.1-05": "document",
}


def raw_star1() -> dict[str, Any]:
    """The shipped star1.toml, parsed but not validated (a fresh copy each call)."""
    text = files("criteria").joinpath("star1.toml").read_text(encoding="utf-8")
    return copy.deepcopy(tomllib.loads(text))


def test_catalogue_loads_with_sixteen_items() -> None:
    cat = load_star1()
    assert cat.catalogue.id == "jcstar-star1"
    assert len(cat.items) == 16
    assert cat.ids == STAR1_IDS
    assert STAR1_IDS[0] == "S1.1-01" and STAR1_IDS[-1] == "S1.1-16"


def test_ids_and_numbers_agree() -> None:
    for n, item in enumerate(load_star1().items, start=1):
        assert item.number == n
        assert item.id == f"S1.1-{n:02d}"


def test_requirements_match_the_seed_table() -> None:
    cat = load_star1()
    assert {i.number: i.requirements for i in cat.items} == SEED_REQUIREMENTS


def test_every_cited_requirement_is_declared_and_grounded() -> None:
    cat = load_star1()
    for item in cat.items:
        for rid in item.requirements:
            req = cat.requirement(rid)
            assert req.text_ja or req.note
    # The one requirement the seed cites but does not list is flagged, with an explanation.
    assert not cat.requirement("17-12").listed_in_seed
    assert cat.item("S1.1-16").requirements_note


def test_evaluation_types_from_sources_are_kept() -> None:
    cat = load_star1()
    for item_id, evaluation in CONFIRMED_EVALUATION.items():
        assert cat.item(item_id).evaluation == evaluation
    for item in cat.items:
        assert item.evaluation_basis


def test_etsi_mappings_name_declared_sources_and_are_not_overclaimed() -> None:
    cat = load_star1()
    declared = {s.id for s in cat.catalogue.sources}
    for item in cat.items:
        assert item.etsi, f"{item.id} has no ETSI mapping"
        for mapping in item.etsi:
            assert mapping.source in declared
            # No source available here states an S1.1 -> EN 303 645 mapping outright.
            assert mapping.confidence == "inferred"
            assert mapping.note


def test_applicability_notes_for_conditional_items() -> None:
    cat = load_star1()
    assert "network" in (cat.item("S1.1-04").applicability or "")
    assert "network" in (cat.item("S1.1-08").applicability or "")


def test_titles_are_short() -> None:
    for item in load_star1().items:
        assert len(item.title_en) <= 60 and len(item.title_ja) <= 30
        assert item.title_ja != item.seed_label_ja


def test_item_lookup_and_clear_key_error() -> None:
    cat = load_star1()
    assert cat.item("S1.1-13").number == 13
    with pytest.raises(KeyError, match=re.escape("valid ids: S1.1-01")):
        cat.item("S1.1-17")


def test_models_are_frozen() -> None:
    item = load_star1().item("S1.1-01")
    with pytest.raises(Exception, match="frozen"):
        item.number = 2  # type: ignore[misc]


def test_round_trip_through_python_data() -> None:
    cat = load_star1()
    again = Catalogue.model_validate(cat.model_dump())
    assert again == cat


# --- invalid catalogues ---------------------------------------------------------------------------------


def test_unknown_key_is_rejected_with_its_path() -> None:
    data = raw_star1()
    data["items"][2]["titel_en"] = "typo"
    with pytest.raises(CriteriaDataError, match=re.escape("unknown key 'items[2].titel_en'")):
        parse_catalogue(data, "bad.toml")


def test_duplicate_item_id_is_rejected() -> None:
    data = raw_star1()
    data["items"][3] = copy.deepcopy(data["items"][2])
    with pytest.raises(CriteriaDataError, match=re.escape("duplicate item id 'S1.1-03'")):
        parse_catalogue(data, "bad.toml")


def test_unknown_etsi_source_is_rejected() -> None:
    data = raw_star1()
    data["items"][0]["etsi"][0]["source"] = "nowhere"
    with pytest.raises(CriteriaDataError, match=re.escape("etsi 5.1-3 names unknown source 'nowhere'")):
        parse_catalogue(data, "bad.toml")


def test_number_must_match_id() -> None:
    data = raw_star1()
    data["items"][4]["number"] = 6
    with pytest.raises(CriteriaDataError, match=re.escape("number 6 needs id S1.1-06")):
        parse_catalogue(data, "bad.toml")


def test_missing_item_breaks_contiguity() -> None:
    data = raw_star1()
    del data["items"][7]
    with pytest.raises(CriteriaDataError, match=re.escape("items must be exactly S1.1-01")):
        parse_catalogue(data, "bad.toml")


def test_undeclared_requirement_is_rejected() -> None:
    data = raw_star1()
    data["items"][0]["requirements"] = ["1-3", "5-6"]
    with pytest.raises(CriteriaDataError, match="requirement '5-6' is not declared"):
        parse_catalogue(data, "bad.toml")


def test_bad_evaluation_value_is_rejected() -> None:
    data = raw_star1()
    data["items"][0]["evaluation"] = "lab"
    with pytest.raises(CriteriaDataError, match=re.escape("items[0].evaluation")):
        parse_catalogue(data, "bad.toml")


def test_load_catalogue_from_file_reports_syntax_errors(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[catalogue\n", encoding="utf-8")
    with pytest.raises(CriteriaDataError, match=re.escape("broken.toml: TOML syntax error")):
        load_catalogue(bad)
