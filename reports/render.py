"""Render every reader's view of a run folder into ``rendered/``, from evaluation.json alone.

    python -m reports.render RUN_FOLDER [--no-pdf]

Writes the evaluation report in Japanese and English (HTML, and PDF printed by headless Chromium) and
the ★1 checklist (CSV and xlsx). The sign-offs present in the folder appear in the report, and once
the report is issued its issue date; ``python -m reports.issue`` renders again at issue, and the issue
sign-off covers these files. What is written here is exactly what ``python -m reports.verify``
expects: it renders again and compares.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from reports.aggregate import EXIT_USAGE
from reports.checklist import CSV_NAME, XLSX_NAME, csv_bytes, xlsx_bytes
from reports.folder import FolderError, read_record
from reports.manifest import RENDERED_DIR, sha256_file
from reports.model import EvaluationRecord
from reports.report_html import LANGS, file_name, render, signoffs_of
from reports.report_pdf import PdfError, pdf_name, print_pdf
from reports.signing import ISSUED, SignOff

EVALUATION = "evaluation.json"


class RenderError(Exception):
    """The folder cannot be rendered (unreadable record, no Chromium for the PDF…)."""


def load_record(root: Path) -> EvaluationRecord:
    try:
        return read_record(root)
    except FolderError as exc:
        raise RenderError(str(exc)) from None


def pdf_date(record: EvaluationRecord, signoffs: list[SignOff]) -> datetime:
    """The date a PDF carries: the issue date once issued, else the end (or start) of the evaluation."""
    issued = [s.signed_at for s in signoffs if s.role == ISSUED]
    return issued[0] if issued else (record.finished or record.started)


def expected_files(root: Path, signoffs: list[SignOff] | None = None,
                   record: EvaluationRecord | None = None) -> dict[str, bytes]:
    """The byte-stable renderings (HTML and checklist) by file name, as the folder renders now."""
    record = load_record(root) if record is None else record
    signoffs = signoffs_of(root) if signoffs is None else signoffs
    digest = sha256_file(root / EVALUATION)
    files = {CSV_NAME: csv_bytes(record), XLSX_NAME: xlsx_bytes(record)}
    for lang in LANGS:
        files[file_name(lang)] = render(record, lang, signoffs, digest).encode("utf-8")
    return files


def render_folder(root: Path, signoffs: list[SignOff] | None = None, pdf: bool = True) -> list[Path]:
    """Replace ``rendered/`` with a fresh rendering; all or nothing (a failed PDF leaves the old one)."""
    record = load_record(root)
    signoffs = signoffs_of(root) if signoffs is None else signoffs
    files = expected_files(root, signoffs, record)
    target = root / RENDERED_DIR
    # Staged beside the folder (same file system, so the swap is a rename), never inside it.
    with tempfile.TemporaryDirectory(prefix=f".{root.name}-rendering-", dir=root.resolve().parent) as tmp:
        staging = Path(tmp) / RENDERED_DIR
        staging.mkdir()
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if pdf:
            for lang in LANGS:
                try:
                    print_pdf(staging / file_name(lang), staging / pdf_name(lang), pdf_date(record, signoffs))
                except PdfError as exc:
                    raise RenderError(str(exc)) from None
        old = Path(tmp) / "old"
        if target.exists():
            target.rename(old)
        staging.rename(target)
    return sorted(target.iterdir())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.render", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--no-pdf", action="store_true", help="HTML and checklist only (no Chromium needed)")
    a = ap.parse_args(argv)
    try:
        for path in render_folder(a.run, pdf=not a.no_pdf):
            print(path)
    except (RenderError, OSError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

