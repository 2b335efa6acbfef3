"""The quality manager's approval of a validation record: who may sign what, and what verification catches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reports.signing import Signer, SigningError, generate_keypair, load_private
from reports.validation import VALIDATION_NAME
from reports.validation_html import write_rendered
from reports.validation_sign import approval_path, approve, check_approval, main
from reports.verify import trusted_keys
from tests.fixtures.conftest import lab_config_text
from tests.reports.test_validation import F, P, record, run

QA = Signer(id="qa01", name="Quality Manager", role="quality_manager")


def folder_with(tmp_path: Path, *, valid: bool = True, full: bool = True, finished: bool = True) -> Path:
    variants = [run("hardened", [], {"S1.1-02": P, "S1.1-12": P, "S1.1-13": P}, defects=[]),
                run("default-password", ["S1.1-02"], {"S1.1-02": F if valid else P, "S1.1-12": P, "S1.1-13": P})]
    rec = record(variants).model_copy(update={"full": full,
                                              "finished": datetime(2026, 11, 29, 18, tzinfo=UTC) if finished else None})
    folder = tmp_path / "validation"
    folder.mkdir()
    (folder / VALIDATION_NAME).write_text(rec.model_dump_json(indent=2), encoding="utf-8")
    write_rendered(folder, rec)
    return folder


@pytest.fixture
def qa_key(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keypair(tmp_path / "keys" / "qa01")


def test_an_approved_validation_verifies_and_any_change_is_caught(tmp_path: Path, qa_key: tuple[Path, Path]) -> None:
    folder = folder_with(tmp_path)
    approve(folder, QA, load_private(qa_key[0]))
    keys = trusted_keys([qa_key[1]])
    problems, who = check_approval(folder, keys)
    assert problems == [] and "qa01" in who and "c" * 40 in who
    for name in [VALIDATION_NAME, *[p.relative_to(folder).as_posix() for p in (folder / "rendered").iterdir()]]:
        target = folder / name
        original = target.read_bytes()
        target.write_bytes(original.replace(b"2026", b"2027", 1))
        assert any(name in p and "changed" in p for p in check_approval(folder, keys)[0]), name
        target.write_bytes(original)
    (folder / "rendered" / "extra.html").write_text("<p>added</p>")
    assert any("added after the approval" in p for p in check_approval(folder, keys)[0])


def test_another_key_is_not_trusted(tmp_path: Path, qa_key: tuple[Path, Path]) -> None:
    folder = folder_with(tmp_path)
    approve(folder, QA, load_private(qa_key[0]))
    _, other_pub = generate_keypair(tmp_path / "keys" / "other")
    assert any("not among the trusted keys" in p for p in check_approval(folder, trusted_keys([other_pub]))[0])


@pytest.mark.parametrize(("kw", "why"), [({"valid": False}, "invalid"), ({"full": False}, "not the full matrix"),
                                         ({"finished": False}, "not finished")])
def test_only_a_finished_full_valid_validation_is_approved(tmp_path: Path, qa_key: tuple[Path, Path],
                                                           kw: dict[str, bool], why: str) -> None:
    folder = folder_with(tmp_path, **kw)
    with pytest.raises(SigningError, match=why):
        approve(folder, QA, load_private(qa_key[0]))
    assert not approval_path(folder).exists()


def test_a_technician_cannot_approve_and_an_approval_is_made_once(tmp_path: Path, qa_key: tuple[Path, Path]) -> None:
    folder = folder_with(tmp_path)
    with pytest.raises(SigningError, match="quality_manager, approver"):
        approve(folder, Signer(id="tech01", name="T", role="technician"), load_private(qa_key[0]))
    approve(folder, QA, load_private(qa_key[0]))
    with pytest.raises(SigningError, match="made once"):
        approve(folder, QA, load_private(qa_key[0]))


def test_the_command_line(tmp_path: Path, qa_key: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder = folder_with(tmp_path)
    lab = tmp_path / "lab_config.toml"
    qa = '[[evaluators]]\nid = "qa01"\nname = "Q"\nrole = "quality_manager"\n'
    lab.write_text(lab_config_text(tmp_path / "runs").replace("[network]", qa + "[network]", 1), encoding="utf-8")
    assert main(["verify", str(folder), "--keys", str(qa_key[1])]) == 1
    assert "no approval" in capsys.readouterr().out
    assert main(["sign", str(folder), "--signer", "tech01", "--key", str(qa_key[0]), "--lab-config", str(lab)]) == 4
    assert "is a technician" in capsys.readouterr().err
    assert main(["sign", str(folder), "--signer", "qa01", "--key", str(qa_key[0]), "--lab-config", str(lab)]) == 0
    assert main(["verify", str(folder), "--keys", str(qa_key[1].parent)]) == 0
    assert "VERIFIED: approved: Q (qa01, quality_manager)" in capsys.readouterr().out
