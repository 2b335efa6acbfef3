"""Fault injection on the reference bench: runs in which the device or the lab misbehaves mid-procedure,
and the table of what each fault produced (issue 8, ISO/IEC 17025 7.7 and 7.10).

    python -m refbench.faults [--cases device-silent-s1-1-10,tshark-missing] [--out DIR]

Every case runs real procedures on a defect variant whose defect the targeted units detect, so the true
answer is FAIL: a fault that turns it into a PASS has hidden the defect, which is a false PASS. The
fault is injected from outside the harness, as it would happen in a lab: when the run's audit log shows
the trigger (a unit starting, a capture starting), the injector acts on the bench (its CLI: link down,
power) or on the lab machine (a tool killed); some faults are set before the run (a tool missing from
PATH). Each targeted unit must end FAIL (the defect still seen) or INCONCLUSIVE with one of the
expected reasons; the run folder must be intact, and no bench process or namespace left.

Exit 0 when every case holds and there is no false PASS, 1 otherwise, 4 on bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field

from refbench.config import BRIDGE, NETNS_PREFIX, lab_config_into
from refbench.validate import stop_run
from reports.check import check_run
from reports.manifest import atomic_write_text
from reports.model import EvaluationRecord, Reason, Record, Verdict

ROOT = Path(__file__).resolve().parent.parent
STAR1 = ROOT / "labtests" / "star1"
PREPARED_ANSWERS = ROOT / "refbench" / "documents" / "prepared-answers.toml"
CASE_TIMEOUT = 1800.0
FAULTS_NAME = "faults.json"
INJECTION_FAILED = "failed: "


def bench_cli(*args: str) -> None:
    """Act on the running bench from outside the harness (as a lab's hands would)."""
    subprocess.run([sys.executable, "-m", "refbench", *args], cwd=ROOT, capture_output=True, timeout=120,
                   check=False)


def kill_tool(name: str, pattern: str | None = None) -> Callable[[Path], None]:
    """Kill a tool the run depends on (every ``name`` process, or those whose command line matches
    ``pattern``): this machine runs the bench and nothing else of the kind while faults are injected."""
    def act(_: Path) -> None:
        args = ["-f", pattern] if pattern else ["-x", name]
        subprocess.run(["pkill", "-KILL", *args], capture_output=True, check=False, timeout=10)
    return act


def bench_snmpd() -> str:
    """The command line of the bench's own SNMP agent (the simulated PDU), and no other snmpd."""
    from refbench.config import run_root

    return f"snmpd -f -C -c {run_root() / 'bench'}/snmpd.conf"


def path_without(tool: str, work: Path) -> dict[str, str]:
    """A PATH in which ``tool`` cannot be found and everything else still can (a lab machine where it
    was never installed): each PATH folder holding it is replaced by a mirror of links without it."""
    dirs = []
    for n, d in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        folder = Path(d)
        if not (folder / tool).exists():
            dirs.append(d)
            continue
        mirror = work / f"path-{n}"
        mirror.mkdir(parents=True, exist_ok=True)
        for entry in folder.iterdir():
            if entry.name != tool and not (mirror / entry.name).exists():
                (mirror / entry.name).symlink_to(entry)
        dirs.append(str(mirror))
    return {"PATH": os.pathsep.join(dirs)}


IMPOSTOR_NETNS = f"{NETNS_PREFIX}impostor"  # the bench's prefix: a bench teardown removes it too
_IMPOSTOR_IN, _IMPOSTOR_OUT = "rb-imp0", "rb-impv"
_impostors: list[subprocess.Popen[bytes]] = []


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def impostor(mode: str, ports: str = "22,443") -> Callable[[Path], None]:
    """The device turns hostile: the real one is powered off and a program answering on its ports
    (``refbench.hostile``: huge banners, malformed handshakes, dropped connections) takes its place on
    the device's wire, with its MAC and addresses, so the harness reaches it exactly as it reached the
    device. It lives in a namespace bridged where the device was and goes with the bench."""
    def act(work: Path) -> None:
        from refbench.bench import ReferenceBench

        info = ReferenceBench.attach().info
        bench_cli("power", "off")
        prefix = info.subnet.split("/")[1]
        _ip("netns", "add", IMPOSTOR_NETNS)
        _ip("link", "add", _IMPOSTOR_IN, "netns", IMPOSTOR_NETNS, "type", "veth", "peer", "name", _IMPOSTOR_OUT,
            "netns", info.dut_netns)
        _ip("-n", info.dut_netns, "link", "set", _IMPOSTOR_OUT, "master", BRIDGE)
        _ip("-n", info.dut_netns, "link", "set", _IMPOSTOR_OUT, "up")
        _ip("-n", IMPOSTOR_NETNS, "link", "set", _IMPOSTOR_IN, "address", info.mac)
        _ip("-n", IMPOSTOR_NETNS, "addr", "add", f"{info.dut_address}/{prefix}", "dev", _IMPOSTOR_IN)
        binds = ["--bind", info.dut_address]
        if info.dut_ipv6:
            _ip("-n", IMPOSTOR_NETNS, "-6", "addr", "add", f"{info.dut_ipv6}/64", "dev", _IMPOSTOR_IN, "nodad")
            binds += ["--bind", info.dut_ipv6]
        for dev in ("lo", _IMPOSTOR_IN):
            _ip("-n", IMPOSTOR_NETNS, "link", "set", dev, "up")
        log = (work / "impostor.log").open("wb")
        proc = subprocess.Popen(["ip", "netns", "exec", IMPOSTOR_NETNS, sys.executable, "-m", "refbench.hostile",
                                 "--mode", mode, *binds, "--ports", ports, "--max-seconds", str(int(CASE_TIMEOUT))],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        _impostors.append(proc)
        assert proc.stdout is not None
        ready = proc.stdout.readline()  # bounded: the program prints it once listening, or exits
        if b"ready" not in ready:
            raise RuntimeError(f"the hostile device did not start (said {ready[:200]!r}; see {work}/impostor.log)")
    return act


def _remove_impostors() -> None:
    for proc in _impostors:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    _impostors.clear()
    subprocess.run(["ip", "netns", "delete", IMPOSTOR_NETNS], capture_output=True, check=False, timeout=30)


def uart(mode: str) -> Callable[[Path], None]:
    """The device garbles or floods its serial line (the bench daemon mangles what it relays)."""
    return lambda _: bench_cli("uart", mode)


def fill_disk(leave: int = 64 * 1024) -> Callable[[Path], None]:
    """Another program fills the disk holding the run folder, leaving ``leave`` bytes."""
    def act(work: Path) -> None:
        disk = work / "disk"
        with (disk / "filler").open("wb") as f:
            for _ in range(100_000):  # bounded: the disk is a small tmpfs
                st = os.statvfs(disk)
                room = st.f_bavail * st.f_frsize - leave
                if room <= 0:
                    break
                try:
                    f.write(b"\0" * min(room, 1 << 20))
                    f.flush()
                except OSError:
                    break
    return act


@dataclass(frozen=True)
class FaultCase:
    name: str
    fault: str  # what goes wrong, for the table
    variant: str  # the defect variant: its targeted units must FAIL when nothing goes wrong
    modules: tuple[str, ...]
    targets: tuple[str, ...]  # unit names (without parameters) the fault hits
    reasons: frozenset[Reason]  # acceptable INCONCLUSIVE reasons for the targets
    trigger: tuple[str, str] | None = None  # (audit action, text in its unit or detail) that fires the injection
    inject: Callable[[Path], None] | None = None  # given the case's folder
    env: Callable[[Path], dict[str, str]] | None = None  # the run's environment changes, given a work folder
    disk_mib: int | None = None  # the run's folder on a disk of this size (a tmpfs), for faults that fill it
    keyword: str | None = None  # pytest -k: only these units of the modules run (a shorter case)
    lab_text: Callable[[str], str] | None = None  # changes to the run's lab config (a lab set up wrong)
    in_ci: bool = False


CASES: tuple[FaultCase, ...] = (
    FaultCase(
        name="device-silent-s1-1-10", fault="the device stops answering (link down) as the unit starts",
        variant="no-model-number", modules=("test_s1_1_10_model_number.py",),
        targets=("test_model_number_identifiable",),
        reasons=frozenset({Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("bench.ready", ""), inject=lambda _: bench_cli("link", "down"),
    ),
    FaultCase(
        name="device-silent-s1-1-02", fault="the device stops answering (link down) as the login tests start",
        variant="default-password", modules=("test_s1_1_02_default_passwords.py",),
        targets=("test_no_known_default_credentials",),
        reasons=frozenset({Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("unit.start", "test_no_known_default_credentials"), inject=lambda _: bench_cli("link", "down"),
    ),
    FaultCase(
        name="device-reboots-s1-1-02", fault="the device reboots on its own as the login tests start",
        variant="default-password", modules=("test_s1_1_02_default_passwords.py",),
        targets=("test_no_known_default_credentials",),
        reasons=frozenset({Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("unit.start", "test_no_known_default_credentials"), inject=lambda _: bench_cli("power", "reboot"),
    ),
    FaultCase(
        name="tshark-missing", fault="tshark is not installed on the lab machine",
        variant="cleartext-telemetry", modules=("test_s1_1_12_transport.py",),
        targets=("test_no_protected_data_in_cleartext",),
        reasons=frozenset({Reason.MISSING_TOOL}), env=lambda work: path_without("tshark", work),
    ),
    FaultCase(
        name="tshark-dies", fault="tshark dies while it captures",
        variant="cleartext-telemetry", modules=("test_s1_1_12_transport.py",),
        targets=("test_no_protected_data_in_cleartext",),
        reasons=frozenset({Reason.LAB_EQUIPMENT_FAULT}),
        trigger=("capture_start", ""), inject=kill_tool("tshark"),
    ),
    FaultCase(
        name="pdu-silent", fault="the PDU stops answering (its SNMP agent killed) as the power test starts",
        variant="settings-lost-on-power-loss", modules=("test_s1_1_14_resilience.py",),
        targets=("test_loss_keeps_the_secure_state[power]",),
        reasons=frozenset({Reason.LAB_EQUIPMENT_FAULT, Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("unit.start", "test_loss_keeps_the_secure_state[power]"),
        inject=kill_tool("snmpd", bench_snmpd()),
    ),
    FaultCase(
        name="pdu-does-not-switch-s1-1-14",
        fault="the PDU switches, but not the device's power (the device is on another outlet than the lab config says)",
        variant="settings-lost-on-power-loss", modules=("test_s1_1_14_resilience.py",),
        targets=("test_loss_keeps_the_secure_state[power]",), keyword="test_loss_keeps_the_secure_state and power",
        reasons=frozenset({Reason.LAB_EQUIPMENT_FAULT}),
        lab_text=lambda text: text.replace("outlet = 1", "outlet = 2", 1), in_ci=True,  # 20 s, a false PASS before
    ),
    FaultCase(
        name="huge-banners-s1-1-02", fault="the device sends endless banners (SSH, HTTP, TLS) from the start",
        variant="default-password", modules=("test_s1_1_02_default_passwords.py",),
        targets=("test_no_known_default_credentials",),
        reasons=frozenset({Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("bench.ready", ""), inject=impostor("huge-banner"),
    ),
    FaultCase(
        name="malformed-handshakes-s1-1-12", fault="the device answers TLS and SSH handshakes with malformed records",
        variant="weak-tls", modules=("test_s1_1_12_transport.py",),
        targets=("test_tls_service_uses_approved_crypto",),
        reasons=frozenset({Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("bench.ready", ""), inject=impostor("malformed-handshake"),
    ),
    FaultCase(
        name="drops-connections-s1-1-04", fault="the device resets every connection from the start",
        variant="no-bruteforce-protection", modules=("test_s1_1_04_bruteforce.py",),
        targets=("test_guessing_rate_is_limited",),
        reasons=frozenset({Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("bench.ready", ""), inject=impostor("drop"),
    ),
    FaultCase(
        name="serial-garbled-s1-1-13", fault="the device garbles its serial line as the boot log is read",
        variant="boot-log-secrets", modules=("test_s1_1_13_interfaces.py",),
        targets=("test_boot_log_reveals_nothing",), keyword="test_boot_log_reveals_nothing",
        reasons=frozenset({Reason.LAB_EQUIPMENT_FAULT, Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("unit.start", "test_boot_log_reveals_nothing"), inject=uart("garble"),
    ),
    FaultCase(
        name="serial-flooded-s1-1-13", fault="the device floods its serial line as the debug console is tried",
        variant="uart-root-shell", modules=("test_s1_1_13_interfaces.py",),
        targets=("test_debug_console_not_open",), keyword="test_debug_console_not_open",
        reasons=frozenset({Reason.LAB_EQUIPMENT_FAULT, Reason.DEVICE_UNREACHABLE, Reason.TIMEOUT}),
        trigger=("unit.start", "test_debug_console_not_open"), inject=uart("flood"),
    ),
    FaultCase(
        name="disk-fills-s1-1-12", fault="the disk holding the run folder fills up while the capture runs",
        variant="cleartext-telemetry", modules=("test_s1_1_12_transport.py",),
        targets=("test_no_protected_data_in_cleartext",),
        reasons=frozenset({Reason.LAB_EQUIPMENT_FAULT}),
        trigger=("capture_start", ""), inject=fill_disk(), disk_mib=64,
    ),
)


class UnitOutcome(Record):
    unit: str
    verdict: Verdict | None
    reason: Reason | None
    rationale: str


class CaseResult(Record):
    case: str
    fault: str
    variant: str
    injected_at: str | None = Field(description="When the injection fired (UTC), None when set before the run")
    report_id: str | None
    run_folder: str | None
    exit_status: int | None
    seconds: float
    targets: list[UnitOutcome]
    false_pass: bool
    holds: bool = Field(description="Every target FAIL or INCONCLUSIVE with an expected reason, folder intact, "
                        "nothing left behind")
    evidence_intact: bool
    left_behind: str
    problems: list[str]


class FaultTable(Record):
    schema_version: int = 1
    started: datetime
    finished: datetime | None
    cases: list[CaseResult]
    false_pass: int
    all_hold: bool


def _leftovers() -> str:
    """The bench's namespaces and any QEMU still there (other programs' namespaces are not the bench's)."""
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    q = subprocess.run(["pgrep", "-f", "qemu-system"], capture_output=True, text=True, check=False).stdout
    ours = [line.split()[0] for line in ns.splitlines() if line.startswith(NETNS_PREFIX)]
    return " ".join([*ours, *q.split()])


def _watch(folder: Path, pid: int, trigger: tuple[str, str], inject: Callable[[Path], None], stop: threading.Event,
           fired: list[str]) -> None:
    """Tail the run's audit log; when the trigger appears, freeze the harness (SIGSTOP: it cannot race
    ahead while the fault is set up), inject, and let it go on (SIGCONT). The bench's own processes are
    not frozen, so the injection can act through them."""
    action, text = trigger
    offsets: dict[Path, int] = {}
    while not stop.is_set():
        for log in [*folder.glob("*/audit.jsonl"), *folder.glob("disk/*/audit.jsonl")]:
            with log.open("rb") as f:
                f.seek(offsets.get(log, 0))
                chunk = f.read()
            whole = chunk[: chunk.rfind(b"\n") + 1]
            offsets[log] = offsets.get(log, 0) + len(whole)
            for line in whole.decode("utf-8", errors="replace").splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                where = f"{rec.get('unit_id') or ''} {rec.get('unit') or ''} {rec.get('detail') or ''}"
                if rec.get("action") == action and text in where:
                    os.kill(pid, signal.SIGSTOP)
                    try:
                        inject(folder)
                    except Exception as exc:
                        fired.append(f"{INJECTION_FAILED}{type(exc).__name__}: {exc}"[:500])
                    finally:
                        os.kill(pid, signal.SIGCONT)
                    fired.insert(0, datetime.now(UTC).isoformat())
                    return
        time.sleep(0.01)


def run_case(case: FaultCase, out: Path) -> CaseResult:
    folder = out / case.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    lab = lab_config_into(folder)
    if case.lab_text is not None:
        lab.write_text(case.lab_text(lab.read_text(encoding="utf-8")), encoding="utf-8")
    runs_in = folder
    if case.disk_mib:
        runs_in = folder / "disk"
        runs_in.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={case.disk_mib}m", "tmpfs", str(runs_in)], check=True,
                       timeout=30)
        text = lab.read_text(encoding="utf-8").replace(f'output_dir = "{folder}"', f'output_dir = "{runs_in}"')
        lab.write_text(text.replace("min_free_mb = 256", f"min_free_mb = {case.disk_mib // 2}"), encoding="utf-8")
    before = _leftovers()
    cmd = [sys.executable, "-m", "pytest", f"--device={ROOT / 'device_profiles' / f'refbench-{case.variant}.toml'}",
           f"--lab-config={lab}", "--evaluator", "tech01", "-q", "-p", "no:cacheprovider",
           f"--answers={PREPARED_ANSWERS}", *(["-k", case.keyword] if case.keyword else []),
           *[str(STAR1 / m) for m in case.modules]]
    stop, fired = threading.Event(), list[str]()
    watcher = None
    start = time.monotonic()
    problems: list[str] = []
    with (folder / "run.log").open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **(case.env(folder / ".env") if case.env else {})},
                                start_new_session=True)
        if case.trigger and case.inject:
            watcher = threading.Thread(target=_watch, args=(folder, proc.pid, case.trigger, case.inject, stop, fired),
                                       daemon=True)
            watcher.start()
        try:
            proc.wait(timeout=CASE_TIMEOUT)
        except subprocess.TimeoutExpired:
            problems.append(f"the run outlasted {CASE_TIMEOUT:g} s and was stopped (a hang)")
            stop_run(proc, 120)
        except KeyboardInterrupt:
            # the run is in its own session: the Ctrl-C is passed on, and what the case set up is undone
            stop.set()
            stop_run(proc, 120)
            _remove_impostors()
            if case.disk_mib:
                subprocess.run(["umount", "-l", str(runs_in)], check=False, timeout=30)
            raise
    stop.set()
    if watcher is not None:
        watcher.join(timeout=5)
        if not fired:
            problems.append(f"the trigger {case.trigger} never appeared: the fault was not injected")
        problems += [f"the injection failed: {f[len(INJECTION_FAILED):]}" for f in fired
                     if f.startswith(INJECTION_FAILED)]
    _remove_impostors()
    if case.disk_mib:
        # The evidence leaves the small disk with the case (copied as it is, then checked there).
        for p in runs_in.iterdir():
            if (p / "evaluation.json").is_file():
                shutil.copytree(p, folder / p.name, symlinks=True)
        (runs_in / "filler").unlink(missing_ok=True)
        subprocess.run(["umount", "-l", str(runs_in)], check=False, timeout=30)
    runs = [p for p in folder.iterdir() if (p / "evaluation.json").is_file()]
    outcomes: list[UnitOutcome] = []
    report_id = run_folder = None
    intact = False
    if len(runs) == 1:
        run = runs[0]
        run_folder, intact = str(run), not check_run(run)
        if not intact:
            problems += [f"run folder: {p}" for p in check_run(run)[:5]]
        try:
            record = EvaluationRecord.model_validate_json((run / "evaluation.json").read_bytes())
        except (OSError, ValueError) as exc:
            problems.append(f"no readable record ({type(exc).__name__})")
        else:
            report_id = record.report_id
            for target in case.targets:
                units = [u for u in record.units if u.name == target or ("[" not in target
                                                                         and u.name.split("[")[0] == target)]
                if not units:
                    outcomes.append(UnitOutcome(unit=target, verdict=None, reason=None, rationale="no result"))
                outcomes += [UnitOutcome(unit=u.name, verdict=u.verdict, reason=u.reason, rationale=u.rationale[:300])
                             for u in units]
    else:
        problems.append(f"{len(runs)} run folders instead of one")
    false_pass = any(o.verdict is Verdict.PASS for o in outcomes)
    wrong = [o for o in outcomes if o.verdict is not Verdict.FAIL
             and not (o.verdict is Verdict.INCONCLUSIVE and o.reason in case.reasons)]
    problems += [f"{o.unit}: {o.verdict} ({o.reason}) is not a FAIL or an INCONCLUSIVE for "
                 f"{', '.join(sorted(r.value for r in case.reasons))}" for o in wrong]
    # A SIGKILLed bench leaves its namespaces until the next start; a run that ended leaves nothing.
    left = _leftovers()
    left_behind = left if left != before else ""
    if left_behind:
        problems.append(f"left behind: {left_behind}")
    bench_cli("down")
    return CaseResult(
        case=case.name, fault=case.fault, variant=case.variant, injected_at=fired[0] if fired else None,
        report_id=report_id, run_folder=run_folder, exit_status=proc.returncode,
        seconds=round(time.monotonic() - start, 1), targets=outcomes, false_pass=false_pass,
        holds=not problems, evidence_intact=intact, left_behind=left_behind, problems=problems,
    )


def table_markdown(table: FaultTable) -> str:
    lines = ["| fault | variant | unit | verdict | reason | evidence | holds |", "|---|---|---|---|---|---|---|"]
    for c in table.cases:
        for o in c.targets or [UnitOutcome(unit="-", verdict=None, reason=None, rationale="")]:
            lines.append(f"| {c.fault} | {c.variant} | {o.unit} | {o.verdict or '-'} | "
                         f"{o.reason.value if o.reason else '-'} | {'intact' if c.evidence_intact else 'NOT intact'} "
                         f"| {'yes' if c.holds else 'NO: ' + '; '.join(c.problems)[:200]} |")
    lines += ["", f"false PASS: {table.false_pass}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m refbench.faults", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", help="comma-separated case names (default: all); 'ci' for the CI subset")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    by_name = {c.name: c for c in CASES}
    if a.cases == "ci":
        cases = [c for c in CASES if c.in_ci]
    elif a.cases:
        names = [n.strip() for n in a.cases.split(",") if n.strip()]
        unknown = [n for n in names if n not in by_name]
        if unknown:
            print(f"ERROR: unknown cases {', '.join(unknown)} (known: {', '.join(by_name)})", file=sys.stderr)
            return 4
        cases = [by_name[n] for n in names]
    else:
        cases = list(CASES)
    out = a.out or Path(tempfile.mkdtemp(prefix="faults-", dir=ROOT / "runs" if (ROOT / "runs").is_dir() else None))
    out.mkdir(parents=True, exist_ok=True)
    table = FaultTable(started=datetime.now(UTC), finished=None, cases=[], false_pass=0, all_hold=True)
    for case in cases:
        result = run_case(case, out)
        table.cases.append(result)
        table.false_pass = sum(c.false_pass for c in table.cases)
        table.all_hold = all(c.holds for c in table.cases)
        atomic_write_text(out / FAULTS_NAME, table.model_dump_json(indent=2) + "\n")
        print(f"{case.name:28} {'holds' if result.holds else 'FAILS'}: " + ", ".join(
            f"{o.unit} {o.verdict} ({o.reason.value if o.reason else '-'})" for o in result.targets), flush=True)
    table.finished = datetime.now(UTC)
    atomic_write_text(out / FAULTS_NAME, table.model_dump_json(indent=2) + "\n")
    atomic_write_text(out / "faults.md", table_markdown(table))
    print(f"false PASS: {table.false_pass}; table: {out / 'faults.md'}")
    return 0 if table.all_hold and table.false_pass == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
