"""The method validation record (ISO/IEC 17025 7.2.2): expected against observed verdicts of every ★1
procedure on the reference bench's hardened device and on each defect variant.

Each variant profile names the items its defect must fail (``[validation] expected_fail``); every
other item must pass. A cell is then:

- ``detected``: the defect's item failed, as it must;
- ``false_pass``: the defect's item passed. A conformity tool that passes a broken device is worse
  than none: one of these makes the validation fail;
- ``passed``: an item the defect does not touch passed;
- ``false_fail``: an item the defect does not touch failed (the procedure is not specific);
- ``inconclusive``: no verdict either way (an error, a timeout, a pending answer, not run). Proves
  nothing, so the validation is incomplete until it is resolved.

Per item: sensitivity = detected / variants whose defect breaks it; specificity = passed / variants
that must pass it. Both are None when there is nothing to count.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from reports.model import Environment, Record, Verdict

VALIDATION_NAME = "validation.json"


class Outcome(StrEnum):
    DETECTED = "detected"
    FALSE_PASS = "false_pass"
    PASSED = "passed"
    FALSE_FAIL = "false_fail"
    INCONCLUSIVE = "inconclusive"


class Cell(Record):
    item: str
    expected: Literal["FAIL", "PASS"]
    observed: Verdict | None = Field(description="The item's verdict in the variant's run; None: not run")
    outcome: Outcome


class VariantRun(Record):
    """One variant's evaluation: its profile, its run folder (the evidence), and its cells."""

    variant: str
    profile: str
    profile_sha256: str
    defects: list[str] = Field(description="The bench defects the profile switches on; empty for the hardened device")
    expected_fail: list[str]
    report_id: str | None = Field(description="The run's report id; None when no run folder was made")
    run_folder: str | None
    record_sha256: str | None = Field(description="SHA-256 of the run's evaluation.json as the matrix read it")
    manifest_sha256: str | None
    exit_status: int | None
    seconds: float
    cells: list[Cell]
    problem: str | None = Field(default=None, description="Why the run gave no record, when it gave none")


class ItemValidation(Record):
    item: str
    defects_expected: int = Field(description="Variants whose defect breaks this item")
    detected: int
    false_pass: int
    inconclusive_on_defect: int
    sensitivity: float | None
    must_pass: int = Field(description="Variants (the hardened device among them) that must pass this item")
    passed: int
    false_fail: int
    inconclusive_on_pass: int
    specificity: float | None
    hardened: Verdict | None = Field(description="The hardened device's verdict on this item")


class ValidationRecord(Record):
    schema_version: Literal[1] = 1
    validation_id: str
    purpose: str
    started: datetime
    finished: datetime | None
    criteria: str
    environment: Environment
    items: list[str]
    full: bool = Field(description="Every ★1 item's procedures ran (otherwise the record covers only the items listed)")
    variants: list[VariantRun]
    per_item: list[ItemValidation]
    false_pass: list[str] = Field(description="'<variant> <item>' for every false PASS")
    false_fail: list[str]
    inconclusive: list[str]
    conclusion: Literal["valid", "invalid", "incomplete"] = Field(
        description="invalid: any false PASS or false FAIL; incomplete: otherwise any inconclusive cell or "
        "missing run; valid: every defect detected by exactly its items and every other item passed"
    )


def outcome(expected: str, observed: Verdict | None) -> Outcome:
    if observed is Verdict.FAIL:
        return Outcome.DETECTED if expected == "FAIL" else Outcome.FALSE_FAIL
    if observed is Verdict.PASS:
        return Outcome.FALSE_PASS if expected == "FAIL" else Outcome.PASSED
    # NOT_APPLICABLE on the bench means the profile claimed it: for a defect's item that hides the
    # defect, so it is no detection; INCONCLUSIVE and not run prove nothing either way.
    if observed is Verdict.NOT_APPLICABLE and expected == "FAIL":
        return Outcome.FALSE_PASS
    return Outcome.INCONCLUSIVE


def cells(items: list[str], expected_fail: list[str], observed: dict[str, Verdict]) -> list[Cell]:
    out = []
    for item in items:
        exp: Literal["FAIL", "PASS"] = "FAIL" if item in expected_fail else "PASS"
        got = observed.get(item)
        out.append(Cell(item=item, expected=exp, observed=got, outcome=outcome(exp, got)))
    return out


def per_item(items: list[str], variants: list[VariantRun]) -> list[ItemValidation]:
    result = []
    for item in items:
        mine = [(v, next(c for c in v.cells if c.item == item)) for v in variants]
        on_defect = [c for _, c in mine if c.expected == "FAIL"]
        on_pass = [c for _, c in mine if c.expected == "PASS"]
        detected = sum(c.outcome is Outcome.DETECTED for c in on_defect)
        passed = sum(c.outcome is Outcome.PASSED for c in on_pass)
        hardened = next((c.observed for v, c in mine if not v.defects), None)
        result.append(ItemValidation(
            item=item,
            defects_expected=len(on_defect),
            detected=detected,
            false_pass=sum(c.outcome is Outcome.FALSE_PASS for c in on_defect),
            inconclusive_on_defect=sum(c.outcome is Outcome.INCONCLUSIVE for c in on_defect),
            sensitivity=round(detected / len(on_defect), 4) if on_defect else None,
            must_pass=len(on_pass),
            passed=passed,
            false_fail=sum(c.outcome is Outcome.FALSE_FAIL for c in on_pass),
            inconclusive_on_pass=sum(c.outcome is Outcome.INCONCLUSIVE for c in on_pass),
            specificity=round(passed / len(on_pass), 4) if on_pass else None,
            hardened=hardened,
        ))
    return result


def conclude(variants: list[VariantRun]) -> tuple[list[str], list[str], list[str], str]:
    """(false PASS, false FAIL, inconclusive, conclusion)."""
    false_pass, false_fail, inconclusive = [], [], []
    for v in variants:
        for c in v.cells:
            label = f"{v.variant} {c.item}"
            if c.outcome is Outcome.FALSE_PASS:
                false_pass.append(label)
            elif c.outcome is Outcome.FALSE_FAIL:
                false_fail.append(label)
            elif c.outcome is Outcome.INCONCLUSIVE:
                inconclusive.append(label)
    if false_pass or false_fail:
        conclusion = "invalid"
    elif inconclusive or any(v.report_id is None for v in variants) or not variants:
        conclusion = "incomplete"
    else:
        conclusion = "valid"
    return false_pass, false_fail, inconclusive, conclusion
