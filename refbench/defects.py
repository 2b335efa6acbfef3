"""Switchable defects of the reference device, and which ★1 items each must make fail.

Each defect can be switched on alone or combined with others.  The bench writes the chosen set of
device defects to the unit's strap/OTP disk; the device reads it at boot.  A document defect
(``device=False``) changes nothing on the device: its variant profile hands the lab a defective vendor
document instead of the hardened one (``documents``, files under ``refbench/documents/``) and may
leave out profile declarations (``drop_profile_keys``).  Items (JC-STAR ★1, S1.1-xx):

-01 access control, -02 default passwords, -03 password change, -04 brute force,
-05 vulnerability disclosure policy, -06/-08 software updates & integrity, -07 update procedure,
-09 update policy / support period, -10 model number, -11 stored data protection,
-12 transport protection, -13 interfaces, -14 resilience / power loss, -15 data deletion,
-16 information for users (secure use, support period, disposal).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from refbench.errors import BenchError

ITEMS: dict[str, str] = {
    "S1.1-01": "access control",
    "S1.1-02": "default passwords",
    "S1.1-03": "password change",
    "S1.1-04": "brute-force protection",
    "S1.1-05": "vulnerability disclosure policy",
    "S1.1-06": "software updates",
    "S1.1-07": "update procedure",
    "S1.1-08": "update integrity",
    "S1.1-09": "update policy / support period",
    "S1.1-10": "model number",
    "S1.1-11": "stored data protection",
    "S1.1-12": "transport protection",
    "S1.1-13": "interfaces",
    "S1.1-14": "resilience / power loss",
    "S1.1-15": "data deletion",
    "S1.1-16": "user information",
}

# Vendor documents of the reference device; a defect's ``documents`` are relative to this folder.
DOCUMENTS_DIR = Path(__file__).resolve().parent / "documents"
DOCUMENT_KEYS = ("vulnerability_disclosure_policy", "update_policy", "user_manual")


class Defect(BaseModel):
    """One deliberate weakness and the ★1 items it must make fail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    fails: tuple[str, ...]
    documents: dict[str, str] = Field(
        default_factory=dict,
        description="profile document key (documents.<key>) -> file under refbench/documents that replaces the "
                    "hardened one in the variant profile")
    drop_profile_keys: tuple[str, ...] = Field(
        default=(), description="dotted profile keys (table.key) the variant profile leaves out, e.g. "
                                "'documents.support_period_end'")
    device: bool = Field(default=True, description="False: nothing changes on the emulated device")

    @model_validator(mode="after")
    def _documents(self) -> Defect:
        for key, rel in self.documents.items():
            if key not in DOCUMENT_KEYS:
                raise ValueError(f"defect {self.name}: unknown document key {key!r} ({', '.join(DOCUMENT_KEYS)})")
            if rel.startswith("/") or ".." in Path(rel).parts:
                raise ValueError(f"defect {self.name}: {rel!r} must be a path inside refbench/documents")
        for dotted in self.drop_profile_keys:
            if dotted.count(".") != 1 or not all(dotted.split(".")):
                raise ValueError(f"defect {self.name}: drop_profile_keys entry {dotted!r} must be 'table.key'")
        return self


