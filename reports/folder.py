"""Opening a run folder after the run, for the commands that work on one (complete, sign, issue,
render): its record, its lab config as the run kept it, and its lab's report register."""

from __future__ import annotations

from pathlib import Path

from fixtures.labconfig import LabConfig, load_lab_config
from fixtures.session import EVALUATION_NAME, INPUTS_DIR
from reports.check import check_run
from reports.model import EvaluationRecord
from reports.register import ReportRegister, register_path


class FolderError(Exception):
    """The run folder cannot be used for what was asked (unreadable, altered, still running)."""


def read_record(root: Path) -> EvaluationRecord:
    path = root / EVALUATION_NAME
    try:
        return EvaluationRecord.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise FolderError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__}); is {root} a run "
                          "folder?") from None
    except ValueError as exc:
        raise FolderError(f"{path}: not a readable evaluation record ({type(exc).__name__})") from None


def read_lab_config(root: Path) -> LabConfig:
    """The lab config as the run kept it (inputs/), not whatever the lab's file says today."""
    return load_lab_config(root / INPUTS_DIR / "lab_config.toml")


def open_closed_run(root: Path, purpose: str) -> tuple[EvaluationRecord, LabConfig]:
    """An intact run folder whose run has ended; ``purpose`` ("completed", "signed"…) goes in the refusal."""
    problems = check_run(root)
    if problems:
        raise FolderError(f"{root}: the record is not intact, so it cannot be {purpose} ({len(problems)} problems; "
                          f"first: {problems[0]}). Run python -m reports.check {root} for the list.")
    record = read_record(root)
    if record.state == "running":
        raise FolderError(f"{root}: the run has not ended (still running, or it crashed before closing its record)")
    return record, read_lab_config(root)


def register_of(record: EvaluationRecord, lab: LabConfig) -> ReportRegister:
    """The lab's report register, found as the run's lab config names it."""
    return ReportRegister(register_path(record.lab_config.path, lab.report.register_db))
