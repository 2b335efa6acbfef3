"""The reference device's vendor documents (refbench/documents/): what each must say, and what the defective
versions must not say."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from refbench.defects import DEFECTS, DOCUMENTS_DIR

ROOT = Path(__file__).resolve().parents[2]
HARDENED = {
    "vulnerability_disclosure_policy": "vulnerability-disclosure-policy.md",
    "update_policy": "update-policy.md",
    "user_manual": "user-manual.md",
}
DEFECTIVE = sorted(rel for d in DEFECTS.values() for rel in d.documents.values())
ALL = sorted(HARDENED.values()) + DEFECTIVE

# A timeline is a number of days; dates such as 2026年10月1日 or "29 December" are not.
TIMELINE = re.compile(r"\d+\s*(?:営業日|日(?:以内|ごと|を過ぎ|間))|\d+\s+(?:business\s+)?days?\b")
SUPPORT = re.compile(r"サポート期間|提供期限|2031|support period|end of support|until 31 March", re.IGNORECASE)
URL_HOST = re.compile(r"https?://([^/\s)>`]+)")
MAIL_DOMAIN = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+)")


def text(rel: str) -> str:
    return (DOCUMENTS_DIR / rel).read_text(encoding="utf-8")


def halves(rel: str) -> tuple[str, str]:
    ja, sep, en = text(rel).partition("\n---\n")
    assert sep, f"{rel}: no '---' line between the Japanese and the English version"
    return ja, en


@pytest.mark.parametrize("rel", ALL)
def test_names_product_vendor_and_only_reserved_domains(rel: str) -> None:
    t = text(rel)
    assert "RB-100" in t and "型番 | RB-100 |" in t and "JC-STAR Reference Bench" in t
    hosts = {h for h in URL_HOST.findall(t) if not h.startswith("<")}  # <機器のアドレス>: the device itself
    assert hosts == {"rb100.example"}, hosts
    assert set(MAIL_DOMAIN.findall(t)) <= {"rb100.example"}


@pytest.mark.parametrize("rel", ALL)
def test_numbered_sections_the_same_in_both_languages(rel: str) -> None:
    numbers = []
    for half in halves(rel):
        sections = re.findall(r"^## (\d+)\. ", half, re.MULTILINE)
        assert sections == [str(n) for n in range(1, len(sections) + 1)], (rel, sections)
        for sub in re.findall(r"^### (\d+)\.(\d+) ", half, re.MULTILINE):
            assert sub[0] in sections, (rel, sub)
        numbers.append(sections)
    assert numbers[0] == numbers[1], rel
    assert not re.search(r"^#{2,3} \d[\d.]*[^\d. ]", text(rel), re.MULTILINE)  # "### 4.4営業日"


def test_vulnerability_disclosure_policy() -> None:
    ja, en = halves("vulnerability-disclosure-policy.md")
    for t in (ja, en):
        assert "security@rb100.example" in t and "https://rb100.example/security/report" in t
        assert "https://rb100.example/security/vdp" in t and "https://rb100.example/security/advisories" in t
    assert "5営業日以内" in ja and "少なくとも30日ごと" in ja and "30日以内" in ja and "180日以内" in ja
    assert "within 5 business days" in en and "at least every 30 days" in en
    assert not SUPPORT.search(ja + en)  # the support period is the update policy's and manual's alone


def test_vdp_without_timelines_keeps_the_contact() -> None:
    rel = DEFECTS["vdp_without_timelines"].documents["vulnerability_disclosure_policy"]
    t = text(rel)
    assert "security@rb100.example" in t and "https://rb100.example/security/report" in t
    assert TIMELINE.findall(t) == []
    assert len(TIMELINE.findall(text("vulnerability-disclosure-policy.md"))) >= 10  # the pattern finds them


def test_update_policy() -> None:
    ja, en = halves("update-policy.md")
    assert "2031年3月31日" in ja and "2031-03-31" in ja and "2031-03-31" in en
    assert "Ed25519" in ja and "POST /api/v1/firmware" in ja and "Web UI > Firmware update" in ja
    assert "CVSS" in ja and "30日以内" in ja and "critical (9.0-10.0) 30 days" in en


def test_user_manual_matches_the_profile() -> None:
    profile = tomllib.loads((ROOT / "device_profiles" / "refbench-hardened.toml").read_text(encoding="utf-8"))
    t = text("user-manual.md")
    assert profile["update"]["user_procedure"] in t
    assert str(profile["documents"]["support_period_end"]) == "2031-03-31"
    assert "2031年3月31日" in t and "2031-03-31" in t
    for fact in ("Model: RB-100", "/api/v1/model", "show model", "Admin password",
                 "SSH（TCP 22）と HTTPS（TCP 443）だけ", "POST /api/v1/factory-reset", "factory-reset --yes",
                 "インターネットに公開"):
        assert fact in t, fact


@pytest.mark.parametrize("key", ["update_policy", "user_manual"])
def test_no_support_period_documents(key: str) -> None:
    defective = text(DEFECTS["no_support_period"].documents[key])
    assert SUPPORT.search(text(HARDENED[key]))
    assert SUPPORT.findall(defective) == []
    assert "## 1. " in defective and "RB-100" in defective
