"""The ★1 checklist the vendor files with its JC-STAR application, in Japanese, from ``evaluation.json`` alone.

    python -m reports.checklist runs/JCL-2026-0001 [--out DIR]

writes ``checklist-star1.csv`` (UTF-8 with BOM, CRLF, for Excel) and ``checklist-star1.xlsx`` into
``RUN_FOLDER/rendered/`` (not in the manifest: ``python -m reports.verify`` renders them again and
compares) (or ``DIR``), prints both paths and exits 0; a missing folder or a record that
does not match the model prints one error line naming the file and exits 4.

Both files hold a header block (report, product, vendor, lab, dates, the statement of conformity, the
decision rule and whether the checklist can be filed) and one row per ★1 item, S1.1-01 … S1.1-16, in
catalogue order. The same record always gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from criteria.catalogue import STAR1_IDS
from reports.aggregate import device_tests_support
from reports.manifest import RENDERED_DIR
from reports.model import EvaluationRecord, ItemResult, Reason, Statement, UnitResult, Verdict

__all__ = [
    "CSV_NAME",
    "TABLE_HEADER",
    "XLSX_NAME",
    "ChecklistRow",
    "filing_blockers",
    "header",
    "main",
    "rows",
    "write_csv",
    "write_xlsx",
]

CSV_NAME = "checklist-star1.csv"

XLSX_NAME = "checklist-star1.xlsx"
SHEET_NAME = "★1チェックリスト"
TITLE_JA = "JC-STAR ★1 適合チェックリスト"
EXIT_REFUSED = 4

VERDICT_JA: dict[Verdict, str] = {
    Verdict.PASS: "適合",
    Verdict.FAIL: "非適合",
    Verdict.NOT_APPLICABLE: "該当なし",
    Verdict.INCONCLUSIVE: "判定不能",
}

REASON_JA: dict[Reason, str] = {
    Reason.DEVICE_UNREACHABLE: "機器に到達できない",
    Reason.LAB_EQUIPMENT_FAULT: "試験設備の不具合",
    Reason.HARNESS_ERROR: "評価ツールのエラー",
    Reason.MISSING_IXIT: "IXIT情報の不足",
    Reason.MISSING_TOOL: "評価ツールの不足",
    Reason.TIMEOUT: "時間切れ",
    Reason.EVALUATOR_INPUT_PENDING: "評価者の回答待ち",
    Reason.NO_VERDICT_RECORDED: "判定の記録なし",
    Reason.SKIPPED: "未実施（スキップ）",
    Reason.INTERRUPTED: "評価の中断",
    Reason.SCOPE_REFUSED: "評価範囲外のため未実施",
    Reason.NOT_COVERED: "評価手順なし",
}

SUPPORTING_JA = "（実機での補足確認あり）"
METHOD_JA: dict[str, str] = {
    "document": "ドキュメント評価",
    "device": "実機評価",
    "both": "ドキュメント評価・実機評価",
}

STATEMENT_JA: dict[Statement, str] = {
    Statement.CONFORMS: "適合",
    Statement.DOES_NOT_CONFORM: "非適合",
    Statement.CANNOT_BE_DETERMINED: "判定不能",
}

STATE_JA = {"finished": "完了", "running": "実行中", "interrupted": "中断"}
LEVEL_JA = {"star1": "★1", "star2": "★2", "star3": "★3", "star4": "★4"}

TABLE_HEADER: tuple[str, ...] = ("項番", "評価項目ID", "要件", "評価方法", "評価結果", "実施した評価項目", "根拠の要約")

NOT_RECORDED = "（記録なし）"
ITEM_MISSING_JA = "判定不能（記録に結果なし）"
BLOCKED_INCONCLUSIVE = "提出不可: 判定不能の項目があります"
BLOCKED_FAIL = "提出不可: 非適合の項目があります"
FILEABLE = "提出可"


class ChecklistRow(BaseModel):
    """One ★1 item as the checklist shows it."""

    model_config = ConfigDict(extra="forbid")

    number: int
    item_id: str
    title_ja: str
    method_ja: str
    verdict: Verdict
    reason: Reason | None
    result_ja: str
    units: list[str]
    summary_ja: str

    def cells(self) -> list[str]:
        """The row's cells under :data:`TABLE_HEADER`."""
        return [
            str(self.number),
            self.item_id,
            self.title_ja,
            self.method_ja,
            self.result_ja,
            "\n".join(self.units),
            self.summary_ja,
        ]


