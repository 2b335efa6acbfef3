"""Fixtures for the reference-bench tests.

Tests marked ``bench`` need root, QEMU and network namespaces; they are skipped (with the reason)
where the prerequisites are missing.  Only one bench runs per machine, so bench fixtures are
module-scoped and modules run one after the other.
"""

from __future__ import annotations

import pytest

from refbench.bench import check_prerequisites
from refbench.errors import BenchError


def _bench_skip_reason() -> str | None:
    try:
        check_prerequisites()
    except BenchError as exc:
        return str(exc)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip bench tests on machines that cannot run the bench."""
    reason = None
    checked = False
    here = str(config.rootpath / "tests" / "refbench")
    for item in items:
        if item.get_closest_marker("bench") is None or not str(item.path).startswith(here):
            continue
        if not checked:
            reason, checked = _bench_skip_reason(), True
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
