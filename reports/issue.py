"""Issue an authorised report, or withdraw one, in the lab's report register.

    python -m reports.issue RUN_FOLDER --by ID --keys DIR_OR_PUB [--keys …]
    python -m reports.issue RUN_FOLDER --by ID --withdraw --reason TEXT

A report is issued only when the folder verifies (intact, every file as sealed, and signed
performed, reviewed and authorised with trusted keys). Issuing a report that replaces an earlier one
(``pytest … --replaces ID --reason TEXT``) marks that one ``replaced``. An issued report is never
changed: a correction is a new run that replaces it (ISO/IEC 17025 7.8.8). Exit 0 when done, 1 when
the folder does not verify, 4 when refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fixtures.labconfig import load_lab_config
from fixtures.session import EVALUATION_NAME, INPUTS_DIR
from fixtures.tomlfile import InputFileError
from reports.aggregate import EXIT_USAGE
from reports.model import EvaluationRecord
from reports.register import ReportRegister, register_path
from reports.signing import SigningError
from reports.verify import trusted_keys, verify


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.issue", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--by", required=True, metavar="ID", help="who issues or withdraws it (lab config)")
    ap.add_argument("--keys", action="append", type=Path, default=[], metavar="DIR_OR_PUB")
    ap.add_argument("--withdraw", action="store_true")
    ap.add_argument("--reason", metavar="TEXT")
    a = ap.parse_args(argv)
    try:
        rec = EvaluationRecord.model_validate_json((a.run / EVALUATION_NAME).read_bytes())
        lab = load_lab_config(a.run / INPUTS_DIR / "lab_config.toml")
        who = lab.evaluator(a.by)
        if who is None or who.role not in ("approver", "quality_manager"):
            raise SigningError(f"--by {a.by}: reports are issued and withdrawn by an approver or quality manager "
                               "of the run's lab config")
        register = ReportRegister(register_path(rec.lab_config.path, lab.report.register_db))
        if a.withdraw:
            if not (a.reason and a.reason.strip()):
                raise SigningError("--withdraw needs --reason TEXT")
            register.set_status(rec.report_id, "withdrawn", f"{a.by}: {a.reason.strip()}")
            print(f"{rec.report_id}: withdrawn by {a.by} ({a.reason.strip()})")
            return 0
        if not a.keys:
            raise SigningError("give --keys with the lab's trusted public keys: a report is issued only when "
                               "it verifies")
        lines, problems = verify(a.run, trusted_keys(a.keys))
        if problems or any(line.startswith("not signed yet") for line in lines):
            for p in problems:
                print(f"PROBLEM: {p}")
            print(f"{rec.report_id}: not issued: " + ("it does not verify" if problems else "not fully signed"))
            return 1
        replaced = register.issue(rec.report_id, a.by)
        print(f"{rec.report_id}: issued by {a.by}" + (f"; it replaces {replaced}, now marked replaced" if replaced
                                                       else ""))
        return 0
    except (SigningError, InputFileError, OSError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
