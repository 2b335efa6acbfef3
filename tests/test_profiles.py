"""Every committed device profile loads, and the reference variants are up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.profile import load_profile
from refbench.defects import DEFECTS, DOCUMENT_KEYS, DOCUMENTS_DIR

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "device_profiles").glob("*.toml"))


@pytest.mark.parametrize("path", PROFILES, ids=[p.name for p in PROFILES])
def test_profile_loads(path: Path) -> None:
    load_profile(path)


def test_variants_are_generated_from_the_hardened_profile() -> None:
    out = subprocess.run([sys.executable, "scripts/gen_variant_profiles.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout


def test_every_defect_has_a_variant_naming_its_items() -> None:
    for name, defect in DEFECTS.items():
        profile = load_profile(ROOT / "device_profiles" / f"refbench-{name.replace('_', '-')}.toml")
        assert profile.reference_bench is not None and profile.reference_bench.defects == [name]
        assert profile.validation is not None and set(profile.validation.expected_fail) == set(defect.fails)


def test_hardened_profile_hands_over_the_vendor_documents() -> None:
    from datetime import date

    path = ROOT / "device_profiles" / "refbench-hardened.toml"
    profile = load_profile(path)
    assert profile.documents.support_period_end == date(2031, 3, 31)
    refs = dict(profile.document_refs())
    assert sorted(refs) == sorted(DOCUMENT_KEYS)
    for ref in refs.values():
        assert ref.path is not None and (path.parent / ref.path).resolve().parent == DOCUMENTS_DIR
        assert ref.url is not None and ref.url.startswith("https://rb100.example/") and ref.language == "ja"


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_variant_documents(name: str) -> None:
    defect = DEFECTS[name]
    path = ROOT / "device_profiles" / f"refbench-{name.replace('_', '-')}.toml"
    profile = load_profile(path)
    hardened = dict(load_profile(ROOT / "device_profiles" / "refbench-hardened.toml").document_refs())
    for key, ref in profile.document_refs():
        assert ref.path is not None
        want = DOCUMENTS_DIR / defect.documents[key] if key in defect.documents else \
            (ROOT / "device_profiles" / str(hardened[key].path)).resolve()
        assert (path.parent / ref.path).resolve() == want, key
        assert ref.model_dump(exclude={"path"}) == hardened[key].model_dump(exclude={"path"})
    dropped = "documents.support_period_end" in defect.drop_profile_keys
    assert (profile.documents.support_period_end is None) == dropped
    if dropped:
        keys = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
        assert not any("support_period_end" in line for line in keys)
