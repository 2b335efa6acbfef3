"""Shared by S1.1-11 and S1.1-15: plant canary values through the declared actions, dump the storage.

Every value is fresh and random, so finding it anywhere can only mean the device stored it. The
password canary stays the device's password afterwards (the credential store is told), so later
procedures still log in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fixtures.actions import ActionRunner
from fixtures.credentials import CredentialStore
from fixtures.device_fixtures import network_mechanisms
from fixtures.net.canary import Canary
from fixtures.profile import DeviceProfile
from fixtures.storage_scan import StorageScan, keep_compressed, scan_storage
from fixtures.verdict import DeviceUnreachable, EvaluatorInputPending, MissingIxit
from reports.model import EvidenceRef

NOTE = "user note (control: not protected)"
PSK = "Wi-Fi passphrase"
PASSWORD = "admin password"
SETTING = "hostname setting"


@dataclass
class Planted:
    """The canaries that were stored, and what the device answered when each was planted."""

    canaries: list[Canary] = field(default_factory=list)
    passwords: list[Canary] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [c.name for c in [*self.passwords, *self.canaries]]

    def value(self, name: str) -> str:
        found = next(c for c in [*self.passwords, *self.canaries] if c.name == name)
        return found.value if isinstance(found.value, str) else found.value.decode()


def plant_password(actions: ActionRunner, profile: DeviceProfile, credentials: CredentialStore,
                   planted: Planted) -> None:
    """Change the admin password to a canary through [actions.change_password], if declared."""
    logins = network_mechanisms(profile)
    if not actions.declared("change_password") or not logins or logins[0].credential is None:
        return
    first = logins[0]
    new = f"Jc{secrets.token_urlsafe(12)}-7q"
    result = actions.run("change_password", current_password=credentials.password(first), new_password=new)
    planted.answers.append(f"change_password: status {result.status}")
    if result.ok:
        assert first.credential is not None
        credentials.update(first.credential, new)
        planted.passwords.append(Canary(name=PASSWORD, value=new))


def plant_user_data(actions: ActionRunner, planted: Planted) -> None:
    """Store a note (the control) and a Wi-Fi passphrase through [actions.create_user_data]."""
    if not actions.declared("create_user_data"):
        return
    note, psk = f"jcnote-{secrets.token_hex(10)}", f"Jc-psk-{secrets.token_urlsafe(12)}"
    result = actions.run("create_user_data", value=note, secret=psk)
    planted.answers.append(f"create_user_data: status {result.status}")
    if result.ok:
        planted.canaries += [Canary(name=NOTE, value=note), Canary(name=PSK, value=psk)]


def plant_setting(actions: ActionRunner, planted: Planted) -> None:
    """Set a setting to a canary through [actions.set_setting] (letters, digits and '-': any host name)."""
    if not actions.declared("set_setting"):
        return
    value = f"jcset-{secrets.token_hex(8)}"
    result = actions.run("set_setting", value=value)
    planted.answers.append(f"set_setting: status {result.status}")
    if result.ok:
        planted.canaries.append(Canary(name=SETTING, value=value))


class EvidenceSink(Protocol):
    """A unit's recorder or evidence shared by several units (fixtures.evidence.SharedEvidence)."""

    @property
    def folder(self) -> Path: ...

    def save_text(self, name: str, text: str, description: str = "") -> EvidenceRef: ...

    def register(self, path: Path, description: str = "") -> EvidenceRef: ...


def dump_and_scan(unit: EvidenceSink, actions: ActionRunner, work: Path, name: str, planted: Planted) -> StorageScan:
    """Dump the storage through [actions.dump_storage], keep it (compressed) as evidence and scan it."""
    if not actions.declared("dump_storage"):
        raise MissingIxit("the profile declares no [actions.dump_storage]: how does the lab read the storage "
                          "(a flash programmer, a vendor debug export, the bench's raw image)?")
    dump = work / f"{name}.bin"
    result = actions.run("dump_storage", file=str(dump))
    if not result.ok:
        raise DeviceUnreachable(f"the storage dump did not succeed (status {result.status}): {result.output[:160]}")
    if not dump.is_file():
        raise EvaluatorInputPending(f"the storage dump is expected at {dump}; put the dump there and run again")
    scan = scan_storage(dump, planted.canaries, planted.passwords)
    kept = keep_compressed(dump, unit.folder / f"{name}.bin.gz")
    if kept is not None:
        unit.register(kept, f"raw storage dump ({name}), gzip; SHA-256 of the dump {scan.sha256}")
    unit.save_text(f"{name}-scan.json", scan.model_dump_json(indent=2), f"what the {name} dump holds")
    dump.unlink()
    if scan.blank:
        raise DeviceUnreachable(f"the storage dump ({name}) is empty or all zeros: check the dump method")
    return scan

