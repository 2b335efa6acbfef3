#!/usr/bin/env python3
"""Method validation on the reference bench: ``python -m refbench.validate`` (kept here for old habits)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from refbench.validate import main

if __name__ == "__main__":
    raise SystemExit(main())
