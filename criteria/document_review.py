"""The ★1 document-review checklist (``document_review.toml``) as typed, frozen, validated models.

The checklist an evaluator works through for the document review (ドキュメント評価) of JC-STAR ★1: one
question per check, answerable pass / fail / not applicable. Two kinds, after ETSI TS 103 701's
conceptual test beside each functional test:

* ``document``: the evaluator reads the vendor's documents (items S1.1-05, -07, -09 and -16);
* ``conceptual``: the evaluator reviews the IXIT declarations of the device profile against the
  criteria (every other item).

Usage::

    from criteria import load_document_review

    review = load_document_review()
    for check in review.for_item("S1.1-05"):
        check.id, check.kind, check.question_en, check.documents, check.aid, check.automatic
    review.check("S1.1-05.contact")
    review.items               # item ids that have checks, in ★1 order

Validation on load (each message names the key): unknown keys are errors; check ids are unique and
start with their ``item``; ``item`` is a ★1 id; requirement and source ids are declared in
``star1.toml``, and a requirement outside the item's own needs a ``note``; ``document`` checks only for
the items read in documents (:func:`document_items`), ``conceptual`` checks only for the others;
document checks name a document or an aid, conceptual checks name at least one IXIT table and no
document or aid; ``automatic = true`` only with an aid that can settle a question alone; every
document item has at least three document checks and every other item at least one conceptual check.

The names of profile documents and IXIT tables are constants here (:data:`DOCUMENT_KEYS`,
:data:`IXIT_TABLES`): the criteria package imports nothing from the harness's profile model, and a
test checks the constants against ``fixtures.profile``.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from criteria._data import Frozen, duplicates, parse_toml, read_resource_text, validate_data
from criteria.catalogue import STAR1_IDS, Catalogue, load_star1

__all__ = [
    "AIDS",
    "AUTOMATIC_AIDS",
    "DOCUMENT_KEYS",
    "IXIT_TABLES",
    "MIN_CHECKS_PER_DOCUMENT_ITEM",
    "PRODUCT_ITEMS_READ_IN_DOCUMENTS",
    "Aid",
    "Check",
    "CheckKind",
    "DocumentKey",
    "DocumentReview",
    "IxitTable",
    "ReviewInfo",
    "document_items",
    "load_document_review",
    "parse_document_review",
]

DOCUMENT_REVIEW_RESOURCE = "document_review.toml"

CheckKind = Literal["document", "conceptual"]
"""``document``: reads vendor documents. ``conceptual``: reviews the IXIT declarations of the profile."""

DocumentKey = Literal["vulnerability_disclosure_policy", "update_policy", "user_manual"]
"""The vendor documents a device profile can name (the ``DocumentRef`` keys of its ``[documents]``)."""

IxitTable = Literal[
    "identity",
    "network",
    "services",
    "outbound",
    "physical_interfaces",
    "authentication",
    "update",
    "storage",
    "resilience",
    "documents",
    "actions",
    "units",
]
"""Top-level device-profile tables a check may review (the profile's ICS/IXIT declarations)."""

Aid = Literal["documents_present", "support_period", "security_txt", "model_designation"]
"""Automatic aids the harness runs beside the evaluator's judgement (implemented in the harness)."""

DOCUMENT_KEYS: tuple[str, ...] = get_args(DocumentKey)
IXIT_TABLES: tuple[str, ...] = get_args(IxitTable)
AIDS: tuple[str, ...] = get_args(Aid)

AUTOMATIC_AIDS: frozenset[str] = frozenset({"documents_present", "support_period"})
"""Aids whose outcome can settle a check alone (``automatic = true``). ``security_txt`` and
``model_designation`` are hints for the evaluator, never a verdict."""

PRODUCT_ITEMS_READ_IN_DOCUMENTS: frozenset[str] = frozenset({"S1.1-07"})
"""Product items whose criterion is itself information for the user, so that their review reads the
vendor's documents. S1.1-07 (requirement 3-3: updates simple for the user to apply) is judged on the
update procedure the user is told, as in Atmark's guide (評価項目: companion app, device UI, download).
The vendor-side items come from the catalogue (:func:`document_items`)."""

MIN_CHECKS_PER_DOCUMENT_ITEM = 3
"""Each item read in documents has at least this many document checks (every other item: one conceptual)."""

CheckId = Annotated[str, Field(pattern=r"^S1\.1-[0-9]{2}\.[a-z][a-z0-9_]{0,47}$")]
ItemId = Annotated[str, Field(pattern=r"^S1\.1-[0-9]{2}$")]
SourceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")]
RequirementId = Annotated[str, Field(pattern=r"^[0-9]{1,2}-[0-9]{1,2}$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Question = Annotated[str, Field(min_length=5, max_length=400)]
Guidance = Annotated[str, Field(min_length=5, max_length=1200)]


@cache
def _star1() -> Catalogue:
    """The ★1 catalogue the checklist refers to (loaded once)."""
    return load_star1()


def document_items(catalogue: Catalogue) -> frozenset[str]:
    """The items reviewed in vendor documents: the vendor-side items of the catalogue (S1.1-05, -09,
    -16: a policy or information the vendor publishes, nothing the device does) and
    :data:`PRODUCT_ITEMS_READ_IN_DOCUMENTS` (S1.1-07)."""
    return frozenset(i.id for i in catalogue.items if i.target == "vendor") | PRODUCT_ITEMS_READ_IN_DOCUMENTS



def _no_repeats(values: tuple[str, ...]) -> tuple[str, ...]:
    for dup in duplicates(values):
        raise ValueError(f"'{dup}' is listed twice")
    return values


class ReviewInfo(Frozen):
    """The ``[review]`` table: identity, version and the catalogue the checks derive from."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name_ja: Text
    name_en: Text
    version: Text
    based_on: tuple[str, ...] = Field(min_length=1, description="Catalogue ids; must include the ★1 catalogue")

    @field_validator("based_on")
    @classmethod
    def _names_the_catalogue(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        catalogue_id = _star1().catalogue.id
        if catalogue_id not in value:
            raise ValueError(f"must name the ★1 catalogue '{catalogue_id}' (criteria/star1.toml)")
        return _no_repeats(value)


class Check(Frozen):
    """One question of the checklist: what it asks, what it reads, and what backs it."""

    id: CheckId = Field(description="'<item id>.<snake_case name>', e.g. 'S1.1-05.contact'")
    item: ItemId
    kind: CheckKind
    question_ja: Question
    question_en: Question
    guidance_ja: Guidance = Field(description="What a PASS needs, what is a FAIL")
    guidance_en: Guidance = Field(description="What a PASS needs, what is a FAIL")
    requirements: tuple[RequirementId, ...] = Field(min_length=1, description="★1 requirement ids")
    documents: tuple[DocumentKey, ...] = Field(default=(), description="Profile documents the evaluator reads")
    ixit: tuple[IxitTable, ...] = Field(default=(), description="Profile tables the evaluator reviews")
    aid: Aid | None = None
    automatic: bool = Field(default=False, strict=True, description="The aid alone settles the check")
    sources: tuple[SourceId, ...] = Field(min_length=1, description="Source ids declared in star1.toml")
    note: Text | None = None

    @field_validator("item")
    @classmethod
    def _star1_item(cls, value: str) -> str:
        if value not in STAR1_IDS:
            raise ValueError(f"'{value}' is not a ★1 item (expected {STAR1_IDS[0]} … {STAR1_IDS[-1]})")
        return value

    @field_validator("requirements")
    @classmethod
    def _declared_requirements(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        declared = {r.id for r in _star1().requirements}
        for rid in value:
            if rid not in declared:
                raise ValueError(f"requirement '{rid}' is not declared in criteria/star1.toml")
        return _no_repeats(value)

    @field_validator("sources")
    @classmethod
    def _declared_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        declared = [s.id for s in _star1().catalogue.sources]
        for sid in value:
            if sid not in declared:
                raise ValueError(
                    f"source '{sid}' is not declared in criteria/star1.toml (declared: {', '.join(declared)})"
                )
        return _no_repeats(value)

    @field_validator("documents", "ixit")
    @classmethod
    def _unique_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _no_repeats(value)

    @field_validator("question_en")
    @classmethod
    def _one_question_en(cls, value: str) -> str:
        if not value.endswith("?") or value.count("?") != 1:
            raise ValueError("must be one question, ending with its only '?'")
        return value

    @field_validator("question_ja")
    @classmethod
    def _one_question_ja(cls, value: str) -> str:
        if not value.endswith(("か。", "？")) or value.count("？") > 1:
            raise ValueError("must be one question, ending with 「か。」 or 「？」")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Check:
        me = f"check {self.id}"
        prefix = self.id.rsplit(".", 1)[0]
        if prefix != self.item:
            raise ValueError(f"{me}: the id starts with '{prefix}' but item is '{self.item}'")
        catalogue = _star1()
        in_documents = self.item in document_items(catalogue)
        if self.kind == "document" and not in_documents:
            raise ValueError(
                f"{me}: kind 'document' is only for the items read in documents "
                f"({', '.join(sorted(document_items(catalogue)))}); {self.item} takes kind 'conceptual'"
            )
        if self.kind == "conceptual" and in_documents:
            raise ValueError(f"{me}: kind 'conceptual' is not for {self.item}, an item read in documents")
        if self.kind == "document" and not self.documents and self.aid is None:
            raise ValueError(f"{me}: a document check needs 'documents' (at least one) or an 'aid'")
        if self.kind == "conceptual":
            if not self.ixit:
                raise ValueError(f"{me}: a conceptual check needs 'ixit' (at least one profile table)")
            if self.documents:
                raise ValueError(f"{me}: a conceptual check reviews the IXIT only; 'documents' must be empty")
            if self.aid is not None:
                raise ValueError(f"{me}: a conceptual check has no 'aid' (aids serve document checks)")
        if self.aid in ("documents_present", "model_designation") and not self.documents:
            raise ValueError(f"{me}: aid '{self.aid}' reads the check's documents; 'documents' is empty")
        if self.aid == "support_period" and "documents" not in self.ixit:
            raise ValueError(
                f"{me}: aid 'support_period' reads documents.support_period_end; 'ixit' must include 'documents'"
            )
        if self.automatic:
            if self.aid is None:
                raise ValueError(f"{me}: 'automatic = true' needs an 'aid'")
            if self.aid not in AUTOMATIC_AIDS:
                raise ValueError(
                    f"{me}: 'automatic = true' is not allowed with aid '{self.aid}', a hint that never decides "
                    f"(automatic aids: {', '.join(sorted(AUTOMATIC_AIDS))})"
                )
        own = catalogue.item(self.item).requirements
        outside = [r for r in self.requirements if r not in own]
        if outside and self.note is None:
            raise ValueError(
                f"{me}: requirement {', '.join(outside)} is not one of {self.item}'s ({', '.join(own)}); "
                "say why in 'note'"
            )
        return self


class DocumentReview(Frozen):
    """The validated checklist. Look checks up with :meth:`for_item` and :meth:`check`."""

    review: ReviewInfo
    checks: tuple[Check, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _coverage(self) -> DocumentReview:
        first: dict[str, int] = {}
        for n, check in enumerate(self.checks):
            if check.id in first:
                raise ValueError(f"checks[{n}].id: '{check.id}' is already the id of checks[{first[check.id]}]")
            first[check.id] = n
        in_documents = document_items(_star1())
        for item_id in STAR1_IDS:
            count = sum(1 for c in self.checks if c.item == item_id)
            if item_id in in_documents and count < MIN_CHECKS_PER_DOCUMENT_ITEM:
                raise ValueError(
                    f"checks: item {item_id} has {count} document check(s); an item read in documents needs "
                    f"at least {MIN_CHECKS_PER_DOCUMENT_ITEM}"
                )
            if item_id not in in_documents and count == 0:
                raise ValueError(f"checks: item {item_id} has no conceptual check; it needs at least one")
        return self

    @property
    def items(self) -> tuple[str, ...]:
        """Item ids that have checks, in ★1 order."""
        present = {c.item for c in self.checks}
        return tuple(i for i in STAR1_IDS if i in present)

    def for_item(self, item_id: str) -> tuple[Check, ...]:
        """The checks of one ★1 item, in file order; :class:`KeyError` for an id that is not a ★1 item."""
        if item_id not in STAR1_IDS:
            raise KeyError(f"{item_id!r} is not a ★1 item id; valid ids: {STAR1_IDS[0]} … {STAR1_IDS[-1]}")
        return tuple(c for c in self.checks if c.item == item_id)

    def check(self, check_id: str) -> Check:
        """The check with this id; :class:`KeyError` naming the item's checks otherwise."""
        for c in self.checks:
            if c.id == check_id:
                return c
        item = check_id.rsplit(".", 1)[0]
        siblings = [c.id for c in self.checks if c.item == item]
        hint = f"checks of {item}: {', '.join(siblings)}" if siblings else "ids look like 'S1.1-05.contact'"
        raise KeyError(f"no check {check_id!r} in {self.review.id}; {hint}")


def parse_document_review(text: str, name: str = "document_review") -> DocumentReview:
    """Parse and validate checklist TOML text. Raises :class:`CriteriaDataError` naming ``name``."""
    return validate_data(name, parse_toml(name, text), DocumentReview)


@cache
def load_document_review() -> DocumentReview:
    """Load the checklist shipped in this package (``criteria/document_review.toml``), once."""
    return parse_document_review(read_resource_text(DOCUMENT_REVIEW_RESOURCE), f"criteria/{DOCUMENT_REVIEW_RESOURCE}")
