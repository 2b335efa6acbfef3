"""Reference bench: a QEMU-emulated embedded Linux device on an isolated lab network.

>>> with ReferenceBench(defects=frozenset({"telnet_enabled"}), unit_serial="RB-0001") as bench:
...     bench.info.dut_address            # reach it from bench.info.lab_netns
...     bench.power_off(); bench.power_on(); bench.wait_ready(timeout=60)

The harness reaches the device only as it would reach hardware: over the lab network (in
``info.lab_netns``), the UART (``info.serial_url``), the PDU (SNMP at ``info.pdu_host``) and the
flash dump.  One bench per machine; its state file (``/run/jcsrb/state.json``) lets ``down`` or the
next ``up`` clean up after a crash, and the daemon tears everything down by itself if the owning
process dies.
"""

from __future__ import annotations

import contextlib
import glob
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ConfigDict

from refbench import netns
from refbench.config import (
    ADMIN_USER,
    DUT_NETNS,
    IPV6_CANDIDATES,
    LAB_IF,
    LAB_NETNS,
    MODEL_NUMBER,
    PDU_COMMUNITY,
    PDU_OUTLET,
    PDU_PORT,
    PDU_V3_USER,
    TELEMETRY_PORT,
    cache_dir,
    repo_root,
    run_root,
)
from refbench.daemon import DaemonConfig, pid_alive, proc_start_time
from refbench.defects import parse_defects
from refbench.errors import BenchError
from refbench.firmware import build_firmware
from refbench.manufacture import manufacture
from refbench.updates import UpdateKind, write_image

__all__ = ["BenchError", "BenchInfo", "ReferenceBench", "check_prerequisites", "teardown_from_state"]

# program -> Debian package that provides it
REQUIRED_PROGRAMS = {
    "qemu-system-x86_64": "qemu-system-x86",
    "ip": "iproute2",
    "snmpd": "snmpd",
    "mke2fs": "e2fsprogs",
    "openssl": "openssl",
    "busybox": "busybox-static",
    "dpkg-deb": "dpkg",
    "sysctl": "procps",
}


