"""S1.1-03: authentication values can be changed (requirement 1-4).

The password is changed through the action the vendor declares; the new one must then work and the
old one must fail on every network login that uses it. The new password stays in use for the rest of
the run (later procedures log in with it), and is masked in all evidence.
"""

from __future__ import annotations

import secrets

import pytest

from fixtures.actions import ActionRunner
from fixtures.credentials import CredentialStore
from fixtures.device_fixtures import network_mechanisms
from fixtures.net.logins import Outcome, attempt, target_for
from fixtures.profile import DeviceProfile
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.verdict import DeviceUnreachable, MissingIxit, TestUnit
from labtests.star1.reviews import run_review


def new_password() -> str:
    # Strong and of mixed classes, so a device's password policy cannot be the reason it is refused.
    return f"Jc{secrets.token_urlsafe(12)}-9a"


@pytest.mark.jcstar("S1.1-03")
def test_password_change_takes_effect(
    unit: TestUnit,
    profile: DeviceProfile,
    actions: ActionRunner,
    credentials: CredentialStore,
    scope_guard: ScopeGuard,
    dut_address: str,
) -> None:
    logins = network_mechanisms(profile)
    if not logins:
        unit.not_applicable()
        return
    if not actions.declared("change_password"):
        raise MissingIxit("the profile declares no [actions.change_password]: how is the password changed?")
    first = logins[0]
    if first.credential is None:
        raise MissingIxit(f"authentication '{first.id}' declares no credential")
    old = credentials.password(first)
    new = new_password()
    result = actions.run("change_password", current_password=old, new_password=new)
    unit.save_text("change.json", result.model_dump_json(indent=2), "the device's answer to the change")
    if not result.ok:
        unit.failed(f"the declared password change did not succeed (status {result.status}): "
                    f"{result.output[:200]}")
        return
    credentials.update(first.credential, new)
    checks = []
    for mech in credentials.sharing(first.credential):
        if mech.kind not in ("ssh", "telnet", "http_form", "http_basic", "http_token", "mqtt"):
            continue
        target = target_for(mech, profile, dut_address)
        checks.append((mech.id, "new", attempt(target, new, scope_guard, label="new password")))
        checks.append((mech.id, "old", attempt(target, old, scope_guard, label="old password")))
    unit.save_text("logins.json", "[" + ",".join(a.model_dump_json() for _, _, a in checks) + "]",
                   "login with the new and the old password on every mechanism that shares it")
    unreachable = [f"{m} ({w})" for m, w, a in checks if a.outcome in (Outcome.DROPPED, Outcome.ERROR)]
    new_refused = [m for m, w, a in checks if w == "new" and a.outcome is Outcome.REJECTED]
    old_works = [m for m, w, a in checks if w == "old" and a.outcome is Outcome.ACCEPTED]
    if old_works or new_refused:
        parts = []
        if old_works:
            parts.append(f"the old password still works on {', '.join(old_works)}")
        if new_refused:
            parts.append(f"the new password is refused on {', '.join(new_refused)}")
        unit.failed("after the change, " + " and ".join(parts))
    elif unreachable:
        raise DeviceUnreachable(f"could not check the change on: {', '.join(unreachable)}")
    else:
        names = sorted({m for m, _, _ in checks})
        unit.passed(f"changed through the declared action; the new password works and the old one is refused "
                    f"on {', '.join(names)}")


@pytest.mark.jcstar("S1.1-03", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
