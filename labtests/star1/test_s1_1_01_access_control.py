"""S1.1-01: access over IP is controlled by appropriate authentication (requirements 1-3, 5-5).

Every declared management interface must refuse use without authentication: web UI pages and REST
API functions an administrator reaches (crawled, and the IXIT's API paths) are requested again
without a session; SSH must not accept the "none" method or an empty password; a telnet service must
not hand out a shell without a login.
"""

from __future__ import annotations

import socket

import paramiko
import pytest

from fixtures.actions import ActionRunner
from fixtures.device_fixtures import Discovered
from fixtures.net.logins import MAX_SSH_BYTES, CappedSocket, LoginTarget, Outcome, attempt
from fixtures.net.webaccess import WebClient, crawl, probe_paths
from fixtures.profile import DeviceProfile, HttpAction, PhysicalInterface, Service
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.verdict import DeviceUnreachable, TestUnit
from labtests.star1.consoles import check_console
from labtests.star1.reviews import run_review
from reports.model import Reason

WEB_KINDS = ("http_form", "http_token", "http_basic")


def services_needing_auth(profile: DeviceProfile, protocols: tuple[str, ...]) -> list[Service]:
    return [s for s in profile.services if s.authentication and s.protocol in protocols]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from fixtures.plugin import session_of

    ev = session_of(metafunc.config)
    for name, protocols in (("web_service", ("http", "https")), ("ssh_service", ("ssh",)),
                            ("telnet_service", ("telnet",))):
        if name in metafunc.fixturenames:
            # One unit per declared service; none at all when the device declares no such service.
            found = services_needing_auth(ev.profile, protocols) if ev else []
            metafunc.parametrize(name, found, ids=[s.name for s in found])
    if "uart" in metafunc.fixturenames:
        uarts = [p for p in ev.profile.physical_interfaces if p.kind == "uart" and p.status != "absent"] if ev else []
        metafunc.parametrize("uart", uarts, ids=[p.name for p in uarts])


@pytest.mark.jcstar("S1.1-01")
def test_web_management_requires_authentication(
    unit: TestUnit, web_service: Service, profile: DeviceProfile, actions: ActionRunner,
    scope_guard: ScopeGuard, dut_address: str,
) -> None:
    client = WebClient(dut_address, web_service.port, web_service.tls, scope_guard)
    public = set(crawl(client, {}, ["/"]))
    probes = []
    try:
        for mech in (a for a in profile.authentication if a.service == web_service.name and a.kind in WEB_KINDS):
            headers = actions.auth_headers(mech, web_service.port, web_service.tls, 15)
            paths = {
                a.path: "IXIT action"
                for a in profile.actions.values()
                if isinstance(a, HttpAction) and a.auth == mech.id and a.method == "GET"
            }
            if mech.kind == "http_form":
                paths.update({p: "crawl" for p in crawl(client, headers, ["/"]) if p not in paths})
            probes += probe_paths(client, headers, paths, public - set(paths))
    except (OSError, TimeoutError) as exc:
        raise DeviceUnreachable(f"{web_service.name} on {dut_address}:{web_service.port}: {exc}") from None
    unit.save_text("probes.json", "[" + ",".join(p.model_dump_json() for p in probes) + "]",
                   "each management path with and without authentication")
    open_paths = [p for p in probes if p.verdict == "open"]
    protected = [p for p in probes if p.verdict == "protected"]
    if open_paths:
        unit.failed(f"{web_service.name}: usable without authentication: "
                    + ", ".join(f"{p.path} (HTTP {p.without_auth})" for p in open_paths))
    elif not protected:
        unit.inconclusive(Reason.MISSING_IXIT, f"{web_service.name}: no management path was found to check")
    else:
        unit.passed(f"{web_service.name}: {len(protected)} management paths refuse requests without "
                    f"authentication ({len(probes)} checked, public pages: {', '.join(sorted(public)) or 'none'})")


def ssh_none_auth(host: str, port: int, username: str, guard: ScopeGuard) -> tuple[bool, list[str]]:
    guard.check_address(host)
    # capped: paramiko would read an endless version line into memory for the whole timeout
    sock = CappedSocket(socket.create_connection((host, port), timeout=15), MAX_SSH_BYTES)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=15)
        try:
            transport.auth_none(username)
            return True, []
        except paramiko.BadAuthenticationType as exc:
            return False, list(exc.allowed_types)
        except paramiko.AuthenticationException:
            return False, []
    except (OSError, paramiko.SSHException, EOFError):
        if sock.exceeded:
            raise DeviceUnreachable(f"SSH on {host}:{port}: the device sent more than {MAX_SSH_BYTES // 1024} KiB "
                                    "without finishing the handshake") from None
        raise
    except Exception as exc:
        # paramiko hands on whatever its parser raised on a malformed packet: an unreadable answer
        raise DeviceUnreachable(f"SSH on {host}:{port}: unreadable SSH answer ({type(exc).__name__}: "
                                f"{str(exc)[:160]})") from None
    finally:
        transport.close()
        sock.close()