def _result_ja(verdict: Verdict, reason: Reason | None) -> str:
    text = VERDICT_JA[verdict]
    if verdict is Verdict.INCONCLUSIVE and reason is not None:
        text += f"（{REASON_JA[reason]}）"
    return text


def _summary(item: ItemResult, units: list[UnitResult], unfinished: list[str], record: EvaluationRecord) -> str:
    parts: list[str] = []
    if item.verdict is Verdict.NOT_APPLICABLE:
        claims = [c.justification for c in record.not_applicable if c.item == item.id]
        if claims:
            parts.append("該当なし。ベンダーの説明: " + " / ".join(claims))
        else:
            parts.append("該当なし。ベンダーの説明は記録にありません")
    if units:
        counts = {v: sum(1 for u in units if u.verdict is v) for v in Verdict}
        tally = (
            f"評価単位 {len(units)} 件（適合 {counts[Verdict.PASS]}、非適合 {counts[Verdict.FAIL]}、"
            f"判定不能 {counts[Verdict.INCONCLUSIVE]}"
        )
        if counts[Verdict.NOT_APPLICABLE]:
            tally += f"、該当なし {counts[Verdict.NOT_APPLICABLE]}"
        tally += f"）、証拠ファイル {sum(len(u.evidence) for u in units)} 件"
        parts.append(tally)
        failed = [u.name for u in units if u.verdict is Verdict.FAIL]
        if failed:
            parts.append("非適合の評価単位: " + "、".join(failed))
        inconclusive = [
            u.name + (f"（{REASON_JA[u.reason]}）" if u.reason is not None else "")
            for u in units
            if u.verdict is Verdict.INCONCLUSIVE
        ]
        if inconclusive:
            parts.append("判定不能の評価単位: " + "、".join(inconclusive))
    elif item.verdict is not Verdict.NOT_APPLICABLE:
        parts.append("評価単位なし")
    if unfinished:
        parts.append(f"未完了の評価単位 {len(unfinished)} 件")
    return "。".join(parts)


def rows(record: EvaluationRecord) -> list[ChecklistRow]:
    """One row per ★1 item in catalogue order; an item the record has no result for is 判定不能."""
    by_id = {i.id: i for i in record.items}
    unfinished = set(record.unfinished_units)
    out: list[ChecklistRow] = []
    for number, item_id in enumerate(STAR1_IDS, start=1):
        item = by_id.get(item_id)
        if item is None:
            out.append(
                ChecklistRow(
                    number=number,
                    item_id=item_id,
                    title_ja=NOT_RECORDED,
                    method_ja=NOT_RECORDED,
                    verdict=Verdict.INCONCLUSIVE,
                    reason=None,
                    result_ja=ITEM_MISSING_JA,
                    units=[],
                    summary_ja="記録にこの項目の結果がありません",
                )
            )
            continue
        units = [u for u in record.units if u.item == item_id]
        out.append(
            ChecklistRow(
                number=number,
                item_id=item_id,
                title_ja=item.title_ja,
                method_ja=METHOD_JA.get(item.evaluation, item.evaluation)
                + (SUPPORTING_JA if device_tests_support(item.evaluation, units) else ""),
                verdict=item.verdict,
                reason=item.reason,
                result_ja=_result_ja(item.verdict, item.reason),
                units=[u.name for u in units],
                summary_ja=_summary(item, units, [n for n in item.units if n in unfinished], record),
            )
        )
    return out


