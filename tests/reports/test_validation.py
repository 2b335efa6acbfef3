"""The method validation record: cells, sensitivity and specificity, the conclusion, and its rendering."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from reports.model import Environment, Verdict
from reports.validation import (
    Outcome,
    ValidationRecord,
    VariantRun,
    cells,
    conclude,
    outcome,
    per_item,
)
from reports.validation_html import LANGS, render

ITEMS = ["S1.1-02", "S1.1-12", "S1.1-13"]
ENV = Environment(harness_version="0.1.0", git_commit="c" * 40, git_dirty=False, python="3.11", platform="Linux",
                  host="lab", packages={}, tools=[])


def run(variant: str, expected_fail: list[str], observed: dict[str, Verdict], defects: list[str] | None = None,
        report_id: str | None = "JCL-2026-0001") -> VariantRun:
    return VariantRun(variant=variant, profile=f"device_profiles/refbench-{variant}.toml", profile_sha256="a" * 64,
                      defects=[variant.replace("-", "_")] if defects is None else defects,
                      expected_fail=expected_fail, report_id=report_id, run_folder="runs/X", record_sha256="b" * 64,
                      manifest_sha256="c" * 64, exit_status=1, seconds=1.0,
                      cells=cells(ITEMS, expected_fail, observed))


def record(variants: list[VariantRun]) -> ValidationRecord:
    fp, ff, inc, conclusion = conclude(variants)
    return ValidationRecord(validation_id="VAL-1", purpose="p", started=datetime(2026, 11, 29, tzinfo=UTC),
                            finished=None, criteria="JC-STAR ★1", environment=ENV, items=ITEMS, full=False,
                            variants=variants, per_item=per_item(ITEMS, variants), false_pass=fp, false_fail=ff,
                            inconclusive=inc, conclusion=conclusion)


P, F, INC, NA = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.NOT_APPLICABLE


def test_each_cell_says_what_it_proves() -> None:
    assert outcome("FAIL", F) is Outcome.DETECTED
    assert outcome("FAIL", P) is Outcome.FALSE_PASS
    assert outcome("FAIL", NA) is Outcome.FALSE_PASS  # a not-applicable claim that hides the defect
    assert outcome("FAIL", INC) is Outcome.INCONCLUSIVE and outcome("FAIL", None) is Outcome.INCONCLUSIVE
    assert outcome("PASS", P) is Outcome.PASSED and outcome("PASS", F) is Outcome.FALSE_FAIL
    assert outcome("PASS", NA) is Outcome.INCONCLUSIVE and outcome("PASS", None) is Outcome.INCONCLUSIVE


def test_a_valid_matrix_and_its_sensitivity_and_specificity() -> None:
    variants = [
        run("hardened", [], {"S1.1-02": P, "S1.1-12": P, "S1.1-13": P}, defects=[]),
        run("telnet-enabled", ["S1.1-12", "S1.1-13"], {"S1.1-02": P, "S1.1-12": F, "S1.1-13": F}),
        run("default-password", ["S1.1-02"], {"S1.1-02": F, "S1.1-12": P, "S1.1-13": P}),
    ]
    r = record(variants)
    assert r.conclusion == "valid" and r.false_pass == [] and r.false_fail == []
    s13 = next(p for p in r.per_item if p.item == "S1.1-13")
    assert (s13.defects_expected, s13.detected, s13.sensitivity) == (1, 1, 1.0)
    assert (s13.must_pass, s13.passed, s13.specificity, s13.hardened) == (2, 2, 1.0, P)


def test_a_missed_defect_makes_it_invalid_and_an_open_question_incomplete() -> None:
    r = record([run("hardened", [], {"S1.1-02": P, "S1.1-12": P, "S1.1-13": P}, defects=[]),
                run("weak-tls", ["S1.1-12"], {"S1.1-02": P, "S1.1-12": P, "S1.1-13": P})])
    assert r.conclusion == "invalid" and r.false_pass == ["weak-tls S1.1-12"]
    assert next(p for p in r.per_item if p.item == "S1.1-12").sensitivity == 0.0
    r = record([run("hardened", [], {"S1.1-02": P, "S1.1-12": INC, "S1.1-13": P}, defects=[])])
    assert r.conclusion == "incomplete" and r.inconclusive == ["hardened S1.1-12"]
    r = record([run("hardened", [], {}, defects=[], report_id=None)])
    assert r.conclusion == "incomplete"
    assert record([]).conclusion == "incomplete"


verdicts = st.sampled_from([P, F, INC, NA, None])


@given(st.lists(st.tuples(st.lists(st.sampled_from(ITEMS), unique=True),
                          st.fixed_dictionaries({i: verdicts for i in ITEMS})), max_size=6))
def test_no_false_pass_ever_reads_as_valid(rows: list[tuple[list[str], dict[str, Verdict | None]]]) -> None:
    variants = [run(f"v{n}", fails, {k: v for k, v in obs.items() if v is not None}) for n, (fails, obs) in
                enumerate(rows)]
    r = record(variants)
    missed = any(i in fails and obs[i] in (P, NA) for fails, obs in rows for i in ITEMS)
    if missed:
        assert r.conclusion == "invalid"
    if r.conclusion == "valid":
        assert all((obs[i] is F) == (i in fails) for fails, obs in rows for i in ITEMS)


def test_the_record_renders_in_both_languages_with_every_cell_and_escaped_text() -> None:
    variants = [run("hardened", [], {"S1.1-02": P, "S1.1-12": P, "S1.1-13": P}, defects=[]),
                run("weak-tls", ["S1.1-12"], {"S1.1-02": P, "S1.1-12": P, "S1.1-13": INC})]
    variants[1] = variants[1].model_copy(update={"problem": "<script>x</script>"})
    r = record(variants)
    for lang in LANGS:
        html = render(r, lang)
        assert html == render(r, lang)
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert 'id="variant-weak-tls"' in html and 'id="item-S1.1-12"' in html
        assert html.count('class="false_pass"') == 2  # the cell and the per-item count
        assert "counter(pages)" in html and 'id="end"' in html
