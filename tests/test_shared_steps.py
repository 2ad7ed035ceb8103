"""Steps shared between a grid's variants: kept whole or not at all, checked before use, one maker per key."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from helpers.errors import LinkRefused, ReportError
from helpers.runner.shared import ENTRY, SharedSteps

KEY = hashlib.sha256(b"a step's key").hexdigest()
OTHER = hashlib.sha256(b"another key").hexdigest()


def made_run(folder, files: dict[str, str]) -> dict:
    """A run folder holding ``files``; the entry a finished step records for them (SHA-256 by hand)."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    outputs = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in files.items()}
    return {"step": STEP, "key": KEY, "status": "ran", "outputs": outputs}


STEP = "02_descriptive_statistics"
FILES = {
    "tables/descriptive_statistics.csv": "variable,mean\nx,46\n",
    f"html/{STEP}.html": "<p>02</p>",
}
#: What step 02 may record: its executed notebook, its HTML and the table it declares.
ALLOWED = {f"notebooks/{STEP}.ipynb", f"html/{STEP}.html", "tables/descriptive_statistics.csv"}
MAKER = "count/20261207T222007Z-83dd31"


@pytest.fixture
def store(tmp_path):
    return SharedSteps(tmp_path / "grid" / ".steps").ready()


def test_a_kept_step_is_found_with_its_files_and_maker(store, tmp_path):
    run = tmp_path / "grid" / "count" / "runs" / "r1"
    entry = made_run(run, FILES)
    assert store.find(KEY, STEP, ALLOWED) is None
    store.keep(KEY, run, entry, MAKER)
    where, found = store.find(KEY, STEP, ALLOWED)
    assert found == {"step": STEP, "key": KEY, "outputs": entry["outputs"], "made_by": MAKER}
    for name, text in FILES.items():
        assert (where / name).read_text(encoding="utf-8") == text
    assert store.find(OTHER, STEP, ALLOWED) is None
    assert [p.name for p in store.folder.iterdir()] == [KEY]  # no half-made folder left


def test_a_file_changed_in_the_store_is_never_used(store, tmp_path):
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES), MAKER)
    shared = store.folder / KEY / "tables" / "descriptive_statistics.csv"
    shared.unlink()  # the run's file is a hard link: edit a copy, as a careless hand would
    shared.write_text("variable,mean\nx,47\n", encoding="utf-8")
    assert store.find(KEY, STEP, ALLOWED) is None
    (store.folder / KEY / "tables" / "descriptive_statistics.csv").unlink()
    assert store.find(KEY, STEP, ALLOWED) is None  # nor one with a file missing


def test_an_entry_recorded_under_another_key_or_unreadable_is_not_used(store, tmp_path):
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES), MAKER)
    os.rename(store.folder / KEY, store.folder / OTHER)  # its record still says KEY
    assert store.find(OTHER, STEP, ALLOWED) is None
    (store.folder / OTHER / ENTRY).write_text("{not json", encoding="utf-8")
    assert store.find(OTHER, STEP, ALLOWED) is None


def test_a_second_keep_of_the_same_key_changes_nothing(store, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    store.keep(KEY, first, made_run(first, FILES), MAKER)
    store.keep(KEY, second, made_run(second, FILES), "other/20261207T222008Z-000000")
    assert store.find(KEY, STEP, ALLOWED)[1]["made_by"] == MAKER


def test_only_the_step_that_made_an_entry_gets_it_and_only_its_own_files(store, tmp_path):
    """The key hashes a notebook's bytes, not its name: a copied notebook must not take another's files."""
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES), MAKER)
    assert store.find(KEY, "07_a_copy_of_02", ALLOWED) is None
    assert store.find(KEY, STEP, ALLOWED - {"tables/descriptive_statistics.csv"}) is None
    assert store.find(KEY, STEP, ALLOWED) is not None


