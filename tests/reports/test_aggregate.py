"""Item and overall aggregation: a failure is never hidden, an inconclusive is never a pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.aggregate import item_verdict, overall_statement
from reports.model import Reason, Statement, UnitResult, Verdict

NOW = datetime.now(UTC)


def unit(verdict: Verdict, name: str = "u", reason: Reason | None = None) -> UnitResult:
    return UnitResult(
        nodeid=f"t::{name}",
        name=name,
        item="S1.1-01",
        verdict=verdict,
        reason=reason,
        rationale="r",
        started=NOW,
        finished=NOW,
    )


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ([Verdict.PASS, Verdict.PASS], Verdict.PASS),
        ([Verdict.PASS, Verdict.FAIL], Verdict.FAIL),
        ([Verdict.INCONCLUSIVE, Verdict.FAIL], Verdict.FAIL),
        ([Verdict.PASS, Verdict.INCONCLUSIVE], Verdict.INCONCLUSIVE),
        ([Verdict.PASS, Verdict.NOT_APPLICABLE], Verdict.PASS),
        ([Verdict.NOT_APPLICABLE], Verdict.NOT_APPLICABLE),
    ],
)
def test_item_verdict(verdicts: list[Verdict], expected: Verdict) -> None:
    assert item_verdict([unit(v, str(i)) for i, v in enumerate(verdicts)], None)[0] is expected


def test_item_without_units_is_not_covered_unless_justified_na() -> None:
    assert item_verdict([], None)[:2] == (Verdict.INCONCLUSIVE, Reason.NOT_COVERED)
    assert item_verdict([], "only USB updates")[0] is Verdict.NOT_APPLICABLE


def test_inconclusive_reason_is_carried_to_the_item() -> None:
    got = item_verdict([unit(Verdict.PASS), unit(Verdict.INCONCLUSIVE, "b", Reason.TIMEOUT)], None)
    assert got[:2] == (Verdict.INCONCLUSIVE, Reason.TIMEOUT)


@given(st.lists(st.sampled_from(list(Verdict)), min_size=1, max_size=20))
def test_aggregation_never_passes_what_failed_or_was_inconclusive(verdicts: list[Verdict]) -> None:
    got = item_verdict([unit(v, str(i)) for i, v in enumerate(verdicts)], None)[0]
    if Verdict.FAIL in verdicts:
        assert got is Verdict.FAIL
    elif Verdict.INCONCLUSIVE in verdicts:
        assert got is Verdict.INCONCLUSIVE
    statement = overall_statement([got])
    if got is not Verdict.PASS and got is not Verdict.NOT_APPLICABLE:
        assert statement is not Statement.CONFORMS


def test_overall() -> None:
    assert overall_statement([Verdict.PASS, Verdict.NOT_APPLICABLE]) is Statement.CONFORMS
    assert overall_statement([Verdict.PASS, Verdict.INCONCLUSIVE]) is Statement.CANNOT_BE_DETERMINED
    assert overall_statement([Verdict.INCONCLUSIVE, Verdict.FAIL]) is Statement.DOES_NOT_CONFORM
    assert overall_statement([]) is Statement.CANNOT_BE_DETERMINED
