"""Does the kept validation record still cover the method as it is? (ISO/IEC 17025 7.2.2.1: validate
again after a change.)

    python -m refbench.validation_status [validation/current]

The record names the harness commit it validated. Every file that can change a verdict (procedures,
fixtures, criteria, profiles, the bench, the report aggregation: everything but tests, benchmarks,
validation records and prose) is compared between that commit and the working tree. Exit 0 when the
record is valid and nothing of the method changed since, 1 when the method changed (validate again:
``tox -e validation``) or the record is not valid, 6 when it cannot be told (no record, no git, an
unknown commit).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from reports.aggregate import EXIT_CANNOT_BE_DETERMINED
from reports.validation import VALIDATION_NAME, ValidationRecord

ROOT = Path(__file__).resolve().parent.parent
# What cannot change a verdict; everything else is part of the method.
NOT_METHOD = ("tests", "benchmarks", "validation", ".ci", "docs", "**/*.md", ".gitignore")


class StatusError(Exception):
    """The question cannot be answered (no record, no git history, an unknown commit)."""


def method_changes(commit: str, repo: Path = ROOT) -> list[str]:
    """Files of the method that differ between ``commit`` and the working tree (committed or not)."""
    spec = ["--", ".", *[f":(exclude,glob){p}" if "*" in p else f":(exclude){p}" for p in NOT_METHOD]]
    try:
        known = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{commit}^{{commit}}"],
                               capture_output=True, timeout=30, check=False)
        if known.returncode != 0:
            raise StatusError(f"commit {commit} is not in the history of {repo} (a shallow clone? fetch it)")
        diff = subprocess.run(["git", "-C", str(repo), "diff", "--name-only", commit, *spec],
                              capture_output=True, text=True, timeout=60, check=True)
        untracked = subprocess.run(["git", "-C", str(repo), "ls-files", "--others", "--exclude-standard", *spec],
                                   capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise StatusError(f"git cannot tell what changed in {repo}: {exc}") from None
    return sorted(set(diff.stdout.split()) | set(untracked.stdout.split()))


def status(folder: Path, repo: Path = ROOT) -> tuple[int, list[str]]:
    """(exit status, lines to print) for the validation record in ``folder``."""
    path = folder / VALIDATION_NAME
    try:
        record = ValidationRecord.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise StatusError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:
        raise StatusError(f"{path}: not a validation record of this harness ({type(exc).__name__})") from None
    env = record.environment
    dirty = " (with uncommitted changes)" if env.git_dirty else ""
    lines = [f"{record.validation_id}: {record.conclusion}, {len(record.variants)} variants, harness "
             f"{env.harness_version} commit {env.git_commit or 'unknown'}{dirty}, "
             f"finished {record.finished.isoformat() if record.finished else 'not finished'}"]
    if env.git_commit is None:
        raise StatusError(f"{path}: the record names no harness commit, so what it validated cannot be compared")
    changed = method_changes(env.git_commit, repo)
    if env.git_dirty:
        lines.append("the validated tree had uncommitted changes: what exactly was validated is not known")
    if changed:
        lines.append(f"method files changed since: {len(changed)}; validate again (tox -e validation):")
        lines += [f"  {name}" for name in changed[:50]] + ([f"  … and {len(changed) - 50} more"]
                                                           if len(changed) > 50 else [])
    ok = record.conclusion == "valid" and record.full and record.finished is not None and not changed \
        and not env.git_dirty
    lines.append("CURRENT: this validation covers the method as it is" if ok else
                 "NOT CURRENT: this validation does not cover the method as it is")
    return (0 if ok else 1), lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m refbench.validation_status", description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, nargs="?", default=ROOT / "validation" / "current")
    a = ap.parse_args(argv)
    try:
        code, lines = status(a.folder)
    except StatusError as exc:
        print(f"CANNOT TELL: {exc}", file=sys.stderr)
        return EXIT_CANNOT_BE_DETERMINED
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