@pytest.mark.jcstar("S1.1-01")
def test_ssh_requires_authentication(
    unit: TestUnit, ssh_service: Service, profile: DeviceProfile, scope_guard: ScopeGuard, dut_address: str
) -> None:
    users = sorted({a.username for a in profile.authentication if a.service == ssh_service.name and a.username}
                   | {"root"})
    findings = []
    try:
        for user in users:
            ok, allowed = ssh_none_auth(dut_address, ssh_service.port, user, scope_guard)
            findings.append(f"{user}: 'none' {'ACCEPTED' if ok else 'refused'} (offered: {', '.join(allowed)})")
            target = LoginTarget(mechanism=ssh_service.name, kind="ssh", host=dut_address, port=ssh_service.port,
                                 username=user)
            empty = attempt(target, "", scope_guard, label="empty password")
            findings.append(f"{user}: empty password {empty.outcome.value}" + (f" ({empty.detail[:200]})"
                                                                               if empty.detail else ""))
            if ok or empty.outcome is Outcome.ACCEPTED:
                unit.save_text("ssh-auth.txt", "\n".join(findings))
                unit.failed(f"{ssh_service.name}: SSH lets '{user}' in without a password")
                return
            if empty.outcome is not Outcome.REJECTED:
                # no answer is no refusal: the empty password was not tested
                unit.save_text("ssh-auth.txt", "\n".join(findings))
                raise DeviceUnreachable(f"{ssh_service.name} on {dut_address}:{ssh_service.port}: the login as "
                                        f"'{user}' with an empty password got no refusal ({empty.outcome.value}: "
                                        f"{empty.detail[:200] or 'no detail'})")
    except (OSError, paramiko.SSHException) as exc:
        raise DeviceUnreachable(f"{ssh_service.name} on {dut_address}:{ssh_service.port}: {exc}") from None
    unit.save_text("ssh-auth.txt", "\n".join(findings))
    unit.passed(f"{ssh_service.name}: no login without a password for {', '.join(users)}")


@pytest.mark.jcstar("S1.1-01")
def test_telnet_requires_authentication(
    unit: TestUnit, telnet_service: Service, scope_guard: ScopeGuard, dut_address: str
) -> None:
    target = LoginTarget(mechanism=telnet_service.name, kind="telnet", host=dut_address, port=telnet_service.port,
                         username="root")
    a = attempt(target, "", scope_guard, label="empty password")
    unit.save_text("telnet.json", a.model_dump_json())
    if a.outcome is Outcome.ACCEPTED:
        unit.failed(f"{telnet_service.name}: a shell without a password ({a.detail})")
    elif a.outcome is Outcome.REJECTED:
        unit.passed(f"{telnet_service.name}: login required")
    else:
        raise DeviceUnreachable(f"{telnet_service.name}: {a.outcome.value}, {a.detail}")


PROMPT_END = ("> ", "# ", "$ ", ">", "#", "$")


def open_console(banner: str) -> bool:
    """A banner that ends in a command prompt without having asked for credentials."""
    text = banner.strip("\r\n\0 ")
    lowered = banner.lower()
    return text.endswith(PROMPT_END) and "login" not in lowered and "password" not in lowered


@pytest.mark.jcstar("S1.1-01")
def test_discovered_services_require_authentication(
    unit: TestUnit, discovery: Discovered, profile: DeviceProfile, scope_guard: ScopeGuard
) -> None:
    unit.cite(discovery.evidence)
    declared = {s.port for s in profile.services if s.transport == "tcp"}
    problems, checked = [], []
    for info in discovery.result.services:
        if info.protocol in ("mqtt", "mqtts") and info.mqtt_return_code == 0:
            # An MQTT broker that takes anonymous clients lets anyone publish commands and read data.
            problems.append(f"{info.address} {info.port}/tcp: the MQTT broker accepts an anonymous CONNECT")
        if info.port in declared:
            continue  # declared services have their own units above
        checked.append(f"{info.address} {info.port}/tcp ({info.protocol})")
        if info.protocol == "telnet":
            target = LoginTarget(mechanism=f"port {info.port}", kind="telnet", host=info.address, port=info.port,
                                 username="root")
            a = attempt(target, "", scope_guard, label="empty password")
            if a.outcome is Outcome.ACCEPTED:
                problems.append(f"{info.address} {info.port}/tcp: telnet shell without a password")
        elif open_console(info.banner):
            problems.append(f"{info.address} {info.port}/tcp: a command prompt without any login "
                            f"({info.banner.strip()[:120]!r})")
    if problems:
        unit.failed("undeclared interfaces usable without authentication: " + "; ".join(problems))
    else:
        unit.passed("no undeclared service offers access without authentication"
                    + (f" (checked {', '.join(checked)})" if checked else " (none found)"))


@pytest.mark.jcstar("S1.1-01", timeout=120)
def test_serial_console_requires_login(unit: TestUnit, uart: PhysicalInterface, evaluation: EvaluationSession) -> None:
    check_console(unit, uart, evaluation)


@pytest.mark.jcstar("S1.1-01", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
