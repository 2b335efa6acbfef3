"""Property tests: loaders and helpers behave for any input, not only the shipped data."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from criteria import CriteriaDataError, load_star1, load_tls_policy
from criteria.credentials import Credential, parse_credentials_csv

# Text the CSV module round-trips: no NUL, and no bare carriage returns/newlines (the loader reads lines).
field = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"), max_size=20)
credentials = st.lists(
    st.builds(Credential, username=field.filter(bool), password=field, weight=st.integers(1, 1000)),
    min_size=1,
    max_size=30,
)


@given(credentials)
def test_credentials_csv_round_trip(creds: list[Credential]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["username", "password", "weight"])
    for c in creds:
        writer.writerow([c.username, c.password, c.weight])
    provenance, parsed = parse_credentials_csv("# source: generated\n" + buf.getvalue(), "gen.csv")
    assert provenance == "source: generated"
    assert parsed == tuple(creds)


@given(st.text(max_size=60))
def test_suite_classification_never_raises(name: str) -> None:
    assert load_tls_policy().derived_tls_policy.classify_suite(name) in {
        "forbidden",
        "core",
        "conditional",
        "cbc_sha2",
        "excluded",
        "legacy",
        "unlisted",
    }


@given(st.text(max_size=12))
def test_item_lookup_is_total(item_id: str) -> None:
    cat = load_star1()
    if item_id in cat.ids:
        assert cat.item(item_id).id == item_id
    else:
        with pytest.raises(KeyError, match=re.escape("valid ids")):
            cat.item(item_id)


@given(st.integers(0, 512), st.integers(2022, 2070), st.booleans())
def test_strength_status_defined_over_the_table(bits: int, year: int, new: bool) -> None:
    status = load_tls_policy().security_strength.status(bits, year, new_processing=new)
    assert status in {"allowed", "transition", "legacy_processing", "not_allowed"}
    if bits < 112:
        assert status == "not_allowed"


def test_error_type_is_a_value_error() -> None:
    assert issubclass(CriteriaDataError, ValueError)
