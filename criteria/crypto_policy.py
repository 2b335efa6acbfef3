"""The CRYPTREC-based crypto policy (``cryptrec_tls.toml``) as typed, frozen models.

The file mixes three kinds of content, and the models keep them apart:

* **verified** facts, read in archived public sources (tables with ``verified = true`` or
  ``*_verified = true``);
* **official values that were not found**: ``*_verified = false`` with the list left **empty** on purpose.
  The loader rejects a non-empty list there, so nothing can be slipped in without flipping the flag;
* **derived** tables (``derived_*``, ``official = false``): our own fallback, not CRYPTREC text. They are
  instances of :class:`DerivedTable`. A verdict that relies on one must say so (e.g. "judged against a
  derived allow-list").

Read ``cryptrec.md`` for what was and was not confirmed.
"""

from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import Field, model_validator

from criteria._data import Frozen, parse_toml, read_resource_text, validate_data

__all__ = [
    "CertificateMin",
    "CryptoPolicy",
    "CryptrecPrimitives",
    "DerivedSshMapping",
    "DerivedStrengthMapping",
    "DerivedTable",
    "DerivedTlsPolicy",
    "Meta",
    "MinBitsNewProcessing",
    "PrimitiveStatus",
    "SecurityStrength",
    "SshAlgorithm",
    "StrengthRow",
    "StrengthStatus",
    "SuiteClass",
    "Tls",
    "TlsHistorical",
    "TlsLevel",
    "TlsLevels",
    "load_tls_policy",
]

TLS_POLICY_RESOURCE = "cryptrec_tls.toml"

StrengthStatus = Literal["allowed", "transition", "legacy_processing", "not_allowed"]
"""利用可 / 移行完遂期間 / 許容 (processing already-protected data only) / 利用不可."""

PrimitiveStatus = Literal[
    "recommended", "candidate", "monitored", "not_listed", "unverified", "listed_in_R2_PQC_table"
]
"""Placement of a primitive in the CRYPTREC list, as far as evidence supports it."""

SuiteClass = Literal["forbidden", "core", "conditional", "cbc_sha2", "excluded", "legacy", "unlisted"]
"""Where a cipher suite falls in the DERIVED TLS policy (never an official CRYPTREC class)."""

Strings = tuple[str, ...]


class DerivedTable(Frozen):
    """Base of every ``derived_*`` table: our own construction, NOT official CRYPTREC content."""

    official: Literal[False] = Field(description="Always false: the table is derived, not CRYPTREC text")


class Meta(Frozen):
    """``[meta]``: identities, dates and URLs of the CRYPTREC documents."""

    compiled_from: str
    cipher_list_id: str
    cipher_list_first_edition: date
    cipher_list_current_revision_date: date = Field(description="From secondary sources")
    cipher_list_page: str
    cipher_list_pdf: str
    cipher_list_membership_verified: bool
    strength_criteria_id: str
    strength_criteria_pdf: str
    tls_guideline_id_verified: str
    tls_guideline_verified_date: date
    tls_guideline_page: str
    tls_guideline_pdf_3_0_1: str
    tls_guideline_newer_version_seen: str = Field(description="Seen as a URL only; content not verified")
    tls_guideline_pdf_3_1_0: str


class StrengthRow(Frozen):
    """One security-strength row: a status per period, for new and for existing processing."""

    new_processing: tuple[StrengthStatus, ...]
    existing_processing: tuple[StrengthStatus, ...]


class MinBitsNewProcessing(Frozen):
    """Convenience view: minimum strength for new processing, by the system's end-of-operation year."""

    end_year_until: int
    min_bits: int
    note: str | None = None


