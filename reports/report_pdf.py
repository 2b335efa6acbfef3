"""The evaluation report as PDF: the HTML report printed by headless Chromium.

Chromium's PDF (Skia) differs between two prints of the same page only in its creation and
modification dates, so those are set to the report's issue time (same length, so the cross-reference
offsets hold) and the same HTML printed by the same Chromium gives the same bytes. That lets
``python -m reports.verify`` print the report again and compare, where the receiver has the same
Chromium; the issue sign-off covers the PDF's digest in any case.

Chromium runs with a fresh profile in a temporary folder, without background networking, crash
reporting or extensions, bounded in time, and its whole process group is killed afterwards: a lab
machine keeps no browser process and the report page reaches nothing outside itself (the HTML also
carries a Content-Security-Policy that forbids every fetch).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT = 120.0
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-extensions", "--disable-crash-reporter", "--disable-breakpad",
    "--disable-domain-reliability", "--metrics-recording-only", "--mute-audio",
)
_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})([^)]{0,12})\)")
_HREF = re.compile(rb' href="[^"]*"')
_PRODUCER = re.compile(rb"/Producer \(([^)]{1,80})\)")


NO_BROWSER = ("Chromium is not installed (the PDF is printed with headless Chromium): run scripts/install.sh, or set "
              "JCSTAR_CHROMIUM to the browser's path")


class PdfError(Exception):
    """The PDF could not be printed (no Chromium, a time-out, an unexpected output)."""


def find_chromium() -> str | None:
    override = os.environ.get("JCSTAR_CHROMIUM")
    if override:
        return shutil.which(override)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_name(lang: str) -> str:
    return f"report-{lang}.pdf"


def producer(pdf: bytes) -> str | None:
    """The PDF's /Producer (for Chromium: the Skia PDF milestone, e.g. 'Skia/PDF m156')."""
    m = _PRODUCER.search(pdf[:4096]) or _PRODUCER.search(pdf)
    return m.group(1).decode("latin-1") if m else None


def set_dates(pdf: bytes, when: datetime) -> bytes:
    """Replace the creation and modification dates by ``when`` (UTC), keeping every byte offset."""
    stamp = when.astimezone(UTC).strftime("%Y%m%d%H%M%S").encode()

    def repl(m: re.Match[bytes]) -> bytes:
        new = b"/" + m.group(1) + b" (D:" + stamp + m.group(3) + b")"
        assert len(new) == len(m.group(0))
        return new

    return _DATES.sub(repl, pdf)


def run_browser(args: list[str], url: str, timeout: float = PRINT_TIMEOUT, chromium: str | None = None) -> bytes:
    """Run headless Chromium once on ``url`` with ``args`` (for example ``--print-to-pdf=…``,
    ``--screenshot=…`` or ``--dump-dom``) in a throwaway profile; return what it wrote on stdout.
    Raises PdfError when it is missing, fails or outlasts ``timeout``; its process group never outlives it."""
    exe = chromium or find_chromium()
    if exe is None:
        raise PdfError(NO_BROWSER)
    with tempfile.TemporaryDirectory(prefix="jcstar-chromium-") as tmp:
        cmd = [exe, *FLAGS, f"--user-data-dir={tmp}/profile", f"--crash-dumps-dir={tmp}/crash", *args, url]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, env={**os.environ, "HOME": tmp})
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not finish with {url.rsplit('/', 1)[-1]} within {timeout:g} s") from None
        finally:
            _kill_group(proc)
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise PdfError(f"Chromium failed on {url.rsplit('/', 1)[-1]} (exit {proc.returncode}): "
                       f"{' | '.join(tail)[:300]}")
    return out


def print_pdf(html: Path, out: Path, when: datetime, chromium: str | None = None,
              timeout: float = PRINT_TIMEOUT) -> str:
    """Print ``html`` to ``out`` with its dates set to ``when``; return the PDF's producer.

    Links are printed as their text only: Chromium would turn a relative link into an absolute file://
    address of wherever the HTML lay, which is of no use on paper and would make the same report print
    differently in another folder. The evidence's path and digest are printed beside each link."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise PdfError(NO_BROWSER)
    with tempfile.TemporaryDirectory(prefix="jcstar-pdf-") as tmp:
        target = Path(tmp) / "out.pdf"
        page = Path(tmp) / html.name
        page.write_bytes(_HREF.sub(b"", html.read_bytes()))
        run_browser([f"--print-to-pdf={target}"], page.as_uri(), timeout, chromium)
        if not target.is_file():
            raise PdfError(f"Chromium wrote no PDF for {html.name}")
        data = target.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise PdfError(f"Chromium wrote something that is not a PDF for {html.name}")
    fixed = set_dates(data, when)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(out.name + ".part")
    tmp_out.write_bytes(fixed)
    os.replace(tmp_out, out)
    return producer(fixed) or "unknown"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Chromium leaves helper processes (zygote, crash handler): end the whole group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# -- reading a PDF back (poppler-utils) -------------------------------------------------------------


def page_texts(pdf: Path, timeout: float = 60.0) -> list[str] | None:
    """The text of each page (pdftotext), or None when pdftotext is not installed."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "-enc", "UTF-8", "-layout", str(pdf), "-"], capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return []
    if done.returncode != 0:
        return []
    pages = done.stdout.decode("utf-8", "replace").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def text_problems(name: str, pages: list[str], report_id: str, record_sha256: str) -> list[str]:
    """What the PDF's text must show: the report id and 'N / total' on every page, the record's digest."""
    if not pages:
        return [f"{name}: no text could be read from it (not a PDF printed by this harness)"]
    problems = []
    total = len(pages)
    for n, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        if report_id not in flat:
            problems.append(f"{name}: page {n} does not carry the report id {report_id}")
        if not re.search(rf"\b{n} / {total}\b", flat):
            problems.append(f"{name}: page {n} does not say '{n} / {total}'")
    joined = "".join("".join(pages).split())
    if record_sha256 not in joined:
        problems.append(f"{name}: does not name the evaluation.json it was rendered from "
                        f"(SHA-256 {record_sha256[:16]}…)")
    return problems
