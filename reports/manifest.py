"""The evidence manifest: every file of a run folder with its SHA-256, and how to check it."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from pydantic import Field

from reports.model import Record

MANIFEST_NAME = "manifest.json"
SIGNATURES_DIR = "signatures"
RENDERED_DIR = "rendered"
_CHUNK = 1 << 20


class ManifestEntry(Record):
    sha256: str
    size: int
    unit: str | None = None
    description: str = ""
    recorded: datetime


class Manifest(Record):
    report_id: str
    algorithm: str = "sha256"
    files: dict[str, ManifestEntry] = Field(default_factory=dict)
    incomplete: list[str] = Field(
        default_factory=list, description="Files still being written when this manifest was saved"
    )


def sha256_file(path: Path) -> str:
    """Hash a file in chunks, so large captures do not have to fit in memory."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` so that a crash leaves either the old or the new file, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk must not keep half a copy (and its space)
        raise
    os.replace(tmp, path)


def save_manifest(root: Path, manifest: Manifest) -> None:
    atomic_write_text(root / MANIFEST_NAME, manifest.model_dump_json(indent=2))


def load_manifest(root: Path) -> Manifest:
    """The folder's manifest. Raises OSError or ValueError (a received folder may hold anything)."""
    try:
        manifest = Manifest.model_validate(json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8")))
    except RecursionError:  # why: json.loads of deeply nested brackets
        raise ValueError("nested too deeply") from None
    for rel in [*manifest.files, *manifest.incomplete]:
        if not _inside(rel):
            raise ValueError(f"lists {rel[:80]!r}, which is not a file path inside the run folder")
    return manifest


def _inside(rel: str) -> bool:
    """A plain relative path the harness could have written: a received manifest naming /dev/zero or
    ../x must not make the verifier read outside the folder (or forever), nor a bad name raise."""
    parts = rel.split("/")
    try:
        encoded = rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return (0 < len(encoded) <= 1024 and "\0" not in rel
            and all(p not in ("", ".", "..") and len(p.encode("utf-8")) <= 255 for p in parts))


def verify_manifest(root: Path) -> list[str]:
    """Compare every file of the run folder with the manifest. Returns the problems found (none: intact)."""
    try:
        manifest = load_manifest(root)
    except (OSError, ValueError) as exc:
        return [f"{MANIFEST_NAME}: cannot be read ({str(exc)[:300]})"]
    problems: list[str] = []
    for rel, entry in sorted(manifest.files.items()):
        path = root / rel
        try:
            if not path.is_file():
                problems.append(f"{rel}: listed in the manifest but missing")
            elif sha256_file(path) != entry.sha256:
                problems.append(f"{rel}: content differs from the manifest (SHA-256 mismatch)")
        except OSError as exc:  # unreadable (permissions, a path through a file): a problem, not a crash
            problems.append(f"{rel}: cannot be read ({exc.strerror or type(exc).__name__})")
    listed = set(manifest.files) | {MANIFEST_NAME}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((f"{SIGNATURES_DIR}/", f"{RENDERED_DIR}/")):
            # Sign-offs sign the manifest, so they cannot be in it (their signatures check them); renderings
            # of evaluation.json are made after it is sealed and are checked by rendering them again.
            continue
        if path.is_file() and rel not in listed and not path.name.startswith("."):
            problems.append(f"{rel}: present but not in the manifest")
    return problems
