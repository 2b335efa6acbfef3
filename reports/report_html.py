"""The evaluation report as HTML, in Japanese (default) or English, rendered from evaluation.json alone.

    python -m reports.report_html RUN_FOLDER [--lang ja|en] [--out DIR]

It carries what ISO/IEC 17025:2017 7.8.2.1 a–p asks of a test report: title; lab, address and
accreditation; where the work was done; the report id on every printed page and a clear end; the
customer; the method (criteria, harness version and commit, inputs with their digests, tools);
the device and its condition; dates of receipt, performance and issue (the issue sign-off's date;
"not issued" before it); sampling (none); results per item and unit with rationale, evidence digests
and pictures; deviations and exclusions; vendor-supplied data and external results marked as such;
the statement of conformity with its decision rule; who performed, reviewed, authorised and issued it
(from the sign-offs in signatures/); and the digest of the evaluation.json it came from.
The same record always renders to the same bytes (``rendered/report-<lang>.html``), so
``python -m reports.verify`` renders it again and compares.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

import jinja2

from reports.aggregate import EXIT_USAGE, device_tests_support
from reports.figures import TEXT as FIGURE_TEXT
from reports.figures import timeline, timeline_caption, unit_figures
from reports.manifest import RENDERED_DIR, atomic_write_text, sha256_file
from reports.model import EvaluationRecord, Verdict
from reports.signing import ISSUED, ROLES, SigningError, SignOff, read_envelope, signature_path

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
        "issue_date": "未発行（草案）",
        "rendered_from": "この報告書の作成元",
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
        "not_signed": "未署名",
        "signed_performed": "評価の実施",
        "signed_reviewed": "確認",
        "signed_authorised": "承認",
        "signed_issued": "発行",
        "end": "報告書の終わり",
        "page": "ページ",
        "none": "なし",
        "eval_document": "ドキュメント評価",
        "eval_device": "実機評価",
        "eval_both": "ドキュメント評価・実機評価",
        "eval_supporting": "（実機での補足確認あり）",
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
        "issue_date": "not issued (draft)",
        "rendered_from": "Rendered from",
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
        "not_signed": "not signed",
        "signed_performed": "Performed",
        "signed_reviewed": "Reviewed",
        "signed_authorised": "Authorised",
        "signed_issued": "Issued",
        "end": "End of report",
        "page": "page",
        "none": "none",
        "eval_document": "document review",
        "eval_device": "device test",
        "eval_both": "document review and device test",
        "eval_supporting": " (with supporting device tests)",
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


def render(record: EvaluationRecord, lang: str = "ja", signoffs: Sequence[SignOff] = (),
           record_sha256: str | None = None) -> str:
    """The report; ``signoffs`` (read from the folder's envelopes) name the signers and give the issue
    date once the report is issued, and ``record_sha256`` is printed as the record it came from."""
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
        supporting={i.id: device_tests_support(i.evaluation, [u for u in record.units if u.item == i.id])
                    for i in record.items},
        figures_by_item={i.id: [f for u in record.units if u.item == i.id for f in unit_figures(u, lang)]
                         for i in record.items},
        timeline={"heading": FIGURE_TEXT[lang]["timeline.heading"], "caption": timeline_caption(lang),
                  "svg": timeline(record, lang)},
        status=t[record.state],
        started=record.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        finished=record.finished.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if record.finished else t["none"],
        statement=t[statement],
        statement_class={"conforms": Verdict.PASS, "does_not_conform": Verdict.FAIL}.get(
            statement, Verdict.INCONCLUSIVE
        ).value,
        answers_prepared=prepared,
        signed={s.role: _signed_line(s) for s in signoffs},
        roles=[*ROLES, ISSUED],
        issued=next((s.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") for s in signoffs
                     if s.role == ISSUED), None),
        record_sha256=record_sha256,
    )


def _signed_line(s: SignOff) -> str:
    when = s.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{s.signer.name} ({s.signer.id}, {s.signer.role}) · {when}"


def signoffs_of(root: Path) -> list[SignOff]:
    """The sign-offs present in a run folder, in role order (unreadable ones are left out: verify says why)."""
    found = []
    for role in (*ROLES, ISSUED):
        path = signature_path(root, role)
        if path.is_file():
            try:
                found.append(read_envelope(path)[1].predicate)
            except SigningError:
                continue
    return found


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
        atomic_write_text(path, render(record, lang, signoffs_of(a.run), sha256_file(a.run / "evaluation.json")))
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
