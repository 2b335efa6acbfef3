"""A ``pass_persist`` handler for Net-SNMP's snmpd that simulates lab equipment for the driver tests.

    pass_persist .1.3.6.1.4.1.318 /usr/bin/python3 snmp_sim.py apc STATEFILE

Models (argv[1]):

* ``apc``: APC sPDUOutletCtl ``.1.3.6.1.4.1.318.1.1.4.4.2.1.3.<n>``, outlets 1-8, read 1 on / 2 off,
  write 1 on, 2 off, 3 reboot.
* ``raritan``: PDU2-MIB switchingOperation ``.1.3.6.1.4.1.13742.6.4.1.2.1.2.1.<n>`` (write 0 off, 1 on,
  2 cycle) and outletSwitchingState ``.3.1.<n>`` (read 7 on, 8 off).
* ``ifmib``: IF-MIB ifAdminStatus ``.1.3.6.1.2.1.2.2.1.7.<i>`` (1 up, 2 down, writable) and ifOperStatus
  ``.8.<i>`` (follows the admin status), interfaces 1-8.

In every model, index 7 is *stuck* (a write is accepted but nothing changes: "the switch did not
happen") and index 5 is *slow* (a write shows only after 1 s, like a PDU's power-on sequencing delay).
Every state change is written to STATEFILE (JSON) so a test can see what really happened.
Standard library only.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

STUCK, SLOW, SLOW_SECONDS = 7, 5, 1.0
INDEXES = range(1, 9)

APC = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3"
RARITAN_OP = ".1.3.6.1.4.1.13742.6.4.1.2.1.2.1"
RARITAN_STATE = ".1.3.6.1.4.1.13742.6.4.1.2.1.3.1"
IF_ADMIN = ".1.3.6.1.2.1.2.2.1.7"
IF_OPER = ".1.3.6.1.2.1.2.2.1.8"


class Sim:
    def __init__(self, model: str, statefile: Path) -> None:
        self.model = model
        self.statefile = statefile
        self.on = dict.fromkeys(INDEXES, True)  # outlet on / interface admin up
        if statefile.exists():  # snmpd restarted this handler: the equipment keeps its state
            self.on.update({int(k): bool(v) for k, v in json.loads(statefile.read_text()).items()})
        self.pending: dict[int, tuple[float, bool]] = {}  # slow index: (when, new state)
        self.last_op = dict.fromkeys(INDEXES, 1)
        self.save()

    def save(self) -> None:
        tmp = self.statefile.with_suffix(".tmp")
        tmp.write_text(json.dumps({str(k): v for k, v in self.on.items()}))
        tmp.replace(self.statefile)

    def settle(self) -> None:
        for n, (when, value) in list(self.pending.items()):
            if time.monotonic() >= when:
                self.on[n] = value
                del self.pending[n]
                self.save()

    def change(self, n: int, value: bool) -> None:
        if n == STUCK:
            return
        if n == SLOW:
            self.pending[n] = (time.monotonic() + SLOW_SECONDS, value)
            return
        self.on[n] = value
        self.save()

    # -- the OIDs of this model: oid -> value ------------------------------------------------------------
    def table(self) -> dict[str, int]:
        self.settle()
        if self.model == "apc":
            return {f"{APC}.{n}": 1 if self.on[n] else 2 for n in INDEXES}
        if self.model == "raritan":
            return {
                **{f"{RARITAN_OP}.{n}": self.last_op[n] for n in INDEXES},
                **{f"{RARITAN_STATE}.{n}": 7 if self.on[n] else 8 for n in INDEXES},
            }
        return {
            **{f"{IF_ADMIN}.{n}": 1 if self.on[n] else 2 for n in INDEXES},
            **{f"{IF_OPER}.{n}": 1 if self.on[n] else 2 for n in INDEXES},
        }

    def set(self, oid: str, typ: str, raw: str) -> str:
        writable = {"apc": APC, "raritan": RARITAN_OP, "ifmib": IF_ADMIN}[self.model]
        if oid not in self.table() or not oid.startswith(writable + "."):
            return "not-writable"
        if typ != "integer":
            return "wrong-type"
        n, value = int(oid.rsplit(".", 1)[1]), int(raw) if raw.lstrip("-").isdigit() else -1
        if self.model == "apc" and value in (1, 2, 3):
            self.change(n, value != 2)  # reboot (3) ends with the outlet on
        elif self.model == "raritan" and value in (0, 1, 2):
            self.last_op[n] = value
            self.change(n, value != 0)
        elif self.model == "ifmib" and value in (1, 2):
            self.change(n, value == 1)
        else:
            return "wrong-value"
        return "DONE"


def key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.strip(".").split(".") if p.isdigit())


def main(argv: list[str]) -> int:
    sim = Sim(argv[0], Path(argv[1]))
    out = sys.stdout
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        cmd = line.strip()
        if cmd == "PING":
            out.write("PONG\n")
        elif cmd in ("get", "getnext"):
            oid = "." + sys.stdin.readline().strip().lstrip(".")
            table = sim.table()
            if cmd == "get":
                found = oid if oid in table else None
            else:
                found = next((o for o in sorted(table, key=key) if key(o) > key(oid)), None)
            out.write(f"{found}\ninteger\n{table[found]}\n" if found else "NONE\n")
        elif cmd == "set":
            oid = "." + sys.stdin.readline().strip().lstrip(".")
            typ, _, raw = sys.stdin.readline().strip().partition(" ")
            out.write(sim.set(oid, typ, raw) + "\n")
        else:  # snmpd sends a blank line after a set: nothing to answer
            continue
        out.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
