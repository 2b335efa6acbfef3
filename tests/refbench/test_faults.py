"""Fault injection (issue 8): the CI subset of the cases on the reference bench, and the parts that need
no bench."""

from __future__ import annotations

import ast
import shutil
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from refbench.faults import (
    CASES,
    FAULTS_NAME,
    STAR1,
    CaseResult,
    FaultTable,
    UnitOutcome,
    main,
    path_without,
    table_markdown,
)
from reports.model import Reason, Verdict
from tests.labtests.test_procedures_on_refbench import pytestmark as bench  # the bench requirements


def test_a_path_without_a_tool_hides_only_that_tool(tmp_path: Path) -> None:
    assert shutil.which("sh") is not None and shutil.which("ls") is not None
    path = path_without("sh", tmp_path)["PATH"]
    assert shutil.which("sh", path=path) is None
    assert shutil.which("ls", path=path) is not None


def _items_of(module: Path) -> dict[str, str]:
    """Test function name -> the JC-STAR item its jcstar marker names."""
    items = {}
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "jcstar"
                        and dec.args and isinstance(dec.args[0], ast.Constant)):
                    items[node.name] = str(dec.args[0].value)
    return items


def test_every_case_targets_a_defect_its_units_detect() -> None:
    """The true answer of every targeted unit is FAIL (its item is one the variant's defect breaks), so a
    PASS under the fault can only be a false PASS."""
    from refbench.validate import PROFILES

    for case in CASES:
        profile = PROFILES / f"refbench-{case.variant}.toml"
        expected_fail = tomllib.loads(profile.read_text(encoding="utf-8"))["validation"]["expected_fail"]
        assert case.reasons and case.targets, case.name
        assert (case.trigger is None) == (case.inject is None), case.name
        items: dict[str, str] = {}
        for module in case.modules:
            items |= _items_of(STAR1 / module)
        for target in case.targets:
            name = target.split("[")[0]
            assert name in items, f"{case.name}: {name} is not a unit of {case.modules}"
            assert items[name] in expected_fail, f"{case.name}: {case.variant} does not break {items[name]}"
            assert case.keyword is None or name in case.keyword, case.name
    assert any(c.in_ci for c in CASES)
    assert len({c.name for c in CASES}) == len(CASES)


def test_the_table_shows_each_fault_and_counts_false_passes() -> None:
    result = CaseResult(case="c", fault="the device stops answering", variant="no-model-number", injected_at=None,
                        report_id="JCL-1", run_folder="x", exit_status=6, seconds=1.0,
                        targets=[UnitOutcome(unit="t", verdict=Verdict.PASS, reason=None, rationale="")],
                        false_pass=True, holds=False, evidence_intact=True, left_behind="", problems=["t: PASS"])
    table = FaultTable(started=datetime.now(UTC), finished=None, cases=[result], false_pass=1, all_hold=False)
    text = table_markdown(table)
    assert "the device stops answering | no-model-number | t | PASS" in text and "false PASS: 1" in text
    assert Reason.TIMEOUT.value == "timeout"


@bench
def test_the_ci_fault_cases_hold_with_no_false_pass(tmp_path: Path) -> None:
    assert main(["--cases", "ci", "--out", str(tmp_path)]) == 0, (tmp_path / FAULTS_NAME).read_text()
    table = FaultTable.model_validate_json((tmp_path / FAULTS_NAME).read_bytes())
    assert table.false_pass == 0 and table.all_hold
    assert {c.case for c in table.cases} == {c.name for c in CASES if c.in_ci}
    for c in table.cases:
        assert c.evidence_intact and not c.left_behind
        assert all(o.verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE) for o in c.targets)
