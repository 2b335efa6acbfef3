"""The report register hands out unique, consecutive ids, also to runs started at the same time."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reports.register import ReportRegister


def _allocate(db: str) -> str:
    return ReportRegister(Path(db)).allocate("JCL", Path("/runs"), "tech01", datetime(2026, 5, 1, tzinfo=UTC))


def test_ids_are_per_prefix_and_year(tmp_path: Path) -> None:
    reg = ReportRegister(tmp_path / "r.sqlite3")
    a = reg.allocate("JCL", tmp_path, "t", datetime(2026, 1, 1, tzinfo=UTC))
    b = reg.allocate("JCL", tmp_path, "t", datetime(2026, 12, 31, tzinfo=UTC))
    c = reg.allocate("JCL", tmp_path, "t", datetime(2027, 1, 1, tzinfo=UTC))
    d = reg.allocate("ABC", tmp_path, "t", datetime(2027, 1, 1, tzinfo=UTC))
    assert (a, b, c, d) == ("JCL-2026-0001", "JCL-2026-0002", "JCL-2027-0001", "ABC-2027-0001")
    entry = reg.get(a)
    assert entry is not None and entry.status == "draft" and entry.folder == str(tmp_path / a)
    assert reg.get("nope") is None


def test_concurrent_allocation_never_repeats_an_id(tmp_path: Path) -> None:
    db = str(tmp_path / "r.sqlite3")
    ReportRegister(Path(db))
    with ProcessPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(_allocate, [db] * 24))
    assert sorted(ids) == [f"JCL-2026-{n:04d}" for n in range(1, 25)]


def test_status_moves_are_kept_and_an_issued_report_is_never_changed(tmp_path: Path) -> None:
    reg = ReportRegister(tmp_path / "r.sqlite3")
    rid = reg.allocate("TST", tmp_path, "tech01")
    reg.set_status(rid, "reviewed", "rev01")
    reg.set_status(rid, "authorised", "app01")
    reg.set_status(rid, "issued", "app01")
    assert [h[:2] for h in reg.history(rid)] == [("draft", "tech01"), ("reviewed", "rev01"),
                                                ("authorised", "app01"), ("issued", "app01")]
    with pytest.raises(ValueError, match="never changed"):
        reg.set_status(rid, "draft", "tech01")
    with pytest.raises(ValueError, match="unknown status"):
        reg.set_status(rid, "approved", "app01")
    with pytest.raises(ValueError, match="not in the register"):
        reg.set_status("TST-1999-0001", "reviewed", "rev01")
    reg.set_status(rid, "withdrawn", "qm01")
    entry = reg.get(rid)
    assert entry is not None and entry.status == "withdrawn"
