"""The bench daemon: owns QEMU (the device's power), the UART adapter, the PDU agent and the collector.

Started detached by :class:`refbench.bench.ReferenceBench` (or ``jcstar-bench up``) after the
namespaces exist.  One single-threaded ``select`` loop:

* **UART**: a pty pair plays the USB-serial adapter.  Its slave path stays the same for the bench's
  whole life; QEMU connects its ttyS0 to our Unix socket each time it starts, and we relay bytes
  between the two (and into ``uart.log``).  While no program has the pty open, output is dropped,
  like a real adapter whose port is closed.
* **Power**: ``power_on`` starts QEMU in the dut namespace; ``power_off`` SIGKILLs it (power loss).
* **PDU**: snmpd in the lab namespace, whose ``pass`` script asks us over ``control.sock``.
* **Link**: QMP ``set_link`` on the device NIC (the guest sees carrier loss); kept across power cycles.
* **UART fault**: ``uart`` garbles what the device prints on its way to the pty, or also floods the pty
  with random bytes (``refbench/uart_fault.py``); kept across power cycles, like a bad cable.
* **Owner watch**: if the process that owns the bench dies (SIGKILL, crash), the daemon tears the
  whole bench down by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import tty
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from refbench.config import APC_OUTLET_CTL_OID, DUT_NETNS, GUEST_MEMORY_MB, LAB_NETNS, PDU_OUTLETS, TAP
from refbench.uart_fault import UartFault, parse_mode

PR_SET_PDEATHSIG = 1


class DaemonConfig(BaseModel):
    """Everything the daemon needs, written as JSON by the client."""

    model_config = ConfigDict(extra="forbid")

    run_dir: Path
    state_file: Path
    kernel: Path
    initrd: Path
    flash_image: Path
    otp_image: Path
    mac: str
    owner_pid: int | None
    owner_start: str | None
    lab_address: str
    pdu_port: int
    pdu_outlet: int
    pdu_community: str
    pdu_v3_user: str
    pdu_v3_auth: str
    pdu_v3_priv: str
    subnet: str
    collector: bool
    collector_port: int
    keydir: Path
    python: str
    namespaces: list[str]


def proc_start_time(pid: int) -> str | None:
    """Start time of a live process (clock ticks since boot), to tell it from a reused pid; None if the
    process is gone or a zombie (killed but not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def pid_alive(pid: int | None, start: str | None) -> bool:
    """True if ``pid`` runs and is the same process (same start time) we recorded."""
    if not pid:
        return False
    st = proc_start_time(pid)
    return st is not None and (start is None or st == start)


def _die_with_parent() -> None:
    # why: if the daemon is SIGKILLed its children go too; stale namespaces are cleaned by `down`/`up`
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Daemon:
    """State of the running bench."""

    def __init__(self, cfg: DaemonConfig) -> None:
        self.cfg = cfg
        self.run = cfg.run_dir
        self.qemu: subprocess.Popen[bytes] | None = None
        self.snmpd: subprocess.Popen[bytes] | None = None
        self.collector: subprocess.Popen[bytes] | None = None
        self.outlets = {n: 1 for n in range(1, PDU_OUTLETS + 1)}  # other outlets: nothing attached, "on"
        self.link_up = True
        self.uart_fault = UartFault()
        self.pending_on: float | None = None
        self.qemu_conn: socket.socket | None = None
        self.ctl_conns: dict[int, tuple[socket.socket, bytes]] = {}
        self.boots = 0
        self.last_power_on = 0.0
        self.stopping = False
        self.uartlog = open(self.run / "uart.log", "ab", buffering=0)  # noqa: SIM115 - lives as long as we do
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.serial_path = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(self.master, False)
        with contextlib.suppress(FileNotFoundError):
            (self.run / "serial").unlink()
        (self.run / "serial").symlink_to(self.serial_path)
        self.uart_srv = self._listen(self.run / "uart.sock")
        self.ctl_srv = self._listen(self.run / "control.sock")
        os.chmod(self.run / "control.sock", 0o600)

    @staticmethod
    def _listen(path: Path) -> socket.socket:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(path))
        s.listen(8)
        s.setblocking(False)
        return s

    def log(self, msg: str) -> None:
        """Daemon log line (run dir)."""
        with open(self.run / "daemon.log", "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%H:%M:%S')} {msg}\n")

    # ---- power ----------------------------------------------------------------------------
    def qemu_cmd(self) -> list[str]:
        """QEMU command line (software emulation; no KVM on these machines)."""
        r = self.run
        return [
            "ip", "netns", "exec", DUT_NETNS,
            "qemu-system-x86_64", "-machine", "pc,accel=tcg", "-cpu", "qemu64", "-m", str(GUEST_MEMORY_MB),
            "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
            "-name", "jcsrb-device", "-kernel", str(self.cfg.kernel), "-initrd", str(self.cfg.initrd),
            "-append", "console=ttyS0,115200 panic=1",
            "-chardev", f"socket,id=uart0,path={r / 'uart.sock'},server=off", "-serial", "chardev:uart0",
            "-drive", f"file={self.cfg.flash_image},format=raw,if=virtio,cache=writeback",
            "-drive", f"file={self.cfg.otp_image},format=raw,if=virtio,readonly=on",
            "-device", "virtio-rng-pci",
            "-netdev", f"tap,id=n0,ifname={TAP},script=no,downscript=no",
            "-device", f"virtio-net-pci,netdev=n0,mac={self.cfg.mac},id=nic0",
            "-qmp", f"unix:{r / 'qmp.sock'},server=on,wait=off",
        ]

    def device_on(self) -> bool:
        """True while QEMU runs."""
        return self.qemu is not None and self.qemu.poll() is None

    def power_on(self) -> None:
        """Start the device (no-op if it runs)."""
        self.pending_on = None
        if self.device_on():
            return
        self.boots += 1
        self.log(f"power on (boot #{self.boots})")
        self.uartlog.write(f"\n--- power on #{self.boots} ---\n".encode())
        self.last_power_on = time.time()
        errlog = open(self.run / "qemu.log", "ab")  # noqa: SIM115
        self.qemu = subprocess.Popen(self.qemu_cmd(), stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog,
                                     preexec_fn=_die_with_parent)
        errlog.close()
        if not self.link_up:
            # why: the cable stays unplugged across power cycles; apply as soon as QMP answers
            for _ in range(50):
                if self.qmp_set_link(False):
                    break
                time.sleep(0.1)

    def power_off(self) -> None:
        """Cut power: SIGKILL QEMU, no shutdown of the guest."""
        self.pending_on = None
        if self.qemu is not None:
            if self.qemu.poll() is None:
                self.log("power off (SIGKILL)")
                self.qemu.kill()
            self.qemu.wait()
        self.qemu = None
        self._drop_qemu_conn()

    def _drop_qemu_conn(self) -> None:
        if self.qemu_conn is not None:
            self.qemu_conn.close()
            self.qemu_conn = None

    # ---- link -----------------------------------------------------------------------------
    def qmp_set_link(self, up: bool) -> bool:
        """QMP set_link on the NIC; False if QEMU's monitor did not answer."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(3)
                s.connect(str(self.run / "qmp.sock"))
                f = s.makefile("rwb")
                f.readline()
                for cmd in ({"execute": "qmp_capabilities"},
                            {"execute": "set_link", "arguments": {"name": "nic0", "up": up}}):
                    f.write(json.dumps(cmd).encode() + b"\n")
                    f.flush()
                    while True:
                        msg = json.loads(f.readline() or b'{"error": "eof"}')
                        if "return" in msg or "error" in msg:
                            break
                    if "error" in msg:
                        return False
            return True
        except (OSError, ValueError):
            return False

    def set_link(self, up: bool) -> None:
        """Plug/unplug the device's network cable."""
        self.link_up = up
        self.log(f"link {'up' if up else 'down'}")
        if self.device_on():
            self.qmp_set_link(up)

    # ---- UART fault -----------------------------------------------------------------------
    def set_uart_fault(self, mode: object, seed: object = None) -> None:
        """Garble or flood the UART, or make it clean again (a bad request is a ValueError)."""
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"the UART fault seed must be an integer, not {seed!r}")
        self.uart_fault.set_mode(parse_mode(mode), seed)
        self.log(f"uart fault {self.uart_fault.mode}" + (f" (seed {seed})" if seed is not None else ""))
        # why: uart.log keeps what the device printed, unchanged; the marker tells where the line went bad
        self.uartlog.write(f"\n--- uart fault: {self.uart_fault.mode} ---\n".encode())

    def _flood(self) -> None:
        """Push the flood bytes that are due to the pty (only while a program has it open, as a real
        adapter drops what arrives while its port is closed); what does not fit is dropped."""
        data = self.uart_fault.flood(time.monotonic())
        if data and self._slave_open():
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self.master, data)

    # ---- PDU / collector ------------------------------------------------------------------
    def start_snmpd(self) -> None:
        """snmpd in the lab namespace, serving only the APC outlet-control column via our pass script."""
        r = self.run
        snmpdir = r / "snmp"
        snmpdir.mkdir(exist_ok=True)
        wrapper = r / "pdu-pass.sh"
        wrapper.write_text(f"#!/bin/sh\nRB_CONTROL={r / 'control.sock'} RB_OUTLETS={PDU_OUTLETS} exec "
                           f"{self.cfg.python} -I -S {Path(__file__).with_name('pdu_pass.py')} \"$@\"\n")
        wrapper.chmod(0o700)
        c = self.cfg
        conf = r / "snmpd.conf"
        conf.write_text("\n".join([
            f"agentAddress udp:{c.lab_address}:{c.pdu_port}",
            f"rwcommunity {c.pdu_community} {c.subnet}",
            f'createUser {c.pdu_v3_user} SHA "{c.pdu_v3_auth}" AES "{c.pdu_v3_priv}"',
            f"rwuser {c.pdu_v3_user} priv",
            "sysDescr APC Web/SNMP Management Card (simulated by the JC-STAR reference bench)",
            "sysObjectID .1.3.6.1.4.1.318.1.3.4.5",
            f"pass {APC_OUTLET_CTL_OID} {wrapper}",
            "",
        ]))
        conf.chmod(0o600)
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(snmpdir), "MIBS": "", "MIBDIRS": str(snmpdir)}
        out = open(r / "snmpd.out", "ab")  # noqa: SIM115
        self.snmpd = subprocess.Popen(
            ["ip", "netns", "exec", LAB_NETNS, "snmpd", "-f", "-C", "-c", str(conf), "-Lf", str(r / "snmpd.log"),
             "-p", str(r / "snmpd.pid"), "-I", "-smux,mteTrigger,mteTriggerConf"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, preexec_fn=_die_with_parent)
        out.close()

    def start_collector(self) -> None:
        """Optional telemetry collector (TLS server) at the lab address."""
        out = open(self.run / "collector.log", "ab")  # noqa: SIM115
        self.collector = subprocess.Popen(
            ["ip", "netns", "exec", LAB_NETNS, self.cfg.python, "-m", "refbench.collector",
             "--host", self.cfg.lab_address, "--port", str(self.cfg.collector_port),
             "--cert", str(self.cfg.keydir / "collector.crt"), "--key", str(self.cfg.keydir / "collector.key"),
             "--out", str(self.run / "telemetry.jsonl")],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, preexec_fn=_die_with_parent,
            cwd=str(Path(__file__).resolve().parent.parent))
        out.close()

    # ---- control protocol -----------------------------------------------------------------
    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        """One control request (from the client library or the PDU pass script)."""
        op = req.get("op")
        if op == "status":
            return {"ok": True, "device_on": self.device_on(), "outlets": self.outlets, "link_up": self.link_up,
                    "boots": self.boots, "serial": self.serial_path, "qemu_pid": self.qemu.pid if self.qemu else None,
                    "last_power_on": self.last_power_on, "uart": self.uart_fault.mode}
        if op == "power":
            self._set_outlet(self.cfg.pdu_outlet, {"on": 1, "off": 2, "reboot": 3}[str(req["state"])])
            return {"ok": True, "device_on": self.device_on()}
        if op == "outlet_get":
            n = int(req["outlet"])
            if n == self.cfg.pdu_outlet:
                return {"ok": True, "value": 1 if (self.device_on() or self.pending_on) else 2}
            return {"ok": True, "value": self.outlets.get(n, 4)}
        if op == "outlet_set":
            self._set_outlet(int(req["outlet"]), int(req["value"]))
            return {"ok": True}
        if op == "link":
            self.set_link(bool(req["up"]))
            return {"ok": True}
        if op == "uart":
            self.set_uart_fault(req.get("mode"), req.get("seed"))
            return {"ok": True, "uart": self.uart_fault.mode}
        if op == "shutdown":
            self.stopping = True
            return {"ok": True}
        return {"ok": False, "error": f"unknown op {op!r}"}

    def _set_outlet(self, n: int, value: int) -> None:
        self.log(f"outlet {n} <- {value}")
        if n != self.cfg.pdu_outlet:
            self.outlets[n] = 1 if value in (1, 3) else 2
            return
        if value == 1:
            self.power_on()
        elif value == 2:
            self.power_off()
        elif value == 3:
            self.power_off()
            self.pending_on = time.monotonic() + 2.0  # APC default reboot duration is longer; 2 s is enough
        self.outlets[n] = 1 if value in (1, 3) else 2

    # ---- main loop ------------------------------------------------------------------------
    def owner_gone(self) -> bool:
        """True if the owning process has died."""
        return self.cfg.owner_pid is not None and not pid_alive(self.cfg.owner_pid, self.cfg.owner_start)

    def loop(self) -> None:
        """Serve until shutdown, SIGTERM or owner death."""
        while not self.stopping:
            if self.owner_gone():
                self.log("owner process is gone: tearing the bench down")
                break
            if self.pending_on is not None and time.monotonic() >= self.pending_on:
                self.power_on()
            if self.qemu is not None and self.qemu.poll() is not None:
                self.log(f"device stopped by itself (qemu rc={self.qemu.returncode})")
                self.qemu = None
                self._drop_qemu_conn()
            rlist: list[Any] = [self.uart_srv, self.ctl_srv, *[c for c, _ in self.ctl_conns.values()]]
            if self.qemu_conn is not None:
                rlist.append(self.qemu_conn)
            master_open = self._slave_open()
            if master_open:
                rlist.append(self.master)
            # why: in flood mode the loop must come round often, so the flood is steady, not bursts
            wait = 0.05 if self.uart_fault.mode == "flood" else 0.2 if master_open else 0.1
            try:
                ready, _, _ = select.select(rlist, [], [], wait)
            except InterruptedError:
                continue
            self._flood()
            for r in ready:
                if r is self.uart_srv:
                    conn, _ = self.uart_srv.accept()
                    self._drop_qemu_conn()
                    conn.setblocking(False)
                    self.qemu_conn = conn
                elif r is self.ctl_srv:
                    conn, _ = self.ctl_srv.accept()
                    conn.setblocking(False)
                    self.ctl_conns[conn.fileno()] = (conn, b"")
                elif r is self.qemu_conn:
                    self._from_device()
                elif r == self.master:
                    self._to_device()
                else:
                    self._control(r)

    def _slave_open(self) -> bool:
        # why: POLLHUP on the master means no program has the pty open (adapter port closed)
        p = select.poll()
        p.register(self.master, select.POLLIN)
        return not any(ev & select.POLLHUP for _, ev in p.poll(0))

    def _from_device(self) -> None:
        assert self.qemu_conn is not None
        try:
            data = self.qemu_conn.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop_qemu_conn()
            return
        self.uartlog.write(data)
        if self._slave_open():
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self.master, self.uart_fault.mangle(data))

    def _to_device(self) -> None:
        try:
            data = os.read(self.master, 4096)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EAGAIN):
                return
            raise
        if data and self.qemu_conn is not None:
            with contextlib.suppress(OSError):
                self.qemu_conn.setblocking(True)
                self.qemu_conn.sendall(data)
                self.qemu_conn.setblocking(False)

    def _control(self, conn: socket.socket) -> None:
        fd = conn.fileno()
        _, buf = self.ctl_conns[fd]
        try:
            chunk = conn.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            del self.ctl_conns[fd]
            conn.close()
            return
        buf += chunk
        if b"\n" not in buf:
            self.ctl_conns[fd] = (conn, buf)
            return
        line = buf.split(b"\n", 1)[0]
        try:
            reply = self.handle(json.loads(line))
        except Exception as exc:  # why: a bad request must not kill the bench
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        with contextlib.suppress(OSError):
            conn.setblocking(True)
            conn.sendall(json.dumps(reply).encode() + b"\n")
        del self.ctl_conns[fd]
        conn.close()

    def stop_children(self) -> None:
        """Kill QEMU, snmpd and the collector."""
        self.power_off()
        for p in (self.snmpd, self.collector):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def main(argv: list[str] | None = None) -> int:
    """``python -m refbench.daemon --config run/daemon-config.json``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True, type=Path)
    args = ap.parse_args(argv)
    cfg = DaemonConfig.model_validate_json(args.config.read_text())
    d = Daemon(cfg)

    def on_term(signum: int, frame: object) -> None:
        d.stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    owner_died = False
    try:
        d.start_snmpd()
        if cfg.collector:
            d.start_collector()
        d.power_on()
        (cfg.run_dir / "daemon.json").write_text(json.dumps({"pid": os.getpid(), "serial": d.serial_path}))
        d.loop()
        owner_died = d.owner_gone()
    finally:
        d.stop_children()
        if owner_died:
            # why: nobody else will clean up after a SIGKILLed owner
            from refbench.bench import teardown_from_state

            teardown_from_state(cfg.state_file, from_daemon=True)
    return 0


if __name__ == "__main__":
    fcntl.flock  # noqa: B018 - keep import used on all paths
    sys.exit(main())
