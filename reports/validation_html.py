"""The method validation record as HTML (Japanese and English), rendered from validation.json alone."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import jinja2

from reports.manifest import RENDERED_DIR, atomic_write_text
from reports.validation import ValidationRecord

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARK = {"detected": "FAIL ✓", "false_pass": "PASS ✗", "passed": "PASS", "false_fail": "FAIL ✗", "inconclusive": "?"}

TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "title": "評価手法の妥当性確認記録（JC-STAR ★1、参照ベンチ）", "id": "記録番号", "purpose": "目的",
        "criteria": "基準", "items": "評価項目", "partial": "一部の評価項目のみ", "harness": "評価ツール",
        "dirty": "未コミットの変更あり", "dates": "実施期間", "conclusion": "結論", "counts": "件数",
        "valid": "妥当", "invalid": "妥当でない", "incomplete": "未完了",
        "explain_valid": "すべての欠陥がその欠陥の評価項目で検出され、ほかの評価項目はすべて適合した。",
        "explain_invalid": "偽の適合（欠陥を見逃した）または偽の非適合がある。手法は使用できない。",
        "explain_incomplete": "判定不能のセルまたは記録のない実行がある。解消するまで妥当性は示されない。",
        "per_item": "評価項目ごとの感度と特異度", "item": "項目", "hardened": "堅牢化した機器",
        "defects_expected": "検出すべき欠陥", "detected": "検出", "sensitivity": "感度", "must_pass": "適合すべき実行",
        "passed": "適合", "specificity": "特異度", "inconclusive": "判定不能", "matrix": "期待と観測の行列",
        "legend": "セル：観測した判定（✓ 期待どおりの検出、✗ 誤り、? 判定不能）。"
                  "* はその欠陥で非適合となるべき評価項目。",
        "variant": "バリアント", "expected": "期待", "observed": "観測", "not_run": "未実行",
        "runs": "各実行（妥当性確認の証拠）", "defects": "欠陥", "expected_fail": "非適合となるべき項目",
        "report": "報告書番号", "exit": "終了状態", "seconds": "秒", "findings": "所見", "signoff": "署名",
        "performed": "実施者", "reviewed": "確認者（品質管理）", "approved": "承認者", "end": "記録の終わり",
        "page": "ページ", "none": "なし",
    },
    "en": {
        "title": "Method validation record (JC-STAR ★1, reference bench)", "id": "Record id", "purpose": "Purpose",
        "criteria": "Criteria", "items": "items", "partial": "only some items", "harness": "Evaluation harness",
        "dirty": "uncommitted changes", "dates": "Performed", "conclusion": "Conclusion", "counts": "Counts",
        "valid": "valid", "invalid": "not valid", "incomplete": "incomplete",
        "explain_valid": "every defect was detected by exactly its items, and every other item passed.",
        "explain_invalid": "a false PASS (a defect missed) or a false FAIL: the method must not be used.",
        "explain_incomplete": "an inconclusive cell or a run without a record: validity is not shown until resolved.",
        "per_item": "Sensitivity and specificity per item", "item": "Item", "hardened": "Hardened device",
        "defects_expected": "Defects to detect", "detected": "Detected", "sensitivity": "Sensitivity",
        "must_pass": "Runs that must pass", "passed": "Passed", "specificity": "Specificity",
        "inconclusive": "inconclusive", "matrix": "Expected against observed",
        "legend": "Cell: the observed verdict (✓ detected as expected, ✗ wrong, ? inconclusive). * marks the items the "
                  "variant's defect must fail.",
        "variant": "Variant", "expected": "expected", "observed": "observed", "not_run": "not run",
        "runs": "The runs (the evidence of the validation)", "defects": "Defects", "expected_fail": "Must fail",
        "report": "Report id", "exit": "Exit", "seconds": "s", "findings": "Findings", "signoff": "Sign-off",
        "performed": "Performed by", "reviewed": "Reviewed by (quality)", "approved": "Approved by",
        "end": "End of record", "page": "page", "none": "none",
    },
}
LANGS = tuple(TEXT)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def render(record: ValidationRecord, lang: str = "ja") -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    r: dict[str, Any] = record.model_dump(mode="json")
    return env.get_template("validation.html.j2").render(
        r=r, t=TEXT[lang], lang=lang, mark=MARK, pct=_pct,
        started=record.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        finished=record.finished.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if record.finished else "—",
    )


def write_rendered(folder: Path, record: ValidationRecord) -> list[Path]:
    out = folder / RENDERED_DIR
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang in LANGS:
        path = out / f"validation-{lang}.html"
        atomic_write_text(path, render(record, lang))
        paths.append(path)
    return paths
