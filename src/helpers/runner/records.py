"""A run's records: what it was made from (input hashes, code, versions) and its manifest.

The runner records this in each run's ``manifest.json``, and the reviewer report's
appendix prints it, so a reader can tell exactly which data and code produced a
given PDF.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from helpers import paths

#: Packages whose versions can change a number or a figure of the report.
KEY_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
)


def sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, in hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_json(path: Path, data: dict) -> None:
    """Write a manifest or a record as indented JSON, atomically."""
    paths.write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def hash_files(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each named file below ``folder``, keyed by its name."""
    return {name: sha256(folder / name) for name in names}


def git_state(root: Path = paths.PROJECT_ROOT) -> dict[str, object]:
    """The commit of the project's checkout and whether its tree has uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` where missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def collect(inputs: dict[str, str | os.PathLike[str]]) -> dict[str, object]:
    """Everything the manifest records about where a run came from.

    ``inputs`` maps a role (``"raw data"``) to a file; each is hashed.
    """
    lock = paths.PROJECT_ROOT / "uv.lock"
    return {
        "inputs": {
            role: {"path": paths.display_path(path), "sha256": sha256(paths.resolve(path))}
            for role, path in inputs.items()
        },
        "lock_sha256": sha256(lock) if lock.exists() else None,
        "git": git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
    }


#: Status of a run whose process ended without finishing it (killed, crashed, power cut).
ABANDONED = "abandoned"


def this_process() -> dict[str, object]:
    """Who is making a run, as its manifest records it: host, process id and its start time."""
    import socket

    import psutil

    me = psutil.Process()
    return {"host": socket.gethostname(), "pid": me.pid, "started": me.create_time()}


def still_running(process: dict | None) -> bool:
    """Whether the process a manifest records is alive and is the same process.

    A process id can be reused after a crash, so the process found under the id must
    have started when the recorded one did. A run recorded on another host cannot be
    checked from here: it is taken to be running.
    """
    import socket

    import psutil

    if not process or "pid" not in process:
        return False
    if process.get("host") not in (None, socket.gethostname()):
        return True
    try:
        found = psutil.Process(int(process["pid"]))
        started = found.create_time()
    except (psutil.Error, ValueError):
        return False
    recorded = process.get("started")
    return recorded is None or abs(started - float(recorded)) < 1.0


def mark_abandoned(runs_dir: Path, noticed_by: str) -> list[str]:
    """Mark every run still recorded as ``running`` as abandoned; return their ids.

    Call only while holding the reports folder's lock: then no other run can be
    running there, whatever its manifest says, because a living run holds the lock
    and the operating system drops it when its holder dies.
    """
    import socket
    from datetime import UTC, datetime

    marked = []
    if not runs_dir.is_dir():
        return marked
    for manifest_path in sorted(runs_dir.glob("*/manifest.json")):
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if manifest.get("status") != "running":
            continue
        process = manifest.get("process") or {}
        if process.get("host") not in (None, socket.gethostname()) and still_running(process):
            continue  # a run on another host sharing this folder: its lock may not reach us
        manifest.update(
            status=ABANDONED,
            abandoned={
                "noticed_by": noticed_by,
                "noticed": datetime.now(UTC).isoformat(),
                "why": "its process ended without finishing the run (the lock was free)",
            },
        )
        write_json(manifest_path, manifest)
        marked.append(manifest.get("run_id", manifest_path.parent.name))
    return marked
