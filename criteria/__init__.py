"""Criteria data for the JC-STAR harness, with provenance: the ★1 catalogue and supporting data sets."""

from criteria._data import CriteriaDataError
from criteria.catalogue import (
    STAR1_IDS,
    Catalogue,
    EtsiMapping,
    Item,
    Requirement,
    Source,
    Threat,
    load_catalogue,
    load_star1,
)

__all__ = [
    "STAR1_IDS",
    "Catalogue",
    "CriteriaDataError",
    "EtsiMapping",
    "Item",
    "Requirement",
    "Source",
    "Threat",
    "load_catalogue",
    "load_star1",
]
