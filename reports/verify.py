"""Verify a received report folder: what IPA staff (or anyone receiving it) run.

    python -m reports.verify RUN_FOLDER --keys DIR_OR_PUB [--keys …]

Checks every sign-off against the trusted public keys given (a folder of .pub files or single
files), every file against the manifest, the audit log's hash chain, evaluation.json against its
model and its committed JSON schema, and that every file in rendered/ (the ★1 checklist, the HTML
reports) is exactly what evaluation.json renders to. Prints one line per sign-off, one per problem,
and a verdict; exits 0 when everything holds, 1 on any mismatch, 4 when the keys cannot be read.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reports.aggregate import EXIT_USAGE
from reports.check import check_run
from reports.checklist import CSV_NAME, XLSX_NAME, csv_bytes, xlsx_bytes
from reports.manifest import RENDERED_DIR
from reports.model import EvaluationRecord
from reports.report_html import LANGS, file_name, render
from reports.signing import ROLES, SigningError, check_signature, key_id, load_public, signature_path

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "evaluation.schema.json"


def trusted_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for p in paths:
        for f in sorted(p.glob("*.pub")) if p.is_dir() else [p]:
            k = load_public(f)
            keys[key_id(k)] = k
    if not keys:
        raise SigningError("no trusted public key found in " + ", ".join(map(str, paths)))
    return keys


def schema_problems(root: Path) -> list[str]:
    try:
        import jsonschema
    except ImportError:
        return []  # the record model was checked by check_run; the schema check needs jsonschema
    try:
        data = json.loads((root / "evaluation.json").read_text(encoding="utf-8"))
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"evaluation.json: cannot be read as JSON ({type(exc).__name__})"]
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    return [f"evaluation.json: does not match {SCHEMA.name} at {'/'.join(map(str, e.path)) or '(top)'}: "
            f"{e.message[:200]}" for e in errors[:10]]


def _html_bytes(record: EvaluationRecord, lang: str) -> bytes:
    return render(record, lang).encode("utf-8")


def rendered_problems(root: Path) -> list[str]:
    """Every file in rendered/ must be exactly what evaluation.json renders to now."""
    folder = root / RENDERED_DIR
    if not folder.is_dir():
        return []
    try:
        record = EvaluationRecord.model_validate_json((root / "evaluation.json").read_bytes())
    except (OSError, ValueError):
        return []  # check_run already reports an unreadable record
    renderers: dict[str, Callable[[EvaluationRecord], bytes]] = {CSV_NAME: csv_bytes, XLSX_NAME: xlsx_bytes}
    for lang in LANGS:
        renderers[file_name(lang)] = functools.partial(_html_bytes, lang=lang)
    problems = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        renderer = renderers.get(path.name) if path.parent == folder else None
        if renderer is None:
            problems.append(f"{RENDERED_DIR}/{path.name}: not a rendering of evaluation.json this harness makes")
        elif path.read_bytes() != renderer(record):
            problems.append(f"{RENDERED_DIR}/{path.name}: differs from what evaluation.json renders to")
    return problems


def verify(root: Path, keys: dict[str, Ed25519PublicKey]) -> tuple[list[str], list[str]]:
    """(sign-off lines, problems)."""
    lines: list[str] = []
    problems = check_run(root) + schema_problems(root) + rendered_problems(root)
    signed = [r for r in ROLES if signature_path(root, r).exists()]
    if not signed:
        problems.append("no sign-off: the report is not signed")
    for role in signed:
        found, who = check_signature(root, role, keys)
        problems += found
        if who:
            lines.append(f"{'ok' if not found else 'BAD'}: {who}")
    missing = [r for r in ROLES if r not in signed]
    if missing:
        lines.append(f"not signed yet: {', '.join(missing)}")
    return lines, problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.verify", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--keys", action="append", type=Path, required=True, metavar="DIR_OR_PUB")
    a = ap.parse_args(argv)
    try:
        keys = trusted_keys(a.keys)
    except (SigningError, OSError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USAGE
    lines, problems = verify(a.run, keys)
    for line in lines:
        print(line)
    for p in problems:
        print(f"PROBLEM: {p}")
    complete = not any(line.startswith("not signed yet") for line in lines)
    if problems:
        print(f"{a.run}: NOT VERIFIED ({len(problems)} problems)")
        return 1
    print(f"{a.run}: VERIFIED, intact{' and fully signed' if complete else ' (sign-offs incomplete)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