class SecurityStrength(Frozen):
    """``[security_strength]``: the LS-0003 table (via a third-party reproduction; see ``note``)."""

    verified: bool
    source: str
    periods: Strings = Field(min_length=1, description="e.g. '2022-2030'")
    note: str
    bits_112: StrengthRow
    bits_128: StrengthRow
    bits_192: StrengthRow
    bits_256: StrengthRow
    min_bits_new_processing: tuple[MinBitsNewProcessing, ...]

    @model_validator(mode="after")
    def _rows_cover_every_period(self) -> SecurityStrength:
        for bits, row in self.rows().items():
            for name in ("new_processing", "existing_processing"):
                if len(getattr(row, name)) != len(self.periods):
                    raise ValueError(f"bits_{bits}.{name} needs one status per period ({len(self.periods)})")
        for period in self.periods:
            self._period_bounds(period)
        return self

    @staticmethod
    def _period_bounds(period: str) -> tuple[int, int]:
        first, sep, last = period.partition("-")
        if not (sep and first.isdigit() and last.isdigit() and int(first) <= int(last)):
            raise ValueError(f"period {period!r} must look like '2022-2030'")
        return int(first), int(last)

    def rows(self) -> dict[int, StrengthRow]:
        """The rows by security strength in bits."""
        return {112: self.bits_112, 128: self.bits_128, 192: self.bits_192, 256: self.bits_256}

    def status(self, bits: int, end_year: int, *, new_processing: bool = True) -> StrengthStatus:
        """Status of ``bits`` of security strength for a system/data whose use ends in ``end_year``.

        Strength below 112 bits is ``not_allowed``. Other values use the highest row not above them (e.g.
        152 bits → the 128-bit row): our reading, not CRYPTREC text. Raises ValueError outside the periods.
        """
        if bits < 112:
            return "not_allowed"
        row = self.rows()[max(b for b in self.rows() if b <= bits)]
        statuses = row.new_processing if new_processing else row.existing_processing
        for index, period in enumerate(self.periods):
            first, last = self._period_bounds(period)
            if first <= end_year <= last:
                return statuses[index]
        raise ValueError(f"end year {end_year} is outside the table's periods {', '.join(self.periods)}")


class DerivedStrengthMapping(DerivedTable):
    """``[derived_strength_mapping]``: key size → security strength (NIST SP 800-57 style). NOT CRYPTREC."""

    basis: str
    symmetric: dict[str, int]
    rsa_or_ffdh_modulus_bits: dict[str, int]
    ecc_field_bits: dict[str, int]
    eddsa: dict[str, int]
    hash_collision_for_signatures: dict[str, int]
    hash_note: str


class CryptrecPrimitives(Frozen):
    """``[cryptrec_primitives]``: list placement of primitives, ``unverified`` where evidence is missing."""

    verified_source_recommended_2022: str
    verified_source_2013: str
    status: dict[str, PrimitiveStatus]


class TlsLevel(Frozen):
    """One GL-3001 setting level. Official lists not found stay empty, with their flag false."""

    name_ja: str
    protocol_versions_required: Strings = ()
    protocol_versions_allowed: Strings
    protocol_versions_verified: Literal["partial"] | bool
    cipher_suites_tls13: Strings
    cipher_suites_tls12: Strings
    cipher_suites_verified: bool

    @model_validator(mode="after")
    def _unverified_lists_stay_empty(self) -> TlsLevel:
        if not self.cipher_suites_verified and (self.cipher_suites_tls13 or self.cipher_suites_tls12):
            raise ValueError(
                f"{self.name_ja}: cipher_suites_verified is false, so the official suite lists "
                "must stay empty (put fallback suites in [derived_tls_policy])"
            )
        if self.protocol_versions_verified is False and self.protocol_versions_allowed:
            raise ValueError(
                f"{self.name_ja}: protocol_versions_verified is false, "
                "so protocol_versions_allowed must stay empty"
            )
        return self


class TlsLevels(Frozen):
    """The three GL-3001 levels: 高セキュリティ型, 推奨セキュリティ型, セキュリティ例外型."""

    high: TlsLevel
    recommended: TlsLevel
    exception: TlsLevel


class TlsHistorical(Frozen):
    """Protocol versions per level in the old v1.x/2.x guideline (verified; context only)."""

    verified: bool
    source: str
    high: Strings
    recommended: Strings
    exception: Strings


class Tls(Frozen):
    """``[tls]``: what is known of CRYPTREC GL-3001 (TLS 暗号設定ガイドライン)."""

    level_ids: tuple[Literal["high", "recommended", "exception"], ...]
    default_level: Literal["high", "recommended", "exception"]
    prohibited_protocols_all_levels: Strings
    prohibited_protocols_note: str
    cipher_suites_official_found: bool
    levels: TlsLevels
    historical_v1_v2: TlsHistorical

    @model_validator(mode="after")
    def _no_official_suites_claimed(self) -> Tls:
        if not self.cipher_suites_official_found:
            for name in ("high", "recommended", "exception"):
                if getattr(self.levels, name).cipher_suites_verified:
                    raise ValueError(
                        f"levels.{name}.cipher_suites_verified is true "
                        "but cipher_suites_official_found is false"
                    )
        return self