DEFECTS: dict[str, Defect] = {d.name: d for d in (
    Defect(name="default_password", description="admin/admin on every unit (label says 'admin')",
           fails=("S1.1-02",)),
    Defect(name="shared_password", description="the same admin password 'Rb100-Fleet-2024!' on every unit",
           fails=("S1.1-02",)),
    Defect(name="derived_password",
           description="admin password = 'rb' + last 6 hex digits of the MAC + last 4 characters of the serial",
           fails=("S1.1-02",)),
    Defect(name="no_password_change", description="no way to change the admin password (web, REST, CLI: 501)",
           fails=("S1.1-03",)),
    Defect(name="no_bruteforce_protection", description="no lockout and no delay on failed logins",
           fails=("S1.1-04",)),
    Defect(name="unauthenticated_admin",
           description="GET/PUT /api/v1/settings work without authentication", fails=("S1.1-01",)),
    Defect(name="telnet_enabled", description="busybox telnetd with a login on TCP 23 (cleartext)",
           fails=("S1.1-12", "S1.1-13")),
    Defect(name="undeclared_service",
           description="unauthenticated 'debug console' on TCP 9999 and UDP 9999, not declared",
           fails=("S1.1-01", "S1.1-13")),
    Defect(name="uart_root_shell", description="root shell on the UART without login",
           fails=("S1.1-01", "S1.1-13")),
    Defect(name="http_cleartext_admin", description="the full web admin and REST API also on plain HTTP port 80",
           fails=("S1.1-12", "S1.1-13")),  # port 80 is also an undeclared open port
    Defect(name="weak_tls",
           description="HTTPS with TLS 1.0-1.2, only AES-CBC-SHA1 static-RSA suites (no forward secrecy), "
                       "RSA-1024 key", fails=("S1.1-12",)),
    Defect(name="cleartext_telemetry", description="telemetry JSON sent without TLS to the lab port",
           fails=("S1.1-12",)),
    Defect(name="unsigned_update_accepted",
           description="update signature and digest are not checked (unsigned, tampered, wrong-key accepted)",
           fails=("S1.1-06", "S1.1-08")),
    # An older image signed by the vendor passes every integrity check: rollback is a weakness of the
    # update mechanism (-06), not of the integrity check before applying (-08).
    Defect(name="rollback_accepted", description="a validly signed older version is installed",
           fails=("S1.1-06",)),
    Defect(name="settings_lost_on_power_loss", description="settings kept in RAM only: lost at power loss",
           fails=("S1.1-14",)),
    Defect(name="reset_leaves_data",
           description="factory reset only unlinks files: user data stays readable in the raw flash image",
           fails=("S1.1-15",)),
    Defect(name="plaintext_secrets",
           description="admin password, Wi-Fi passphrase and private keys stored in cleartext on flash",
           fails=("S1.1-11",)),
    Defect(name="outdated_web_server",
           description="the web server announces itself as Allegro RomPager 4.07, a version with a known remote "
                       "exploit (CVE-2014-9222, 'Misfortune Cookie')", fails=("S1.1-13",)),
    Defect(name="boot_log_secrets",
           description="the boot script prints the unit's admin password on the serial console",
           fails=("S1.1-13",)),
    Defect(name="no_model_number", description="no model number on the label, web page, API or CLI",
           fails=("S1.1-10",)),
    # Document defects: the device is the hardened one; the vendor's documents are not.
    Defect(name="vdp_without_timelines",
           description="the vulnerability disclosure policy gives a contact but no timelines",
           documents={"vulnerability_disclosure_policy": "defective/vulnerability-disclosure-policy-no-timelines.md"},
           fails=("S1.1-05",), device=False),
    Defect(name="no_support_period",
           description="neither the update policy nor the user manual states a support period, and the profile "
                       "declares none",
           documents={"update_policy": "defective/update-policy-no-support-period.md",
                      "user_manual": "defective/user-manual-no-support-period.md"},
           drop_profile_keys=("documents.support_period_end",), fails=("S1.1-09", "S1.1-16"), device=False),
)}


def parse_defects(spec: str | Iterable[str] | None) -> frozenset[str]:
    """Parse 'a,b' or an iterable of names; raises BenchError naming unknown defects."""
    if spec is None:
        return frozenset()
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [str(s).strip() for s in spec]
    names = [n for n in names if n]
    unknown = sorted(set(names) - set(DEFECTS))
    if unknown:
        raise BenchError(f"unknown defect(s) {', '.join(unknown)}; known: {', '.join(sorted(DEFECTS))}")
    return frozenset(names)


def device_defects(names: Iterable[str]) -> frozenset[str]:
    """The defects among ``names`` that change the emulated device (what the bench writes to the unit)."""
    return frozenset(n for n in parse_defects(list(names)) if DEFECTS[n].device)


def expected_failures(defects: Iterable[str]) -> frozenset[str]:
    """★1 items that must fail for this combination (empty for the hardened device)."""
    return frozenset(item for d in parse_defects(list(defects)) for item in DEFECTS[d].fails)
