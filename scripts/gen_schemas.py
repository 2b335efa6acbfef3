#!/usr/bin/env python3
"""Write the JSON schemas of the harness's input and output files into schemas/, from the pydantic models.

    python scripts/gen_schemas.py            # (re)write schemas/*.schema.json
    python scripts/gen_schemas.py --check    # exit 1, naming them, if committed schemas are stale

The schemas are generated, never edited by hand: tests/test_schemas.py fails when a model changed and
this script was not run. Editors with TOML or JSON schema support can use them while filling in a
device profile or a lab config.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCHEMA_DIR = REPO / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def models() -> dict[str, Any]:
    """File name → pydantic model, for every schema this script writes."""
    if str(REPO) not in sys.path:  # run from a checkout without the package installed
        sys.path.insert(0, str(REPO))
    from fixtures.answers import AnswersFile
    from fixtures.labconfig import LabConfig
    from fixtures.profile import DeviceProfile
    from reports.manifest import Manifest
    from reports.model import EvaluationRecord
    from reports.validation import ValidationRecord

    return {
        "device_profile.schema.json": DeviceProfile,
        "lab_config.schema.json": LabConfig,
        "evaluation.schema.json": EvaluationRecord,
        "manifest.schema.json": Manifest,
        "answers.schema.json": AnswersFile,
        "validation.schema.json": ValidationRecord,
    }


def render(model: Any) -> str:
    """The schema text: what the model accepts when a file is read, keys sorted, indent 2, final newline."""
    schema = {"$schema": DIALECT, **model.model_json_schema(mode="validation")}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_all() -> dict[str, str]:
    return {name: render(model) for name, model in models().items()}


def stale(directory: Path) -> list[str]:
    """The schema files under ``directory`` that are missing or differ from the models."""
    out = []
    for name, text in render_all().items():
        path = directory / name
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != text:
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if a schema is stale")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="schema folder (default: schemas/)")
    args = parser.parse_args(argv)
    directory: Path = args.dir
    if args.check:
        names = stale(directory)
        for name in names:
            print(f"{directory / name}: stale or missing; run python scripts/gen_schemas.py", file=sys.stderr)
        return 1 if names else 0
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
