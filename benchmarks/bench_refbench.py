"""Reference-bench timings: firmware build, boot-to-ready, power-cycle-to-ready.

Plain script (needs root + QEMU): ``python benchmarks/bench_refbench.py [--runs N]``.  Prints a table
with the median, min and max of each measurement.  Goal on a 2-core machine: ≤ 10 s for boot and
power cycle.  "Ready" means SSH shows its banner and an HTTPS request is answered, both from the
lab namespace; boot time is measured from bench start (includes network set-up and manufacturing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from refbench import labclient
from refbench.bench import ReferenceBench
from refbench.firmware import build_firmware

GOAL_S = 10.0


def row(name: str, values: list[float], goal: float | None) -> str:
    med = statistics.median(values)
    verdict = "" if goal is None else ("ok" if med <= goal else "OVER GOAL")
    return f"{name:34} {len(values):>4} {med:>8.2f} {min(values):>8.2f} {max(values):>8.2f}  {verdict}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    results: dict[str, list[float]] = {"firmware build (uncached)": [], "firmware build (cached)": [],
                                       "bench up to ready (boot)": [], "power cycle to ready (SNMP)": [],
                                       "power on to ready (API)": []}
    with tempfile.TemporaryDirectory() as td:
        for _ in range(2):
            t0 = time.monotonic()
            build_firmware(Path(td), force=True)
            results["firmware build (uncached)"].append(time.monotonic() - t0)
        t0 = time.monotonic()
        build_firmware(Path(td))
        results["firmware build (cached)"].append(time.monotonic() - t0)
    build_firmware()  # warm the real cache so boots are not charged for it
    for _ in range(max(1, a.runs // 2)):
        t0 = time.monotonic()
        with ReferenceBench(unit_serial="RB-BENCH") as b:
            results["bench up to ready (boot)"].append(time.monotonic() - t0)
            for _ in range(a.runs):
                labclient.snmp(b.info, "set", 2)
                time.sleep(0.5)
                t1 = time.monotonic()
                labclient.snmp(b.info, "set", 1)
                b.wait_ready(60)
                results["power cycle to ready (SNMP)"].append(time.monotonic() - t1)
            b.power_off()
            b.power_on()
            results["power on to ready (API)"].append(b.wait_ready(60))
    print(f"{'measurement (seconds)':34} {'n':>4} {'median':>8} {'min':>8} {'max':>8}")
    for name, vals in results.items():
        goal = GOAL_S if "ready" in name else None
        print(row(name, vals, goal))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
