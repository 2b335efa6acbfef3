"""A unit with (almost) every defect switched on: each must be observable through the bench."""

from __future__ import annotations

import json
import ssl
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from refbench import labclient as lc
from refbench.bench import ReferenceBench
from refbench.defects import DEFECTS
from refbench.netns import netns_connect
from refbench.updates import UpdateKind
from tests.refbench.reach import (
    assert_ipv6_neighbour_reachable,
    assert_no_network_setup_errors,
    assert_services_answer,
    power_cycle_then_check_ipv6,
)

pytestmark = pytest.mark.bench

# shared_password/derived_password are alternatives to default_password (checked in test_units)
ON = frozenset(DEFECTS) - {"shared_password", "derived_password"}


@pytest.fixture(scope="module")
def bench() -> Iterator[ReferenceBench]:
    with ReferenceBench(defects=ON, unit_serial="RB-0666", telemetry_collector=True) as b:
        yield b


def test_default_password_and_no_model_on_label(bench: ReferenceBench) -> None:
    label = bench.label()
    assert label["Admin password"] == "admin" and "Model" not in label
    assert lc.ssh_run(bench.info, "admin", "show version")[0] == 0


def test_ipv6_after_boot_and_power_cycle(bench: ReferenceBench) -> None:
    assert bench.info.dut_ipv6 == "2001:db8:4a53:1::10"
    assert_services_answer(bench, "admin", ipv6=True)
    assert_ipv6_neighbour_reachable(bench)
    assert_no_network_setup_errors(bench)
    power_cycle_then_check_ipv6(bench, "admin")
    for port in (23, 80, 9999):  # the defects' extra services are dual-stack too
        deadline = time.monotonic() + 20
        while not lc.tcp_port_open(bench.info, port, timeout=1) and time.monotonic() < deadline:
            time.sleep(0.2)  # why: these start after SSH and HTTPS; wait on IPv4, then IPv6 must answer
        assert lc.tcp_port_open(bench.info, port, ipv6=True), port


def test_extra_services_listen(bench: ReferenceBench) -> None:
    info = bench.info
    for port in (22, 23, 80, 443, 9999):
        assert lc.tcp_port_open(info, port), port
    answer = lc.udp_probe(info, 9999)
    assert answer is not None and b"debug console" in answer


def test_cleartext_http_admin_and_unauthenticated_settings(bench: ReferenceBench) -> None:
    info = bench.info
    tok = lc.api_login(info, "admin", tls=False)
    assert lc.http_request(info, "GET", "/api/v1/version", token=tok, tls=False)[0] == 200
    st, _, body = lc.http_request(info, "GET", "/api/v1/settings")
    assert st == 200 and "hostname" in json.loads(body)
    assert lc.http_request(info, "GET", "/api/v1/version")[0] == 401  # only the settings endpoint is open


def test_security_txt_is_the_hardened_one(bench: ReferenceBench) -> None:
    """No defect changes security.txt; with http_cleartext_admin port 80 serves it too."""
    for tls in (True, False):
        st, hdrs, body = lc.http_request(bench.info, "GET", "/.well-known/security.txt", tls=tls)
        assert st == 200 and hdrs["content-type"] == "text/plain; charset=utf-8"
        assert b"Contact: mailto:security@rb100.example\n" in body
        assert f"Canonical: https://{bench.info.dut_address}/.well-known/security.txt\n".encode() in body


def test_outdated_web_server_banner(bench: ReferenceBench) -> None:
    for tls in (True, False):
        assert lc.http_request(bench.info, "GET", "/", tls=tls)[1]["server"] == "RomPager/4.07 UPnP/1.0"


def test_no_model_number(bench: ReferenceBench) -> None:
    assert lc.http_request(bench.info, "GET", "/api/v1/model")[0] == 404
    assert lc.http_request(bench.info, "GET", "/model")[0] == 404


def test_no_password_change(bench: ReferenceBench) -> None:
    tok = lc.api_login(bench.info, "admin")
    st, _, _ = lc.http_request(bench.info, "POST", "/api/v1/password",
                               {"current_password": "admin", "new_password": "Another-Long-Pass-1"}, token=tok)
    assert st == 501


