"""Exceptions of the reference bench."""

from __future__ import annotations


class BenchError(RuntimeError):
    """Something the bench needs is missing or failed; the message tells a technician what to do."""
