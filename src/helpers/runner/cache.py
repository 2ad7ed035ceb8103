"""The step cache: a step re-runs only when something it depends on changed.

A step's *key* is a SHA-256 over everything that can change its outputs: the
notebook's bytes, its parameters, the files it reads (input data by content, so
an edit to the raw table re-runs everything downstream, and the codebook, which
every step reads), the notebook library (the ``helpers`` modules notebooks
import, the report wing included, not :mod:`helpers.runner`) and the lock file of the
environment. The reviewer documents have a key of their own (:func:`export_fingerprint`). When the key equals the one
recorded for the same step in the latest successful run, that run's outputs are
linked into the new run instead of executing the notebook again.

Notebooks declare what they read from earlier steps and what they write in their
metadata: ``{"inclusion_report": {"reads": ["processed"], "writes": ["tables/findings.csv"]}}``;
``"processed"`` is the clean table written by step 01. The runner derives the
order of the steps from these lists, runs independent steps side by side, and
takes a step's outputs to be the files it declares. Parameters whose name
ends in ``_path`` and that name an existing file are read by content too.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from helpers import paths
from helpers.runner.records import sha256

PROCESSED = "processed"


def digest(parts: Iterable[object]) -> str:
    """SHA-256 of a sequence of JSON-serialisable parts."""
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


#: Files every step reads whatever its parameters: the codebook names, labels and
#: describes every column, so an edit to it re-runs everything.
SHARED_INPUTS = {"codebook": lambda: paths.DATAPACKAGE}


#: The notebook library: the flat ``helpers`` package, everything a notebook can import.
LIBRARY = Path(__file__).resolve().parents[1]
#: The runner's own package (``helpers.runner``).
RUNNER = Path(__file__).resolve().parent


def library_files(package: Path | None = None) -> list[Path]:
    """The notebook library's modules, subpackages included (the report wing), but not the runner's."""
    package = package or LIBRARY
    runner = package / RUNNER.name
    return sorted(
        p
        for p in package.rglob("*.py")
        if p.is_file() and runner not in p.parents and "__pycache__" not in p.parts
    )


def code_fingerprint(package: Path | None = None) -> str:
    """One hash of the notebook library and the catalogs of the report's languages.

    Every module of ``helpers`` a notebook can import, in subpackages too (the report
    wing, :mod:`helpers.brief`), and the ``.po`` catalogs: a changed translation
    changes what the report notebook shows. The runner's subpackage is not part of it:
    editing the runner changes how the notebooks are run, never what they compute,
    so it re-runs no notebook.
    """
    package = package or LIBRARY
    catalogs = sorted(package.glob("locale/*/LC_MESSAGES/*.po"))
    return digest(
        (p.relative_to(package).as_posix(), sha256(p)) for p in [*library_files(package), *catalogs]
    )


#: The runner's modules that build the reviewer report; with what they import of the runner
#: (:func:`export_modules`), they are in the export's key.
EXPORT_MODULES = ("export.py", "typesetting.py")


def _runner_imports(module: Path) -> set[str]:
    """The runner modules ``module`` imports (file names), at any place in it."""
    found = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "helpers.runner":
            found.update(f"{alias.name}.py" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers.runner."):
            found.add(node.module.split(".")[2] + ".py")
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[2] + ".py"
                for a in node.names
                if a.name.startswith("helpers.runner.")
            )
    return found


def export_modules(package: Path | None = None) -> list[Path]:
    """The runner's modules the export can import: :data:`EXPORT_MODULES` and what they import, transitively.

    Read from the modules' import statements, so a module the exporter comes to import
    enters the export's key without anyone listing it.
    """
    package = package or RUNNER
    seen: set[str] = set()
    todo = list(EXPORT_MODULES)
    while todo:
        name = todo.pop()
        if name in seen or not (package / name).is_file():
            continue
        seen.add(name)
        todo.extend(_runner_imports(package / name) - seen)
    return sorted(package / name for name in seen)


def export_fingerprint(package: Path | None = None, report: Path | None = None) -> str:
    """One hash of what the reviewer documents are made with besides the steps and the library.

    The report notebook (``notebooks/report.ipynb``), the exporter's modules and what
    they import of the runner (:func:`export_modules`), its templates and its fonts. The
    library (the wing included) has its own hash (:func:`code_fingerprint`), which the
    export's key takes in too.
    """
    package = package or RUNNER
    report = report or paths.REPORT_NOTEBOOK
    files = export_modules(package) + sorted(
        p for folder in ("templates", "fonts") for p in (package / folder).rglob("*") if p.is_file()
    )
    return digest(
        [("report notebook", sha256(report) if report.is_file() else "missing")]
        + [(p.relative_to(package).as_posix(), sha256(p)) for p in files]
    )


def reusable(folder: Path | None, entry: Mapping | None, key: str) -> bool:
    """Whether a recorded step or export can stand in for doing it again.

    The one answer to "can this be reused?", for a step (:mod:`helpers.runner.execute`) as
    for a whole run ("up to date"): the recorded key equals ``key``, and every output the
    entry recorded is still a regular file in ``folder`` with the content it had (its
    SHA-256). A report deleted or edited by hand is made again.
    """
    if folder is None or not entry or entry.get("key") != key:
        return False
    files = entry.get("outputs")
    if not isinstance(files, Mapping) or not files:
        return False
    for name, recorded in files.items():
        inside = PurePosixPath(str(name))
        if inside.is_absolute() or ".." in inside.parts:
            return False  # a manifest naming a file outside its run: nothing of it is reused
        path = folder / inside
        if path.is_symlink() or not path.is_file() or sha256(path) != recorded:
            return False
    return True


def shared_inputs() -> dict[str, str]:
    """Content hashes of :data:`SHARED_INPUTS` (``missing`` if absent)."""
    found = {}
    for name, where in SHARED_INPUTS.items():
        target = where()
        found[name] = sha256(target) if target.is_file() else "missing"
    return found


def environment_fingerprint() -> str:
    """Hash of the lock file: the locked environment."""
    lock = paths.PROJECT_ROOT / "uv.lock"
    return sha256(lock) if lock.exists() else "no-lock-file"


def _declared(notebook: Path) -> dict:
    document = json.loads(notebook.read_text(encoding="utf-8"))
    return document.get("metadata", {}).get("inclusion_report", {})


def declared_reads(notebook: Path) -> list[str]:
    """What a notebook reads from earlier steps, from its metadata."""
    return list(_declared(notebook).get("reads", []))


def declared_writes(notebook: Path) -> list[str] | None:
    """What a notebook may write into the run folder, from its metadata (None: not declared)."""
    writes = _declared(notebook).get("writes")
    return None if writes is None else list(writes)


def run_path(item: str) -> str:
    """A declared read or write as a path inside the run folder (``processed`` is the clean table).

    >>> run_path("processed")
    'data/inclusione_attiva_clean.csv'
    >>> run_path("tables/findings.csv")
    'tables/findings.csv'
    """
    return f"data/{paths.PROCESSED_TABLE_NAME}" if item == PROCESSED else item


def file_inputs(parameters: Mapping[str, object]) -> dict[str, str]:
    """Content hashes of the files named by ``*_path`` parameters (``missing`` if absent)."""
    found = {}
    for name, value in sorted(parameters.items()):
        if name.endswith("_path") and isinstance(value, str):
            target = paths.resolve(value)
            found[name] = sha256(target) if target.is_file() else "missing"
    return found


def step_key(
    notebook: Path,
    parameters: Mapping[str, object],
    reads: Mapping[str, str],
    *,
    code: str,
    environment: str,
) -> str:
    """The key of one step.

    Notebook, parameters, inputs by content (its own and the codebook), the
    notebook library and the environment.
    """
    return digest(
        [
            "step",
            sha256(notebook),
            dict(sorted(parameters.items())),
            file_inputs(parameters),
            shared_inputs(),
            dict(sorted(reads.items())),
            code,
            environment,
        ]
    )


def key_after(
    notebook: Path,
    parameters: Mapping[str, object],
    outputs: Mapping[str, str],
    *,
    code: str,
    environment: str,
) -> str:
    """A step's key, given the outputs (run-folder path to SHA-256) of the steps before it.

    Reads keep the names declared in the notebook ("processed"), as earlier runs recorded them.
    """
    reads = {item: outputs.get(run_path(item), "not produced") for item in declared_reads(notebook)}
    return step_key(notebook, parameters, reads, code=code, environment=environment)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file below ``folder``."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def written(
    before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]]
) -> list[str]:
    """Files that appeared or changed between two snapshots."""
    return sorted(name for name, stat in after.items() if before.get(name) != stat)


def link_outputs(source_run: Path, target_run: Path, files: Iterable[str]) -> None:
    """Bring a previous run's outputs into a new run: hard links where possible, else copies."""
    for name in files:
        source, target = source_run / name, target_run / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
