"""Time our full TCP port scan against `nmap -sS -p- -T4` on the same target, in the same run.

    sudo python benchmarks/bench_portscan.py [--rounds 5] [--no-ipv6] [--connect] [--no-scapy]

Needs root (network namespaces, raw sockets) and nmap. It builds the isolated lab/dut namespace pair
the tests use, starts TCP listeners on a few ports in the dut namespace (IPv4 and IPv6), and from the
lab namespace runs, alternately, each round:

* ours: `fixtures.net.portscan.scan_tcp` on ports 1-65535, in a fresh Python process (so its peak RSS
  is its own); both the scan's own time and the whole process's wall time (interpreter start and
  imports included) are reported;
* nmap: `nmap -sS -p- -T4 -n -Pn <dut>` (and `-6` for IPv6), its whole process's wall time.

Both must agree on the set of open ports; the table shows wall time, open ports found and peak RSS.
With scapy (default) it also times scapy's sr() on a sample of ports and extrapolates to 65,535, the
measurement behind not building the scanner on scapy. Everything started is stopped and the namespaces
removed when it ends.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fixtures.scope import ScopeGuard

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

OPEN = [22, 80, 443, 1883, 8080, 49152, 65535]
LISTEN = (
    "import socket,sys,time\n"
    "ss=[]\n"
    "for p in sys.argv[1:]:\n"
    " s=socket.socket(socket.AF_INET6);s.setsockopt(41,26,0)\n"
    " s.bind(('::',int(p)));s.listen(512);ss.append(s)\n"
    "time.sleep(3600)\n"
)


@dataclass
class Row:
    tool: str
    family: str
    round: int
    wall: float
    scan: float | None
    open: list[int]
    rss_mb: float


def _guard(lab_if: str, targets: list[str]) -> ScopeGuard:
    from fixtures.labconfig import NetworkScope
    from fixtures.scope import ScopeGuard

    scope = NetworkScope(
        lab_interface=lab_if,
        allowed_networks=[ip_network("198.51.100.0/24"), ip_network("2001:db8:100::/64")],
    )
    return ScopeGuard(scope, targets)


def child_scan(target: str, lab_if: str, method: str) -> None:
    """Runs inside the lab namespace in its own process: one full scan, result as JSON on stdout."""
    import resource

    from fixtures.net.portscan import scan_tcp

    start = time.monotonic()
    result = scan_tcp(target, "1-65535", _guard(lab_if, [target]), method=method)  # type: ignore[arg-type]
    seconds = time.monotonic() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "open": result.open_ports(),
                "scanned": result.ports_scanned,
                "probes": result.probes_sent,
                "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def child_scapy(target: str, lab_if: str, sample: int) -> None:
    """scapy's sr() on ports 1..sample, for the extrapolation."""
    import logging

    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import IP, TCP, IPv6, conf, sr  # type: ignore[attr-defined]

    conf.verb = 0
    layer = IPv6(dst=target) if ":" in target else IP(dst=target)
    start = time.monotonic()
    answered, _ = sr(layer / TCP(dport=(1, sample), flags="S"), timeout=1, iface=lab_if)
    seconds = time.monotonic() - start
    opened = sorted(
        int(r[TCP].sport) for _, r in answered if r.haslayer(TCP) and int(r[TCP].flags) & 0x12 == 0x12
    )
    print(json.dumps({"seconds": seconds, "open": opened, "answered": len(answered)}))


def _timed(argv: list[str]) -> tuple[float, str, int]:
    """(wall seconds, stdout, peak RSS in KiB) of a command, via /usr/bin/time."""
    start = time.monotonic()
    out = subprocess.run(
        ["/usr/bin/time", "-f", "RSS_KB=%M", *argv], capture_output=True, text=True, check=True
    )
    wall = time.monotonic() - start
    m = re.search(r"RSS_KB=(\d+)", out.stderr)
    return wall, out.stdout, int(m.group(1)) if m else 0


def _nmap_open(xml: str) -> list[int]:
    return sorted(int(p) for p in re.findall(r'<port protocol="tcp" portid="(\d+)"><state state="open"', xml))


