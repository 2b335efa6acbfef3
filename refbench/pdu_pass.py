"""snmpd ``pass`` handler for the simulated APC PDU (sPDUOutletCtl, .1.3.6.1.4.1.318.1.1.4.4.2.1.3.<n>).

snmpd runs it as ``pdu_pass.py -g OID`` (get), ``-n OID`` (get-next) or ``-s OID TYPE VALUE`` (set).
It asks the bench daemon over its Unix control socket (path in $RB_CONTROL), which owns QEMU:
1 = on, 2 = off (SIGKILL of QEMU, like pulling the plug), 3 = reboot (off, then on).
Standard library only, so snmpd can start it quickly.
"""

from __future__ import annotations

import json
import os
import socket
import sys

BASE = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3"
OUTLETS = int(os.environ.get("RB_OUTLETS", "8"))


def ask(req: dict[str, object]) -> dict[str, object]:
    """One request/response on the bench daemon's control socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(os.environ["RB_CONTROL"])
        s.sendall(json.dumps(req).encode() + b"\n")
        reply = json.loads(s.makefile("rb").readline() or b"{}")
    if not isinstance(reply, dict):
        return {}
    return reply


def outlet_of(oid: str) -> int | None:
    """Outlet index of an exact column OID, else None."""
    oid = "." + oid.lstrip(".")
    if not oid.startswith(BASE + "."):
        return None
    rest = oid[len(BASE) + 1 :]
    return int(rest) if rest.isascii() and rest.isdigit() and 1 <= int(rest) <= OUTLETS else None


def _tuple(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.strip(".").split(".") if p.isascii() and p.isdigit())


def next_outlet(oid: str) -> int | None:
    """Outlet index that follows ``oid`` in OID order (None past the last outlet of our column)."""
    req, base = _tuple(oid), _tuple(BASE)
    if req[: len(base)] == base and len(req) > len(base):
        n = req[len(base)]
        nxt = n + 1 if len(req) == len(base) + 1 or n >= 1 else 1
        nxt = max(nxt, 1)
        return nxt if nxt <= OUTLETS else None
    return 1 if req < base or base[: len(req)] == req else None


def show(n: int) -> None:
    """Print a pass-protocol answer for outlet ``n``."""
    value = ask({"op": "outlet_get", "outlet": n}).get("value", 4)
    print(f"{BASE}.{n}\ninteger\n{value}")


def main(argv: list[str]) -> int:
    """Entry point called by snmpd."""
    if len(argv) >= 2 and argv[0] == "-g":
        n = outlet_of(argv[1])
        if n is not None:
            show(n)
    elif len(argv) >= 2 and argv[0] == "-n":
        n = next_outlet(argv[1])
        if n is not None:
            show(n)
    elif len(argv) >= 4 and argv[0] == "-s":
        n = outlet_of(argv[1])
        if n is None:
            print("not-writable")
        elif argv[2] != "integer":
            print("wrong-type")
        elif argv[3] not in ("1", "2", "3"):
            print("wrong-value")
        else:
            reply = ask({"op": "outlet_set", "outlet": n, "value": int(argv[3])})
            if not reply.get("ok"):
                print("commit-failed")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