def filing_blockers(record: EvaluationRecord, table: Sequence[ChecklistRow] | None = None) -> list[str]:
    """Why the checklist cannot be filed yet; empty when it can."""
    table = rows(record) if table is None else table
    blockers: list[str] = []
    if record.state != "finished":
        blockers.append(f"提出不可: 評価が完了していません（状態: {STATE_JA.get(record.state, record.state)}）")
    if record.overall is None or any(r.verdict is Verdict.INCONCLUSIVE for r in table):
        blockers.append(BLOCKED_INCONCLUSIVE)
    if any(r.verdict is Verdict.FAIL for r in table):
        blockers.append(BLOCKED_FAIL)
    return blockers


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).date().isoformat() if value is not None else "（未終了）"


def _answers_ja(record: EvaluationRecord) -> str:
    """Say where the document-review answers came from; prepared ones are never passed off as a lab's."""
    answers = [c.answer for u in record.units for c in u.checklist if c.answer is not None]
    if not answers:
        return "なし"
    prepared = sum(1 for a in answers if a.prepared)
    if prepared:
        return f"{len(answers)} 件（うち {prepared} 件は事前に用意された回答: 手法の妥当性確認用）"
    return f"{len(answers)} 件"


def header(record: EvaluationRecord, table: Sequence[ChecklistRow] | None = None) -> list[tuple[str, str]]:
    """The header block as (label, value) pairs, the filing status last."""
    overall = record.overall
    blockers = filing_blockers(record, table)
    return [
        ("様式", TITLE_JA),
        ("報告書番号", record.report_id),
        ("製品名", record.device.product_name),
        ("型番", record.device.model_number),
        ("ベンダー", record.device.vendor),
        ("目標レベル", LEVEL_JA.get(record.device.target_level, record.device.target_level)),
        ("評価機関", record.lab.name),
        ("評価開始日（UTC）", _date(record.started)),
        ("評価終了日（UTC）", _date(record.finished)),
        ("記録の状態", STATE_JA.get(record.state, record.state)),
        ("適合性の表明", STATEMENT_JA[overall.statement] if overall is not None else "判定不能（総合判定なし）"),
        ("判定ルール", overall.decision_rule_id if overall is not None else NOT_RECORDED),
        ("評価者の回答", _answers_ja(record)),
        ("提出可否", "；".join(blockers) if blockers else FILEABLE),
    ]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def csv_bytes(record: EvaluationRecord) -> bytes:
    """The CSV file's content: UTF-8 with BOM, CRLF line ends."""
    table = rows(record)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    for label, value in header(record, table):
        writer.writerow([label, value])
    writer.writerow([])
    writer.writerow(TABLE_HEADER)
    for row in table:
        writer.writerow(row.cells())
    return buf.getvalue().encode("utf-8-sig")


def write_csv(record: EvaluationRecord, path: Path) -> Path:
    """Write the checklist as CSV to ``path`` (atomically)."""
    path = Path(path)
    _atomic_write(path, csv_bytes(record))
    return path


# --- xlsx ------------------------------------------------------------------------------------------------------

