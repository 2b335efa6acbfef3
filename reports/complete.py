"""Complete a run's pending review questions after the run, into the same report.

    python -m reports.complete runs/JCL-2026-0018 --answers answers.toml [--answers more.toml]
    python -m reports.complete runs/JCL-2026-0018 --ask --evaluator tech01
    python -m reports.complete runs/JCL-2026-0018 --template answers.toml [--evaluator tech01]

The record is never edited by hand: this command checks that the run folder is intact, applies the
answers that fit a pending question (same check, same document version), records each one in the
audit log, recomputes the unit, item and overall verdicts, keeps a hashed copy of the answers file in
``inputs/``, and seals the folder again. The device is not needed. Questions already decided are
never changed; an answer that does not fit is reported and the question stays pending.

``--template`` writes an answers file listing every pending question with its documents and their
SHA-256 filled in, for the evaluator to complete (``verdict = "pending"`` until then).

Exit status: as an evaluation (0 conforms, 1 does not conform, 6 cannot be determined); 4 when the
folder, the answers or the options are wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from fixtures.answers import Provided, checklist_verdict, load_answers
from fixtures.audit import AUDIT_NAME, AuditLog
from fixtures.evidence import RunFolder
from fixtures.labconfig import LabConfig
from fixtures.review import apply_answer
from fixtures.review_prompt import ask_check, open_review_terminal
from fixtures.session import EVALUATION_NAME, INPUTS_DIR, keep_answers
from fixtures.tomlfile import InputFileError
from reports.aggregate import EXIT_BY_STATEMENT, EXIT_INTERRUPTED, EXIT_USAGE, item_verdict, overall
from reports.folder import FolderError, open_closed_run
from reports.manifest import SIGNATURES_DIR, atomic_write_text, load_manifest
from reports.model import CheckVerdict, Completion, EvaluationRecord, Reason, UnitResult

ASK_SECONDS = 3600.0


class CompletionError(Exception):
    """The run folder cannot be completed (altered, still running, unknown evaluator…)."""


def _open(root: Path) -> tuple[EvaluationRecord, LabConfig]:
    rec, lab = open_closed_run(root, "completed")
    if any((root / SIGNATURES_DIR).glob("*.dsse.json")):
        raise CompletionError(
            f"{root}: the record is signed, so it is not changed any more; a correction is a new report"
        )
    return rec, lab


def pending_checks(rec: EvaluationRecord) -> list[tuple[UnitResult, int]]:
    return [
        (u, i) for u in rec.units for i, c in enumerate(u.checklist) if c.verdict is CheckVerdict.PENDING
    ]


def _recompute(rec: EvaluationRecord, rule_id: str, rule: str) -> int:
    na = {n.item: n.justification for n in rec.not_applicable}
    for n, u in enumerate(rec.units):
        # Only a unit that waited for answers alone is decided by them: one that also broke (an error,
        # a timeout) keeps its INCONCLUSIVE whatever is answered.
        if not u.checklist or u.reason is not Reason.EVALUATOR_INPUT_PENDING:
            continue
        verdict, reason, rationale = checklist_verdict(u.checklist, na.get(u.item))
        rec.units[n] = u.model_copy(update={"verdict": verdict, "reason": reason, "rationale": rationale})
    for n, item in enumerate(rec.items):
        units = [u for u in rec.units if u.item == item.id]
        verdict, reason, rationale = item_verdict(units, na.get(item.id))
        rec.items[n] = item.model_copy(update={"verdict": verdict, "reason": reason, "rationale": rationale})
    rec.overall = overall([i.verdict for i in rec.items], rule_id, rule)
    status = EXIT_INTERRUPTED if rec.state == "interrupted" else EXIT_BY_STATEMENT[rec.overall.statement]
    rec.exit_status = status
    return status


def complete(
    root: Path,
    answers: list[Path],
    *,
    ask: bool = False,
    evaluator: str | None = None,
    out: object = sys.stdout,
) -> int:
    rec, lab = _open(root)
    by = _who(lab, evaluator or rec.evaluator.id)
    run = RunFolder(root, rec.report_id, load_manifest(root))
    audit = AuditLog(root / AUDIT_NAME)
    try:
        return _complete(rec, lab, run, audit, answers, ask, by, out)
    finally:
        audit.close()


def _who(lab: LabConfig, evaluator: str) -> str:
    if lab.evaluator(evaluator) is None:
        known = ", ".join(e.id for e in lab.evaluators)
        raise CompletionError(f"--evaluator {evaluator}: not an evaluator of the run's lab config (known: {known})")
    return evaluator


def _complete(
    rec: EvaluationRecord, lab: LabConfig, run: RunFolder, audit: AuditLog, answers: list[Path], ask: bool,
    by: str, out: object,
) -> int:
    root = run.root
    loaded = []
    for path in answers:
        given = load_answers(path, lab)  # every file checked before anything is kept
        loaded.append((path, given))
    provided: list[Provided] = []
    sources: list[str | None] = []
    for path, given in loaded:
        kept = keep_answers(run, audit, path, given)
        provided += kept
        sources.append(kept[0].source_file if kept else f"{INPUTS_DIR}/(empty {path.name})")
    audit.record("run.complete.start", detail=f"completing {rec.report_id}", evaluator=by)
    answered: list[str] = []
    terminal = open_review_terminal(ASK_SECONDS) if ask else None
    if ask and terminal is None:
        _say(out, "No terminal to ask at: the questions without an answer stay pending.")
    try:
        for unit, i in pending_checks(rec):
            check = unit.checklist[i]
            folder = run.unit_dir(unit.nodeid)
            new = apply_answer(check, provided, lab, run, folder, unit.nodeid, audit)
            if new.verdict is CheckVerdict.PENDING and terminal is not None:
                who = lab.evaluator(by)
                assert who is not None  # checked by _who
                one = ask_check(terminal, new, None, who, str(root))
                if one is not None:
                    new = apply_answer(new, [one], lab, run, folder, unit.nodeid, audit)
            if new.verdict is not CheckVerdict.PENDING or new.detail != check.detail:
                unit.checklist[i] = new
                if new.answer is not None and new.answer.attached is not None:
                    unit.evidence.append(new.answer.attached)
            if new.verdict is not CheckVerdict.PENDING:
                answered.append(new.check_id)
            elif new.detail != check.detail:
                _say(out, f"{new.check_id}: still pending: {new.detail}")
    finally:
        if terminal is not None:
            terminal.close()
    rule = lab.decision_rule
    before = {u.nodeid: u.verdict for u in rec.units}
    status = _recompute(rec, rule.id, rule.wording)
    for u in rec.units:
        if before.get(u.nodeid) is not u.verdict:
            audit.record("unit.verdict", detail=f"{u.verdict.value}: {u.rationale}"[:500], unit_id=u.nodeid,
                         verdict=u.verdict.value)
    still = [c.check_id for u, i in pending_checks(rec) for c in [u.checklist[i]]]
    rec.completions.append(
        Completion(
            at=datetime.now(UTC),
            by=by,
            source="interactive" if ask and not answers else "answers_file",
            source_file=", ".join(s for s in sources if s) or None,
            answered=answered,
            still_pending=still,
        )
    )
    assert rec.overall is not None
    audit.record(
        "run.complete",
        detail=f"{len(answered)} answered, {len(still)} still pending; {rec.overall.statement.value}; "
        f"exit status {status}",
        evaluator=by,
    )
    audit.close()
    atomic_write_text(root / EVALUATION_NAME, rec.model_dump_json(indent=2))
    run.finalize([root / EVALUATION_NAME, root / AUDIT_NAME])
    _say(out, f"{rec.report_id}: {len(answered)} questions answered, {len(still)} still pending.")
    for item in rec.items:
        why = f" [{item.reason.value}]" if item.reason else ""
        _say(out, f"  {item.id}  {item.verdict.value:<15}{why} {item.rationale}"[:200])
    _say(out, f"Statement of conformity: {rec.overall.statement.value.replace('_', ' ')} (exit status {status})")
    return status


def write_template(root: Path, dest: Path, evaluator: str | None, out: object = sys.stdout) -> int:
    """An answers file with every pending question, its subjects and digests, ready to fill in."""
    rec, lab = _open(root)
    who = _who(lab, evaluator or rec.evaluator.id)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    lines = [
        f"# Answers for the pending review questions of {rec.report_id} ({rec.device.product_name}, "
        f"{rec.device.model_number}).",
        "# For each question: read the document, set verdict to pass, fail or not_applicable, say what you saw",
        "# in rationale and where (location). Keep document and sha256: they bind the answer to the version",
        "# you read. Then: python -m reports.complete " + str(root) + " --answers " + str(dest),
        "schema_version = 1",
        "",
    ]
    for unit, i in pending_checks(rec):
        c = unit.checklist[i]
        lines.append(f"# {c.check_id}: {c.question_en}")
        lines.append(f"#   {c.question_ja}")
        for s in c.subjects:
            where = f"{root}/{s.path}" if s.path else (s.url or "no copy: attach the one you read with file = …")
            lines.append(f"#   reads {s.key}: {s.title} — {where}")
        if c.aid is not None:
            lines.append(f"#   aid ({c.aid.aid}, {c.aid.outcome}): {c.aid.detail[:300]}")
        s0 = c.subjects[0] if c.subjects else None
        lines += [
            "[[answers]]",
            f"check = {json.dumps(c.check_id)}",
            f"evaluator = {json.dumps(who)}",
            f"at = {now}",
            'verdict = "pending"',
            'rationale = ""',
            f"document = {json.dumps(s0.key if s0 else 'ixit')}",
        ]
        if s0 is not None and s0.sha256:
            lines.append(f"sha256 = {json.dumps(s0.sha256)}")
        lines += ['location = ""', ""]
    dest.write_text("\n".join(lines), encoding="utf-8")
    _say(out, f"{dest}: {len(pending_checks(rec))} pending questions of {rec.report_id}")
    return 0


def _say(out: object, text: str) -> None:
    print(text, file=out)  # type: ignore[call-overload]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.complete", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="the run folder, e.g. runs/JCL-2026-0018")
    parser.add_argument("--answers", action="append", default=[], type=Path, metavar="FILE")
    parser.add_argument("--ask", action="store_true", help="ask the pending questions at the terminal")
    parser.add_argument("--evaluator", metavar="ID", help="who answers (default: the run's evaluator)")
    parser.add_argument("--template", type=Path, metavar="FILE", help="write an answers file to fill in")
    args = parser.parse_args(argv)
    try:
        if args.template is not None:
            return write_template(args.run, args.template, args.evaluator)
        if not args.answers and not args.ask:
            parser.error("give --answers FILE, --ask or --template FILE")
        return complete(args.run, args.answers, ask=args.ask, evaluator=args.evaluator)
    except (CompletionError, FolderError, InputFileError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
