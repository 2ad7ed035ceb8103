"""Hostile and unlucky inputs (issue 33): each gives one clear error with its exit code, or
stays inert, and leaves what earlier runs produced as it was.

Written as someone who wants the tool to hang, crash, run a program or write outside its
tree would try it: FIFOs, devices, pipes and huge files as inputs; symbolic links planted
where the tool writes; manifests and run records that lie; scheduler addresses that are
no scheduler; grid names that collide or never end. Each case is a row of
docs/input-rules.md, named here by its id.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import paths
from helpers.errors import InputError, LinkRefused
from helpers.runner import grid as grid_module
from helpers.runner import publish, records, verify
from helpers.runner.cli import main
from helpers.runner.lock import RunLock
from tests.conftest import copy_project, plant_cell, wait_until

OLD_RUN = "20260101T000000Z-0a0a0a"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PRECIOUS = b"a file outside the reports tree that nothing may touch\n"


def cli(*args: str, env: dict | None = None, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """The command as a user runs it; a hang fails the test (and the child is killed)."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        [sys.executable, "-m", "helpers.runner.cli", *args],
        capture_output=True, text=True, timeout=timeout, env=env, **kwargs,
    )  # fmt: skip


def tree(base: Path) -> dict:
    """Every file (by its bytes), link (by its target) and folder below ``base``; the lock file aside."""
    found = {}
    for folder, names, files in os.walk(base):
        for name in names + files:
            path = Path(folder, name)
            key = path.relative_to(base).as_posix()
            if name == ".lock":
                continue
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif path.is_file():
                found[key] = ("file", path.read_bytes())
            else:
                found[key] = ("folder",)
    return found


