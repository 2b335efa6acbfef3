"""The hardened reference device, end to end through the bench's equipment (root + QEMU)."""

from __future__ import annotations

import json
import ssl
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from refbench import labclient as lc
from refbench.bench import ReferenceBench
from refbench.netns import netns_connect
from tests.refbench.reach import (
    assert_ipv6_neighbour_reachable,
    assert_no_network_setup_errors,
    assert_services_answer,
    power_cycle_then_check_ipv6,
)

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def bench() -> Iterator[ReferenceBench]:
    with ReferenceBench(unit_serial="RB-0101", telemetry_collector=True) as b:
        yield b


@pytest.fixture(scope="module")
def password(bench: ReferenceBench) -> str:
    return bench.label()["Admin password"]


def test_boot_time_and_info(bench: ReferenceBench) -> None:
    info = bench.info
    assert bench.boot_seconds is not None and bench.boot_seconds < 30
    assert info.subnet == "203.0.113.0/24" and info.dut_address == "203.0.113.10"
    assert info.lab_address == "203.0.113.1" and info.pdu_host == info.lab_address
    assert info.subnet6 == "2001:db8:4a53:1::/64"
    assert info.dut_ipv6 == "2001:db8:4a53:1::10" and info.lab_ipv6 == "2001:db8:4a53:1::1"  # as FACTS.md says
    assert info.defects == () and info.model_number == "RB-100"
    assert Path(info.serial_url).exists() and info.flash_image.exists()
    label = bench.label()
    assert label["Serial"] == "RB-0101" and label["Model"] == "RB-100" and label["MAC"] == info.mac


def test_ipv6_services_after_boot(bench: ReferenceBench, password: str) -> None:
    # first thing after start(): no other test has given the device time to settle
    assert_services_answer(bench, password, ipv6=True)
    assert_ipv6_neighbour_reachable(bench)
    assert_services_answer(bench, password, ipv6=False)
    assert_no_network_setup_errors(bench)


def test_lab_namespace_is_isolated(bench: ReferenceBench) -> None:
    ns = bench.info.lab_netns
    links = json.loads(subprocess.run(["ip", "-n", ns, "-j", "link"], capture_output=True, check=True).stdout)
    assert sorted(li["ifname"] for li in links) == ["lo", bench.info.lab_interface]
    for fam in ("-4", "-6"):
        routes = json.loads(subprocess.run(["ip", "-n", ns, "-j", fam, "route"], capture_output=True,
                                           check=True).stdout or b"[]")
        assert all(r["dst"] != "default" for r in routes)
    got = json.loads(subprocess.run(["ip", "-n", ns, "-j", "route", "get", bench.info.dut_address],
                                    capture_output=True, check=True).stdout)
    assert got[0]["dev"] == bench.info.lab_interface
    out = subprocess.run(["ip", "-n", ns, "route", "get", "192.0.2.1"], capture_output=True, text=True)
    assert out.returncode != 0  # unreachable: no route leaves the bench


def test_only_declared_services_listen(bench: ReferenceBench) -> None:
    info = bench.info
    for port in (22, 443):
        assert lc.tcp_port_open(info, port)
        assert lc.tcp_port_open(info, port, ipv6=True)
    for port in (23, 80, 8080, 9999, 2323, 8443):
        assert not lc.tcp_port_open(info, port)
    assert lc.udp_probe(info, 9999, timeout=1) is None


def test_ssh_login_and_cli(bench: ReferenceBench, password: str) -> None:
    rc, out = lc.ssh_run(bench.info, password, "show version")
    assert rc == 0 and "firmware_version: 1.0.0" in out
    rc, out = lc.ssh_run(bench.info, password, "show model")
    assert rc == 0 and "RB-100" in out
    import paramiko

    with pytest.raises(paramiko.AuthenticationException):
        lc.ssh_client(bench.info, "not-the-password")
    with pytest.raises(paramiko.AuthenticationException):
        lc.ssh_client(bench.info, password, user="root")


