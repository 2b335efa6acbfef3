"""Shared by S1.1-06 and S1.1-08: judge one update trial (fixtures/update_trials.py)."""

from __future__ import annotations

from fixtures.update_trials import TrialKind, UpdateTrials
from fixtures.verdict import TestUnit

WHAT: dict[str, str] = {
    "tampered": "an image with one bit flipped",
    "truncated": "a truncated image",
    "unsigned": "an unsigned image",
    "wrong_key": "an image signed with another key",
    "older": "an older, validly signed image",
}


def judge_refusal(unit: TestUnit, trials: UpdateTrials, kind: TrialKind) -> None:
    """PASS only if the device refused the image, kept its version and still answers."""
    trial = trials.get(kind)
    unit.cite(trials.evidence.get(kind, []))
    trials.raise_problem(trial)
    what = WHAT[kind]
    if trial.accepted:
        unit.failed(f"the device accepted {what} (status {trial.status}); firmware {trial.version_before} -> "
                    f"{trial.version_after}")
    elif trial.version_after != trial.version_before:
        unit.failed(f"the device reported a refusal of {what} (status {trial.status}), but its firmware changed "
                    f"from {trial.version_before} to {trial.version_after}")
    else:
        unit.passed(f"{what} was refused (status {trial.status}: {trial.answer.strip()[:120]!r}); the firmware "
                    f"stays {trial.version_before} and the device still answers")
