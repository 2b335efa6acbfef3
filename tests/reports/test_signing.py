"""Sign-offs and verification on a real run folder (made by a pytester evaluation)."""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path

import pytest

from reports.complete import main as complete_main
from reports.issue import main as issue_main
from reports.register import ReportRegister
from reports.render import main as render_main
from reports.report_pdf import find_chromium, producer
from reports.sign import main as sign_main
from reports.verify import main as verify_main
from tests.fixtures.conftest import Lab

MORE_EVALUATORS = """
[[evaluators]]
id = "rev01"
name = "Test Reviewer"
role = "reviewer"

[[evaluators]]
id = "app01"
name = "Test Approver"
role = "approver"
"""
ONE_UNIT = """
    import pytest
    @pytest.mark.jcstar("S1.1-10")
    def test_model(unit):
        unit.save_text("page.txt", "Model: EXR-1000", "model page")
        unit.passed("shown")
"""


needs_pdf_tools = pytest.mark.skipif(
    find_chromium() is None or shutil.which("pdftotext") is None,
    reason="Chromium and poppler-utils print and read the PDF reports (scripts/install.sh installs them)",
)


@pytest.fixture
def signing_lab(pytester: pytest.Pytester) -> Lab:
    lab = Lab(pytester)
    path = pytester.path / "lab_config.toml"
    path.write_text(path.read_text(encoding="utf-8") + MORE_EVALUATORS, encoding="utf-8")
    pytester.makepyfile(test_one=ONE_UNIT)
    return lab


@pytest.fixture
def run(signing_lab: Lab) -> Path:
    signing_lab.run("--evaluator", "tech01")
    (folder,) = signing_lab.runs()
    return folder


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    for who in ("tech01", "rev01", "app01", "stranger"):
        assert sign_main(["keygen", str(folder / who)]) == 0
    return folder


def trusted(keys: Path, tmp_path: Path, *who: str) -> Path:
    folder = tmp_path / ("trusted-" + "-".join(who))
    folder.mkdir()
    for w in who:
        (folder / f"{w}.pub").write_bytes((keys / f"{w}.pub").read_bytes())
    return folder


def sign_all(run: Path, keys: Path) -> None:
    for role, who in (("performed", "tech01"), ("reviewed", "rev01"), ("authorised", "app01")):
        assert sign_main([str(run), "--role", role, "--signer", who, "--key", str(keys / f"{who}.key")]) == 0


def test_keygen_keeps_the_private_key_private_and_never_overwrites(tmp_path: Path) -> None:
    assert sign_main(["keygen", str(tmp_path / "k")]) == 0
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600
    assert b"PUBLIC KEY" in (tmp_path / "k.pub").read_bytes()
    assert sign_main(["keygen", str(tmp_path / "k")]) == 4


