"""Method validation on the reference bench: the complete ★1 evaluation of the hardened device and of
every defect variant, and the matrix of expected against observed verdicts (reports/validation.py).

    python -m refbench.validate [--variants hardened,telnet-enabled,…] [--items S1.1-01,S1.1-13]
                                [--variant-timeout S] [--out DIR]

Each variant is a real evaluation run (its own report id and run folder, the evidence of the
validation), made with the bench's prepared evaluator answers. ``validation.json`` is rewritten after
every variant, so an interrupted validation keeps what it measured. The record is rendered in
Japanese and English (``rendered/validation-<lang>.html``) for the lab's QA.

Exit 0: valid (every defect detected by exactly its items, every other item passed); 1: a false PASS
or a false FAIL; 6: incomplete (an inconclusive cell, a run that gave no record); 4: bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from fixtures.environment import collect
from reports.manifest import atomic_write_text
from reports.model import EvaluationRecord, Verdict
from reports.validation import VALIDATION_NAME, ValidationRecord, VariantRun, cells, conclude, per_item
from reports.validation_html import write_rendered

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "device_profiles"
MODULE_DIR = ROOT / "labtests" / "star1"
# Each prepared answer is bound to one version of one document, so a variant with a defective
# document gets the answer written for that version (or none: pending, and the cell is inconclusive).
PREPARED_ANSWERS = ROOT / "refbench" / "documents" / "prepared-answers.toml"
VARIANT_TIMEOUT = 45 * 60.0
INTERRUPT_GRACE = 120.0
EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 4, 6


def modules() -> dict[str, Path]:
    """The procedure module of each ★1 item, found by name: test_s1_1_NN_<what>.py is S1.1-NN."""
    return {f"S1.1-{p.name[10:12]}": p for p in sorted(MODULE_DIR.glob("test_s1_1_[0-9][0-9]_*.py"))}


def variant_profiles() -> list[Path]:
    """Every bench variant, the hardened device first."""
    found = sorted(PROFILES.glob("refbench-*.toml"))
    return sorted(found, key=lambda p: p.stem != "refbench-hardened")


def variant_name(profile: Path) -> str:
    return profile.stem.removeprefix("refbench-")


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def stop_run(proc: subprocess.Popen[bytes], grace: float = 0) -> None:
    """Stop a harness run (in its own session) like Ctrl-C, so it closes its record as interrupted, and
    for good after ``grace`` seconds (default INTERRUPT_GRACE). A run frozen for an injection goes on first."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGCONT)
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=grace or INTERRUPT_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_variant(profile: Path, items: list[str], logs: Path, timeout: float,
                lab_config: Path | None = None) -> VariantRun:
    data = tomllib.loads(profile.read_text(encoding="utf-8"))
    expected_fail = list(data.get("validation", {}).get("expected_fail", []))
    defects = list(data.get("reference_bench", {}).get("defects", []))
    files = [str(modules()[i]) for i in items]
    cmd = [sys.executable, "-m", "pytest", f"--device={profile}", "--evaluator", "tech01", "-q",
           "-p", "no:cacheprovider", f"--answers={PREPARED_ANSWERS}", *files]
    if lab_config is not None:
        cmd.insert(4, f"--lab-config={lab_config}")
    start = time.monotonic()
    log = logs / f"{variant_name(profile)}.log"
    problem = None
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Ctrl-C first: the run closes its record (interrupted) and the bench comes down cleanly.
            problem = f"stopped after {timeout:g} s (the variant's time limit)"
            stop_run(proc)
        except KeyboardInterrupt:
            # The run is in its own session, so the technician's Ctrl-C did not reach it: passed on, so it
            # closes in order instead of going on alone with the bench.
            stop_run(proc)
            raise
    text = log.read_text(encoding="utf-8", errors="replace")
    record_line = next((ln for ln in text.splitlines() if ln.startswith("Record: ")), "")
    record_path = Path(record_line.split()[1]) if record_line else None
    observed: dict[str, Verdict] = {}
    report_id = folder = None
    if record_path is not None and record_path.is_file():
        try:
            record = EvaluationRecord.model_validate_json(record_path.read_bytes())
            observed = {i.id: i.verdict for i in record.items}
            report_id, folder = record.report_id, str(record_path.parent.relative_to(ROOT)
                                                       if record_path.is_relative_to(ROOT) else record_path.parent)
        except ValueError as exc:
            problem = f"{record_path}: not a readable record ({type(exc).__name__})"
    elif problem is None:
        problem = f"the run printed no record (exit {proc.returncode}); see {log.name}"
    return VariantRun(
        variant=variant_name(profile),
        profile=str(profile.relative_to(ROOT)),
        profile_sha256=_sha256(profile) or "",
        defects=defects,
        expected_fail=expected_fail,
        report_id=report_id,
        run_folder=folder,
        record_sha256=_sha256(record_path) if record_path else None,
        manifest_sha256=_sha256(record_path.parent / "manifest.json") if record_path else None,
        exit_status=proc.returncode,
        seconds=round(time.monotonic() - start, 1),
        cells=cells(items, expected_fail, observed),
        problem=problem,
    )


