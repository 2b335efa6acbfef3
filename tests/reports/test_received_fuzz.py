"""What a receiver's verification reads comes from outside the lab: sign-off envelopes, the record, the
PDF. Fuzzed: none of it may make the verifier raise; it reports problems and says NOT VERIFIED."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.report_pdf import producer, set_dates, text_problems
from reports.signing import SigningError, check_signature, key_id, read_envelope
from reports.verify import verify
from tests.reports.test_checklist import checklist_record

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=20)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_an_envelope_are_a_clean_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "performed.dsse.json"
    path.write_bytes(data)
    try:
        read_envelope(path)
    except SigningError as exc:
        assert "not a readable sign-off" in str(exc)


@FUZZ
@given(payload=json_values, sig=st.text(max_size=200), keyid=st.text(max_size=80))
def test_a_well_formed_envelope_around_anything_is_a_clean_error(tmp_path: Path, payload: object, sig: str,
                                                                 keyid: str) -> None:
    folder = tmp_path / "run"
    (folder / "signatures").mkdir(parents=True, exist_ok=True)
    envelope = {"payloadType": "application/vnd.in-toto+json",
                "payload": base64.b64encode(json.dumps(payload).encode()).decode(),
                "signatures": [{"keyid": keyid, "sig": sig}]}
    (folder / "signatures" / "performed.dsse.json").write_text(json.dumps(envelope), encoding="utf-8")
    key = Ed25519PrivateKey.generate().public_key()
    problems, _ = check_signature(folder, "performed", {key_id(key): key})
    assert problems


@FUZZ
@given(value=json_values, where=st.sampled_from(["report_id", "state", "units", "items", "overall", "device",
                                                 "environment", "started", "profile"]))
def test_a_received_record_changed_anywhere_is_reported_not_raised(tmp_path: Path, value: object, where: str) -> None:
    folder = tmp_path / "run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    data = json.loads(checklist_record().model_dump_json())
    data[where] = value
    (folder / "evaluation.json").write_text(json.dumps(data), encoding="utf-8")
    (folder / "rendered").mkdir()
    (folder / "rendered" / "report-ja.html").write_text("<p>x</p>", encoding="utf-8")
    _, problems = verify(folder, {})
    assert problems  # no manifest, no audit log, no sign-off: never verified


@FUZZ
@given(data=st.binary(max_size=3000))
def test_pdf_metadata_readers_take_any_bytes(data: bytes) -> None:
    fixed = set_dates(data, datetime(2026, 11, 29, tzinfo=UTC))
    assert len(fixed) == len(data)
    found = producer(data)
    assert found is None or isinstance(found, str)


@given(pages=st.lists(st.text(max_size=300), max_size=6), report_id=st.text(min_size=1, max_size=20))
def test_pdf_text_checks_take_any_text(pages: list[str], report_id: str) -> None:
    problems = text_problems("r.pdf", pages, report_id, "ab" * 32)
    assert all(p.startswith("r.pdf: ") for p in problems)


@FUZZ
@given(text=st.text(max_size=200) | st.sampled_from(["\\ud800", "\\udfff x", "\\u0000", "<script>", "\\u202e"]))
def test_hostile_text_inside_a_valid_record_is_rendered_or_refused_cleanly(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    raw = checklist_record().model_dump_json().replace('"rationale":"', '"rationale":"' + text.replace('"', "'"), 1)
    (folder / "evaluation.json").write_text(raw, encoding="utf-8", errors="surrogatepass")
    (folder / "rendered").mkdir()
    (folder / "rendered" / "report-en.html").write_text("<p>x</p>", encoding="utf-8")
    _, problems = verify(folder, {})
    assert problems
