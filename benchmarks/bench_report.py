"""The report pipeline against bare Chromium: what rendering, issuing and verifying a report cost.

Plain script: ``python benchmarks/bench_report.py RUN_FOLDER [--rounds N]`` on a finished run folder
(it works on a copy). Prints, per step, the median wall time, and the peak resident memory of any child process:
- bare ``chromium --headless --print-to-pdf`` of the two HTML reports (what a lab would otherwise run);
- ``python -m reports.render`` (HTML, checklist, both PDFs);
- ``python -m reports.verify`` of the rendered folder (renders again, prints both PDFs again, compares).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reports.report_pdf import FLAGS, find_chromium  # noqa: E402


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True, cwd=REPO, timeout=600)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("Chromium is not installed (scripts/install.sh)", file=sys.stderr)
        return 4
    py = sys.executable
    results: dict[str, list[float]] = {"bare chromium, 2 PDFs": [], "reports.render (all 6 files)": [],
                                                   "reports.verify (renders and prints again)": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / a.run.name
        shutil.copytree(a.run, root, ignore=shutil.ignore_patterns("rendered", "signatures"))
        subprocess.run([py, "-m", "reports.render", str(root), "--no-pdf"], check=True, cwd=REPO, capture_output=True)
        keys = Path(tmp) / "keys"
        subprocess.run([py, "-m", "reports.sign", "keygen", str(keys / "k")], check=True, cwd=REPO,
                       capture_output=True)
        for _ in range(a.rounds):
            start = time.perf_counter()
            for lang in ("ja", "en"):
                subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp}/profile",
                                f"--print-to-pdf={tmp}/bare-{lang}.pdf",
                                (root / "rendered" / f"report-{lang}.html").as_uri()],
                               check=False, capture_output=True, timeout=300)
            results["bare chromium, 2 PDFs"].append(time.perf_counter() - start)
            results["reports.render (all 6 files)"].append(timed([py, "-m", "reports.render", str(root)]))
            results["reports.verify (renders and prints again)"].append(
                timed([py, "-m", "reports.verify", str(root), "--keys", str(keys)]))
    print(f"{'step':44} {'rounds':>6} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, secs in results.items():
        print(f"{name:44} {len(secs):>6} {statistics.median(secs):>9.2f} {min(secs):>7.2f} {max(secs):>7.2f}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory of any child process (Chromium's browser process): {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