def test_an_entry_whose_maker_is_not_a_run_is_not_used(store, tmp_path):
    import json

    run = tmp_path / "run"
    for maker in ("<script>x</script>", "count/not-a-run-id", ""):
        store.clear()
        store.keep(KEY, run, made_run(run, FILES), MAKER)
        record = store.folder / KEY / ENTRY
        record.write_text(json.dumps(json.loads(record.read_text()) | {"made_by": maker}))
        assert store.find(KEY, STEP, ALLOWED) is None, maker


def test_links_are_refused_never_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    grid = tmp_path / "grid"
    grid.mkdir()
    (grid / ".steps").symlink_to(elsewhere)
    with pytest.raises(LinkRefused):
        SharedSteps(grid / ".steps").ready()
    store = SharedSteps(tmp_path / "other" / ".steps").ready()
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES), MAKER)
    os.rename(store.folder / KEY, elsewhere / KEY)
    (store.folder / KEY).symlink_to(elsewhere / KEY)
    assert store.find(KEY, STEP, ALLOWED) is None  # an entry planted as a link is not read
    (store.folder / f"{OTHER}.lock").symlink_to(elsewhere / "lock")
    with pytest.raises(LinkRefused), store.claim(OTHER):
        pass
    assert not (elsewhere / "lock").exists()
    store.clear()
    assert (
        list(store.folder.iterdir()) == [] and (elsewhere / KEY / ENTRY).is_file()
    )  # links removed, not followed


def test_a_key_is_a_sha256_never_a_path(store):
    for bad in ("../../etc", "ab", KEY.upper(), KEY[:-1] + "/"):
        with pytest.raises(ValueError, match="SHA-256"):
            store.find(bad, STEP, ALLOWED)


def test_one_run_makes_a_step_while_the_other_waits_for_it(store):
    """The second claim of a key waits until the first is released, then finds its entry."""
    order = []
    first_holds = threading.Event()

    def first():
        with store.claim(KEY):
            order.append("first has the lock")
            first_holds.set()
            time.sleep(0.3)
            order.append("first done")

    def second():
        first_holds.wait()
        with store.claim(KEY):
            order.append("second has the lock")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first has the lock", "first done", "second has the lock"]
    with store.claim(OTHER), store.claim(KEY):  # another key is another lock
        pass


def test_a_run_being_stopped_stops_waiting(store):
    stop = threading.Event()
    outcome = []
    said = []
    with store.claim(KEY):

        def waiter():
            try:
                with store.claim(KEY, stop, waiting=lambda: said.append("waiting")):
                    outcome.append("got the lock")
            except ReportError as exc:
                outcome.append(str(exc))

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.2)
        stop.set()
        thread.join(10)
    assert outcome == ["stopped while another run computed the same step"]
    assert said == ["waiting"]  # said once, however long it waited


def test_clear_empties_the_folder(store, tmp_path):
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES), MAKER)
    with store.claim(OTHER):
        pass
    (store.folder / ".new-leftover").mkdir()
    store.clear()
    assert store.folder.is_dir() and list(store.folder.iterdir()) == []


# --------------------------------------------------------------------------- in a run's executor


def executor(
    tmp_path, monkeypatch, store, *, force=False, writes=("tables/descriptive_statistics.csv",)
):
    """A run's executor for step 02 whose "notebook" writes ``writes`` (and its HTML) by hand."""
    from helpers.runner import execute
    from helpers.runner.steps import Node, Step

    run_dir = tmp_path / "grid" / "count" / "runs" / "20261207T222007Z-83dd31"
    run_dir.mkdir(parents=True)
    node = Node(
        Step(2, tmp_path / f"{STEP}.ipynb"), ["processed"], ["tables/descriptive_statistics.csv"]
    )
    calls = []

    def ran(ctx, node, key, slot):
        calls.append(node.step.name)
        files = {name: f"{name} of this run\n" for name in (*writes, f"html/{STEP}.html")}
        return made_run(ctx.run_dir, files) | {"status": "ran", "seconds": 1.0}

    monkeypatch.setattr(execute, "_run_one", ran)
    lines = []
    ctx = execute.Context(
        run_dir=run_dir, parameters=dict, notebook_parameters=dict, code="", environment="",
        previous_dir=None, previous={}, log=lines.append, kernels=None, force=force, shared=store,
    )  # fmt: skip
    return execute, ctx, node, calls, lines


