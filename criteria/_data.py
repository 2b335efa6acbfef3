"""Shared plumbing for the criteria data files: a frozen base model and one clear error type.

The data files in this package are written by hand. When one is wrong, the loader raises
:class:`CriteriaDataError`, whose message names the file, the key path and what is wrong, instead of a
raw pydantic traceback.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable
from importlib.resources import files
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

# One way of describing a bad input file for the whole project (key paths as the file spells them).
from fixtures.tomlfile import describe_validation_error

__all__ = ["CriteriaDataError", "Frozen", "parse_toml", "read_resource_text", "validate_data"]

M = TypeVar("M", bound=BaseModel)

_PACKAGE = "criteria"


class Frozen(BaseModel):
    """Base for every criteria model: unknown keys are errors and loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CriteriaDataError(ValueError):
    """A criteria data file is missing, is not valid TOML/CSV, or does not match its model."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin = origin
        self.problems = problems
        if len(problems) == 1:
            text = f"{origin}: {problems[0]}"
        else:
            text = f"{origin}: {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text)


def validate_data(origin: str, data: Any, model: type[M]) -> M:
    """Validate parsed data against ``model``; any problem becomes one :class:`CriteriaDataError`."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise CriteriaDataError(origin, describe_validation_error(err, data)) from None


def read_resource_text(name: str) -> str:
    """Read a data file shipped in this package (works from a checkout and when installed)."""
    try:
        return files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CriteriaDataError(name, ["data file not found in the criteria package"]) from None


def parse_toml(origin: str, text: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a :class:`CriteriaDataError` naming ``origin``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CriteriaDataError(origin, [f"TOML syntax error: {exc}"]) from None
    except RecursionError:  # why: tomllib recurses into nested arrays and inline tables
        raise CriteriaDataError(origin, ["TOML cannot be parsed: nested too deeply"]) from None


def duplicates(values: Iterable[str]) -> list[str]:
    """Values that occur more than once, in first-seen order."""
    return [value for value, count in Counter(values).items() if count > 1]
