"""Faults during a run: SIGTERM mid-run, a failing export; the manifest of a good run."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import paths
from helpers.runner.lock import RunLock

from .conftest import (
    as_if_in_the_foreground,
    copy_project,
    plant_cell,
    required,
    run_cli,
    wait_until,
)

pytestmark = pytest.mark.slow


def snapshot(latest: Path) -> dict:
    return {p.relative_to(latest): p.read_bytes() for p in latest.rglob("*") if p.is_file()}


@pytest.fixture
def copy_of_built(built, tmp_path):
    assert built["result"].returncode == 0, built["result"].stderr
    reports = tmp_path / "reports"
    shutil.copytree(built["reports"], reports, symlinks=True)
    return reports


def kernels_of(run_id: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if f"INCLUSION_REPORT_RUN_ID={run_id}".encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_signal_mid_run_leaves_latest_byte_for_byte(copy_of_built, tmp_path, signum, code, word):
    """rule F02: SIGTERM or SIGINT mid-run; kernels shut down, lock free, latest byte for byte."""
    latest = copy_of_built / "latest"
    target, before = os.readlink(latest), snapshot(latest)
    # step 02 says when it is inside its work, and stays there: the signal lands in 02, not by luck
    root = copy_project(tmp_path / "project")
    marker = tmp_path / "inside-02"
    plant_cell(
        root / "notebooks" / "02_descriptive_statistics.ipynb",
        f"import pathlib, time\npathlib.Path({str(marker)!r}).write_text('02')\ntime.sleep(600)",
        "wait-here",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helpers.runner.cli",
            "run",
            "--force",
            "--reports-dir",
            str(copy_of_built),
            "--processed-dir",
            str(tmp_path / "processed"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "INCLUSION_REPORT_ROOT": str(root)},
        preexec_fn=as_if_in_the_foreground,
    )
    wait_until(marker.exists, timeout=300, what="step 02 to start its work")
    process.send_signal(signum)
    rest = process.stderr.read()
    assert process.wait(timeout=120) == code, rest
    assert word in rest
    assert os.readlink(latest) == target and snapshot(latest) == before
    failed = [p for p in (copy_of_built / "runs").iterdir() if p.name not in target]
    assert len(failed) == 1
    manifest = json.loads((failed[0] / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failed_step"] == "02_descriptive_statistics"
    wait_until(lambda: kernels_of(manifest["run_id"]) == [], what="no kernel left behind")
    with RunLock(copy_of_built, timeout=0):  # and the lock is free
        pass
    assert not (tmp_path / "processed").exists()


def test_failed_export_exits_5_and_keeps_latest(copy_of_built, tmp_path):
    """rule F03: the PDF cannot be made (here the typst package cannot load): exit 5, latest unchanged."""
    latest = copy_of_built / "latest"
    target, before = os.readlink(latest), snapshot(latest)
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "typst.py").write_text('raise ImportError("planted: the typst package cannot load")\n')
    env = {**os.environ, "PYTHONPATH": str(planted)}  # found before the real typst
    result = run_cli(
        "--reports-dir",
        str(copy_of_built),
        "--processed-dir",
        str(tmp_path / "p"),
        "-p",
        "languages",
        '["en"]',  # a new document, so the export runs; no step reads the languages
        env=env,
    )
    assert result.returncode == 5, result.stderr
    assert "PDF export failed" in result.stderr and "planted: the typst package cannot load" in result.stderr
    assert os.readlink(latest) == target and snapshot(latest) == before


def test_manifest_records_what_a_run_was_made_of(built):
    latest = built["latest"]
    manifest = json.loads((latest / "manifest.json").read_text())
    for field in (
        "run_id",
        "started",
        "finished",
        "status",
        "seconds",
        "parameters",
        "provenance",
        "steps",
        "export",
        "outputs",
        "code_sha256",
    ):
        assert field in manifest, field
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", manifest["run_id"])
    origin = manifest["provenance"]
    raw = origin["inputs"]["raw data"]
    assert raw["sha256"] == hashlib.sha256(paths.RAW_TABLE.read_bytes()).hexdigest()
    assert {f"notebook 0{i}" for i in range(1, 5)} <= {k[:11] for k in origin["inputs"]}
    assert set(origin["packages"]) >= {"pandas", "statsmodels", "papermill", "nbconvert"}
    assert origin["python"].startswith("3.11") and len(origin["lock_sha256"]) == 64
    assert set(origin["git"]) == {"commit", "dirty"}
    for step in manifest["steps"]:
        assert (
            step["status"] in ("ran", "reused") and step["seconds"] >= 0 and len(step["key"]) == 64
        )
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((latest / name).read_bytes()).hexdigest() == digest, name
    assert (
        "report.pdf" in manifest["outputs"]
        and "tables/simple_regressions.csv" in manifest["outputs"]
    )
    assert (latest / "run.log").read_text().count("step ") >= 8


def test_kernel_that_dies_mid_notebook(tmp_path):
    """rule F01: exit 4, the notebook named, no kernel left, lock free, latest unchanged."""
    root = copy_project(tmp_path / "project")
    plant_cell(
        root / "notebooks" / "02_descriptive_statistics.ipynb", "import os\nos._exit(9)", "die"
    )
    reports = root / "reports"
    (reports / "runs" / "old").mkdir(parents=True)
    (reports / "runs" / "old" / "report.pdf").write_bytes(b"%PDF old")
    os.symlink("runs/old", reports / "latest")
    result = run_cli(env={**os.environ, "INCLUSION_REPORT_ROOT": str(root)})
    assert result.returncode == 4, result.stderr
    assert (
        "02_descriptive_statistics.ipynb" in result.stderr and "the kernel stopped" in result.stderr
    )
    assert os.readlink(reports / "latest") == "runs/old"
    assert (reports / "runs" / "old" / "report.pdf").read_bytes() == b"%PDF old"
    (failed,) = [p for p in (reports / "runs").iterdir() if p.name != "old"]
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    wait_until(lambda: kernels_of(manifest["run_id"]) == [], what="no kernel left behind")
    with RunLock(reports, timeout=0):
        pass


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


def test_disk_full_while_writing(copy_of_built, tmp_path):
    """rule F04: a tiny disk fills mid-run: clear message, non-zero exit, latest unchanged."""
    disk = tmp_path / "disk"
    required(_mount_tmpfs(disk, "24m"), "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        reports = disk / "reports"
        latest_run = (copy_of_built / "latest").resolve()
        shutil.copytree(latest_run, reports / "runs" / latest_run.name)
        os.symlink(f"runs/{latest_run.name}", reports / "latest")
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * max(0, free - 400_000))  # leave ~400 kB
        before = snapshot(reports / "latest")
        result = run_cli(
            "--reports-dir",
            str(reports),
            "--processed-dir",
            str(tmp_path / "p"),
            "--force",
            "--no-pdf",
        )
        assert result.returncode != 0
        assert "No space left on device" in result.stderr, result.stderr[-2000:]
        assert "Traceback" not in result.stderr.splitlines()[-1]
        # the error names the file or folder that could not be written (issue 33)
        assert f"No space left on device ({reports}/" in result.stderr.splitlines()[-1]
        assert os.readlink(reports / "latest") == f"runs/{latest_run.name}"
        assert snapshot(reports / "latest") == before
        # and the failed run is not left "running" on the full disk: marked failed, or removed
        for run in (reports / "runs").iterdir():
            if run.name != latest_run.name:
                assert json.loads((run / "manifest.json").read_text())["status"] == "failed"
        with RunLock(reports, timeout=0):
            pass
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_read_only_reports_folder(tmp_path):
    """rule F05: refused before anything runs, exit 2, the folder and the reason named."""
    disk = tmp_path / "ro"
    required(_mount_tmpfs(disk, "1m"), "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        (disk / "reports").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = run_cli("--reports-dir", str(disk / "reports"))
        assert result.returncode == 2, result.stderr
        assert str(disk / "reports") in result.stderr and "Read-only file system" in result.stderr
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
