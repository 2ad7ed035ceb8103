"""``inclusion-report grid``: reading and expanding grid files, the index, and whole grids on Dask."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import psutil
import pytest

from helpers import paths, plots
from helpers.codebook import load_codebook
from helpers.errors import ParameterError
from helpers.runner import grid as grid_module
from helpers.runner import grid_index
from helpers.runner.cli import main
from helpers.runner.grid import GRID_ID_VARIABLE, Grid, Variant, cli_text, load_grid, slug_of
from helpers.runner.lock import RunLock
from helpers.runner.params import coerce, collect_parameters
from helpers.runner.steps import discover_steps
from tests.conftest import as_if_in_the_foreground, copy_project, plant_cell, wait_until
from tests.test_stats import pearson

#: The project's codebook: a figure is always given the codebook that describes its values.
CODEBOOK = load_codebook()

DECLARED = collect_parameters(step.path for step in discover_steps())


def write(tmp_path: Path, text: str, name: str = "grid.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- grid files


def test_grid_is_the_cartesian_product_in_file_order_then_the_explicit_variants(tmp_path):
    path = write(
        tmp_path,
        """
name = "g"
[parameters]
languages = ["en"]
[grid]
outcomes = [["employment_rate_increase_pct"], ["health_service_access_pct"]]
input_scale = ["count", "per_10k_residents", "log"]
[[variant]]
name = "log events"
log_variables = ["community_event_participants"]
""",
    )
    grid = load_grid(path, DECLARED)
    expected = [
        {"outcomes": [o], "input_scale": s}
        for o in ("employment_rate_increase_pct", "health_service_access_pct")
        for s in ("count", "per_10k_residents", "log")
    ] + [{"log_variables": ["community_event_participants"]}]
    assert [v.values for v in grid.variants] == expected
    assert grid.keys == ["outcomes", "input_scale", "log_variables"]
    assert grid.shared == {"languages": ["en"]}
    assert grid.variants[0].slug == "outcomes-employment_rate_increase_pct__input_scale-count"
    assert grid.variants[-1].slug == "log-events"
    assert len({v.slug for v in grid.variants}) == 7


def test_slug_names_files_by_their_stem_and_stays_unique_when_cut():
    assert slug_of({"raw_data_path": "data/raw/north 2023.tsv"}) == "raw_data_path-north-2023"
    assert slug_of({"multiple_regression": True, "predictors": []}) == (
        "multiple_regression-true__predictors-default"
    )
    assert slug_of({}) == "base"
    names = ["training_participants", "new_businesses", "community_event_participants"]
    long_a = {"predictors": [*names, "psychological_support_people", "a"]}
    long_b = {"predictors": [*names, "psychological_support_people", "b"]}
    a, b = slug_of(long_a), slug_of(long_b)
    assert len(a) <= grid_module.SLUG_LENGTH and len(b) <= grid_module.SLUG_LENGTH
    assert a != b and re.fullmatch(r"[A-Za-z0-9._+-]+-[0-9a-f]{8}", a)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "g"\n[grid]\ninput_scale = "log"\n', "non-empty list"),
        ('name = "g"\n[grid]\ninput_scale = []\n', "non-empty list"),
        ('name = "g"\n[grid]\noutcomes = ["employment_rate_increase_pct"]\n', "list of lists"),
        ('name = "g"\n', "no variants"),
        ('name = "../up"\n[grid]\ninput_scale = ["log"]\n', "'name' must be a folder name"),
        ('name = "g"\nextra = 1\n[grid]\ninput_scale = ["log"]\n', "unknown key"),
        ('name = "g"\n[grid]\ninput_scale = ["log", "log"]\n', "set the same values"),
        ('name = "g"\n[grid\n', "not valid TOML"),
    ],
)
def test_a_wrong_grid_file_is_refused_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ParameterError) as caught:
        load_grid(path, DECLARED)
    assert message in str(caught.value)
    assert f"grid file {path}" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("multiple_regression", True),
        ("multiple_regression", False),
        ("permutation_seed", 7),
        ("input_scale", "per_10k_residents"),
        ("outcomes", ["employment_rate_increase_pct", "health_service_access_pct"]),
        ("outcomes", []),
        ("raw_data_path", "a folder/with, comma.tsv"),
    ],
)
def test_a_value_passed_as_command_line_text_reads_back_the_same(name, value):
    assert coerce(DECLARED[name], cli_text(value), "test") == value
    if isinstance(value, bool):
        assert cli_text(value) in ("true", "false")


def test_every_variant_is_checked_before_anything_runs(tmp_path, capsys):
    path = write(
        tmp_path,
        'name = "g"\n[grid]\noutcomes = [["employment_rate_increase_pct"], ["no_such_column"]]\n',
    )
    reports = tmp_path / "reports"
    assert main(["grid", str(path), "--reports-dir", str(reports)]) == 2
    err = capsys.readouterr().err
    assert f"grid file {path}, variant 'outcomes-no_such_column'" in err
    assert "no_such_column" in err and "choose from" in err
    assert not reports.exists()  # nothing made, no cluster started


def test_an_unknown_parameter_names_the_variant_and_the_grid(tmp_path, capsys):
    path = write(tmp_path, 'name = "g"\n[grid]\nno_such = [1, 2]\n')
    assert main(["grid", str(path), "--reports-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "variant 'no_such-1'" in err and "unknown parameter 'no_such' (grid)" in err


def test_workers_below_one_is_a_usage_error(tmp_path, capsys):
    path = write(tmp_path, 'name = "g"\n[grid]\ninput_scale = ["log"]\n')
    assert main(["grid", str(path), "--workers", "0", "--reports-dir", str(tmp_path / "r")]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_the_example_grid_expands_to_six_checked_variants():
    grid = load_grid(paths.PROJECT_ROOT / "config" / "grid.example.toml", DECLARED)
    assert len(grid.variants) == 6
    checked = grid_module.check_variants(grid, discover_steps())
    assert {tuple(v["outcomes"]) for v in checked.values()} == {
        ("employment_rate_increase_pct",),
        ("health_service_access_pct",),
    }
    assert {v["input_scale"] for v in checked.values()} == {"count", "per_10k_residents", "log"}


def test_local_cluster_is_sized_by_cores_memory_and_variants(monkeypatch):
    class Memory:
        total = 5 * 2**30  # room for two variants of 2 GB

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Memory)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7}, raising=False)
    assert grid_module.local_workers(1) == 1
    assert grid_module.local_workers(6) == 2  # memory decides
    Memory.total = 64 * 2**30
    assert grid_module.local_workers(6) == 6  # the variants decide
    assert grid_module.local_workers(20) == 8  # the cores decide
    Memory.total = 2**30
    assert grid_module.local_workers(6) == 1  # never fewer than one


def test_a_scheduler_address_that_is_not_one_is_a_usage_error(tmp_path, capsys):
    path = write(tmp_path, 'name = "g"\n[grid]\ninput_scale = ["log"]\n')
    code = main(["grid", str(path), "--scheduler", "nonsense://x", "--reports-dir", str(tmp_path / "r")])
    assert code == 2
    assert "--scheduler nonsense://x: the protocol nonsense:// is not one" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # checked before anything is made


def test_stopping_a_grid_stops_its_runs_and_their_detached_children_and_no_other_grids():
    grid_id, other = "grid-stop-test", "grid-other-test"
    # a run that leaves a child in a session of its own (as kernels are), and another grid's run
    detach = f"{sys.executable} -c 'import os, time; os.setsid(); time.sleep(600)'"
    run = subprocess.Popen(["bash", "-c", f"{detach} & wait"], start_new_session=True)
    bystander = subprocess.Popen(["sleep", "600"], start_new_session=True)
    grid_module._CHILDREN.update({grid_id: {run.pid: run}, other: {bystander.pid: bystander}})
    try:
        wait_until(lambda: len(psutil.Process(run.pid).children(recursive=True)) == 1, what="the detached child")
        (detached,) = psutil.Process(run.pid).children(recursive=True)
        assert grid_module.stop_variants(grid_id, grace=5) == 1
        assert run.poll() is not None
        wait_until(lambda: not detached.is_running() or detached.status() == psutil.STATUS_ZOMBIE, what="kill")
        assert bystander.poll() is None  # another grid on the same worker runs on
        # and a variant of the stopped grid that reaches a worker now starts nothing
        result = grid_module.run_variant(
            {"slug": "late", "root": str(paths.PROJECT_ROOT), "variant_dir": "/nonexistent/late",
             "parameters": [], "formats": ["html"], "keep": 1, "environment": {GRID_ID_VARIABLE: grid_id}}
        )  # fmt: skip
        assert result["status"] == "interrupted" and "before this variant started" in result["error"]
    finally:
        bystander.kill()
        bystander.wait()
        grid_module._CHILDREN.pop(grid_id, None)
        grid_module._CHILDREN.pop(other, None)
        grid_module._STOPPING.discard(grid_id)


def test_a_worker_without_the_project_folder_says_so(tmp_path):
    task = {
        "slug": "v",
        "root": str(tmp_path / "absent"),
        "variant_dir": str(tmp_path / "v"),
        "parameters": [],
        "formats": ["html"],
        "keep": 1,
    }
    result = grid_module.run_variant(task)
    assert result["status"] == "failed" and "is not on worker host" in result["error"]


# --------------------------------------------------------------------------- the index

FINDINGS_HEAD = "outcome,predictor,n,verdict,r,r_ci_low,r_ci_high,p_primary\n"


def fake_variant(grid_dir: Path, slug: str, lines: list[str], pdf: bool = True) -> None:
    latest = grid_dir / slug / "latest"
    (latest / "tables").mkdir(parents=True)
    (latest / "tables" / "findings.csv").write_text(FINDINGS_HEAD + "".join(lines))
    for name in ("report.html", "report.it.html") + (("report.it.pdf", "report.pdf") if pdf else ()):
        (latest / name).write_bytes(b"x")


def test_index_rows_copy_each_variants_findings_and_mark_the_failed(tmp_path):
    grid = Grid(
        tmp_path / "g.toml",
        "g",
        None,
        {},
        ["input_scale"],
        [Variant("a", {"input_scale": "count"}), Variant("b", {"input_scale": "log"}), Variant("c", {})],
    )
    fake_variant(
        tmp_path,
        "a",
        ["employment_rate_increase_pct,training_participants,10,inconclusive,-0.0930883945874,-0.68,0.57,0.81\n"],
    )
    fake_variant(
        tmp_path,
        "b",
        [
            "employment_rate_increase_pct,community_event_participants,9,tentative,0.78,0.3,0.95,0.006\n",
            "employment_rate_increase_pct,training_participants,10,inconclusive,0.1,-0.5,0.6,0.7\n",
        ],
        pdf=False,
    )
    fake_variant(tmp_path, "c", ["employment_rate_increase_pct,training_participants,10,x,1,1,1,1\n"])
    tasks = [{"slug": s} for s in ("a", "b", "c")]
    resolved = {"a": {"input_scale": "count"}, "b": {"input_scale": "log"}, "c": {"input_scale": "count"}}
    results = {
        "a": {"status": "succeeded", "seconds": 12.345, "error": "", "worker": "tcp://w1"},
        "b": {"status": "up to date", "seconds": 0.3, "error": "", "worker": "tcp://w2"},
        "c": {"status": "failed", "seconds": 1.0, "error": "invalid data: x.tsv line 3", "worker": "tcp://w1"},
    }
    rows = grid_index.rows(grid, tmp_path, tasks, resolved, results)
    assert [r["status"] for r in rows] == ["succeeded", "up to date", "failed"]
    assert rows[0]["seconds"] == "12.3" and rows[0]["input_scale"] == "count"
    assert rows[0]["report_pdf"] == "a/latest/report.pdf"
    names = ("report.pdf", "report.it.pdf", "report.html", "report.it.html")
    assert rows[0]["reports"] == [f"a/latest/{n}" for n in names]
    assert rows[1]["report_pdf"] == ""  # no PDF in that run
    assert rows[1]["reports"] == ["b/latest/report.html", "b/latest/report.it.html"]
    assert rows[2]["reports"] == []  # failed: no link to an older run's report
    assert rows[0]["employment_rate_increase_pct~training_participants:r"] == "-0.0930883945874"
    assert rows[1]["employment_rate_increase_pct~community_event_participants:n"] == "9"
    # a failed variant shows no numbers, even when an older run of it left some
    assert not any(k.endswith(":r") for k in rows[2]) and rows[2]["error"].startswith("invalid data")
    grid_index.write(grid, tmp_path, rows, pd.Timestamp("2026-12-05T10:00:00Z").to_pydatetime())
    with open(tmp_path / "index.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    header = list(table[0])
    assert header[:7] == ["variant", "status", "seconds", "report_pdf", "input_scale", "error", "worker"]
    assert header[7:] == [
        f"employment_rate_increase_pct~{p}:{m}"
        for p in ("training_participants", "community_event_participants")
        for m in ("verdict", "r", "r_ci_low", "r_ci_high", "n")
    ]
    assert table[0]["employment_rate_increase_pct~community_event_participants:r"] == ""
    page = (tmp_path / "index.html").read_text()
    assert '<html lang="en">' in page and "<script" not in page
    assert not re.search(r"""(src|href)=["']https?:""", page)  # offline
    assert '<a href="a/latest/report.pdf">PDF<span class="visually-hidden"> of variant 1</span></a>' in page
    assert '<a href="b/latest/report.it.html">HTML it<span class="visually-hidden"> of variant 2</span></a>' in page
    assert "c/latest/report" not in page
    assert 'scope="col"' in page and "<caption>" in page


