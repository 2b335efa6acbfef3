"""The data sets copied into criteria/: Mirai credentials, CRYPTREC policy, brute-force thresholds."""

from __future__ import annotations

import copy
import hashlib
import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from criteria import (
    CriteriaDataError,
    DerivedTable,
    distinct_pairs,
    load_bruteforce,
    load_mirai,
    load_tls_policy,
    mirai_provenance,
)
from criteria._data import validate_data
from criteria.bruteforce import BruteforceThresholds
from criteria.credentials import parse_credentials_csv
from criteria.crypto_policy import CryptoPolicy

SHARED_DATA = Path("/work/shared/data")
COPIED = ["mirai_credentials.csv", "mirai_notes.md", "cryptrec_tls.toml", "cryptrec.md"]


def resource_text(name: str) -> str:
    return files("criteria").joinpath(name).read_text(encoding="utf-8")


def raw_toml(name: str) -> dict[str, Any]:
    return copy.deepcopy(tomllib.loads(resource_text(name)))


# --- provenance of the copies ----------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data folder not mounted")
@pytest.mark.parametrize("name", COPIED)
def test_copies_are_byte_identical_to_shared_data(name: str) -> None:
    copied = files("criteria").joinpath(name).read_bytes()
    original = (SHARED_DATA / name).read_bytes()
    assert hashlib.sha256(copied).hexdigest() == hashlib.sha256(original).hexdigest()


def test_readme_lists_every_data_file() -> None:
    readme = resource_text("README.md")
    for path in files("criteria").iterdir():
        if path.name.endswith((".toml", ".csv", ".md", ".py")) and path.name != "README.md":
            assert f"`{path.name}`" in readme, f"{path.name} missing from criteria/README.md"


# --- Mirai -----------------------------------------------------------------------------------------------


def test_mirai_list_has_62_entries_61_distinct_and_weights_152() -> None:
    creds = load_mirai()
    assert len(creds) == 62
    assert len(distinct_pairs(creds)) == 61
    assert sum(c.weight for c in creds) == 152
    # Source order is kept: the heaviest entry comes first.
    assert (creds[0].username, creds[0].password, creds[0].weight) == ("root", "xc3511", 10)


def test_mirai_decoded_values_not_the_source_comments() -> None:
    pairs = {(c.username, c.password) for c in load_mirai()}
    assert ("Administrator", "meinsm") in pairs  # comment in scanner.c wrongly says "admin"
    assert ("admin", "4321") in pairs  # comment wrongly says "1234"
    assert ("Administrator", "admin") not in pairs
    assert ("root", "juantech") in pairs and ("root", "jauntech") not in pairs  # SecLists typo
    assert ("root", "00000000") in pairs


def test_mirai_empty_passwords_are_empty_strings() -> None:
    empties = [c.username for c in load_mirai() if c.password == ""]
    assert empties == ["root", "admin"]


def test_mirai_duplicate_is_kept() -> None:
    guest = [c for c in load_mirai() if (c.username, c.password) == ("guest", "12345")]
    assert len(guest) == 2


def test_mirai_provenance_names_the_source() -> None:
    prov = mirai_provenance()
    assert prov.startswith("source: https://github.com/jgamblin/Mirai-Source-Code/blob/")
    assert "4889a6f797237f1d4210839bcefd9f89c57c0770" in prov
    assert "XOR 0x22" in prov


def test_credentials_csv_without_provenance_is_rejected() -> None:
    with pytest.raises(CriteriaDataError, match="provenance comment"):
        parse_credentials_csv("username,password,weight\nroot,root,1\n", "x.csv")


def test_credentials_csv_bad_weight_is_rejected() -> None:
    text = "# source: test\nusername,password,weight\nroot,root,0\n"
    with pytest.raises(CriteriaDataError, match=re.escape("x.csv line 3")):
        parse_credentials_csv(text, "x.csv")


# --- CRYPTREC policy -------------------------------------------------------------------------------------


def test_crypto_policy_loads() -> None:
    policy = load_tls_policy()
    assert policy.meta.cipher_list_id == "CRYPTREC LS-0001-2022R2"
    assert policy.tls.default_level == "recommended"
    assert "SSLv3" in policy.tls.prohibited_protocols_all_levels


def test_unverified_official_lists_stay_empty() -> None:
    tls = load_tls_policy().tls
    assert tls.cipher_suites_official_found is False
    for level in (tls.levels.high, tls.levels.recommended, tls.levels.exception):
        assert level.cipher_suites_verified is False
        assert level.cipher_suites_tls13 == () and level.cipher_suites_tls12 == ()
        if level.protocol_versions_verified is False:
            assert level.protocol_versions_allowed == ()
    assert tls.levels.high.protocol_versions_verified == "partial"
    assert tls.levels.high.protocol_versions_required == ("TLS1.3",)


def test_derived_tables_are_marked_and_distinguishable() -> None:
    policy = load_tls_policy()
    assert set(policy.derived_tables) == {
        "derived_strength_mapping",
        "derived_tls_policy",
        "derived_ssh_mapping",
    }
    for table in policy.derived_tables.values():
        assert isinstance(table, DerivedTable) and table.official is False
    assert not isinstance(policy.tls, DerivedTable)
    assert not isinstance(policy.security_strength, DerivedTable)


