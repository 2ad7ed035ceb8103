"""The step graph from declared reads and writes; parallel runs equal sequential ones; --only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import paths
from helpers.errors import NotebookError, ReportError
from helpers.runner.steps import Step, discover_steps, graph, select

from .conftest import run_cli


def _notebook(folder: Path, name: str, reads=None, writes=None) -> Step:
    meta = {}
    if reads is not None:
        meta["reads"] = reads
    if writes is not None:
        meta["writes"] = writes
    path = folder / f"{name}.ipynb"
    path.write_text(
        json.dumps(
            {
                "cells": [],
                "metadata": {"inclusion_report": meta},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return Step(int(name[:2]), path)


def test_the_project_graph_runs_02_to_05_side_by_side():
    nodes = {n.step.name: n for n in graph(discover_steps())}
    assert nodes["01_data_cleaning"].after == set()
    assert nodes["02_descriptive_statistics"].after == {"01_data_cleaning"}
    assert nodes["03_regression"].after == {"01_data_cleaning"}
    # the specification curve needs only the clean table: it never waits for 03, the longest step
    assert nodes["04_specification_curve"].after == {"01_data_cleaning"}
    assert nodes["05_calibration"].after == {"01_data_cleaning"}
    assert nodes["06_findings"].after == {"01_data_cleaning", "03_regression", "04_specification_curve",
                                          "05_calibration"}
    assert f"data/{paths.PROCESSED_TABLE_NAME}" in nodes["01_data_cleaning"].writes


def test_graph_follows_declarations(tmp_path):
    steps = [
        _notebook(tmp_path, "01_a", [], ["processed"]),
        _notebook(tmp_path, "02_b", ["processed"], ["tables/b.csv"]),
        _notebook(tmp_path, "03_c", [], ["tables/c.csv"]),
        _notebook(tmp_path, "04_d", ["tables/b.csv", "tables/c.csv"], []),
    ]
    after = {n.step.name: n.after for n in graph(steps)}
    assert after == {"01_a": set(), "02_b": {"01_a"}, "03_c": set(), "04_d": {"02_b", "03_c"}}


@pytest.mark.parametrize(
    ("declarations", "message"),
    [
        ([([], None)], "does not declare the files it writes"),
        ([(["tables/x.csv"], [])], "reads tables/x.csv, which no earlier notebook"),
        ([([], ["tables/x.csv"]), ([], ["tables/x.csv"])], "declared as written by both"),
        ([(["tables/y.csv"], []), ([], ["tables/y.csv"])], "no earlier notebook"),
    ],
)
def test_graph_refuses_unclear_declarations(tmp_path, declarations, message):
    steps = [
        _notebook(tmp_path, f"0{i + 1}_s", reads, writes)
        for i, (reads, writes) in enumerate(declarations)
    ]
    with pytest.raises(NotebookError, match=message):
        graph(steps)


def test_select_takes_a_step_and_what_it_reads_from():
    nodes = graph(discover_steps())
    chosen, wanted = select(nodes, ["3"])
    assert [n.step.name for n in chosen] == ["01_data_cleaning", "03_regression"]
    assert wanted == {"03_regression"}
    chosen, _ = select(nodes, ["4"])
    assert [n.step.name for n in chosen] == ["01_data_cleaning", "04_specification_curve"]
    chosen, _ = select(nodes, ["06_findings"])
    assert [n.step.name[:2] for n in chosen] == ["01", "03", "04", "05", "06"]
    with pytest.raises(ReportError, match="no such step"):
        select(nodes, ["09"])


def _scheduled(tmp_path, monkeypatch, previous: dict):
    """The project's graph on two workers, each step a stand-in that waits for the test's signal.

    The order is decided by events, not by how long anything takes. Returns the events,
    the started thread and the entries it will hold.
    """
    import threading
    from types import SimpleNamespace

    from helpers.runner import execute as executor

    nodes = graph(discover_steps())
    numbers = [n.step.name[:2] for n in nodes]
    started = {k: threading.Event() for k in numbers}
    release = {k: threading.Event() for k in numbers}
    finished: list[str] = []

    def stand_in(ctx, node, key, slot):
        number = node.step.name[:2]
        started[number].set()
        assert release[number].wait(60)
        finished.append(number)
        return {"step": node.step.name, "key": key, "status": "ran", "outputs": {}, "seconds": 0}

    monkeypatch.setattr(executor, "_run_one", stand_in)
    ctx = executor.Context(
        run_dir=tmp_path,
        parameters=lambda step: {},
        notebook_parameters=lambda step: {},
        code="code",
        environment="env",
        previous_dir=None,
        previous=previous,
        log=lambda line: None,
        kernels=SimpleNamespace(stop_all=lambda: None),
        workers=2,
    )
    entries: list[dict] = []
    thread = threading.Thread(target=lambda: entries.extend(executor.execute(ctx, nodes)))
    thread.start()
    return started, release, finished, thread, entries


def _busy(started, *numbers: str) -> bool:
    return all(started[k].wait(60) for k in numbers)


def test_the_steps_the_findings_wait_for_take_the_cores_first(tmp_path, monkeypatch):
    """Two workers, no earlier run: 03 and 04 start when 01 is done, 05 on the first core free, then 02.

    02 (the descriptive statistics) is read by no later step, so it waits for a free core
    instead of delaying the calibration, which the findings need.
    """
    started, release, finished, thread, entries = _scheduled(tmp_path, monkeypatch, {})
    try:
        assert _busy(started, "01")
        release["01"].set()
        assert _busy(started, "03", "04")
        assert not started["02"].is_set() and not started["05"].is_set()  # both workers busy
        release["04"].set()
        assert _busy(started, "05")
        assert not started["02"].is_set()
        release["05"].set()
        assert _busy(started, "02")  # the core 05 left; 06 still waits for 03
        assert not started["06"].is_set()
        release["03"].set()
        assert _busy(started, "06")  # beside 02
        assert "02" not in finished
    finally:
        for event in release.values():
            event.set()
        thread.join(60)
    assert [e["step"][:2] for e in entries] == ["01", "02", "03", "04", "05", "06"]


def test_the_previous_runs_times_order_steps_of_equal_rank(tmp_path, monkeypatch):
    """With the last run's times, the longer of 04 and 05 (here the calibration) starts beside 03."""
    previous = {"steps": [
        {"step": "03_regression", "status": "ran", "seconds": 20.0},
        {"step": "04_specification_curve", "status": "ran", "seconds": 5.0},
        {"step": "05_calibration", "status": "ran", "seconds": 12.0},
        {"step": "02_descriptive_statistics", "status": "ran", "seconds": 99.0},  # no step waits for it
    ]}
    started, release, finished, thread, entries = _scheduled(tmp_path, monkeypatch, previous)
    try:
        assert _busy(started, "01")
        release["01"].set()
        assert _busy(started, "03", "05")
        assert not started["04"].is_set() and not started["02"].is_set()
        release["05"].set()
        assert _busy(started, "04")
        assert not started["02"].is_set()
    finally:
        for event in release.values():
            event.set()
        thread.join(60)
    assert len(entries) == 6


