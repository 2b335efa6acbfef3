"""Firmware update images for the reference device: valid and deliberately broken ones.

Kinds: ``valid`` (newer, signed by the vendor key), ``tampered`` (valid image with one payload
byte flipped), ``truncated`` (valid image cut short), ``wrong_key`` (newer, signed by another
Ed25519 key), ``older`` (validly signed, version below the factory version), ``unsigned`` (newer,
no signature).  :func:`check_update` is the host-side statement of the device's acceptance rule.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from refbench.config import MODEL_NUMBER
from refbench.guest import fwformat
from refbench.vendorkeys import ensure_vendor_keys, load_signing_key

UpdateKind = Literal["valid", "tampered", "truncated", "wrong_key", "older", "unsigned"]
UPDATE_KINDS: tuple[str, ...] = get_args(UpdateKind)
OLDER_VERSION = "0.9.0"
PAYLOAD_LEN = 64 * 1024


def payload_for(version: str) -> bytes:
    """Deterministic stand-in for a root file system."""
    out = bytearray()
    block = f"RB-100 firmware {version}".encode()
    while len(out) < PAYLOAD_LEN:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:PAYLOAD_LEN])


def make_image(version: str, key: ed25519.Ed25519PrivateKey | None, model: str = MODEL_NUMBER) -> bytes:
    """A complete image; ``key=None`` gives an unsigned one."""
    payload = payload_for(version)
    manifest: dict[str, object] = {"model": model, "version": version, "payload_len": len(payload),
                                   "payload_sha256": hashlib.sha256(payload).hexdigest()}
    body = fwformat.pack(manifest, payload)
    return body + key.sign(body) if key is not None else body


def valid_version(seq: int) -> str:
    """Version of the seq-th valid update of a bench (1.1.0, 1.2.0, ...: always newer than the last)."""
    return f"1.{seq}.0"


def build_image(kind: UpdateKind, keydir: Path, *, seq: int = 1) -> bytes:
    """Bytes of an update image of the given kind."""
    if kind not in UPDATE_KINDS:
        raise ValueError(f"unknown update kind {kind!r}; known: {', '.join(UPDATE_KINDS)}")
    ensure_vendor_keys(keydir)
    vendor = load_signing_key(keydir / "fw-signing.pem")
    version = valid_version(seq)
    if kind == "valid":
        return make_image(version, vendor)
    if kind == "older":
        return make_image(OLDER_VERSION, vendor)
    if kind == "unsigned":
        return make_image(version, None)
    if kind == "wrong_key":
        return make_image(version, load_signing_key(keydir / "wrong-signing.pem"))
    img = bytearray(make_image(version, vendor))
    if kind == "tampered":
        pos = fwformat.HEADER_LEN + int.from_bytes(img[8:12], "big") + PAYLOAD_LEN // 2
        img[pos] ^= 0x01  # one bit in the middle of the payload
        return bytes(img)
    return bytes(img[: len(img) // 2])  # truncated


def write_image(kind: UpdateKind, dest: Path, keydir: Path, *, seq: int = 1) -> Path:
    """Write an image of ``kind`` to ``dest`` and return the path."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(build_image(kind, keydir, seq=seq))
    return dest


def check_update(data: bytes, public_key_pem: bytes, installed: str, *, model: str = MODEL_NUMBER,
                 verify_signature: bool = True, allow_rollback: bool = False) -> tuple[bool, str]:
    """The device's acceptance rule, on the host: (accepted, reason)."""
    try:
        img = fwformat.parse(data)
    except fwformat.FormatError as exc:
        return False, str(exc)
    if verify_signature:
        if img.signature is None:
            return False, "image is not signed"
        pub = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(pub, ed25519.Ed25519PublicKey):
            return False, "vendor key is not Ed25519"
        try:
            pub.verify(img.signature, img.signed_part)
        except InvalidSignature:
            return False, "signature verification failed"
        if not img.payload_digest_ok():
            return False, "payload digest mismatch"
    if img.model != model:
        return False, f"image is for model {img.model!r}"
    if not allow_rollback and fwformat.version_tuple(img.version) <= fwformat.version_tuple(installed):
        return False, f"version {img.version} is not newer than installed {installed}"
    return True, f"accepted {img.version}"