def test_the_grid_figure_names_its_strongest_estimate_in_its_alt_text():
    long = pd.DataFrame(
        {
            "number": [1, 1, 2, 2],
            "variant": ["a", "a", "b", "b"],
            "outcome": ["employment_rate_increase_pct"] * 4,
            "predictor": ["training_participants", "new_businesses"] * 2,
            "verdict": ["inconclusive", "tentative", "inconclusive", "consistent"],
            "r": [0.1, -0.81, 0.2, 0.7],
            "r_ci_low": [-0.5, -0.95, -0.4, 0.1],
            "r_ci_high": [0.6, -0.3, 0.7, 0.9],
            "n": [10, 10, 10, 10],
        }
    )
    fig = plots.grid_estimates(long, codebook=CODEBOOK)
    text = plots.alt_text(fig)
    strongest = max(range(4), key=lambda i: abs(long.r[i]))  # by hand: -0.81, variant 1
    shown = f"{long.r[strongest]:.3f}".replace("-", "\u2212")  # three digits, a true minus
    assert f"r = {shown} (" in text and "variant 1)" in text
    assert "2 pairs" in text and "2 variants" in text
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2


# --------------------------------------------------------------------------- whole grids

slow = pytest.mark.slow


def grid_processes() -> list[psutil.Process]:
    """Every process that carries a grid's id: workers, variant runs, their kernels."""
    found = []
    for process in psutil.process_iter():
        try:
            if GRID_ID_VARIABLE in process.environ():
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def read_index(grid_dir: Path) -> dict[str, dict]:
    with open(grid_dir / "index.csv", newline="") as handle:
        return {row["variant"]: row for row in csv.DictReader(handle)}