def test_a_step_others_wait_for_goes_first_then_the_longest_last_time(tmp_path):
    """The priority of a ready step: how many steps wait for it (at any distance), then its last time."""
    from helpers.runner.execute import _priority

    steps = [
        _notebook(tmp_path, "01_a", [], ["processed"]),
        _notebook(tmp_path, "02_b", ["processed"], ["tables/b.csv"]),
        _notebook(tmp_path, "03_c", ["processed"], ["tables/c.csv"]),
        _notebook(tmp_path, "04_d", ["tables/c.csv"], ["tables/d.csv"]),
        _notebook(tmp_path, "05_e", ["tables/d.csv"], []),
    ]
    nodes = graph(steps)
    order = _priority(nodes, {"steps": [{"step": "02_b", "status": "ran", "seconds": 50.0},
                                        {"step": "04_d", "status": "reused", "seconds": 80.0}]})
    ranked = [n.step.name for n in sorted(nodes, key=order)]
    # 01 has four steps after it, 03 two (04 and 05, through 04), 04 one; 02 and 05 none
    assert ranked == ["01_a", "03_c", "04_d", "02_b", "05_e"]
    assert order(nodes[1]) < order(nodes[4])  # 02's recorded 50 s put it before 05, both waited for by none


# ----------------------------------------------------------------------------- end to end