def test_a_fully_signed_folder_verifies(run: Path, keys: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    sign_all(run, keys)
    capsys.readouterr()
    assert verify_main([str(run), "--keys", str(trusted(keys, tmp_path, "tech01", "rev01", "app01"))]) == 0
    out = capsys.readouterr().out
    assert "VERIFIED, intact and fully signed" in out
    register = ReportRegister(run.parent / "register.sqlite3")
    assert [h[:2] for h in register.history(run.name)] == [("draft", "tech01"), ("reviewed", "rev01"),
                                                          ("authorised", "app01")]
    for line in ("ok: performed: Test Technician (tech01", "ok: reviewed: Test Reviewer (rev01",
                 "ok: authorised: Test Approver (app01"):
        assert line in out


def test_signatures_go_in_order_by_the_right_roles(run: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sign_main([str(run), "--role", "reviewed", "--signer", "rev01", "--key", str(keys / "rev01.key")]) == 4
    assert "sign 'performed' before 'reviewed'" in capsys.readouterr().err
    assert sign_main([str(run), "--role", "performed", "--signer", "rev01", "--key", str(keys / "rev01.key")]) == 4
    assert "is a reviewer" in capsys.readouterr().err
    assert sign_main([str(run), "--role", "performed", "--signer", "ghost", "--key", str(keys / "tech01.key")]) == 4
    assert sign_main([str(run), "--role", "performed", "--signer", "tech01", "--key", str(keys / "tech01.key")]) == 0
    assert sign_main([str(run), "--role", "performed", "--signer", "tech01", "--key", str(keys / "tech01.key")]) == 4
    assert "made once" in capsys.readouterr().err


def test_an_unknown_key_or_a_missing_sign_off_is_reported(run: Path, keys: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_main([str(run), "--keys", str(trusted(keys, tmp_path, "tech01"))]) == 1
    assert "not signed" in capsys.readouterr().out
    sign_main([str(run), "--role", "performed", "--signer", "tech01", "--key", str(keys / "stranger.key")])
    capsys.readouterr()
    assert verify_main([str(run), "--keys", str(trusted(keys, tmp_path, "rev01"))]) == 1
    assert "not among the trusted keys" in capsys.readouterr().out


@needs_pdf_tools
def test_a_byte_flipped_in_any_file_of_an_issued_report_is_caught(
    run: Path, keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_all(run, keys)
    keyring = trusted(keys, tmp_path, "tech01", "rev01", "app01")
    assert issue_main([str(run), "--by", "app01", "--key", str(keys / "app01.key"), "--keys", str(keyring)]) == 0
    files = sorted(p for p in run.rglob("*") if p.is_file())
    assert any(p.parent.name == "signatures" for p in files) and any("evidence" in p.parts for p in files)
    rendered = sorted(p.name for p in files if p.parent.name == "rendered")
    assert rendered == ["checklist-star1.csv", "checklist-star1.xlsx", "report-en.html", "report-en.pdf",
                        "report-ja.html", "report-ja.pdf"]
    # Without Chromium the PDFs rest on the issue sign-off and their text (a print each time would take minutes).
    monkeypatch.setenv("JCSTAR_CHROMIUM", "no-such-browser")
    for path in files:
        original = path.read_bytes()
        flipped = bytearray(original)
        flipped[len(flipped) // 2] ^= 0x01
        path.write_bytes(bytes(flipped))
        try:
            assert verify_main([str(run), "--keys", str(keyring)]) == 1, path
        finally:
            path.write_bytes(original)
    capsys.readouterr()
    assert verify_main([str(run), "--keys", str(keyring)]) == 0


def test_a_signed_record_is_not_completed_any_more(run: Path, keys: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    sign_main([str(run), "--role", "performed", "--signer", "tech01", "--key", str(keys / "tech01.key")])
    answers = tmp_path / "a.toml"
    answers.write_text("schema_version = 1\n", encoding="utf-8")
    assert complete_main([str(run), "--answers", str(answers)]) == 4
    assert "signed" in capsys.readouterr().err


def test_an_encrypted_key_needs_its_passphrase(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TEST_KEY_PASS", "correct horse battery staple")
    assert sign_main(["keygen", str(tmp_path / "enc"), "--passphrase-env", "TEST_KEY_PASS"]) == 0
    assert b"ENCRYPTED" in (tmp_path / "enc.key").read_bytes()
    args = [str(run), "--role", "performed", "--signer", "tech01", "--key", str(tmp_path / "enc.key")]
    assert sign_main(args) == 4  # no passphrase given
    assert sign_main([*args, "--passphrase-env", "TEST_KEY_PASS"]) == 0


@needs_pdf_tools
def test_issue_needs_every_sign_off_and_a_correction_replaces_the_issued_report(
    signing_lab: Lab, run: Path, keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring = str(trusted(keys, tmp_path, "tech01", "rev01", "app01"))
    app = ["--by", "app01", "--key", str(keys / "app01.key"), "--keys", keyring]
    register = ReportRegister(run.parent / "register.sqlite3")
    sign_main([str(run), "--role", "performed", "--signer", "tech01", "--key", str(keys / "tech01.key")])
    assert issue_main([str(run), *app]) == 1  # not fully signed
    assert issue_main([str(run), "--by", "tech01", "--key", str(keys / "tech01.key"), "--keys", keyring]) == 4
    assert issue_main([str(run), "--by", "app01", "--keys", keyring]) == 4  # the issue is signed: no key, no issue
    for role, who in (("reviewed", "rev01"), ("authorised", "app01")):
        sign_main([str(run), "--role", role, "--signer", who, "--key", str(keys / f"{who}.key")])
    assert issue_main([str(run), *app]) == 0
    assert register.get(run.name).status == "issued"  # type: ignore[union-attr]
    assert issue_main([str(run), *app]) == 4  # issued once
    assert not (run / "rendered").with_name("rendered.part").exists()
    # a correction: a new run naming the report it replaces and why
    result = signing_lab.run("--evaluator", "tech01", "--replaces", "TST-1999-0009", "--reason", "typo")
    assert result.ret == 4  # not an issued report of this register
    assert signing_lab.run("--evaluator", "tech01", "--replaces", run.name).ret == 4  # no reason
    signing_lab.run("--evaluator", "tech01", "--replaces", run.name, "--reason", "wrong firmware version recorded")
    new = signing_lab.runs()[-1]
    assert new.name != run.name
    assert signing_lab.record()["replaces"] == {"report_id": run.name, "reason": "wrong firmware version recorded"}
    sign_all(new, keys)
    capsys.readouterr()
    assert issue_main([str(new), *app]) == 0
    assert f"it replaces {run.name}, now marked replaced" in capsys.readouterr().out
    assert register.get(run.name).status == "replaced"  # type: ignore[union-attr]
    assert issue_main([str(run), "--by", "app01", "--withdraw", "--reason", "x"]) == 4  # replaced: final


@needs_pdf_tools
def test_an_issued_report_names_its_issue_date_and_signers_and_its_pdfs_print_again_identically(
    run: Path, keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sign_all(run, keys)
    keyring = str(trusted(keys, tmp_path, "tech01", "rev01", "app01"))
    assert render_main([str(run), "--no-pdf"]) == 0  # a draft for the approver to read first
    assert "未発行（草案）" in (run / "rendered" / "report-ja.html").read_text(encoding="utf-8")
    assert issue_main([str(run), "--by", "app01", "--key", str(keys / "app01.key"), "--keys", keyring]) == 0
    html = (run / "rendered" / "report-en.html").read_text(encoding="utf-8")
    issued = re.search(r"issued: (\d{4}-\d\d-\d\d \d\d:\d\d UTC)", html)
    assert issued, "the issue date is in the report"
    for name in ("Test Technician (tech01, technician)", "Test Reviewer (rev01, reviewer)",
                 "Test Approver (app01, approver)"):
        assert name in html
    capsys.readouterr()
    assert verify_main([str(run), "--keys", keyring]) == 0
    out = capsys.readouterr().out
    assert "ok: issued: Test Approver" in out
    assert out.count("identical to a fresh print of evaluation.json") == 2
    # Anything added to rendered/ after the issue is caught twice: not a rendering, and not issued.
    (run / "rendered" / "notes.txt").write_text("added later", encoding="utf-8")
    assert verify_main([str(run), "--keys", keyring]) == 1
    out = capsys.readouterr().out
    assert "rendered/notes.txt: not a rendering" in out and "rendered/notes.txt was added after" in out


@needs_pdf_tools
def test_an_issued_pdf_stays_verified_where_the_receiver_prints_differently(
    run: Path, keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_all(run, keys)
    keyring = str(trusted(keys, tmp_path, "tech01", "rev01", "app01"))
    assert issue_main([str(run), "--by", "app01", "--key", str(keys / "app01.key"), "--keys", keyring]) == 0
    # A named fake browser: the receiver's "Chromium" (same milestone, other fonts) prints other bytes.
    made_by = producer((run / "rendered" / "report-ja.pdf").read_bytes())
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nfor a in \"$@\"; do case $a in --print-to-pdf=*) out=${a#--print-to-pdf=};; esac; "
                    f"done\nprintf '%%PDF-1.4\\n<</Producer ({made_by})>>\\n%%%%EOF\\n' > \"$out\"\n",
                    encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("JCSTAR_CHROMIUM", str(fake))
    capsys.readouterr()
    assert verify_main([str(run), "--keys", keyring]) == 0
    out = capsys.readouterr().out
    assert out.count("the PDF the issue sign-off covers; a fresh print here") == 2
    # The same PDF without the issue sign-off's cover is not vouched for.
    (run / "signatures" / "issued.dsse.json").unlink()
    assert verify_main([str(run), "--keys", keyring]) == 1
    out = capsys.readouterr().out
    assert "report-ja.pdf: differs from a fresh print of evaluation.json by the same Chromium" in out
