"""The committed JSON schemas match the models; evaluation.json and manifest.json round-trip and match them.

Validation against the schemas uses the ``jsonschema`` package when it is installed (skipped otherwise).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fixtures.profile import load_profile
from reports.manifest import Manifest, ManifestEntry
from reports.model import (
    Deviation,
    DeviceRecord,
    Environment,
    EquipmentRecord,
    EvaluationRecord,
    EvaluatorRecord,
    EvidenceRef,
    InputFile,
    ItemResult,
    LabRecord,
    NotApplicableClaim,
    Overall,
    Reason,
    ScopeRecord,
    Statement,
    ToolVersion,
    UnitResult,
    Verdict,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
SCRIPT = REPO / "scripts" / "gen_schemas.py"
TEMPLATE = REPO / "device_profiles" / "template-real-device.toml"
EXPECTED_FILES = {
    "device_profile.schema.json",
    "lab_config.schema.json",
    "evaluation.schema.json",
    "manifest.schema.json",
    "answers.schema.json",
    "validation.schema.json",
}


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_schemas", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _gen()


def committed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return data


def validator(name: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = committed(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def as_json(value: Any) -> Any:
    """TOML data as a JSON document would hold it (dates as ISO strings)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


# --- the committed schemas are the generated ones ------------------------------------------------------------


def test_every_schema_is_committed() -> None:
    assert set(gen.render_all()) == EXPECTED_FILES
    assert {p.name for p in SCHEMAS.glob("*.schema.json")} >= EXPECTED_FILES


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_committed_schema_is_current(name: str) -> None:
    fresh = gen.render_all()[name]
    path = SCHEMAS / name
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    assert current == fresh, f"schemas/{name} is stale: run python scripts/gen_schemas.py"


