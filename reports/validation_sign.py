"""The quality manager's approval of a method validation record, as a signature anyone can check.

    python -m reports.validation_sign sign VALIDATION_DIR --signer ID --key keys/ID.key \
        [--lab-config lab_config.toml] [--passphrase-env VAR]
    python -m reports.validation_sign verify VALIDATION_DIR --keys pub/

The approval is a DSSE envelope (``signatures/approved.dsse.json``) around an in-toto Statement whose
subjects are ``validation.json`` and every file of ``rendered/`` by SHA-256 (the record in turn holds the
SHA-256 of each variant run's record and manifest), and whose predicate says who approved which
validation of which harness commit, when, and what that means (ISO/IEC 17025 7.2.2.4: the lab
authorises the validated method for use). Only a complete, valid validation is approved, by a quality
manager or an approver of the lab config. Keys are the lab's Ed25519 keys (``python -m reports.sign
keygen``).

Exit 0 when signed or verified, 1 when verification finds a problem, 4 when refused.
"""

from __future__ import annotations

import argparse
import base64
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fixtures.labconfig import load_lab_config
from fixtures.tomlfile import InputFileError
from reports.aggregate import EXIT_USAGE
from reports.manifest import RENDERED_DIR, SIGNATURES_DIR, sha256_file
from reports.signing import (
    PAYLOAD_TYPE,
    STATEMENT_TYPE,
    DsseSignature,
    Envelope,
    Signer,
    SigningError,
    Subject,
    envelope_problems,
    key_id,
    load_private,
    pae,
)
from reports.validation import VALIDATION_NAME, ValidationRecord
from reports.verify import trusted_keys

PREDICATE_TYPE = "https://jcstar-harness.invalid/validation-approval/v1"
APPROVAL_NAME = "approved.dsse.json"
APPROVERS = ("quality_manager", "approver")
MEANING = ("I approve this validation: the procedures of this harness commit detect every defect of the reference "
           "bench with the items that defect breaks and pass the hardened device, with no false PASS, and are "
           "authorised for use (ISO/IEC 17025 7.2.2.4).")


class Approval(BaseModel):
    """The predicate: what the approval says."""

    model_config = ConfigDict(extra="forbid")

    validation_id: str
    harness_commit: str | None
    conclusion: Literal["valid"]
    signer: Signer
    signed_at: datetime
    meaning: str
    key_id: str = Field(description="SHA-256 of the raw Ed25519 public key, hex")