def test_https_strong_tls_and_auth(bench: ReferenceBench, password: str) -> None:
    info = bench.info
    assert lc.http_request(info, "GET", "/api/v1/version")[0] == 401
    assert lc.http_request(info, "GET", "/api/v1/settings")[0] == 401
    st, _, body = lc.http_request(info, "GET", "/api/v1/model")
    assert st == 200 and json.loads(body)["model_number"] == "RB-100"
    tok = lc.api_login(info, password)
    st, _, body = lc.http_request(info, "GET", "/api/v1/version", token=tok)
    assert st == 200 and json.loads(body)["firmware_version"] == "1.0.0"
    old = lc.insecure_tls_context(legacy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        lc.http_request(info, "GET", "/model", ctx=old)
    tls12 = lc.insecure_tls_context()
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    raw = netns_connect(info.lab_netns, info.dut_address, 443)
    with tls12.wrap_socket(raw) as s:
        name = s.cipher()[0]  # type: ignore[index]
        assert s.version() == "TLSv1.2" and name.startswith("ECDHE-") and ("GCM" in name or "CHACHA" in name)
        cert = s.getpeercert(binary_form=True)
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    key = x509.load_der_x509_certificate(cert or b"").public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"


@pytest.mark.parametrize(("version", "group", "accepted"), [
    ("-tls1_3", "P-256", True), ("-tls1_2", "P-256", True), ("-tls1_3", "ffdhe2048", False),
    ("-tls1_3", "X25519", False), ("-tls1_3", "ffdhe3072", False),
])
def test_tls_key_exchange_group_p256_only(bench: ReferenceBench, version: str, group: str, accepted: bool) -> None:
    # ffdhe2048 (112-bit) would fail S1.1-12 for a support period past 2030 (the profile declares 2031-03-31)
    info = bench.info
    out = subprocess.run(["ip", "netns", "exec", info.lab_netns, "openssl", "s_client", "-connect",
                          f"{info.dut_address}:443", version, "-groups", group], input=b"", capture_output=True,
                         timeout=30, check=False).stdout
    assert (b"Cipher is" in out and b"Cipher is (NONE)" not in out) == accepted, out[-500:]


def test_web_login_form(bench: ReferenceBench, password: str) -> None:
    info = bench.info
    st, hdrs, _ = lc.http_request(info, "GET", "/admin")
    assert st == 303 and hdrs["location"] == "/login"
    form = f"username=admin&password={password}".encode()
    st, hdrs, _ = lc.http_request(info, "POST", "/login", form,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 303 and "rbsession=" in hdrs["set-cookie"] and "Secure" in hdrs["set-cookie"]
    cookie = hdrs["set-cookie"].split(";")[0]
    st, _, body = lc.http_request(info, "GET", "/admin", headers={"Cookie": cookie})
    assert st == 200 and b"Firmware update" in body


@pytest.mark.parametrize("ipv6", [False, True], ids=["ipv4", "ipv6"])
def test_security_txt(bench: ReferenceBench, ipv6: bool) -> None:
    from datetime import UTC, datetime, timedelta

    from fixtures.securitytxt import parse_security_txt

    info = bench.info
    host = f"[{info.dut_ipv6}]" if ipv6 else info.dut_address
    url = f"https://{host}/.well-known/security.txt"
    st, hdrs, body = lc.http_request(info, "GET", "/.well-known/security.txt", ipv6=ipv6)  # no login
    assert st == 200 and hdrs["content-type"] == "text/plain; charset=utf-8"
    now = datetime.now(UTC)
    parsed = parse_security_txt(body, now=now, fetched_from=url)
    assert parsed.verdict == "valid" and parsed.problems == [], parsed.problems
    assert parsed.contacts == ["mailto:security@rb100.example", "https://rb100.example/security/report"]
    assert parsed.policy == ["https://rb100.example/security/vdp"] and parsed.canonical == [url]
    assert parsed.expires is not None and abs(parsed.expires - (now + timedelta(days=180))) < timedelta(minutes=5)
    # without a usable Host header, the Canonical URL names the address the request reached
    st, _, body = lc.http_request(info, "GET", "/.well-known/security.txt", headers={"Host": ""}, ipv6=ipv6)
    assert st == 200 and f"Canonical: {url}\n" in body.decode()


def test_uart_requires_login(bench: ReferenceBench, password: str) -> None:
    out = lc.console_command(bench.info, password, "show model")
    assert "login: " in out and "RB-100" in out
    log = bench.info.uart_log.read_text(errors="replace")
    assert "Linux version" in log and "login:" in log


def test_updates(bench: ReferenceBench, password: str, tmp_path: Path) -> None:
    info = bench.info
    tok = lc.api_login(info, password)
    expect = {"tampered": 400, "truncated": 400, "wrong_key": 400, "unsigned": 400, "valid": 200, "older": 409}
    for kind, status in expect.items():
        img = bench.build_update_image(kind, tmp_path / f"{kind}.bin")  # type: ignore[arg-type]
        st, _, body = lc.http_request(info, "POST", "/api/v1/firmware", img.read_bytes(), token=tok,
                                      headers={"Content-Type": "application/octet-stream"})
        assert st == status, (kind, body)
    st, _, body = lc.http_request(info, "GET", "/api/v1/version", token=tok)
    assert json.loads(body)["firmware_version"].startswith("1.") and json.loads(body)["firmware_version"] != "1.0.0"


def test_telemetry_over_tls(bench: ReferenceBench) -> None:
    assert bench.info.telemetry_log is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if bench.info.telemetry_log.exists() and bench.info.telemetry_log.read_text().strip():
            break
        time.sleep(0.5)
    rec = json.loads(bench.info.telemetry_log.read_text().splitlines()[0])
    assert rec["tls"] is True and json.loads(rec["message"])["serial"] == "RB-0101"


def test_secrets_not_in_flash(bench: ReferenceBench, password: str, tmp_path: Path) -> None:
    tok = lc.api_login(bench.info, password)
    assert lc.http_request(bench.info, "PUT", "/api/v1/userdata", {"wifi_psk": "psk-VERY-SECRET-991"},
                           token=tok)[0] == 200
    data = bench.dump_flash(tmp_path / "flash.img").read_bytes()
    assert password.encode() not in data and b"psk-VERY-SECRET-991" not in data
    assert b"BEGIN PRIVATE KEY" not in data and b"BEGIN OPENSSH PRIVATE KEY" not in data
    assert b"$6$" in data  # the hash is there


def test_power_cycle_via_snmp_keeps_settings(bench: ReferenceBench, password: str) -> None:
    info = bench.info
    tok = lc.api_login(info, password)
    assert lc.http_request(info, "PUT", "/api/v1/settings", {"hostname": "persist-me"}, token=tok)[0] == 200
    assert lc.snmp(info, "get") == "1"
    lc.snmp(info, "set", 2)
    assert lc.snmp(info, "get", version="3") == "2"
    assert not bench.status()["device_on"]
    assert not lc.tcp_port_open(info, 22, timeout=1)
    lc.snmp(info, "set", 1, version="3")
    assert bench.wait_ready(60) < 30
    tok = lc.api_login(info, password)
    body = lc.http_request(info, "GET", "/api/v1/settings", token=tok)[2]
    assert json.loads(body)["hostname"] == "persist-me"
    _st, _, body = lc.http_request(info, "GET", "/api/v1/version", token=tok)
    assert json.loads(body)["firmware_version"] != "1.0.0"  # the update from test_updates survived


def test_ipv6_services_after_power_cycles(bench: ReferenceBench, password: str) -> None:
    for _ in range(2):
        power_cycle_then_check_ipv6(bench, password)


def test_link_down_and_up(bench: ReferenceBench) -> None:
    bench.link_down()
    time.sleep(0.5)
    assert not lc.tcp_port_open(bench.info, 443, timeout=1.5)
    bench.link_up()
    time.sleep(0.5)
    assert lc.tcp_port_open(bench.info, 443, timeout=5)


def test_bruteforce_lockout_then_recovery(bench: ReferenceBench, password: str) -> None:
    info = bench.info
    statuses = [lc.http_request(info, "POST", "/api/v1/login", {"username": "admin", "password": f"x{i}"})[0]
                for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    st, hdrs, _ = lc.http_request(info, "POST", "/api/v1/login", {"username": "admin", "password": password})
    assert st == 429 and int(hdrs["retry-after"]) <= 31
    import paramiko

    with pytest.raises(paramiko.AuthenticationException):
        lc.ssh_client(info, password)  # the account is locked on every interface
    time.sleep(int(hdrs["retry-after"]) + 1.5)
    assert lc.api_login(info, password)
    assert lc.ssh_run(info, password, "show version")[0] == 0


def test_password_change_and_factory_reset(bench: ReferenceBench, password: str, tmp_path: Path) -> None:
    info = bench.info
    tok = lc.api_login(info, password)
    st, _, _ = lc.http_request(info, "POST", "/api/v1/password",
                               {"current_password": password, "new_password": "short"}, token=tok)
    assert st == 400
    new = "Changed-Pass-4711"
    st, _, _ = lc.http_request(info, "POST", "/api/v1/password",
                               {"current_password": password, "new_password": new}, token=tok)
    assert st == 204
    assert lc.ssh_run(info, new, "show version")[0] == 0
    tok = lc.api_login(info, new)
    marker = "LEFTOVER-MARKER-5d2c9e"
    assert lc.http_request(info, "PUT", "/api/v1/userdata", {"notes": marker}, token=tok)[0] == 200
    assert marker.encode() in bench.dump_flash(tmp_path / "before.img").read_bytes()
    assert lc.http_request(info, "POST", "/api/v1/factory-reset", token=tok)[0] == 202
    time.sleep(3)
    bench.wait_ready(60)
    assert marker.encode() not in bench.dump_flash(tmp_path / "after.img").read_bytes()
    tok = lc.api_login(info, password)  # the label password is back
    st, _, body = lc.http_request(info, "GET", "/api/v1/settings", token=tok)
    assert json.loads(body)["hostname"] == "refbench"
