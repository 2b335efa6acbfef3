"""Nothing stays behind: normal exit, Ctrl-C, SIGKILL of the owner, SIGKILL of the daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from refbench import netns
from refbench.bench import ReferenceBench, state_file
from refbench.config import repo_root
from refbench.errors import BenchError

pytestmark = pytest.mark.bench

OWNER = """
import sys, time
from refbench.bench import ReferenceBench
with ReferenceBench(unit_serial="RB-0900") as b:
    print("UP", flush=True)
    time.sleep(600)
"""


def leftovers() -> list[str]:
    found = [f"netns {n}" for n in netns.bench_namespaces()]
    q = subprocess.run(["pgrep", "-f", "jcsrb-device"], capture_output=True, text=True)
    found += [f"qemu {p}" for p in q.stdout.split()]
    d = subprocess.run(["pgrep", "-f", "refbench.daemon"], capture_output=True, text=True)
    found += [f"daemon {p}" for p in d.stdout.split()]
    if state_file().exists():
        found.append(str(state_file()))
    return found


def wait_clean(timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and leftovers():
        time.sleep(0.2)
    return leftovers()


def start_owner() -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True, cwd=repo_root())
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "UP", line
    return proc


def test_context_manager_leaves_nothing() -> None:
    with ReferenceBench(unit_serial="RB-0901") as b:
        run_dir = b.info.run_dir
        assert netns.bench_namespaces()
        with pytest.raises(BenchError, match="already running"):
            ReferenceBench().start()
    assert wait_clean(5) == []
    assert not run_dir.exists()


def test_sigkill_of_owner_is_cleaned_by_the_daemon() -> None:
    proc = start_owner()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert wait_clean() == []


def test_ctrl_c_tears_down() -> None:
    proc = start_owner()
    proc.send_signal(signal.SIGINT)
    proc.wait(30)
    assert wait_clean(10) == []


def test_sigkill_of_daemon_is_cleaned_by_next_down() -> None:
    up = subprocess.run([sys.executable, "-m", "refbench", "up", "--serial", "RB-0902"], capture_output=True,
                        text=True, cwd=repo_root(), timeout=180)
    assert up.returncode == 0, up.stderr
    from refbench.bench import _read_state

    st = _read_state(state_file())
    assert st is not None and st.daemon_pid
    os.kill(st.daemon_pid, signal.SIGKILL)
    time.sleep(0.5)
    assert ReferenceBench.cleanup_stale()
    assert wait_clean(5) == []
    assert not Path(st.run_dir).exists()


def test_cli_down_when_nothing_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "refbench", "down"], capture_output=True, text=True,
                         cwd=repo_root())
    assert out.returncode == 0 and "nothing to clean up" in out.stdout
