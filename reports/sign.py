"""Make a lab key pair, or sign a run folder in one role.

    python -m reports.sign keygen keys/rev01 [--passphrase-env VAR]
    python -m reports.sign RUN_FOLDER --role performed|reviewed|authorised --signer ID --key keys/ID.key \
        [--passphrase-env VAR]

The signer must be an evaluator of the run's lab config with a role allowed to sign in that role
(performed: technician or evaluator; reviewed: reviewer or quality manager, not the one who performed
it; authorised: approver or quality manager), the roles are signed in that order, and the folder must
be intact. Exit 0 when signed, 4 when refused (with one line saying why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fixtures.labconfig import LabConfig
from fixtures.tomlfile import InputFileError
from reports.aggregate import EXIT_USAGE
from reports.folder import FolderError, open_closed_run
from reports.model import EvaluationRecord
from reports.register import ReportRegister, register_path
from reports.signing import ROLES, Signer, SigningError, generate_keypair, load_private, sign


def sign_run(root: Path, role: str, signer_id: str, key_path: Path, passphrase_env: str | None) -> Path:
    rec, lab = open_closed_run(root, "signed")
    who = lab.evaluator(signer_id)
    if who is None:
        raise SigningError(f"--signer {signer_id}: not an evaluator of the run's lab config")
    key = load_private(key_path, passphrase_env)
    path = sign(root, role, Signer(id=who.id, name=who.name, role=who.role), key,  # type: ignore[arg-type]
                rec.report_id)
    _register_status(rec, lab, role, signer_id)
    return path


# The register status a sign-off moves the report to (performing it leaves it a draft).
STATUS_AFTER = {"reviewed": "reviewed", "authorised": "authorised"}


def _register_status(rec: EvaluationRecord, lab: LabConfig, role: str, who: str) -> None:
    """Record the new status in the lab's report register, found as the run's lab config names it."""
    if role not in STATUS_AFTER:
        return
    db = register_path(rec.lab_config.path, lab.report.register_db)
    if not db.is_file():
        print(f"note: report register {db} not found; record the status '{STATUS_AFTER[role]}' there by hand",
              file=sys.stderr)
        return
    try:
        ReportRegister(db).set_status(rec.report_id, STATUS_AFTER[role], who)
    except ValueError as exc:
        raise SigningError(f"signed, but the register refused the status: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args[:1] == ["keygen"]:
            ap = argparse.ArgumentParser(prog="python -m reports.sign keygen")
            ap.add_argument("stem", type=Path, help="writes STEM.key (private) and STEM.pub")
            ap.add_argument("--passphrase-env", metavar="VAR", help="encrypt the private key with $VAR")
            a = ap.parse_args(args[1:])
            private, public = generate_keypair(a.stem, a.passphrase_env)
            print(f"private key: {private} (keep it to yourself)\npublic key:  {public} (give it to whoever verifies)")
            return 0
        ap = argparse.ArgumentParser(prog="python -m reports.sign", description=__doc__.split("\n\n")[0])
        ap.add_argument("run", type=Path)
        ap.add_argument("--role", required=True, choices=ROLES)
        ap.add_argument("--signer", required=True, metavar="ID")
        ap.add_argument("--key", required=True, type=Path)
        ap.add_argument("--passphrase-env", metavar="VAR")
        a = ap.parse_args(args)
        path = sign_run(a.run, a.role, a.signer, a.key, a.passphrase_env)
        print(f"signed ({a.role}): {path}")
        return 0
    except (SigningError, FolderError, InputFileError, OSError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
