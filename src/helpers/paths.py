"""Where things live: every path of the project is built here, from one root.

Notebooks, the runner and the tests all resolve paths through this module, so a
notebook behaves the same whether it is opened in JupyterLab, executed by
papermill from another working directory, or imported by a test.

It also holds the few ways files are read and written, so that every reader and
writer shares the same rules: an input is a regular file of sane size (never a FIFO,
a device or a pipe such as ``/dev/stdin``, which would hang or fill memory; see
:func:`read_input`), and nothing is written through a symbolic link found where a
file is to be written (:func:`write_atomic`, :func:`open_for_writing`,
:func:`real_folder`).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import sys
import uuid
from pathlib import Path

from helpers.errors import InputError, LinkRefused

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
#: The reviewer document: a notebook of its own, run once per report language after the steps.
REPORT_NOTEBOOK = NOTEBOOKS_DIR / "report.ipynb"
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


def absolute(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute like :func:`resolve`, but with its links left as they are.

    For opening a file the user named: ``/dev/stdin`` stays ``/dev/stdin`` (resolved, it
    would become a ``pipe:[…]`` name that does not exist).
    """
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else PROJECT_ROOT / candidate


def display_path(path: str | os.PathLike[str]) -> str:
    """Return ``path`` relative to the project root when it lies inside it.

    Messages and reports show short, machine-independent paths this way.
    """
    absolute = resolve(path)
    try:
        return absolute.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(absolute)


#: Environment variable that sets the largest input accepted, in MB, for every kind
#: (``--max-input-mb`` sets it; kernels, grid variants and verify's re-run inherit it).
MAX_INPUT_VARIABLE = "INCLUSION_REPORT_MAX_INPUT_MB"
MB = 1024**2
#: Largest input of each kind, in MB, unless :data:`MAX_INPUT_VARIABLE` says otherwise.
#: Generous for what each holds (the article's table is 500 bytes, 8,000 synthetic
#: municipalities 400 kB); small enough that ``/dev/zero``-like inputs stop at once.
INPUT_LIMITS_MB = {
    "data table": 256,
    "claims table": 16,
    "population table": 64,
    "codebook": 16,
    "config file": 1,
    "grid file": 1,
    "scheduler file": 1,
    "manifest": 64,
    "run record": 16,
}
#: Kinds that are the data: refused with exit code 3 (invalid data); the others with 2.
DATA_KINDS = frozenset({"data table", "claims table", "population table", "codebook"})
PIPE_HINT = (
    "/dev/stdin, pipes and <(...) are refused too: save the input to a file and give its path"
)


def input_limit(kind: str) -> int:
    """The largest input of ``kind`` accepted, in bytes (see :data:`INPUT_LIMITS_MB`)."""
    given = os.environ.get(MAX_INPUT_VARIABLE, "").strip()
    if given:
        try:
            megabytes = float(given)
        except ValueError:
            megabytes = -1.0
        if not megabytes > 0:
            raise InputError(
                f"{MAX_INPUT_VARIABLE}={given!r}: expected a number of megabytes above 0"
            )
        return int(megabytes * MB)
    return INPUT_LIMITS_MB.get(kind, 16) * MB


def file_kind(mode: int) -> str:
    """What a file is, in words, from its ``st_mode`` (``"a FIFO (named pipe)"``)."""
    for test, words in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def _shown(given: str | os.PathLike[str]) -> str:
    """A path as the user gave it, and where it leads when that is elsewhere (a link)."""
    text = os.fspath(given)
    try:
        target = os.path.realpath(absolute(given))
    except (OSError, ValueError):
        return text
    if Path(target) != absolute(given) and os.path.exists(target):
        return f"{text} (a link to {target})"
    return text


def _refuse_special(path: str | os.PathLike[str], kind: str, label: str, mode: int) -> None:
    shown = _shown(path)
    code = 3 if kind in DATA_KINDS else 2
    if stat.S_ISDIR(mode):
        raise InputError(f"{label}: {shown} is a folder; expected a file, not a folder", code)
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{label}: {shown} is {file_kind(mode)}, not a regular file; {PIPE_HINT}", code
        )