def test_suite_listed_under_unverified_flag_is_rejected() -> None:
    data = raw_toml("cryptrec_tls.toml")
    data["tls"]["levels"]["recommended"]["cipher_suites_tls13"] = ["TLS_AES_128_GCM_SHA256"]
    with pytest.raises(CriteriaDataError, match="must stay empty"):
        validate_data("cryptrec_tls.toml", data, CryptoPolicy)


def test_derived_table_cannot_claim_to_be_official() -> None:
    data = raw_toml("cryptrec_tls.toml")
    data["derived_tls_policy"]["official"] = True
    with pytest.raises(CriteriaDataError, match=re.escape("derived_tls_policy.official")):
        validate_data("cryptrec_tls.toml", data, CryptoPolicy)


def test_unknown_key_in_crypto_policy_is_rejected() -> None:
    data = raw_toml("cryptrec_tls.toml")
    data["tls"]["levels"]["high"]["cipher_suites"] = []
    with pytest.raises(CriteriaDataError, match=re.escape("unknown key 'tls.levels.high.cipher_suites'")):
        validate_data("cryptrec_tls.toml", data, CryptoPolicy)


@pytest.mark.parametrize(
    ("suite", "expected"),
    [
        ("TLS_AES_128_GCM_SHA256", "core"),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "core"),
        ("TLS_CHACHA20_POLY1305_SHA256", "conditional"),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "cbc_sha2"),
        ("TLS_AES_128_CCM_8_SHA256", "excluded"),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", "legacy"),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "legacy"),
        ("TLS_RSA_WITH_NULL_SHA256", "forbidden"),
        ("TLS_DH_anon_WITH_AES_128_CBC_SHA", "forbidden"),
        ("TLS_RSA_WITH_RC4_128_MD5", "forbidden"),
        ("TLS_SOMETHING_NEW", "unlisted"),
    ],
)
def test_derived_suite_classification(suite: str, expected: str) -> None:
    assert load_tls_policy().derived_tls_policy.classify_suite(suite) == expected


def test_security_strength_lookup() -> None:
    strength = load_tls_policy().security_strength
    assert strength.status(112, 2030) == "transition"
    assert strength.status(112, 2031) == "not_allowed"
    assert strength.status(112, 2031, new_processing=False) == "legacy_processing"
    assert strength.status(128, 2045) == "transition"
    assert strength.status(152, 2035) == "allowed"  # uses the 128-bit row
    assert strength.status(80, 2025) == "not_allowed"
    with pytest.raises(ValueError, match="outside"):
        strength.status(128, 2100)


def test_primitive_status() -> None:
    policy = load_tls_policy()
    assert policy.primitive_status("AES") == "recommended"
    assert policy.primitive_status("GCM") == "unverified"
    assert policy.primitive_status("MD5") == "not_listed"
    assert policy.primitive_status("NoSuchCipher") == "unverified"


# --- brute-force thresholds ------------------------------------------------------------------------------


def test_bruteforce_thresholds_load_with_provenance() -> None:
    th = load_bruteforce()
    assert th.meta.item == "S1.1-04"
    assert th.meta.official_threshold_found is False
    sources = {s.id for s in th.sources}
    for value in th.values:
        assert value.source in sources


def test_reference_implementations_are_confirmed_values() -> None:
    th = load_bruteforce()
    assert th.value("atmark_abos_web_min_delay").value == 2.0
    assert th.value("atmark_twin_lock_after").value == 5
    assert th.value("atmark_twin_first_lock").value == 1.0
    for vid in ("atmark_abos_web_min_delay", "atmark_twin_lock_after", "atmark_twin_first_lock"):
        assert th.value(vid).status == "confirmed" and not th.value(vid).derived


def test_decision_values_are_derived_with_reasoning() -> None:
    th = load_bruteforce()
    decision = th.value("decision_max_failed_per_hour")
    assert decision.derived and decision.status == "derived" and decision.reasoning
    assert decision.value == 3600 / th.value("atmark_abos_web_min_delay").value  # type: ignore[operator]
    assert th.value("decision_max_failed_per_day").value == 24 * decision.value  # type: ignore[operator]
    assert all(v.derived for v in th.decision_values)


def test_missing_official_threshold_has_no_value() -> None:
    official = load_bruteforce().value("ipa_official_fail_threshold")
    assert official.status == "unconfirmed" and official.value is None


def test_etsi_mitigations_listed() -> None:
    ids = {m.id for m in load_bruteforce().mitigations}
    assert {"delay", "suspension", "lock_after_n"} <= ids


def test_derived_flag_must_match_status() -> None:
    data = raw_toml("bruteforce.toml")
    for v in data["values"]:
        if v["id"] == "decision_max_failed_per_hour":
            v["derived"] = False
    with pytest.raises(CriteriaDataError, match="contradicts status 'derived'"):
        validate_data("bruteforce.toml", data, BruteforceThresholds)


def test_unconfirmed_value_cannot_carry_a_number() -> None:
    data = raw_toml("bruteforce.toml")
    for v in data["values"]:
        if v["id"] == "ipa_official_fail_threshold":
            v["value"] = 10
    with pytest.raises(CriteriaDataError, match="unconfirmed value must have no value"):
        validate_data("bruteforce.toml", data, BruteforceThresholds)


def test_unknown_bruteforce_value_lookup() -> None:
    with pytest.raises(KeyError, match="known: "):
        load_bruteforce().value("nope")
