"""Criteria data for the JC-STAR harness, each with provenance (see ``criteria/README.md``).

* :func:`load_star1`: the ★1 catalogue (items S1.1-01 … S1.1-16, requirements, ETSI mappings).
* :func:`load_mirai`: the Mirai default-credential table (:func:`mirai_provenance` for its source line).
* :func:`load_tls_policy`: CRYPTREC-based crypto policy (verified facts, empty unverified lists,
  derived tables).
* :func:`load_bruteforce`: brute-force thresholds for S1.1-04 (confirmed, unconfirmed and derived values).
* :func:`load_document_review`: the ★1 document-review checklist (document and conceptual checks per item).

Every loader raises :class:`CriteriaDataError` (file, key path, problem) if its data file is invalid.
"""

from criteria._data import CriteriaDataError
from criteria.bruteforce import BruteforceThresholds, load_bruteforce
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
from criteria.credentials import Credential, distinct_pairs, load_mirai, mirai_provenance
from criteria.crypto_policy import CryptoPolicy, DerivedTable, load_tls_policy
from criteria.document_review import (
    Check,
    DocumentReview,
    ReviewInfo,
    load_document_review,
    parse_document_review,
)

__all__ = [
    "STAR1_IDS",
    "BruteforceThresholds",
    "Catalogue",
    "Check",
    "Credential",
    "CriteriaDataError",
    "CryptoPolicy",
    "DerivedTable",
    "DocumentReview",
    "EtsiMapping",
    "Item",
    "Requirement",
    "ReviewInfo",
    "Source",
    "Threat",
    "distinct_pairs",
    "load_bruteforce",
    "load_catalogue",
    "load_document_review",
    "load_mirai",
    "load_star1",
    "load_tls_policy",
    "mirai_provenance",
    "parse_document_review",
]
