"""S1.1-02: no easily guessed default passwords (requirements 1-1, 1-2).

Three kinds of unit: a paced dictionary attack with publicly known default credentials against every
network login; a check of the sample units' pre-installed passwords (unique, not derived from the
MAC, serial number or a counter, strong enough); and the vendor's declaration of where passwords come
from (a shared default is a failure on paper already).
"""

from __future__ import annotations

import pytest

from criteria.credentials import load_mirai, mirai_provenance
from fixtures.credentials import CredentialStore
from fixtures.net.dictionary import Guess, any_port_answers, run_dictionary
from fixtures.net.logins import LoginTarget
from fixtures.passwords import UnitPassword, analyse
from fixtures.profile import AuthMechanism, DeviceProfile
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.verdict import MissingIxit, TestUnit
from labtests.star1.reviews import run_review
from reports.model import Reason


def default_guesses(username: str | None) -> list[Guess]:
    """Every distinct Mirai pair, plus the declared user name with every Mirai password."""
    creds = load_mirai()
    pairs = [(c.username, c.password) for c in creds]
    if username:
        pairs += [(username, c.password) for c in creds]
    return [Guess(username=u, password=p) for u, p in dict.fromkeys(pairs)]


@pytest.mark.jcstar("S1.1-02", timeout=3600)
def test_no_known_default_credentials(
    unit: TestUnit,
    network_login: AuthMechanism,
    login_target: LoginTarget,
    credentials: CredentialStore,
    scope_guard: ScopeGuard,
    evaluation: EvaluationSession,
    profile: DeviceProfile,
) -> None:
    guesses = default_guesses(network_login.username)
    # A lockout leaves the device's other services answering; a device that answers on none is gone.
    tcp_ports = sorted({s.port for s in profile.services if s.transport == "tcp"} | {login_target.port})
    claim = network_login.brute_force.attempts_before_lockout
    chunk = max(1, min(4, (claim or 5) - 1))
    with evaluation.audit.step("dictionary.attack", interface=network_login.id,
                               target=f"{login_target.host}:{login_target.port}", detail=f"{len(guesses)} guesses"):
        r = run_dictionary(login_target, guesses, credentials.password(network_login), scope_guard, chunk=chunk,
                           alive=lambda: any_port_answers(login_target.host, tcp_ports, scope_guard))
    unit.save_text("dictionary.json", r.model_dump_json(indent=2),
                   f"{len(guesses)} default credentials; source: {mirai_provenance()[:300]}")
    name = network_login.id
    if r.accepted:
        found = ", ".join(f"{g.username}/{g.password}" for g in r.accepted)
        unit.failed(f"{name}: publicly known default credentials work: {found}")
    elif r.untested:
        unit.inconclusive(Reason.DEVICE_UNREACHABLE,
                          f"{name}: {len(r.untested)} of {len(guesses)} default credentials could not be tested "
                          f"({r.stopped})")
    else:
        unit.passed(f"{name}: none of {len(guesses)} publicly known default credentials works "
                    f"({len(r.tried)} logins, {r.locks} lockouts waited out)")


@pytest.mark.jcstar("S1.1-02")
def test_preinstalled_passwords_unique_and_not_guessable(
    unit: TestUnit, profile: DeviceProfile, credentials: CredentialStore
) -> None:
    sources = {a.credential_source for a in profile.authentication}
    if sources <= {"user_defined_at_setup"}:
        unit.inconclusive(Reason.EVALUATOR_INPUT_PENDING,
                          "passwords are set by the user at first setup: the evaluator checks that the device "
                          "forces the choice before use")
        return
    units = [u for u in profile.units if u.admin_credential is not None]
    if len(units) < 2:
        raise MissingIxit("at least two [[units]] with admin_credential are needed to check that pre-installed "
                          "passwords differ between units")
    samples = [UnitPassword(serial=u.serial, mac=u.mac, password=credentials.secret(u.admin_credential, u.serial))
               for u in units if u.admin_credential is not None]
    analysis = analyse(samples, profile.identity.model_number, profile.identity.vendor)
    unit.save_text("password-analysis.json", analysis.model_dump_json(indent=2),
                   "per unit: length, estimated guesses, derivation; passwords themselves not recorded")
    problems = analysis.problems()
    if problems:
        unit.failed("; ".join(problems))
    else:
        floor = analysis.policy.min_guesses_log10
        unit.passed(f"{len(samples)} units have different passwords, none derived from MAC, serial number or a "
                    f"counter, none a known default, each above 10^{floor:g} estimated guesses "
                    f"({'derived floor, not an official value' if analysis.policy.derived else 'official floor'})")


@pytest.mark.jcstar("S1.1-02")
def test_declared_password_source(unit: TestUnit, profile: DeviceProfile) -> None:
    shared = [a.id for a in profile.authentication if a.credential_source == "shared_default"]
    if shared:
        unit.failed(f"the profile declares a shared default password for: {', '.join(shared)}")
        return
    undocumented = [a.id for a in profile.authentication
                    if a.credential_source == "unique_per_unit" and not a.password_generation]
    if undocumented:
        raise MissingIxit(f"password_generation is not described for: {', '.join(undocumented)}")
    unit.passed("every mechanism declares unique per-unit or user-defined passwords, with the generation "
                "method described (vendor's declaration, checked on the device by the other units)")


@pytest.mark.jcstar("S1.1-02", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
