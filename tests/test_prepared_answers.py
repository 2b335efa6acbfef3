"""The reference device's prepared answers: current, and deciding exactly what each variant's
documents deserve (the review itself, with a real session and run folder, no device)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.answers import checklist_verdict
from fixtures.review import Reviewer
from fixtures.session import EvaluationSession
from reports.model import EvidenceRef, Verdict

ROOT = Path(__file__).resolve().parents[1]
PREPARED = ROOT / "refbench" / "documents" / "prepared-answers.toml"
ITEMS = [f"S1.1-{n:02d}" for n in range(1, 17)]


def test_the_committed_file_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_prepared_answers.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def review(variant: str, tmp_path: Path) -> dict[str, Verdict]:
    lab = (ROOT / "lab_config.toml").read_text(encoding="utf-8")
    lab = lab.replace('output_dir = "runs"', f'output_dir = "{tmp_path}"').replace(
        'register_db = "runs/register.sqlite3"', f'register_db = "{tmp_path}/register.sqlite3"')
    (tmp_path / "lab.toml").write_text(lab, encoding="utf-8")
    ev = EvaluationSession(ROOT / "device_profiles" / f"refbench-{variant}.toml", tmp_path / "lab.toml", "tech01",
                           False, answers=[PREPARED])
    try:
        reviewer = Reviewer(ev, None)  # no device: the security.txt aid only notes it

        def save(name: str, text: str, description: str) -> EvidenceRef:
            return ev.run.write_text(tmp_path / name, text, None, description)

        verdicts = {}
        for item in ITEMS:
            checks = reviewer.checklist(item, f"review::{item}", ev.run.unit_dir(f"review::{item}"), save)
            verdicts[item] = checklist_verdict(checks, None)[0]
        return verdicts
    finally:
        ev.audit.close()


@pytest.mark.parametrize(
    ("variant", "failing"),
    [
        ("hardened", set()),
        ("telnet-enabled", set()),  # a device defect: its documents and declarations are the hardened ones
        ("vdp-without-timelines", {"S1.1-05"}),
        ("no-support-period", {"S1.1-09", "S1.1-16"}),
    ],
)
def test_each_variant_gets_exactly_the_verdicts_its_documents_deserve(
    variant: str, failing: set[str], tmp_path: Path
) -> None:
    verdicts = review(variant, tmp_path)
    assert {i for i, v in verdicts.items() if v is Verdict.FAIL} == failing
    assert all(v is Verdict.PASS for i, v in verdicts.items() if i not in failing), verdicts


def test_a_changed_document_is_not_judged_by_the_prepared_answers(tmp_path: Path) -> None:
    """The vendor sends a new manual: every question reading it waits for the evaluator again."""
    profile = (ROOT / "device_profiles" / "refbench-hardened.toml").read_text(encoding="utf-8")
    manual = tmp_path / "manual.md"
    manual.write_text((ROOT / "refbench" / "documents" / "user-manual.md").read_text(encoding="utf-8") + "\n改訂\n",
                      encoding="utf-8")
    profile = profile.replace('path = "../refbench/', f'path = "{ROOT}/refbench/').replace(
        f'path = "{ROOT}/refbench/documents/user-manual.md"', f'path = "{manual}"')
    variant = ROOT / "device_profiles" / "refbench-hardened.toml"
    copy = tmp_path / "refbench-edited.toml"
    copy.write_text(profile, encoding="utf-8")
    lab = (ROOT / "lab_config.toml").read_text(encoding="utf-8").replace(
        'output_dir = "runs"', f'output_dir = "{tmp_path}"').replace(
        'register_db = "runs/register.sqlite3"', f'register_db = "{tmp_path}/register.sqlite3"')
    (tmp_path / "lab.toml").write_text(lab, encoding="utf-8")
    assert variant.exists()
    ev = EvaluationSession(copy, tmp_path / "lab.toml", "tech01", False, answers=[PREPARED])
    try:
        reviewer = Reviewer(ev, None)
        checks = reviewer.checklist("S1.1-16", "review::16", ev.run.unit_dir("review::16"),
                                    lambda n, t, d: ev.run.write_text(tmp_path / n, t, None, d))
        verdict, reason, _ = checklist_verdict(checks, None)
        assert verdict is Verdict.INCONCLUSIVE and reason is not None
        assert all("another version of 'user_manual'" in c.detail for c in checks if c.verdict.value == "pending")
    finally:
        ev.audit.close()
