"""The audit log's hash chain: each JSONL record carries the hash of the one before it.

Editing, removing or reordering any line breaks the chain from that line on.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record_without_hash: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(record_without_hash)).hexdigest()


def verify_chain(path: Path) -> list[str]:
    """Check every line of an audit log. Returns the problems found (none: intact)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        return [f"{path.name}: cannot be read ({exc.strerror})"]
    except UnicodeDecodeError as exc:  # the harness writes UTF-8 only: anything else was altered
        return [f"{path.name}: not UTF-8 text (byte {exc.start})"]
    return verify_lines(path.name, lines)


def verify_lines(name: str, lines: list[str]) -> list[str]:
    """Check the chain of the given audit lines (``name`` is used in the messages)."""
    problems: list[str] = []
    prev = GENESIS
    for n, line in enumerate(lines, start=1):
        try:
            rec = json.loads(line)
            claimed = rec.pop("hash")
            # why: a line may decode to text UTF-8 cannot encode (a lone surrogate escape)
            actual = record_hash(rec)
        except (ValueError, KeyError, AttributeError, TypeError, RecursionError):
            problems.append(f"{name} line {n}: not a valid audit record")
            break
        if rec.get("prev") != prev:
            problems.append(f"{name} line {n}: does not follow line {n - 1} (chain broken)")
            break
        if actual != claimed:
            problems.append(f"{name} line {n}: content altered (hash mismatch)")
            break
        prev = claimed
    return problems
