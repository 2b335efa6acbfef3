"""S1.1-04: brute-force attacks on network authentication are made difficult (requirement 1-5).

For every declared network login, a bounded series of wrong passwords measures the delay curve,
the lockout and its end, and the sustainable guessing rate, which is judged against the threshold
kept in criteria/bruteforce.toml. The curve is saved as a picture, and its points go into the record
for the report's picture.
"""

from __future__ import annotations

import pytest

from criteria.bruteforce import load_bruteforce
from fixtures.credentials import CredentialStore
from fixtures.net.bruteforce import BruteForceLimits, BruteForceMeasurement, curve_figure, measure
from fixtures.net.logins import LoginTarget, Outcome
from fixtures.profile import AuthMechanism
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.verdict import TestUnit
from labtests.star1.reviews import run_review
from reports.model import Reason
from reports.svgplot import scatter

COLOURS = {o.value: c for o, c in zip(Outcome, ("#1a7f37", "#cf222e", "#9a6700", "#57606a"), strict=True)}


def limits_from_criteria() -> tuple[BruteForceLimits, str]:
    data = load_bruteforce()
    per_hour = data.value("decision_max_failed_per_hour")
    window = data.value("decision_observation_window")
    parallel = data.value("decision_parallel_connections")
    assert per_hour.value is not None and window.value is not None and parallel.value is not None
    origin = "a derived value, not an official one" if per_hour.derived else per_hour.source
    note = (f"threshold {per_hour.value:g} guesses/hour over {window.value:g} s with {parallel.value:g} "
            f"connections ({origin})")
    return BruteForceLimits(threshold_per_hour=per_hour.value, window_seconds=window.value,
                            parallel=int(parallel.value)), note


def save_curve(unit: TestUnit, m: BruteForceMeasurement) -> None:
    points = [(a.started, a.seconds, a.outcome.value) for a in m.attempts]
    unit.save_text("curve.svg", scatter(points, title=f"Login attempts on {m.mechanism}",
                                        x_label="time since first attempt (s)", y_label="response time (s)",
                                        colours=COLOURS), "attempt time against response time")
    unit.save_text("measurement.json", m.model_dump_json(indent=2), "every attempt, the lock and the rate")
    unit.figure(curve_figure(m))  # the same curve in the report, from evaluation.json


def how(m: BruteForceMeasurement) -> str:
    if m.lock_observed:
        return f"locked for {m.lock_seconds:g} s after at most {m.limits.burst} failures"
    return f"no lock; {m.guesses} guesses in {m.elapsed_seconds:g} s"


@pytest.mark.jcstar("S1.1-04", timeout=3600)
def test_guessing_rate_is_limited(
    unit: TestUnit,
    network_login: AuthMechanism,
    login_target: LoginTarget,
    credentials: CredentialStore,
    scope_guard: ScopeGuard,
    evaluation: EvaluationSession,
) -> None:
    limits, note = limits_from_criteria()
    with evaluation.audit.step("bruteforce.measure", interface=network_login.id,
                               target=f"{login_target.host}:{login_target.port}"):
        m = measure(login_target, credentials.password(network_login), scope_guard, limits)
    evaluation.audit.record("bruteforce.result", interface=network_login.id, target=login_target.host,
                            detail=f"{len(m.attempts)} logins; lock {m.lock_observed}; rate/h {m.rate_per_hour}")
    save_curve(unit, m)
    name = network_login.id
    if m.wrong_password_accepted:
        unit.failed(f"{name}: a wrong password was accepted during the series")
    elif m.rate_per_hour is None:
        unit.inconclusive(Reason.TIMEOUT, f"{name}: the measurement stopped early ({m.stopped}); no rate")
    elif m.exceeds():
        unit.failed(f"{name}: about {m.rate_per_hour:g} guesses per hour are possible ({how(m)}); {note}")
    elif m.lock_observed and not m.recovered:
        unit.failed(f"{name}: the account was still locked after {limits.lock_wait_seconds:g} s, unlike the "
                    f"declared protection ({network_login.brute_force.description})")
    else:
        unit.passed(f"{name}: at most about {m.rate_per_hour:g} guesses per hour ({how(m)}); the right "
                    f"password worked again afterwards; {note}")


@pytest.mark.jcstar("S1.1-04", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
