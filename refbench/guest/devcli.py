#!/usr/bin/python3.11 -IS
"""Restricted admin shell of the emulated device (login shell of 'admin' on SSH and the UART).

It is not a general shell: it forwards each command line to ``deviced`` over a Unix socket that
checks the caller's uid.  ``devcli -c "show version"`` runs one command (what sshd does for
``ssh admin@dut 'show version'``); without ``-c`` it is an interactive prompt.
"""

from __future__ import annotations

import getpass
import json
import shlex
import socket
import sys

CLI_SOCKET = "/run/device/cli.sock"


def call(line: str) -> tuple[bool, str]:
    """Send one command line to deviced and return (ok, output)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(30)
            s.connect(CLI_SOCKET)
            s.sendall(json.dumps({"line": line}).encode() + b"\n")
            reply = json.loads(s.makefile("rb").readline() or b"{}")
    except (OSError, ValueError) as exc:
        return False, f"device service unavailable: {exc}"
    return bool(reply.get("ok")), str(reply.get("output", ""))


def one(line: str) -> int:
    """Run one command; 'passwd' without arguments prompts (needs a terminal)."""
    words = line.split()
    if words == ["passwd"]:
        cur = getpass.getpass("Current password: ")
        new = getpass.getpass("New password: ")
        if getpass.getpass("Repeat new password: ") != new:
            print("passwords do not match")
            return 1
        line = "passwd " + shlex.quote(cur) + " " + shlex.quote(new)
    ok, out = call(line)
    if out:
        print(out)
    return 0 if ok else 1


def main() -> int:
    """Entry point."""
    if len(sys.argv) >= 3 and sys.argv[1] == "-c":
        return one(sys.argv[2])
    print("RB-100 management shell. Type 'help'.")
    while True:
        try:
            line = input("rb100> ").strip()
        except EOFError:
            return 0
        if line in ("exit", "quit", "logout"):
            return 0
        if line:
            one(line)


if __name__ == "__main__":
    sys.exit(main())
