"""A run's records: what it was made from (input hashes, code, versions) and its manifest.

The runner records this in each run's ``manifest.json``, and the reviewer report's
appendix prints it, so a reader can tell exactly which data and code produced a
given PDF.

A manifest read back (by the next run, ``history``, a grid, ``verify``) is data like
any other: :func:`read_manifest` accepts only a regular file of sane size holding a
JSON object that fits :data:`MANIFEST_SCHEMA` (and ``verify`` adds
:data:`VERIFY_SCHEMA`); anything else is :class:`Unreadable`, naming the file and the
first thing wrong with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import stat
import subprocess
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

from helpers import paths
from helpers.errors import ReportError

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
    """Write a manifest or a record as indented JSON, atomically (never through a link)."""
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


def mark_abandoned(runs_dir: Path, noticed_by: str, warn: Callable[[str], None] | None = None) -> list[str]:
    """Mark every run still recorded as ``running`` as abandoned; return their ids.

    Call only while holding the reports folder's lock: then no other run can be
    running there, whatever its manifest says, because a living run holds the lock
    and the operating system drops it when its holder dies. A manifest that cannot be
    read as one, and a run folder that is a link, are left alone and named to ``warn``.
    """
    import socket
    from datetime import UTC, datetime

    marked = []
    if not runs_dir.is_dir() or runs_dir.is_symlink():
        return marked
    for manifest_path in sorted(runs_dir.glob("*/manifest.json")):
        if manifest_path.parent.is_symlink():  # never act outside the reports tree
            if warn is not None:
                warn(f"{manifest_path.parent} is a symbolic link, not a run folder; left alone")
            continue
        try:
            manifest = read_manifest(manifest_path)
        except Unreadable as exc:
            if warn is not None:
                warn(f"ignored {exc}")
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


# --------------------------------------------------------------------------- reading manifests

#: A run's id, as :func:`helpers.runner.run.run` makes it.
RUN_ID = r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}\Z"
HEX64 = r"^[0-9a-f]{64}\Z"
#: A path a run folder holds, as manifests name outputs: relative, no "..", no NUL.
INSIDE = r"^(?!/)(?!(.*/)?\.\.(/|\Z))[^\x00]+\Z"
#: A recorded input's path: absolute, or relative to the project without "..".
INPUT_PATH = r"^(?!(.*/)?\.\.(/|\Z))[^\x00]+\Z"

_OUTPUTS = {
    "type": "object",
    "propertyNames": {"pattern": INSIDE, "description": "a path inside the run folder"},
    "additionalProperties": {"type": "string", "pattern": HEX64, "description": "a SHA-256 in hex"},
}

#: What every manifest holds, whoever reads it: the types of the fields the runner, a grid
#: and ``history`` use, and outputs named inside the run folder (a reused step links them in).
MANIFEST_SCHEMA = {
    "type": "object",
    "description": "a JSON object",
    "required": ["run_id", "status"],
    "properties": {
        "run_id": {"type": "string", "pattern": RUN_ID, "description": "a run id such as 20261205T113941Z-d9b435"},
        "status": {"enum": ["running", "succeeded", "failed", ABANDONED]},
        "started": {"type": "string"},
        "finished": {"type": "string"},
        "seconds": {"type": ["number", "null"]},
        "error": {"type": ["string", "null"]},
        "failed_step": {"type": ["string", "null"]},
        "only": {"type": "array", "items": {"type": "string"}},
        "process": {
            "type": ["object", "null"],
            "properties": {
                "host": {"type": ["string", "null"]},
                "pid": {"type": "integer"},
                "started": {"type": ["number", "null"]},
            },
        },
        "parameters": {"type": "object"},
        "parameter_help": {"type": "object", "additionalProperties": {"type": "string"}},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["step", "status"],
                "properties": {
                    "step": {"type": "string"},
                    "status": {"type": "string"},
                    "key": {"type": "string"},
                    "outputs": _OUTPUTS,
                },
            },
        },
        "export": {
            "type": "object",
            "properties": {
                "formats": {"type": "array", "items": {"enum": ["html", "pdf"]}},
                "key": {"type": "string"},
                "outputs": _OUTPUTS,
            },
        },
        "outputs": _OUTPUTS,
    },
}

#: What ``verify`` needs of a manifest besides :data:`MANIFEST_SCHEMA`, checked before any
#: of it is used: a commit is a full hexadecimal id (never an option or a path for git), a
#: Python version a version (never a program to run), each input a path without "..",
#: parameters named as parameters are.
VERIFY_SCHEMA = {
    "type": "object",
    "description": "a JSON object",
    "required": ["run_id", "started", "provenance", "parameters", "outputs"],
    "properties": {
        "started": {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)?\Z",
            "description": "a start time in ISO 8601",
        },
        "provenance": {
            "type": "object",
            "required": ["inputs", "git"],
            "properties": {
                "inputs": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["path", "sha256"],
                        "properties": {
                            "path": {
                                "type": "string",
                                "pattern": INPUT_PATH,
                                "description": "a file's path without '..' (absolute, or inside the project)",
                            },
                            "sha256": {"type": "string", "pattern": HEX64, "description": "a SHA-256 in hex"},
                        },
                    },
                },
                "git": {
                    "type": "object",
                    "properties": {
                        "commit": {
                            "type": ["string", "null"],
                            "pattern": r"^([0-9a-f]{40}|[0-9a-f]{64})\Z",
                            "description": "a full hexadecimal commit id",
                        },
                        "dirty": {"type": ["boolean", "null"]},
                    },
                },
                "python": {
                    "type": ["string", "null"],
                    "pattern": r"^[0-9]+\.[0-9]+(\.[0-9]+)?[0-9A-Za-z.+]*\Z",
                    "description": "a Python version such as 3.11.9",
                },
                "lock_sha256": {"type": ["string", "null"], "pattern": HEX64, "description": "a SHA-256 in hex"},
            },
        },
        "parameters": {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*\Z", "description": "a parameter name"},
            "additionalProperties": {
                "type": ["string", "number", "boolean", "array"],
                "pattern": r"^[^\x00]*\Z",
                "items": {"type": "string", "pattern": r"^[^\x00]*\Z"},
                "description": "a parameter value",
            },
        },
    },
}

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value: object, kind: str) -> bool:
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            return False
        return isinstance(value, int) if kind == "integer" else isinstance(value, int | float)
    return isinstance(value, _TYPES[kind])


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_problem(value: object, schema: dict, where: str = "") -> str | None:
    """The first way ``value`` breaks ``schema`` ("provenance.python: expected ..."), or None.

    ``schema`` is JSON Schema, in the few keywords manifests need (type, enum, pattern,
    required, properties, additionalProperties, propertyNames, items), checked here with
    no dependency (``jsonschema`` takes longer to import than an up-to-date run takes);
    the tests check that ``jsonschema`` agrees.
    """
    what = schema.get("description")
    at = f"{where}: " if where else ""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, kind) for kind in kinds):
            return f"{at}expected {what or ' or '.join(kinds)}, found {_shown(value)}"
    if "enum" in schema and not any(value == x and type(value) is type(x) for x in schema["enum"]):
        return f"{at}expected one of {', '.join(map(_shown, schema['enum']))}, found {_shown(value)}"
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        return f"{at}expected {what or 'text matching ' + schema['pattern']}, found {_shown(value)}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                return f"{at}the field {name!r} is missing"
        known = schema.get("properties", {})
        names = schema.get("propertyNames")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if names is not None:
                problem = schema_problem(name, names, f"{where or 'the manifest'}, field name")
                if problem:
                    return problem
            if name in known:
                problem = schema_problem(item, known[name], f"{where}.{name}" if where else name)
            elif extra is False:
                problem = f"{at}unexpected field {name!r}"
            elif isinstance(extra, dict):
                problem = schema_problem(item, extra, f"{where}[{_shown(name)}]")
            else:
                problem = None
            if problem:
                return problem
    if isinstance(value, list) and "items" in schema:
        for number, item in enumerate(value):
            problem = schema_problem(item, schema["items"], f"{where}[{number}]")
            if problem:
                return problem
    return None


class Unreadable(ReportError):
    """A manifest (or run record) that cannot be read as what it should be."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{paths.display_path(path)}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


