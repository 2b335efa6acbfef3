"""Every committed device profile loads, and the reference variants are up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.profile import load_profile
from refbench.defects import DEFECTS

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
