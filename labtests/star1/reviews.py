"""The review units: the evaluator's checklist for an item, judged on the vendor's documents or on
the IXIT, with the automatic aids beside it (fixtures/review.py does the work)."""

from __future__ import annotations

from fixtures.answers import checklist_verdict
from fixtures.review import Reviewer
from fixtures.verdict import TestUnit
from reports.model import Reason, Verdict


def run_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Build the item's checklist, record it on the unit, and give the unit its verdict from it."""
    checks = reviewer.checklist(unit.item, unit.nodeid, unit.folder, unit.save_text)
    unit.checklist = checks
    unit.cite(reviewer.evidence(checks))
    for c in checks:
        if c.aid is not None:
            unit.cite(c.aid.evidence)
        if c.answer is not None and c.answer.attached is not None:
            unit.cite([c.answer.attached])
    verdict, reason, rationale = checklist_verdict(checks, unit.na_justification)
    if verdict is Verdict.PASS:
        unit.passed(rationale)
    elif verdict is Verdict.FAIL:
        unit.failed(rationale)
    elif verdict is Verdict.NOT_APPLICABLE:
        unit.not_applicable()
    else:
        unit.inconclusive(reason or Reason.EVALUATOR_INPUT_PENDING, rationale)
