"""Rendering a run folder's reader views (rendered/) all at once, and all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.render import RenderError, main, render_folder
from tests.reports.test_checklist import checklist_record


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "runs" / "JCL-2026-0042"
    root.mkdir(parents=True)
    (root / "evaluation.json").write_text(checklist_record().model_dump_json(), encoding="utf-8")
    return root


def test_html_and_checklist_without_a_browser(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCSTAR_CHROMIUM", "no-such-browser")
    names = [p.name for p in render_folder(folder, pdf=False)]
    assert names == ["checklist-star1.csv", "checklist-star1.xlsx", "report-en.html", "report-ja.html"]
    html = (folder / "rendered" / "report-ja.html").read_text(encoding="utf-8")
    assert "未発行（草案）" in html and "未署名" in html  # a draft says so, and who has not signed yet


def test_a_failed_print_leaves_the_earlier_rendering_and_nothing_else(folder: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    render_folder(folder, pdf=False)
    before = {p.name: p.read_bytes() for p in (folder / "rendered").iterdir()}
    fake = tmp_path / "fake-chromium"  # a named fake: a browser that fails
    fake.write_text("#!/bin/sh\necho 'no usable sandbox' >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("JCSTAR_CHROMIUM", str(fake))
    with pytest.raises(RenderError, match="no usable sandbox"):
        render_folder(folder)
    assert {p.name: p.read_bytes() for p in (folder / "rendered").iterdir()} == before
    assert sorted(p.name for p in folder.parent.iterdir()) == ["JCL-2026-0042"]  # no staging left beside it
    assert main([str(folder)]) == 4
    assert "ERROR: Chromium failed on report-ja.html" in capsys.readouterr().err


def test_a_folder_without_a_record_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nowhere"), "--no-pdf"]) == 4
    err = capsys.readouterr().err
    assert "nowhere/evaluation.json: cannot be read" in err and "is " in err and "a run folder?" in err
