"""S1.1-08: the integrity of software delivered over the network is checked before it is applied.

Images the harness damages itself from the vendor's valid image (one bit flipped in the middle, the
first half only) and the unsigned image are offered through the declared network update mechanism;
each must be refused, the firmware version must stay and the device must still answer. A device that
takes updates only locally (USB, SD card) is outside this item: the vendor justifies it as not
applicable in the profile. The trials run once, modified images first (fixtures/update_trials.py).
"""

from __future__ import annotations

import pytest

from fixtures.profile import DeviceProfile
from fixtures.review import Reviewer
from fixtures.update_trials import TrialKind, UpdateTrials
from fixtures.verdict import TestUnit
from labtests.star1.reviews import run_review
from labtests.star1.updates import judge_refusal

KINDS: list[TrialKind] = ["tampered", "truncated", "unsigned"]


@pytest.mark.jcstar("S1.1-08", timeout=900)
@pytest.mark.parametrize("kind", KINDS)
def test_damaged_image_is_refused(
    unit: TestUnit, profile: DeviceProfile, update_trials: UpdateTrials, kind: TrialKind
) -> None:
    if profile.update.delivery in ("none", "local"):
        unit.not_applicable()  # needs the vendor's justification in [[not_applicable]]
        return
    judge_refusal(unit, update_trials, kind)


@pytest.mark.jcstar("S1.1-08", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
