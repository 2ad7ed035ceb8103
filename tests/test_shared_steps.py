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
    return {"step": "02_descriptive_statistics", "key": KEY, "status": "ran", "outputs": outputs}


FILES = {"tables/descriptive_statistics.csv": "variable,mean\nx,46\n", "html/02.html": "<p>02</p>"}


@pytest.fixture
def store(tmp_path):
    return SharedSteps(tmp_path / "grid" / ".steps").ready()


def test_a_kept_step_is_found_with_its_files_and_maker(store, tmp_path):
    run = tmp_path / "grid" / "count" / "runs" / "r1"
    entry = made_run(run, FILES)
    assert store.find(KEY) is None
    store.keep(KEY, run, entry | {"made_by": "count/r1"})
    where, found = store.find(KEY)
    assert found == {"key": KEY, "outputs": entry["outputs"], "made_by": "count/r1"}
    for name, text in FILES.items():
        assert (where / name).read_text(encoding="utf-8") == text
    assert store.find(OTHER) is None
    assert [p.name for p in store.folder.iterdir()] == [KEY]  # no half-made folder left


def test_a_file_changed_in_the_store_is_never_used(store, tmp_path):
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES) | {"made_by": "count/r1"})
    shared = store.folder / KEY / "tables" / "descriptive_statistics.csv"
    shared.unlink()  # the run's file is a hard link: edit a copy, as a careless hand would
    shared.write_text("variable,mean\nx,47\n", encoding="utf-8")
    assert store.find(KEY) is None
    (store.folder / KEY / "tables" / "descriptive_statistics.csv").unlink()
    assert store.find(KEY) is None  # nor one with a file missing


def test_an_entry_recorded_under_another_key_or_unreadable_is_not_used(store, tmp_path):
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES) | {"made_by": "count/r1"})
    os.rename(store.folder / KEY, store.folder / OTHER)  # its record still says KEY
    assert store.find(OTHER) is None
    (store.folder / OTHER / ENTRY).write_text("{not json", encoding="utf-8")
    assert store.find(OTHER) is None


def test_a_second_keep_of_the_same_key_changes_nothing(store, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    store.keep(KEY, first, made_run(first, FILES) | {"made_by": "a/r1"})
    store.keep(KEY, second, made_run(second, FILES) | {"made_by": "b/r1"})
    assert store.find(KEY)[1]["made_by"] == "a/r1"


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
    store.keep(KEY, run, made_run(run, FILES) | {"made_by": "a/r1"})
    os.rename(store.folder / KEY, elsewhere / KEY)
    (store.folder / KEY).symlink_to(elsewhere / KEY)
    assert store.find(KEY) is None  # an entry planted as a link is not read
    (store.folder / f"{OTHER}.lock").symlink_to(elsewhere / "lock")
    with pytest.raises(LinkRefused), store.claim(OTHER):
        pass
    assert not (elsewhere / "lock").exists()
    store.clear()
    assert list(store.folder.iterdir()) == [] and (elsewhere / KEY / ENTRY).is_file()  # links removed, not followed


def test_a_key_is_a_sha256_never_a_path(store):
    for bad in ("../../etc", "ab", KEY.upper(), KEY[:-1] + "/"):
        with pytest.raises(ValueError, match="SHA-256"):
            store.find(bad)


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
    with store.claim(KEY):

        def waiter():
            try:
                with store.claim(KEY, stop):
                    outcome.append("got the lock")
            except ReportError as exc:
                outcome.append(str(exc))

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.2)
        stop.set()
        thread.join(10)
    assert outcome == ["stopped while another run computed the same step"]


def test_clear_empties_the_folder(store, tmp_path):
    run = tmp_path / "run"
    store.keep(KEY, run, made_run(run, FILES) | {"made_by": "a/r1"})
    with store.claim(OTHER):
        pass
    (store.folder / ".new-leftover").mkdir()
    store.clear()
    assert store.folder.is_dir() and list(store.folder.iterdir()) == []
