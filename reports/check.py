"""Check a run folder: every file against the manifest, the audit log's chain, the record's model.

    python -m reports.check runs/JCL-2026-0001

Prints one line per problem and exits 1 if there is any (0 when the folder is intact).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import ValidationError

from reports.audit_chain import verify_chain
from reports.manifest import verify_manifest
from reports.model import EvaluationRecord


def check_run(root: Path) -> list[str]:
    if not root.is_dir():
        return [f"{root}: not a folder"]
    problems = verify_manifest(root) + verify_chain(root / "audit.jsonl")
    try:
        EvaluationRecord.model_validate_json((root / "evaluation.json").read_bytes())
    except OSError as exc:
        problems.append(f"evaluation.json: cannot be read ({exc.strerror})")
    except ValidationError as exc:
        problems.append(f"evaluation.json: does not match the record model ({exc.error_count()} errors)")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m reports.check RUN_FOLDER", file=sys.stderr)
        return 2
    problems = check_run(Path(args[0]))
    for p in problems:
        print(p)
    print(f"{args[0]}: {'INTACT' if not problems else f'{len(problems)} PROBLEM(S)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
