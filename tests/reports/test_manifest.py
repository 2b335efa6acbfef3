"""The manifest catches every change to a run folder: edited, removed or added files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reports.manifest import Manifest, ManifestEntry, save_manifest, sha256_file, verify_manifest


def make_run(tmp_path: Path) -> Path:
    (tmp_path / "evidence").mkdir()
    files = {"evidence/a.txt": b"alpha", "evidence/b.bin": bytes(range(256)), "evaluation.json": b"{}"}
    m = Manifest(report_id="X-1")
    for rel, data in files.items():
        (tmp_path / rel).write_bytes(data)
        m.files[rel] = ManifestEntry(
            sha256=sha256_file(tmp_path / rel), size=len(data), recorded=datetime.now(UTC)
        )
    save_manifest(tmp_path, m)
    return tmp_path


def test_intact_run_has_no_problems(tmp_path: Path) -> None:
    assert verify_manifest(make_run(tmp_path)) == []


def test_every_single_byte_flip_is_detected(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    for rel in ("evidence/a.txt", "evidence/b.bin", "evaluation.json"):
        path = run / rel
        original = path.read_bytes()
        for i in range(len(original)):
            flipped = bytearray(original)
            flipped[i] ^= 0x01
            path.write_bytes(bytes(flipped))
            assert verify_manifest(run) == [f"{rel}: content differs from the manifest (SHA-256 mismatch)"]
        path.write_bytes(original)
    assert verify_manifest(run) == []


def test_removed_and_added_files_are_detected(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    (run / "evidence" / "a.txt").unlink()
    (run / "evidence" / "new.txt").write_text("slipped in")
    assert verify_manifest(run) == [
        "evidence/a.txt: listed in the manifest but missing",
        "evidence/new.txt: present but not in the manifest",
    ]


def test_unreadable_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    assert verify_manifest(tmp_path)[0].startswith("manifest.json: cannot be read")


def test_check_command_reports_intact_and_tampered_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reports.check import main

    run = make_run(tmp_path)
    (run / "audit.jsonl").write_text("")
    assert main([str(run)]) == 1  # evaluation.json '{}' is not a record
    out = capsys.readouterr().out
    assert "evaluation.json: does not match the record model" in out
    assert "audit.jsonl: present but not in the manifest" in out
