"""Steps shared between runs started together: the variants of a grid.

A grid's variants often differ in a parameter that only some steps read (the input
scale reaches 03 to 06, ``multiple_regression`` only 03), so several variants would
otherwise run the same step with the same key (see :mod:`helpers.runner.cache`) and
get the same files. The grid gives its variants one folder, ``<grid>/.steps``, in
which each step's outputs are kept under its key once a variant has made them:

* a run that needs a step first takes the key's lock (``<key>.lock``, an advisory
  ``flock`` released by the kernel however its holder ends), so two variants never
  compute the same step at once: the second waits, then links the first one's files;
* what is found is used only if every recorded file still has its recorded SHA-256
  (:func:`helpers.runner.cache.reusable`), as for a step of the previous run;
* an entry is written into a fresh folder and renamed into place, so a reader sees
  all of it or nothing; a link planted in the folder is refused, never written through.

The grid empties the folder before it runs and removes it when it ends: entries live
as long as the grid. The variants' own folders hold their files (hard links where the file system
allows), as for any reused step.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path

from helpers import paths
from helpers.errors import ReportError
from helpers.runner import cache, lock, records

#: The shared folder's name inside a grid's folder.
FOLDER = ".steps"
#: The record of an entry, beside its files.
ENTRY = "entry.json"
#: Who made an entry: a variant's folder name and a run id (what the log and manifest print).
_MADE_BY = re.compile(r"[A-Za-z0-9._+-]{1,200}/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}")


def _name(key: str) -> str:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError(f"a step key is a SHA-256 in hex, got {key!r}")
    return key


class SharedSteps:
    """The outputs of steps, by key, for runs started together (see the module's docstring)."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)

    def ready(self) -> SharedSteps:
        """Make the folder (a real folder, never a link); return self."""
        paths.real_folder(self.folder, self.folder.parent)
        return self

    def find(self, key: str, step: str, allowed: Collection[str]) -> tuple[Path, dict] | None:
        """The folder and record of ``step``'s entry for ``key``, if it is whole and its files intact.

        ``allowed``: the files the step may record (its executed notebook, its HTML, the
        files it declares); an entry made by another step, or naming any other file, is
        not used. Any failure to read it counts as no entry: sharing only saves time.
        """
        where = self.folder / _name(key)
        try:
            if where.is_symlink() or not where.is_dir() or (where / ENTRY).is_symlink():
                return None
            entry = json.loads(records.read_record(where / ENTRY, "run record"))
            if (
                not isinstance(entry, dict)
                or entry.get("step") != step
                or not isinstance(entry.get("outputs"), dict)
                or not set(entry["outputs"]) <= set(allowed)
                or not _MADE_BY.fullmatch(str(entry.get("made_by", "")))
                or not cache.reusable(where, entry, key)
            ):
                return None
        except (OSError, ValueError, records.Unreadable):
            return None
        return where, entry

    @contextlib.contextmanager
    def claim(
        self,
        key: str,
        stop: threading.Event | None = None,
        waiting: Callable[[], object] | None = None,
        poll: float = 0.05,
    ) -> Iterator[None]:
        """Hold ``key``'s lock: the one run that computes the step while the others wait for it.

        Waits for as long as the holder computes (``waiting`` is called once when it
        starts to), unless ``stop`` is set (the run is being stopped), which raises
        :class:`~helpers.errors.ReportError`.
        """
        handle = paths.open_for_writing(self.folder / f"{_name(key)}.lock", "a+")

        def stopped(poll: float) -> bool:
            if stop is None:
                time.sleep(poll)
                return False
            return stop.wait(poll)

        try:
            if not lock.acquire(handle, give_up=stopped, waiting=waiting, poll=poll):
                raise ReportError("stopped while another run computed the same step")
            yield
        finally:
            handle.close()  # closing the file releases the lock

    def keep(self, key: str, run_dir: Path, entry: Mapping, made_by: str) -> None:
        """Copy a step's outputs from ``run_dir`` into the entry for ``key`` (hard links where possible).

        ``entry``: the step's manifest entry; ``made_by``: ``<reports folder>/<run id>``.
        Never raises for want of space or permission: sharing is an optimisation, and
        the run that made the files has them already.
        """
        where = self.folder / _name(key)
        if where.exists() or where.is_symlink():
            return
        fresh = self.folder / f".new-{uuid.uuid4().hex}"
        try:
            fresh.mkdir()
            cache.link_outputs(run_dir, fresh, entry["outputs"])
            record = {
                "step": entry["step"],
                "key": key,
                "outputs": dict(entry["outputs"]),
                "made_by": made_by,
            }
            with paths.open_for_writing(fresh / ENTRY, "w") as handle:
                handle.write(json.dumps(record, indent=1))
            os.rename(fresh, where)
        except (OSError, ReportError):
            shutil.rmtree(fresh, ignore_errors=True)

    def remove(self) -> None:
        """Remove the folder with everything in it (never following a link); never raises."""
        self.clear()
        with contextlib.suppress(OSError):
            if not self.folder.is_symlink():
                self.folder.rmdir()

    def clear(self) -> None:
        """Remove every entry and lock (the folder stays); links are removed, never followed.

        Never raises: an entry left behind is checked before any use, and a grid's own
        outcome must not be replaced by a failure to tidy up.
        """
        with contextlib.suppress(OSError):
            if self.folder.is_symlink() or not self.folder.is_dir():
                return
            for item in self.folder.iterdir():
                with contextlib.suppress(OSError):
                    if item.is_dir() and not item.is_symlink():
                        shutil.rmtree(item, ignore_errors=True)
                    else:
                        item.unlink()