class ApprovalStatement(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type_: str = Field(alias="_type")
    subject: list[Subject]
    predicateType: str
    predicate: Approval


def approval_path(folder: Path) -> Path:
    return folder / SIGNATURES_DIR / APPROVAL_NAME


def subjects(folder: Path) -> list[str]:
    """validation.json and every rendered file, by path in the folder."""
    rendered = folder / RENDERED_DIR
    files = sorted(p.relative_to(folder).as_posix() for p in rendered.rglob("*") if p.is_file()) \
        if rendered.is_dir() else []
    return [VALIDATION_NAME, *files]


def read_validation(folder: Path) -> ValidationRecord:
    path = folder / VALIDATION_NAME
    try:
        return ValidationRecord.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise SigningError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValidationError as exc:
        raise SigningError(f"{path}: not a validation record of this harness ({exc.error_count()} problems, "
                           f"first at {'.'.join(map(str, exc.errors()[0]['loc'])) or 'top level'})") from None


def approve(folder: Path, signer: Signer, key: Ed25519PrivateKey, now: datetime | None = None) -> Path:
    """Sign the approval; refused unless the validation is complete and valid and the signer may approve."""
    if signer.role not in APPROVERS:
        raise SigningError(f"{signer.id} is a {signer.role}; a validation is approved by: {', '.join(APPROVERS)}")
    record = read_validation(folder)
    if record.conclusion != "valid" or not record.full or record.finished is None:
        why = record.conclusion if record.conclusion != "valid" else (
            "not finished" if record.finished is None else "not the full matrix (some items only)")
        raise SigningError(f"{folder / VALIDATION_NAME}: the validation is {why}; only a finished, full and valid "
                           "validation is approved")
    path = approval_path(folder)
    if path.exists():
        raise SigningError(f"{path} exists: an approval is made once (validate again for a new one)")
    statement = ApprovalStatement(
        type_=STATEMENT_TYPE,
        subject=[Subject(name=n, digest={"sha256": sha256_file(folder / n)}) for n in subjects(folder)],
        predicateType=PREDICATE_TYPE,
        predicate=Approval(validation_id=record.validation_id, harness_commit=record.environment.git_commit,
                           conclusion="valid", signer=signer, signed_at=now or datetime.now(UTC), meaning=MEANING,
                           key_id=key_id(key.public_key())),
    )
    payload = statement.model_dump_json(by_alias=True).encode()
    envelope = Envelope(payloadType=PAYLOAD_TYPE, payload=base64.b64encode(payload).decode(),
                        signatures=[DsseSignature(keyid=statement.predicate.key_id,
                                                  sig=base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode())])
    path.parent.mkdir(exist_ok=True)
    path.write_text(envelope.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def check_approval(folder: Path, trusted: dict[str, Ed25519PublicKey]) -> tuple[list[str], str]:
    """Problems with the approval (none: valid), and a line saying who approved what and when."""
    path = approval_path(folder)
    try:
        env = Envelope.model_validate_json(path.read_bytes())
        st = ApprovalStatement.model_validate_json(base64.b64decode(env.payload, validate=True))
    except FileNotFoundError:
        return [f"{path}: no approval (sign it with: python -m reports.validation_sign sign {folder} ...)"], ""
    except (OSError, ValueError, ValidationError) as exc:
        return [f"{path.name}: not a readable approval ({type(exc).__name__})"], ""
    p = st.predicate
    who = (f"approved: {p.signer.name} ({p.signer.id}, {p.signer.role}) at {p.signed_at.isoformat()}, "
           f"validation {p.validation_id} of harness commit {p.harness_commit or 'unknown'}")
    problems: list[str] = []
    if env.payloadType != PAYLOAD_TYPE or st.predicateType != PREDICATE_TYPE:
        problems.append(f"{path.name}: not a validation approval of this harness")
    problems += envelope_problems(path.name, env, p.key_id, trusted)
    expected = subjects(folder)
    signed = {s.name: s.digest.get("sha256") for s in st.subject}
    for name in expected:
        if name not in signed:
            problems.append(f"{name}: added after the approval")
        elif sha256_file(folder / name) != signed[name]:
            problems.append(f"{name}: changed since it was approved")
    problems += [f"{name[:200]}: approved but missing" for name in signed if name not in expected]
    try:
        record = read_validation(folder)
    except SigningError as exc:
        problems.append(str(exc))
    else:
        if record.validation_id != p.validation_id:
            problems.append(f"{path.name}: approves validation {p.validation_id}, the record is {record.validation_id}")
    return problems, who


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.validation_sign", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sign", help="approve a validation record (quality manager or approver)")
    s.add_argument("folder", type=Path)
    s.add_argument("--signer", required=True, metavar="ID")
    s.add_argument("--key", required=True, type=Path)
    s.add_argument("--lab-config", type=Path, default=Path("lab_config.toml"))
    s.add_argument("--passphrase-env", metavar="VAR")
    v = sub.add_parser("verify", help="check the approval against trusted public keys")
    v.add_argument("folder", type=Path)
    v.add_argument("--keys", required=True, type=Path, action="append", help="a .pub file or a folder of them")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "sign":
            lab = load_lab_config(a.lab_config)
            person = lab.evaluator(a.signer)
            if person is None:
                raise SigningError(f"--signer {a.signer}: not an evaluator of {a.lab_config}")
            path = approve(a.folder, Signer(id=person.id, name=person.name, role=person.role),
                           load_private(a.key, a.passphrase_env))
            print(f"approved: {path}")
            return 0
        problems, who = check_approval(a.folder, trusted_keys(a.keys))
    except (SigningError, InputFileError, OSError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for p in problems:
        print(f"PROBLEM: {p}")
    print(f"{'VERIFIED' if not problems else 'NOT VERIFIED'}: {who or a.folder}")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
