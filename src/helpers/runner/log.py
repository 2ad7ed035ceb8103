"""What a run says while it works: one timestamped line per event, a heartbeat, a log file.

Lines go to stderr and to ``run.log`` in the run folder. While a step runs, a
heartbeat line every 30 seconds tells cron mail and CI logs that the run is
alive. Progress bars appear only when stderr is a terminal.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

HEARTBEAT_SECONDS = 30.0


class RunLog:
    """Timestamped event lines to a stream and, once the run folder exists, to a file."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.file = None
        self.buffer: list[str] = []
        self._lock = threading.Lock()

    @property
    def interactive(self) -> bool:
        """True when the stream is a terminal (progress bars welcome)."""
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def attach(self, path: Path) -> None:
        """Also write to ``path``, starting with every line logged so far."""
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self.file.writelines(line + "\n" for line in self.buffer)
        self.file.flush()

    def __call__(self, message: str) -> None:
        """Log one event line."""
        line = f"{datetime.now(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z')} {message}"
        with self._lock:
            print(line, file=self.stream, flush=True)
            self.buffer.append(line)
            if self.file is not None:
                self.file.write(line + "\n")
                self.file.flush()

    def close(self) -> None:
        """Close the log file."""
        if self.file is not None:
            self.file.close()
            self.file = None

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