@slow
def test_four_variants_on_two_local_workers_one_failing(grid_built):
    result, grid_dir = grid_built["result"], grid_built["grid_dir"]
    assert result.returncode == grid_module.EXIT_PARTIAL, result.stderr
    index = read_index(grid_dir)
    assert list(index) == ["input_scale-count", "input_scale-per_10k_residents", "input_scale-log", "broken"]
    assert {slug: row["status"] for slug, row in index.items()} == {
        "input_scale-count": "succeeded",
        "input_scale-per_10k_residents": "succeeded",
        "input_scale-log": "succeeded",
        "broken": "failed",
    }
    broken = index["broken"]
    assert "broken.tsv" in broken["error"] and "line 3" in broken["error"]
    assert "variant broken: failed (exit code 3)" in result.stderr
    for slug in ("input_scale-count", "input_scale-per_10k_residents", "input_scale-log"):
        manifest = json.loads((grid_dir / slug / "latest" / "manifest.json").read_text())
        assert manifest["status"] == "succeeded"
        assert manifest["parameters"]["input_scale"] == index[slug]["input_scale"]
        assert (grid_dir / slug / "latest" / "report.html").is_file()
        assert (grid_dir / slug / "processed" / paths.PROCESSED_TABLE_NAME).is_file()
        assert index[slug]["worker"].startswith("tcp://127.0.0.1:")
    assert not (grid_dir / "broken" / "latest").exists()
    # the index's numbers are the variant's own, and on counts Pearson's r by hand
    clean = pd.read_csv(grid_dir / "input_scale-count" / "processed" / paths.PROCESSED_TABLE_NAME)
    by_hand = pearson(
        list(clean.community_event_participants), list(clean.employment_rate_increase_pct)
    )
    pair = "employment_rate_increase_pct~community_event_participants"
    assert float(index["input_scale-count"][f"{pair}:r"]) == pytest.approx(by_hand, abs=1e-12)
    assert index["input_scale-count"][f"{pair}:n"] == "10"
    assert float(index["input_scale-log"][f"{pair}:r"]) != pytest.approx(by_hand, abs=1e-6)
    assert result.stderr.count("started on tcp://127.0.0.1:") == 4
    assert "Dask dashboard" not in result.stderr  # without bokeh its page would only say so
    page = (grid_dir / "index.html").read_text()
    assert "report.pdf" not in page  # --no-pdf: no PDF to link, but the HTML
    assert '<a href="input_scale-log/latest/report.html">HTML<span' in page
    assert 'alt="Correlation r with its 95% interval' in page


