"""S1.1-14: the device stays secure through power and network loss (ETSI EN 303 645 5.9-2).

Before each disruption the procedure changes the admin password and a setting to fresh canaries
(through the declared actions) and reads the firmware version. Then it cuts the power abruptly and
restores it (the lab's power switch), and separately takes the device's network down and up. After
each, within the declared recovery time (measured from the moment power or link is back):

- the device answers again, and the changed password works while the factory default is refused;
- the changed setting is still in force, and the firmware version is the one installed before.

A device that does not come back in time is a FAIL only when it answers with lost state; silence
is INCONCLUSIVE (device_unreachable), because the lab cannot tell a dead unit from a dead cable.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pytest

from fixtures.actions import ActionRunner
from fixtures.credentials import CredentialStore
from fixtures.device_fixtures import network_mechanisms
from fixtures.net.logins import Outcome, attempt, target_for
from fixtures.profile import DeviceProfile
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.update_trials import reported_version
from fixtures.verdict import DeviceUnreachable, MissingIxit, TestUnit
from labtests.star1.disruptions import Disruption, device_answers, disruption_for, watched_ports
from labtests.star1.reviews import run_review
from labtests.star1.storage import PASSWORD, SETTING, Planted, plant_password, plant_setting

POLL_SECONDS = 3.0
OFF_SECONDS = 3.0  # long enough for capacitors to drain on a real unit


@dataclass
class After:
    """What the device showed once it was back."""

    seconds: float | None = None
    password: Outcome | None = None
    factory_password: Outcome | None = None
    setting_kept: bool | None = None
    version_before: str | None = None
    version_after: str | None = None
    password_unchanged: bool = False  # the password could not be changed before the disruption
    log: list[str] = field(default_factory=list)


def _version(actions: ActionRunner) -> str | None:
    if not actions.declared("get_version"):
        return None
    result = actions.run("get_version")
    return reported_version(result.output) if result.ok else None


def _wait_back(profile: DeviceProfile, guard: ScopeGuard, host: str, password: str, since: float,
               limit: float, log: list[str]) -> tuple[float | None, Outcome]:
    """Poll a login with the current password until it is answered; (seconds since `since`, outcome)."""
    first = network_mechanisms(profile)[0]
    target = target_for(first, profile, host)
    rejected = 0
    while True:
        outcome = attempt(target, password, guard, label="changed password", timeout=5).outcome
        elapsed = time.monotonic() - since
        if outcome is Outcome.ACCEPTED:
            return elapsed, outcome
        if outcome is Outcome.REJECTED:
            rejected += 1
            log.append(f"{elapsed:.1f} s: the changed password was refused on {first.id}")
            if rejected >= 2:  # answered twice, and refused: the state is lost (more tries would lock it)
                return elapsed, outcome
        if elapsed > limit:
            return None, outcome
        time.sleep(POLL_SECONDS)


def _disrupt(kind: str, unit: TestUnit, evaluation: EvaluationSession, profile: DeviceProfile,
             actions: ActionRunner, credentials: CredentialStore, guard: ScopeGuard, host: str) -> After:
    logins = network_mechanisms(profile)
    if not logins or logins[0].credential is None:
        raise MissingIxit("no network login with a credential is declared: the harness cannot check that the "
                          "device comes back with its changed password")
    if not actions.declared("get_setting"):
        raise MissingIxit("the profile declares no [actions.get_setting]: the harness cannot check that a changed "
                          "setting survives")
    switch: Disruption = disruption_for(kind, evaluation)
    factory = os.environ.get(logins[0].credential.env, "")
    planted = Planted()
    plant_password(actions, profile, credentials, planted)
    plant_setting(actions, planted)
    if SETTING not in planted.names():
        raise MissingIxit(f"a setting must be changed before the {kind} loss ([actions.set_setting]): "
                          f"{'; '.join(planted.answers)}")
    after = After(version_before=_version(actions))
    if PASSWORD not in planted.names():
        # the device refused the change (S1.1-03 judges that): the credentials can only be checked
        # with the current password, and a return to the factory default cannot be told apart
        after.password_unchanged = True
    current = planted.value(PASSWORD) if PASSWORD in planted.names() else credentials.password(logins[0])
    after.log.append(f"planted: {', '.join(planted.names())}; firmware {after.version_before}; "
                     f"{'; '.join(planted.answers)}")
    # The device must be seen to go silent, or the "loss" never happened and nothing can be judged.
    # Always watched: the login checked afterwards is a TCP service, so there is always a port to watch.
    tcp_ports = watched_ports(profile)
    with evaluation.audit.step(f"resilience.{kind}", target=host, detail=switch.describe()):
        restored = switch.cycle(OFF_SECONDS, answers=lambda: device_answers(host, tcp_ports, guard))
    after.log.append(f"{switch.describe()}: {kind} cut (the device went silent, as it must); {kind} restored")
    limit = float(profile.resilience.recovery_seconds)
    seconds, outcome = _wait_back(profile, guard, host, current, restored, limit + 30, after.log)
    after.seconds, after.password = seconds, outcome
    if seconds is None:
        unit.save_text(f"{kind}-loss.txt", "\n".join(after.log), f"the {kind} loss and what followed")
        raise DeviceUnreachable(f"the device did not answer a login within {limit + 30:.0f} s after the {kind} came "
                                f"back ({switch.describe()})")
    if outcome is Outcome.ACCEPTED:
        if not after.password_unchanged:
            target = target_for(logins[0], profile, host)
            after.factory_password = attempt(target, factory, guard, label="factory password").outcome
        got = actions.run("get_setting")
        if not got.ok:
            raise DeviceUnreachable(f"after the {kind} loss the device did not answer [actions.get_setting] "
                                    f"(status {got.status})")
        after.setting_kept = planted.value(SETTING) in got.output
        after.version_after = _version(actions)
        if after.version_before is not None and after.version_after is None:
            raise DeviceUnreachable(f"after the {kind} loss the device did not report its firmware version")
        if after.factory_password not in (None, Outcome.ACCEPTED, Outcome.REJECTED):
            raise DeviceUnreachable(f"after the {kind} loss the login with the factory password got no answer "
                                    f"({after.factory_password.value})")
    after.log.append(f"back after {seconds:.1f} s; changed password {outcome.value}; factory password "
                     f"{after.factory_password.value if after.factory_password else 'not tried'}; setting kept "
                     f"{after.setting_kept}; firmware {after.version_after}")
    unit.save_text(f"{kind}-loss.txt", "\n".join(after.log), f"the {kind} loss and what followed")
    return after


def _judge(unit: TestUnit, kind: str, after: After, limit: float) -> None:
    problems = []
    if after.password is Outcome.REJECTED:
        problems.append("the password set before is refused (the device lost its credentials)")
    if after.factory_password is Outcome.ACCEPTED:
        problems.append("the factory default password is accepted")
    if after.setting_kept is False:
        problems.append("the changed setting was lost")
    if after.version_before and after.version_after and after.version_before != after.version_after:
        problems.append(f"the firmware changed from {after.version_before} to {after.version_after}")
    assert after.seconds is not None
    if after.seconds > limit:
        problems.append(f"it took {after.seconds:.1f} s to return to service, more than the declared {limit:g} s")
    if problems:
        unit.failed(f"after the {kind} loss " + "; ".join(problems))
    else:
        password = ("its password (it could not be changed beforehand, so a return to the factory default "
                    "cannot be seen)" if after.password_unchanged else
                    "the changed password (the factory one refused)")
        unit.passed(f"back in service {after.seconds:.1f} s after the {kind} returned (declared: {limit:g} s) with "
                    f"{password}, the changed setting and firmware {after.version_after or 'unchanged'}")


@pytest.mark.jcstar("S1.1-14", timeout=900)
@pytest.mark.parametrize("kind", ["power", "network"])
def test_loss_keeps_the_secure_state(
    unit: TestUnit, evaluation: EvaluationSession, profile: DeviceProfile, actions: ActionRunner,
    credentials: CredentialStore, scope_guard: ScopeGuard, dut_address: str, kind: str,
) -> None:
    """Power cut abruptly and restored (power), or the link taken down and up (network)."""
    after = _disrupt(kind, unit, evaluation, profile, actions, credentials, scope_guard, dut_address)
    _judge(unit, kind, after, float(profile.resilience.recovery_seconds))


@pytest.mark.jcstar("S1.1-14", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
