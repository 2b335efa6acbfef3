"""The ★1 checklist (CSV and xlsx, in Japanese) rendered from evaluation.json alone."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from criteria.catalogue import STAR1_IDS
from fixtures.profile import load_profile
from reports.checklist import (
    BLOCKED_INCONCLUSIVE,
    CSV_NAME,
    FILEABLE,
    REASON_JA,
    SHEET_NAME,
    TABLE_HEADER,
    XLSX_NAME,
    ChecklistRow,
    csv_bytes,
    header,
    main,
    rows,
    write_csv,
    write_xlsx,
    xlsx_bytes,
)
from reports.model import (
    DeviceRecord,
    Environment,
    EvaluationRecord,
    EvaluatorRecord,
    EvidenceRef,
    InputFile,
    ItemResult,
    LabRecord,
    NotApplicableClaim,
    Overall,
    Reason,
    Statement,
    UnitResult,
    Verdict,
)

openpyxl = pytest.importorskip("openpyxl")

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "device_profiles" / "template-real-device.toml"
T0 = datetime(2026, 11, 27, 23, 30, 0, 123456, tzinfo=UTC)
LAB = "Example IoT Security Evaluation Lab"
NA_JUSTIFICATION = "更新はUSBメモリからのみ（ネットワーク経由の更新機能なし）"

# item -> (unit name, verdict, reason) for every unit of the item; items absent here have no unit
UNITS: dict[str, list[tuple[str, Verdict, Reason | None]]] = {
    "S1.1-01": [
        ("test_web_management_requires_authentication[https]", Verdict.PASS, None),
        ("test_design_review", Verdict.PASS, None),
    ],
    "S1.1-04": [
        ("test_guessing_rate_is_limited[ssh-admin]", Verdict.PASS, None),
        ("test_guessing_rate_is_limited[web-admin]", Verdict.FAIL, None),
        ("test_design_review", Verdict.PASS, None),
    ],
    "S1.1-05": [("test_document_review", Verdict.INCONCLUSIVE, Reason.EVALUATOR_INPUT_PENDING)],
    "S1.1-06": [
        ("test_valid_update_installs", Verdict.PASS, None),
        ("test_rollback_is_refused[older-image]", Verdict.INCONCLUSIVE, Reason.TIMEOUT),
    ],
}
ITEMS_WITHOUT_UNITS = {"S1.1-08": (Verdict.NOT_APPLICABLE, None), "S1.1-16": (Verdict.INCONCLUSIVE, Reason.NOT_COVERED)}
METHODS = {"S1.1-01": "document", "S1.1-04": "device", "S1.1-05": "document"}


def _nodeid(item: str, name: str) -> str:
    return f"labtests/star1/test_{item.replace('.', '_').replace('-', '_').lower()}.py::{name}"


def _unit(item: str, name: str, verdict: Verdict, reason: Reason | None, minute: int) -> UnitResult:
    return UnitResult(
        nodeid=_nodeid(item, name),
        name=name,
        item=item,
        verdict=verdict,
        reason=reason,
        rationale=f"{name}: {verdict}",
        evidence=[
            EvidenceRef(path=f"evidence/{name}/log.txt", sha256="9f" * 32, description="transcript"),
        ],
        device=not name.endswith("_review"),
        started=T0 + timedelta(minutes=minute),
        finished=T0 + timedelta(minutes=minute, seconds=30),
    )


def _item_verdict(units: list[UnitResult]) -> tuple[Verdict, Reason | None]:
    if any(u.verdict is Verdict.FAIL for u in units):
        return Verdict.FAIL, None
    for u in units:
        if u.verdict is Verdict.INCONCLUSIVE:
            return Verdict.INCONCLUSIVE, u.reason
    return Verdict.PASS, None


def checklist_record() -> EvaluationRecord:
    """A finished run with items in all four verdicts (built as tests/test_schemas.py builds its record)."""
    profile = load_profile(TEMPLATE)
    units: list[UnitResult] = []
    items: list[ItemResult] = []
    minute = 0
    for item_id in STAR1_IDS:
        mine = []
        for name, verdict, reason in UNITS.get(item_id, [("test_design_review", Verdict.PASS, None)]):
            if item_id in ITEMS_WITHOUT_UNITS:
                break
            mine.append(_unit(item_id, name, verdict, reason, minute))
            minute += 1
        units += mine
        verdict, reason = ITEMS_WITHOUT_UNITS.get(item_id) or _item_verdict(mine)
        items.append(
            ItemResult(
                id=item_id,
                title_ja=f"項目{item_id[-2:]}の要件",
                title_en=f"item {item_id}",
                evaluation=METHODS.get(item_id, "both"),
                covered=item_id != "S1.1-16",
                verdict=verdict,
                reason=reason,
                rationale="aggregated",
                units=[u.nodeid for u in mine],
            )
        )
    counts = {v: sum(1 for i in items if i.verdict is v) for v in Verdict}
    return EvaluationRecord(
        report_id="JCL-2026-0042",
        state="finished",
        criteria="JC-STAR ★1: IoT product security labelling, level 1",
        lab=LabRecord(name=LAB, address="1-2-3 Example-cho, Chiyoda-ku, Tokyo", accreditation=None, location="Lab 2"),
        evaluator=EvaluatorRecord(id="tech01", name="評価 太郎", role="technician", qualification=None),
        customer=profile.customer.model_dump(mode="json"),
        device=DeviceRecord(**profile.identity.model_dump(mode="json")),
        receipt=profile.receipt.model_dump(mode="json"),
        vendor_declarations=profile.model_dump(mode="json"),
        profile=InputFile(path="device_profiles/exr-1000.toml", sha256="a" * 64),
        lab_config=InputFile(path="lab_config.toml", sha256="b" * 64),
        environment=Environment(
            harness_version="0.1.0",
            git_commit=None,
            git_dirty=None,
            python="3.11.7",
            platform="Linux",
            host="eval-pc-01",
            packages={},
            tools=[],
        ),
        equipment_used=[],
        not_applicable=[NotApplicableClaim(item="S1.1-08", justification=NA_JUSTIFICATION)],
        started=T0,
        finished=T0 + timedelta(hours=1, minutes=3),
        units=units,
        items=items,
        overall=Overall(
            statement=Statement.DOES_NOT_CONFORM,
            decision_rule_id="DR-SIMPLE-1",
            decision_rule="Simple acceptance (ILAC-G8 4.2.1)",
            counts=counts,
        ),
        exit_status=1,
    )


def conforming_record() -> EvaluationRecord:
    record = checklist_record()
    items = [
        i.model_copy(update={"verdict": Verdict.PASS, "reason": None}) if i.verdict is not Verdict.NOT_APPLICABLE else i
        for i in record.items
    ]
    units = [u.model_copy(update={"verdict": Verdict.PASS, "reason": None}) for u in record.units]
    assert record.overall is not None
    overall = record.overall.model_copy(update={"statement": Statement.CONFORMS})
    return record.model_copy(update={"items": items, "units": units, "overall": overall, "exit_status": 0})


def by_id(record: EvaluationRecord) -> dict[str, ChecklistRow]:
    return {r.item_id: r for r in rows(record)}


# --- rows -------------------------------------------------------------------------------------------------------


def test_one_row_per_star1_item_in_catalogue_order() -> None:
    table = rows(checklist_record())
    assert [r.item_id for r in table] == list(STAR1_IDS)
    assert [r.number for r in table] == list(range(1, 17))
    assert table[0].title_ja == "項目01の要件"


def test_results_in_japanese_for_all_four_verdicts() -> None:
    table = by_id(checklist_record())
    assert table["S1.1-01"].result_ja == "適合"
    assert table["S1.1-04"].result_ja == "非適合"
    assert table["S1.1-08"].result_ja == "該当なし"
    assert table["S1.1-05"].result_ja == "判定不能（評価者の回答待ち）"
    assert table["S1.1-06"].result_ja == "判定不能（時間切れ）"
    assert table["S1.1-16"].result_ja == "判定不能（評価手順なし）"


def test_every_reason_has_a_japanese_phrase() -> None:
    assert set(REASON_JA) == set(Reason)
    assert all(REASON_JA.values())


def test_evaluation_method_in_japanese() -> None:
    table = by_id(checklist_record())
    assert table["S1.1-04"].method_ja == "実機評価"
    assert table["S1.1-05"].method_ja == "ドキュメント評価"
    assert table["S1.1-06"].method_ja == "ドキュメント評価・実機評価"
    # a document-review item where device tests also ran says so
    assert table["S1.1-01"].method_ja == "ドキュメント評価（実機での補足確認あり）"


def test_units_and_summary() -> None:
    table = by_id(checklist_record())
    s4 = table["S1.1-04"]
    assert s4.units == [
        "test_guessing_rate_is_limited[ssh-admin]",
        "test_guessing_rate_is_limited[web-admin]",
        "test_design_review",
    ]
    assert "評価単位 3 件（適合 2、非適合 1、判定不能 0）" in s4.summary_ja
    assert "証拠ファイル 3 件" in s4.summary_ja
    assert "非適合の評価単位: test_guessing_rate_is_limited[web-admin]" in s4.summary_ja
    assert "test_guessing_rate_is_limited[ssh-admin]" not in s4.summary_ja
    assert "test_rollback_is_refused[older-image]（時間切れ）" in table["S1.1-06"].summary_ja
    assert table["S1.1-16"].units == [] and table["S1.1-16"].summary_ja == "評価単位なし"


def test_not_applicable_summary_gives_the_vendors_justification() -> None:
    row = by_id(checklist_record())["S1.1-08"]
    assert row.units == []
    assert row.summary_ja == f"該当なし。ベンダーの説明: {NA_JUSTIFICATION}"


def test_an_item_missing_from_the_record_is_inconclusive() -> None:
    record = checklist_record()
    record = record.model_copy(update={"items": [i for i in record.items if i.id != "S1.1-10"]})
    row = by_id(record)["S1.1-10"]
    assert row.verdict is Verdict.INCONCLUSIVE and row.result_ja.startswith("判定不能")


def test_unfinished_units_are_counted() -> None:
    record = checklist_record()
    extra = _nodeid("S1.1-01", "test_ssh_requires_authentication[ssh]")
    items = [i.model_copy(update={"units": [*i.units, extra]}) if i.id == "S1.1-01" else i for i in record.items]
    record = record.model_copy(update={"items": items, "unfinished_units": [extra]})
    assert "未完了の評価単位 1 件" in by_id(record)["S1.1-01"].summary_ja


def test_row_model_forbids_extra_fields() -> None:
    data = rows(checklist_record())[0].model_dump()
    with pytest.raises(ValueError):
        ChecklistRow.model_validate({**data, "colour": "green"})


# --- header ------------------------------------------------------------------------------------------------------


def test_header_block() -> None:
    record = checklist_record()
    block = dict(header(record))
    assert block["報告書番号"] == "JCL-2026-0042"
    assert block["製品名"] == record.device.product_name
    assert block["型番"] == record.device.model_number
    assert block["ベンダー"] == record.device.vendor
    assert block["評価機関"] == LAB
    assert block["評価開始日（UTC）"] == "2026-11-27"
    assert block["評価終了日（UTC）"] == "2026-11-28"
    assert block["適合性の表明"] == "非適合"
    assert block["判定ルール"] == "DR-SIMPLE-1"
    assert BLOCKED_INCONCLUSIVE in block["提出可否"]


def test_header_of_a_conforming_record_is_fileable() -> None:
    block = dict(header(conforming_record()))
    assert block["適合性の表明"] == "適合"
    assert block["提出可否"] == FILEABLE


def test_header_of_a_record_that_is_not_finished() -> None:
    record = conforming_record().model_copy(update={"state": "running", "finished": None, "overall": None})
    block = dict(header(record))
    assert block["提出可否"].startswith("提出不可")
    assert "評価が完了していません（状態: 実行中）" in block["提出可否"]
    assert block["適合性の表明"].startswith("判定不能")
    assert block["評価終了日（UTC）"] == "（未終了）"


# --- CSV ----------------------------------------------------------------------------------------------------------


def test_csv_layout(tmp_path: Path) -> None:
    path = write_csv(checklist_record(), tmp_path / CSV_NAME)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.split(b"\r\n")
    assert raw.endswith(b"\r\n")
    assert all(b"\n" not in line for line in lines[:15])  # the header block, the blank row, the table head
    with path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["様式", "JC-STAR ★1 適合チェックリスト"]
    assert ["報告書番号", "JCL-2026-0042"] in table
    blank = table.index([])
    assert all(len(r) == 2 for r in table[:blank])
    assert tuple(table[blank + 1]) == TABLE_HEADER
    body = table[blank + 2 :]
    assert [r[1] for r in body] == list(STAR1_IDS)
    s4 = body[3]
    assert s4[4] == "非適合"
    assert s4[5].split("\n") == by_id(checklist_record())["S1.1-04"].units
    assert NA_JUSTIFICATION in body[7][6]


def test_csv_is_byte_identical_for_the_same_record(tmp_path: Path) -> None:
    a = write_csv(checklist_record(), tmp_path / "a.csv").read_bytes()
    b = write_csv(checklist_record(), tmp_path / "b.csv").read_bytes()
    assert a == b == csv_bytes(checklist_record())


# --- xlsx ---------------------------------------------------------------------------------------------------------


def _cells(path: Path) -> list[tuple[object, ...]]:
    wb = openpyxl.load_workbook(path)
    return [tuple(row) for row in wb[SHEET_NAME].iter_rows(values_only=True)]


def test_xlsx_content(tmp_path: Path) -> None:
    record = checklist_record()
    path = write_xlsx(record, tmp_path / XLSX_NAME)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET_NAME]
    ws = wb[SHEET_NAME]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "項番")
    assert tuple(c.value for c in ws[head]) == TABLE_HEADER
    assert all(c.font.bold for c in ws[head])
    assert ws.freeze_panes == f"A{head + 1}"
    body = {ws.cell(row=r, column=2).value: r for r in range(head + 1, ws.max_row + 1)}
    assert list(body) == list(STAR1_IDS)
    fail = ws.cell(row=body["S1.1-04"], column=5)
    assert fail.value == "非適合"
    assert fail.fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(row=body["S1.1-01"], column=5).fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.cell(row=body["S1.1-08"], column=5).fill.fgColor.rgb.endswith("D9D9D9")
    assert ws.cell(row=body["S1.1-05"], column=5).fill.fgColor.rgb.endswith("FFEB9C")
    assert ws.cell(row=body["S1.1-04"], column=6).alignment.wrap_text
    assert ws.cell(row=body["S1.1-04"], column=1).value == 4
    assert NA_JUSTIFICATION in ws.cell(row=body["S1.1-08"], column=7).value
    values = [v for row in _cells(path) for v in row if v is not None]
    assert "JCL-2026-0042" in values and LAB in values
    assert any(isinstance(v, str) and BLOCKED_INCONCLUSIVE in v for v in values)
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert wb.properties.creator == LAB
    assert "JCL-2026-0042" in wb.properties.title
    assert wb.properties.created == wb.properties.modified == datetime(2026, 11, 28, 0, 33)


def test_xlsx_is_identical_for_the_same_record(tmp_path: Path) -> None:
    a = write_xlsx(checklist_record(), tmp_path / "a.xlsx")
    b = write_xlsx(checklist_record(), tmp_path / "b.xlsx")
    assert _cells(a) == _cells(b)
    assert a.read_bytes() == b.read_bytes() == xlsx_bytes(checklist_record())


# --- command line -------------------------------------------------------------------------------------------------


def _run_folder(tmp_path: Path, record: EvaluationRecord) -> Path:
    folder = tmp_path / "JCL-2026-0042"
    folder.mkdir()
    (folder / "evaluation.json").write_text(record.model_dump_json(indent=2), encoding="utf-8")
    return folder


def test_cli_writes_both_files_into_the_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _run_folder(tmp_path, checklist_record())
    assert main([str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [str(folder / "rendered" / CSV_NAME), str(folder / "rendered" / XLSX_NAME)]
    assert (folder / "rendered" / CSV_NAME).read_bytes() == csv_bytes(checklist_record())
    assert _cells(folder / "rendered" / XLSX_NAME)


def test_cli_as_a_module_with_out(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path, checklist_record())
    out = tmp_path / "elsewhere"
    proc = subprocess.run(
        [sys.executable, "-m", "reports.checklist", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(out / CSV_NAME), str(out / XLSX_NAME)]
    assert not (folder / "rendered").exists()


def test_cli_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "JCL-2026-9999"
    assert main([str(missing)]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"ERROR: {missing / 'evaluation.json'}: the run folder does not exist"]
    assert not missing.exists()


def test_cli_invalid_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "evaluation.json").write_text('{"report_id": "x", "colour": 1}', encoding="utf-8")
    assert main([str(folder)]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"ERROR: {folder / 'evaluation.json'}: not a valid evaluation record")
    assert not (folder / "rendered").exists()


def test_cli_folder_without_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 4
    assert f"{tmp_path / 'evaluation.json'}: cannot be read" in capsys.readouterr().err


def test_csv_reads_back_from_a_string_too() -> None:
    text = csv_bytes(checklist_record()).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == ["報告書番号", "JCL-2026-0042"]


def test_control_characters_from_a_device_do_not_stop_the_workbook() -> None:
    record = checklist_record()
    record.device = record.device.model_copy(update={"product_name": "Router\x08\x1b[31m"})
    data = xlsx_bytes(record)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("Router\ufffd\ufffd[31m" in c for c in cells)