@slow
def test_variants_run_the_steps_they_have_in_common_once(grid_built):
    """01 and 02 read no input scale: one variant runs them, the others take its files."""
    grid_dir = grid_built["grid_dir"]
    variants = ("input_scale-count", "input_scale-per_10k_residents", "input_scale-log")
    steps = {}
    for slug in variants:
        manifest = json.loads((grid_dir / slug / "latest" / "manifest.json").read_text())
        steps[slug] = {s["step"][:2]: s for s in manifest["steps"]}
    for shared in ("01", "02"):
        made = [slug for slug in variants if steps[slug][shared]["status"] == "ran"]
        assert len(made) == 1, {slug: steps[slug][shared]["status"] for slug in variants}
        maker = f"{made[0]}/{os.readlink(grid_dir / made[0] / 'latest').split('/')[-1]}"
        for slug in set(variants) - set(made):
            entry = steps[slug][shared]
            assert entry["status"] == "reused" and entry["reused_from"] == maker
            assert entry["outputs"] == steps[made[0]][shared]["outputs"]  # the same files, by SHA-256
    for slug in variants:  # 03 to 06 read the scale: each variant runs its own
        assert {steps[slug][n]["status"] for n in ("03", "04", "05", "06")} == {"ran"}
    table = "tables/descriptive_statistics.csv"
    assert len({(grid_dir / slug / "latest" / table).read_bytes() for slug in variants}) == 1
    assert not (grid_dir / ".steps").exists()  # what the variants shared lives as long as the grid


