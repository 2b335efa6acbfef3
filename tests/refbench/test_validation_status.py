"""Whether the kept validation record still covers the method: a change to a procedure calls for a new
validation, a change to a test or to prose does not."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from refbench.validation_status import StatusError, main, method_changes, status
from reports.validation import VALIDATION_NAME
from tests.reports.test_validation import ENV, P, record, run


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    (r / "labtests").mkdir(parents=True)
    (r / "tests").mkdir()
    (r / "labtests" / "test_x.py").write_text("A = 1\n")
    (r / "tests" / "test_y.py").write_text("B = 1\n")
    (r / "README.md").write_text("prose\n")
    git(r, "init", "-q")
    git(r, "add", ".")
    git(r, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "one")
    return r


def kept(folder: Path, commit: str | None, dirty: bool = False) -> Path:
    rec = record([run("hardened", [], {"S1.1-02": P, "S1.1-12": P, "S1.1-13": P}, defects=[])])
    rec = rec.model_copy(update={"full": True, "finished": datetime(2026, 11, 29, tzinfo=UTC),
                                 "environment": ENV.model_copy(update={"git_commit": commit, "git_dirty": dirty})})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / VALIDATION_NAME).write_text(rec.model_dump_json(), encoding="utf-8")
    return folder


def test_tests_and_prose_do_not_need_a_new_validation_a_procedure_does(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    folder = kept(tmp_path / "v", head)
    (repo / "tests" / "test_y.py").write_text("B = 2\n")
    (repo / "README.md").write_text("more prose\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.md").write_text("notes\n")
    assert method_changes(head, repo) == []
    code, lines = status(folder, repo)
    assert code == 0 and lines[-1].startswith("CURRENT")
    (repo / "labtests" / "test_x.py").write_text("A = 2\n")  # uncommitted counts too
    (repo / "labtests" / "test_new.py").write_text("C = 1\n")  # and a new file
    assert method_changes(head, repo) == ["labtests/test_new.py", "labtests/test_x.py"]
    code, lines = status(folder, repo)
    assert code == 1 and "  labtests/test_x.py" in lines and lines[-1].startswith("NOT CURRENT")


def test_a_dirty_or_unknown_commit_is_not_current_or_cannot_be_told(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    assert status(kept(tmp_path / "dirty", head, dirty=True), repo)[0] == 1
    with pytest.raises(StatusError, match="not in the history"):
        status(kept(tmp_path / "unknown", "f" * 40), repo)
    with pytest.raises(StatusError, match="names no harness commit"):
        status(kept(tmp_path / "none", None), repo)
    with pytest.raises(StatusError, match="cannot be read"):
        status(tmp_path / "missing", repo)


def test_the_command_says_cannot_tell_with_exit_6(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nothing")]) == 6
    assert "CANNOT TELL" in capsys.readouterr().err