def read_record(path: str | os.PathLike[str], kind: str = "run record") -> bytes:
    """The bytes of a file the tool wrote earlier, or :class:`Unreadable` saying why not.

    Only a regular file no larger than the limit of ``kind`` is read (a FIFO or a device
    planted in its place could hang or fill memory).
    """
    try:
        found = os.stat(path)
        if not stat.S_ISREG(found.st_mode):
            raise Unreadable(path, f"{paths.file_kind(found.st_mode)}, not a regular file")
        return paths.read_input(path, kind, label=kind)
    except FileNotFoundError:
        raise Unreadable(path, "missing") from None
    except OSError as exc:
        raise Unreadable(path, exc.strerror or type(exc).__name__) from None
    except Unreadable:
        raise
    except ReportError:  # larger than a record of its kind can be
        raise Unreadable(path, f"larger than the {paths.input_limit(kind) // paths.MB} MB a {kind} may be") from None


def read_manifest(path: str | os.PathLike[str], schema: dict = MANIFEST_SCHEMA) -> dict:
    """A run's manifest, checked against ``schema``; :class:`Unreadable` if it is not one."""
    data = read_record(path, "manifest")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(path, f"not valid JSON ({str(exc)[:80]})") from None
    problem = schema_problem(document, schema)
    if problem:
        raise Unreadable(path, problem)
    return document


def is_real_folder(path: Path) -> bool:
    """Whether ``path`` is a folder and not a symbolic link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False
