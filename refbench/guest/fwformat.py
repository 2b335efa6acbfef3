"""Firmware update container format, shared by the host (image builder) and the guest (verifier).

Layout (all integers big-endian)::

    b"RBFW0001"                    8-byte magic
    u32 manifest_len               length of the manifest JSON
    manifest JSON (UTF-8)          {"model": ..., "version": "1.2.3", "payload_len": N, "payload_sha256": hex}
    payload                        N bytes (opaque to the device; stands in for a rootfs)
    signature                      64-byte Ed25519 signature over everything before it

An "unsigned" image simply lacks the trailing 64 bytes.  Signature checking itself needs a crypto
library: the guest calls ``openssl pkeyutl``, the host uses ``cryptography``; this module only parses.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass

MAGIC = b"RBFW0001"
SIG_LEN = 64
HEADER_LEN = len(MAGIC) + 4


class FormatError(ValueError):
    """The bytes are not a well-formed update image (bad magic, truncated, bad manifest)."""


@dataclass(frozen=True)
class ParsedImage:
    """An update image split into its parts; ``signature`` is None for an unsigned image."""

    manifest: dict[str, object]
    signed_part: bytes
    payload: bytes
    signature: bytes | None

    @property
    def version(self) -> str:
        """Version string declared in the manifest."""
        return str(self.manifest.get("version", ""))

    @property
    def model(self) -> str:
        """Model number the image is built for."""
        return str(self.manifest.get("model", ""))

    def payload_digest_ok(self) -> bool:
        """True if the payload matches the SHA-256 the manifest declares."""
        return hashlib.sha256(self.payload).hexdigest() == self.manifest.get("payload_sha256")


def version_tuple(version: str) -> tuple[int, ...]:
    """Turn "1.2.3" into (1, 2, 3); raises FormatError for anything else."""
    try:
        parts = tuple(int(p) for p in version.split("."))
    except ValueError as exc:
        raise FormatError(f"bad version string {version!r}") from exc
    if not parts or any(p < 0 for p in parts):
        raise FormatError(f"bad version string {version!r}")
    return parts


def pack(manifest: dict[str, object], payload: bytes) -> bytes:
    """Serialise magic + manifest + payload (the part that gets signed)."""
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + struct.pack(">I", len(body)) + body + payload


def parse(data: bytes) -> ParsedImage:
    """Split an image; a missing signature is reported as ``signature=None``, not as an error."""
    if len(data) < HEADER_LEN or not data.startswith(MAGIC):
        raise FormatError("not a firmware image (bad magic)")
    (mlen,) = struct.unpack(">I", data[len(MAGIC) : HEADER_LEN])
    if mlen > 65536 or HEADER_LEN + mlen > len(data):
        raise FormatError("truncated image (manifest)")
    try:
        manifest = json.loads(data[HEADER_LEN : HEADER_LEN + mlen])
    except (ValueError, RecursionError) as exc:
        raise FormatError("corrupt manifest") from exc
    if not isinstance(manifest, dict):
        raise FormatError("corrupt manifest")
    plen = manifest.get("payload_len")
    if not isinstance(plen, int) or plen < 0:
        raise FormatError("corrupt manifest (payload_len)")
    version_tuple(str(manifest.get("version", "")))
    end = HEADER_LEN + mlen + plen
    if len(data) == end:
        return ParsedImage(manifest, data[:end], data[HEADER_LEN + mlen : end], None)
    if len(data) == end + SIG_LEN:
        return ParsedImage(manifest, data[:end], data[HEADER_LEN + mlen : end], data[end:])
    raise FormatError("truncated image" if len(data) < end else "trailing garbage after image")
