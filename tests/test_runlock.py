"""The reports folder's lock, with real processes."""

import json
import os
import signal
import subprocess
import sys

import pytest

from helpers.errors import LockHeld
from helpers.runner.lock import RunLock

from .conftest import run_cli

HOLD = """
import sys, time
from pathlib import Path
from helpers.runner.lock import RunLock
with RunLock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(folder, seconds):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_second_process_is_refused_with_exit_6(tmp_path):
    holder = hold(tmp_path, 60)
    try:
        result = run_cli("--reports-dir", str(tmp_path), "--lock-timeout", "0")
        assert result.returncode == 6
        assert (
            "another run holds the lock" in result.stderr and f"pid {holder.pid}" in result.stderr
        )
        assert not (tmp_path / "runs").exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = hold(tmp_path, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (tmp_path / ".lock").exists()
    with RunLock(tmp_path, timeout=0):  # free at once: the kernel dropped the dead process's lock
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()


def test_waiting_for_a_lock_that_is_released(tmp_path):
    holder = hold(tmp_path, 1)
    # held when we start waiting; ours once the holder lets go (a timeout would raise LockHeld)
    assert json.loads((tmp_path / ".lock").read_text())["pid"] == holder.pid
    with RunLock(tmp_path, timeout=30):
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()
    assert holder.wait(timeout=30) == 0


def test_timeout_expires(tmp_path):
    holder = hold(tmp_path, 30)
    try:
        with pytest.raises(LockHeld, match="waited 0.5 s"), RunLock(tmp_path, timeout=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()