class CertificateMin(Frozen):
    """Minimum certificate key sizes in the derived policy."""

    rsa_bits: int
    ecc_bits: int
    rsa_bits_after_2030: int


class DerivedTlsPolicy(DerivedTable):
    """``[derived_tls_policy]``: fallback TLS allow-list built from recommended primitives. NOT GL-3001."""

    protocol_versions: Strings
    tls13_core: Strings
    tls13_conditional: Strings
    tls13_excluded: Strings
    tls12_core_aead: Strings
    tls12_conditional_aead: Strings
    tls12_cbc_sha2: Strings
    tls12_legacy_patterns: Strings = Field(description="fnmatch patterns")
    tls12_forbidden_patterns: Strings = Field(description="fnmatch patterns")
    key_exchange_groups_core: Strings
    key_exchange_groups_transition_until_2030: Strings
    key_exchange_groups_unverified: Strings
    key_exchange_groups_pqc_hybrid: Strings
    signature_schemes_core: Strings
    signature_schemes_legacy: Strings
    certificate_min: CertificateMin

    def classify_suite(self, name: str) -> SuiteClass:
        """Class of an IANA cipher-suite name in this DERIVED policy.

        Order: forbidden patterns, then the explicit lists, then legacy patterns; ``unlisted`` otherwise.
        """
        if any(fnmatchcase(name, p) for p in self.tls12_forbidden_patterns):
            return "forbidden"
        if name in self.tls13_core or name in self.tls12_core_aead:
            return "core"
        if name in self.tls13_conditional or name in self.tls12_conditional_aead:
            return "conditional"
        if name in self.tls12_cbc_sha2:
            return "cbc_sha2"
        if name in self.tls13_excluded:
            return "excluded"
        if any(fnmatchcase(name, p) for p in self.tls12_legacy_patterns):
            return "legacy"
        return "unlisted"


class SshAlgorithm(Frozen):
    """One SSH algorithm split into CRYPTREC primitive names, with a derived strength (0 = depends)."""

    cryptrec: Strings = Field(min_length=1)
    strength_bits: int = Field(ge=0)
    note: str | None = None


class DerivedSshMapping(DerivedTable):
    """``[derived_ssh_mapping]``: SSH algorithm names → CRYPTREC primitives. NOT official."""

    note: str
    strength_bits_note: str
    cert_suffix_note: str
    aead_note: str
    pseudo_algorithms_to_ignore: Strings
    kex: dict[str, SshAlgorithm]
    host_key: dict[str, SshAlgorithm]
    cipher: dict[str, SshAlgorithm]
    mac: dict[str, SshAlgorithm]


class CryptoPolicy(Frozen):
    """The whole ``cryptrec_tls.toml``."""

    meta: Meta
    security_strength: SecurityStrength
    derived_strength_mapping: DerivedStrengthMapping
    cryptrec_primitives: CryptrecPrimitives
    tls: Tls
    derived_tls_policy: DerivedTlsPolicy
    derived_ssh_mapping: DerivedSshMapping

    @model_validator(mode="after")
    def _ssh_primitives_are_known(self) -> CryptoPolicy:
        known = self.cryptrec_primitives.status
        for group in ("kex", "host_key", "cipher", "mac"):
            for algorithm, entry in getattr(self.derived_ssh_mapping, group).items():
                for primitive in entry.cryptrec:
                    if primitive not in known:
                        raise ValueError(
                            f"derived_ssh_mapping.{group}.{algorithm}: primitive {primitive!r} has no entry "
                            "in [cryptrec_primitives.status]"
                        )
        return self

    @property
    def derived_tables(self) -> dict[str, DerivedTable]:
        """The tables that are our own construction, by key (a report must flag verdicts using them)."""
        return {name: value for name, value in self if isinstance(value, DerivedTable)}

    def primitive_status(self, name: str) -> PrimitiveStatus:
        """List placement of a primitive; ``unverified`` for a name the file does not know."""
        return self.cryptrec_primitives.status.get(name, "unverified")


def load_tls_policy() -> CryptoPolicy:
    """Load ``criteria/cryptrec_tls.toml`` (works from a checkout and when installed)."""
    origin = f"criteria/{TLS_POLICY_RESOURCE}"
    return validate_data(origin, parse_toml(origin, read_resource_text(TLS_POLICY_RESOURCE)), CryptoPolicy)
