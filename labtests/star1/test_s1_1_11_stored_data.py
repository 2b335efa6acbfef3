"""S1.1-11: protected data is stored securely (ETSI EN 303 645 5.4-1).

The procedure plants fresh canary values through the declared actions: a new admin password
([actions.change_password]) and a Wi-Fi passphrase ([actions.create_user_data]), then reads the raw
storage ([actions.dump_storage]: a flash programmer, the vendor's export, the bench's image) and
searches it (fixtures/storage_scan.py). A planted secret readable in any encoding, an unsalted digest
of the password, or an unencrypted private key fails. A note planted beside them is the control: it is
not protected data, and if it cannot be found either, the dump cannot be shown to cover the user data,
so the unit stays INCONCLUSIVE rather than passing on a dump of the wrong chip.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from fixtures.actions import ActionRunner
from fixtures.credentials import CredentialStore
from fixtures.profile import DeviceProfile
from fixtures.review import Reviewer
from fixtures.verdict import MissingIxit, TestUnit
from labtests.star1.reviews import run_review
from labtests.star1.storage import NOTE, Planted, dump_and_scan, plant_password, plant_user_data
from reports.model import Reason


@pytest.mark.jcstar("S1.1-11", timeout=600)
def test_protected_data_not_stored_in_cleartext(
    unit: TestUnit, profile: DeviceProfile, actions: ActionRunner, credentials: CredentialStore
) -> None:
    planted = Planted()
    plant_password(actions, profile, credentials, planted)
    plant_user_data(actions, planted)
    unit.save_text("planted.txt", "\n".join([f"planted: {', '.join(planted.names()) or 'nothing'}",
                                             *planted.answers]), "which canaries were stored, and the answers")
    secrets_planted = [n for n in planted.names() if n != NOTE]
    if not secrets_planted:
        raise MissingIxit("no protected value could be planted: declare [actions.change_password] or "
                          "[actions.create_user_data] (with a {secret}) in the profile")
    with tempfile.TemporaryDirectory(prefix="jcstar-dump-") as work:
        scan = dump_and_scan(unit, actions, Path(work), "storage", planted)
    failures = scan.failures()
    readable = [f for f in failures if f.what != NOTE]
    if readable:
        unit.failed("protected data readable from the storage: " + "; ".join(
            f"{f.what} ({f.encoding or f.kind}, {f.count}x, first at byte {f.offset})" for f in readable))
        return
    schemes = ", ".join(f"{f.what} ({f.count}x)" for f in scan.findings if f.kind == "hash_scheme") or "none seen"
    if NOTE in planted.names() and NOTE not in scan.canaries_found():
        unit.inconclusive(Reason.EVALUATOR_INPUT_PENDING,
                          f"no planted secret is readable, but neither is the unprotected control note, so the dump "
                          f"({scan.size} bytes) cannot be shown to cover the user data; confirm the dump method or "
                          f"that the device encrypts all user data (password-hash schemes seen: {schemes})")
        return
    if NOTE not in planted.names():
        unit.inconclusive(Reason.MISSING_IXIT,
                          f"no planted secret is readable, but without [actions.create_user_data] no control value "
                          f"shows that the dump covers the stored data (password-hash schemes seen: {schemes})")
        return
    unit.passed(f"none of {', '.join(secrets_planted)} is readable in the {scan.size}-byte storage dump (raw, URL, "
                f"base64, UTF-16, unsalted digests), nor any unencrypted private key, while the control note is; "
                f"password-hash schemes seen: {schemes}")


@pytest.mark.jcstar("S1.1-11", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
