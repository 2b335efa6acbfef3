"""Stopping a harness run that lives in its own session: Ctrl-C first (so it closes its record), for good
after a grace; a run frozen for a fault injection is let go first. No bench needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from refbench.validate import stop_run

SLEEPER = "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    print('closed in order', flush=True)\n"


def start(code: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    time.sleep(0.5)  # let the interpreter install its SIGINT handler
    return proc


def test_a_run_gets_ctrl_c_and_closes_in_order() -> None:
    proc = start(SLEEPER)
    stop_run(proc, grace=10)
    assert proc.returncode == 0 and proc.stdout is not None and proc.stdout.read() == b"closed in order\n"


def test_a_frozen_run_is_let_go_first() -> None:
    proc = start(SLEEPER)
    os.kill(proc.pid, signal.SIGSTOP)
    stop_run(proc, grace=10)
    assert proc.stdout is not None and proc.stdout.read() == b"closed in order\n"


def test_a_run_that_ignores_ctrl_c_is_stopped_for_good_after_the_grace() -> None:
    proc = start("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)\n")
    begun = time.monotonic()
    stop_run(proc, grace=1)
    assert proc.returncode == -signal.SIGKILL and time.monotonic() - begun < 10
