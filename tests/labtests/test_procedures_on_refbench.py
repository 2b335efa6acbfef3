"""A fast slice of method validation, run in CI: real procedures against the real reference bench.

The hardened device passes; a variant with a defect fails exactly the item that defect breaks; the
record of each run is intact. (The full matrix is scripts/validate.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from refbench.config import lab_config_into
from reports.check import check_run

ROOT = Path(__file__).resolve().parents[2]
STAR1 = ROOT / "labtests" / "star1"
PREPARED_ANSWERS = ROOT / "refbench" / "documents" / "prepared-answers.toml"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("qemu-system-x86_64") is None or not Path("/dev/net/tun").exists(),
    reason="needs root, QEMU and /dev/net/tun (the reference bench)",
)


def lab_config_in(tmp_path: Path) -> Path:
    """The project's lab config, with runs and the register written under ``tmp_path``."""
    return lab_config_into(tmp_path)


def evaluate(variant: str, modules: list[str], tmp_path: Path) -> dict[str, object]:
    return evaluate_profile(ROOT / "device_profiles" / f"refbench-{variant}.toml", modules, tmp_path)


def evaluate_profile(profile: Path, modules: list[str], tmp_path: Path, *more: str) -> dict[str, object]:
    """Run ``modules`` on ``profile`` with the bench's prepared answers (the design reviews need them)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    lab_config_in(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", f"--device={profile}",
         f"--lab-config={tmp_path / 'lab_config.toml'}", "--evaluator", "tech01", "-q", "-p", "no:cacheprovider",
         f"--answers={PREPARED_ANSWERS}", *more, *[str(STAR1 / m) for m in modules]],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    runs = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(runs) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert check_run(runs[0]) == []
    record: dict[str, object] = json.loads((runs[0] / "evaluation.json").read_text(encoding="utf-8"))
    record["_exit"] = proc.returncode
    return record


def verdicts(record: dict[str, object]) -> dict[str, str]:
    items = record["items"]
    assert isinstance(items, list)
    return {i["id"]: i["verdict"] for i in items}


MODULES = ["test_s1_1_01_access_control.py", "test_s1_1_03_password_change.py"]


def test_hardened_device_passes(tmp_path: Path) -> None:
    record = evaluate("hardened", MODULES, tmp_path)
    got = verdicts(record)
    assert (got["S1.1-01"], got["S1.1-03"]) == ("PASS", "PASS"), record["units"]
    assert record["_exit"] == 6  # other items are not covered by this slice: never "conforms"


def with_defects(defects: list[str], tmp_path: Path) -> Path:
    """The hardened profile with several bench defects switched on at once (one bench boot for all)."""
    profile = (ROOT / "device_profiles" / "refbench-hardened.toml").read_text(encoding="utf-8")
    profile = profile.replace("defects = []", "defects = [" + ", ".join(f'"{d}"' for d in defects) + "]")
    profile = profile.replace('path = "../refbench/', f'path = "{ROOT}/refbench/')  # the profile moves to tmp
    tmp_profile = tmp_path / "profile.toml"
    tmp_profile.write_text(profile, encoding="utf-8")
    return tmp_profile


def test_access_control_and_password_change_defects_fail_their_items(tmp_path: Path) -> None:
    """Both defects on one bench (CI time): each item fails. That each fails *only* its item is shown by
    the hardened slice above, the validation slice and the full matrix (tox -e validation)."""
    record = evaluate_profile(with_defects(["unauthenticated_admin", "no_password_change"], tmp_path), MODULES,
                              tmp_path / "runs")
    got = verdicts(record)
    assert (got["S1.1-01"], got["S1.1-03"]) == ("FAIL", "FAIL"), record["units"]


LIFECYCLE = ["test_s1_1_06_software_update.py", "test_s1_1_08_update_integrity.py",
             "test_s1_1_10_model_number.py", "test_s1_1_11_stored_data.py", "test_s1_1_14_resilience.py",
             "test_s1_1_15_data_deletion.py"]
LIFECYCLE_ITEMS = ("S1.1-06", "S1.1-08", "S1.1-10", "S1.1-11", "S1.1-14", "S1.1-15")


def test_lifecycle_procedures_pass_the_hardened_device(tmp_path: Path) -> None:
    record = evaluate("hardened", LIFECYCLE, tmp_path)
    got = verdicts(record)
    assert [got[i] for i in LIFECYCLE_ITEMS] == ["PASS"] * 6, record["units"]


def test_lifecycle_procedures_fail_each_defect(tmp_path: Path) -> None:
    """One unit with five lifecycle defects at once (one bench boot instead of five): each item fails."""
    defects = ["unsigned_update_accepted", "no_model_number", "plaintext_secrets", "settings_lost_on_power_loss",
               "reset_leaves_data"]
    record = evaluate_profile(with_defects(defects, tmp_path), LIFECYCLE, tmp_path / "runs")
    got = verdicts(record)
    assert [got[i] for i in LIFECYCLE_ITEMS] == ["FAIL"] * 6, record["units"]