def build_record(validation_id: str, started: datetime, items: list[str], variants: list[VariantRun],
                 finished: datetime | None, purpose: str) -> ValidationRecord:
    false_pass, false_fail, inconclusive, conclusion = conclude(variants)
    env = collect()
    return ValidationRecord(
        validation_id=validation_id, purpose=purpose, started=started, finished=finished,
        criteria="JC-STAR ★1", environment=env, items=items, full=set(items) == set(modules()),
        variants=variants, per_item=per_item(items, variants), false_pass=false_pass, false_fail=false_fail,
        inconclusive=inconclusive, conclusion=conclusion,
    )


def save(out: Path, record: ValidationRecord) -> None:
    atomic_write_text(out / VALIDATION_NAME, record.model_dump_json(indent=2) + "\n")
    write_rendered(out, record)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m refbench.validate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", help="comma-separated variant names (default: every refbench-*.toml)")
    ap.add_argument("--items", help="comma-separated items whose procedures run (default: all sixteen)")
    ap.add_argument("--variant-timeout", type=float, default=VARIANT_TIMEOUT, metavar="S")
    ap.add_argument("--purpose", default="method validation of the ★1 procedures on the reference bench")
    ap.add_argument("--out", type=Path, help="default: runs/validation-<UTC time>/")
    ap.add_argument("--lab-config", type=Path, help="passed to every run (default: the project's lab_config.toml)")
    a = ap.parse_args(argv)
    known = modules()
    items = [i.strip() for i in (a.items or ",".join(known)).split(",") if i.strip()]
    unknown = [i for i in items if i not in known]
    profiles = variant_profiles()
    if a.variants:
        wanted = [v.strip() for v in a.variants.split(",") if v.strip()]
        by_name = {variant_name(p): p for p in profiles}
        missing = [w for w in wanted if w not in by_name]
        if missing or unknown:
            print(f"ERROR: unknown {'variants ' + ', '.join(missing) if missing else ''}"
                  f"{'; ' if missing and unknown else ''}{'items ' + ', '.join(unknown) if unknown else ''} "
                  f"(variants: {', '.join(by_name)}; items: {', '.join(known)})", file=sys.stderr)
            return EXIT_USAGE
        profiles = [by_name[w] for w in wanted]
    elif unknown:
        print(f"ERROR: unknown items {', '.join(unknown)} (items: {', '.join(known)})", file=sys.stderr)
        return EXIT_USAGE
    started = datetime.now(UTC)
    validation_id = "VAL-" + started.strftime("%Y%m%dT%H%M%SZ")
    out = a.out or ROOT / "runs" / f"validation-{started.strftime('%Y%m%dT%H%M%S')}"
    (out / "logs").mkdir(parents=True, exist_ok=True)
    variants: list[VariantRun] = []
    save(out, build_record(validation_id, started, items, variants, None, a.purpose))
    try:
        for profile in profiles:
            v = run_variant(profile, items, out / "logs", a.variant_timeout, a.lab_config)
            variants.append(v)
            save(out, build_record(validation_id, started, items, variants, None, a.purpose))
            print(f"{v.variant:32} {v.report_id or '-':15} " + " ".join(
                f"{c.item[-2:]}:{c.outcome.value}" for c in v.cells if c.outcome.value != "passed"), flush=True)
    except KeyboardInterrupt:
        print("interrupted: the record keeps the variants measured so far", file=sys.stderr)
    record = build_record(validation_id, started, items, variants, datetime.now(UTC), a.purpose)
    if len(variants) < len(profiles):
        record = record.model_copy(update={"conclusion": "incomplete" if record.conclusion == "valid"
                                           else record.conclusion})
    save(out, record)
    print(f"false PASS: {len(record.false_pass)} {record.false_pass}")
    print(f"false FAIL: {len(record.false_fail)} {record.false_fail}")
    print(f"inconclusive: {len(record.inconclusive)} {record.inconclusive}")
    print(f"validation {record.conclusion}: {out / VALIDATION_NAME}")
    return {"valid": EXIT_VALID, "invalid": EXIT_INVALID}.get(record.conclusion, EXIT_INCOMPLETE)


if __name__ == "__main__":
    raise SystemExit(main())