def one_clear_line(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """The exit code, no traceback, and a last line ``error: ...`` holding every fragment."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in last, (fragment, last)
    return last


@pytest.fixture
def earlier(tmp_path) -> Path:
    """A reports folder with its latest run and a clean table, as an earlier run left them."""
    base = tmp_path / "earlier"
    run = base / "reports" / "runs" / OLD_RUN
    (run / "tables").mkdir(parents=True)
    manifest = {"run_id": OLD_RUN, "status": "succeeded", "steps": [], "outputs": {}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "report.pdf").write_bytes(b"%PDF earlier")
    (base / "reports" / "latest").symlink_to(f"runs/{OLD_RUN}")
    (base / "processed").mkdir()
    (base / "processed" / paths.PROCESSED_TABLE_NAME).write_text("earlier clean table\n")
    return base


def run_in(earlier: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return cli(
        "run", "--reports-dir", str(earlier / "reports"), "--processed-dir", str(earlier / "processed"),
        *args, **kwargs,
    )  # fmt: skip


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "named-pipe.tsv"
    os.mkfifo(path)
    return path


@pytest.fixture
def precious(tmp_path) -> Path:
    path = tmp_path / "outside" / "precious.txt"
    path.parent.mkdir()
    path.write_bytes(PRECIOUS)
    return path


# --------------------------------------------------------------------------- S: special files as inputs


# rule S01, rule S02, rule S03, rule S04
@pytest.mark.parametrize(
    ("rule", "option", "code", "label"),
    [
        ("S01", ["-p", "raw_data_path"], 3, "parameter 'raw_data_path'"),
        ("S02", ["-p", "claims_path"], 3, "parameter 'claims_path'"),
        ("S03", ["-p", "population_path"], 3, "parameter 'population_path'"),
        ("S04", ["--config"], 2, "config file"),
    ],
)
def test_a_fifo_as_an_input_is_refused_at_once(rule, option, code, label, earlier, fifo):
    before = tree(earlier)
    result = run_in(earlier, *option, str(fifo))
    one_clear_line(result, code, label, str(fifo), "FIFO (named pipe), not a regular file")
    assert tree(earlier) == before


# rule S05
@pytest.mark.parametrize(("rule", "option", "code"), [("S05", ["-p", "raw_data_path"], 3), ("S05", ["--config"], 2)])
def test_dev_zero_is_refused_before_a_byte_is_read(rule, option, code, earlier):
    before = tree(earlier)
    one_clear_line(run_in(earlier, *option, "/dev/zero"), code, "/dev/zero", "character device")
    assert tree(earlier) == before


def test_stdin_and_process_substitution_are_refused_as_pipes(earlier):  # rule S06
    before = tree(earlier)
    piped = run_in(earlier, "-p", "raw_data_path", "/dev/stdin", stdin=None, input="Comune\tx\n")
    one_clear_line(piped, 3, "/dev/stdin", "FIFO", "/dev/stdin, pipes and <(...) are refused")
    substituted = subprocess.run(
        ["bash", "-c", 'exec "$0" -m helpers.runner.cli run --reports-dir "$1" --config <(echo "[parameters]")',
         sys.executable, str(earlier / "reports")],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    one_clear_line(substituted, 2, "config file", "/dev/fd/", "FIFO")
    assert tree(earlier) == before


def test_a_huge_sparse_table_is_refused_by_its_size_without_reading_it(earlier, tmp_path):  # rule S07
    huge = tmp_path / "huge.tsv"
    with open(huge, "wb") as handle:
        handle.truncate(10 * 1024**3)  # 10 GB of nothing, made in an instant
    before = tree(earlier)
    last = one_clear_line(run_in(earlier, "-p", "raw_data_path", str(huge)), 3, str(huge), "10240.0 MB")
    assert "more than the 256 MB a data table may be" in last and "--max-input-mb 10241" in last
    assert tree(earlier) == before


def test_the_size_limit_can_be_raised_and_names_its_option(earlier, tmp_path):  # rule S08
    config = tmp_path / "big.toml"
    config.write_text('[parameters]\ncolour = "red"\n' + "# padding\n" * 200_000)  # 2 MB of comments
    before = tree(earlier)
    refused = run_in(earlier, "--config", str(config))
    one_clear_line(refused, 2, "config file", "more than the 1 MB a config file may be", "--max-input-mb 3")
    raised = run_in(earlier, "--config", str(config), "--max-input-mb", "3")
    one_clear_line(raised, 2, "unknown parameter 'colour' (config file)")  # read, parsed, checked
    # the environment variable sets it too (kernels and grid variants inherit it): 50 kB
    # holds the codebook and the config, not a table of 2,000 municipalities
    from helpers import synthetic

    table = synthetic.write(tmp_path / "2000.tsv", n=2000)
    small = run_in(earlier, "-p", "raw_data_path", str(table), env={**os.environ, paths.MAX_INPUT_VARIABLE: "0.05"})
    one_clear_line(small, 3, "parameter 'raw_data_path'", "more than the 0.05 MB a data table may be")
    one_clear_line(run_in(earlier, "--max-input-mb", "0"), 2, "--max-input-mb must be above 0")
    assert tree(earlier) == before


def test_synth_refuses_a_hundred_million_rows_and_a_negative_seed(tmp_path):  # rule S09
    out = tmp_path / "x.tsv"
    for args, fragment in (
        (["--municipalities", "100000000"], "between 3 and 1,000,000"),
        (["--seed", "-1"], "--seed must be 0 or more"),
    ):
        result = cli("synth", *args, "--out", str(out))
        assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_fifo_as_grid_file_scheduler_file_or_codebook(tmp_path, fifo):  # rule S10
    reports = tmp_path / "reports"
    one_clear_line(cli("grid", str(fifo), "--reports-dir", str(reports)), 2, "grid file", "FIFO")
    grid = tmp_path / "g.toml"
    grid.write_text('name = "g"\n[grid]\ninput_scale = ["log"]\n')
    scheduler = tmp_path / "scheduler.json"
    os.mkfifo(scheduler)
    one_clear_line(
        cli("grid", str(grid), "--scheduler", str(scheduler), "--reports-dir", str(reports)),
        2, "--scheduler", "FIFO",
    )  # fmt: skip
    assert not reports.exists()
    root = copy_project(tmp_path / "project")
    (root / "data" / "raw" / "datapackage.json").unlink()
    os.mkfifo(root / "data" / "raw" / "datapackage.json")
    result = cli("run", env={**os.environ, "INCLUSION_REPORT_ROOT": str(root)})
    one_clear_line(result, 3, "the codebook", "FIFO")
    assert not (root / "reports").exists()


def test_readers_of_the_library_refuse_special_files_too(fifo):
    """A notebook opened by hand reads through the same checks (no hang in JupyterLab)."""
    from helpers.cleaning import read_raw_table
    from helpers.codebook import load_population

    for read in (read_raw_table, load_population):
        with pytest.raises(InputError, match="FIFO"):
            read(fifo)
    with pytest.raises(InputError, match="character device"):
        paths.read_input("/dev/zero", "data table")


# --------------------------------------------------------------------------- L: links where the tool writes


def test_a_link_planted_as_the_lock_is_refused_and_its_target_untouched(earlier, precious):  # rule L01
    lock = earlier / "reports" / ".lock"
    lock.symlink_to(precious)
    before = tree(earlier)
    one_clear_line(run_in(earlier), 2, str(lock), "symbolic link")
    assert precious.read_bytes() == PRECIOUS and tree(earlier) == before and lock.is_symlink()


@pytest.mark.slow
def test_an_up_to_date_run_does_not_truncate_through_a_planted_lock(built, tmp_path, precious):  # rule L01
    assert built["result"].returncode == 0, built["result"].stderr
    reports = tmp_path / "reports"
    import shutil

    shutil.copytree(built["reports"], reports, symlinks=True)
    (reports / ".lock").unlink(missing_ok=True)
    (reports / ".lock").symlink_to(precious)
    result = cli("run", "--reports-dir", str(reports), "--processed-dir", str(built["processed"]))
    one_clear_line(result, 2, "symbolic link")
    assert precious.read_bytes() == PRECIOUS


def test_the_write_probe_never_writes_through_a_link(tmp_path, precious):  # rule L02
    reports = tmp_path / "reports"
    reports.mkdir()
    planted = reports / f".write-test-{os.getpid()}"  # the name the probe once had
    planted.symlink_to(precious)
    publish.check_writable(reports)
    assert precious.read_bytes() == PRECIOUS and planted.is_symlink()
    assert sorted(p.name for p in reports.iterdir()) == [planted.name]  # the probe is gone


def test_a_variant_log_that_is_a_link_fails_that_variant_only(tmp_path, precious):  # rule L03
    variant = tmp_path / "grid" / "v"
    variant.mkdir(parents=True)
    (variant / "variant.log").symlink_to(precious)
    task = {"slug": "v", "root": str(paths.PROJECT_ROOT), "variant_dir": str(variant),
            "parameters": [], "formats": ["html"], "keep": 1}  # fmt: skip
    result = grid_module.run_variant(task)
    assert result["status"] == "failed" and "variant.log is a symbolic link" in result["error"]
    assert precious.read_bytes() == PRECIOUS and not (variant / "runs").exists()
    # a variant folder that is itself a link is refused the same way
    (tmp_path / "grid" / "w").symlink_to(precious.parent, target_is_directory=True)
    result = grid_module.run_variant(task | {"slug": "w", "variant_dir": str(tmp_path / "grid" / "w")})
    assert result["status"] == "failed" and "symbolic link" in result["error"]
    assert sorted(p.name for p in precious.parent.iterdir()) == ["precious.txt"]


@pytest.mark.parametrize("own", ["index.csv", "index.html"])
def test_a_link_as_the_grids_index_is_refused_before_any_variant_runs(own, tmp_path, precious, capsys):  # rule L04
    grid = tmp_path / "g.toml"
    grid.write_text('name = "g"\n[grid]\ninput_scale = ["log"]\n')
    folder = tmp_path / "reports" / "grid" / "g"
    folder.mkdir(parents=True)
    (folder / own).symlink_to(precious)
    assert main(["grid", str(grid), "--reports-dir", str(tmp_path / "reports")]) == 2
    err = capsys.readouterr().err
    assert f"{folder / own} is a symbolic link" in err and "started" not in err
    assert precious.read_bytes() == PRECIOUS
    assert sorted(p.name for p in folder.iterdir()) == [".lock", own]  # no variant folder


def test_atomic_writes_refuse_a_link_and_leave_nothing_behind(tmp_path, precious):  # rule L05
    target = tmp_path / "manifest.json"
    target.symlink_to(precious)
    with pytest.raises(LinkRefused, match="manifest.json is a symbolic link"):
        paths.write_atomic(target, "{}")
    assert precious.read_bytes() == PRECIOUS and sorted(p.name for p in tmp_path.iterdir()) == [
        "manifest.json", "outside"]  # fmt: skip
    with pytest.raises(LinkRefused):
        paths.open_for_writing(target, "a")
    assert precious.read_bytes() == PRECIOUS


def test_abandoned_marking_and_pruning_never_act_outside_the_tree(tmp_path, precious):  # rule L06
    outside = precious.parent / "20200101T000000Z-aaaaaa"
    outside.mkdir()
    running = {"run_id": outside.name, "status": "running", "process": {"pid": 1, "host": None}}
    (outside / "manifest.json").write_text(json.dumps(running))
    before = (outside / "manifest.json").read_bytes()
    runs = tmp_path / "reports" / "runs"
    runs.mkdir(parents=True)
    (runs / outside.name).symlink_to(outside, target_is_directory=True)
    said = []
    assert records.mark_abandoned(runs, noticed_by="a test", warn=said.append) == []
    assert (outside / "manifest.json").read_bytes() == before
    assert said == [f"{runs / outside.name} is a symbolic link, not a run folder; left alone"]
    current = runs / "20261205T100000Z-bbbbbb"
    current.mkdir()
    publish.prune(runs, keep=1, current=current)  # the link is older and over the limit
    assert (runs / outside.name).is_symlink() and (outside / "manifest.json").read_bytes() == before


def test_a_runs_folder_that_is_a_link_is_refused(tmp_path, precious):  # rule L07
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "runs").symlink_to(precious.parent, target_is_directory=True)
    with pytest.raises(LinkRefused, match="runs is a symbolic link"):
        publish.open_run_dir(reports / "runs", "20261205T100000Z-cccccc", reports_dir=reports)
    assert sorted(p.name for p in precious.parent.iterdir()) == ["precious.txt"]


def test_a_reports_folder_the_user_chose_as_a_link_keeps_working(tmp_path):  # rule L08
    real = tmp_path / "disk" / "reports"
    real.mkdir(parents=True)
    chosen = tmp_path / "reports"
    chosen.symlink_to(real, target_is_directory=True)
    publish.check_writable(chosen)
    with RunLock(chosen, timeout=0):
        run_dir = publish.open_run_dir(chosen / "runs", "20261205T100000Z-dddddd", reports_dir=chosen)
        records.write_json(run_dir / "manifest.json", {"run_id": run_dir.name, "status": "running"})
    assert (real / "runs" / run_dir.name / "manifest.json").is_file()


def test_a_latest_that_is_a_file_is_named_as_a_file(earlier):  # rule L09
    latest = earlier / "reports" / "latest"
    latest.unlink()
    latest.write_text("not a link")
    before = tree(earlier)
    one_clear_line(run_in(earlier), 2, f"{latest} is a regular file, not the link this tool maintains")
    assert tree(earlier) == before


# --------------------------------------------------------------------------- V: verify trusts nothing it reads


def recorded_run(reports: Path, **changes) -> Path:
    """A run folder whose manifest says it succeeded from a clean commit, edited by ``changes``."""
    run = reports / "runs" / OLD_RUN
    (run / "tables").mkdir(parents=True)
    (run / "tables" / "a.csv").write_text("k,v\nx,1\n")
    manifest = {
        "run_id": OLD_RUN,
        "status": "succeeded",
        "started": "2026-01-01T00:00:00.000001+00:00",
        "parameters": {"input_scale": "count"},
        "provenance": {
            "git": {"commit": COMMIT, "dirty": False},
            "inputs": {},
            "python": "3.11.9",
            "lock_sha256": "1" * 64,
        },
        "outputs": {"tables/a.csv": records.sha256(run / "tables" / "a.csv")},
    }
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        place = manifest
        for key in parents:
            place = place[key]
        place[last] = value
    (run / "manifest.json").write_text(json.dumps(manifest))
    (reports / "latest").symlink_to(f"runs/{OLD_RUN}")
    return run


def test_a_python_version_that_is_a_program_is_never_run(tmp_path, capsys):  # rule V01
    marker = tmp_path / "ran"
    script = tmp_path / "python3.11"
    script.write_text(f"#!/bin/sh\ntouch {marker}\necho 3.11.9\n")
    script.chmod(0o755)
    recorded_run(tmp_path / "reports", provenance__python=str(script))
    assert main(["verify", "--reports-dir", str(tmp_path / "reports")]) == verify.EXIT_UNVERIFIABLE
    err = capsys.readouterr().err
    assert "provenance.python: expected a Python version such as 3.11.9" in err
    assert not marker.exists()


@pytest.mark.parametrize("commit", ["--output=/tmp/x", "HEAD", "abc", "../../etc", COMMIT + "\n"])
def test_a_commit_git_could_read_as_an_option_or_a_path_is_refused(commit, tmp_path, capsys):  # rule V02
    recorded_run(tmp_path / "reports", provenance__git={"commit": commit, "dirty": False})
    assert main(["verify", "--reports-dir", str(tmp_path / "reports")]) == verify.EXIT_UNVERIFIABLE
    assert "provenance.git.commit: expected a full hexadecimal commit id" in capsys.readouterr().err


def test_an_input_recorded_outside_the_project_is_never_copied_there(tmp_path, capsys):  # rule V03
    escape = {"raw data": {"path": "../../../../../../../../tmp/verify-escape.tsv", "sha256": "2" * 64}}
    recorded_run(tmp_path / "reports", provenance__inputs=escape)
    assert main(["verify", "--reports-dir", str(tmp_path / "reports")]) == verify.EXIT_UNVERIFIABLE
    assert "expected a file's path without '..'" in capsys.readouterr().err
    # and a link in the checked-out tree that leads out of the scratch folder is refused too
    code, user = tmp_path / "scratch" / "code", tmp_path / "user"
    (code / "data").mkdir(parents=True)
    (code / "data" / "synthetic").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    table = user / "data" / "synthetic" / "t.tsv"
    table.parent.mkdir(parents=True)
    table.write_text("rows\n")
    manifest = {"provenance": {"inputs": {"raw data": {"path": "data/synthetic/t.tsv"}}}}
    with pytest.raises(verify.CannotVerify, match="outside the scratch checkout"):
        verify.place_inputs(manifest, {"raw data": table}, code)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("{not json", "not valid JSON"), ("[]", "expected a JSON object, found []"),
     ("null", "found null"), ('{"run_id": 7, "status": "succeeded"}', "run_id: expected a run id")],
)  # fmt: skip
def test_a_manifest_that_is_no_manifest_is_one_clear_line(content, fragment, tmp_path):  # rule V04
    run = recorded_run(tmp_path / "reports")
    (run / "manifest.json").write_text(content)
    result = cli("verify", "--reports-dir", str(tmp_path / "reports"))
    one_clear_line(result, verify.EXIT_UNVERIFIABLE, "manifest.json", fragment)


def test_a_manifest_that_is_a_fifo_does_not_hang_verify(tmp_path):  # rule V04
    run = recorded_run(tmp_path / "reports")
    (run / "manifest.json").unlink()
    os.mkfifo(run / "manifest.json")
    result = cli("verify", "--reports-dir", str(tmp_path / "reports"), timeout=60)
    one_clear_line(result, verify.EXIT_UNVERIFIABLE, "a FIFO (named pipe), not a regular file")


def test_a_table_deleted_from_the_run_folder_is_a_difference(tmp_path):  # rule V05
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        (folder / "tables").mkdir(parents=True)
        (folder / "tables" / "a.csv").write_text("k,v\nx,1\n")
        (folder / "tables" / "b.csv").write_text("k,v\ny,2\n")
    outputs = {f"tables/{n}": records.sha256(old / "tables" / n) for n in ("a.csv", "b.csv")}
    (old / "tables" / "b.csv").unlink()
    matches, differences = verify.compare(old, {"run_id": "R1", "outputs": outputs}, new, {"run_id": "R2"})
    assert matches == ["1 of 2 tables byte-identical"]
    assert differences == [
        "tables/b.csv: missing from the run folder (the re-execution matches the manifest's hash)"
    ]
    os.mkfifo(old / "tables" / "b.csv")  # nor does a FIFO in its place count, or hang the hash
    _, differences = verify.compare(old, {"run_id": "R1", "outputs": outputs}, new, {"run_id": "R2"})
    assert differences[0].startswith("tables/b.csv: missing from the run folder")


HOLD_ENVIRONMENT = """
import sys, time
from pathlib import Path
from helpers.runner import verify
with verify.RunLock(verify._lock_folder(Path(sys.argv[1]))):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_waiting_verify_says_what_it_waits_for(tmp_path, monkeypatch):  # rule V06
    folder = tmp_path / "verify" / "0123456789abcdef"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_ENVIRONMENT, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(verify, "ENVIRONMENT_WAIT", 0.5)
        said = []
        with pytest.raises(verify.CannotVerify, match="another verify used the same environment"):
            with verify._environment_lock(folder, said.append):
                pass
        assert len(said) == 1
        assert "verify: waiting for another verify using the environment" in said[0]
        assert f"pid {holder.pid}" in said[0]
    finally:
        holder.kill()
        holder.wait()


def test_the_schema_checker_agrees_with_jsonschema(tmp_path):
    """records.schema_problem is a few lines of our own; the reference implementation agrees."""
    import jsonschema

    base = json.loads((recorded_run(tmp_path / "r") / "manifest.json").read_text())
    hostile = [
        base, [], None, "x", {}, base | {"status": "done"}, base | {"run_id": "x"},
        base | {"seconds": "1"}, base | {"seconds": True}, base | {"outputs": {"../x": "0" * 64}},
        base | {"outputs": {"/etc/passwd": "0" * 64}}, base | {"outputs": {"a": "short"}},
        base | {"steps": [{"step": "01", "status": "ran", "outputs": {"x/../../y": "0" * 64}}]},
        base | {"process": {"pid": "1"}}, base | {"process": None}, base | {"only": [1]},
        base | {"export": {"formats": ["pdf", "docx"]}},
        base | {"provenance": base["provenance"] | {"python": "-c"}},
        base | {"provenance": base["provenance"] | {"git": {"commit": None, "dirty": None}}},
        base | {"parameters": {"-p": "x"}}, base | {"parameters": {"a": "x\u0000y"}},
        base | {"parameters": {"a": ["ok", "no\u0000"]}}, base | {"parameters": {"a": {"b": 1}}},
        base | {"started": "yesterday"},
    ]  # fmt: skip
    for schema in (records.MANIFEST_SCHEMA, records.VERIFY_SCHEMA):
        reference = jsonschema.Draft202012Validator(schema)
        for document in hostile:
            ours = records.schema_problem(document, schema)
            assert (ours is None) == reference.is_valid(document), (document, ours)


# --------------------------------------------------------------------------- R: bad records


def write_run(runs: Path, run_id: str, manifest: str | None = None, changes: str | None = None) -> Path:
    folder = runs / run_id
    folder.mkdir(parents=True)
    if manifest is not None:
        (folder / "manifest.json").write_text(manifest)
    if changes is not None:
        (folder / "changes.txt").write_text(changes)
    return folder


def test_history_lists_every_run_and_marks_the_unreadable(tmp_path):  # rule R01
    runs = tmp_path / "reports" / "runs"
    good = json.dumps({"run_id": "20261205T090000Z-aaaaaa", "status": "succeeded", "seconds": 3.5,
                       "steps": [{"step": "01_data_cleaning", "status": "ran"}]})  # fmt: skip
    write_run(runs, "20261205T090000Z-aaaaaa", good, changes="no change\n")
    write_run(runs, "20261205T100000Z-bbbbbb", "[]")
    write_run(runs, "20261205T110000Z-cccccc", "null")
    wrong = {"run_id": "20261205T120000Z-dddddd", "status": "failed", "seconds": "x"}
    write_run(runs, "20261205T120000Z-dddddd", json.dumps(wrong))
    write_run(runs, "20261205T130000Z-eeeeee", good.replace("090000Z-aaaaaa", "130000Z-eeeeee"), changes="")
    os.mkfifo(write_run(runs, "20261205T140000Z-ffffff") / "manifest.json")
    fifo_changes = write_run(runs, "20261205T150000Z-151515", good.replace("090000Z-aaaaaa", "150000Z-151515"))
    os.mkfifo(fifo_changes / "changes.txt")
    elsewhere = write_run(tmp_path / "elsewhere", "x", good)
    (runs / "20261205T160000Z-161616").symlink_to(elsewhere, target_is_directory=True)
    result = cli("history", "--reports-dir", str(tmp_path / "reports"), timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert len(lines) == 8
    assert lines["20261205T090000Z-aaaaaa"].split()[1:2] == ["succeeded"]
    assert lines["20261205T090000Z-aaaaaa"].endswith("no change")
    for run_id, reason in [
        ("20261205T100000Z-bbbbbb", "expected a JSON object, found []"),
        ("20261205T110000Z-cccccc", "expected a JSON object, found null"),
        ("20261205T120000Z-dddddd", 'seconds: expected number or null, found "x"'),
        ("20261205T140000Z-ffffff", "a FIFO (named pipe), not a regular file"),
        ("20261205T160000Z-161616", "a symbolic link, not a run folder"),
    ]:
        assert lines[run_id].split()[1] == "unreadable" and reason in lines[run_id], lines[run_id]
    assert lines["20261205T130000Z-eeeeee"].split()[1] == "succeeded"  # an empty changes.txt
    assert lines["20261205T150000Z-151515"].split()[1] == "succeeded"  # a FIFO as changes.txt


def test_the_next_run_ignores_a_bad_record_and_names_it(tmp_path):  # rule R02
    from helpers.runner.run import _latest_manifest

    reports = tmp_path / "reports"
    runs = reports / "runs"
    null = write_run(runs, "20261205T100000Z-bbbbbb", "null")
    running = write_run(runs, "20261205T110000Z-cccccc", json.dumps(
        {"run_id": "20261205T110000Z-cccccc", "status": "running", "process": {"pid": 1, "host": None}}))  # fmt: skip
    said = []
    assert records.mark_abandoned(runs, noticed_by="the next run", warn=said.append) == ["20261205T110000Z-cccccc"]
    assert said == [f"ignored {null / 'manifest.json'}: expected a JSON object, found null"]
    assert json.loads((running / "manifest.json").read_text())["status"] == "abandoned"
    (reports / "latest").symlink_to("runs/20261205T100000Z-bbbbbb")
    said.clear()
    assert _latest_manifest(reports, warn=said.append) == (None, {})  # every step runs again
    assert said == [f"ignored the latest run's manifest, {null / 'manifest.json'}: expected a JSON object, "
                    "found null; every step runs"]  # fmt: skip


@pytest.mark.slow
def test_a_scheduled_run_goes_on_past_a_null_manifest(tmp_path):  # rule R02
    reports = tmp_path / "reports"
    write_run(reports / "runs", "20200101T000000Z-bbbbbb", "null")
    result = cli(
        "run", "--only", "01", "--no-pdf", "--reports-dir", str(reports),
        "--processed-dir", str(tmp_path / "p"), timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ignored" in result.stderr and "20200101T000000Z-bbbbbb/manifest.json" in result.stderr


# --------------------------------------------------------------------------- E: errors, not tracebacks


@contextlib.contextmanager
def listener(reply: bytes | None):
    """A TCP server on 127.0.0.1 that is no Dask scheduler: silent, or saying ``reply``."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop, open_ = threading.Event(), []

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            open_.append(connection)
            if reply:
                connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in open_:
            connection.close()
        server.close()


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [(None, "said nothing within 1 s"), (b"HTTP/1.0 400 Bad request\r\n\r\n", "is not a Dask scheduler"),
     (b"\xff" * 16, "is not a Dask scheduler")],
)  # fmt: skip
def test_an_address_that_is_no_dask_scheduler_is_a_usage_error(reply, fragment, tmp_path, capsys, monkeypatch):
    """rule E01: it used to hang, or ask for 2.82 EiB."""
    monkeypatch.setattr(grid_module, "PROBE_SECONDS", 1.0)
    grid = tmp_path / "g.toml"
    grid.write_text('name = "g"\n[grid]\ninput_scale = ["log"]\n')
    reports = tmp_path / "reports"
    with listener(reply) as address:
        assert main(["grid", str(grid), "--scheduler", address, "--reports-dir", str(reports)]) == 2
        err = capsys.readouterr().err
        assert f"error: --scheduler {address}: what" in err and fragment in err
        scheduler_file = tmp_path / "scheduler.json"
        scheduler_file.write_text(json.dumps({"address": address}))
        assert main(["grid", str(grid), "--scheduler", str(scheduler_file), "--reports-dir", str(reports)]) == 2
        assert fragment in capsys.readouterr().err
    assert not reports.exists()  # nothing made before the address was known good


@pytest.mark.parametrize(
    ("given", "fragment"),
    [("ucx://127.0.0.1:8786", "the protocol ucx:// is not one this tool speaks"),
     ("inproc://x", "the protocol inproc://"), ("tcp://host name:1", "not an address of the form HOST:PORT"),
     ("{tmp}/bad.json", "the scheduler file is not JSON"), ("{tmp}/list.json", "names no 'address'"),
     ("{tmp}/missing.json", "no such scheduler file"), ("tcp://127.0.0.1:1", "Connection refused")],
)  # fmt: skip
def test_a_scheduler_that_cannot_be_is_refused_before_anything(given, fragment, tmp_path):  # rule E01
    (tmp_path / "bad.json").write_text('{"address": ')
    (tmp_path / "list.json").write_text('["tcp://127.0.0.1:1"]')
    grid = tmp_path / "g.toml"
    grid.write_text('name = "g"\n[grid]\ninput_scale = ["log"]\n')
    reports = tmp_path / "reports"
    result = cli("grid", str(grid), "--scheduler", given.format(tmp=tmp_path), "--reports-dir", str(reports))
    one_clear_line(result, 2, "--scheduler", fragment)
    assert not reports.exists()


def test_a_nul_byte_from_a_toml_file_names_its_parameter(tmp_path, earlier):  # rule E02
    config = tmp_path / "nul.toml"
    config.write_text('[parameters]\nraw_data_path = "data/raw/a\\u0000b.tsv"\n')
    one_clear_line(run_in(earlier, "--config", str(config)), 2, "parameter 'raw_data_path' (config file)", "NUL")
    grid = tmp_path / "g.toml"
    grid.write_text('name = "g"\nconfig = "config/\\u0000.toml"\n[grid]\ninput_scale = ["log"]\n')
    one_clear_line(cli("grid", str(grid), "--reports-dir", str(tmp_path / "r")), 2, "'config'", "NUL")
    grid.write_text('name = "g"\n[[variant]]\nname = "v"\nclaims_path = "x\\u0000y"\n')
    one_clear_line(cli("grid", str(grid), "--reports-dir", str(tmp_path / "r")), 2, "variant 'v'", "NUL")
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- G: grid names


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("index.html", "'index.html' is taken by the grid's own files"),
     ("INDEX.CSV", "'INDEX.CSV' is taken by the grid's own files"),
     ("x" * 3000, "'name' is 3,000 characters long; a variant's name may have at most 80"),
     ("../..", "has no letter or digit")],
)  # fmt: skip
def test_an_explicit_variant_name_follows_the_rules_of_folder_names(name, fragment, tmp_path):  # rule G01
    grid = tmp_path / "g.toml"
    grid.write_text(f'name = "g"\n[[variant]]\nname = "{name}"\ninput_scale = "log"\n')
    result = cli("grid", str(grid), "--reports-dir", str(tmp_path / "r"))
    one_clear_line(result, 2, "[[variant]] 1", fragment)
    assert not (tmp_path / "r").exists()


def test_variants_differing_only_in_case_are_one_folder(tmp_path):  # rule G01
    grid = tmp_path / "g.toml"
    grid.write_text('name = "g"\n[[variant]]\nname = "Log"\ninput_scale = "log"\n'
                    '[[variant]]\nname = "log"\ninput_scale = "count"\n')  # fmt: skip
    one_clear_line(cli("grid", str(grid), "--reports-dir", str(tmp_path / "r")), 2, "share the folder 'log'")


def test_a_stopped_grids_queued_variant_makes_nothing_and_announces_nothing(tmp_path):  # rule G02
    grid_id = "grid-stopped-test"
    grid_module._STOPPING.add(grid_id)
    try:
        task = {"slug": "queued", "root": str(paths.PROJECT_ROOT), "variant_dir": str(tmp_path / "queued"),
                "parameters": [], "formats": ["html"], "keep": 1,
                "environment": {grid_module.GRID_ID_VARIABLE: grid_id}}  # fmt: skip
        result = grid_module.run_variant(task)
    finally:
        grid_module._STOPPING.discard(grid_id)
    assert result["status"] == "interrupted" and not (tmp_path / "queued").exists()


def test_many_failures_are_summarised_in_one_short_line(tmp_path):  # rule G03
    failed = [{"variant": f"v{i:03d}", "error": "Invalid data in x.tsv: " + "y" * 500} for i in range(500)]
    text = grid_module.failure_summary(failed, tmp_path / "grid" / "g")
    assert len(text) < 2000 and "\n" not in text
    assert text.startswith("failed: v000 (") and "v004 (" in text and "v005" not in text
    assert text.endswith(f"and 495 more: see the error column of {tmp_path / 'grid' / 'g' / 'index.csv'}")


@pytest.mark.slow
def test_a_stopped_grid_starts_and_announces_nothing_more(tmp_path):  # rule G02
    root = copy_project(tmp_path / "project")
    marker = tmp_path / "inside-01"
    plant_cell(
        root / "notebooks" / "01_data_cleaning.ipynb",
        f"import pathlib, time\npathlib.Path({str(marker)!r}).write_text('01')\ntime.sleep(600)",
        "wait-here",
    )
    grid = tmp_path / "g.toml"
    grid.write_text('name = "stop"\n[parameters]\nlanguages = ["en"]\n'
                    '[grid]\ninput_scale = ["count", "per_10k_residents", "log"]\n')  # fmt: skip
    reports = tmp_path / "reports"
    said = tmp_path / "grid.err"
    with open(said, "w") as stderr:
        driver = subprocess.Popen(
            [sys.executable, "-m", "helpers.runner.cli", "grid", str(grid), "--workers", "1",
             "--reports-dir", str(reports), "--no-pdf"],
            stderr=stderr, text=True, start_new_session=True,
            env={**os.environ, "INCLUSION_REPORT_ROOT": str(root)},
        )  # fmt: skip
    try:
        wait_until(marker.exists, timeout=600, what="the first variant to reach step 01's planted cell")
        driver.send_signal(signal.SIGTERM)
        assert driver.wait(timeout=300) == 143, said.read_text()
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    text = said.read_text()
    assert text.count(": started on ") == 1, text
    grid_dir = reports / "grid" / "stop"
    folders = [p.name for p in grid_dir.iterdir() if p.is_dir()]
    assert len(folders) == 1 and f"variant {folders[0]}: started on" in text
    with open(grid_dir / "index.csv") as handle:
        statuses = [line.split(",")[1] for line in handle.read().splitlines()[1:]]
    assert statuses == ["interrupted"] * 3
    from tests.test_grid import grid_processes

    wait_until(lambda: grid_processes() == [], timeout=60, what="no grid process left behind")
