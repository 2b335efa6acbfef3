"""From unit verdicts to item verdicts to the overall statement of conformity.

The rules (what a lab's QA checks first):
- item: FAIL if any unit fails; else INCONCLUSIVE if any unit is; else PASS if any unit passed;
  NOT_APPLICABLE only when every unit is, or when no procedure ran and the profile justifies N/A.
  An item that no procedure covers and that is not justified N/A is INCONCLUSIVE (not covered).
- overall: does not conform if any item fails; else cannot be determined if any item is
  INCONCLUSIVE; else conforms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from reports.model import Overall, Reason, Statement, UnitResult, Verdict


def item_verdict(
    units: Sequence[UnitResult], na_justification: str | None
) -> tuple[Verdict, Reason | None, str]:
    """Aggregate the units of one item. Returns (verdict, reason, rationale)."""
    if not units:
        if na_justification is not None:
            return (
                Verdict.NOT_APPLICABLE,
                None,
                f"Not applicable (vendor's justification): {na_justification}",
            )
        return Verdict.INCONCLUSIVE, Reason.NOT_COVERED, "No procedure evaluated this item."
    by = {v: [u for u in units if u.verdict is v] for v in Verdict}
    if by[Verdict.FAIL]:
        names = ", ".join(u.name for u in by[Verdict.FAIL])
        return Verdict.FAIL, None, f"{len(by[Verdict.FAIL])} of {len(units)} units failed: {names}."
    if by[Verdict.INCONCLUSIVE]:
        first = by[Verdict.INCONCLUSIVE][0]
        names = ", ".join(u.name for u in by[Verdict.INCONCLUSIVE])
        return (
            Verdict.INCONCLUSIVE,
            first.reason or Reason.HARNESS_ERROR,
            f"{len(by[Verdict.INCONCLUSIVE])} of {len(units)} units inconclusive: {names}.",
        )
    if by[Verdict.PASS]:
        na = len(by[Verdict.NOT_APPLICABLE])
        extra = f" ({na} not applicable)" if na else ""
        return Verdict.PASS, None, f"All {len(by[Verdict.PASS])} applicable units passed{extra}."
    return Verdict.NOT_APPLICABLE, None, "Every unit was not applicable (justified in the profile)."


def device_tests_support(evaluation: str, units: Sequence[UnitResult]) -> bool:
    """A document-review item for which device tests also ran (supporting evidence beyond the scheme's
    method)."""
    return evaluation == "document" and any(u.device for u in units)


def overall_statement(item_verdicts: Sequence[Verdict]) -> Statement:
    if any(v is Verdict.FAIL for v in item_verdicts):
        return Statement.DOES_NOT_CONFORM
    if not item_verdicts or any(v is Verdict.INCONCLUSIVE for v in item_verdicts):
        return Statement.CANNOT_BE_DETERMINED
    return Statement.CONFORMS


def overall(item_verdicts: Sequence[Verdict], rule_id: str, rule: str) -> Overall:
    counts = Counter(item_verdicts)
    return Overall(
        statement=overall_statement(item_verdicts),
        decision_rule_id=rule_id,
        decision_rule=rule,
        counts={v: counts.get(v, 0) for v in Verdict},
    )


# Exit status of an evaluation run; documented in the README.
EXIT_CONFORMS = 0
EXIT_DOES_NOT_CONFORM = 1
EXIT_INTERRUPTED = 2
EXIT_USAGE = 4
EXIT_CANNOT_BE_DETERMINED = 6

EXIT_BY_STATEMENT = {
    Statement.CONFORMS: EXIT_CONFORMS,
    Statement.DOES_NOT_CONFORM: EXIT_DOES_NOT_CONFORM,
    Statement.CANNOT_BE_DETERMINED: EXIT_CANNOT_BE_DETERMINED,
}
