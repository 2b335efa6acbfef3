"""Known-vulnerable software versions for S1.1-13 (``known_vulnerable_versions.toml``).

Usage::

    for hit in match_software("RomPager/4.07 UPnP/1.0"):
        hit.entry.cves, hit.version
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import Field, field_validator

from criteria._data import Frozen, parse_toml, read_resource_text, validate_data

__all__ = ["KnownVulnerable", "SoftwareMatch", "load_known_vulnerable", "match_software", "version_key"]

RESOURCE = "known_vulnerable_versions.toml"


def version_key(text: str) -> tuple[int, ...]:
    """Dotted numbers for comparison: '2016.74' -> (2016, 74); '0.94.14rc21' -> (0, 94, 14, 21)."""
    # why [:100]: int() refuses over 4300 digits, and no version number has 100
    return tuple(int(n[:100]) for n in re.findall(r"\d+", text)[:8])


class KnownVulnerable(Frozen):
    """One piece of software whose versions below ``fixed_in`` (or all, without it) are vulnerable."""

    name: str
    match: str = Field(description="regular expression with a group named 'version'")
    fixed_in: str | None = None
    cves: tuple[str, ...] = Field(min_length=1)
    why: str
    source: str
    status: str = Field(pattern="^(confirmed|background)$")

    @field_validator("match")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if "version" not in compiled.groupindex:
            raise ValueError("needs a group named 'version', as in (?P<version>\\d+\\.\\d+)")
        return value

    def vulnerable(self, version: str) -> bool:
        return self.fixed_in is None or version_key(version) < version_key(self.fixed_in)


class _Meta(Frozen):
    item: str = Field(pattern=r"^S1\.1-[0-9]{2}$")
    summary: str


class _File(Frozen):
    meta: _Meta
    software: tuple[KnownVulnerable, ...] = Field(min_length=1)


class SoftwareMatch(Frozen):
    entry: KnownVulnerable
    announced: str = Field(description="the software string the device announced")
    version: str


@cache
def load_known_vulnerable() -> tuple[KnownVulnerable, ...]:
    return validate_data(RESOURCE, parse_toml(RESOURCE, read_resource_text(RESOURCE)), _File).software


def match_software(announced: str) -> list[SoftwareMatch]:
    """Every known-vulnerable entry the announced software string matches at a vulnerable version."""
    hits = []
    for entry in load_known_vulnerable():
        for m in re.finditer(entry.match, announced[:4096], re.IGNORECASE):
            version = m.group("version")
            if entry.vulnerable(version):
                hits.append(SoftwareMatch(entry=entry, announced=announced[:200], version=version))
                break
    return hits
