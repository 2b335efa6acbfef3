"""Sign-offs of a run folder: who performed, reviewed and authorised it, each an Ed25519 signature.

Each sign-off is a DSSE envelope (``signatures/<role>.dsse.json``) around an in-toto Statement v1
whose subjects are ``evaluation.json`` and ``manifest.json`` by SHA-256 (the manifest covers every
other file of the folder), and whose predicate says who signed, when, in which role and what the
signature means. The issue (``issued``, by an approver, after the three sign-offs) also covers every
file of ``rendered/``: the HTML and PDF reports and the checklist, as issued, with the issue date.
The signature is over DSSE's pre-authentication encoding, so the payload type is
signed too. Keys are Ed25519 (``cryptography``), kept as PEM; a private key may be encrypted with a
passphrase given in an environment variable.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reports.manifest import MANIFEST_NAME, RENDERED_DIR, SIGNATURES_DIR, sha256_file

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://jcstar-harness.invalid/sign-off/v1"
SUBJECTS = ("evaluation.json", MANIFEST_NAME)
Role = Literal["performed", "reviewed", "authorised", "issued"]
ROLES: tuple[Role, ...] = ("performed", "reviewed", "authorised")
ISSUED: Role = "issued"
MEANING = {
    "performed": "I performed this evaluation as recorded; the results are those the procedures produced.",
    "reviewed": "I reviewed the results, the evidence and the record of this evaluation and found them complete "
                "and consistent (ISO/IEC 17025 7.8.1).",
    "authorised": "I authorise the release of this report (ISO/IEC 17025 7.8.2.1 o).",
    "issued": "I issue this report on this date; the rendered files listed are its issued form (ISO/IEC 17025 "
              "7.8.2.1 j).",
}
# Who may sign in which role (lab config evaluator roles).
ALLOWED = {
    "performed": ("technician", "evaluator"),
    "reviewed": ("reviewer", "quality_manager"),
    "authorised": ("approver", "quality_manager"),
    "issued": ("approver", "quality_manager"),
}


class SigningError(Exception):
    """A sign-off cannot be made (wrong role, order, key…)."""


class Signer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    role: str


class SignOff(BaseModel):
    """The predicate: what this signature says."""

    model_config = ConfigDict(extra="forbid")

    report_id: str
    role: Role
    signer: Signer
    signed_at: datetime
    meaning: str
    key_id: str = Field(description="SHA-256 of the raw Ed25519 public key, hex")


class Subject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    digest: dict[str, str]


class Statement(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type_: str = Field(alias="_type")
    subject: list[Subject]
    predicateType: str
    predicate: SignOff


class DsseSignature(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyid: str
    sig: str


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payloadType: str
    payload: str
    signatures: list[DsseSignature] = Field(min_length=1, max_length=1)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# -- keys -------------------------------------------------------------------------------------------


def generate_keypair(stem: Path, passphrase_env: str | None = None) -> tuple[Path, Path]:
    """Write ``stem.key`` (private, PKCS#8 PEM, mode 0600, encrypted when a passphrase is given in
    ``passphrase_env``) and ``stem.pub`` (public, PEM). Refuses to overwrite."""
    private, public = stem.with_suffix(".key"), stem.with_suffix(".pub")
    for p in (private, public):
        if p.exists():
            raise SigningError(f"{p} exists: a lab key is never overwritten")
    key = Ed25519PrivateKey.generate()
    secret = _passphrase(passphrase_env)
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    stem.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def _passphrase(env: str | None) -> bytes | None:
    if env is None:
        return None
    value = os.environ.get(env)
    if not value:
        raise SigningError(f"the passphrase variable {env} is not set")
    return value.encode()


def load_private(path: Path, passphrase_env: str | None = None) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), _passphrase(passphrase_env))
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not a usable private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SigningError(f"{path}: not a usable public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path}: not an Ed25519 public key")
    return key


# -- signing ----------------------------------------------------------------------------------------


def signature_path(root: Path, role: str) -> Path:
    return root / SIGNATURES_DIR / f"{role}.dsse.json"


def rendered_subjects(root: Path) -> list[str]:
    """The rendered files an issue sign-off covers: every file in rendered/, by its path in the folder."""
    folder = root / RENDERED_DIR
    return sorted(p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def sign(root: Path, role: Role, signer: Signer, key: Ed25519PrivateKey, report_id: str,
         now: datetime | None = None) -> Path:
    """Sign the folder's record and manifest in ``role`` (the issue: also every rendered file). The
    roles go in order, each once, and the reviewer is not the one who performed it."""
    if signer.role not in ALLOWED[role]:
        raise SigningError(f"{signer.id} is a {signer.role}; '{role}' is signed by: {', '.join(ALLOWED[role])}")
    earlier = ROLES if role == ISSUED else ROLES[: ROLES.index(role)]
    missing = [r for r in earlier if not signature_path(root, r).exists()]
    if missing:
        raise SigningError(f"sign '{missing[0]}' before '{role}'")
    if signature_path(root, role).exists():
        raise SigningError(f"{signature_path(root, role)} exists: a sign-off is made once")
    if role == "reviewed":
        performer = read_envelope(signature_path(root, "performed"))[1].predicate.signer.id
        if performer == signer.id:
            raise SigningError(f"{signer.id} performed this evaluation and cannot also review it")
    statement = Statement(
        type_=STATEMENT_TYPE,
        subject=[Subject(name=n, digest={"sha256": sha256_file(root / n)}) for n in subjects_of(root, role)],
        predicateType=PREDICATE_TYPE,
        predicate=SignOff(report_id=report_id, role=role, signer=signer, signed_at=now or datetime.now(UTC),
                          meaning=MEANING[role], key_id=key_id(key.public_key())),
    )
    payload = statement.model_dump_json(by_alias=True).encode()
    sig = key.sign(pae(PAYLOAD_TYPE, payload))
    envelope = Envelope(payloadType=PAYLOAD_TYPE, payload=base64.b64encode(payload).decode(),
                        signatures=[DsseSignature(keyid=statement.predicate.key_id,
                                                  sig=base64.b64encode(sig).decode())])
    path = signature_path(root, role)
    path.parent.mkdir(exist_ok=True)
    path.write_text(envelope.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def subjects_of(root: Path, role: Role) -> list[str]:
    return [*SUBJECTS, *rendered_subjects(root)] if role == ISSUED else list(SUBJECTS)


def read_envelope(path: Path) -> tuple[Envelope, Statement]:
    try:
        env = Envelope.model_validate_json(path.read_bytes())
        statement = Statement.model_validate_json(base64.b64decode(env.payload, validate=True))
    except (OSError, ValueError, ValidationError) as exc:
        raise SigningError(f"{path.name}: not a readable sign-off ({type(exc).__name__})") from None
    return env, statement


def check_signature(root: Path, role: Role, trusted: dict[str, Ed25519PublicKey]) -> tuple[list[str], str]:
    """Problems with one sign-off (none: valid), and a line saying who signed what and when."""
    path = signature_path(root, role)
    try:
        env, st = read_envelope(path)
    except SigningError as exc:
        return [str(exc)], ""
    p = st.predicate
    who = f"{role}: {p.signer.name} ({p.signer.id}, {p.signer.role}) at {p.signed_at.isoformat()}"
    problems: list[str] = []
    if env.payloadType != PAYLOAD_TYPE or st.predicateType != PREDICATE_TYPE or p.role != role:
        problems.append(f"{path.name}: not a {role} sign-off of this harness")
    problems += envelope_problems(path.name, env, p.key_id, trusted)
    expected = subjects_of(root, role)
    for s in st.subject:
        if not _covered_as_signed(root, s, role):
            problems.append(f"{path.name}: {s.name[:200]} has changed since it was signed")
    names = {s.name for s in st.subject}
    if not set(SUBJECTS) <= names:
        problems.append(f"{path.name}: does not cover {' and '.join(SUBJECTS)}")
    problems += [f"{path.name}: {n} was added after the report was issued" for n in expected if n not in names]
    return problems, who


def envelope_problems(name: str, env: Envelope, claimed_key_id: str,
                      trusted: dict[str, Ed25519PublicKey]) -> list[str]:
    """Whether the envelope's signature is by a trusted key, the key its statement names, and verifies
    over the DSSE encoding of its payload (none: it does)."""
    sig = env.signatures[0]
    public = trusted.get(sig.keyid)
    if public is None:
        return [f"{name}: signed with key {sig.keyid[:16]}…, which is not among the trusted keys"]
    if key_id(public) != claimed_key_id:
        return [f"{name}: the statement names another key than the one that signed it"]
    try:
        public.verify(base64.b64decode(sig.sig), pae(env.payloadType, base64.b64decode(env.payload)))
    except (InvalidSignature, ValueError):
        return [f"{name}: the signature does not verify"]
    return []


def _covered_as_signed(root: Path, subject: Subject, role: Role) -> bool:
    if not _coverable(subject.name, role):
        return False
    try:
        f = root / subject.name
        return f.is_file() and sha256_file(f) == subject.digest.get("sha256")
    except OSError:  # why: a received statement may name a path the OS refuses (too long, unreadable)
        return False


def _coverable(name: str, role: Role) -> bool:
    if name in SUBJECTS:
        return True
    parts = name.split("/")
    # Only the issue covers rendered files, and only plain paths inside rendered/.
    return role == ISSUED and len(parts) >= 2 and parts[0] == RENDERED_DIR and ".." not in parts and "" not in parts
