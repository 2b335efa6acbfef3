"""The report register: unique report ids (lab prefix, year, sequence) and each report's status.

SQLite by default, so that two runs started at once on one lab PC never get the same id.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from reports.model import Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    report_id TEXT PRIMARY KEY,
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    created TEXT NOT NULL,
    status TEXT NOT NULL,
    folder TEXT NOT NULL,
    UNIQUE (prefix, year, seq)
);
CREATE TABLE IF NOT EXISTS status_history (
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    status TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS replacements (
    new_id TEXT NOT NULL REFERENCES reports(report_id),
    old_id TEXT NOT NULL REFERENCES reports(report_id),
    reason TEXT NOT NULL,
    UNIQUE (new_id)
);
"""


STATUSES = ("draft", "reviewed", "authorised", "issued", "withdrawn", "replaced")
# Which status may follow which (ISO/IEC 17025 7.8.1 and 7.8.8): review and authorisation before
# issue; an issued report is only ever withdrawn or replaced by a new report.
NEXT = {
    "draft": ("reviewed", "withdrawn"),
    "reviewed": ("authorised", "withdrawn"),
    "authorised": ("issued", "withdrawn"),
    "issued": ("withdrawn", "replaced"),
    "withdrawn": (),
    "replaced": (),
}


class RegisterEntry(Record):
    report_id: str
    created: datetime
    status: str
    folder: str


class ReportRegister:
    """A small wrapper around the register database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def allocate(self, prefix: str, folder_for: Path, who: str, when: datetime | None = None) -> str:
        """Reserve the next report id for ``prefix`` this year; the folder is ``folder_for / id``."""
        now = when or datetime.now(UTC)
        with closing(self._connect()) as db:
            # BEGIN IMMEDIATE takes the write lock first, so concurrent runs get consecutive ids.
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM reports WHERE prefix = ? AND year = ?",
                    (prefix, now.year),
                ).fetchone()
                seq = int(row[0]) + 1
                report_id = f"{prefix}-{now.year}-{seq:04d}"
                db.execute(
                    "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (report_id, prefix, now.year, seq, now.isoformat(), "draft", str(folder_for / report_id)),
                )
                db.execute(
                    "INSERT INTO status_history VALUES (?, ?, ?, ?)",
                    (report_id, "draft", who, now.isoformat()),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return report_id

    def get(self, report_id: str) -> RegisterEntry | None:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT report_id, created, status, folder FROM reports WHERE report_id = ?", (report_id,)
            ).fetchone()
        if row is None:
            return None
        return RegisterEntry(report_id=row[0], created=row[1], status=row[2], folder=row[3])

    def set_status(self, report_id: str, status: str, who: str, when: datetime | None = None) -> None:
        """Move a report to ``status`` (draft → reviewed → authorised → issued; withdrawn; replaced), with
        who and when in the history. Refuses an unknown report and any move ``NEXT`` does not allow."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
        now = (when or datetime.now(UTC)).isoformat()
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT status FROM reports WHERE report_id = ?", (report_id,)).fetchone()
                if row is None:
                    raise ValueError(f"{report_id} is not in the register {self.path}")
                if status not in NEXT[row[0]]:
                    allowed = ", ".join(NEXT[row[0]]) or "nothing"
                    raise ValueError(f"{report_id} is {row[0]}: it can become {allowed}, not {status} (an issued "
                                     "report is never changed; a correction is a new report that replaces it)")
                db.execute("UPDATE reports SET status = ? WHERE report_id = ?", (status, report_id))
                db.execute("INSERT INTO status_history VALUES (?, ?, ?, ?)", (report_id, status, who, now))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def history(self, report_id: str) -> list[tuple[str, str, str]]:
        """(status, who, when) in order."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT status, who, at FROM status_history WHERE report_id = ? ORDER BY rowid", (report_id,)
            ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def record_replacement(self, new_id: str, old_id: str, reason: str) -> None:
        """``new_id`` corrects the issued report ``old_id`` (checked when the new run starts)."""
        old = self.get(old_id)
        if old is None or old.status != "issued":
            state = "not in the register" if old is None else f"{old.status}, not issued"
            raise ValueError(f"{old_id} is {state}: only an issued report is replaced by a new one")
        with closing(self._connect()) as db:
            db.execute("INSERT INTO replacements VALUES (?, ?, ?)", (new_id, old_id, reason))

    def replaced_by(self, new_id: str) -> tuple[str, str] | None:
        """(old report id, reason) when ``new_id`` replaces an earlier report."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT old_id, reason FROM replacements WHERE new_id = ?", (new_id,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def issue(self, report_id: str, who: str) -> str | None:
        """Issue an authorised report; the report it replaces (if any) becomes ``replaced``. Returns that id."""
        self.set_status(report_id, "issued", who)
        old = self.replaced_by(report_id)
        if old is not None:
            self.set_status(old[0], "replaced", who)
            return old[0]
        return None


def register_path(lab_config_path: str, register_db: Path) -> Path:
    """The register a run used: its lab config's ``register_db``, relative to where that config was."""
    return register_db if register_db.is_absolute() else Path(lab_config_path).parent / register_db