class BenchInfo(BaseModel):
    """How to reach the bench's device and equipment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lab_netns: str
    dut_netns: str
    lab_interface: str
    subnet: str
    lab_address: str
    dut_address: str
    subnet6: str | None
    lab_ipv6: str | None
    dut_ipv6: str | None
    serial_url: str
    pdu_host: str
    pdu_port: int
    pdu_outlet: int
    pdu_community: str
    pdu_v3_user: str
    pdu_v3_auth: str
    pdu_v3_priv: str
    pdu_v3_auth_protocol: str
    pdu_v3_priv_protocol: str
    label_file: Path
    flash_image: Path
    model_number: str
    firmware_version: str
    defects: tuple[str, ...]
    unit_serial: str
    mac: str
    admin_user: str
    telemetry_port: int
    telemetry_log: Path | None
    uart_log: Path
    run_dir: Path


class BenchState(BaseModel):
    """Contents of the machine-wide state file."""

    model_config = ConfigDict(extra="forbid")

    phase: str
    run_dir: Path
    namespaces: list[str]
    daemon_pid: int | None = None
    daemon_start: str | None = None
    owner_pid: int | None = None
    owner_start: str | None = None
    info: BenchInfo | None = None


def state_file() -> Path:
    """Path of the state file."""
    return run_root() / "state.json"


def _read_state(path: Path) -> BenchState | None:
    try:
        return BenchState.model_validate_json(path.read_text())
    except (OSError, ValueError):
        return None


def _write_state(path: Path, st: BenchState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(st.model_dump_json(indent=1))
    tmp.replace(path)


def check_prerequisites() -> None:
    """Raise BenchError listing everything missing (root, /dev/net/tun, programs, kernel)."""
    problems: list[str] = []
    if os.geteuid() != 0:
        problems.append("the bench needs root (network namespaces, tap devices): run it as root")
    if not os.path.exists("/dev/net/tun"):
        problems.append("/dev/net/tun is missing: load the tun module ('modprobe tun') or give the container "
                        "the tun device")
    missing = sorted({pkg for prog, pkg in REQUIRED_PROGRAMS.items() if shutil.which(prog) is None
                      and not os.path.exists(f"/usr/sbin/{prog}")})
    if not os.path.exists("/usr/bin/python3.11"):
        missing.append("python3.11-minimal")
    if not glob.glob("/boot/vmlinuz-*-cloud-amd64"):
        missing.append("linux-image-cloud-amd64")
    if missing:
        problems.append("missing Debian packages: " + " ".join(missing) + ". Install them with: apt-get install "
                        "--no-install-recommends " + " ".join(missing) + " (full list: refbench/apt-packages.txt)")
    if problems:
        raise BenchError("the reference bench cannot start: " + "; ".join(problems))


def teardown_from_state(path: Path | None = None, *, from_daemon: bool = False) -> list[str]:
    """Remove everything a bench left: daemon, QEMU, snmpd, namespaces (with links/taps), run dir."""
    path = path or state_file()
    done: list[str] = []
    st = _read_state(path)
    if st is not None and not from_daemon and pid_alive(st.daemon_pid, st.daemon_start):
        assert st.daemon_pid is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(st.daemon_pid, signal.SIGTERM)
        for _ in range(50):
            if not pid_alive(st.daemon_pid, st.daemon_start):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(st.daemon_pid, signal.SIGKILL)
        done.append(f"stopped bench daemon {st.daemon_pid}")
    removed = netns.delete_namespaces(netns.bench_namespaces())
    done += [f"deleted namespace {n}" for n in removed]
    if st is not None and st.run_dir.exists():
        shutil.rmtree(st.run_dir, ignore_errors=True)
        done.append(f"removed {st.run_dir}")
    if path.exists():
        path.unlink()
        done.append(f"removed {path}")
    return done


def _bench_alive(st: BenchState) -> bool:
    if not pid_alive(st.daemon_pid, st.daemon_start):
        return False
    return st.owner_pid is None or pid_alive(st.owner_pid, st.owner_start)


class ReferenceBench:
    """Bring up, control and tear down the reference device bench (context manager)."""

    def __init__(self, defects: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
                 unit_serial: str = "RB-0001", *, telemetry_collector: bool = False,
                 boot_timeout: float = 60.0, cache: Path | None = None) -> None:
        self.defects = parse_defects(defects)
        if not unit_serial or len(unit_serial) > 32 or not unit_serial.replace("-", "").isalnum():
            raise BenchError(f"unit serial {unit_serial!r}: use 1-32 letters, digits and '-'")
        self.unit_serial = unit_serial
        self.telemetry_collector = telemetry_collector
        self.boot_timeout = boot_timeout
        self.cache = cache or cache_dir()
        self._info: BenchInfo | None = None
        self._update_seq = 0
        self._owned = False
        self.boot_seconds: float | None = None

    # ---- lifecycle ------------------------------------------------------------------------
    @property
    def info(self) -> BenchInfo:
        """Addresses, equipment and unit data of the running bench."""
        if self._info is None:
            raise BenchError("the bench is not up")
        return self._info

    def __enter__(self) -> ReferenceBench:
        self.start(owner_pid=os.getpid())
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @classmethod
    def cleanup_stale(cls) -> list[str]:
        """Remove leftovers of a crashed earlier bench; a live bench is left alone (returns [])."""
        st = _read_state(state_file())
        if st is not None and _bench_alive(st):
            return []
        if st is None and not netns.bench_namespaces():
            return []
        return teardown_from_state(state_file())

    @classmethod
    def attach(cls) -> ReferenceBench:
        """Handle on the bench that is already running (for the CLI)."""
        st = _read_state(state_file())
        if st is None or st.info is None or not _bench_alive(st):
            raise BenchError("no reference bench is running (start one with 'jcstar-bench up')")
        b = cls(defects=frozenset(st.info.defects), unit_serial=st.info.unit_serial)
        b._info = st.info
        return b

    def start(self, owner_pid: int | None = None) -> BenchInfo:
        """Build (cached) firmware, wire the network, manufacture the unit, start the daemon, wait until ready.

        With ``owner_pid`` the daemon tears the bench down when that process dies.
        """
        check_prerequisites()
        self.cleanup_stale()
        st = _read_state(state_file())
        if st is not None:
            raise BenchError(f"a reference bench is already running (daemon pid {st.daemon_pid}); stop it with "
                             "'python -m refbench down' first")
        fw = build_firmware(self.cache)
        subnet = netns.pick_subnet(netns.host_routes())
        subnet6 = netns.pick_subnet(netns.host_routes(), IPV6_CANDIDATES)
        lab, dut = netns.addresses(subnet)
        lab6, dut6 = netns.addresses(subnet6)
        prefix = ipaddress.ip_network(subnet).prefixlen
        run_dir = run_root() / "bench"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True, mode=0o700)
        owner_start = proc_start_time(owner_pid) if owner_pid else None
        state = BenchState(phase="setup", run_dir=run_dir, namespaces=[LAB_NETNS, DUT_NETNS],
                           owner_pid=owner_pid, owner_start=owner_start)
        _write_state(state_file(), state)
        self._owned = True
        try:
            netns.create_network(subnet, subnet6)
            unit = manufacture(run_dir / "unit", self.unit_serial, self.defects, ipv4=f"{dut}/{prefix}",
                               ipv6=f"{dut6}/64", lab_ipv4=lab)
            v3_auth, v3_priv = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
            cfg = DaemonConfig(
                run_dir=run_dir, state_file=state_file(), kernel=fw.kernel, initrd=fw.initrd,
                flash_image=unit.flash_image, otp_image=unit.otp_image, mac=unit.mac, owner_pid=owner_pid,
                owner_start=owner_start, lab_address=lab, pdu_port=PDU_PORT, pdu_outlet=PDU_OUTLET,
                pdu_community=PDU_COMMUNITY, pdu_v3_user=PDU_V3_USER, pdu_v3_auth=v3_auth, pdu_v3_priv=v3_priv,
                subnet=subnet, collector=self.telemetry_collector, collector_port=TELEMETRY_PORT,
                keydir=self.cache / "keys", python=sys.executable, namespaces=[LAB_NETNS, DUT_NETNS])
            (run_dir / "daemon-config.json").write_text(cfg.model_dump_json(indent=1))
            out = open(run_dir / "daemon.out", "ab")  # noqa: SIM115
            proc = subprocess.Popen([sys.executable, "-m", "refbench.daemon", "--config",
                                     str(run_dir / "daemon-config.json")], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=out, start_new_session=True, cwd=str(repo_root()))
            out.close()
            state.daemon_pid, state.daemon_start = proc.pid, proc_start_time(proc.pid)
            state.phase = "starting"
            _write_state(state_file(), state)
            serial = self._wait_daemon(proc, run_dir)
            self._info = BenchInfo(
                lab_netns=LAB_NETNS, dut_netns=DUT_NETNS, lab_interface=LAB_IF, subnet=subnet, lab_address=lab,
                dut_address=dut, subnet6=subnet6, lab_ipv6=lab6, dut_ipv6=dut6, serial_url=serial,
                pdu_host=lab, pdu_port=PDU_PORT, pdu_outlet=PDU_OUTLET, pdu_community=PDU_COMMUNITY,
                pdu_v3_user=PDU_V3_USER, pdu_v3_auth=v3_auth, pdu_v3_priv=v3_priv, pdu_v3_auth_protocol="SHA",
                pdu_v3_priv_protocol="AES", label_file=unit.label_file, flash_image=unit.flash_image,
                model_number=MODEL_NUMBER, firmware_version=fw.version, defects=tuple(sorted(self.defects)),
                unit_serial=self.unit_serial, mac=unit.mac, admin_user=ADMIN_USER, telemetry_port=TELEMETRY_PORT,
                telemetry_log=run_dir / "telemetry.jsonl" if self.telemetry_collector else None,
                uart_log=run_dir / "uart.log", run_dir=run_dir)
            state.info = self._info
            state.phase = "running"
            _write_state(state_file(), state)
            self.boot_seconds = self.wait_ready(self.boot_timeout)
            return self._info
        except BaseException:
            self.stop()
            raise

    def _wait_daemon(self, proc: subprocess.Popen[bytes], run_dir: Path) -> str:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if (run_dir / "daemon.json").exists():
                return str(json.loads((run_dir / "daemon.json").read_text())["serial"])
            if proc.poll() is not None:
                tail = (run_dir / "daemon.out").read_text(errors="replace")[-1500:]
                raise BenchError(f"the bench daemon exited (rc={proc.returncode}):\n{tail}")
            time.sleep(0.05)
        raise BenchError("the bench daemon did not start within 15 s; see " + str(run_dir / "daemon.out"))

    def stop(self) -> None:
        """Tear everything down (idempotent)."""
        if self._owned:
            teardown_from_state(state_file())
            self._owned = False
        self._info = None

    # ---- control --------------------------------------------------------------------------
    def _ctl(self, req: dict[str, Any]) -> dict[str, Any]:
        path = self.info.run_dir / "control.sock"
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(30)
                s.connect(str(path))
                s.sendall(json.dumps(req).encode() + b"\n")
                reply = json.loads(s.makefile("rb").readline() or b"{}")
        except (OSError, ValueError) as exc:
            raise BenchError(f"the bench daemon does not answer ({exc}); run 'python -m refbench down' and "
                             "start again") from exc
        if not isinstance(reply, dict) or not reply.get("ok"):
            raise BenchError(f"bench daemon refused {req.get('op')}: {reply}")
        return reply

    def status(self) -> dict[str, Any]:
        """Daemon view: device on/off, outlets, link, boots, QEMU pid."""
        return self._ctl({"op": "status"})

    def power_off(self) -> None:
        """Cut the device's power (QEMU SIGKILL)."""
        self._ctl({"op": "power", "state": "off"})

    def power_on(self) -> None:
        """Restore power (QEMU boots); use :meth:`wait_ready` to wait for services."""
        self._ctl({"op": "power", "state": "on"})

    def power_reboot(self) -> None:
        """PDU-style reboot: off, 2 s, on (returns at once)."""
        self._ctl({"op": "power", "state": "reboot"})

    def power_cycle(self, off_seconds: float = 1.0, timeout: float = 60.0) -> float:
        """Off, wait, on, wait until ready; returns seconds from power-on to ready."""
        self.power_off()
        time.sleep(off_seconds)
        self.power_on()
        return self.wait_ready(timeout)

    def link_down(self) -> None:
        """Unplug the device's network cable (the guest sees carrier loss)."""
        self._ctl({"op": "link", "up": False})

    def link_up(self) -> None:
        """Plug the cable back in."""
        self._ctl({"op": "link", "up": True})

    def uart_fault(self, mode: str, seed: int | None = None) -> None:
        """Garble the device's UART output, also flood the adapter with random bytes, or make the line
        clean again: ``mode`` is garble, flood or clean (``refbench/uart_fault.py``; the daemon refuses
        anything else); a ``seed`` makes the random bytes repeatable."""
        self._ctl({"op": "uart", "mode": mode, **({"seed": seed} if seed is not None else {})})

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Wait until SSH answers with a banner and HTTPS completes a request, over IPv4 and IPv6.

        Returns seconds waited.  Both address families count: a device that answers only on one of
        them is not ready (the profiles declare both, and a procedure would find the other one dead).
        """
        t0 = time.monotonic()
        deadline = t0 + timeout
        hosts = [self.info.dut_address] + ([self.info.dut_ipv6] if self.info.dut_ipv6 else [])
        pending = [(svc, host) for host in hosts for svc in ("ssh", "https")]
        last_err = ""
        while time.monotonic() < deadline:
            try:
                while pending:
                    svc, host = pending[0]
                    if not (self._probe_ssh(host) if svc == "ssh" else self._probe_https(host)):
                        break
                    pending.pop(0)
                if not pending:
                    return time.monotonic() - t0
            except (OSError, ssl.SSLError) as exc:
                last_err = f"{pending[0][0]} on {pending[0][1]}: {type(exc).__name__}: {exc}"
            st = self.status()
            if not st["device_on"] and st["outlets"].get(str(self.info.pdu_outlet)) == 2:
                raise BenchError("the device is powered off (PDU outlet off); power it on first")
            time.sleep(0.2)
        waiting = ", ".join(f"{svc} on {host}" for svc, host in pending)
        raise BenchError(f"the device was not ready within {timeout:.0f} s (no answer from {waiting}; last error: "
                         f"{last_err or 'none'}); see the console log {self.info.uart_log}")

    def _probe_ssh(self, host: str) -> bool:
        with netns.netns_connect(self.info.lab_netns, host, 22, timeout=2) as s:
            return s.recv(64).startswith(b"SSH-2.0")

    def _probe_https(self, host: str) -> bool:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if "weak_tls" in self.defects:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        raw = netns.netns_connect(self.info.lab_netns, host, 443, timeout=3)
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(b"GET /api/v1/model HTTP/1.1\r\nHost: dut\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 ")

    # ---- flash, label, updates ------------------------------------------------------------
    def dump_flash(self, dest: Path) -> Path:
        """Raw copy of the flash image (as a flash programmer would read it)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.info.flash_image, dest)
        return dest

    def label(self) -> dict[str, str]:
        """The unit's label as fields."""
        from refbench.manufacture import read_label

        return read_label(self.info.label_file)

    def build_update_image(self, kind: UpdateKind, dest: Path) -> Path:
        """Write an update image of ``kind`` (valid, tampered, truncated, wrong_key, older, unsigned)."""
        if kind in ("valid", "tampered", "truncated", "wrong_key", "unsigned"):
            self._update_seq += 1
        return write_image(kind, Path(dest), self.cache / "keys", seq=max(self._update_seq, 1))
