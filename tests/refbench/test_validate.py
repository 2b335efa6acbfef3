"""The validation command on the reference bench (the CI slice of the matrix in issue 8): real runs,
a real record, a detected defect; and a variant stopped at its time limit ends incomplete, its run
closed as interrupted, nothing left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from refbench.validate import main
from reports.check import check_run
from reports.validation import VALIDATION_NAME, ValidationRecord
from tests.labtests.test_procedures_on_refbench import lab_config_in, pytestmark  # noqa: F401


def namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_a_defect_is_detected_by_its_item_and_the_hardened_device_passes(tmp_path: Path) -> None:
    lab = lab_config_in(tmp_path)
    out = tmp_path / "validation"
    code = main(["--variants", "hardened,no-model-number", "--items", "S1.1-10", "--lab-config", str(lab),
                 "--out", str(out)])
    record = ValidationRecord.model_validate_json((out / VALIDATION_NAME).read_bytes())
    assert code == 0, json.dumps(record.model_dump(mode="json")["variants"], indent=1)[:3000]
    assert record.conclusion == "valid" and not record.full and record.items == ["S1.1-10"]
    [s10] = record.per_item
    assert (s10.hardened, s10.detected, s10.sensitivity, s10.specificity) == ("PASS", 1, 1.0, 1.0)
    for v in record.variants:  # each cell rests on a real, intact run folder
        assert v.report_id and v.run_folder and check_run(Path(v.run_folder)) == []
    assert {p.name for p in (out / "rendered").iterdir()} == {"validation-ja.html", "validation-en.html"}
    assert "妥当" in (out / "rendered" / "validation-ja.html").read_text(encoding="utf-8")


def test_a_variant_stopped_at_its_time_limit_leaves_the_validation_incomplete(tmp_path: Path) -> None:
    before = namespaces()
    lab = lab_config_in(tmp_path)
    out = tmp_path / "validation"
    code = main(["--variants", "hardened", "--items", "S1.1-13", "--lab-config", str(lab), "--out", str(out),
                 "--variant-timeout", "25"])
    record = ValidationRecord.model_validate_json((out / VALIDATION_NAME).read_bytes())
    assert code == 6 and record.conclusion == "incomplete"
    [v] = record.variants
    assert v.problem and "time limit" in v.problem
    assert record.inconclusive == ["hardened S1.1-13"]
    if v.run_folder:  # the interrupted run closed its record, and it is intact
        run = json.loads((Path(v.run_folder) / "evaluation.json").read_text(encoding="utf-8"))
        assert run["state"] == "interrupted" and check_run(Path(v.run_folder)) == []
    assert namespaces() <= before
    left = subprocess.run(["pgrep", "-f", "qemu-system"], capture_output=True, text=True, check=False).stdout
    assert not left.strip()
