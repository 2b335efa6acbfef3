"""Review units in whole evaluation runs (pytester), and completing their answers after the run.

The device is a loopback address with nothing listening: the review needs no device, and the
security.txt aid only notes that it could not fetch one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reports.check import check_run
from reports.complete import main as complete_main
from tests.fixtures.conftest import REPO, Lab

REVIEW_MODULE = """
import pytest
from labtests.star1.reviews import run_review

@pytest.mark.jcstar("S1.1-05")
def test_document_review(unit, reviewer):
    run_review(unit, reviewer)
"""
VDP = "# ACME EXR-1000 脆弱性開示ポリシー\n\n## 2. 連絡先\npsirt@acme.example\n\n## 3. 期限\n5営業日以内に受領確認。\n"


@pytest.fixture
def review_lab(pytester: pytest.Pytester) -> Lab:
    lab = Lab(pytester)
    docs = lab.pytester.path / "docs"
    docs.mkdir()
    (docs / "vdp.md").write_text(VDP, encoding="utf-8")
    path = lab.pytester.path / "dut.toml"
    text = path.read_text(encoding="utf-8").replace(
        'vulnerability_disclosure_policy = { title = "Vulnerability disclosure policy", url',
        'vulnerability_disclosure_policy = { title = "Vulnerability disclosure policy", path = "docs/vdp.md", url',
    )
    path.write_text(text, encoding="utf-8")
    lab.pytester.makepyfile(test_review=REVIEW_MODULE)
    return lab


def fill(template: Path, verdict: str = "pass") -> Path:
    text = template.read_text(encoding="utf-8")
    text = text.replace('verdict = "pending"', f'verdict = "{verdict}"')
    text = text.replace('rationale = ""', 'rationale = "read it: section 2 and 3 say so"')
    out = template.with_name(f"filled-{verdict}.toml")
    out.write_text(text, encoding="utf-8")
    return out


def audit(run: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (run / "audit.jsonl").read_text(encoding="utf-8").splitlines()]


def test_without_answers_the_review_is_pending_and_nothing_conforms(review_lab: Lab) -> None:
    result = review_lab.run()
    assert result.ret == 6
    unit = review_lab.unit("test_document_review")
    assert (unit["verdict"], unit["reason"]) == ("INCONCLUSIVE", "evaluator_input_pending")
    assert all(c["verdict"] in ("pending", "pass") for c in unit["checklist"])
    assert any(c["verdict"] == "pending" for c in unit["checklist"])
    assert review_lab.record()["overall"]["statement"] == "cannot_be_determined"
    result.stdout.fnmatch_lines(["*Review questions awaiting the evaluator:*", "*python -m reports.complete*"])
    # the vendor's document is in the record, hashed and marked as the vendor's
    docs = [e for e in unit["evidence"] if e["path"].endswith("vulnerability_disclosure_policy.md")]
    assert docs and docs[0]["provided_by"] == "vendor"


def test_completing_later_decides_the_same_report_with_an_audit_entry_per_answer(
    review_lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    review_lab.run()
    (run,) = review_lab.runs()
    template = tmp_path / "answers.toml"
    assert complete_main([str(run), "--template", str(template)]) == 0
    text = template.read_text(encoding="utf-8")
    pending = re.findall(r'^check = "(S1\.1-05\.[a-z_]+)"', text, re.M)
    assert pending and "sha256 = " in text
    before = len(audit(run))
    # the template as written (every verdict still "pending") answers nothing
    assert complete_main([str(run), "--answers", str(template)]) == 6
    assert review_lab.unit("test_document_review")["verdict"] == "INCONCLUSIVE"
    status = complete_main([str(run), "--answers", str(fill(template))])
    assert status == 6  # the other fifteen items have no procedure in this project
    rec = review_lab.record()
    assert rec["report_id"] == run.name and len(review_lab.runs()) == 1
    unit = review_lab.unit("test_document_review")
    assert unit["verdict"] == "PASS", unit["rationale"]
    assert review_lab.item("S1.1-05")["verdict"] == "PASS"
    answers = [c["answer"] for c in unit["checklist"] if c["answer"]]
    assert {a["evaluator_id"] for a in answers} == {"tech01"}
    assert all(a["source_file"] and a["source_file"].startswith("inputs/answers-") for a in answers)
    entries = [e for e in audit(run)[before:] if e["action"] == "answer.recorded"]
    assert sorted(e["check"] for e in entries) == sorted(pending)
    assert [c["answered"] for c in rec["completions"]][-1] == pending
    assert check_run(run) == []
    assert "Statement of conformity" in capsys.readouterr().out


def test_an_answers_file_given_at_the_run_decides_it_there(review_lab: Lab, tmp_path: Path) -> None:
    review_lab.run()
    (first,) = review_lab.runs()
    template = tmp_path / "answers.toml"
    complete_main([str(first), "--template", str(template)])
    filled = fill(template, "fail")
    result = review_lab.run(f"--answers={filled}")
    assert result.ret == 1
    unit = review_lab.unit("test_document_review")
    assert unit["verdict"] == "FAIL"
    run = review_lab.runs()[-1]
    assert (run / "inputs" / "answers-1.toml").read_text(encoding="utf-8") == filled.read_text(encoding="utf-8")
    assert any(e["action"] == "answer.recorded" and e["verdict"] == "fail" for e in audit(run))


def test_an_answer_for_another_version_of_the_document_leaves_it_pending(review_lab: Lab, tmp_path: Path) -> None:
    review_lab.run()
    template = tmp_path / "answers.toml"
    complete_main([str(review_lab.runs()[0]), "--template", str(template)])
    filled = fill(template)
    # the vendor sends a new version of the policy: the prepared answers were for the old one
    (review_lab.pytester.path / "docs" / "vdp.md").write_text(VDP + "\n(改訂)\n", encoding="utf-8")
    review_lab.run(f"--answers={filled}")
    unit = review_lab.unit("test_document_review")
    assert unit["verdict"] == "INCONCLUSIVE"
    notes = [c["detail"] for c in unit["checklist"] if c["verdict"] == "pending"]
    assert notes and all("another version" in n for n in notes if "vulnerability_disclosure_policy" in n)


def test_a_bad_answers_file_stops_the_run_before_a_report_id_is_taken(review_lab: Lab, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('schema_version = 1\n[[answers]]\ncheck = "S1.1-05.contact"\nevaluator = "ghost"\n'
                   'at = 2026-11-28T10:00:00Z\nverdict = "pass"\nrationale = "fine"\ndocument = "ixit"\n',
                   encoding="utf-8")
    result = review_lab.run(f"--answers={bad}")
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*{bad}*answers[[]0[]].evaluator*"])
    assert not review_lab.out.exists() or review_lab.runs() == []


def test_ask_without_a_terminal_leaves_the_questions_pending(review_lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the procedures' package, for the child pytest
    result = review_lab.run_subprocess("--ask", timeout=120)  # its stdin is closed: no terminal to ask at
    assert result.ret == 6
    unit = review_lab.unit("test_document_review")
    assert (unit["verdict"], unit["reason"]) == ("INCONCLUSIVE", "evaluator_input_pending")
    run = review_lab.runs()[-1]
    assert any(e["action"] == "answer.ask" and e["outcome"] == "error" for e in audit(run))


def test_an_altered_record_is_not_completed(
    review_lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    review_lab.run()
    (run,) = review_lab.runs()
    template = tmp_path / "answers.toml"
    complete_main([str(run), "--template", str(template)])
    record = run / "evaluation.json"
    record.write_text(record.read_text(encoding="utf-8").replace("INCONCLUSIVE", "PASS"), encoding="utf-8")
    assert complete_main([str(run), "--answers", str(fill(template))]) == 4
    assert "not intact" in capsys.readouterr().err


def test_answers_never_turn_a_broken_review_unit_into_a_pass(review_lab: Lab, tmp_path: Path) -> None:
    """The unit built its checklist, then the procedure broke: completing the answers leaves it INCONCLUSIVE."""
    broken = "    run_review(unit, reviewer)\n    raise RuntimeError('broke after the review')"
    review_lab.pytester.makepyfile(test_review=REVIEW_MODULE.replace("    run_review(unit, reviewer)", broken))
    review_lab.run()
    (run,) = review_lab.runs()
    unit = review_lab.unit("test_document_review")
    assert (unit["verdict"], unit["reason"]) == ("INCONCLUSIVE", "harness_error")
    template = tmp_path / "answers.toml"
    complete_main([str(run), "--template", str(template)])
    complete_main([str(run), "--answers", str(fill(template))])
    unit = review_lab.unit("test_document_review")
    assert (unit["verdict"], unit["reason"]) == ("INCONCLUSIVE", "harness_error")
    assert all(c["verdict"] == "pass" for c in unit["checklist"])  # the answers are kept all the same
    assert review_lab.item("S1.1-05")["verdict"] == "INCONCLUSIVE"
