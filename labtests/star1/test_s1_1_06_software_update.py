"""S1.1-06: the software can be updated, securely (ETSI EN 303 645 5.3-1, 5.3-2).

A valid, vendor-signed image newer than the installed firmware is installed through the declared
mechanism ([actions.install_update]) and the reported firmware version changes to it. Only the vendor's
images are installed: one signed with another key is refused, and where the vendor declares rollback
protection, so is an older signed image; after a refusal the version stays and the device still works.
The trials run once, modified images first (fixtures/update_trials.py).
"""

from __future__ import annotations

import pytest

from fixtures.profile import DeviceProfile
from fixtures.review import Reviewer
from fixtures.update_trials import UpdateTrials
from fixtures.verdict import TestUnit
from labtests.star1.reviews import run_review
from labtests.star1.updates import judge_refusal


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from fixtures.plugin import session_of

    if "rollback" in metafunc.fixturenames:
        ev = session_of(metafunc.config)
        # the rollback unit exists only where the vendor claims rollback protection
        declared = ev is not None and ev.profile.update.rollback_protection
        metafunc.parametrize("rollback", ["older"] if declared else [], ids=["older-image"] if declared else [])


def _applicable(unit: TestUnit, profile: DeviceProfile) -> bool:
    if profile.update.delivery == "none":
        unit.not_applicable()  # needs the vendor's justification in [[not_applicable]]
        return False
    return True


@pytest.mark.jcstar("S1.1-06", timeout=900)
def test_valid_update_installs(unit: TestUnit, profile: DeviceProfile, update_trials: UpdateTrials) -> None:
    if not _applicable(unit, profile):
        return
    trial = update_trials.get("valid")
    unit.cite(update_trials.evidence.get("valid", []))
    update_trials.raise_problem(trial)
    if not trial.accepted:
        unit.failed(f"a valid signed image newer than the installed firmware was refused (status {trial.status}: "
                    f"{trial.answer.strip()[:160]!r})")
    elif trial.version_after == trial.version_before:
        unit.failed(f"the device reported the update as installed, but its firmware is still {trial.version_before}")
    elif trial.expected_version is not None and trial.version_after != trial.expected_version:
        unit.failed(f"after installing the image for {trial.expected_version} the device reports "
                    f"{trial.version_after}")
    else:
        unit.passed(f"the valid image was installed through the declared mechanism: firmware "
                    f"{trial.version_before} -> {trial.version_after}")


@pytest.mark.jcstar("S1.1-06", timeout=900)
def test_image_signed_with_another_key_is_refused(
    unit: TestUnit, profile: DeviceProfile, update_trials: UpdateTrials
) -> None:
    if _applicable(unit, profile):
        judge_refusal(unit, update_trials, "wrong_key")


@pytest.mark.jcstar("S1.1-06", timeout=900)
def test_rollback_is_refused(
    unit: TestUnit, profile: DeviceProfile, update_trials: UpdateTrials, rollback: str
) -> None:
    if _applicable(unit, profile):
        judge_refusal(unit, update_trials, "older")


@pytest.mark.jcstar("S1.1-06", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
