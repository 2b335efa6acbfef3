"""`python -m refbench down` does not pull the bench from under a run that still owns it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from refbench.bench import BenchState
from refbench.cli import main
from refbench.daemon import proc_start_time


def test_down_refuses_while_a_live_run_owns_the_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # A state file (in a private run folder) whose daemon and owner are this live test process: nothing
    # real is torn down, since the refusal comes first.
    monkeypatch.setenv("JCSTAR_BENCH_RUN", str(tmp_path))
    me, started = os.getpid(), proc_start_time(os.getpid())
    state = BenchState(phase="ready", run_dir=tmp_path / "bench", namespaces=[], daemon_pid=me, daemon_start=started,
                       owner_pid=me, owner_start=started)
    (tmp_path / "state.json").write_text(state.model_dump_json())
    assert main(["down"]) == 2
    err = capsys.readouterr().err
    assert f"in use by process {me}" in err and "pytest" in err and "down --force" in err
    assert (tmp_path / "state.json").exists()
