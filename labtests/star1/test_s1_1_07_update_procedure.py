"""S1.1-07, document review: the procedure for applying updates is stated clearly for the user and matches what
the device does.

Judged by the evaluator on the vendor's documents, question by question (criteria/document_review.toml),
with the automatic aids recorded beside the answers. A question without an answer leaves the unit
INCONCLUSIVE (evaluator input pending).
"""

from __future__ import annotations

import pytest

from fixtures.review import Reviewer
from fixtures.verdict import TestUnit
from labtests.star1.reviews import run_review


@pytest.mark.jcstar("S1.1-07", timeout=3600, device=False)
def test_document_review(unit: TestUnit, reviewer: Reviewer) -> None:
    run_review(unit, reviewer)
