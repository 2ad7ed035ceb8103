"""Incremental rebuilds, with real runs: nothing changed, a parameter of 03, a raw-data edit.

The tests are a sequence over one workspace (a copy of the project), in file order: each
starts from the state the one before left.
"""

import json
import os
import shutil

import pytest

from helpers import paths

from .conftest import copy_project, run_cli

pytestmark = pytest.mark.slow


def steps_of(latest):
    manifest = json.loads((latest / "manifest.json").read_text())
    return {s["step"][:2]: s["status"] for s in manifest["steps"]}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("incremental")
    root = copy_project(base / "project")  # its codebook is edited by the last test
    env = {**os.environ, "INCLUSION_REPORT_ROOT": str(root)}
    raw = base / "table.tsv"
    shutil.copyfile(paths.RAW_TABLE, raw)
    args = [
        "--reports-dir",
        str(base / "reports"),
        "--processed-dir",
        str(base / "processed"),
        "--no-pdf",
        "-p",
        "raw_data_path",
        str(raw),
    ]
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    return {
        "base": base,
        "root": root,
        "env": env,
        "raw": raw,
        "args": args,
        "latest": base / "reports" / "latest",
    }


def run_in(workspace, *extra):
    """``inclusion-report run`` in the workspace's project, with its arguments and ``extra``."""
    return run_cli(*workspace["args"], *extra, env=workspace["env"])


def runs(workspace):
    return sorted(p.name for p in (workspace["base"] / "reports" / "runs").iterdir())


def test_nothing_changed_is_up_to_date(workspace):
    before = runs(workspace)
    result = run_in(workspace)
    assert result.returncode == 0
    assert "up to date" in result.stderr
    assert runs(workspace) == before  # no new folder


@pytest.mark.parametrize("how", ["deleted", "edited"])
def test_a_report_deleted_or_edited_by_hand_is_made_again(workspace, how):
    """"Up to date" means the published files are there as recorded, not only that keys match."""
    report = workspace["latest"] / "report.it.html"
    if how == "deleted":
        report.unlink()
    else:
        report.write_text(report.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    result = run_in(workspace)
    assert result.returncode == 0, result.stderr
    assert "up to date" not in result.stderr
    assert set(steps_of(workspace["latest"]).values()) == {"reused"}  # the steps' files are intact
    assert "<!-- edited -->" not in (workspace["latest"] / "report.it.html").read_text(encoding="utf-8")


def test_a_step_output_edited_by_hand_reruns_that_step(workspace):
    table = workspace["latest"] / "tables" / "power.csv"
    table.write_text(table.read_text() + "\n", encoding="utf-8")
    result = run_in(workspace)
    assert result.returncode == 0, result.stderr
    assert steps_of(workspace["latest"])["03"] == "ran"


def test_a_parameter_of_03_reruns_only_03_and_the_exports(workspace):
    result = run_in(workspace, "-p", "multiple_regression", "true")
    assert result.returncode == 0, result.stderr
    assert steps_of(workspace["latest"]) == {
        "01": "reused",
        "02": "reused",
        "03": "ran",
        "04": "reused",
        "05": "reused",
        "06": "reused",  # it reads 03's tables, which the parameter leaves byte for byte the same
    }
    assert "outputs reused" in result.stderr
    assert (workspace["latest"] / "tables" / "multiple_regressions.csv").exists()
    assert (workspace["latest"] / "report.html").exists()
    changes = json.loads((workspace["latest"] / "changes.json").read_text())
    assert changes["tables"]["multiple_regressions.csv"]["status"] == "added"
    assert changes["tables"]["simple_regressions.csv"]["status"] == "unchanged"


def test_a_raw_data_edit_reruns_every_step(workspace):
    text = workspace["raw"].read_text()
    workspace["raw"].write_text(text.replace("Bari\t60\t", "Bari\t62\t"))
    result = run_in(workspace, "-p", "multiple_regression", "true")
    assert result.returncode == 0, result.stderr
    assert set(steps_of(workspace["latest"]).values()) == {"ran"}
    changes = json.loads((workspace["latest"] / "changes.json").read_text())
    desc = changes["tables"]["descriptive_statistics.csv"]
    moved = {(c["key"]["variable"], c["column"]): c for c in desc["changes"]}
    mean = moved[("employment_rate_increase_pct", "mean")]
    assert mean["old"] == pytest.approx(46.0) and mean["new"] == pytest.approx(46.2)
    assert mean["delta"] == pytest.approx(0.2)
    summary = (workspace["latest"] / "changes.txt").read_text()
    assert "descriptive_statistics.csv" in summary and "employment_rate_increase_pct" in summary


def test_force_reruns_everything_and_history_lists_the_runs(workspace, capsys):
    result = run_in(workspace, "-p", "multiple_regression", "true", "--force")
    assert result.returncode == 0, result.stderr
    assert set(steps_of(workspace["latest"]).values()) == {"ran"}
    assert "changes since the previous run: no change" in result.stderr
    from helpers.runner.cli import main

    assert main(["history", "--reports-dir", str(workspace["base"] / "reports")]) == 0
    out = capsys.readouterr().out.splitlines()
    # one line per run folder, newest first: this one, the raw-data edit's, the 03 parameter's ...
    assert len(out) == len(runs(workspace)) >= 4 and all("succeeded" in line for line in out)
    assert "no change" in out[0] and "ran: 01,02,03,04,05,06 " in out[1] and "ran: 03 " in out[2]


def test_a_codebook_edit_reruns_every_step_and_reaches_the_report(workspace):
    """The codebook alone changed: from an up-to-date workspace, every step runs again."""
    current = run_in(workspace, "-p", "multiple_regression", "true")  # "up to date" after the tests above
    assert current.returncode == 0, current.stderr
    again = run_in(workspace, "-p", "multiple_regression", "true")
    assert "up to date" in again.stderr  # nothing changed yet
    codebook = workspace["root"] / "data" / "raw" / "datapackage.json"
    codebook.write_text(
        codebook.read_text().replace(
            '"title": "Training-course participants"', '"title": "People in vocational courses"'
        )
    )
    result = run_in(workspace, "-p", "multiple_regression", "true")
    assert result.returncode == 0, result.stderr
    assert set(steps_of(workspace["latest"]).values()) == {"ran"}
    assert "People in vocational courses" in (workspace["latest"] / "report.html").read_text()
