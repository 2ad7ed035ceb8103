"""Where things live: every path of the project is built here, from one root.

Notebooks, the runner and the tests all resolve paths through this module, so a
notebook behaves the same whether it is opened in JupyterLab, executed by
papermill from another working directory, or imported by a test.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

#: The project root: the folder holding ``pyproject.toml``. Override with the
#: ``INCLUSION_REPORT_ROOT`` environment variable (used by tests and by
#: installations outside the source tree).
PROJECT_ROOT = Path(
    os.environ.get("INCLUSION_REPORT_ROOT") or Path(__file__).resolve().parents[2]
).resolve()

DATA_DIR = PROJECT_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
PROCESSED_DATA_DIR = DATA_DIR / "processed"
DATAPACKAGE = RAW_DATA_DIR / "datapackage.json"
RAW_TABLE = RAW_DATA_DIR / "inclusione_attiva.tsv"
PROCESSED_TABLE_NAME = "inclusione_attiva_clean.csv"

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
CONFIG_FILE = PROJECT_ROOT / "config" / "report.toml"

#: Name of the Jupyter kernel that runs the project's own environment.
KERNEL_NAME = "inclusion-report"
KERNEL_DISPLAY_NAME = f"Inclusion report (Python {sys.version_info.major}.{sys.version_info.minor})"


def resolve(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as an absolute path; relative paths start at the project root.

    >>> resolve("data/raw") == RAW_DATA_DIR
    True
    """
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = PROJECT_ROOT / candidate
    return candidate.resolve()


def display_path(path: str | os.PathLike[str]) -> str:
    """Return ``path`` relative to the project root when it lies inside it.

    Messages and reports show short, machine-independent paths this way.
    """
    absolute = resolve(path)
    try:
        return absolute.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(absolute)


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that no reader ever sees a half-written file.

    The bytes (text is written as UTF-8) go to a temporary file in the same
    folder, which then replaces the target in one step (``os.replace``); on any
    failure the temporary file is removed and the target is left as it was.
    """
    target = resolve(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
