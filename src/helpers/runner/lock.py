"""One run at a time per reports folder: an advisory file lock that dies with its holder.

``fcntl.flock`` is released by the kernel when the process exits, however it
exits, so a crashed run can never leave a stale lock behind. The lock file
records who holds it, for the message the next run prints. A symbolic link (or
anything but a regular file) in the lock file's place is refused, never written
through.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from helpers import paths
from helpers.errors import LinkRefused, LockHeld


def acquire(
    handle,
    *,
    give_up: Callable[[float], bool],
    waiting: Callable[[], object] | None = None,
    poll: float = 0.2,
) -> bool:
    """Take an exclusive ``flock`` on the open file ``handle``; whether it was taken.

    Tries without blocking, so the caller stays in charge: while another process holds
    the lock, ``waiting`` is called once, then ``give_up(poll)`` after each attempt (it
    may wait up to ``poll`` seconds) and the lock is given up on when it says True.
    """
    said = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if not said and waiting is not None:
                waiting()
                said = True
            if give_up(poll):
                return False


class RunLock:
    """Context manager holding ``<reports>/.lock``; waits up to ``timeout`` seconds for it.

    ``waiting`` is called once, with :meth:`holder`, when the lock is held by another
    process and this one starts to wait, so a waiting command can say what it waits for.
    """

    def __init__(
        self,
        reports_dir: Path,
        *,
        timeout: float = 0.0,
        poll: float = 0.2,
        waiting: Callable[[str], None] | None = None,
    ):
        self.path = Path(reports_dir) / ".lock"
        self.timeout = timeout
        self.poll = poll
        self.waiting = waiting
        self._handle = None

    def holder(self) -> str:
        """Who holds the lock, as recorded in the lock file."""
        try:
            handle = paths.open_for_writing(self.path, "a+")
        except (OSError, LinkRefused):
            return "another process"
        try:
            handle.seek(0)
            info = json.loads(handle.read(4096) or "{}")
            return f"pid {info.get('pid', '?')}, started {info.get('since', '?')}"
        except (OSError, ValueError, AttributeError):
            return "another process"
        finally:
            handle.close()

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = paths.open_for_writing(self.path, "a+")  # held for the whole run
        deadline = time.monotonic() + self.timeout

        def past_deadline(poll: float) -> bool:
            if time.monotonic() >= deadline:
                return True
            time.sleep(poll)
            return False

        announce = (lambda: self.waiting(self.holder())) if self.waiting is not None and self.timeout > 0 else None
        if not acquire(handle, waiting=announce, give_up=past_deadline, poll=self.poll):
            handle.close()
            raise LockHeld(
                f"another run holds the lock on {self.path.parent} ({self.holder()}); "
                f"waited {self.timeout:g} s. Try again later, or pass --lock-timeout SECONDS to wait."
            )
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(
                json.dumps(
                    {"pid": os.getpid(), "since": datetime.now(UTC).isoformat(timespec="seconds")}
                )
            )
            handle.flush()
        except OSError as exc:  # a full disk: say which file, and let the lock go
            with contextlib.suppress(OSError):
                handle.close()
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        self._handle = handle
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
