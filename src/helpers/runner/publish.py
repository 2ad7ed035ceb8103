"""Publishing a run: its folder, the ``latest`` link, the clean table, and pruning old runs.

A run is built in ``<reports>/runs/<UTC time>-<id>/``. Only a run that succeeded
is published, and :func:`publish` is its one final step: the clean table in
``data/processed/`` and ``<reports>/latest`` change together, so a reader finds
both old or both new.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

from helpers import paths
from helpers.errors import ParameterError, ReportError


def open_run_dir(runs_dir: Path, run_id: str, reports_dir: Path | None = None) -> Path:
    """Make a new run's folder with its sub-folders; a clear error if that is impossible.

    ``runs/`` must be a real folder inside ``reports_dir`` (a link there is refused), and
    the run's folder is new: nothing is written through a link planted in the tree.
    """
    run_dir = runs_dir / run_id
    try:
        paths.real_folder(runs_dir, reports_dir or runs_dir.parent)
        run_dir.mkdir()
        for sub in ("notebooks", "tables", "html", "data"):
            (run_dir / sub).mkdir()
    except OSError as exc:
        raise ReportError(f"cannot create the run folder {run_dir}: {exc.strerror}") from None
    return run_dir


def check_writable(reports_dir: Path) -> None:
    """Refuse, before anything runs, a reports folder that cannot be created or written.

    The probe is a new file of a random name (``mkstemp``), so no link planted in the
    folder can be written through.
    """
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".write-test-", dir=reports_dir)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as exc:
        raise ParameterError(
            f"the reports folder {reports_dir} cannot be written ({exc.strerror}); "
            "choose another with --reports-dir"
        ) from None


def check_latest_is_ours(reports_dir: Path) -> None:
    """Refuse to start when ``latest`` is not the symlink this tool maintains."""
    latest = reports_dir / "latest"
    try:
        mode = os.lstat(latest).st_mode
    except (FileNotFoundError, NotADirectoryError):  # no latest yet (the folder check follows)
        return
    if not stat.S_ISLNK(mode):
        raise ParameterError(
            f"{latest} is {paths.file_kind(mode)}, not the link this tool maintains; "
            "move it away and run again"
        )


@contextmanager
def signals_held():
    """Hold SIGINT and SIGTERM back for the few instructions of a publish (POSIX threads only).

    A signal that arrives meanwhile is delivered when the block ends, after both
    renames: a reader never sees one changed without the other.
    """
    if (
        not hasattr(signal, "pthread_sigmask")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def publish(processed: Path, processed_target: Path, reports_dir: Path, run_dir: Path) -> None:
    """Publish a successful run: the clean table and ``reports/latest`` change together.

    Both are staged first beside their targets (a copy of the table, a new
    symbolic link); then, with SIGINT and SIGTERM held back, two renames follow
    each other. If the second fails, the first is undone from a hard link to the
    old table, so a reader finds both old or both new.
    """
    check_latest_is_ours(reports_dir)
    processed_target.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    staged_table = processed_target.with_name(f".{processed_target.name}.{token}.tmp")
    backup = processed_target.with_name(f".{processed_target.name}.{token}.old")
    staged_link = reports_dir / f".latest.{token}"
    try:
        shutil.copyfile(processed, staged_table)
        os.symlink(os.path.relpath(run_dir, reports_dir), staged_link)
        had_table = processed_target.exists()
        if had_table:
            try:
                os.link(processed_target, backup)
            except OSError:  # a file system without hard links
                shutil.copy2(processed_target, backup)
        with signals_held():
            os.replace(staged_table, processed_target)
            try:
                os.replace(staged_link, reports_dir / "latest")
            except BaseException:
                if had_table:
                    os.replace(backup, processed_target)
                else:
                    processed_target.unlink(missing_ok=True)
                raise
    finally:
        for leftover in (staged_table, backup, staged_link):
            leftover.unlink(missing_ok=True)


def prune(runs_dir: Path, keep: int, current: Path) -> None:
    """Delete all but the ``keep`` newest run folders; never the current one.

    Only real folders count and go: a link among them is left alone, so pruning never
    deletes anything outside the reports tree.
    """
    runs = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.is_symlink())
    for old in runs[:-keep]:
        if old.resolve() != current.resolve():
            shutil.rmtree(old, ignore_errors=True)