FILL_RGB: dict[Verdict, str] = {
    Verdict.PASS: "C6EFCE",
    Verdict.FAIL: "FFC7CE",
    Verdict.INCONCLUSIVE: "FFEB9C",
    Verdict.NOT_APPLICABLE: "D9D9D9",
}
COLUMN_WIDTHS = (6, 11, 28, 18, 26, 46, 60)
HEADER_FILL = "DDEBF7"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _timestamp(record: EvaluationRecord) -> datetime:
    when = record.finished or record.started
    return when.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _safe(value: Any) -> Any:
    """Text as a worksheet can hold it: control characters (from a device's output, or a hostile record)
    become U+FFFD instead of stopping the checklist."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _workbook(record: EvaluationRecord) -> Any:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    table = rows(record)
    blockers = filing_blockers(record, table)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    for col, width in enumerate(COLUMN_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    last_col = get_column_letter(len(TABLE_HEADER))
    wrap = Alignment(wrap_text=True, vertical="top")

    ws["A1"] = _safe(f"{TITLE_JA}（{record.report_id}）")
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last_col}1")

    r = 3
    for label, value in header(record, table)[1:]:
        ws.cell(row=r, column=1, value=_safe(label)).font = Font(bold=True)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        cell = ws.cell(row=r, column=4, value=_safe(value))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=len(TABLE_HEADER))
        if label == "提出可否":
            cell.font = Font(bold=True, color="9C0006" if blockers else "006100")
            cell.fill = PatternFill("solid", fgColor=FILL_RGB[Verdict.FAIL if blockers else Verdict.PASS])
        elif label == "適合性の表明" and record.overall is not None:
            cell.font = Font(bold=True)
        r += 1

    head_row = r + 1
    for col, text in enumerate(TABLE_HEADER, start=1):
        cell = ws.cell(row=head_row, column=col, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for offset, row in enumerate(table, start=1):
        values: list[Any] = [row.number, *row.cells()[1:]]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=head_row + offset, column=col, value=_safe(value))
            cell.alignment = wrap
        result = ws.cell(row=head_row + offset, column=5)
        result.fill = PatternFill("solid", fgColor=FILL_RGB[row.verdict])
        result.font = Font(bold=True)
    ws.freeze_panes = f"A{head_row + 1}"
    ws.print_title_rows = f"{head_row}:{head_row}"

    when = _timestamp(record)
    wb.properties.title = _safe(f"{TITLE_JA} {record.report_id}")
    wb.properties.subject = _safe(f"{record.device.product_name} ({record.device.model_number})")
    wb.properties.creator = _safe(record.lab.name)
    wb.properties.lastModifiedBy = _safe(record.lab.name)
    wb.properties.created = when
    wb.properties.modified = when
    return wb


def xlsx_bytes(record: EvaluationRecord) -> bytes:
    """The xlsx file's content; the same record gives the same bytes (fixed properties and zip times)."""
    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

    wb = _workbook(record)
    raw = io.BytesIO()
    # openpyxl's save_workbook stamps "modified" with the current time; ExcelWriter keeps ours.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_xlsx(record: EvaluationRecord, path: Path) -> Path:
    """Write the checklist as an Excel workbook to ``path`` (atomically)."""
    path = Path(path)
    _atomic_write(path, xlsx_bytes(record))
    return path


# --- command line ----------------------------------------------------------------------------------------------


def _load(folder: Path) -> EvaluationRecord | str:
    source = folder / "evaluation.json"
    if not folder.is_dir():
        return f"{source}: the run folder does not exist"
    try:
        data = source.read_bytes()
    except OSError as exc:
        return f"{source}: cannot be read ({exc.strerror or exc})"
    try:
        return EvaluationRecord.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        count = exc.error_count()
        return f"{source}: not a valid evaluation record ({count} error(s); first: {where}: {first['msg']})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reports.checklist",
        description="Write the JC-STAR ★1 checklist (CSV and xlsx, in Japanese) from a run's evaluation.json.",
    )
    parser.add_argument("run_folder", type=Path, metavar="RUN_FOLDER")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="default: RUN_FOLDER/rendered/")
    args = parser.parse_args(argv)
    loaded = _load(args.run_folder)
    if isinstance(loaded, str):
        print(f"ERROR: {loaded}", file=sys.stderr)
        return EXIT_REFUSED
    out_dir: Path = args.out if args.out is not None else args.run_folder / RENDERED_DIR
    try:
        paths = [write_csv(loaded, out_dir / CSV_NAME), write_xlsx(loaded, out_dir / XLSX_NAME)]
    except OSError as exc:
        print(f"ERROR: {out_dir}: cannot write the checklist ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_REFUSED
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
