"""Capture analysis (TCP reassembly and canary search) against tshark on the same large capture.

    python benchmarks/bench_capture.py [--sizes 100,300] [--format pcapng|pcap] [--keep DIR]

For each size (MB) it writes a synthetic capture into a temporary folder with its own fast writer
(struct-packed Ethernet/IPv4/TCP records, not scapy): many interleaved TCP flows of full-size
segments and ACKs, with canaries planted whole inside segments and split across two or three
segments of the same flow (other flows' packets in between), plain and base64 (HTTP Basic). Then,
in the same run, it times and measures the peak resident memory (``wait4`` rusage of the child) of

- ``python -m fixtures.net.capture_analysis FILE --canary ...`` (this harness), and
- ``tshark -r FILE -Y 'frame contains "C1" || frame contains "C2" ...'`` (what a lab would run),
- a plain byte search of the file (the floor: ``mmap.find`` per canary),

and prints a table. Each file is deleted before the next one is written (disk use is bounded by
the largest size).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CANARIES = {"admin-password": "Kx7vQ2mZp9LrT4wYb8Nc", "wifi-psk": "Hj3sD9fGq2WkL7pZx5Rt"}
BASIC_USER = "admin"
MSS = 1448


@dataclass
class Planted:
    whole: int = 0  # canary occurrences lying inside one segment
    whole_messages: int = 0  # segments holding them (what `frame contains` can match)
    split: int = 0  # canary occurrences cut across segments
    packets: int = 0
    flows: int = 0


class FastWriter:
    """Writes pcap or pcapng records from pre-packed headers: a few microseconds per packet."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.fh = path.open("wb", buffering=8 * 1024 * 1024)
        self.fmt = fmt
        self.ts = 1_700_000_000_000_000  # microseconds
        if fmt == "pcap":
            self.fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        else:
            shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
            self._block(0x0A0D0D0A, shb_body)
            self._block(1, struct.pack("<HHI", 1, 0, 262144))

    def _block(self, btype: int, body: bytes) -> None:
        pad = (-len(body)) % 4
        n = 12 + len(body) + pad
        self.fh.write(struct.pack("<II", btype, n) + body + b"\0" * pad + struct.pack("<I", n))

    def packet(self, frame: bytes) -> None:
        self.ts += 37
        n = len(frame)
        if self.fmt == "pcap":
            self.fh.write(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, n, n))
            self.fh.write(frame)
        else:
            pad = (-n) % 4
            blen = 32 + n + pad
            self.fh.write(struct.pack("<IIIIIII", 6, blen, 0, self.ts >> 32, self.ts & 0xFFFFFFFF, n, n))
            self.fh.write(frame)
            self.fh.write(b"\0" * pad + struct.pack("<I", blen))

    def close(self) -> None:
        # on disk before anything is measured: background writeback would slow whichever tool runs first
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()


_ETH = bytes.fromhex("0200000000020200000000010800")


def _frame(
    src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes
) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    tcp = struct.pack(
        "!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0
    )
    return _ETH + ip + tcp + payload


