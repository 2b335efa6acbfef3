"""S1.1-10: the model designation can be identified (ETSI EN 303 645 5.3-16).

The designation is read the way the vendor declares it can be read from the device
([actions.get_model_number]: web page, API, CLI or banner) and compared with the profile's
identity.model_number. A device that shows another designation fails. Where the device itself does
not show it, the label decides: the lab reads it ([actions.read_label]: the bench's label file, or a
technician's photo for a real device) and it must carry the declared designation.
"""

from __future__ import annotations

import pytest

from fixtures.actions import ActionResult, ActionRunner
from fixtures.model_number import ModelReading, read_model
from fixtures.profile import DeviceProfile
from fixtures.review import Reviewer
from fixtures.verdict import EvaluatorInputPending, TestUnit
from labtests.star1.reviews import run_review


def _reading(unit: TestUnit, actions: ActionRunner, name: str, model: str, what: str) -> ModelReading:
    result: ActionResult = actions.run(name)
    unit.save_text(f"{name}.json", result.model_dump_json(indent=2), what)
    if not result.ok:
        return ModelReading(outcome="absent", detail=f"the declared {name} did not succeed (status {result.status})")
    return read_model(result.output, model)


@pytest.mark.jcstar("S1.1-10")
def test_model_number_identifiable(unit: TestUnit, profile: DeviceProfile, actions: ActionRunner) -> None:
    model = profile.identity.model_number
    device: ModelReading | None = None
    if actions.declared("get_model_number"):
        device = _reading(unit, actions, "get_model_number", model, "the device's answer to the model query")
        if device.outcome == "match":
            unit.passed(f"the device reports the declared model number {model} ([actions.get_model_number])")
            return
        if device.outcome == "mismatch":
            unit.failed(f"the device {device.detail}")
            return
    if not actions.declared("read_label"):
        raise EvaluatorInputPending(
            f"the device does not show its model number ({device.detail if device else 'no way to read it declared'}); "
            f"photograph the label and record whether it shows {model} ([actions.read_label] with via = 'manual')")
    label = _reading(unit, actions, "read_label", model, "the label as the lab read it")
    device_part = f"the device itself {device.detail}" if device else "no way to read it from the device is declared"
    if label.outcome == "match":
        unit.passed(f"the label shows the declared model number {model}; {device_part}")
    elif label.outcome == "mismatch":
        unit.failed(f"the label {label.detail}")
    else:
        unit.failed(f"the model number cannot be identified: the label {label.detail}, and {device_part}")


@pytest.mark.jcstar("S1.1-10", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
