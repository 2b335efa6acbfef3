"""A device that stops answering in the middle of a procedure: the unit ends INCONCLUSIVE with a reason,
never PASS, and the record stays intact. Real procedure (S1.1-04's brute-force measurement over SSH),
real reference device, powered off from outside while the measurement runs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from reports.check import check_run
from tests.labtests.test_procedures_on_refbench import ROOT, STAR1, lab_config_in, pytestmark  # noqa: F401 - same skip rule

UNIT = "test_guessing_rate_is_limited"


def started_units(run: Path) -> list[str]:
    audit = run / "audit.jsonl"
    if not audit.exists():
        return []
    lines = audit.read_text(encoding="utf-8").splitlines()
    return [str(rec["unit"]) for rec in map(json.loads, lines) if rec["action"] == "unit.start"]


def test_power_lost_during_the_brute_force_measurement(tmp_path: Path) -> None:
    lab = lab_config_in(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", f"--device={ROOT / 'device_profiles' / 'refbench-hardened.toml'}",
         f"--lab-config={lab}", "--evaluator", "tech01", "-q", "-p", "no:cacheprovider",
         str(STAR1 / "test_s1_1_04_bruteforce.py"), "-k", f"{UNIT} and ssh"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        run: Path | None = None
        while time.monotonic() < deadline and proc.poll() is None:
            run = next((p for p in tmp_path.iterdir() if p.is_dir()), None)
            if run is not None and any(UNIT in u for u in started_units(run)):
                break
            time.sleep(0.5)
        assert run is not None and proc.poll() is None, "the measurement did not start"
        time.sleep(5)  # well inside the measurement, which takes minutes on a healthy device
        cut = datetime.now(UTC)
        subprocess.run([sys.executable, "-m", "refbench", "power", "off"], cwd=ROOT, check=True, timeout=60,
                       capture_output=True)
        out, _ = proc.communicate(timeout=1200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert check_run(run) == [], out[-3000:]
    record = json.loads((run / "evaluation.json").read_text(encoding="utf-8"))
    [unit] = [u for u in record["units"] if UNIT in u["name"]]
    assert datetime.fromisoformat(unit["started"]) < cut < datetime.fromisoformat(unit["finished"])
    assert unit["verdict"] == "INCONCLUSIVE", unit
    assert unit["reason"] in ("device_unreachable", "timeout"), unit
    [item] = [i for i in record["items"] if i["id"] == "S1.1-04"]
    assert item["verdict"] == "INCONCLUSIVE"
    assert record["overall"]["statement"] == "cannot_be_determined"
    assert proc.returncode == 6, out[-3000:]
    assert subprocess.run(["pgrep", "-f", "qemu-system"], capture_output=True, check=False).returncode == 1


def test_a_pdu_that_does_not_answer_leaves_the_resilience_unit_inconclusive(tmp_path: Path) -> None:
    """The lab config points the bench's PDU entry at an address where no agent listens: the power-loss
    unit is INCONCLUSIVE (lab equipment fault) with a message naming the PDU; nothing is PASSed."""
    lab = lab_config_in(tmp_path)
    text = lab.read_text(encoding="utf-8")
    assert 'host = "203.0.113.1"' in text
    lab.write_text(text.replace('host = "203.0.113.1"', 'host = "203.0.113.99"'), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", f"--device={ROOT / 'device_profiles' / 'refbench-hardened.toml'}",
         f"--lab-config={lab}", "--evaluator", "tech01", "-q", "-p", "no:cacheprovider",
         str(STAR1 / "test_s1_1_14_resilience.py"), "-k", "power"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    [run] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert check_run(run) == [], proc.stdout[-3000:]
    record = json.loads((run / "evaluation.json").read_text(encoding="utf-8"))
    [unit] = record["units"]
    assert unit["verdict"] == "INCONCLUSIVE" and unit["reason"] == "lab_equipment_fault", unit
    assert "RB-PDU" in unit["rationale"], unit["rationale"]
    assert proc.returncode == 6
