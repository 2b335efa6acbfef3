"""The PDF report, and the reports as a reader sees them: opened in headless Chromium, printed, and the
pages turned into images with poppler. Screenshots and page images are kept in the test run's
artefacts (``build/test-artefacts/``, or ``$JCSTAR_TEST_ARTEFACTS``) for a person to look at."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports.model import EvaluationRecord
from reports.render import render_folder
from reports.report_pdf import (
    PdfError,
    find_chromium,
    page_texts,
    print_pdf,
    producer,
    run_browser,
    set_dates,
    text_problems,
)
from reports.verify import rendered_problems
from tests.reports.test_checklist import checklist_record

ARTEFACTS = Path(os.environ.get("JCSTAR_TEST_ARTEFACTS") or Path(__file__).resolve().parents[2] / "build"
                 / "test-artefacts")
needs_pdf_tools = pytest.mark.skipif(
    find_chromium() is None or shutil.which("pdftoppm") is None,
    reason="Chromium and poppler-utils print and read the PDF reports (scripts/install.sh installs them)",
)
WHEN = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)


def artefact(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / name


def browser_processes() -> list[str]:
    out = subprocess.run(["pgrep", "-af", "jcstar-chromium-"], capture_output=True, text=True, check=False).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


# -- without a browser ------------------------------------------------------------------------------


def test_set_dates_keeps_every_offset() -> None:
    pdf = (b"%PDF-1.4\n1 0 obj <</Producer (Skia/PDF m156)\n/CreationDate (D:20261129112754+00'00')\n"
           b"/ModDate (D:20261129112755+00'00')>>\nendobj\n")
    fixed = set_dates(pdf, WHEN)
    assert len(fixed) == len(pdf)
    assert b"(D:20261129093000+00'00')" in fixed and fixed.count(b"20261129093000") == 2
    assert set_dates(fixed, WHEN) == fixed
    assert producer(fixed) == "Skia/PDF m156"


def test_the_text_of_each_page_must_carry_the_report_id_its_number_and_the_record_digest() -> None:
    digest = "ab" * 32
    good = [f"JCL-1 ... {digest[:40]}\n{digest[40:]}\nページ 1 / 2", "JCL-1 ... page 2 / 2"]
    assert text_problems("r.pdf", good, "JCL-1", digest) == []
    bad = text_problems("r.pdf", ["JCL-1 page 1 / 3", "nothing here"], "JCL-1", "cd" * 32)
    assert any("page 1 does not say '1 / 2'" in p for p in bad)
    assert any("page 2 does not carry the report id" in p for p in bad)
    assert any("does not name the evaluation.json" in p for p in bad)
    assert text_problems("r.pdf", [], "JCL-1", digest) == ["r.pdf: no text could be read from it (not a PDF printed "
                                                           "by this harness)"]


def test_no_browser_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCSTAR_CHROMIUM", "no-such-browser")
    with pytest.raises(PdfError, match=r"Chromium is not installed.*install\.sh"):
        print_pdf(tmp_path / "x.html", tmp_path / "x.pdf", WHEN)


def test_a_browser_that_hangs_is_stopped_and_leaves_no_process(tmp_path: Path) -> None:
    # A fake browser (a shell script) that starts a child and never finishes: the whole group must go.
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nsleep 300 &\nsleep 300\n", encoding="utf-8")
    fake.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(PdfError, match=r"did not finish with x\.html within 1 s"):
        run_browser([], (tmp_path / "x.html").as_uri(), timeout=1, chromium=str(fake))
    assert time.monotonic() - started < 30
    time.sleep(0.2)
    assert not browser_processes()


def test_a_browser_that_fails_is_reported_with_its_last_words(tmp_path: Path) -> None:
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    (tmp_path / "x.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(PdfError, match=r"exit 3\): cannot open display"):
        print_pdf(tmp_path / "x.html", tmp_path / "x.pdf", WHEN, chromium=str(fake))
    assert not (tmp_path / "x.pdf").exists()


# -- with Chromium and poppler ----------------------------------------------------------------------


@needs_pdf_tools
def test_the_same_html_prints_to_the_same_bytes(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    html.write_text("<!DOCTYPE html><html lang='ja'><meta charset='utf-8'><p>評価報告書 JCL-1</p></html>",
                    encoding="utf-8")
    made = print_pdf(html, tmp_path / "a.pdf", WHEN)
    time.sleep(1.1)  # another second on the clock: the dates Chromium writes would differ
    assert print_pdf(html, tmp_path / "b.pdf", WHEN) == made
    assert made.startswith("Skia/PDF")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert not browser_processes()


def pgm_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and grey pixels of a binary PGM (what pdftoppm -gray writes)."""
    data = path.read_bytes()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert m, path
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end(): m.end() + w * h]


def page_images(pdf: Path, stem: Path, resolution: int = 50) -> list[Path]:
    subprocess.run(["pdftoppm", "-gray", "-r", str(resolution), str(pdf), str(stem)], check=True, timeout=120)
    return sorted(stem.parent.glob(stem.name + "-*.pgm"))


