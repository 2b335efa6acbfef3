"""The readers of a run folder, fuzzed: what a receiver (or a resumed run) reads may be anything.

A report folder travels: the receiver runs ``reports.verify`` on files the lab no longer controls, and
``--resume`` reads a folder a crash or a person may have damaged. Each reader either returns what it
read, reports problems in its list, or raises its module's own error; never another exception. The
inventory of parsers (docs/parsers.md) names these tests.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fixtures.tomlfile import InputFileError
from reports.audit_chain import GENESIS, record_hash, verify_chain, verify_lines
from reports.check import check_run
from reports.folder import FolderError, read_lab_config, read_record
from reports.manifest import load_manifest, verify_manifest
from reports.render import RenderError, load_record
from reports.report_html import signoffs_of
from reports.report_pdf import page_texts
from reports.signing import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    SigningError,
    check_signature,
    key_id,
    load_private,
    load_public,
)
from reports.verify import schema_problems, trusted_keys

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(max_examples=30, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=4),
                    max_leaves=15)
# What a hostile sender puts where a file name is expected.
NAMES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["evaluation.json", "/dev/zero", "/proc/self/mem", "../outside", "a/../../b", "", ".", "a//b",
                     "\x00", "\udcff", "x" * 300, "x/" * 600, "evidence/" + "y" * 256, "rendered/" + "z" * 300,
                     "rendered/../evaluation.json", "manifest.json/x"]),
)
DEEP = st.integers(min_value=1, max_value=3).map(lambda k: "[" * (10 ** (k + 2)))
BYTES = st.one_of(st.binary(max_size=600), DEEP.map(str.encode), st.sampled_from([b"\xff\xfe", b"{}", b"[]", b"null"]))


def _fresh(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def _entry(sha: Any = "0" * 64) -> dict[str, Any]:
    return {"sha256": sha, "size": 1, "recorded": "2026-01-01T00:00:00Z"}


# -- manifest.json ---------------------------------------------------------------------------------------


@FUZZ
@given(data=BYTES)
def test_any_manifest_bytes_are_a_problem_not_an_exception(tmp_path: Path, data: bytes) -> None:
    folder = _fresh(tmp_path)
    (folder / "manifest.json").write_bytes(data)
    problems = verify_manifest(folder)
    assert all(isinstance(p, str) for p in problems)
    with contextlib.suppress(OSError, ValueError):
        load_manifest(folder)


@FUZZ
@example(files={"/dev/zero": _entry(), "x" * 300: _entry()}, incomplete=["../x"])  # once read forever / raised
@given(files=st.dictionaries(NAMES, st.one_of(st.just(_entry()), JSON), max_size=4),
       incomplete=st.one_of(st.lists(NAMES, max_size=3), JSON))
def test_any_manifest_listing_is_checked_inside_the_folder_only(tmp_path: Path, files: dict[str, Any],
                                                               incomplete: Any) -> None:
    folder = _fresh(tmp_path)
    (folder / "evaluation.json").write_text("{}", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"report_id": "X", "files": files, "incomplete": incomplete}),
                                          encoding="utf-8")
    problems = verify_manifest(folder)
    assert all(isinstance(p, str) for p in problems)
    try:
        manifest = load_manifest(folder)
    except ValueError:
        return
    for rel in [*manifest.files, *manifest.incomplete]:  # only ever a path inside the folder
        assert (folder / rel).resolve().is_relative_to(folder.resolve())


# -- audit.jsonl -----------------------------------------------------------------------------------------


def _chain(records: list[dict[str, Any]]) -> list[str]:
    prev, out = GENESIS, []
    for rec in records:
        body = {**rec, "prev": prev}
        prev = record_hash(body)
        out.append(json.dumps({**body, "hash": prev}, ensure_ascii=False))
    return out


@FUZZ
@given(data=BYTES)
def test_any_audit_log_bytes_are_a_problem_not_an_exception(tmp_path: Path, data: bytes) -> None:
    path = _fresh(tmp_path) / "audit.jsonl"
    path.write_bytes(data)
    problems = verify_chain(path)
    assert all(isinstance(p, str) and p.startswith("audit.jsonl") for p in problems)


@FUZZ
@example(records=[{}], where=0, line=f'{{"prev": "{GENESIS}", "x": "\\ud800", "hash": "x"}}')  # once raised
@given(records=st.lists(st.dictionaries(st.text(max_size=8), JSON, max_size=3), min_size=1, max_size=4),
       where=st.integers(min_value=0, max_value=3),
       line=st.one_of(st.text(max_size=60), DEEP, st.sampled_from(['{"hash": 1}', "[]", '"x"', "1e999",
                                                                    '{"prev": "\\ud800", "hash": "x"}'])))
def test_an_audit_chain_with_any_line_replaced_is_a_problem(records: list[dict[str, Any]], where: int,
                                                            line: str) -> None:
    records = [{k: v for k, v in r.items() if k not in ("hash", "prev")} for r in records]
    lines = _chain(records)
    assert verify_lines("audit.jsonl", lines) == []
    lines[where % len(lines)] = line
    problems = verify_lines("audit.jsonl", lines)
    assert all(isinstance(p, str) for p in problems)


# -- evaluation.json and the folder ------------------------------------------------------------------------


@FUZZ
@given(data=BYTES, audit=BYTES)
def test_any_folder_content_is_checked_without_raising(tmp_path: Path, data: bytes, audit: bytes) -> None:
    folder = _fresh(tmp_path)
    (folder / "evaluation.json").write_bytes(data)
    (folder / "audit.jsonl").write_bytes(audit)
    assert check_run(folder)  # no manifest: never intact
    assert all(isinstance(p, str) for p in schema_problems(folder))
    with pytest.raises(FolderError):
        read_record(folder)  # no byte string of this size is a valid record
    with pytest.raises(RenderError):
        load_record(folder)


@FEW
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_any_kept_lab_config_is_an_input_file_error(tmp_path: Path, text: str) -> None:
    folder = _fresh(tmp_path)
    (folder / "inputs").mkdir()
    (folder / "inputs" / "lab_config.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        read_lab_config(folder)
    except InputFileError as exc:
        assert str(exc).startswith(str(folder / "inputs" / "lab_config.toml"))


# -- keys and sign-offs -------------------------------------------------------------------------------------

_KEY = Ed25519PrivateKey.generate()
_PUB_PEM = _KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
_PRIV_PEM = _KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())


def _mutated(base: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, len(base) - 1), st.binary(max_size=8), st.integers(0, 8)).map(
        lambda t: base[: t[0]] + t[1] + base[t[0] + t[2]:])


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), _mutated(_PUB_PEM), _mutated(_PRIV_PEM)))
def test_any_key_file_is_a_key_or_a_signing_error(tmp_path: Path, data: bytes) -> None:
    keys = _fresh(tmp_path)
    (keys / "lab.pub").write_bytes(data)
    (keys / "lab.key").write_bytes(data)
    for read in (load_public, load_private):
        with contextlib.suppress(SigningError):
            read(keys / ("lab.pub" if read is load_public else "lab.key"))
    with contextlib.suppress(SigningError):
        assert trusted_keys([keys])


def _envelope(statement: Any, sig: bytes = b"\0" * 64) -> str:
    payload = json.dumps(statement).encode()
    return json.dumps({"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
                       "signatures": [{"keyid": key_id(_KEY.public_key()), "sig": base64.b64encode(sig).decode()}]})


@FUZZ
@example(names=["rendered/" + "z" * 300], digest={"sha256": "0" * 64}, role="issued")  # once raised OSError
@given(names=st.lists(NAMES, max_size=4), digest=st.one_of(st.just({"sha256": "0" * 64}), st.dictionaries(
    st.text(max_size=8), st.text(max_size=8), max_size=2)), role=st.sampled_from(["performed", "issued"]))
def test_a_sign_off_naming_any_subjects_is_checked_inside_the_folder(tmp_path: Path, names: list[str],
                                                                     digest: dict[str, str], role: Any) -> None:
    folder = _fresh(tmp_path)
    (folder / "evaluation.json").write_text("{}", encoding="utf-8")
    (folder / "signatures").mkdir()
    (folder / "rendered").mkdir()  # so that a name inside it reaches the OS
    statement = {"_type": STATEMENT_TYPE, "predicateType": PREDICATE_TYPE,
                 "subject": [{"name": n, "digest": digest} for n in names],
                 "predicate": {"report_id": "X", "role": role, "signer": {"id": "a", "name": "A", "role": "approver"},
                               "signed_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(), "meaning": "m",
                               "key_id": key_id(_KEY.public_key())}}
    envelope = _envelope(statement)
    (folder / "signatures" / f"{role}.dsse.json").write_text(envelope, encoding="utf-8")
    problems, _ = check_signature(folder, role, {key_id(_KEY.public_key()): _KEY.public_key()})
    assert problems  # a zero signature never verifies
    assert [s.role for s in signoffs_of(folder)] in ([role], [])  # unreadable text: left out


@FUZZ
@given(data=BYTES)
def test_any_sign_off_file_is_left_out_of_the_signers(tmp_path: Path, data: bytes) -> None:
    folder = _fresh(tmp_path)
    (folder / "signatures").mkdir()
    for role in ("performed", "issued"):
        (folder / "signatures" / f"{role}.dsse.json").write_bytes(data)
    assert signoffs_of(folder) == []


# -- a received PDF --------------------------------------------------------------------------------------

_PDF_HEAD = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@FEW
@given(data=st.one_of(st.binary(max_size=500), st.binary(max_size=300).map(lambda b: _PDF_HEAD + b)))
def test_any_pdf_bytes_give_pages_or_none(tmp_path: Path, data: bytes) -> None:
    path = _fresh(tmp_path) / "report-en.pdf"
    path.write_bytes(data)
    pages = page_texts(path, timeout=20)
    assert pages is None or all(isinstance(p, str) for p in pages)


def test_the_fuzzed_chain_helper_makes_a_valid_chain() -> None:
    lines = _chain([{"action": "a"}, {"action": "b"}])
    assert verify_lines("audit.jsonl", lines) == []
    assert hashlib.sha256(b"").hexdigest() != GENESIS


# -- a method validation record and its approval (what a receiver of a validation reads) ----------------------


@FUZZ
@given(record=BYTES, approval=BYTES)
def test_any_validation_folder_is_read_or_refused_cleanly(tmp_path: Path, record: bytes, approval: bytes) -> None:
    from reports.validation_sign import APPROVAL_NAME, check_approval, read_validation

    folder = _fresh(tmp_path)
    (folder / "validation.json").write_bytes(record)
    (folder / "signatures").mkdir()
    (folder / "signatures" / APPROVAL_NAME).write_bytes(approval)
    with pytest.raises(SigningError):
        read_validation(folder)  # no byte string of this size is a valid validation record
    problems, _ = check_approval(folder, {key_id(_KEY.public_key()): _KEY.public_key()})
    assert problems
