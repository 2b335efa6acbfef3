"""The JC-STAR ★1 criteria catalogue (``star1.toml``) as typed, frozen, validated models.

Usage::

    from criteria import load_star1

    cat = load_star1()
    item = cat.item("S1.1-04")
    item.evaluation        # "device"
    item.requirements      # ("1-5",)
    cat.ids                # ("S1.1-01", …, "S1.1-16")

Validation on load: unknown keys are errors; item ids are unique and run S1.1-01 … S1.1-16 in order, each
matching its ``number``; every source, threat and requirement an item names is declared in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from criteria._data import CriteriaDataError, Frozen, duplicates, parse_toml, read_resource_text, validate_data

__all__ = [
    "STAR1_IDS",
    "Catalogue",
    "CatalogueInfo",
    "Confidence",
    "EtsiMapping",
    "Evaluation",
    "Item",
    "Requirement",
    "Source",
    "Threat",
    "load_catalogue",
    "load_star1",
    "parse_catalogue",
]

STAR1_RESOURCE = "star1.toml"
STAR1_IDS: tuple[str, ...] = tuple(f"S1.1-{n:02d}" for n in range(1, 17))
"""The ★1 item ids, in order."""

Evaluation = Literal["document", "device", "both"]
"""How an item is evaluated: document review (ドキュメント評価), device test (実機評価), or both."""

Confidence = Literal["confirmed", "inferred"]
"""``confirmed``: a named source states the mapping. ``inferred``: our reading; see the mapping's note."""

SourceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")]
RequirementId = Annotated[str, Field(pattern=r"^[0-9]{1,2}-[0-9]{1,2}$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]



class Source(Frozen):
    """A document the catalogue's facts come from."""

    id: SourceId
    title: Text
    url_or_path: Text = Field(description="Public URL, or a path in the project's shared folders")
    note: Text = Field(description="What was taken from it, how it was read, and its limits")


class EtsiMapping(Frozen):
    """A link from an item to an ETSI EN 303 645 provision, with the source and how sure it is."""

    provision: str = Field(pattern=r"^5\.[0-9]{1,2}-[0-9]{1,2}$", description="e.g. '5.1-1'")
    source: SourceId = Field(description="Id of a declared source")
    confidence: Confidence
    note: Text | None = Field(default=None, description="The basis of the mapping")


class Threat(Frozen):
    """A threat from the seed's ★1 table (section 3.3 (3/3)), verbatim."""

    id: str = Field(pattern=r"^[1-9](-[①-⑨])?$", description="e.g. '1-①' or '2'")
    text_ja: Text


class Requirement(Frozen):
    """A ★1 security requirement (セキュリティ要件) from the seed, verbatim where the seed lists its text."""

    id: RequirementId
    category_ja: Text = Field(
        description="The seed's 大項目, e.g. '1. 汎用のデフォルトパスワードを使用しない'"
    )
    text_ja: Text | None = None
    listed_in_seed: bool = Field(default=True, description="False: cited by an item but absent from the list")
    note: Text | None = None

    @model_validator(mode="after")
    def _text_or_explanation(self) -> Requirement:
        if self.listed_in_seed and self.text_ja is None:
            raise ValueError(f"requirement {self.id}: text_ja is required when listed_in_seed is true")
        if not self.listed_in_seed and self.note is None:
            raise ValueError(f"requirement {self.id}: a note is required when listed_in_seed is false")
        return self


class Item(Frozen):
    """One ★1 evaluation item (評価項目), S1.1-01 … S1.1-16."""

    id: str = Field(pattern=r"^S1\.1-[0-9]{2}$")
    number: int = Field(ge=1, le=16, description="The seed's item number (N)")
    title_ja: str = Field(min_length=1, max_length=30, description="Short title, our own words")
    title_en: str = Field(min_length=1, max_length=60, description="Short title, our own words")
    seed_label_ja: Text = Field(description="The seed's own label for the item, for comparison")
    target: Literal["product", "vendor"] = Field(description="Seed: IoT製品 or IoT製品ベンダー criterion")
    threats: tuple[str, ...] = Field(min_length=1, description="Ids of declared threats")
    evaluation: Evaluation
    evaluation_basis: Text
    requirements: tuple[RequirementId, ...] = Field(min_length=1, description="As printed in the seed")
    requirements_note: Text | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)
    applicability: Text | None = Field(default=None, description="When the item applies (N/A otherwise)")
    etsi: tuple[EtsiMapping, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        expected = f"S1.1-{self.number:02d}"
        if self.id != expected:
            raise ValueError(f"item {self.id}: number {self.number} needs id {expected}")
        for dup in duplicates(self.requirements):
            raise ValueError(f"item {self.id}: requirement {dup} listed twice")
        for dup in duplicates(m.provision for m in self.etsi):
            raise ValueError(f"item {self.id}: ETSI provision {dup} mapped twice")
        return self


class CatalogueInfo(Frozen):
    """The ``[catalogue]`` table: identity, version basis and sources."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name_ja: Text
    name_en: Text
    version: Text = Field(description="What the item list is based on")
    based_on: tuple[SourceId, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = Field(min_length=1)


class Catalogue(Frozen):
    """A validated criteria catalogue. Look items up with :meth:`item`; :attr:`ids` lists them in order."""

    catalogue: CatalogueInfo
    threats: tuple[Threat, ...] = Field(min_length=1)
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    items: tuple[Item, ...]

    @model_validator(mode="after")
    def _cross_references(self) -> Catalogue:
        source_ids = [s.id for s in self.catalogue.sources]
        for dup in duplicates(source_ids):
            raise ValueError(f"source id '{dup}' is declared twice")
        for dup in duplicates(t.id for t in self.threats):
            raise ValueError(f"threat id '{dup}' is declared twice")
        for dup in duplicates(r.id for r in self.requirements):
            raise ValueError(f"requirement id '{dup}' is declared twice")
        for dup in duplicates(i.id for i in self.items):
            raise ValueError(f"duplicate item id '{dup}'")
        ids = tuple(i.id for i in self.items)
        if ids != STAR1_IDS:
            raise ValueError(
                f"items must be exactly {STAR1_IDS[0]} … {STAR1_IDS[-1]} in order; "
                f"got {', '.join(ids) or 'none'}"
            )
        known_sources = set(source_ids)
        for sid in self.catalogue.based_on:
            if sid not in known_sources:
                raise ValueError(f"catalogue.based_on names unknown source '{sid}'")
        known_threats = {t.id for t in self.threats}
        known_reqs = {r.id for r in self.requirements}
        for item in self.items:
            for sid in item.sources:
                if sid not in known_sources:
                    raise ValueError(f"item {item.id}: sources names unknown source '{sid}'")
            for mapping in item.etsi:
                if mapping.source not in known_sources:
                    raise ValueError(
                        f"item {item.id}: etsi {mapping.provision} names unknown source '{mapping.source}' "
                        f"(declared: {', '.join(source_ids)})"
                    )
            for tid in item.threats:
                if tid not in known_threats:
                    raise ValueError(f"item {item.id}: unknown threat '{tid}'")
            for rid in item.requirements:
                if rid not in known_reqs:
                    raise ValueError(
                        f"item {item.id}: requirement '{rid}' is not declared in [[requirements]]"
                    )
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        """Item ids in catalogue order."""
        return tuple(i.id for i in self.items)

    def item(self, item_id: str) -> Item:
        """The item with this id; :class:`KeyError` naming the valid ids otherwise."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(
            f"no item {item_id!r} in catalogue {self.catalogue.id}; valid ids: {', '.join(self.ids)}"
        )

    def source(self, source_id: str) -> Source:
        """The declared source with this id; :class:`KeyError` otherwise."""
        for src in self.catalogue.sources:
            if src.id == source_id:
                return src
        raise KeyError(f"no source {source_id!r} in catalogue {self.catalogue.id}")

    def requirement(self, requirement_id: str) -> Requirement:
        """The declared requirement with this id (e.g. '1-5'); :class:`KeyError` otherwise."""
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(f"no requirement {requirement_id!r} in catalogue {self.catalogue.id}")


def parse_catalogue(data: Any, origin: str = "catalogue") -> Catalogue:
    """Validate already-parsed catalogue data. Raises :class:`CriteriaDataError` naming ``origin``."""
    return validate_data(origin, data, Catalogue)


def load_catalogue(path: Path) -> Catalogue:
    """Load and validate a catalogue TOML file from ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CriteriaDataError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise CriteriaDataError(str(path), [f"is not UTF-8 text (byte {exc.start})"]) from None
    return parse_catalogue(parse_toml(str(path), text), str(path))


def load_star1() -> Catalogue:
    """Load the ★1 catalogue shipped in this package (``criteria/star1.toml``)."""
    origin = f"criteria/{STAR1_RESOURCE}"
    return parse_catalogue(parse_toml(origin, read_resource_text(STAR1_RESOURCE)), origin)
