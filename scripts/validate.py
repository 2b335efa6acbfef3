"""Method validation on the reference bench: run the evaluation on the hardened device and on defect
variants, and compare observed item verdicts with what each variant must fail.

    python scripts/validate.py [--variants hardened,telnet-enabled,…] [--items S1.1-01,S1.1-13]

For each run the matrix shows, per item, expected (FAIL where the defect breaks it, PASS otherwise)
against observed. A variant that PASSES an item its defect breaks is a false PASS; the hardened
device failing an item is a false FAIL. Either makes the command exit 1. Items left INCONCLUSIVE are
listed as such (they prove nothing either way). Writes runs/validation-<timestamp>/matrix.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "device_profiles"

MODULE_DIR = ROOT / "labtests" / "star1"
# The reference device's prepared evaluator answers: each is bound to one version of one document, so
# a variant with a defective document gets the answer written for that version (or none: pending).
PREPARED_ANSWERS = ROOT / "refbench" / "documents" / "prepared-answers.toml"


def modules() -> dict[str, Path]:
    """The procedure module of each ★1 item, found by name: test_s1_1_NN_<what>.py is S1.1-NN."""
    found: dict[str, Path] = {}
    for path in sorted(MODULE_DIR.glob("test_s1_1_[0-9][0-9]_*.py")):
        found[f"S1.1-{path.name[10:12]}"] = path
    return found


def expected_fail(profile: Path) -> list[str]:
    import tomllib

    data = tomllib.loads(profile.read_text(encoding="utf-8"))
    return list(data.get("validation", {}).get("expected_fail", []))


def run_variant(profile: Path, items: list[str], out: Path) -> dict[str, object]:
    known = modules()
    missing = [i for i in items if i not in known]
    if missing:
        raise SystemExit(f"no procedure module for {', '.join(missing)} in {MODULE_DIR}")
    files = [str(known[i]) for i in items]
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", f"--device={profile}", "--evaluator", "tech01", "-q", "-p", "no:cacheprovider",
         f"--answers={PREPARED_ANSWERS}", *files], cwd=ROOT, capture_output=True, text=True, check=False)
    (out / f"{profile.stem}.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    record_line = next((line for line in proc.stdout.splitlines() if line.startswith("Record: ")), "")
    record_path = Path(record_line.split()[1]) if record_line else None
    observed: dict[str, str] = {}
    if record_path and record_path.exists():
        record = json.loads(record_path.read_text(encoding="utf-8"))
        observed = {i["id"]: i["verdict"] for i in record["items"]}
    return {"profile": profile.name, "exit": proc.returncode, "seconds": round(time.monotonic() - start, 1),
            "record": str(record_path) if record_path else None, "observed": observed}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", help="comma-separated variant names (default: all refbench-*.toml)")
    ap.add_argument("--items", default=",".join(modules()), help="items whose procedures run")
    args = ap.parse_args()
    items = [i.strip() for i in args.items.split(",") if i.strip()]
    profiles = sorted(PROFILES.glob("refbench-*.toml"))
    if args.variants:
        wanted = {v.strip() for v in args.variants.split(",")}
        profiles = [p for p in profiles if p.stem.removeprefix("refbench-") in wanted]
    out = ROOT / "runs" / f"validation-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    out.mkdir(parents=True)
    rows, false_pass, false_fail = [], [], []
    for profile in profiles:
        fails = expected_fail(profile)
        result = run_variant(profile, items, out)
        observed = result["observed"]
        assert isinstance(observed, dict)
        cells = {}
        for item in items:
            exp = "FAIL" if item in fails else "PASS"
            got = observed.get(item, "NOT RUN")
            cells[item] = {"expected": exp, "observed": got}
            if exp == "FAIL" and got == "PASS":
                false_pass.append(f"{profile.stem} {item}")
            if exp == "PASS" and got == "FAIL":
                false_fail.append(f"{profile.stem} {item}")
        rows.append({**result, "expected_fail": fails, "cells": cells})
        print(f"{profile.stem:40} " + " ".join(f"{i[-2:]}:{c['observed'][:4]}" for i, c in cells.items()), flush=True)
    matrix = {"items": items, "rows": rows, "false_pass": false_pass, "false_fail": false_fail}
    (out / "matrix.json").write_text(json.dumps(matrix, indent=2), encoding="utf-8")
    lines = ["| variant | " + " | ".join(items) + " |", "|---|" + "---|" * len(items)]
    for r in rows:
        cells = r["cells"]
        assert isinstance(cells, dict)
        marks = []
        for i in items:
            c = cells[i]
            flag = " ✗" if (c["expected"] == "FAIL") != (c["observed"] == "FAIL") else ""
            marks.append(f"{c['observed']} (exp {c['expected']}){flag}")
        lines.append(f"| {str(r['profile']).removesuffix('.toml')} | " + " | ".join(marks) + " |")
    lines += ["", f"false PASS: {len(false_pass)} {false_pass}", f"false FAIL: {len(false_fail)} {false_fail}"]
    (out / "matrix.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[-2:]))
    print(f"matrix: {out / 'matrix.md'}")
    return 1 if false_pass or false_fail else 0


if __name__ == "__main__":
    raise SystemExit(main())
