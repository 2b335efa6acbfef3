"""The HTML evaluation report (ja and en), rendered from evaluation.json alone."""

from __future__ import annotations

import re

import pytest

from reports.model import EvidenceRef
from reports.report_html import LANGS, TEXT, main, render
from tests.reports.test_checklist import checklist_record

# ISO/IEC 17025:2017 7.8.2.1 a–p (k, sampling, is stated not applicable), by the keys of TEXT.
FIELDS = {
    "a": ["title"], "b": ["lab", "accreditation"], "c": ["location"], "d": ["report_id", "end", "page"],
    "e": ["customer"], "f": ["method", "criteria", "harness", "tools"], "g": ["device", "model", "condition"],
    "h": ["received"], "i": ["performed"], "j": ["issued"], "k": ["sampling", "no_sampling"],
    "l": ["relates_only"], "m": ["results", "units", "evidence"], "n": ["deviations"],
    "o": ["people", "performed_by", "authorised_by"], "p": ["vendor_data", "external"],
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_field_of_7_8_2_1_is_there(lang: str) -> None:
    html = render(checklist_record(), lang)
    t = TEXT[lang]
    for field, keys in FIELDS.items():
        for key in keys:
            assert t[key].split("（")[0] in html, (field, key)
    assert "counter(page)" in html and "counter(pages)" in html  # "page X of Y" on every printed page
    assert html.rstrip().endswith("</html>") and 'id="end"' in html


@pytest.mark.parametrize("lang", LANGS)
def test_every_item_row_unit_and_evidence_link_is_there(lang: str) -> None:
    record = checklist_record()
    html = render(record, lang)
    for item in record.items:
        assert f'id="item-{item.id}"' in html
    assert html.count('class="unit"') == len(record.units)
    for unit in record.units:
        for ref in unit.evidence:
            assert f'href="{ref.path}"' in html and ref.sha256 in html


def test_the_same_record_renders_to_the_same_bytes_and_hostile_text_is_escaped() -> None:
    record = checklist_record()
    unit = record.units[0]
    record.units[0] = unit.model_copy(update={
        "rationale": "<script>alert(1)</script>",
        "evidence": [EvidenceRef(path="evidence/x/a.txt", sha256="0" * 64, description="d", provided_by="Lab X")],
    })
    html = render(record, "ja")
    assert html == render(record, "ja")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "外部提供" in html and "Lab X" in html  # an external provider's result is marked


def test_cli_writes_both_languages(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    run.mkdir()
    (run / "evaluation.json").write_text(checklist_record().model_dump_json(), encoding="utf-8")
    assert main([str(run)]) == 0
    assert sorted(p.name for p in (run / "rendered").iterdir()) == ["report-en.html", "report-ja.html"]
    assert re.search(r"評価報告書", (run / "rendered" / "report-ja.html").read_text(encoding="utf-8"))
    assert main([str(tmp_path / "missing")]) == 4
