"""Unit tests of the pure parts: subnet choice, defects, update images, PDU OIDs, manufacturing."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
from pathlib import Path

import pytest

from refbench import manufacture, pdu_pass
from refbench.config import SUBNET_CANDIDATES
from refbench.defects import DEFECTS, DOCUMENTS_DIR, ITEMS, Defect, device_defects, expected_failures, parse_defects
from refbench.errors import BenchError
from refbench.firmware import Tree
from refbench.guest import fwformat
from refbench.netns import addresses, pick_subnet
from refbench.updates import UPDATE_KINDS, UpdateKind, build_image, check_update

HOST_ROUTES = [
    {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
    {"dst": "192.0.2.0/24", "dev": "eth0"},
    {"type": "local", "dst": "127.0.0.0/8", "dev": "lo", "table": "local"},
    {"type": "broadcast", "dst": "192.0.2.255", "dev": "eth0", "table": "local"},
    {"dst": "fd00::/64", "dev": "eth0"},
    {"dst": "default", "gateway": "fd00::1", "dev": "eth0"},
    {"type": "multicast", "dst": "ff00::/8", "dev": "eth0", "table": "local"},
]


# ---- subnet choice ---------------------------------------------------------------------------
def test_first_candidate_when_free() -> None:
    assert pick_subnet(HOST_ROUTES) == "203.0.113.0/24"


def test_host_eth0_subnet_is_never_a_candidate() -> None:
    assert all(not c.startswith("192.0.2.") for c in SUBNET_CANDIDATES)


def test_second_candidate_when_first_overlaps() -> None:
    routes = [*HOST_ROUTES, {"dst": "203.0.113.128/25", "dev": "tun0"}]
    assert pick_subnet(routes) == "198.51.100.0/24"


def test_wide_route_blocks_candidate_but_default_does_not() -> None:
    routes = [*HOST_ROUTES, {"dst": "203.0.0.0/16", "dev": "wg0"}]
    assert pick_subnet(routes) == "198.51.100.0/24"


def test_no_free_subnet_is_a_clear_error() -> None:
    routes = [{"dst": "203.0.113.7", "dev": "a"}, {"dst": "198.51.0.0/16", "dev": "b"}]
    with pytest.raises(BenchError, match=r"no free bench subnet.*203\.0\.113\.7.*198\.51\.0\.0/16"):
        pick_subnet(routes)


def test_ipv6_choice_ignores_ipv4_routes() -> None:
    assert pick_subnet(HOST_ROUTES, ["2001:db8:4a53:1::/64"]) == "2001:db8:4a53:1::/64"
    with pytest.raises(BenchError):
        pick_subnet([{"dst": "2001:db8::/32", "dev": "x"}], ["2001:db8:4a53:1::/64"])


def test_addresses() -> None:
    assert addresses("203.0.113.0/24") == ("203.0.113.1", "203.0.113.10")
    assert addresses("198.51.100.0/24") == ("198.51.100.1", "198.51.100.10")
    # ::10 as declared in FACTS.md and the device profiles, not ::a (network address + 10)
    assert addresses("2001:db8:4a53:1::/64") == ("2001:db8:4a53:1::1", "2001:db8:4a53:1::10")
    assert addresses("2001:db8:4a53:2::/64") == ("2001:db8:4a53:2::1", "2001:db8:4a53:2::10")


# ---- defects ---------------------------------------------------------------------------------
def test_every_defect_names_known_items() -> None:
    assert len(DEFECTS) == 22
    assert list(ITEMS) == [f"S1.1-{n:02d}" for n in range(1, 17)]
    for d in DEFECTS.values():
        assert d.fails and set(d.fails) <= set(ITEMS), d.name


def test_a_defect_is_a_device_defect_by_default() -> None:
    d = Defect(name="x", description="y", fails=("S1.1-01",))
    assert d.device and d.documents == {} and d.drop_profile_keys == ()
    assert all(d.device and not d.documents and not d.drop_profile_keys
               for d in DEFECTS.values() if d.name not in ("vdp_without_timelines", "no_support_period"))


def test_document_defects() -> None:
    vdp, nsp = DEFECTS["vdp_without_timelines"], DEFECTS["no_support_period"]
    assert vdp.fails == ("S1.1-05",) and not vdp.device and vdp.drop_profile_keys == ()
    assert vdp.documents == {
        "vulnerability_disclosure_policy": "defective/vulnerability-disclosure-policy-no-timelines.md"}
    assert nsp.fails == ("S1.1-09", "S1.1-16") and not nsp.device
    assert nsp.documents == {"update_policy": "defective/update-policy-no-support-period.md",
                             "user_manual": "defective/user-manual-no-support-period.md"}
    assert nsp.drop_profile_keys == ("documents.support_period_end",)
    for d in (vdp, nsp):
        for rel in d.documents.values():
            assert (DOCUMENTS_DIR / rel).is_file(), rel
    assert expected_failures(["vdp_without_timelines", "no_support_period"]) == {"S1.1-05", "S1.1-09", "S1.1-16"}


@pytest.mark.parametrize(("fields", "message"), [
    ({"documents": {"manual": "user-manual.md"}}, "unknown document key 'manual'"),
    ({"documents": {"user_manual": "../../etc/passwd"}}, "must be a path inside refbench/documents"),
    ({"documents": {"user_manual": "/etc/passwd"}}, "must be a path inside refbench/documents"),
    ({"drop_profile_keys": ("support_period_end",)}, "must be 'table.key'"),
    ({"drop_profile_keys": ("documents.",)}, "must be 'table.key'"),
])
def test_defect_model_refuses_bad_document_fields(fields: dict[str, object], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        Defect.model_validate({"name": "x", "description": "y", "fails": ("S1.1-16",), "device": False, **fields})


def test_device_defects_leave_out_document_defects() -> None:
    assert device_defects(["telnet_enabled", "vdp_without_timelines", "no_support_period"]) == {"telnet_enabled"}
    assert device_defects([]) == frozenset()
    with pytest.raises(BenchError, match="unknown defect"):
        device_defects(["nope"])


def test_strap_disk_carries_only_device_defects(tmp_path: Path) -> None:
    unit = manufacture.manufacture(tmp_path, "RB-0007", frozenset({"telnet_enabled", "vdp_without_timelines"}),
                                   ipv4="203.0.113.10/24", ipv6=None, lab_ipv4="203.0.113.1")
    otp = json.loads(unit.otp_image.read_bytes().rstrip(b"\0"))
    assert otp["defects"] == ["telnet_enabled"]


def test_parse_defects_forms() -> None:
    assert parse_defects("telnet_enabled, weak_tls") == {"telnet_enabled", "weak_tls"}
    assert parse_defects(["weak_tls"]) == {"weak_tls"}
    assert parse_defects(None) == frozenset()
    assert parse_defects("") == frozenset()


def test_unknown_defect_is_rejected_with_the_list() -> None:
    with pytest.raises(BenchError, match=r"unknown defect.*telnet_enabld.*known:"):
        parse_defects("telnet_enabld")


def test_expected_failures_combine() -> None:
    assert expected_failures([]) == frozenset()
    assert expected_failures(["telnet_enabled", "weak_tls"]) == {"S1.1-12", "S1.1-13"}


# ---- update images ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keydir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.mark.parametrize(("kind", "accepted", "reason"), [
    ("valid", True, "accepted 1.1.0"),
    ("tampered", False, "signature verification failed"),
    ("truncated", False, "truncated"),
    ("wrong_key", False, "signature verification failed"),
    ("older", False, "not newer"),
    ("unsigned", False, "not signed"),
])
def test_update_kinds_against_device_rule(keydir: Path, kind: str, accepted: bool, reason: str) -> None:
    img = build_image(kind, keydir)  # type: ignore[arg-type]
    ok, why = check_update(img, (keydir / "fw-signing.pub.pem").read_bytes(), "1.0.0")
    assert ok is accepted and reason in why


def test_defective_device_rules(keydir: Path) -> None:
    pub = (keydir / "fw-signing.pub.pem").read_bytes()
    kinds: tuple[UpdateKind, ...] = ("tampered", "wrong_key", "unsigned")
    for kind in kinds:
        assert check_update(build_image(kind, keydir), pub, "1.0.0", verify_signature=False)[0]
    assert not check_update(build_image("truncated", keydir), pub, "1.0.0", verify_signature=False)[0]
    assert check_update(build_image("older", keydir), pub, "1.0.0", allow_rollback=True)[0]


def test_tampered_differs_in_exactly_one_byte(keydir: Path) -> None:
    good, bad = build_image("valid", keydir), build_image("tampered", keydir)
    assert len(good) == len(bad)
    assert sum(a != b for a, b in zip(good, bad, strict=True)) == 1


def test_update_kind_list_and_unknown_kind(keydir: Path) -> None:
    assert set(UPDATE_KINDS) == {"valid", "tampered", "truncated", "wrong_key", "older", "unsigned"}
    with pytest.raises(ValueError, match="unknown update kind"):
        build_image("bogus", keydir)  # type: ignore[arg-type]


def test_fwformat_rejects_garbage() -> None:
    for data in (b"", b"hello world", fwformat.MAGIC + struct.pack(">I", 999) + b"{}"):
        with pytest.raises(fwformat.FormatError):
            fwformat.parse(data)
    with pytest.raises(fwformat.FormatError):
        fwformat.version_tuple("1.x")
    assert fwformat.version_tuple("1.10.0") > fwformat.version_tuple("1.9.9")


# ---- PDU pass script -------------------------------------------------------------------------
def test_pdu_oid_parsing() -> None:
    base = pdu_pass.BASE
    assert pdu_pass.outlet_of(base + ".3") == 3
    assert pdu_pass.outlet_of(base + ".0") is None
    assert pdu_pass.outlet_of(base + ".9") is None
    assert pdu_pass.next_outlet(".1.3.6.1.4.1.318") == 1
    assert pdu_pass.next_outlet(base + ".1") == 2
    assert pdu_pass.next_outlet(base + ".8") is None
    assert pdu_pass.next_outlet(".1.3.6.1.4.1.318.1.1.4.4.2.1.4") is None


# ---- manufacturing ---------------------------------------------------------------------------
def test_unique_random_passwords() -> None:
    mac = manufacture.mac_for_serial("RB-0001")
    pws = {manufacture.choose_password("RB-0001", mac, frozenset()) for _ in range(200)}
    assert len(pws) == 200
    assert all(len(p) == 19 and p.count("-") == 3 for p in pws)


def test_password_defects() -> None:
    mac = manufacture.mac_for_serial("RB-0042")
    assert manufacture.choose_password("RB-0042", mac, frozenset({"default_password"})) == "admin"
    a = manufacture.choose_password("RB-0001", manufacture.mac_for_serial("RB-0001"), frozenset({"shared_password"}))
    assert a == manufacture.choose_password("RB-0042", mac, frozenset({"shared_password"}))
    d = manufacture.choose_password("RB-0042", mac, frozenset({"derived_password"}))
    assert d == "rb" + mac.replace(":", "")[-6:] + "0042"


def test_mac_is_stable_local_unicast() -> None:
    mac = manufacture.mac_for_serial("RB-0001")
    assert mac == manufacture.mac_for_serial("RB-0001") != manufacture.mac_for_serial("RB-0002")
    first = int(mac.split(":")[0], 16)
    assert first & 0x02 and not first & 0x01


def test_mbr_layout() -> None:
    sector = manufacture.mbr([(2048, 8192), (10240, 16384)], 0x1234)
    assert sector[510:] == b"\x55\xaa"
    _status, _, ptype, _, start, count = struct.unpack_from("<B3sB3sII", sector, 446)
    assert (ptype, start, count) == (0x83, 2048, 8192)
    assert struct.unpack_from("<I", sector, 446 + 16 + 8)[0] == 10240


def test_seal_roundtrip_with_openssl() -> None:
    import subprocess

    huk = bytes(range(32))
    blob = manufacture.seal(huk, "wifi_psk", b"secret-data")
    assert b"secret-data" not in blob
    import hmac

    pw = hmac.new(huk, b"wifi_psk", hashlib.sha256).hexdigest()
    out = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "10000", "-md", "sha256",
                          "-a", "-A", "-pass", "env:P"], input=blob + b"\n", capture_output=True,
                         env={"P": pw, "PATH": "/usr/bin:/bin"}, check=True)
    assert out.stdout == b"secret-data"


def test_cpio_is_deterministic() -> None:
    def make() -> bytes:
        t = Tree()
        t.file("etc/b", b"2")
        t.file("etc/a", b"1", 0o600)
        t.symlink("bin", "usr/bin")
        return gzip.compress(t.cpio(), mtime=0)

    assert make() == make()
    raw = gzip.decompress(make())
    assert raw.startswith(b"070701") and b"TRAILER!!!" in raw


def test_label_parsing(tmp_path: Path) -> None:
    p = tmp_path / "label.txt"
    p.write_text("Model: RB-100\nAdmin password: a-b: c\n")
    assert manufacture.read_label(p) == {"Model": "RB-100", "Admin password": "a-b: c"}


def test_prerequisite_message_names_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    import glob
    import os
    import shutil

    import refbench.bench as bench

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda p: False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(glob, "glob", lambda pattern: [])
    with pytest.raises(BenchError) as ei:
        bench.check_prerequisites()
    msg = str(ei.value)
    for word in ("root", "/dev/net/tun", "qemu-system-x86", "snmpd", "linux-image-cloud-amd64", "apt-get install"):
        assert word in msg


def test_benchinfo_forbids_extra_fields() -> None:
    from pydantic import ValidationError

    from refbench.bench import BenchInfo

    with pytest.raises(ValidationError):
        BenchInfo.model_validate_json(json.dumps({"bogus": 1}))