def _ipv6_ready(pair: object) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        busy = [
            subprocess.run(
                ["ip", "-6", "-n", ns, "addr", "show", "tentative"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            for ns in (pair.lab_ns, pair.dut_ns)  # type: ignore[attr-defined]
        ]
        if not any(busy):
            return
        time.sleep(0.1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-ipv6", action="store_true")
    ap.add_argument("--connect", action="store_true", help="also time our connect() scan")
    ap.add_argument("--no-scapy", action="store_true")
    ap.add_argument("--scapy-sample", type=int, default=2000)
    ap.add_argument("--child-scan", nargs=3, metavar=("TARGET", "IFACE", "METHOD"), help=argparse.SUPPRESS)
    ap.add_argument("--child-scapy", nargs=3, metavar=("TARGET", "IFACE", "SAMPLE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child_scan:
        child_scan(*a.child_scan)
        return 0
    if a.child_scapy:
        child_scapy(a.child_scapy[0], a.child_scapy[1], int(a.child_scapy[2]))
        return 0
    nmap = shutil.which("nmap")
    if nmap is None:
        print("nmap is not installed (apt-get install nmap); nothing to compare with", file=sys.stderr)
        return 2

    from tests.netlab import two_namespaces

    rows: list[Row] = []
    disagreements: list[str] = []
    with two_namespaces("jcbp") as pair:
        pair.start_in_dut([sys.executable, "-c", LISTEN, *map(str, OPEN)], ready_port=OPEN[-1])
        _ipv6_ready(pair)
        targets = [("ipv4", pair.dut_addr)] + ([] if a.no_ipv6 else [("ipv6", pair.dut_addr6)])
        ns = ["ip", "netns", "exec", pair.lab_ns]
        me = [sys.executable, str(Path(__file__).resolve())]
        methods = ["syn"] + (["connect"] if a.connect else [])
        for rnd in range(a.rounds):
            for family, addr in targets:
                runs: list[tuple[str, list[str]]] = [
                    (f"ours ({m})", [*ns, *me, "--child-scan", addr, pair.lab_if, m]) for m in methods
                ]
                runs.append(
                    (
                        "nmap -sS -p- -T4",
                        [
                            *ns,
                            nmap,
                            "-sS",
                            "-p-",
                            "-T4",
                            "-n",
                            "-Pn",
                            "-oX",
                            "-",
                            *(["-6"] if family == "ipv6" else []),
                            addr,
                        ],
                    )
                )
                if rnd % 2:
                    runs.reverse()  # alternate who goes first
                for tool, argv in runs:
                    wall, out, rss = _timed(argv)
                    if tool.startswith("ours"):
                        data = json.loads(out.strip().splitlines()[-1])
                        opened, scan_s = list(data["open"]), float(data["seconds"])
                    else:
                        opened, scan_s = _nmap_open(out), None
                    if opened != OPEN:
                        disagreements.append(f"{tool} {family} round {rnd + 1}: {opened}")
                    rows.append(Row(tool, family, rnd + 1, wall, scan_s, opened, rss / 1024))
        scapy_row = None
        if not a.no_scapy:
            wall, out, rss = _timed(
                [*ns, *me, "--child-scapy", pair.dut_addr, pair.lab_if, str(a.scapy_sample)]
            )
            data = json.loads(out.strip().splitlines()[-1])
            scapy_row = (
                data["seconds"],
                data["answered"],
                data["seconds"] * 65535 / a.scapy_sample,
                rss / 1024,
            )

    print(
        f"\nFull TCP scan of ports 1-65535, {a.rounds} rounds, listeners on {OPEN} "
        "(veth between network namespaces)\n"
    )
    print(
        f"{'tool':<22} {'family':<6} {'round':>5} {'wall s':>8} {'scan s':>8} {'open':>5} {'peak RSS MB':>12}"
    )
    for r in rows:
        scan = f"{r.scan:.3f}" if r.scan is not None else "-"
        print(
            f"{r.tool:<22} {r.family:<6} {r.round:>5} {r.wall:>8.3f} {scan:>8} {len(r.open):>5} "
            f"{r.rss_mb:>12.1f}"
        )
    print(f"\n{'median':<22} {'family':<6} {'wall s':>8} {'scan s':>8} {'peak RSS MB':>12}")
    for tool in dict.fromkeys(r.tool for r in rows):
        for family, _ in targets:
            sel = [r for r in rows if r.tool == tool and r.family == family]
            walls = statistics.median(r.wall for r in sel)
            scans = [r.scan for r in sel if r.scan is not None]
            med_scan = f"{statistics.median(scans):.3f}" if scans else "-"
            rss_mb = statistics.median(r.rss_mb for r in sel)
            print(f"{tool:<22} {family:<6} {walls:>8.3f} {med_scan:>8} {rss_mb:>12.1f}")
    if scapy_row is not None:
        sc_s, sc_answered, sc_total, sc_rss = scapy_row
        print(
            f"\nscapy sr() on ports 1-{a.scapy_sample} (ipv4): {sc_s:.2f} s, {sc_answered} answered, "
            f"peak RSS {sc_rss:.0f} MB -> about {sc_total:.0f} s for 65,535 ports"
        )
    if disagreements:
        print("\nDISAGREEMENT on the open ports:\n  " + "\n  ".join(disagreements))
        return 1
    print(f"\nAll runs agree on the open ports: {OPEN}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