class _Flow:
    """One TCP connection of the synthetic device: its messages queued as (direction, bytes, canaries)."""

    def __init__(self, rnd: random.Random, index: int, kind: str) -> None:
        self.client = bytes([10, 1, index // 250, 1 + index % 250])
        self.sport = 30000 + index
        self.kind = kind
        self.port = {"https": 443, "http": 80, "mqtt": 1883, "bulk": 80}[kind]
        self.seq = [rnd.getrandbits(32), rnd.getrandbits(32)]  # next sequence number: client, server
        # (direction 0 = client to server, bytes, canary spans (start, end, occurrences), push offset)
        self.queue: list[tuple[int, bytes, list[tuple[int, int, int]], int]] = []
        self.unacked = 0


class DeviceTraffic:
    """What a device's capture looks like: HTTPS downloads (TLS records spanning segments), HTTP API
    calls and MQTT telemetry, interleaved over many connections. The HTTP and MQTT messages carry the
    canaries now and then (a login form, a Basic auth header, a Wi-Fi setting), wherever the stream
    happens to be cut into segments: some land inside one segment, some across two or three."""

    def __init__(self, rnd: random.Random, kind_mix: str) -> None:
        self.rnd = rnd
        self.pool = rnd.randbytes(4 * 1024 * 1024)
        self.kind_mix = kind_mix
        pw, psk = CANARIES["admin-password"].encode(), CANARIES["wifi-psk"].encode()
        basic = base64.b64encode(f"{BASIC_USER}:{CANARIES['admin-password']}".encode())
        form = (
            b"POST /api/login HTTP/1.1\r\nHost: 10.2.0.1\r\nContent-Type: application/x-www-form-urlencoded"
        )
        form += b"\r\nContent-Length: %d\r\n\r\npassword=" % (
            len(b"password=") + len(pw) + len(b"&remember=1")
        )
        auth = b"GET /api/status HTTP/1.1\r\nHost: 10.2.0.1\r\nAuthorization: Basic "
        # (message, [(start, end, occurrences)]): a Basic header holds two occurrences, base64 of
        # "admin:<password>" and, aligned inside it, base64 of the password alone.
        self.secrets = [
            (form + pw + b"&remember=1", [(len(form), len(form) + len(pw), 1)]),
            (
                auth + basic + b"\r\n\r\n",
                [(len(auth), len(auth) + 34, 1), (len(auth) + 8, len(auth) + 34, 1)],
            ),
        ]
        self.psk = psk

    def json_body(self, n: int) -> bytes:
        """A REST answer of about n bytes: telemetry samples, as device web APIs send them."""
        t0 = self.rnd.randrange(1 << 30)
        sample = b'{"t": %d, "temp": %d.%d, "rssi": -%d, "state": "ok"}'
        items = [sample % (t0 + i, 20 + i % 7, i % 10, 40 + i % 50) for i in range(max(1, n // 52))]
        return b'{"device": "dut1", "samples": [' + b", ".join(items) + b"]}"

    def random(self, n: int) -> bytes:
        r = self.rnd.randrange(len(self.pool) - n)
        return self.pool[r : r + n]

    def kind(self, index: int) -> str:
        if self.kind_mix == "bulk":
            return "bulk"
        return ("https", "https", "http", "mqtt")[index % 4]

    def refill(self, f: _Flow) -> None:
        rnd = self.rnd
        if f.kind == "bulk":
            f.queue.append((0, self.random(64 * 1024), [], 0))
            if rnd.random() < 0.25:
                msg, spans = self.secrets[rnd.randrange(2)]
                # written in two pieces half of the time: the first piece is pushed out on its own
                push = rnd.randrange(1, len(msg)) if rnd.random() < 0.5 else 0
                f.queue.append((0, msg, spans, push))
        elif f.kind == "https":  # a firmware download: 16 KB application data records
            body = b"".join(b"\x17\x03\x03\x40\x00" + self.random(16384) for _ in range(8))
            f.queue.append((0, b"\x17\x03\x03\x00\x40" + self.random(64), [], 0))
            f.queue.append((1, body, [], 0))
        elif f.kind == "http":
            if rnd.random() < 0.3:
                msg, spans = self.secrets[rnd.randrange(2)]
            else:
                msg, spans = (
                    b"GET /api/telemetry?since=%d HTTP/1.1\r\nHost: 10.2.0.1\r\n\r\n"
                    % rnd.randrange(1 << 30),
                    [],
                )
            body = self.json_body(rnd.randrange(1000, 40000))
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
                body
            )
            # a client writing its request in two pieces with TCP_NODELAY: the first piece is pushed
            push = rnd.randrange(1, len(msg)) if spans and rnd.random() < 0.5 else len(msg)
            f.queue.append((0, msg, spans, push))
            f.queue.append((1, head + body, [], 0))
        else:  # MQTT publishes of JSON telemetry, now and then the Wi-Fi settings
            for _ in range(20):
                if rnd.random() < 0.05:
                    pre = b'{"wifi": {"ssid": "lab", "psk": "'
                    payload = pre + self.psk + b'"}}'
                    spans = [(len(pre), len(pre) + len(self.psk), 1)]
                else:
                    payload = b'{"t": %d, "temp": 21.5, "blob": "%s"}' % (
                        rnd.randrange(1 << 30),
                        self.random(600).hex().encode(),
                    )
                    spans = []
                topic = b"dev/telemetry"
                var = struct.pack("!H", len(topic)) + topic
                rem = len(var) + len(payload)
                header = b"\x30" + _mqtt_length(rem)
                spans = [(a + len(header) + len(var), b + len(header) + len(var), n) for a, b, n in spans]
                f.queue.append((0, header + var + payload, spans, 0))


def _mqtt_length(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def generate(path: Path, megabytes: int, fmt: str, traffic: str = "device", seed: int = 7) -> Planted:
    """A capture of about ``megabytes`` MB of ``traffic`` ('device' or 'random' bulk payload), with
    canaries planted in the cleartext messages. Counts where each occurrence landed."""
    rnd = random.Random(seed)
    gen = DeviceTraffic(rnd, traffic)
    w = FastWriter(path, fmt)
    planted = Planted()
    server = bytes([10, 2, 0, 1])
    flows = [_Flow(rnd, i, gen.kind(i)) for i in range(200)]
    for f in flows:
        c, s = f.seq
        w.packet(_frame(f.client, server, f.sport, f.port, c, 0, 0x02, b""))
        w.packet(_frame(server, f.client, f.port, f.sport, s, c + 1, 0x12, b""))
        w.packet(_frame(f.client, server, f.sport, f.port, c + 1, s + 1, 0x10, b""))
        f.seq = [c + 1, s + 1]
        planted.packets += 3
    planted.flows = len(flows)
    target = megabytes * 1_000_000
    while w.fh.tell() < target:
        f = flows[rnd.randrange(len(flows))]
        if not f.queue:
            gen.refill(f)
        # like a kernel send buffer: queued messages of one direction go out back to back, cut at MSS,
        # except where the application pushed (a write with TCP_NODELAY ends a segment)
        direction = f.queue[0][0]
        seg = b""
        while f.queue and f.queue[0][0] == direction and len(seg) < MSS:
            _d, data, spans, push = f.queue[0]
            take = min(MSS - len(seg), push if push > 0 else len(data))
            for a, b, n in spans:  # whole if it ends in this segment, split if it goes on
                if a < take and n:
                    if b <= take:
                        planted.whole += n
                    else:
                        planted.split += n
            seg += data[:take]
            if len(data) > take:
                rest = [(a - take, b - take, 0 if a < take else n) for a, b, n in spans]
                f.queue[0] = (direction, data[take:], rest, push - take if push > take else 0)
            else:
                f.queue.pop(0)
            if push and take == push:
                break
        src, dst, sport, dport = (
            (f.client, server, f.sport, f.port) if direction == 0 else (server, f.client, f.port, f.sport)
        )
        w.packet(_frame(src, dst, sport, dport, f.seq[direction], f.seq[1 - direction], 0x18, seg))
        f.seq[direction] += len(seg)
        planted.packets += 1
        f.unacked += 1
        if f.unacked >= 2:  # delayed ACK from the receiver
            w.packet(_frame(dst, src, dport, sport, f.seq[1 - direction], f.seq[direction], 0x10, b""))
            planted.packets += 1
            f.unacked = 0
    w.close()
    return planted


def measure_median(argv: list[str], repeat: int, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run argv ``repeat`` times: the median wall time, the largest peak RSS, the last stdout."""
    runs = [measure(argv, env) for _ in range(max(1, repeat))]
    times = sorted(r[0] for r in runs)
    return times[len(times) // 2], max(r[1] for r in runs), runs[-1][2]


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run argv; return (wall seconds, peak RSS in MB of that child, stdout)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return seconds, usage.ru_maxrss // 1024, text


_PLAIN = """
import mmap, sys, time
from fixtures.mapfind import map_find  # mmap.find can read past a page-aligned end
start = time.perf_counter()
with open(sys.argv[1], "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
    for value in sys.argv[2:]:
        i = map_find(mm, value.encode())
        while i >= 0:
            i = map_find(mm, value.encode(), i + 1)
print(time.perf_counter() - start)
"""


def plain_search(path: Path) -> float:
    """A plain byte search of the file for each canary (in a child: this process stays small, so the
    children's peak memory measured by wait4 is their own)."""
    out = subprocess.run(
        [sys.executable, "-c", _PLAIN, str(path), *CANARIES.values()],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def run(
    sizes: list[int], fmt: str, traffic: list[str], keep: Path | None, repeat: int
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for kind in traffic:
        for mb in sizes:
            rows.append(run_one(mb, fmt, kind, keep, repeat))
            print(table(rows[-1:], header=len(rows) == 1), flush=True)
    return rows


def run_one(mb: int, fmt: str, traffic: str, keep: Path | None, repeat: int) -> dict[str, object]:
    """Generate one capture, measure both tools on it, delete it."""
    tshark = shutil.which("tshark")
    credential = f"{BASIC_USER}:{CANARIES['admin-password']}"
    with tempfile.TemporaryDirectory(prefix="bench-capture-", dir=keep) as tmp:
        path = Path(tmp) / f"bench-{mb}mb.{fmt}"
        t0 = time.perf_counter()
        planted = generate(path, mb, fmt, traffic)
        gen = time.perf_counter() - t0
        size = path.stat().st_size
        env = dict(os.environ)
        env.update({f"BENCH_CANARY_{i}": v for i, v in enumerate(CANARIES.values())})
        env["BENCH_BASIC"] = credential
        specs = [f"--canary={n}=BENCH_CANARY_{i}" for i, n in enumerate(CANARIES)]
        specs.append("--canary=basic-auth=BENCH_BASIC")
        ours_argv = [sys.executable, "-m", "fixtures.net.capture_analysis", str(path), "--summary", *specs]
        grep_s = plain_search(path)  # also warms the page cache for both tools alike
        ours_s, ours_mb, text = measure_median(ours_argv, repeat, env)
        totals = json.loads(text)["totals"]
        row: dict[str, object] = {
            "traffic": traffic, "size_mb": round(size / 1e6), "packets": planted.packets,
            "flows": planted.flows, "planted_whole": planted.whole, "planted_split": planted.split,
            "whole_messages": planted.whole_messages, "generate_s": round(gen, 1),
            "ours_s": round(ours_s, 2), "ours_peak_mb": ours_mb, "ours_hits": totals["hits"],
            "ours_split_hits": totals["split_hits"], "plain_search_s": round(grep_s, 2),
        }  # fmt: skip
        if tshark:
            token = base64.b64encode(credential.encode()).decode()
            expr = " || ".join(f'frame contains "{v}"' for v in [*CANARIES.values(), token])
            ts_s, ts_mb, ts_out = measure_median([tshark, "-r", str(path), "-n", "-Y", expr], repeat)
            row.update(tshark_s=round(ts_s, 2), tshark_peak_mb=ts_mb, tshark_frames=len(ts_out.splitlines()))
        return row


def table(rows: list[dict[str, object]], header: bool = True) -> str:
    """Side by side: size, planted canaries, then time / peak RSS / found for each tool."""
    cols = [
        ("traffic", 7), ("file", 6), ("packets", 8), ("planted", 16), ("|", 1), ("ours s", 6), ("MB", 4),
        ("found", 11), ("|", 1), ("tshark s", 8), ("MB", 4), ("frames", 6), ("split", 5), ("|", 1),
        ("faster", 6), ("|", 1), ("grep s", 6),
    ]  # fmt: skip
    head = " ".join(f"{name:>{w}}" for name, w in cols)
    lines = [head, "-" * len(head)] if header else []
    for r in rows:
        ts = r.get("tshark_s")
        cells = [
            r["traffic"], f"{r['size_mb']}MB", r["packets"],
            f"{r['planted_whole']} + {r['planted_split']} split", "|",
            r["ours_s"], r["ours_peak_mb"], f"{r['ours_hits']} ({r['ours_split_hits']} s)", "|",
            r.get("tshark_s", "-"), r.get("tshark_peak_mb", "-"), r.get("tshark_frames", "-"),
            0 if ts is not None else "-", "|",
            f"{float(str(ts)) / float(str(r['ours_s'])):.1f}x" if ts is not None else "n/a", "|",
            r["plain_search_s"],
        ]  # fmt: skip
        lines.append(" ".join(f"{c!s:>{w}}" for c, (_n, w) in zip(cells, cols, strict=True)))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,300", help="capture sizes in MB, comma-separated")
    ap.add_argument("--format", default="pcapng", choices=["pcap", "pcapng"])
    ap.add_argument(
        "--keep", type=Path, default=None, help="folder for the temporary files (default: system temp)"
    )
    ap.add_argument(
        "--traffic", default="device,bulk", help="device (HTTPS, HTTP JSON API, MQTT) and/or bulk"
    )
    ap.add_argument("--json", action="store_true", help="also print the rows as JSON")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each tool per file; the median is shown")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = run(sizes, args.format, args.traffic.split(","), args.keep, args.repeat)
    print(
        "planted: canary occurrences inside one segment + cut across segments; found: our hits (split);\n"
        "frames: frames tshark matched (it cannot match a split canary); s: median wall time; MB: peak\n"
        "resident memory (ours: the larger of the analysis process and its search helper process)"
    )
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
