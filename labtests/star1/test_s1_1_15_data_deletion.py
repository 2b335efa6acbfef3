"""S1.1-15: the user can delete their data (ETSI EN 303 645 5.11-1).

Fresh canary values are planted through the declared actions (a setting, a note and a Wi-Fi
passphrase, a new admin password) and read back; where a storage dump is declared, the storage is
dumped. Then the declared deletion function runs ([actions.factory_reset]) and the device is awaited
(logging in with the factory password, within the declared recovery time). Afterwards:

- on the device's interfaces, no planted value is shown and the planted password is refused;
- in a second storage dump, no planted value that the first dump showed can still be read.

The plant, reset and dumps happen once for both units. The device is back at its factory password
afterwards, and the credential store is told.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fixtures.actions import ActionRunner
from fixtures.credentials import CredentialStore
from fixtures.device_fixtures import network_mechanisms
from fixtures.evidence import SharedEvidence
from fixtures.net.logins import Outcome, attempt, target_for
from fixtures.profile import DeviceProfile
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.storage_scan import StorageScan
from fixtures.verdict import DeviceUnreachable, Inconclusive, MissingIxit, TestUnit
from labtests.star1.reviews import run_review
from labtests.star1.storage import (
    PASSWORD,
    Planted,
    dump_and_scan,
    plant_password,
    plant_setting,
    plant_user_data,
)
from reports.model import EvidenceRef, Reason

POLL_SECONDS = 5.0  # between login attempts while the device restarts (well below any lockout rate)


@dataclass
class Deletion:
    planted: Planted = field(default_factory=Planted)
    before: StorageScan | None = None
    after: StorageScan | None = None
    shown_after: dict[str, list[str]] = field(default_factory=dict)  # canary -> actions still showing it
    old_password_works: list[str] = field(default_factory=list)
    shown_before: list[str] = field(default_factory=list)  # planted values the interfaces showed before
    password_refused: list[str] = field(default_factory=list)  # logins that answered "no" to it
    password_unclear: list[str] = field(default_factory=list)  # logins that did not answer
    problem: Inconclusive | None = None
    log: list[str] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)


def _shows(actions: ActionRunner, name: str, planted: Planted) -> list[str]:
    """Names of the planted values an action's answer contains."""
    result = actions.run(name)
    if not result.ok:
        raise DeviceUnreachable(f"[actions.{name}] did not succeed (status {result.status})")
    return [n for n in planted.names() if n != PASSWORD and planted.value(n) in result.output]


def _wait_for_factory_login(profile: DeviceProfile, scope_guard: ScopeGuard, host: str, password: str,
                            deadline: float) -> float:
    first = network_mechanisms(profile)[0]
    target = target_for(first, profile, host)
    start = time.monotonic()
    time.sleep(POLL_SECONDS)  # the reset begins after the device's answer
    while True:
        if attempt(target, password, scope_guard, label="factory password").outcome is Outcome.ACCEPTED:
            return time.monotonic() - start
        if time.monotonic() >= deadline:
            raise DeviceUnreachable(f"the factory password did not work on {first.id} within "
                                    f"{deadline - start:.0f} s of the deletion (the device did not come back, or the "
                                    f"reset did not restore the factory credentials)")
        time.sleep(POLL_SECONDS)


def _run(sink: SharedEvidence, profile: DeviceProfile, actions: ActionRunner, credentials: CredentialStore,
         scope_guard: ScopeGuard, host: str, work: Path) -> Deletion:
    d = Deletion()
    if not actions.declared("factory_reset"):
        raise MissingIxit("the profile declares no [actions.factory_reset]: how does the user delete their data?")
    logins = network_mechanisms(profile)
    if not logins or logins[0].credential is None:
        raise MissingIxit("no network login with a credential is declared: the harness cannot tell when the "
                          "device is back after the deletion")
    factory = os.environ.get(logins[0].credential.env, "")
    plant_setting(actions, d.planted)
    plant_user_data(actions, d.planted)
    plant_password(actions, profile, credentials, d.planted)
    d.log += d.planted.answers
    if not d.planted.names():
        raise MissingIxit("nothing could be planted: declare [actions.set_setting], [actions.create_user_data] or "
                          "[actions.change_password]")
    readers = [n for n in ("get_setting", "get_user_data") if actions.declared(n)]
    d.shown_before = sorted({v for r in readers for v in _shows(actions, r, d.planted)})
    d.log.append(f"before the deletion the interfaces show: {', '.join(d.shown_before) or 'nothing planted'}")
    if actions.declared("dump_storage"):
        d.before = dump_and_scan(sink, actions, work, "before-deletion", d.planted)
    reset = actions.run("factory_reset")
    d.log.append(f"factory_reset: status {reset.status}")
    if not reset.ok:
        raise DeviceUnreachable(f"the declared deletion did not succeed (status {reset.status}): {reset.output[:160]}")
    assert logins[0].credential is not None
    credentials.update(logins[0].credential, factory)
    deadline = time.monotonic() + float(profile.resilience.recovery_seconds) + 60
    back = _wait_for_factory_login(profile, scope_guard, host, factory, deadline)
    d.log.append(f"the factory password works again {back:.1f} s after the deletion")
    for r in readers:
        for n in _shows(actions, r, d.planted):
            d.shown_after.setdefault(n, []).append(r)
    if d.planted.passwords:
        for mech in credentials.sharing(logins[0].credential):
            if mech.kind not in ("ssh", "telnet", "http_form", "http_basic", "http_token", "mqtt"):
                continue
            tried = attempt(target_for(mech, profile, host), d.planted.value(PASSWORD), scope_guard,
                            label="planted password")
            d.log.append(f"planted password on {mech.id}: {tried.outcome.value}")
            if tried.outcome is Outcome.ACCEPTED:
                d.old_password_works.append(mech.id)
            elif tried.outcome is Outcome.REJECTED:
                d.password_refused.append(mech.id)
            else:
                d.password_unclear.append(mech.id)
    if actions.declared("dump_storage"):
        d.after = dump_and_scan(sink, actions, work, "after-deletion", d.planted)
    return d


