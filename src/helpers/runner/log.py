"""What a run says while it works: one timestamped line per event, a heartbeat, a log file.

Lines go to stderr and to ``run.log`` in the run folder. While a step runs, a
heartbeat line every 30 seconds tells cron mail and CI logs that the run is
alive. Progress bars appear only when stderr is a terminal. ``run.log`` is never
written through a link; when it cannot be written (a full disk), the lines go on
to stderr and the run's next write says what failed.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime
from pathlib import Path

from helpers import paths

HEARTBEAT_SECONDS = 30.0


class RunLog:
    """Timestamped event lines to a stream and, once the run folder exists, to a file."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.file = None
        self.path: Path | None = None
        self.buffer: list[str] = []
        self._lock = threading.Lock()

    @property
    def interactive(self) -> bool:
        """True when the stream is a terminal (progress bars welcome)."""
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def attach(self, path: Path) -> None:
        """Also write to ``path``, starting with every line logged so far."""
        self.file = paths.open_for_writing(path, "a")  # closed by close()
        self.path = path
        self._write(self.buffer)

    def __call__(self, message: str) -> None:
        """Log one event line."""
        line = f"{datetime.now(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z')} {message}"
        with self._lock:
            print(line, file=self.stream, flush=True)
            self.buffer.append(line)
            self._write([line])

    def _write(self, lines: list[str]) -> None:
        """Append ``lines`` to the log file; on a failed write, stop writing there and say so."""
        if self.file is None:
            return
        try:
            self.file.writelines(line + "\n" for line in lines)
            self.file.flush()
        except OSError as exc:
            file, self.file = self.file, None
            with suppress(OSError):
                file.close()
            print(
                f"{self.path} could not be written ({exc.strerror}); lines go to stderr only",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        """Close the log file."""
        if self.file is not None:
            file, self.file = self.file, None
            with suppress(OSError):  # the last lines could not be flushed (a full disk)
                file.close()

    @contextmanager
    def heartbeat(self, what: str, every: float = HEARTBEAT_SECONDS):
        """Log ``what`` is still running every ``every`` seconds until the block ends."""
        stop = threading.Event()
        started = time.monotonic()

        def beat() -> None:
            while not stop.wait(every):
                self(f"{what}: still running ({time.monotonic() - started:.0f} s)")

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=1)


class CallbackLog:
    """A :class:`RunLog`'s interface around a plain function (a test's list, verify's lines).

    Lines go to the function only: no log file, no heartbeat, no progress bars.
    """

    interactive = False

    def __init__(self, write: Callable[[str], object]):
        self.write = write

    def __call__(self, message: str) -> None:
        """Log one event line."""
        self.write(message)

    def attach(self, path: Path) -> None:
        """No file: the function already has every line."""

    def close(self) -> None:
        """Nothing to close."""

    def heartbeat(self, what: str, every: float = HEARTBEAT_SECONDS):
        """No heartbeat: a function's caller waits for the run anyway."""
        return nullcontext()
