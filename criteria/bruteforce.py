"""Brute-force thresholds for S1.1-04 (``bruteforce.toml``) as typed, frozen models.

Every value carries its source and a status: ``confirmed`` (a named source states it), ``unconfirmed``
(needed but not found, so it has no value) or ``derived`` (our decision value, ``derived = True``, with
its reasoning). A verdict that relies on a derived value must say so in the report.

Usage::

    th = load_bruteforce()
    limit = th.value("decision_max_failed_per_hour")   # Value(value=1800, derived=True, …)
    limit.value, limit.reasoning
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import Field, model_validator

from criteria._data import Frozen, parse_toml, read_resource_text, validate_data
from criteria.catalogue import Source

__all__ = [
    "BruteforceMeta",
    "BruteforceThresholds",
    "Mitigation",
    "Status",
    "Value",
    "load_bruteforce",
]

BRUTEFORCE_RESOURCE = "bruteforce.toml"

Status = Literal["confirmed", "unconfirmed", "derived"]


class BruteforceMeta(Frozen):
    """``[meta]``: which item and requirements the thresholds serve."""

    id: str
    item: str = Field(pattern=r"^S1\.1-[0-9]{2}$")
    requirements: tuple[str, ...] = Field(min_length=1)
    official_threshold_found: bool
    summary: str


class Mitigation(Frozen):
    """A kind of brute-force mitigation an assessment standard accepts."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    source: str
    status: Status
    measurable: bool = Field(description="True if a rate/lockout measurement on the device can show it")
    note: str | None = None


class Value(Frozen):
    """One threshold value with its provenance."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    quantity: str
    value: float | None = Field(default=None, description="Absent only when status is 'unconfirmed'")
    unit: str
    bound: Literal["min", "max", "exact"]
    mechanism: str = Field(description="A mitigation id, or 'any'")
    applies_to: str
    source: str = Field(description="Declared source id; for derived values, the basis of the reasoning")
    status: Status
    derived: bool
    reasoning: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _status_is_consistent(self) -> Value:
        if self.derived != (self.status == "derived"):
            raise ValueError(f"value {self.id}: derived = {self.derived} contradicts status '{self.status}'")
        if self.derived and not self.reasoning:
            raise ValueError(f"value {self.id}: a derived value needs its reasoning")
        if (self.value is None) != (self.status == "unconfirmed"):
            raise ValueError(
                f"value {self.id}: an unconfirmed value must have no value, any other status must have one"
            )
        return self


class BruteforceThresholds(Frozen):
    """The whole ``bruteforce.toml``."""

    meta: BruteforceMeta
    sources: tuple[Source, ...] = Field(min_length=1)
    mitigations: tuple[Mitigation, ...] = Field(min_length=1)
    values: tuple[Value, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> BruteforceThresholds:
        for kind, ids in (
            ("source", [s.id for s in self.sources]),
            ("mitigation", [m.id for m in self.mitigations]),
            ("value", [v.id for v in self.values]),
        ):
            dups = [i for i, n in Counter(ids).items() if n > 1]
            if dups:
                raise ValueError(f"{kind} id '{dups[0]}' is declared twice")
        sources = {s.id for s in self.sources}
        mechanisms = {m.id for m in self.mitigations} | {"any"}
        for m in self.mitigations:
            if m.source not in sources:
                raise ValueError(f"mitigation {m.id}: unknown source '{m.source}'")
        for v in self.values:
            if v.source not in sources:
                raise ValueError(f"value {v.id}: unknown source '{v.source}'")
            if v.mechanism not in mechanisms:
                raise ValueError(f"value {v.id}: unknown mechanism '{v.mechanism}'")
        return self

    def value(self, value_id: str) -> Value:
        """The value with this id; :class:`KeyError` naming the known ids otherwise."""
        for v in self.values:
            if v.id == value_id:
                return v
        raise KeyError(f"no brute-force value {value_id!r}; known: {', '.join(v.id for v in self.values)}")

    @property
    def decision_values(self) -> tuple[Value, ...]:
        """The derived values a procedure decides against (each must be flagged as derived in a report)."""
        return tuple(v for v in self.values if v.derived)


def load_bruteforce() -> BruteforceThresholds:
    """Load ``criteria/bruteforce.toml`` (works from a checkout and when installed)."""
    origin = f"criteria/{BRUTEFORCE_RESOURCE}"
    return validate_data(
        origin, parse_toml(origin, read_resource_text(BRUTEFORCE_RESOURCE)), BruteforceThresholds
    )