@pytest.fixture(scope="module")
def deletion(
    evaluation: EvaluationSession, actions: ActionRunner, credentials: CredentialStore, scope_guard: ScopeGuard,
    dut_address: str,
) -> Deletion:
    """Plant, dump, delete, wait, dump again: once for both units of this module. Evidence under
    evidence/_session/deletion/; a problem is kept and raised in each unit (INCONCLUSIVE)."""
    sink = SharedEvidence(evaluation.run, "deletion")
    with tempfile.TemporaryDirectory(prefix="jcstar-deletion-") as work:
        try:
            d = _run(sink, evaluation.profile, actions, credentials, scope_guard, dut_address, Path(work))
        except Inconclusive as exc:
            d = Deletion(problem=exc)
    sink.save_text("deletion-log.txt", "\n".join(d.log), "what was planted, the deletion and the checks after it")
    d.evidence = sink.refs
    return d


def _start(unit: TestUnit, deletion: Deletion) -> Deletion:
    unit.cite(deletion.evidence)
    if deletion.problem is not None:
        raise deletion.problem
    return deletion


@pytest.mark.jcstar("S1.1-15", timeout=900)
def test_deleted_data_is_gone_from_the_interfaces(unit: TestUnit, deletion: Deletion) -> None:
    d = _start(unit, deletion)
    problems = [f"{n} is still shown by {', '.join(r)}" for n, r in d.shown_after.items()]
    if d.old_password_works:
        problems.append(f"the password set before the deletion still works on {', '.join(d.old_password_works)}")
    if problems:
        unit.failed("after the declared deletion, " + "; ".join(problems))
    elif d.password_unclear:
        raise DeviceUnreachable(f"the planted password got no answer on {', '.join(d.password_unclear)} after the "
                                f"deletion, so it cannot be shown to be refused")
    elif not d.shown_before and not d.password_refused:
        # absence proves nothing when nothing was visible to begin with
        raise MissingIxit("no planted value could be read back before the deletion and no planted password was "
                          "checked: declare [actions.get_setting] or [actions.get_user_data] and "
                          "[actions.change_password]")
    else:
        parts = []
        if d.shown_before:
            parts.append(f"{', '.join(d.shown_before)}, shown before, are no longer shown")
        if d.password_refused:
            parts.append(f"the planted password is refused on {', '.join(d.password_refused)}")
        unit.passed(f"after the declared deletion {'; '.join(parts)}; the device is back at its factory password")


@pytest.mark.jcstar("S1.1-15", timeout=900)
def test_deleted_data_is_gone_from_storage(unit: TestUnit, profile: DeviceProfile, deletion: Deletion) -> None:
    d = _start(unit, deletion)
    if d.before is None or d.after is None:
        raise MissingIxit("the profile declares no [actions.dump_storage]: the storage cannot be checked for "
                          "remnants of the deleted data")
    visible = d.before.canaries_found()
    left = sorted(visible & d.after.canaries_found())
    if left:
        unit.failed(f"after the declared deletion the storage still holds {', '.join(left)} "
                    f"(readable before the deletion and after it)")
    elif not visible:
        unit.inconclusive(Reason.EVALUATOR_INPUT_PENDING,
                          "no planted value was readable in the storage even before the deletion (the device "
                          "encrypts what it stores), so the dump cannot show remnants; the evaluator judges the "
                          "deletion from the design documentation (is the key destroyed?)")
    else:
        unit.passed(f"{', '.join(sorted(visible))} were readable in the storage before the declared deletion and "
                    f"are not after it")


@pytest.mark.jcstar("S1.1-15", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