def test_schema_text_is_stable_json() -> None:
    for name, text in gen.render_all().items():
        assert text.endswith("}\n") and not text.endswith("\n\n"), name
        data = json.loads(text)
        assert json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text, name
        assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_check_mode_passes_on_the_committed_schemas() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def test_check_mode_names_stale_and_missing_files(tmp_path: Path) -> None:
    for name in EXPECTED_FILES:
        shutil.copyfile(SCHEMAS / name, tmp_path / name)
    (tmp_path / "manifest.schema.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "lab_config.schema.json").unlink()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert f"{tmp_path / 'manifest.schema.json'}: stale" in done.stderr
    assert f"{tmp_path / 'lab_config.schema.json'}: stale or missing" in done.stderr
    assert "device_profile" not in done.stderr and "evaluation" not in done.stderr
    assert "run python scripts/gen_schemas.py" in done.stderr


def test_write_mode_regenerates_into_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert gen.main(["--dir", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    assert gen.stale(out) == []
    assert gen.main(["--check", "--dir", str(out)]) == 0


# --- evaluation.json: round trip and schema ------------------------------------------------------------------

T0 = datetime(2026, 11, 27, 9, 30, 0, 123456, tzinfo=UTC)


def _unit(name: str, item: str, verdict: Verdict, minutes: int, reason: Reason | None = None) -> UnitResult:
    return UnitResult(
        nodeid=f"labtests/star1/test_{item.replace('.', '_').replace('-', '_')}.py::{name}",
        name=name,
        item=item,
        verdict=verdict,
        reason=reason,
        rationale={
            Verdict.PASS: "SSH locked the account after 5 failures for 60 s, as declared in IXIT 1-AuthMech",
            Verdict.FAIL: "telnet (23/tcp) answered but is not declared in the profile's [[services]]",
            Verdict.INCONCLUSIVE: "the device did not answer within 120 s after the power cycle",
            Verdict.NOT_APPLICABLE: "justified N/A: updates only from a USB stick",
        }[verdict],
        evidence=[
            EvidenceRef(
                path=f"evidence/{name}/capture.pcapng",
                sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                description="lab interface capture during the attempts",
            )
        ],
        started=T0 + timedelta(minutes=minutes),
        finished=T0 + timedelta(minutes=minutes, seconds=42, microseconds=5),
    )


def realistic_record() -> EvaluationRecord:
    profile = load_profile(TEMPLATE)
    units = [
        _unit("test_bruteforce_ssh", "S1.1-04", Verdict.PASS, 1),
        _unit("test_no_undeclared_ports", "S1.1-13", Verdict.FAIL, 5),
        _unit("test_recovers_after_power_loss", "S1.1-14", Verdict.INCONCLUSIVE, 9, Reason.DEVICE_UNREACHABLE),
        _unit("test_update_signed", "S1.1-08", Verdict.NOT_APPLICABLE, 12),
    ]
    items = [
        ItemResult(
            id=u.item,
            title_ja="評価項目",
            title_en="evaluation item",
            evaluation="test",
            covered=True,
            verdict=u.verdict,
            reason=u.reason,
            rationale=u.rationale,
            units=[u.nodeid],
        )
        for u in units
    ] + [
        ItemResult(
            id="S1.1-16",
            title_ja="文書",
            title_en="documentation",
            evaluation="document review",
            covered=False,
            verdict=Verdict.INCONCLUSIVE,
            reason=Reason.NOT_COVERED,
            rationale="no procedure of this harness evaluates this item",
        )
    ]
    return EvaluationRecord(
        report_id="JCL-2026-0042",
        state="finished",
        criteria="JC-STAR ★1: IoT product security labelling, level 1",
        lab=LabRecord(
            name="Example IoT Security Evaluation Lab",
            address="1-2-3 Example-cho, Chiyoda-ku, Tokyo, Japan",
            accreditation=None,
            location="Lab room 2",
        ),
        evaluator=EvaluatorRecord(id="tech01", name="評価 太郎", role="technician", qualification=None),
        customer=profile.customer.model_dump(mode="json"),
        device=DeviceRecord(**profile.identity.model_dump(mode="json")),
        receipt=profile.receipt.model_dump(mode="json"),
        vendor_declarations=profile.model_dump(mode="json"),
        profile=InputFile(path="device_profiles/exr-1000.toml", sha256="a" * 64),
        lab_config=InputFile(path="lab_config.toml", sha256="b" * 64),
        environment=Environment(
            harness_version="0.1.0",
            git_commit="4e44f22" + "0" * 33,
            git_dirty=False,
            python="3.11.7",
            platform="Linux-6.8-x86_64",
            host="eval-pc-01",
            packages={"pydantic": "2.13.4", "scapy": "2.6.1", "pyshark": None},
            tools=[
                ToolVersion(name="nmap", path="/usr/bin/nmap", version="Nmap version 7.94"),
                ToolVersion(name="testssl.sh", path=None, version=None),
            ],
        ),
        equipment_used=[
            EquipmentRecord(
                id="PC-01",
                kind="evaluation PC",
                model="generic x86-64",
                serial="EX-PC-0001",
                version=None,
                last_verified="2026-10-01",
                verification_due="2026-11-01",
                overdue=True,
            )
        ],
        scope=ScopeRecord(
            namespace=None,
            lab_interface="eth1",
            allowed_networks=["203.0.113.0/24"],
            targets=["203.0.113.10"],
            allowed=True,
            detail="203.0.113.10 routed through eth1",
        ),
        deviations=[Deviation(kind="overdue_equipment", detail="PC-01 used past its due date 2026-11-01")],
        not_applicable=[
            NotApplicableClaim(item="S1.1-08", justification="updates only from a USB stick by a technician")
        ],
        started=T0,
        finished=T0 + timedelta(hours=1, minutes=3),
        units=units,
        unfinished_units=[],
        items=items,
        overall=Overall(
            statement=Statement.DOES_NOT_CONFORM,
            decision_rule_id="DR-SIMPLE-1",
            decision_rule="Simple acceptance (ILAC-G8 4.2.1)",
            counts={Verdict.PASS: 1, Verdict.FAIL: 1, Verdict.INCONCLUSIVE: 2, Verdict.NOT_APPLICABLE: 1},
        ),
        exit_status=1,
    )


def test_evaluation_record_round_trips_through_json() -> None:
    record = realistic_record()
    text = record.model_dump_json(indent=2)
    back = EvaluationRecord.model_validate_json(text)
    assert back == record
    assert back.model_dump_json(indent=2) == text
    assert back.units[0].started.tzinfo is not None and back.units[0].finished == record.units[0].finished
    assert back.overall is not None and back.overall.counts[Verdict.INCONCLUSIVE] == 2


def test_running_record_round_trips() -> None:
    """A record as written at the start of a run: no results, nothing finished."""
    record = realistic_record().model_copy(
        update={
            "state": "running",
            "finished": None,
            "units": [],
            "items": [],
            "overall": None,
            "exit_status": None,
        }
    )
    assert EvaluationRecord.model_validate_json(record.model_dump_json()) == record


def test_evaluation_json_matches_the_committed_schema() -> None:
    check = validator("evaluation.schema.json")
    for record in (realistic_record(), realistic_record().model_copy(update={"overall": None, "units": []})):
        errors = [e.message for e in check.iter_errors(json.loads(record.model_dump_json()))]
        assert errors == []


def test_evaluation_schema_rejects_what_the_model_rejects() -> None:
    check = validator("evaluation.schema.json")
    good = json.loads(realistic_record().model_dump_json())
    for broken in (
        {**good, "surprise": 1},
        {**good, "state": "paused"},
        {**good, "units": [{**good["units"][0], "verdict": "MAYBE"}]},
        {k: v for k, v in good.items() if k != "report_id"},
    ):
        assert not check.is_valid(broken)
        with pytest.raises(ValueError):
            EvaluationRecord.model_validate_json(json.dumps(broken))


# --- manifest.json ---------------------------------------------------------------------------------------


def test_manifest_round_trips_and_matches_the_schema() -> None:
    manifest = Manifest(
        report_id="JCL-2026-0042",
        files={
            "evaluation.json": ManifestEntry(sha256="c" * 64, size=48213, recorded=T0),
            "evidence/test_bruteforce_ssh/capture.pcapng": ManifestEntry(
                sha256="d" * 64,
                size=1_048_577,
                unit="labtests/star1/test_s1_1_04.py::test_bruteforce_ssh",
                description="lab interface capture",
                recorded=T0 + timedelta(minutes=2),
            ),
        },
        incomplete=["audit.log"],
    )
    text = manifest.model_dump_json(indent=2)
    assert Manifest.model_validate_json(text) == manifest
    check = validator("manifest.schema.json")
    assert [e.message for e in check.iter_errors(json.loads(text))] == []
    assert not check.is_valid({**json.loads(text), "algorithm": 256})


# --- the input schemas describe the committed input files ---------------------------------------------------


def test_template_profile_matches_its_schema() -> None:
    check = validator("device_profile.schema.json")
    data = as_json(tomllib.loads(TEMPLATE.read_text(encoding="utf-8")))
    assert [e.message for e in check.iter_errors(data)] == []
    data["identity"]["modle_number"] = data["identity"].pop("model_number")
    assert not check.is_valid(data)


def test_lab_config_matches_its_schema() -> None:
    check = validator("lab_config.schema.json")
    data = as_json(tomllib.loads((REPO / "lab_config.toml").read_text(encoding="utf-8")))
    assert [e.message for e in check.iter_errors(data)] == []
    assert not check.is_valid({**data, "evaluators": []})


def test_as_json_turns_dates_into_strings() -> None:
    assert as_json({"d": date(2026, 3, 31)}) == {"d": "2026-03-31"}
