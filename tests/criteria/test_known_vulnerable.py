"""criteria/known_vulnerable_versions.toml: what each entry matches, and a clear error for a bad entry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from criteria._data import CriteriaDataError, validate_data
from criteria.known_vulnerable import (
    RESOURCE,
    KnownVulnerable,
    _File,
    load_known_vulnerable,
    match_software,
    version_key,
)


@pytest.mark.parametrize(("announced", "name"), [
    ("RomPager/4.07 UPnP/1.0", "Allegro RomPager"),
    ("Allegro RomPager 4.07", "Allegro RomPager"),
    ("SSH-2.0-dropbear_2015.67", "Dropbear SSH"),
    ("Dropbear sshd 2016.73", "Dropbear SSH"),
    ("mini_httpd/1.19 19dec2003", "ACME mini_httpd"),
    ("dnsmasq-2.76", "dnsmasq"),
    ("uc-httpd 1.0.0", "XiongMai uc-httpd"),
    ("Boa/0.94.14rc21", "Boa web server"),
])  # fmt: skip
def test_known_vulnerable_versions_match(announced: str, name: str) -> None:
    assert [m.entry.name for m in match_software(announced)] == [name]


@pytest.mark.parametrize("announced", [
    "RomPager/4.51", "SSH-2.0-dropbear_2016.74", "Dropbear sshd 2022.83", "mini_httpd/1.30", "dnsmasq-2.90",
    "uc-httpd 1.0.1", "RB-100-httpd", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", "OpenSSH 7.4", "",
])  # fmt: skip
def test_fixed_or_unlisted_versions_do_not_match(announced: str) -> None:
    assert match_software(announced) == []


def test_every_entry_names_its_cves_and_source() -> None:
    for entry in load_known_vulnerable():
        assert entry.cves and all(c.startswith("CVE-") for c in entry.cves), entry.name
        assert entry.source and entry.why, entry.name


def test_version_key_orders_dotted_versions() -> None:
    assert version_key("2016.73") < version_key("2016.74") < version_key("2022.83")
    assert version_key("4.7") < version_key("4.34")  # numbers, not strings


@pytest.mark.parametrize(("entry", "problem"), [
    ({"match": "RomPager/(\\d+"}, "not a regular expression"),
    ({"match": "RomPager/\\d+"}, "group named 'version'"),
    ({"status": "maybe"}, "status"),
    ({"cves": []}, "cves"),
])  # fmt: skip
def test_a_bad_entry_is_a_clear_error(entry: dict[str, object], problem: str) -> None:
    good = {"name": "x", "match": "x/(?P<version>\\d+)", "cves": ["CVE-1-1"], "why": "w", "source": "s",
            "status": "background"}
    data = {"meta": {"item": "S1.1-13", "summary": "s"}, "software": [{**good, **entry}]}
    with pytest.raises(CriteriaDataError, match=problem) as info:
        validate_data(RESOURCE, data, _File)
    assert str(info.value).startswith(RESOURCE)


@given(st.text(max_size=300))
def test_any_announced_text_matches_without_error(text: str) -> None:
    for m in match_software(text):
        assert isinstance(m.entry, KnownVulnerable) and m.entry.vulnerable(m.version)
