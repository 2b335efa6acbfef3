"""Issue an authorised report, or withdraw one, in the lab's report register.

    python -m reports.issue RUN_FOLDER --by ID --key KEY --keys DIR_OR_PUB [--keys …] [--passphrase-env VAR]
    python -m reports.issue RUN_FOLDER --by ID --withdraw --reason TEXT

A report is issued only when the folder verifies (intact, every file as sealed, and signed
performed, reviewed and authorised with trusted keys). Issuing renders the report once more, now
with its issue date and every signer (HTML and PDF in Japanese and English, and the ★1 checklist,
into rendered/), and the issuer signs those files (``signatures/issued.dsse.json``), so what was
issued can be told from anything printed later. Issuing a report that replaces an earlier one
(``pytest … --replaces ID --reason TEXT``) marks that one ``replaced``. An issued report is never
changed: a correction is a new run that replaces it (ISO/IEC 17025 7.8.8). Exit 0 when done, 1 when
the folder does not verify, 4 when refused.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fixtures.tomlfile import InputFileError
from reports.aggregate import EXIT_USAGE
from reports.folder import FolderError, read_lab_config, read_record, register_of
from reports.manifest import RENDERED_DIR
from reports.model import EvaluationRecord
from reports.render import RenderError, render_folder
from reports.report_html import signoffs_of
from reports.signing import (
    ISSUED,
    MEANING,
    Signer,
    SigningError,
    SignOff,
    key_id,
    load_private,
    sign,
    signature_path,
)
from reports.verify import trusted_keys, verify


def issue_signed(root: Path, rec: EvaluationRecord, signer: Signer, key: Ed25519PrivateKey) -> None:
    """Render with the issue date, then sign the issue over the record, the manifest and the renderings.
    The issue sign-off is built first so that the report shows exactly the date it carries."""
    now = datetime.now(UTC).replace(microsecond=0)
    issue = SignOff(report_id=rec.report_id, role=ISSUED, signer=signer, signed_at=now, meaning=MEANING[ISSUED],
                    key_id=key_id(key.public_key()))
    render_folder(root, [*signoffs_of(root), issue])
    try:
        sign(root, ISSUED, signer, key, rec.report_id, now=now)
    except SigningError:
        shutil.rmtree(root / RENDERED_DIR, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.issue", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--by", required=True, metavar="ID", help="who issues or withdraws it (lab config)")
    ap.add_argument("--keys", action="append", type=Path, default=[], metavar="DIR_OR_PUB")
    ap.add_argument("--key", type=Path, help="the issuer's private key (python -m reports.sign keygen)")
    ap.add_argument("--passphrase-env", metavar="VAR")
    ap.add_argument("--withdraw", action="store_true")
    ap.add_argument("--reason", metavar="TEXT")
    a = ap.parse_args(argv)
    try:
        rec, lab = read_record(a.run), read_lab_config(a.run)
        who = lab.evaluator(a.by)
        if who is None or who.role not in ("approver", "quality_manager"):
            raise SigningError(f"--by {a.by}: reports are issued and withdrawn by an approver or quality manager "
                               "of the run's lab config")
        register = register_of(rec, lab)
        if a.withdraw:
            if not (a.reason and a.reason.strip()):
                raise SigningError("--withdraw needs --reason TEXT")
            register.set_status(rec.report_id, "withdrawn", f"{a.by}: {a.reason.strip()}")
            print(f"{rec.report_id}: withdrawn by {a.by} ({a.reason.strip()})")
            return 0
        if not a.keys or a.key is None:
            raise SigningError("give --key with your private key and --keys with the lab's trusted public keys: "
                               "a report is issued only when it verifies, and the issue is signed")
        key = load_private(a.key, a.passphrase_env)
        if signature_path(a.run, ISSUED).exists():
            raise SigningError(f"{rec.report_id} was issued already ({signature_path(a.run, ISSUED)})")
        # Drafts rendered earlier are replaced below; they are not what is verified before the issue.
        shutil.rmtree(a.run / RENDERED_DIR, ignore_errors=True)
        lines, problems = verify(a.run, trusted_keys(a.keys))
        if problems or any(line.startswith("not signed yet") for line in lines):
            for p in problems:
                print(f"PROBLEM: {p}")
            print(f"{rec.report_id}: not issued: " + ("it does not verify" if problems else "not fully signed"))
            return 1
        issue_signed(a.run, rec, Signer(id=who.id, name=who.name, role=who.role), key)
        try:
            replaced = register.issue(rec.report_id, a.by)
        except ValueError:
            signature_path(a.run, ISSUED).unlink()
            shutil.rmtree(a.run / RENDERED_DIR, ignore_errors=True)
            raise
        print(f"{rec.report_id}: issued by {a.by}" + (f"; it replaces {replaced}, now marked replaced" if replaced
                                                       else ""))
        for path in sorted((a.run / RENDERED_DIR).iterdir()):
            print(f"  {path}")
        return 0
    except (SigningError, FolderError, RenderError, InputFileError, OSError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
