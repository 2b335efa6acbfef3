"""Verify a received report folder: what IPA staff (or anyone receiving it) run.

    python -m reports.verify RUN_FOLDER --keys DIR_OR_PUB [--keys …]

Checks every sign-off against the trusted public keys given (a folder of .pub files or single
files), every file against the manifest, the audit log's hash chain, evaluation.json against its
model and its committed JSON schema, and that every file in rendered/ (the ★1 checklist, the HTML and
PDF reports) is what evaluation.json renders to: byte for byte for the HTML and the checklist; a PDF is
printed again and compared where this machine has the same Chromium, and otherwise must be covered by
the issue sign-off and show the report id, "N / total" and the record's digest on its pages
(pdftotext). Prints one line per sign-off, notes, one line per problem, and a verdict; exits 0 when
everything holds, 1 on any mismatch, 4 when the keys cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reports.aggregate import EXIT_USAGE
from reports.check import check_run
from reports.manifest import RENDERED_DIR, sha256_file
from reports.model import EvaluationRecord
from reports.render import RenderError, expected_files, load_record, pdf_date
from reports.report_html import LANGS, file_name, signoffs_of
from reports.report_pdf import PdfError, find_chromium, page_texts, pdf_name, print_pdf, producer, text_problems
from reports.signing import (
    ISSUED,
    ROLES,
    SigningError,
    SignOff,
    check_signature,
    key_id,
    load_public,
    read_envelope,
    signature_path,
)

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
    except (OSError, ValueError, RecursionError) as exc:  # why RecursionError: json.loads of deep nesting
        return [f"evaluation.json: cannot be read as JSON ({type(exc).__name__})"]
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    return [f"evaluation.json: does not match {SCHEMA.name} at {'/'.join(map(str, e.path)) or '(top)'}: "
            f"{e.message[:200]}" for e in errors[:10]]


def rendered_problems(root: Path) -> tuple[list[str], list[str]]:
    """Every file in rendered/ must be what evaluation.json renders to now: the HTML and the checklist
    byte for byte; a PDF is printed again and compared where this machine has the Chromium that printed
    it, and otherwise must be covered by the issue sign-off and show the report id, its page numbers and
    the record's digest on its pages. (problems, notes)"""
    folder = root / RENDERED_DIR
    if not folder.is_dir():
        return [], []
    try:
        signoffs = signoffs_of(root)
        record = load_record(root)
        expected = expected_files(root, signoffs, record)
    except RenderError:
        return [], []  # check_run already reports an unreadable record
    issued = _issued_digests(root)
    problems: list[str] = []
    notes: list[str] = []
    pdfs = {pdf_name(lang): lang for lang in LANGS}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.name if path.parent == folder else path.relative_to(folder).as_posix()
        if name in expected:
            if path.read_bytes() != expected[name]:
                problems.append(f"{RENDERED_DIR}/{name}: differs from what evaluation.json renders to (render again "
                                f"with python -m reports.render, or it was changed)")
        elif name in pdfs:
            p, n = pdf_problems(root, path, expected[file_name(pdfs[name])], record, signoffs, issued)
            problems += p
            notes += n
        else:
            problems.append(f"{RENDERED_DIR}/{name}: not a rendering of evaluation.json this harness makes")
    return problems, notes


def _issued_digests(root: Path) -> dict[str, str]:
    """The rendered files the issue sign-off covers, by name (its signature is checked separately)."""
    path = signature_path(root, ISSUED)
    if not path.is_file():
        return {}
    try:
        statement = read_envelope(path)[1]
    except SigningError:
        return {}
    return {s.name: s.digest.get("sha256", "") for s in statement.subject}


def pdf_problems(root: Path, path: Path, html: bytes, record: EvaluationRecord, signoffs: list[SignOff],
                 issued: dict[str, str]) -> tuple[list[str], list[str]]:
    name = f"{RENDERED_DIR}/{path.name}"
    data = path.read_bytes()
    covered = issued.get(name) == sha256_file(path)
    problems: list[str] = []
    notes: list[str] = []
    pages = page_texts(path)
    digest = sha256_file(root / "evaluation.json")
    text_bad = text_problems(name, pages, record.report_id, digest) if pages is not None else []
    problems += text_bad
    vouched = covered and pages is not None and not text_bad
    chromium = find_chromium()
    reprinted = differs = False
    if chromium is not None:
        with tempfile.TemporaryDirectory(prefix="jcstar-verify-") as tmp:
            html_path = Path(tmp) / "report.html"
            html_path.write_bytes(html)
            try:
                made = print_pdf(html_path, Path(tmp) / "fresh.pdf", pdf_date(record, signoffs), chromium)
                fresh = (Path(tmp) / "fresh.pdf").read_bytes()
            except PdfError as exc:
                notes.append(f"{name}: not printed again ({exc})")
            else:
                theirs = producer(data)
                if fresh == data:
                    reprinted = True
                    notes.append(f"{name}: identical to a fresh print of evaluation.json ({made})")
                elif vouched:
                    # The issuer's print, byte for byte as signed; this machine prints differently (other
                    # fonts or another Chromium), which says nothing against it.
                    notes.append(f"{name}: the PDF the issue sign-off covers; a fresh print here ({made}, the PDF "
                                 f"says {theirs or 'unknown'}) differs, so it was not compared byte for byte")
                elif theirs == made:
                    differs = True
                    problems.append(f"{name}: differs from a fresh print of evaluation.json by the same Chromium "
                                    f"({made})")
                else:
                    notes.append(f"{name}: printed by {theirs or 'an unknown producer'}, this machine has {made}: "
                                 "not compared byte for byte")
    if not reprinted and not differs and not vouched:
        missing = []
        if not covered:
            missing.append("it is not covered by an issue sign-off")
        if pages is None:
            missing.append("pdftotext (poppler-utils) is not installed")
        if chromium is None:
            missing.append("Chromium is not installed")
        if missing:
            problems.append(f"{name}: cannot be shown to be rendered from evaluation.json: " + "; ".join(missing))
    return problems, notes


def verify(root: Path, keys: dict[str, Ed25519PublicKey]) -> tuple[list[str], list[str]]:
    """(sign-off lines and notes, problems)."""
    lines: list[str] = []
    found_rendered, notes = rendered_problems(root)
    problems = check_run(root) + schema_problems(root) + found_rendered
    signed = [r for r in ROLES if signature_path(root, r).exists()]
    if not signed:
        problems.append("no sign-off: the report is not signed")
    for role in [*signed, *([ISSUED] if signature_path(root, ISSUED).exists() else [])]:
        found, who = check_signature(root, role, keys)
        problems += found
        if who:
            lines.append(f"{'ok' if not found else 'BAD'}: {who}")
    missing = [r for r in ROLES if r not in signed]
    if missing:
        lines.append(f"not signed yet: {', '.join(missing)}")
    lines += [f"note: {n}" for n in notes]
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
