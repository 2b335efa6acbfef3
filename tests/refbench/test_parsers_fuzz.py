"""The reference bench's parsers of what the harness (or a technician) gives it, fuzzed. Pure functions
only: no bench is started. The bench stands in for a device, so what it parses must not crash it either:
a clean refusal (BenchError, FormatError, a False verdict, None) is the only other outcome.
(docs/parsers.md lists these tests; an xfail(strict=True) names a bug for the bench's owners.)"""

from __future__ import annotations

import json
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import example, given, settings
from hypothesis import strategies as st

from refbench import pdu_pass
from refbench.defects import DEFECTS, parse_defects
from refbench.errors import BenchError
from refbench.guest import fwformat
from refbench.updates import check_update

FUZZ = settings(max_examples=150, deadline=None)
# why a real key: check_update reads it before it looks at the image when it verifies signatures
_PEM = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


@FUZZ
@given(spec=st.one_of(st.none(), st.text(max_size=80), st.lists(st.sampled_from(sorted(DEFECTS)), max_size=3).map(
    ",".join), st.lists(st.text(max_size=10), max_size=4)))
def test_any_defect_list_is_defects_or_a_bench_error(spec: str | list[str] | None) -> None:
    try:
        assert parse_defects(spec) <= set(DEFECTS)
    except BenchError as exc:
        assert "unknown defect" in str(exc)


def _image(manifest: bytes, tail: bytes) -> bytes:
    return fwformat.MAGIC + struct.pack(">I", len(manifest)) + manifest + tail


MANIFESTS = st.one_of(
    st.binary(max_size=200),
    st.fixed_dictionaries({"model": st.text(max_size=10), "version": st.sampled_from(["1.2.3", "1", "", "a.b", "1.-1",
                                                                                      "9" * 5000, "²"]),
                           "payload_len": st.one_of(st.integers(-3, 40), st.text(max_size=3), st.none())}).map(
        lambda m: json.dumps(m).encode()),
    st.integers(2, 4).map(lambda k: b"[" * (10**k)),
)


@FUZZ
@example(data=_image(b"[" * 5000, b""))  # a deeply nested manifest
@given(data=st.one_of(st.binary(max_size=300), st.tuples(MANIFESTS, st.binary(max_size=100)).map(lambda t: _image(*t))))
def test_any_update_image_parses_or_is_a_format_error(data: bytes) -> None:
    try:
        img = fwformat.parse(data)
    except fwformat.FormatError:
        pass
    else:
        assert fwformat.version_tuple(img.version)
    accepted, why = check_update(data, _PEM, "1.0.0", verify_signature=False)
    assert isinstance(accepted, bool) and why


@FUZZ
@given(version=st.one_of(st.text(max_size=20), st.sampled_from(["1" * 5000, "1.2.3", "1..2", "-1", "²", " 1"])))
def test_any_version_string_is_numbers_or_a_format_error(version: str) -> None:
    try:
        parts = fwformat.version_tuple(version)
    except fwformat.FormatError:
        return
    assert parts and all(p >= 0 for p in parts)


OIDS = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.integers(0, 2**32), st.sampled_from(["", "x", "²", "٣"])), max_size=18).map(
        lambda parts: "." + ".".join(map(str, parts))),
    st.integers(0, 12).map(lambda n: f"{pdu_pass.BASE}.{n}"),
)


@FUZZ
@example(oid=pdu_pass.BASE + ".²")  # "²".isdigit() is True, int("²") raises
@given(oid=OIDS)
def test_any_oid_names_an_outlet_or_none(oid: str) -> None:
    for find in (pdu_pass.outlet_of, pdu_pass.next_outlet):
        n = find(oid)
        assert n is None or 1 <= n <= pdu_pass.OUTLETS
