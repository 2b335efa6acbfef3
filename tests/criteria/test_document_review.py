"""The ★1 document-review checklist: it loads, covers every item, agrees with the catalogue and the
device profile, and a bad checklist is rejected with a message naming the key."""

from __future__ import annotations

import copy
import re
import tomllib
import typing
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from criteria import (
    STAR1_IDS,
    Check,
    CriteriaDataError,
    DocumentReview,
    load_document_review,
    load_star1,
    parse_document_review,
)
from criteria.document_review import (
    AIDS,
    AUTOMATIC_AIDS,
    DOCUMENT_KEYS,
    IXIT_TABLES,
    MIN_CHECKS_PER_DOCUMENT_ITEM,
    document_items,
)
from fixtures.profile import ActionName, DeviceProfile, DocumentRef, Documents
from tests.fixtures.test_tomlfile import toml_key, toml_value

DOCUMENT_ITEMS = {"S1.1-05", "S1.1-07", "S1.1-09", "S1.1-16"}

# Profile tables that are no IXIT declaration for a review question: who the customer is, the receipt, the
# scan reports handed in, N/A justifications, the lab's hookup and the harness's own test settings.
NOT_IXIT = {
    "schema_version",
    "customer",
    "receipt",
    "vulnerability_scan_reports",
    "not_applicable",
    "lab_hookup",
    "reference_bench",
    "validation",
}


def shipped_text() -> str:
    return files("criteria").joinpath("document_review.toml").read_text(encoding="utf-8")


def raw_review() -> dict[str, Any]:
    """The shipped document_review.toml, parsed but not validated (a fresh copy each call)."""
    return copy.deepcopy(tomllib.loads(shipped_text()))


# --- a small TOML writer, so that the rule tests go through parse_document_review (text) ---------------


