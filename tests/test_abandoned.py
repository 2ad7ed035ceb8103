"""A run whose process died without finishing is ``abandoned``, in history and then in its manifest."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from helpers.runner import records
from helpers.runner.changes import history
from tests.conftest import copy_project, plant_cell, run_cli, wait_until


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_this_process_is_running_and_a_dead_one_is_not():
    me = records.this_process()
    assert me["pid"] == os.getpid() and me["host"] == socket.gethostname()
    assert records.still_running(me)
    assert not records.still_running(me | {"pid": dead_pid()})
    assert not records.still_running(None) and not records.still_running({})


def test_a_reused_process_id_is_not_the_recorded_run():
    # the same id, but a process that started an hour later than the recorded one
    me = records.this_process()
    assert not records.still_running(me | {"started": me["started"] - 3600})


def test_a_run_on_another_host_cannot_be_judged_from_here():
    assert records.still_running({"host": "elsewhere.example", "pid": dead_pid(), "started": 0})


def write_run(runs: Path, run_id: str, status: str, process: dict | None) -> Path:
    folder = runs / run_id
    folder.mkdir(parents=True)
    manifest = {"run_id": run_id, "status": status}
    if process is not None:
        manifest["process"] = process
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder / "manifest.json"


def test_history_tells_a_dead_running_run_from_a_live_one(tmp_path):
    runs = tmp_path / "runs"
    me = records.this_process()
    write_run(runs, "20261205T100000Z-aaaaaa", "running", me | {"pid": dead_pid()})
    write_run(runs, "20261205T110000Z-bbbbbb", "running", me)
    write_run(runs, "20261205T090000Z-cccccc", "succeeded", me | {"pid": dead_pid()})
    write_run(runs, "20261205T080000Z-dddddd", "running", None)  # made before pids were recorded
    statuses = {entry["run_id"]: entry["status"] for entry in history(tmp_path)}
    assert statuses == {
        "20261205T110000Z-bbbbbb": "running",
        "20261205T100000Z-aaaaaa": "abandoned",
        "20261205T090000Z-cccccc": "succeeded",
        "20261205T080000Z-dddddd": "abandoned",
    }


def test_the_lock_holder_marks_every_running_manifest_abandoned(tmp_path):
    runs = tmp_path / "runs"
    running = write_run(runs, "20261205T100000Z-aaaaaa", "running", {"pid": 1})
    done = write_run(runs, "20261205T090000Z-cccccc", "succeeded", {"pid": 1})
    before = done.read_bytes()
    (runs / "20261205T080000Z-broken").mkdir()
    (runs / "20261205T080000Z-broken" / "manifest.json").write_text("{not json")
    assert records.mark_abandoned(runs, noticed_by="run X") == ["20261205T100000Z-aaaaaa"]
    manifest = json.loads(running.read_text())
    assert manifest["status"] == "abandoned" and manifest["abandoned"]["noticed_by"] == "run X"
    assert done.read_bytes() == before
    assert records.mark_abandoned(runs, noticed_by="run Y") == []  # once is enough
    assert records.mark_abandoned(tmp_path / "none", noticed_by="run Z") == []


def processes_of(run_id: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("INCLUSION_REPORT_RUN_ID") == run_id:
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


@pytest.mark.slow
def test_a_run_killed_with_sigkill_is_abandoned_in_history_then_in_its_manifest(tmp_path):
    root = copy_project(tmp_path / "project")
    marker = tmp_path / "inside-02"
    plant_cell(
        root / "notebooks" / "02_descriptive_statistics.ipynb",
        f"import pathlib, time\npathlib.Path({str(marker)!r}).write_text('02')\ntime.sleep(600)",
        "wait-here",
    )
    reports = tmp_path / "reports"
    env = {**os.environ, "INCLUSION_REPORT_ROOT": str(root)}
    run = subprocess.Popen(
        [sys.executable, "-m", "helpers.runner.cli", "run", "--no-pdf", "-p", "languages", "en",
         "--reports-dir", str(reports), "--processed-dir", str(tmp_path / "processed")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_until(marker.exists, timeout=300, what="step 02 to start its work")
    (folder,) = list((reports / "runs").iterdir())
    run_id = folder.name
    try:
        os.kill(run.pid, signal.SIGKILL)  # an out-of-memory kill, a power cut: no chance to clean up
        assert run.wait(timeout=60) == -signal.SIGKILL
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["status"] == "running" and manifest["process"]["pid"] == run.pid
        shown = subprocess.run(
            [sys.executable, "-m", "helpers.runner.cli", "history", "--reports-dir", str(reports)],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        (line,) = [line for line in shown.stdout.splitlines() if line.startswith(run_id)]
        assert line.split()[1] == "abandoned"
        # the next run takes the lock, which proves the killed one is gone, and says so
        following = run_cli(
            "--only", "01", "--reports-dir", str(reports), "--processed-dir", str(tmp_path / "p"),
            env=env,
        )  # fmt: skip
        assert following.returncode == 0, following.stderr
        assert f"run {run_id} was abandoned" in following.stderr
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["status"] == "abandoned"
        assert manifest["abandoned"]["noticed_by"].startswith("a run started ")
    finally:
        for process in processes_of(run_id):  # kernels the killed run could not shut down
            process.kill()