@needs_pdf_tools
def test_japanese_prints_with_a_real_japanese_font_not_boxes(tmp_path: Path) -> None:
    """Each character in its own cell, in the report's own font stack. Without a Japanese font the
    characters come out as nothing or as the same box each, so every cell must have ink and no two
    cells may be alike."""
    chars = ["評", "価", "報", "告", "書", "適", "合"]  # 7 × 75 px fit across one A4 page at 72 dpi
    cells = "".join(f"<div>{c}</div>" for c in chars)
    html = tmp_path / "probe.html"
    html.write_text(
        "<!DOCTYPE html><html lang='ja'><meta charset='utf-8'><style>@page{size:A4;margin:0}"
        "body{margin:0;font-family:\"Noto Sans CJK JP\",\"Noto Sans JP\",\"IPAexGothic\",sans-serif}"
        "div{width:100px;height:100px;font-size:80px;line-height:100px;text-align:center;float:left}</style>"
        f"<body>{cells}</body></html>", encoding="utf-8")
    pdf = tmp_path / "probe.pdf"
    print_pdf(html, pdf, WHEN)
    (image,) = page_images(pdf, tmp_path / "probe", resolution=72)
    shutil.copy(image, artefact("japanese-font-probe.pgm"))
    w, _, px = pgm_pixels(image)
    size = 75  # 100 CSS px at 72 dpi

    def cell(i: int) -> bytes:
        x0 = i * size
        return b"".join(px[y * w + x0: y * w + x0 + size] for y in range(size))

    glyphs = [cell(i) for i in range(len(chars))]
    for i, g in enumerate(glyphs):
        assert sum(1 for b in g if b < 128) > 50, f"{chars[i]!r} drew nothing"
    assert len(set(glyphs)) == len(chars), "two different characters drew the same picture (boxes)"


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.unit_rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and "evidence" in (a.get("class") or ""):
            self.links.append(a.get("href") or "")
        if tag == "tr" and a.get("class") == "unit":
            self.unit_rows += 1


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Path, EvaluationRecord]:
    """A run folder holding a record of all sixteen items, rendered as a draft with its PDFs."""
    record = checklist_record()
    root = tmp_path / record.report_id
    root.mkdir()
    (root / "evaluation.json").write_text(record.model_dump_json(indent=2), encoding="utf-8")
    render_folder(root)
    return root, record


@needs_pdf_tools
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_as_a_reader_sees_it(rendered: tuple[Path, EvaluationRecord], lang: str, tmp_path: Path) -> None:
    root, record = rendered
    html = root / "rendered" / f"report-{lang}.html"
    # In the browser: a screenshot for a person, and the page as Chromium built it.
    shot = artefact(f"report-{lang}.png")
    shot.unlink(missing_ok=True)
    run_browser([f"--screenshot={shot}", "--window-size=1240,1754", "--hide-scrollbars"], html.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(shot.read_bytes()[16:20], "big") == 1240
    dom = _Dom()
    dom.feed(run_browser(["--dump-dom"], html.as_uri()).decode("utf-8"))
    assert {f"item-{i.id}" for i in record.items} <= dom.ids
    assert {"title", "device", "method", "statement", "items", "units", "deviations", "people", "end"} <= dom.ids
    assert dom.unit_rows == len(record.units)
    assert sorted(dom.links) == sorted(e.path for u in record.units for e in u.evidence)
    # On paper: every page an image, each with the report id and "N / total"; the end marker on the last.
    pdf = root / "rendered" / f"report-{lang}.pdf"
    images = page_images(pdf, tmp_path / f"page-{lang}")
    pages = page_texts(pdf)
    assert pages is not None and len(images) == len(pages) >= 2
    for n, image in enumerate(images, 1):
        shutil.copy(image, artefact(f"report-{lang}-page-{n}.pgm"))
        _, _, px = pgm_pixels(image)
        assert sum(1 for b in px if b < 128) > 100, f"page {n} is blank"
    assert text_problems(pdf.name, pages, record.report_id, _sha(root / "evaluation.json")) == []
    first, last = " ".join(pages[0].split()), " ".join(pages[-1].split())
    assert ("評価報告書" if lang == "ja" else "evaluation report") in first
    assert ("報告書の終わり" if lang == "ja" else "End of report") in last
    assert not browser_processes()


@needs_pdf_tools
def test_a_draft_pdf_is_checked_by_printing_it_again(rendered: tuple[Path, EvaluationRecord],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = rendered
    problems, notes = rendered_problems(root)
    assert problems == []
    assert sum("identical to a fresh print of evaluation.json" in n for n in notes) == 2
    # A PDF printed from other HTML, put in its place: the same Chromium prints something else.
    other = root.parent / "other.html"
    html = (root / "rendered" / "report-en.html").read_text(encoding="utf-8")
    other.write_text(html.replace("PASS", "FAIL"), encoding="utf-8")
    print_pdf(other, root / "rendered" / "report-en.pdf", WHEN)
    problems, _ = rendered_problems(root)
    assert any("report-en.pdf: differs from a fresh print" in p for p in problems), problems
    # Without Chromium a draft PDF (no issue sign-off covers it) cannot be vouched for.
    monkeypatch.setenv("JCSTAR_CHROMIUM", "no-such-browser")
    problems, _ = rendered_problems(root)
    assert any("report-ja.pdf: cannot be shown to be rendered from evaluation.json: it is not covered by an issue "
               "sign-off; Chromium is not installed" in p for p in problems), problems


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
