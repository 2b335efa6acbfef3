"""Switchable defects of the reference device, and which ★1 items each must make fail.

Each defect can be switched on alone or combined with others.  The bench writes the chosen set to
the unit's strap/OTP disk; the device reads it at boot.  Items (JC-STAR ★1, S1.1-xx):

-01 access control, -02 default passwords, -03 password change, -04 brute force,
-06/-08 software updates & integrity, -10 model number, -11 stored data protection,
-12 transport protection, -13 interfaces, -14 resilience / power loss, -15 data deletion.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from refbench.errors import BenchError

ITEMS: dict[str, str] = {
    "S1.1-01": "access control",
    "S1.1-02": "default passwords",
    "S1.1-03": "password change",
    "S1.1-04": "brute-force protection",
    "S1.1-06": "software updates",
    "S1.1-08": "update integrity",
    "S1.1-10": "model number",
    "S1.1-11": "stored data protection",
    "S1.1-12": "transport protection",
    "S1.1-13": "interfaces",
    "S1.1-14": "resilience / power loss",
    "S1.1-15": "data deletion",
}


class Defect(BaseModel):
    """One deliberate weakness and the ★1 items it must make fail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    fails: tuple[str, ...]


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


def expected_failures(defects: Iterable[str]) -> frozenset[str]:
    """★1 items that must fail for this combination (empty for the hardened device)."""
    return frozenset(item for d in parse_defects(list(defects)) for item in DEFECTS[d].fails)
