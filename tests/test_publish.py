"""Publishing a run: the clean table and reports/latest change together, and only after success."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from helpers import paths
from helpers.runner.publish import publish as _publish

from .conftest import copy_project


@pytest.fixture
def published(tmp_path):
    """A reports folder whose latest points at an old run, an old clean table, and a new run."""
    reports = tmp_path / "reports"
    old_run, new_run = reports / "runs" / "old", reports / "runs" / "new"
    for run in (old_run, new_run):
        (run / "data").mkdir(parents=True)
    os.symlink("runs/old", reports / "latest")
    processed = tmp_path / "processed" / paths.PROCESSED_TABLE_NAME
    processed.parent.mkdir()
    processed.write_text("old table\n")
    (new_run / "data" / paths.PROCESSED_TABLE_NAME).write_text("new table\n")
    return {"reports": reports, "new": new_run, "processed": processed}


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_publish_switches_both(published):
    _publish(
        published["new"] / "data" / paths.PROCESSED_TABLE_NAME,
        published["processed"],
        published["reports"],
        published["new"],
    )
    assert os.readlink(published["reports"] / "latest") == os.path.join("runs", "new")
    assert published["processed"].read_text() == "new table\n"
    assert leftovers(published["reports"]) == [] and leftovers(published["processed"].parent) == []


def test_a_failed_switch_of_latest_puts_the_old_table_back(published, monkeypatch):
    real = os.replace

    def refuse_latest(source, target):
        if os.path.basename(target) == "latest":
            raise OSError(28, "No space left on device", str(target))
        return real(source, target)

    monkeypatch.setattr(os, "replace", refuse_latest)
    with pytest.raises(OSError, match="No space left"):
        _publish(
            published["new"] / "data" / paths.PROCESSED_TABLE_NAME,
            published["processed"],
            published["reports"],
            published["new"],
        )
    assert os.readlink(published["reports"] / "latest") == "runs/old"
    assert published["processed"].read_text() == "old table\n"
    assert leftovers(published["reports"]) == [] and leftovers(published["processed"].parent) == []


#: The runner in a subprocess whose last rename, reports/latest, fails: the last possible moment.
#: (An input/output error: on a full disk the run's folder would be removed to free it, see
#: tests/test_faults.py; here the failed run must stay, marked failed.)
FAILING_AT_THE_END = """
import os, sys
real = os.replace
def replace(source, target, *args, **kwargs):
    if os.path.basename(str(target)) == "latest":
        raise OSError(5, "Input/output error", str(target))
    return real(source, target, *args, **kwargs)
os.replace = replace
from helpers.runner.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_run_that_fails_at_its_last_step_changes_neither(built, tmp_path):
    root = copy_project(tmp_path / "project")
    shutil.copy2(paths.PROJECT_ROOT / "uv.lock", root / "uv.lock")  # same environment: steps reusable
    env = {**os.environ, "INCLUSION_REPORT_ROOT": str(root)}
    processed = root / "data" / "processed" / paths.PROCESSED_TABLE_NAME
    processed.parent.mkdir(parents=True, exist_ok=True)
    processed.write_text("the table of an earlier run\n")
    reports = root / "reports"
    # the earlier run is the session's full run: its steps are reused, the export and publish are not
    shutil.copytree(built["latest"].resolve(), reports / "runs" / "old", symlinks=True)
    os.symlink("runs/old", reports / "latest")
    result = subprocess.run(
        [sys.executable, "-c", FAILING_AT_THE_END, "run", "--no-pdf"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 1, result.stderr  # the system refused a write
    assert f"Input/output error ({reports / 'latest'})" in result.stderr
    assert os.readlink(reports / "latest") == "runs/old"
    assert processed.read_text() == "the table of an earlier run\n"
    (run,) = [p for p in (reports / "runs").iterdir() if p.name != "old"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed"  # every step and export done, the publish not
    assert {s["status"] for s in manifest["steps"]} <= {"ran", "reused"}