@slow
def test_a_finished_grid_reruns_in_seconds_as_up_to_date(grid_built):
    grid_dir = grid_built["grid_dir"]
    before = {slug: os.readlink(grid_dir / slug / "latest") for slug in ("input_scale-count", "input_scale-log")}
    again = subprocess.run(grid_built["command"], capture_output=True, text=True, timeout=600)
    assert again.returncode == grid_module.EXIT_PARTIAL, again.stderr  # the broken one still fails
    index = read_index(grid_dir)
    assert [row["status"] for row in index.values()] == ["up to date"] * 3 + ["failed"]
    for slug, target in before.items():
        assert os.readlink(grid_dir / slug / "latest") == target
    wait_until(lambda: grid_processes() == [], timeout=30, what="no grid process left behind")


def start_dask(tmp_path: Path) -> tuple[list[subprocess.Popen], str]:
    """A real ``dask scheduler`` and ``dask worker`` as separate processes on 127.0.0.1."""
    dask = Path(sys.executable).with_name("dask")
    scheduler_file = tmp_path / "scheduler.json"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    scheduler = subprocess.Popen(
        [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        **common,
    )  # fmt: skip
    wait_until(scheduler_file.exists, timeout=60, what="the Dask scheduler")
    address = json.loads(scheduler_file.read_text())["address"]
    worker = subprocess.Popen(
        [str(dask), "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
         "--name", "grid-test-worker", "--host", "127.0.0.1"],
        cwd=tmp_path,
        **common,
    )  # fmt: skip
    return [worker, scheduler], address


@slow
def test_a_grid_runs_on_a_dask_cluster_given_by_its_scheduler(tmp_path):
    from distributed import Client

    processes, address = start_dask(tmp_path)
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
            workers = client.scheduler_info()["workers"]
            names = {info["name"]: addr for addr, info in workers.items()}
        worker_address = names["grid-test-worker"]
        path = write(
            tmp_path,
            'name = "remote"\n[parameters]\nlanguages = ["en"]\n[grid]\ninput_scale = ["count", "log"]\n',
        )
        result = subprocess.run(
            [sys.executable, "-m", "helpers.runner.cli", "grid", str(path), "--scheduler", address,
             "--reports-dir", str(tmp_path / "reports"), "--no-pdf"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"Dask scheduler {address}, 1 worker(s)" in result.stderr
        index = read_index(tmp_path / "reports" / "grid" / "remote")
        assert [row["status"] for row in index.values()] == ["succeeded", "succeeded"]
        assert {row["worker"] for row in index.values()} == {worker_address}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


@slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_grid_keeps_finished_variants_and_leaves_no_process(tmp_path, signum, code):
    root = copy_project(tmp_path / "project")
    marker = tmp_path / "log-variant-inside-03"
    # the log variant waits inside step 03, so the signal lands while it runs, not by luck
    plant_cell(
        root / "notebooks" / "03_regression.ipynb",
        f"import pathlib, time\nif input_scale == 'log':\n    pathlib.Path({str(marker)!r}).write_text('03')\n"
        "    time.sleep(600)",
        "wait-if-log",
    )
    path = write(
        tmp_path,
        'name = "stop"\n[parameters]\nlanguages = ["en"]\n[grid]\ninput_scale = ["count", "log"]\n',
    )
    reports = tmp_path / "reports"
    grid_dir = reports / "grid" / "stop"
    said = tmp_path / "grid.err"
    with open(said, "w") as stderr:
        driver = subprocess.Popen(
            [sys.executable, "-m", "helpers.runner.cli", "grid", str(path), "--workers", "2",
             "--reports-dir", str(reports), "--no-pdf"],
            stderr=stderr, text=True, start_new_session=True, preexec_fn=as_if_in_the_foreground,
            env={**os.environ, "INCLUSION_REPORT_ROOT": str(root)},
        )  # fmt: skip
    wait_until(marker.exists, timeout=600, what="the log variant to reach step 03")
    wait_until(
        lambda: "variant input_scale-count: succeeded" in said.read_text(),
        timeout=600,
        what="the grid to hear that the count variant finished",
    )
    finished = os.readlink(grid_dir / "input_scale-count" / "latest")
    # Ctrl-C at a terminal reaches the whole foreground process group; SIGTERM the grid alone
    if signum == signal.SIGINT:
        os.killpg(driver.pid, signum)
    else:
        driver.send_signal(signum)
    assert driver.wait(timeout=300) == code, said.read_text()
    rest = said.read_text()
    assert "grid: stopping" in rest
    assert os.readlink(grid_dir / "input_scale-count" / "latest") == finished
    manifest = json.loads((grid_dir / "input_scale-count" / "latest" / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert not (grid_dir / "input_scale-log" / "latest").exists()
    stopped = json.loads(next((grid_dir / "input_scale-log" / "runs").iterdir()).joinpath("manifest.json").read_text())
    assert stopped["status"] == "failed"
    index = read_index(grid_dir)
    assert index["input_scale-count"]["status"] == "succeeded"
    assert index["input_scale-log"]["status"] == "interrupted"
    wait_until(lambda: grid_processes() == [], timeout=30, what="no worker, run or kernel left behind")
    with RunLock(grid_dir, timeout=0):  # and the grid's lock is free
        pass


def test_a_failed_runs_message_becomes_one_line(tmp_path):
    log = tmp_path / "variant.log"
    log.write_text(
        "2026-12-05T10:00:00Z checking data\n"
        "error: Invalid data in x.tsv:\n  - line 3: found '8 fields', expected 7\n"
        "  - line 4: a count, got '1.5'\nnext\n"
    )
    assert grid_module._error_line(log) == (
        "Invalid data in x.tsv: line 3: found '8 fields', expected 7 line 4: a count, got '1.5'"
    )
    log.write_text("Traceback\nKeyError: 'x'\n")
    assert grid_module._error_line(log) == "KeyError: 'x'"


def test_a_pair_without_an_estimate_is_left_out_of_the_long_table():
    rows = [
        {"variant": "a", "o~p:verdict": "inconclusive", "o~p:r": "", "o~p:r_ci_low": "",
         "o~p:r_ci_high": "", "o~p:n": "2"},
        {"variant": "b", "o~p:verdict": "inconclusive", "o~p:r": "0.1", "o~p:r_ci_low": "-0.5",
         "o~p:r_ci_high": "0.6", "o~p:n": "10"},
    ]  # fmt: skip
    long = grid_index.estimates(rows)
    assert list(long.number) == [2] and list(long.r) == [0.1]