def test_no_bruteforce_protection(bench: ReferenceBench) -> None:
    sts = [lc.http_request(bench.info, "POST", "/api/v1/login", {"username": "admin", "password": f"w{i}"})[0]
           for i in range(8)]
    assert sts == [401] * 8
    assert lc.api_login(bench.info, "admin")


def test_weak_tls(bench: ReferenceBench) -> None:
    ctx = lc.insecure_tls_context(legacy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.maximum_version = ssl.TLSVersion.TLSv1
    raw = netns_connect(bench.info.lab_netns, bench.info.dut_address, 443)
    with ctx.wrap_socket(raw) as s:
        name = s.cipher()[0]  # type: ignore[index]
        assert s.version() == "TLSv1" and name in ("AES128-SHA", "AES256-SHA")
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = x509.load_der_x509_certificate(s.getpeercert(binary_form=True) or b"").public_key()
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024


def test_boot_log_secrets(bench: ReferenceBench) -> None:
    log = bench.info.uart_log.read_text(encoding="utf-8", errors="replace")
    assert f"rb100: provisioning: admin user=admin password={bench.label()['Admin password']}" in log


def test_uart_root_shell(bench: ReferenceBench) -> None:
    out = lc.console_command(bench.info, None, "id")
    assert "uid=0(root)" in out


def test_cleartext_telemetry(bench: ReferenceBench) -> None:
    log = bench.info.telemetry_log
    assert log is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (log.exists() and log.read_text().strip()):
        time.sleep(0.5)
    rec = json.loads(log.read_text().splitlines()[0])
    assert rec["tls"] is False and '"serial": "RB-0666"' in rec["message"]


def test_bad_updates_accepted(bench: ReferenceBench, tmp_path: Path) -> None:
    tok = lc.api_login(bench.info, "admin")
    kinds: tuple[UpdateKind, ...] = ("unsigned", "tampered", "wrong_key", "older")
    for kind in kinds:
        img = bench.build_update_image(kind, tmp_path / f"{kind}.bin")
        st, _, body = lc.http_request(bench.info, "POST", "/api/v1/firmware", img.read_bytes(), token=tok)
        assert st == 200, (kind, body)
    st, _, body = lc.http_request(bench.info, "GET", "/api/v1/version", token=tok)
    assert json.loads(body)["firmware_version"] == "0.9.0"
    img = bench.build_update_image("truncated", tmp_path / "t.bin")
    assert lc.http_request(bench.info, "POST", "/api/v1/firmware", img.read_bytes(), token=tok)[0] == 400


def test_plaintext_secrets_in_flash(bench: ReferenceBench, tmp_path: Path) -> None:
    tok = lc.api_login(bench.info, "admin")
    lc.http_request(bench.info, "PUT", "/api/v1/userdata", {"wifi_psk": "psk-PLAIN-4242"}, token=tok)
    data = bench.dump_flash(tmp_path / "flash.img").read_bytes()
    assert b"psk-PLAIN-4242" in data and b"BEGIN PRIVATE KEY" in data and b'"admin_password": "admin"' in data


def test_settings_lost_on_power_loss(bench: ReferenceBench) -> None:
    info = bench.info
    tok = lc.api_login(info, "admin")
    assert lc.http_request(info, "PUT", "/api/v1/settings", {"hostname": "gone-after-cycle"}, token=tok)[0] == 200
    bench.power_cycle(off_seconds=0.5)
    _st, _, body = lc.http_request(info, "GET", "/api/v1/settings")
    assert json.loads(body)["hostname"] == "refbench"


def test_reset_leaves_data(bench: ReferenceBench, tmp_path: Path) -> None:
    tok = lc.api_login(bench.info, "admin")
    marker = "LEFTOVER-MARKER-a11ce"
    assert lc.http_request(bench.info, "PUT", "/api/v1/userdata", {"notes": marker}, token=tok)[0] == 200
    assert lc.http_request(bench.info, "POST", "/api/v1/factory-reset", token=tok)[0] == 202
    time.sleep(3)
    bench.wait_ready(60)
    assert marker.encode() in bench.dump_flash(tmp_path / "after.img").read_bytes()
