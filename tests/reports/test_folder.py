"""Opening a run folder after the run: clear refusals naming the folder and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.folder import FolderError, open_closed_run, read_record
from tests.reports.test_checklist import checklist_record


def test_an_unreadable_record_is_named(tmp_path: Path) -> None:
    with pytest.raises(FolderError, match=r"evaluation\.json: cannot be read .*is .* a run folder\?"):
        read_record(tmp_path)
    (tmp_path / "evaluation.json").write_text('{"report_id": 3}', encoding="utf-8")
    with pytest.raises(FolderError, match=r"evaluation\.json: not a readable evaluation record \(ValidationError\)"):
        read_record(tmp_path)
    (tmp_path / "evaluation.json").write_text(checklist_record().model_dump_json(), encoding="utf-8")
    assert read_record(tmp_path).report_id == checklist_record().report_id


def test_a_folder_that_is_not_intact_is_refused_for_the_purpose_given(tmp_path: Path) -> None:
    (tmp_path / "evaluation.json").write_text(checklist_record().model_dump_json(), encoding="utf-8")
    with pytest.raises(FolderError, match=r"the record is not intact, so it cannot be signed .*reports\.check"):
        open_closed_run(tmp_path, "signed")  # no manifest, no audit log