def _refuse_size(path, kind: str, label: str, size: int) -> None:
    limit = input_limit(kind)
    if size > limit:
        needed = -(-size // MB) + 1
        raise InputError(
            f"{label}: {_shown(path)} is {size / MB:.1f} MB, more than the "
            f"{limit / MB:.3g} MB a {kind} may be; to accept it, run with --max-input-mb {needed} "
            f"(or set {MAX_INPUT_VARIABLE}={needed})",
            3 if kind in DATA_KINDS else 2,
        )


def check_input(
    path: str | os.PathLike[str], kind: str, *, label: str | None = None, missing_ok: bool = False
) -> os.stat_result | None:
    """Refuse an input that is not a regular file of sane size, before anything reads it.

    Links are followed (data may be linked in); what they lead to must be a regular
    file no larger than :func:`input_limit` of ``kind``. Raises
    :class:`~helpers.errors.InputError` naming ``label`` (default: the kind) and the
    path, with exit code 3 for the data and 2 for the other kinds; a missing file
    raises :class:`FileNotFoundError`, or returns None with ``missing_ok``.
    """
    label = label or kind
    if "\0" in os.fspath(path):
        raise InputError(f"{label}: {os.fspath(path)!r} contains a NUL character", 2)
    try:
        found = os.stat(absolute(path))
    except FileNotFoundError:
        if missing_ok:
            return None
        raise
    _refuse_special(path, kind, label, found.st_mode)
    _refuse_size(path, kind, label, found.st_size)
    return found


def read_input(path: str | os.PathLike[str], kind: str, *, label: str | None = None) -> bytes:
    """The bytes of an input file, once :func:`check_input` accepts it.

    Opened without blocking (a FIFO put in its place meanwhile cannot hang the read)
    and read no further than the limit of ``kind``.
    """
    label = label or kind
    check_input(path, kind, label=label)
    descriptor = os.open(absolute(path), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | os.O_CLOEXEC)
    with open(descriptor, "rb", closefd=True) as handle:
        found = os.fstat(descriptor)
        _refuse_special(path, kind, label, found.st_mode)
        _refuse_size(path, kind, label, found.st_size)
        limit = input_limit(kind)
        data = handle.read(limit + 1)
    _refuse_size(path, kind, label, len(data))
    return data


def refuse_link(path: Path) -> None:
    """Raise :class:`~helpers.errors.LinkRefused` naming ``path`` when it is a symbolic link."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise LinkRefused(
            f"{path} is a symbolic link; the tool never writes through a link it did not "
            "make: remove the link and run again"
        )


def open_for_writing(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8"):
    """Open ``path`` to write (``"w"``: from empty, ``"a"``: append, ``"a+"``: read and append).

    The file is created if missing; a symbolic link in its place is refused
    (:class:`~helpers.errors.LinkRefused`, naming it) and so is anything but a regular
    file (a FIFO there could block the tool for ever).
    """
    target = Path(path)
    flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    flags |= {"w": os.O_WRONLY | os.O_TRUNC, "a": os.O_WRONLY | os.O_APPEND, "a+": os.O_RDWR | os.O_APPEND}[mode]
    try:
        descriptor = os.open(target, flags & ~os.O_TRUNC, 0o666)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            refuse_link(target)
        if exc.errno == errno.ENXIO:  # a FIFO without a reader
            raise LinkRefused(f"{target} is a FIFO (named pipe), not a regular file: remove it and run again") from None
        raise
    try:
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode):
            raise LinkRefused(f"{target} is {file_kind(found.st_mode)}, not a regular file: remove it and run again")
        fcntl.fcntl(descriptor, fcntl.F_SETFL, fcntl.fcntl(descriptor, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        if flags & os.O_TRUNC:
            os.ftruncate(descriptor, 0)
    except BaseException:
        os.close(descriptor)
        raise
    binary = encoding is None
    return open(descriptor, mode + ("b" if binary else ""), encoding=encoding, closefd=True)


def real_folder(path: str | os.PathLike[str], below: str | os.PathLike[str]) -> Path:
    """Make ``path`` and the folders between ``below`` and it; each must be a real folder.

    ``below`` (a reports folder the user chose) may itself be a link; a link at or
    under it on the way to ``path`` is refused (:class:`~helpers.errors.LinkRefused`),
    so what the tool writes there stays inside the tree.
    """
    below, target = Path(below), Path(path)
    below.mkdir(parents=True, exist_ok=True)
    current = below
    for part in target.relative_to(below).parts:
        current = current / part
        try:
            os.mkdir(current)
        except FileExistsError:
            pass
        mode = os.lstat(current).st_mode
        if stat.S_ISLNK(mode):
            refuse_link(current)
        if not stat.S_ISDIR(mode):
            raise OSError(errno.ENOTDIR, f"{file_kind(mode)} where a folder belongs", str(current))
    return target


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that no reader ever sees a half-written file.

    The bytes (text is written as UTF-8) go to a temporary file in the same
    folder, which then replaces the target in one step (``os.replace``); on any
    failure the temporary file is removed and the target is left as it was. A
    symbolic link at ``path`` is refused, never followed
    (:class:`~helpers.errors.LinkRefused`); a failed write names the file.
    """
    given = Path(path).expanduser()
    target = resolve(given.parent) / given.name
    target.parent.mkdir(parents=True, exist_ok=True)
    refuse_link(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        with open(descriptor, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(target)) from None
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return target