def test_a_step_that_writes_an_undeclared_file_is_never_shared(store, tmp_path, monkeypatch):
    """The check a whole run makes at its end, made before sharing: the maker fails, nothing is kept."""
    from helpers.errors import NotebookError

    execute, ctx, node, calls, _ = executor(
        tmp_path,
        monkeypatch,
        store,
        writes=("tables/descriptive_statistics.csv", "tables/extra.csv"),
    )
    declared = frozenset(node.writes)
    with pytest.raises(NotebookError, match="tables/extra.csv"):
        execute._run_shared(ctx, node, KEY, 0, declared)
    assert (
        calls == [STEP]
        and [p for p in store.folder.iterdir() if not p.name.endswith(".lock")] == []
    )


def test_the_first_run_makes_and_keeps_the_next_takes_its_files(store, tmp_path, monkeypatch):
    execute, ctx, node, calls, _ = executor(tmp_path, monkeypatch, store)
    made = execute._run_shared(ctx, node, KEY, 0, frozenset(node.writes))
    assert made["status"] == "ran" and calls == [STEP]
    assert store.find(KEY, STEP, ALLOWED)[1]["made_by"] == "count/20261207T222007Z-83dd31"
    other = tmp_path / "grid" / "log" / "runs" / "20261207T222010Z-000001"
    other.mkdir(parents=True)
    ctx.run_dir = other
    taken = execute._run_shared(ctx, node, KEY, 0, frozenset(node.writes))
    assert calls == [STEP]  # not run again
    assert taken["status"] == "reused" and taken["reused_from"] == "count/20261207T222007Z-83dd31"
    assert taken["outputs"] == made["outputs"]
    table = "tables/descriptive_statistics.csv"
    assert (other / table).read_text() == f"{table} of this run\n"


def test_with_force_nothing_is_taken_or_kept(store, tmp_path, monkeypatch):
    execute, ctx, node, calls, _ = executor(tmp_path, monkeypatch, store, force=True)
    for _ in range(2):
        assert execute._run_shared(ctx, node, KEY, 0, frozenset(node.writes))["status"] == "ran"
    assert calls == [STEP, STEP] and list(store.folder.iterdir()) == []


def test_files_that_cannot_be_linked_leave_no_trace_and_the_step_runs(store, tmp_path, monkeypatch):
    execute, ctx, node, calls, _ = executor(tmp_path, monkeypatch, store)
    execute._run_shared(ctx, node, KEY, 0, frozenset(node.writes))
    other = tmp_path / "grid" / "log" / "runs" / "20261207T222010Z-000001"
    other.mkdir(parents=True)
    ctx.run_dir = other
    real_link = execute.cache.link_outputs

    def half_then_fail(source, target, files):
        real_link(source, target, list(files)[:1])
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(execute.cache, "link_outputs", half_then_fail)
    assert execute._from_shared(ctx, node, KEY) is None
    assert [p for p in other.rglob("*") if p.is_file()] == []


def test_remove_takes_the_folder_but_never_a_link_in_its_place(tmp_path):
    store = SharedSteps(tmp_path / "grid" / ".steps").ready()
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES), MAKER)
    store.remove()
    assert not store.folder.exists() and (run / f"html/{STEP}.html").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kept").write_text("kept")
    store.folder.symlink_to(elsewhere)
    store.remove()
    assert (elsewhere / "kept").read_text() == "kept"

