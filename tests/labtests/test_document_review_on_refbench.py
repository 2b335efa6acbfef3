"""The document review on the reference device (CI slice of issue 6).

Without answers the four document items stay pending and nothing conforms; completing the answers
afterwards decides them in the same report, one audit entry per answer. The document defects fail
their items with the prepared answers, offline (a review needs no device).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from reports.check import check_run
from tests.labtests.test_procedures_on_refbench import (
    PREPARED_ANSWERS,
    ROOT,
    STAR1,
    evaluate_profile,
    pytestmark,  # noqa: F401  (the same bench requirements)
    verdicts,
)

DOCUMENT_MODULES = ["test_s1_1_05_disclosure_policy.py", "test_s1_1_07_update_procedure.py",
                    "test_s1_1_09_update_policy.py", "test_s1_1_16_user_information.py"]
DOCUMENT_ITEMS = ("S1.1-05", "S1.1-07", "S1.1-09", "S1.1-16")


def run_folder(tmp_path: Path) -> Path:
    [run] = [p for p in tmp_path.iterdir() if p.is_dir()]
    return run


def test_without_answers_pending_then_completed_into_the_same_report(tmp_path: Path) -> None:
    lab = tmp_path / "lab_config.toml"
    tmp_path.mkdir(exist_ok=True)
    from tests.labtests.test_procedures_on_refbench import lab_config_in

    lab_config_in(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", f"--device={ROOT / 'device_profiles' / 'refbench-hardened.toml'}",
         f"--lab-config={lab}", "--evaluator", "tech01", "-q", "-p", "no:cacheprovider",
         *[str(STAR1 / m) for m in DOCUMENT_MODULES]],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False, stdin=subprocess.DEVNULL)
    run = run_folder(tmp_path)
    record = json.loads((run / "evaluation.json").read_text(encoding="utf-8"))
    assert proc.returncode == 6, proc.stdout[-3000:]
    assert record["overall"]["statement"] == "cannot_be_determined"
    items = {i["id"]: i for i in record["items"]}
    for item in DOCUMENT_ITEMS:
        assert (items[item]["verdict"], items[item]["reason"]) == ("INCONCLUSIVE", "evaluator_input_pending")
    # the aids ran: the device's security.txt was fetched and parsed
    [s05] = [u for u in record["units"] if u["item"] == "S1.1-05"]
    aids = [c["aid"] for c in s05["checklist"] if c["aid"] and c["aid"]["aid"] == "security_txt"]
    assert aids and "valid security.txt" in aids[0]["detail"], aids
    # completed the next morning, without the device: the same report id, an audit entry per answer
    done = subprocess.run([sys.executable, "-m", "reports.complete", str(run), "--answers", str(PREPARED_ANSWERS)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    record = json.loads((run / "evaluation.json").read_text(encoding="utf-8"))
    assert check_run(run) == [], done.stdout + done.stderr
    got = verdicts(record)
    assert [got[i] for i in DOCUMENT_ITEMS] == ["PASS"] * 4, done.stdout
    answered = record["completions"][-1]["answered"]
    audit = [json.loads(line) for line in (run / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    recorded = [a["check"] for a in audit if a["action"] == "answer.recorded"]
    assert sorted(recorded) == sorted(answered) and answered
    assert all(re.match(r"S1\.1-(05|07|09|16)\.", c) for c in answered)
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [run.name]


def _offline(variant: str, tmp_path: Path) -> dict[str, object]:
    """The variant's profile without the bench: the review runs, nothing is sent (scope refused)."""
    text = (ROOT / "device_profiles" / f"refbench-{variant}.toml").read_text(encoding="utf-8")
    text = text.replace('path = "../refbench/', f'path = "{ROOT}/refbench/')
    text = re.sub(r"(?ms)^\[reference_bench\]\n.*?(?=^\[)", "", text)
    tmp_path.mkdir(parents=True, exist_ok=True)
    profile = tmp_path / f"{variant}.toml"
    profile.write_text(text, encoding="utf-8")
    return evaluate_profile(profile, DOCUMENT_MODULES, tmp_path / "runs")


def test_document_defects_fail_their_items_with_the_prepared_answers(tmp_path: Path) -> None:
    record = _offline("hardened", tmp_path / "h")
    hardened = verdicts(record)
    assert [hardened[i] for i in DOCUMENT_ITEMS] == ["PASS"] * 4, record["units"]
    units = record["units"]
    assert isinstance(units, list)
    answers = [c["answer"] for u in units for c in u["checklist"] if c["answer"]]
    assert answers and all(a["prepared"] for a in answers)  # marked as prepared in the record
    vdp = verdicts(_offline("vdp-without-timelines", tmp_path / "v"))
    assert [vdp[i] for i in DOCUMENT_ITEMS] == ["FAIL", "PASS", "PASS", "PASS"]
    nsp = verdicts(_offline("no-support-period", tmp_path / "n"))
    assert [nsp[i] for i in DOCUMENT_ITEMS] == ["PASS", "PASS", "FAIL", "FAIL"]
