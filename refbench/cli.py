"""Command line: ``jcstar-bench`` / ``python -m refbench``.

up [--defect NAME ...] [--serial S] [--collector]   bring the bench up and leave it running
status | down | build | label | defects
power on|off|reboot | link down|up | dump-flash DEST | update-image KIND DEST | wait-ready
uart garble|flood|clean [--seed N]                   UART fault on the device's console line
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from refbench.bench import ReferenceBench, _read_state, state_file
from refbench.daemon import pid_alive
from refbench.defects import DEFECTS
from refbench.errors import BenchError
from refbench.firmware import build_firmware
from refbench.uart_fault import UART_MODES
from refbench.updates import UPDATE_KINDS


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="jcstar-bench", description="JC-STAR reference bench (emulated device)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="bring the bench up and leave it running")
    up.add_argument("--defect", action="append", default=[], help="defect name (repeat or comma-separate)")
    up.add_argument("--serial", default="RB-0001")
    up.add_argument("--collector", action="store_true", help="run the telemetry collector")
    up.add_argument("--timeout", type=float, default=90.0)
    sub.add_parser("status", help="show the running bench")
    dn = sub.add_parser("down", help="tear the bench down (also cleans leftovers of a crash)")
    dn.add_argument("--force", action="store_true",
                    help="also when a live evaluation or test still owns the bench (it then loses its device)")
    b = sub.add_parser("build", help="build the firmware (cached)")
    b.add_argument("--force", action="store_true")
    sub.add_parser("label", help="print the unit's label")
    sub.add_parser("defects", help="list the defects and the items they fail")
    p = sub.add_parser("power", help="device power")
    p.add_argument("state", choices=["on", "off", "reboot"])
    ln = sub.add_parser("link", help="device network link")
    ln.add_argument("state", choices=["up", "down"])
    ua = sub.add_parser("uart", help="UART fault: garble the device's output, also flood the adapter with random "
                                     "bytes, or clean")
    ua.add_argument("mode", choices=UART_MODES)
    ua.add_argument("--seed", type=int, default=None, help="repeatable random bytes")
    d = sub.add_parser("dump-flash", help="copy the raw flash image")
    d.add_argument("dest", type=Path)
    u = sub.add_parser("update-image", help="write a firmware update image")
    u.add_argument("kind", choices=UPDATE_KINDS)
    u.add_argument("dest", type=Path)
    w = sub.add_parser("wait-ready", help="wait until SSH and HTTPS answer")
    w.add_argument("--timeout", type=float, default=60.0)
    return ap


def run(argv: list[str]) -> int:
    """Execute one command; BenchError propagates."""
    a = _parser().parse_args(argv)
    if a.cmd == "build":
        t0 = time.monotonic()
        fw = build_firmware(force=a.force)
        print(json.dumps({"kernel": str(fw.kernel), "initrd": str(fw.initrd), "version": fw.version,
                          "key": fw.key, "seconds": round(time.monotonic() - t0, 2)}, indent=1))
    elif a.cmd == "defects":
        for name, dft in sorted(DEFECTS.items()):
            where = "" if dft.device else " [vendor documents only: the device is the hardened one]"
            print(f"{name:28} {','.join(dft.fails):20} {dft.description}{where}")
    elif a.cmd == "up":
        names = [n for spec in a.defect for n in spec.split(",") if n]
        bench = ReferenceBench(defects=frozenset(names), unit_serial=a.serial, telemetry_collector=a.collector,
                               boot_timeout=a.timeout)
        info = bench.start(owner_pid=None)
        print(info.model_dump_json(indent=1))
        print(f"ready after {bench.boot_seconds:.1f} s; stop with: python -m refbench down", file=sys.stderr)
    elif a.cmd == "down":
        done = ReferenceBench.cleanup_stale() or []
        st = _read_state(state_file())
        if st is not None and not a.force and st.owner_pid is not None and pid_alive(st.owner_pid, st.owner_start):
            # why: a lab runs one bench per machine; pulling it from under a running evaluation would turn
            # that run's remaining units INCONCLUSIVE for no fault of the device
            raise BenchError(f"the bench is in use by process {st.owner_pid} ({_command_of(st.owner_pid)}); "
                             "let that run finish or stop it, or use 'down --force'")
        if st is not None:
            from refbench.bench import teardown_from_state

            done += teardown_from_state(state_file())
        print("\n".join(done) if done else "nothing to clean up")
    elif a.cmd == "status":
        st = _read_state(state_file())
        if st is None:
            print("no bench")
            return 1
        try:
            bench = ReferenceBench.attach()
        except BenchError as exc:
            print(f"stale bench state ({exc}); run 'down' to clean up")
            return 1
        print(json.dumps({"info": json.loads(bench.info.model_dump_json()), "daemon": bench.status()}, indent=1))
    else:
        bench = ReferenceBench.attach()
        if a.cmd == "label":
            print(bench.info.label_file.read_text(), end="")
        elif a.cmd == "power":
            if a.state == "reboot":
                bench.power_reboot()
            else:
                (bench.power_on if a.state == "on" else bench.power_off)()
        elif a.cmd == "link":
            (bench.link_up if a.state == "up" else bench.link_down)()
        elif a.cmd == "uart":
            bench.uart_fault(a.mode, a.seed)
        elif a.cmd == "dump-flash":
            print(bench.dump_flash(a.dest))
        elif a.cmd == "update-image":
            print(bench.build_update_image(a.kind, a.dest))
        elif a.cmd == "wait-ready":
            print(f"ready after {bench.wait_ready(a.timeout):.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: prints BenchError messages plainly and exits 2."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except BenchError as exc:
        print(f"jcstar-bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
