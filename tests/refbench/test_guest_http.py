"""The guest's web server (refbench/guest/deviced.py) run on the host, without QEMU: the routes that need
no device state. The device's files (strap disk, flash partitions) are empty folders here, so the
``Device`` is the hardened one unless a test writes a strap file."""

from __future__ import annotations

import http.client
import http.server
import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from fixtures.securitytxt import parse_security_txt
from refbench.defects import DEFECTS

GUEST = Path(__file__).resolve().parents[2] / "refbench" / "guest"
PATH = "/.well-known/security.txt"


@pytest.fixture
def guest_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """deviced.py puts its folder on sys.path and imports fwformat as a top-level module: undo both."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    had = "fwformat" in sys.modules
    yield
    if not had:
        sys.modules.pop("fwformat", None)


def load_deviced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, defects: list[str]) -> ModuleType:
    """Import deviced.py as the guest runs it (a top-level program next to fwformat.py), its files in tmp_path."""
    spec = importlib.util.spec_from_file_location("deviced_under_test", GUEST / "deviced.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in ("FACTORY", "FWDIR", "DATA", "RUN"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setattr(mod, name, str(folder))
    (tmp_path / "otp.json").write_text(json.dumps({"defects": defects}), encoding="utf-8")
    monkeypatch.setattr(mod, "OTP_FILE", str(tmp_path / "otp.json"))
    monkeypatch.setattr(mod, "FW_INFO", str(tmp_path / "firmware.json"))
    monkeypatch.setattr(mod, "LOG_FILE", str(tmp_path / "deviced.log"))
    setattr(mod, "DEV", mod.Device())  # noqa: B010 (what main() does at boot)
    return mod


def serve(mod: ModuleType) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), mod.Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def hardened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, guest_imports: None) -> Iterator[int]:
    yield from serve(load_deviced(tmp_path, monkeypatch, []))


@pytest.fixture
def every_defect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, guest_imports: None) -> Iterator[int]:
    yield from serve(load_deviced(tmp_path, monkeypatch, sorted(DEFECTS)))


def get(port: int, path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_security_txt_without_login(hardened: int) -> None:
    status, headers, body = get(hardened, PATH, {"Host": "203.0.113.10"})
    assert status == 200 and headers["content-type"] == "text/plain; charset=utf-8"
    url = "https://203.0.113.10/.well-known/security.txt"
    now = datetime.now(UTC)
    parsed = parse_security_txt(body, now=now, fetched_from=url)
    assert parsed.verdict == "valid" and parsed.problems == [], parsed.problems
    assert parsed.contacts == ["mailto:security@rb100.example", "https://rb100.example/security/report"]
    assert parsed.policy == ["https://rb100.example/security/vdp"]
    assert parsed.preferred_languages == ["ja", "en"]
    assert parsed.canonical == [url]
    assert parsed.expires is not None
    assert timedelta(days=179) < parsed.expires - now <= timedelta(days=180, seconds=5)
    assert body.decode("utf-8").splitlines()[3].endswith("Z")  # Expires in UTC, ISO 8601


@pytest.mark.parametrize(("host", "canonical"), [
    ("[2001:db8:4a53:1::10]", "https://[2001:db8:4a53:1::10]/.well-known/security.txt"),
    ("rb100.lab.example:8443", "https://rb100.lab.example:8443/.well-known/security.txt"),
    ("", "https://127.0.0.1/.well-known/security.txt"),  # no usable Host: the address the client reached
    ("a b<script>", "https://127.0.0.1/.well-known/security.txt"),
])
def test_security_txt_canonical_follows_the_host(hardened: int, host: str, canonical: str) -> None:
    status, _, body = get(hardened, PATH, {"Host": host})
    assert status == 200 and f"Canonical: {canonical}\n" in body.decode("utf-8")


def test_security_txt_head_and_other_methods(hardened: int) -> None:
    status, headers, body = get(hardened, PATH, method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 100
    status, _, _ = get(hardened, PATH, method="POST")
    assert status == 303  # not a public route: the login, as for any other unknown web path


def test_other_pages_still_need_a_login(hardened: int) -> None:
    status, headers, _ = get(hardened, "/admin")
    assert status == 303 and headers["location"] == "/login"
    status, _, _ = get(hardened, "/api/v1/settings")
    assert status == 401


def test_no_defect_changes_security_txt(every_defect: int) -> None:
    status, headers, body = get(every_defect, PATH, {"Host": "203.0.113.10"})
    assert status == 200 and headers["server"].startswith("RomPager")  # the defects are on
    parsed = parse_security_txt(body, fetched_from="https://203.0.113.10/.well-known/security.txt")
    assert parsed.verdict == "valid" and parsed.problems == []
