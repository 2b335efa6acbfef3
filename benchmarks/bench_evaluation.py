"""Wall time of the full ★1 evaluation of the hardened reference device, and how much of it is the
harness itself rather than waiting on the device.

    python benchmarks/bench_evaluation.py [--profile device_profiles/refbench-hardened.toml] [--json]

Needs root and QEMU (the reference bench). The evaluation runs in this process (pytest.main), with
runs written to a temporary folder, so the accounting is exact:

- harness CPU: user + system time of this process (every thread of the harness: parsing, scanning,
  TLS and SSH assessment, capture analysis, evidence hashing), from getrusage(RUSAGE_SELF);
- tools CPU: user + system time of the child processes it waited for (tshark, nmap, openssl, the
  bench's daemon with QEMU and snmpd), from getrusage(RUSAGE_CHILDREN);
- waiting: wall time minus harness CPU: the device answering, timeouts, lockouts the procedures
  wait out, tools running;

and, from evaluation.json, the wall time of each item's units. There is no public tool doing the
whole ★1 evaluation to put beside it; each step's own comparison is in the other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def lab_config(tmp: Path) -> Path:
    text = (ROOT / "lab_config.toml").read_text(encoding="utf-8")
    text = text.replace('output_dir = "runs"', f'output_dir = "{tmp}"').replace(
        'register_db = "runs/register.sqlite3"', f'register_db = "{tmp}/register.sqlite3"')
    path = tmp / "lab_config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default=str(ROOT / "device_profiles" / "refbench-hardened.toml"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import pytest

    with tempfile.TemporaryDirectory(prefix="jcstar-bench-eval-") as td:
        tmp = Path(td)
        self0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        code = pytest.main([f"--device={args.profile}", f"--lab-config={lab_config(tmp)}", "--evaluator", "tech01",
                            "-q", "-p", "no:cacheprovider", str(ROOT / "labtests")])
        wall = time.monotonic() - start
        harness = cpu(resource.getrusage(resource.RUSAGE_SELF)) - cpu(self0)
        tools = cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - cpu(kids0)
        runs = [p for p in tmp.iterdir() if (p / "evaluation.json").is_file()]
        record = json.loads((runs[0] / "evaluation.json").read_text(encoding="utf-8")) if runs else {"units": []}
    per_item: dict[str, float] = defaultdict(float)
    for u in record["units"]:
        took = datetime.fromisoformat(u["finished"]) - datetime.fromisoformat(u["started"])
        per_item[u["item"]] += took.total_seconds()
    verdicts = {i["id"]: i["verdict"] for i in record.get("items", [])}
    result = {"exit": int(code), "wall_s": round(wall, 1), "harness_cpu_s": round(harness, 1),
              "tools_cpu_s": round(tools, 1), "waiting_s": round(wall - harness, 1),
              "harness_share": round(harness / wall, 3) if wall else None,
              "items": {k: {"units_wall_s": round(v, 1), "verdict": verdicts.get(k)}
                        for k, v in sorted(per_item.items())}}
    print(f"\nfull evaluation: {wall:.1f} s wall (pytest exit {int(code)})")
    print(f"  harness CPU  {harness:7.1f} s  ({100 * harness / wall:.1f} % of the wall time)")
    print(f"  tools CPU    {tools:7.1f} s  (tshark, nmap, openssl, the bench with QEMU)")
    print(f"  waiting      {wall - harness:7.1f} s  (the device, timeouts, lockouts, tools)")
    print("  item      units wall s  verdict")
    for k, v in result["items"].items():  # type: ignore[union-attr]
        print(f"  {k}  {v['units_wall_s']:12.1f}  {v['verdict']}")
    if args.json:
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
