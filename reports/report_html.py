"""The evaluation report as HTML, in Japanese (default) or English, rendered from evaluation.json alone.

    python -m reports.report_html RUN_FOLDER [--lang ja|en] [--out DIR]

It carries what ISO/IEC 17025:2017 7.8.2.1 a–p asks of a test report: title; lab, address and
accreditation; where the work was done; the report id on every printed page and a clear end; the
customer; the method (criteria, harness version and commit, inputs with their digests, tools);
the device and its condition; dates of receipt and performance (the issue date is the register's);
sampling (none); results per item and unit with rationale and evidence digests; deviations and
exclusions; vendor-supplied data and external results marked as such; the statement of conformity
with its decision rule; who performed it (reviews and authorisations are the sign-offs beside it).
The same record always renders to the same bytes (``rendered/report-<lang>.html``), so
``python -m reports.verify`` renders it again and compares.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import jinja2

from reports.aggregate import EXIT_USAGE
from reports.manifest import RENDERED_DIR, atomic_write_text
from reports.model import EvaluationRecord, Verdict

TEMPLATES = Path(__file__).resolve().parent / "templates"

TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "title": "IoT製品セキュリティ評価報告書（JC-STAR ★1）",
        "report_id": "報告書番号",
        "status": "記録の状態",
        "lab": "評価機関",
        "accreditation": "認定",
        "location": "評価の実施場所",
        "customer": "依頼者",
        "dates": "日付",
        "received": "受領日",
        "performed": "評価実施",
        "issued": "発行日",
        "issue_date": "報告書登録簿による（署名の後に発行）",
        "sampling": "サンプリング",
        "no_sampling": "該当なし（受領した品目そのものを評価した）",
        "device": "評価対象品目",
        "vendor_name": "製造業者",
        "product": "製品名",
        "model": "型番",
        "versions": "版",
        "hardware": "ハードウェア",
        "firmware": "ファームウェア",
        "serials": "製造番号",
        "condition": "受領時の状態",
        "level": "目標レベル",
        "method": "評価方法",
        "criteria": "基準",
        "harness": "評価ツール",
        "dirty": "未コミットの変更あり",
        "inputs": "入力",
        "profile": "製品プロファイル（ベンダー提供のICS/IXIT）",
        "lab_config": "評価機関の設定",
        "tools": "使用したツールと版",
        "missing": "なし",
        "topology": "ネットワーク構成",
        "interface": "評価用インタフェース",
        "namespace": "名前空間",
        "allowed": "許可されたネットワーク",
        "targets": "評価対象アドレス",
        "equipment": "使用した機器",
        "kind": "種別",
        "serial": "製造番号",
        "verified": "最終検証日",
        "due": "次回検証期限",
        "overdue": "期限切れ",
        "statement": "適合性の表明",
        "rule": "判定ルール",
        "relates_only": "この結果は、評価した品目にのみ関係する。",
        "in_full": "本報告書は、評価機関の承認なしに一部を複製してはならない（全体の複製を除く）。",
        "results": "評価項目ごとの結果",
        "item": "項目",
        "title_col": "評価項目",
        "evaluation": "評価方法",
        "verdict": "判定",
        "rationale": "根拠",
        "units": "評価単位ごとの結果と証拠",
        "unit": "評価単位",
        "evidence": "証拠（SHA-256）",
        "external": "外部提供",
        "prepared": "事前に用意された回答",
        "deviations": "逸脱、追加及び除外",
        "na_claim": "該当なしの主張（ベンダーの理由）",
        "unfinished": "終了しなかった評価単位",
        "no_deviations": "なし",
        "vendor_data": "ベンダー提供データと外部の結果",
        "vendor_data_note": "製品プロファイル（ICS/IXIT）と該当なしの理由はベンダーの提供による（色付きで示す）。外部の"
        "提供者による結果は、証拠欄に「外部提供」と示す。ベンダー提供データが結果の妥当性に影響"
        "しうる場合、その結果はベンダーの申告に依拠する。",
        "prepared_note": "この記録には事前に用意された評価者の回答（手法の妥当性確認用）が含まれる。",
        "people": "評価者、確認者及び承認者",
        "performed_by": "評価の実施",
        "reviewed_by": "確認",
        "authorised_by": "承認",
        "signoffs": "電子署名（signatures/）による。python -m reports.verify で検証できる。",
        "end": "報告書の終わり",
        "page": "ページ",
        "none": "なし",
        "eval_document": "ドキュメント評価",
        "eval_device": "実機評価",
        "eval_both": "ドキュメント評価・実機評価",
        "PASS": "適合",
        "FAIL": "非適合",
        "INCONCLUSIVE": "判定不能",
        "NOT_APPLICABLE": "該当なし",
        "conforms": "適合",
        "does_not_conform": "非適合",
        "cannot_be_determined": "判定不能",
        "running": "実行中",
        "finished": "完了",
        "interrupted": "中断",
    },
    "en": {
        "title": "IoT product security evaluation report (JC-STAR ★1)",
        "report_id": "Report id",
        "status": "State of the record",
        "lab": "Laboratory",
        "accreditation": "Accreditation",
        "location": "Where the work was done",
        "customer": "Customer",
        "dates": "Dates",
        "received": "received",
        "performed": "evaluated",
        "issued": "issued",
        "issue_date": "as the report register records it (after the sign-offs)",
        "sampling": "Sampling",
        "no_sampling": "not applicable (the item as received was evaluated)",
        "device": "Item evaluated",
        "vendor_name": "Manufacturer",
        "product": "Product",
        "model": "Model",
        "versions": "Versions",
        "hardware": "hardware",
        "firmware": "firmware",
        "serials": "Serial numbers",
        "condition": "Condition on receipt",
        "level": "Target level",
        "method": "Method",
        "criteria": "Criteria",
        "harness": "Evaluation harness",
        "dirty": "uncommitted changes",
        "inputs": "Inputs",
        "profile": "device profile (ICS/IXIT supplied by the vendor)",
        "lab_config": "lab configuration",
        "tools": "Tools and versions",
        "missing": "missing",
        "topology": "Network topology",
        "interface": "lab interface",
        "namespace": "namespace",
        "allowed": "allowed networks",
        "targets": "device addresses",
        "equipment": "Equipment used",
        "kind": "Kind",
        "serial": "Serial",
        "verified": "Last verified",
        "due": "Verification due",
        "overdue": "overdue",
        "statement": "Statement of conformity",
        "rule": "decision rule",
        "relates_only": "These results relate only to the item evaluated.",
        "in_full": "This report shall not be reproduced except in full without the laboratory's approval.",
        "results": "Results per item",
        "item": "Item",
        "title_col": "Evaluation item",
        "evaluation": "Evaluation",
        "verdict": "Verdict",
        "rationale": "Rationale",
        "units": "Results and evidence per test unit",
        "unit": "Test unit",
        "evidence": "Evidence (SHA-256)",
        "external": "external",
        "prepared": "prepared answer",
        "deviations": "Deviations, additions and exclusions",
        "na_claim": "Not-applicable claim (vendor's justification) for",
        "unfinished": "Unit not finished",
        "no_deviations": "None.",
        "vendor_data": "Data supplied by the vendor, and external results",
        "vendor_data_note": "The device profile (ICS/IXIT) and the not-applicable justifications were supplied by the "
        "vendor (shaded). Results from external providers are marked 'external' in the evidence "
        "column. Where vendor data could affect a result, that result relies on the vendor's "
        "declaration.",
        "prepared_note": "This record contains evaluator answers prepared in advance (for method validation).",
        "people": "Performed, reviewed and authorised by",
        "performed_by": "Performed by",
        "reviewed_by": "Reviewed",
        "authorised_by": "authorised",
        "signoffs": "by the electronic sign-offs beside this report (signatures/); check them with python -m "
        "reports.verify.",
        "end": "End of report",
        "page": "page",
        "none": "none",
        "eval_document": "document review",
        "eval_device": "device test",
        "eval_both": "document review and device test",
        "PASS": "PASS",
        "FAIL": "FAIL",
        "INCONCLUSIVE": "INCONCLUSIVE",
        "NOT_APPLICABLE": "NOT APPLICABLE",
        "conforms": "conforms",
        "does_not_conform": "does not conform",
        "cannot_be_determined": "cannot be determined",
        "running": "running",
        "finished": "finished",
        "interrupted": "interrupted",
    },
}
LANGS = tuple(TEXT)


def file_name(lang: str) -> str:
    return f"report-{lang}.html"


def render(record: EvaluationRecord, lang: str = "ja") -> str:
    t = TEXT[lang]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    r: dict[str, Any] = record.model_dump(mode="json")
    units_by_item = {i.id: [u.model_dump(mode="json") for u in record.units if u.item == i.id] for i in record.items}
    statement = record.overall.statement.value if record.overall else "cannot_be_determined"
    prepared = any(c.answer is not None and c.answer.prepared for u in record.units for c in u.checklist)
    return env.get_template("report.html.j2").render(
        r=r,
        t=t,
        lang=lang,
        units_by_item=units_by_item,
        status=t[record.state],
        started=record.started.strftime("%Y-%m-%d %H:%M UTC"),
        finished=record.finished.strftime("%Y-%m-%d %H:%M UTC") if record.finished else t["none"],
        statement=t[statement],
        statement_class={"conforms": Verdict.PASS, "does_not_conform": Verdict.FAIL}.get(
            statement, Verdict.INCONCLUSIVE
        ).value,
        answers_prepared=prepared,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.report_html", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--lang", choices=LANGS, action="append", help="default: ja and en")
    ap.add_argument("--out", type=Path, help="default: RUN/rendered/")
    a = ap.parse_args(argv)
    try:
        record = EvaluationRecord.model_validate_json((a.run / "evaluation.json").read_bytes())
    except (OSError, ValueError) as exc:
        print(
            f"ERROR: {a.run / 'evaluation.json'}: not a readable evaluation record ({type(exc).__name__})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    out = a.out or a.run / RENDERED_DIR
    out.mkdir(parents=True, exist_ok=True)
    for lang in a.lang or LANGS:
        path = out / file_name(lang)
        atomic_write_text(path, render(record, lang))
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