def _tables(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))}


@pytest.mark.slow
def test_parallel_forked_run_equals_a_plain_sequential_run(built, tmp_path):
    """The fast path changes no number: every table is byte-for-byte the sequential run's."""
    assert built["result"].returncode == 0, built["result"].stderr
    fast = built["latest"].resolve()
    manifest = json.loads((fast / "manifest.json").read_text())
    assert manifest["execution"] == "parallel, forked kernels"
    log = (fast / "run.log").read_text().splitlines()

    def line(step: str, what: str) -> int:
        return next(i for i, text in enumerate(log) if f"step {step}: {what}" in text)

    # The first run has no earlier timings: of the steps 01 frees, those 06 waits for go
    # first in pipeline order (03, then 04, on the two cores); 02, which no step waits
    # for, takes the first core they leave, and never holds 03 back.
    steps = ("02_descriptive_statistics", "03_regression", "04_specification_curve", "05_calibration")
    started = {step: line(step, "running") for step in steps}
    assert sorted(started, key=started.get)[:2] == ["03_regression", "04_specification_curve"]
    first_done = min(line("03_regression", "done"), line("04_specification_curve", "done"))
    assert started["02_descriptive_statistics"] > first_done  # it waited for a free core
    assert started["05_calibration"] > first_done
    reports = tmp_path / "reports"
    result = run_cli(  # no step reads the languages, nor the formats: one document, no PDF
        "--sequential", "--no-pdf", "-p", "languages", '["en"]',
        "--reports-dir", str(reports), "--processed-dir", str(tmp_path / "p"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plain = (reports / "latest").resolve()
    assert json.loads((plain / "manifest.json").read_text())["execution"] == "sequential"
    assert _tables(plain) == _tables(fast) and len(_tables(fast)) >= 7
    clean = f"data/{paths.PROCESSED_TABLE_NAME}"
    assert (plain / clean).read_bytes() == (fast / clean).read_bytes()


@pytest.mark.slow
def test_only_runs_one_step_and_leaves_latest_alone(built, tmp_path):
    """--only 03 with another parameter: 01 reused, 03 run, 02 and 04 not touched, latest kept."""
    reports = tmp_path / "reports"
    shutil.copytree(built["reports"], reports, symlinks=True)
    target = os.readlink(reports / "latest")
    result = run_cli(
        "--only", "03", "-p", "outcomes", '["health_service_access_pct"]',
        "--reports-dir", str(reports), "--processed-dir", str(tmp_path / "p"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert os.readlink(reports / "latest") == target
    assert "reports/latest not changed" in result.stderr
    (partial,) = [p for p in (reports / "runs").iterdir() if p.name not in target]
    manifest = json.loads((partial / "manifest.json").read_text())
    status = {s["step"]: s["status"] for s in manifest["steps"]}
    assert status == {"01_data_cleaning": "reused", "03_regression": "ran"}
    regressions = (partial / "tables" / "simple_regressions.csv").read_text()
    assert "health_service_access_pct" in regressions
    assert "employment_rate_increase_pct" not in regressions
    assert (partial / "html" / "03_regression.html").is_file()
    assert not (partial / "report.pdf").exists() and not (tmp_path / "p").exists()
    listed = subprocess.run(
        [sys.executable, "-m", "helpers.runner.cli", "history", "--reports-dir", str(reports)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"{partial.name}  succeeded" in listed and "partial run (--only 03_regression)" in listed


@pytest.mark.slow
def test_the_path_other_systems_take_gives_the_same_tables(built, tmp_path):
    """Kernels started the ordinary way, side by side (what macOS gets): same bytes, no template."""
    assert built["result"].returncode == 0, built["result"].stderr
    reports = tmp_path / "reports"
    env = {**os.environ, "INCLUSION_REPORT_KERNELS": "plain"}
    result = run_cli(
        "--no-pdf", "-p", "languages", '["en"]',
        "--reports-dir", str(reports), "--processed-dir", str(tmp_path / "p"), env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plain = (reports / "latest").resolve()
    manifest = json.loads((plain / "manifest.json").read_text())
    assert manifest["execution"] == "parallel, plainly started kernels"
    assert _tables(plain) == _tables(built["latest"].resolve())
