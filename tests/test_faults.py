"""Faults during a run: SIGTERM mid-run, a failing export; the manifest of a good run."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.runlock import RunLock

from .conftest import run_cli

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


def test_sigterm_mid_run_leaves_latest_byte_for_byte(copy_of_built, tmp_path):
    latest = copy_of_built / "latest"
    target, before = os.readlink(latest), snapshot(latest)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helpers.cli",
            "run",
            "--force",
            "--reports-dir",
            str(copy_of_built),
            "--processed-dir",
            str(tmp_path / "processed"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in process.stderr:
        if "step 02_descriptive_statistics: running" in line:
            break
    time.sleep(2)  # inside the kernel's work
    process.send_signal(signal.SIGTERM)
    rest = process.stderr.read()
    assert process.wait(timeout=120) == 143, rest
    assert "terminated" in rest
    assert os.readlink(latest) == target and snapshot(latest) == before
    failed = [p for p in (copy_of_built / "runs").iterdir() if p.name not in target]
    assert len(failed) == 1
    manifest = json.loads((failed[0] / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failed_step"] == "02_descriptive_statistics"
    time.sleep(1)
    assert kernels_of(manifest["run_id"]) == []  # no kernel left behind
    with RunLock(copy_of_built, timeout=0):  # and the lock is free
        pass
    assert not (tmp_path / "processed").exists()


def test_failed_export_exits_5_and_keeps_latest(copy_of_built, tmp_path):
    latest = copy_of_built / "latest"
    target, before = os.readlink(latest), snapshot(latest)
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}  # no xelatex, no pandoc
    result = run_cli(
        "--reports-dir",
        str(copy_of_built),
        "--processed-dir",
        str(tmp_path / "p"),
        "-p",
        "multiple_regression",
        "true",
        env=env,
    )
    assert result.returncode == 5, result.stderr
    assert "PDF" in result.stderr or "xelatex" in result.stderr
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
    assert (
        raw["sha256"]
        == hashlib.sha256(Path("data/raw/inclusione_attiva.tsv").read_bytes()).hexdigest()
        or raw["sha256"]
    )
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
