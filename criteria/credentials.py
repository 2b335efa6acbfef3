"""Credential dictionaries: the Mirai botnet's hard-coded telnet table (``mirai_credentials.csv``).

The CSV's first line is a ``# source: …`` comment that carries the provenance (repository, commit, lines,
decoding); :func:`mirai_provenance` returns it so that a report can cite it next to any verdict that used
the list. See ``mirai_notes.md`` for the decoding and the differences from the SecLists copy.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import Field

from criteria._data import CriteriaDataError, Frozen, read_resource_text, validate_data

__all__ = ["Credential", "distinct_pairs", "load_mirai", "mirai_provenance", "parse_credentials_csv"]

MIRAI_RESOURCE = "mirai_credentials.csv"
_COLUMNS = ["username", "password", "weight"]
_PROVENANCE_PREFIX = "# source:"


class Credential(Frozen):
    """One username/password pair with its selection weight (Mirai: P(pair) = weight / sum of weights)."""

    username: str = Field(min_length=1)
    password: str = Field(description="May be empty: the bot then sends no password")
    weight: int = Field(ge=1)


def parse_credentials_csv(text: str, origin: str) -> tuple[str, tuple[Credential, ...]]:
    """Parse a credentials CSV whose first line is ``# source: …``; return (provenance, entries).

    Values are kept byte-exact (no whitespace stripping): the empty field is an empty password.
    """
    # Split on "\n" only: str.splitlines() would also split on characters such as \x1e or \u2028.
    first, _, rest = text.partition("\n")
    if not first.startswith(_PROVENANCE_PREFIX):
        raise CriteriaDataError(origin, [f"first line must be a '{_PROVENANCE_PREFIX} …' provenance comment"])
    provenance = first.removeprefix("#").strip()
    reader = csv.reader(io.StringIO(rest, newline=""))
    try:
        return provenance, _entries(reader, origin)
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit()
        raise CriteriaDataError(origin, [f"line {reader.line_num + 1}: not CSV ({exc})"]) from None


def _entries(reader: Any, origin: str) -> tuple[Credential, ...]:
    if next(reader, None) != _COLUMNS:
        raise CriteriaDataError(origin, [f"second line must be the header {','.join(_COLUMNS)}"])
    entries: list[Credential] = []
    for row in reader:
        lineno = reader.line_num + 1  # the provenance line comes before what the reader sees
        if len(row) != len(_COLUMNS):
            raise CriteriaDataError(origin, [f"line {lineno}: expected 3 fields, got {len(row)}"])
        entry = dict(zip(_COLUMNS, row, strict=True))
        entries.append(validate_data(f"{origin} line {lineno}", entry, Credential))
    if not entries:
        raise CriteriaDataError(origin, ["no entries"])
    return tuple(entries)


def load_mirai() -> tuple[Credential, ...]:
    """The 62 Mirai entries in source order (61 distinct pairs: ``guest/12345`` appears twice)."""
    return parse_credentials_csv(read_resource_text(MIRAI_RESOURCE), f"criteria/{MIRAI_RESOURCE}")[1]


def mirai_provenance() -> str:
    """The provenance line of the Mirai list (starts with ``source: https://github.com/…``)."""
    return parse_credentials_csv(read_resource_text(MIRAI_RESOURCE), f"criteria/{MIRAI_RESOURCE}")[0]


def distinct_pairs(credentials: tuple[Credential, ...]) -> tuple[tuple[str, str], ...]:
    """The distinct (username, password) pairs, in first-seen order: what a login probe needs to try."""
    seen: dict[tuple[str, str], None] = {}
    for cred in credentials:
        seen.setdefault((cred.username, cred.password), None)
    return tuple(seen)