def dump_toml(data: dict[str, Any]) -> str:
    """Top-level scalars, tables and arrays of tables; anything deeper as inline values."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict | list)]
    lines += [
        f"{toml_key(k)} = {toml_value(v)}"
        for k, v in data.items()
        if isinstance(v, list) and not (v and all(isinstance(x, dict) for x in v))
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{toml_key(key)}]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for table in value:
                lines.append(f"[[{toml_key(key)}]]")
                lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def parse(data: dict[str, Any]) -> DocumentReview:
    return parse_document_review(dump_toml(data), "bad.toml")


def index_of(data: dict[str, Any], check_id: str) -> int:
    return next(n for n, c in enumerate(data["checks"]) if c["id"] == check_id)


# --- the shipped checklist -------------------------------------------------------------------------------


def test_checklist_loads_and_is_cached() -> None:
    review = load_document_review()
    assert review.review.id == "jcstar-star1-document-review"
    assert review.review.based_on == ("jcstar-star1",)
    assert load_document_review() is review
    assert review.items == STAR1_IDS


def test_writer_round_trips_the_shipped_file() -> None:
    assert tomllib.loads(dump_toml(raw_review())) == raw_review()
    assert parse(raw_review()) == load_document_review()
    assert parse_document_review(shipped_text(), "criteria/document_review.toml") == load_document_review()


def test_document_items_derive_from_the_catalogue() -> None:
    cat = load_star1()
    assert document_items(cat) == DOCUMENT_ITEMS
    for item_id in DOCUMENT_ITEMS - {"S1.1-07"}:
        assert cat.item(item_id).target == "vendor" and cat.item(item_id).evaluation == "document"


def test_coverage_every_item() -> None:
    review = load_document_review()
    for item_id in STAR1_IDS:
        checks = review.for_item(item_id)
        if item_id in DOCUMENT_ITEMS:
            assert len(checks) >= MIN_CHECKS_PER_DOCUMENT_ITEM, item_id
            assert {c.kind for c in checks} == {"document"}, item_id
        else:
            assert 1 <= len(checks) <= 3, item_id
            assert {c.kind for c in checks} == {"conceptual"}, item_id


def test_every_requirement_of_an_item_is_asked() -> None:
    review = load_document_review()
    for item in load_star1().items:
        asked = {r for c in review.for_item(item.id) for r in c.requirements}
        assert set(item.requirements) <= asked, item.id


def test_requirements_outside_the_item_are_explained() -> None:
    cat = load_star1()
    for check in load_document_review().checks:
        if set(check.requirements) - set(cat.item(check.item).requirements):
            assert check.note, check.id


def test_aids_and_automatic_checks() -> None:
    review = load_document_review()
    automatic = {c.id: c.aid for c in review.checks if c.automatic}
    assert automatic == {
        "S1.1-05.policy_given": "documents_present",
        "S1.1-09.support_period_current": "support_period",
    }
    assert review.check("S1.1-05.contact").aid == "security_txt"
    assert {c.aid for c in review.checks if c.aid} == set(AIDS)
    for check in review.checks:
        if check.aid in ("security_txt", "model_designation"):
            assert not check.automatic, check.id
    assert frozenset({"documents_present", "support_period"}) == AUTOMATIC_AIDS


def test_s1_1_07_compares_the_manual_with_the_declared_procedure() -> None:
    check = load_document_review().check("S1.1-07.matches_device")
    assert check.kind == "document"
    assert check.documents == ("user_manual",)
    assert check.ixit == ("update", "actions")


def test_document_checks_read_documents_and_conceptual_checks_the_ixit() -> None:
    for check in load_document_review().checks:
        if check.kind == "document":
            assert check.documents or check.aid, check.id
        else:
            assert check.ixit and not check.documents and check.aid is None, check.id


def test_questions_are_single_questions_in_both_languages() -> None:
    for check in load_document_review().checks:
        assert check.question_en.count("?") == 1 and check.question_en.endswith("?"), check.id
        assert check.question_ja.endswith(("か。", "？")), check.id
        assert len(check.guidance_en) <= 600, check.id


def test_lookups_and_clear_key_errors() -> None:
    review = load_document_review()
    assert review.check("S1.1-05.contact").item == "S1.1-05"
    assert review.for_item("S1.1-05")[0].id == "S1.1-05.policy_given"
    with pytest.raises(KeyError, match=re.escape("checks of S1.1-05: S1.1-05.policy_given")):
        review.check("S1.1-05.contakt")
    with pytest.raises(KeyError, match=re.escape("no check 'nonsense'")):
        review.check("nonsense")
    with pytest.raises(KeyError, match=re.escape("not a ★1 item id; valid ids: S1.1-01")):
        review.for_item("S1.1-17")


def test_models_are_frozen() -> None:
    check = load_document_review().check("S1.1-05.contact")
    with pytest.raises(Exception, match="frozen"):
        check.automatic = True  # type: ignore[misc]


# --- the constants against the harness's device profile (criteria imports nothing from fixtures) ------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model behind a field annotation (``Update``, ``list[Service]``, ``Documents``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def test_document_keys_are_the_profile_documents() -> None:
    refs = {name for name, f in Documents.model_fields.items() if DocumentRef in typing.get_args(f.annotation)}
    assert set(DOCUMENT_KEYS) == refs


def test_ixit_tables_are_profile_tables() -> None:
    fields = set(DeviceProfile.model_fields)
    assert set(IXIT_TABLES) <= fields
    # A new profile table needs a decision: review it (IXIT_TABLES) or not (NOT_IXIT).
    assert fields == set(IXIT_TABLES) | NOT_IXIT


def test_profile_keys_named_in_guidance_exist() -> None:
    tables = "|".join(IXIT_TABLES)
    for check in load_document_review().checks:
        for table, key in re.findall(rf"\b({tables})\.([a-z_]+)", check.guidance_en):
            if table == "actions":
                assert key in typing.get_args(ActionName), f"{check.id}: actions.{key}"
            else:
                model = _model_of(DeviceProfile.model_fields[table].annotation)
                assert model is not None and key in model.model_fields, f"{check.id}: {table}.{key}"
            assert table in check.ixit or check.kind == "document", f"{check.id} cites {table} without reviewing it"


# --- each rule rejects a bad checklist, naming the key --------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def edit_check(check_id: str, **changes: Any) -> Edit:
    def apply(data: dict[str, Any]) -> None:
        check = data["checks"][index_of(data, check_id)]
        for key, value in changes.items():
            if value is None:
                check.pop(key, None)
            else:
                check[key] = value

    return apply


def duplicate_id(data: dict[str, Any]) -> None:
    data["checks"][1]["id"] = data["checks"][0]["id"]


def keep_two_for_s1_1_16(data: dict[str, Any]) -> None:
    s16 = [c for c in data["checks"] if c["item"] == "S1.1-16"]
    data["checks"] = [c for c in data["checks"] if c["item"] != "S1.1-16"] + s16[:2]


def drop_s1_1_14(data: dict[str, Any]) -> None:
    data["checks"] = [c for c in data["checks"] if c["item"] != "S1.1-14"]


def review_based_on(data: dict[str, Any]) -> None:
    data["review"]["based_on"] = ["another-catalogue"]


# (edit, key the message names, what it says)
BAD: list[tuple[str, Edit, str, str]] = [
    ("duplicate id", duplicate_id, "checks[1].id", "is already the id of checks[0]"),
    ("id prefix", edit_check("S1.1-05.contact", id="S1.1-06.contact"), "checks[2]",
     "the id starts with 'S1.1-06' but item is 'S1.1-05'"),
    ("id pattern", edit_check("S1.1-05.contact", id="S1.1-05.Contact"), "checks[2].id", "should match pattern"),
    ("not a ★1 item", edit_check("S1.1-05.contact", id="S1.1-17.contact", item="S1.1-17"), "checks[2].item",
     "'S1.1-17' is not a ★1 item"),
    ("unknown requirement", edit_check("S1.1-05.contact", requirements=["2-1", "9-9"]), "checks[2].requirements",
     "requirement '9-9' is not declared in criteria/star1.toml"),
    ("requirement outside the item", edit_check("S1.1-05.contact", requirements=["2-1", "3-3"]), "checks[2]",
     "requirement 3-3 is not one of S1.1-05's (2-1); say why in 'note'"),
    ("repeated requirement", edit_check("S1.1-05.contact", requirements=["2-1", "2-1"]), "checks[2].requirements",
     "'2-1' is listed twice"),
    ("unknown source", edit_check("S1.1-05.contact", sources=["nowhere"]), "checks[2].sources",
     "source 'nowhere' is not declared in criteria/star1.toml"),
    ("no source", edit_check("S1.1-05.contact", sources=[]), "checks[2].sources", "at least 1 item"),
    ("document kind on a device item", edit_check("S1.1-04.protection_declared", kind="document"), "checks[",
     "kind 'document' is only for the items read in documents (S1.1-05, S1.1-07, S1.1-09, S1.1-16)"),
    ("conceptual kind on a document item", edit_check("S1.1-05.contact", kind="conceptual"), "checks[2]",
     "kind 'conceptual' is not for S1.1-05"),
    ("unknown kind", edit_check("S1.1-05.contact", kind="interview"), "checks[2].kind", "'document' or 'conceptual'"),
    ("document check reads nothing", edit_check("S1.1-05.published", documents=[]), "checks[1]",
     "a document check needs 'documents' (at least one) or an 'aid'"),
    ("unknown document", edit_check("S1.1-05.published", documents=["privacy_policy"]), "checks[1].documents[0]",
     "'vulnerability_disclosure_policy', 'update_policy' or 'user_manual'"),
    ("repeated document", edit_check("S1.1-05.published", documents=["user_manual", "user_manual"]),
     "checks[1].documents", "'user_manual' is listed twice"),
    ("conceptual check without ixit", edit_check("S1.1-04.protection_declared", ixit=[]), "checks[",
     "a conceptual check needs 'ixit'"),
    ("unknown ixit table", edit_check("S1.1-04.protection_declared", ixit=["credentials"]), ".ixit[0]",
     "'identity', 'network'"),
    ("conceptual check with documents", edit_check("S1.1-04.protection_declared", documents=["user_manual"]),
     "checks[", "'documents' must be empty"),
    ("conceptual check with an aid", edit_check("S1.1-04.protection_declared", aid="model_designation"), "checks[",
     "a conceptual check has no 'aid'"),
    ("unknown aid", edit_check("S1.1-05.contact", aid="dns_lookup"), "checks[2].aid", "'documents_present'"),
    ("automatic without an aid", edit_check("S1.1-05.published", automatic=True), "checks[1]",
     "'automatic = true' needs an 'aid'"),
    ("automatic hint", edit_check("S1.1-05.contact", automatic=True), "checks[2]",
     "'automatic = true' is not allowed with aid 'security_txt'"),
    ("automatic as text", edit_check("S1.1-05.policy_given", automatic="true"), "checks[0].automatic",
     "expected true or false"),
    ("documents_present without documents", edit_check("S1.1-05.policy_given", documents=[]), "checks[0]",
     "aid 'documents_present' reads the check's documents"),
    ("support_period without the documents table", edit_check("S1.1-09.support_period_current", ixit=[]),
     "checks[", "'ixit' must include 'documents'"),
    ("two questions", edit_check("S1.1-05.contact", question_en="Is there a contact? Does it work?"),
     "checks[2].question_en", "must be one question"),
    ("not a question", edit_check("S1.1-05.contact", question_ja="連絡先が記載されている。"),
     "checks[2].question_ja", "must be one question"),
    ("missing question", edit_check("S1.1-05.contact", question_ja=None), "checks[2].question_ja",
     "missing required key"),
    ("typo in a key", edit_check("S1.1-05.contact", question_en=None, questoin_en="Is there a contact?"),
     "checks[2].questoin_en", "unknown key"),
    ("too few document checks", keep_two_for_s1_1_16, "checks", "item S1.1-16 has 2 document check(s)"),
    ("item without a check", drop_s1_1_14, "checks", "item S1.1-14 has no conceptual check"),
    ("based_on", review_based_on, "review.based_on", "must name the ★1 catalogue 'jcstar-star1'"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "key", "problem"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_checklist_is_rejected_naming_the_key(edit: Edit, key: str, problem: str) -> None:
    data = raw_review()
    edit(data)
    with pytest.raises(CriteriaDataError) as info:
        parse(data)
    message = str(info.value)
    assert message.startswith("bad.toml: "), message
    assert key in message, message
    assert problem in message, message


def test_toml_syntax_error_is_a_clear_error() -> None:
    with pytest.raises(CriteriaDataError, match=re.escape("bad.toml: TOML syntax error")):
        parse_document_review("[review\n", "bad.toml")


def test_check_model_alone_rejects_a_bad_check() -> None:
    good = load_document_review().check("S1.1-05.contact").model_dump()
    with pytest.raises(ValueError, match="needs an 'aid'"):
        Check.model_validate({**good, "aid": None, "automatic": True})


# --- fuzz: any input gives a checklist or one clean CriteriaDataError -----------------------------------

toml_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
scalars = st.one_of(
    toml_text,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.sampled_from(
        [
            "S1.1-05",
            "S1.1-17",
            "2-1",
            "17-12",
            "document",
            "conceptual",
            "user_manual",
            "update",
            "support_period",
            "security_txt",
            "meti-policy-2024-08",
            "S1.1-05.contact",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(toml_text, inner, max_size=3),
    max_leaves=8,
)
check_keys = st.sampled_from([*Check.model_fields, "questoin_en", ""]) | toml_text


def _replace(data: dict[str, Any], where: int, key: str, value: Any, drop: bool) -> dict[str, Any]:
    checks = data["checks"]
    target = checks[where % len(checks)]
    if drop:
        target.pop(key, None)
    else:
        target[key] = value
    return data


def _raises_only_clean_errors(text: str) -> None:
    try:
        result = parse_document_review(text, "fuzz.toml")
    except CriteriaDataError as exc:
        assert str(exc).startswith("fuzz.toml: ")
    else:
        assert isinstance(result, DocumentReview)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_clean_error(text: str) -> None:
    _raises_only_clean_errors(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), check_keys, values, st.booleans())
def test_any_change_to_a_check_gives_a_checklist_or_a_clean_error(where: int, key: str, value: Any, drop: bool) -> None:
    _raises_only_clean_errors(dump_toml(_replace(raw_review(), where, key, value, drop)))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([*DocumentReview.model_fields, "extra"]), values)
def test_any_top_level_value_gives_a_clean_error(key: str, value: Any) -> None:
    data = raw_review()
    data[key] = value
    _raises_only_clean_errors(dump_toml(data))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.text(max_size=60))
def test_any_line_of_the_file_replaced_gives_a_clean_error(line: int, replacement: str) -> None:
    lines = shipped_text().splitlines()
    lines[line % len(lines)] = replacement
    _raises_only_clean_errors("\n".join(lines))
