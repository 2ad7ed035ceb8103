"""Many runs from one command: ``inclusion-report grid GRID.toml``, one Dask task per variant.

A grid file names a grid, the parameters every variant shares, and what varies:

.. code-block:: toml

    name = "outcomes-by-scale"
    config = "config/report.toml"      # optional: the base config (default: this one)

    [parameters]                       # optional: shared by every variant
    languages = ["en"]

    [grid]                             # the cartesian product of these lists
    outcomes = [["employment_rate_increase_pct"], ["health_service_access_pct"]]
    input_scale = ["count", "per_10k_residents", "log"]

    [[variant]]                        # optional: explicit combinations, added to the product
    name = "log-events"
    log_variables = ["community_event_participants"]

Each variant is a whole ``inclusion-report run`` into
``<reports>/grid/<name>/<variant>/``: its own run folders, manifest, atomic
``latest``, lock and incremental cache, exactly as a single run (the runner is
reused as a process, not re-implemented), and its clean table in
``<variant>/processed/`` rather than ``data/processed/``. A variant whose inputs did
not change answers "up to date" in a fraction of a second.

The variants run on Dask distributed: a local cluster of worker processes sized to the
machine, or a running cluster given by ``--scheduler``. A worker runs a variant as a
child process with its own process group, so Ctrl-C at the terminal reaches the grid
alone, which then stops every running variant with SIGTERM (each shuts its kernels down
and marks its run failed, as a single run does), waits for them, and closes the cluster.
When the variants are done, ``index.csv`` and ``index.html`` sum them up.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from helpers import paths
from helpers.errors import InputError, ParameterError, ReportError
from helpers.runner.lock import RunLock
from helpers.runner.log import RunLog
from helpers.runner.records import Unreadable, read_manifest
from helpers.runner.shared import FOLDER as SHARED_FOLDER
from helpers.runner.shared import SharedSteps

#: Exit code of a grid in which at least one variant failed while the others published.
EXIT_PARTIAL = 7
#: Longest variant folder name before it is shortened and given a hash of its values.
SLUG_LENGTH = 80
#: The Dask event topic on which workers announce that a variant started.
TOPIC = "inclusion-report-grid"
#: Memory a variant may need at its peak (a run's process tree, kernels included).
VARIANT_MEMORY = 2 * 1024**3
#: How long stopped variants get to shut their kernels down before they are killed.
STOP_SECONDS = 60.0
#: Statuses of a variant in the index.
SUCCEEDED, UP_TO_DATE, FAILED, INTERRUPTED = "succeeded", "up to date", "failed", "interrupted"
#: Environment variable carried by the grid's workers and variants (tests find strays by it).
GRID_ID_VARIABLE = "INCLUSION_REPORT_GRID_ID"

_KEYS = {"name", "config", "parameters", "grid", "variant"}


class GridPartial(ReportError):
    """Some variants failed; the others published and the index marks which."""

    exit_code = EXIT_PARTIAL


@dataclass(frozen=True)
class Variant:
    """One combination of parameters: its folder name and the values it sets."""

    slug: str
    values: dict


@dataclass
class Grid:
    """A grid file, read and expanded."""

    path: Path
    name: str
    config: str | None
    shared: dict
    #: The parameters that vary between variants, in the order the file gives them.
    keys: list[str]
    variants: list[Variant]


def _where(path: Path) -> str:
    return f"grid file {paths.display_path(path)}"


def _piece(value: object) -> str:
    """A parameter value as a piece of a folder name."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "+".join(_piece(item) for item in value) or "default"
    text = str(value)
    if "/" in text or "\\" in text or Path(text).suffix.lower() in (".tsv", ".csv", ".txt"):
        return Path(text.replace("\\", "/")).stem  # a data file: its name says enough
    return text


def slug_of(values: dict) -> str:
    """A folder name that says what a variant sets, e.g. ``input_scale-log__outcomes-a+b``.

    Only letters, digits and ``._+-`` are kept; a name longer than :data:`SLUG_LENGTH`
    is cut and ends with eight hex digits of a hash of the values, so it stays unique.
    """
    text = "__".join(f"{name}-{_piece(value)}" for name, value in values.items()) or "base"
    text = re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.") or "variant"
    if len(text) > SLUG_LENGTH:
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:8]
        text = f"{text[: SLUG_LENGTH - 9].rstrip('-._+')}-{digest}"
    return text


#: Names in a grid's folder that are the grid's own, never a variant's folder.
RESERVED = frozenset({"index.csv", "index.html"})


def variant_name(label: object, where: str) -> str:
    """A variant's explicit ``name`` as its folder name, or :class:`ParameterError` saying why not.

    The same rules as the names :func:`slug_of` makes: letters, digits and ``._+-`` (any
    other run of characters becomes one ``-``), at most :data:`SLUG_LENGTH` characters,
    and never one of the grid's own files (:data:`RESERVED`).
    """
    if not isinstance(label, str):
        raise ParameterError(f"{where}: 'name' must be text, got {label!r}")
    slug = re.sub(r"[^A-Za-z0-9._+-]+", "-", label).strip("-.")
    if not slug:
        raise ParameterError(f"{where}: 'name' {label!r} has no letter or digit to name a folder by")
    if len(slug) > SLUG_LENGTH:
        raise ParameterError(
            f"{where}: 'name' is {len(slug):,} characters long; a variant's name may have at most "
            f"{SLUG_LENGTH} (it names a folder)"
        )
    if slug.casefold() in RESERVED:
        raise ParameterError(
            f"{where}: 'name' {slug!r} is taken by the grid's own files "
            f"({', '.join(sorted(RESERVED))}); choose another"
        )
    return slug


def load_grid(path: str | os.PathLike[str], declared: dict | None = None) -> Grid:
    """Read and expand a grid file; every problem is a :class:`ParameterError` naming the file.

    ``declared`` (name → :class:`helpers.runner.params.Parameter`) tells which parameters
    take a list, whose grid values must then be a list of lists.
    """
    from helpers.runner.params import load_toml

    resolved = paths.resolve(path)
    where = _where(resolved)
    document = load_toml(paths.absolute(path), "grid file")  # /dev/stdin refused as what it is
    unknown = sorted(set(document) - _KEYS)
    if unknown:
        raise ParameterError(
            f"{where}: unknown key(s) {unknown}; a grid file holds name, config, "
            "[parameters], [grid] and [[variant]]"
        )
    name = document.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ParameterError(
            f"{where}: 'name' must be a folder name of letters, digits, '.', '_' or '-', "
            f"got {name!r}"
        )
    config = document.get("config")
    if config is not None and (not isinstance(config, str) or "\0" in config):
        raise ParameterError(f"{where}: 'config' must be a path (text without NUL), got {config!r}")
    shared = document.get("parameters", {})
    table = document.get("grid", {})
    explicit = document.get("variant", [])
    if not isinstance(shared, dict) or not isinstance(table, dict) or not isinstance(explicit, list):
        raise ParameterError(f"{where}: [parameters] and [grid] are tables, [[variant]] a list of tables")
    declared = declared or {}
    for key, values in table.items():
        if not isinstance(values, list) or not values:
            raise ParameterError(
                f"{where}, [grid] {key}: expected a non-empty list of values, got {values!r}"
            )
        if key in declared and declared[key].type == "list" and not all(
            isinstance(v, list) for v in values
        ):
            raise ParameterError(
                f"{where}, [grid] {key}: {key!r} takes a list, so give a list of lists, "
                f'e.g. {key} = [["a"], ["a", "b"]], got {values!r}'
            )
    keys = list(table)
    combos = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*table.values())]
    if not table:
        combos = []
    named: list[tuple[str | None, dict]] = [(None, combo) for combo in combos]
    for number, entry in enumerate(explicit, start=1):
        if not isinstance(entry, dict):
            raise ParameterError(f"{where}, [[variant]] {number}: expected a table, got {entry!r}")
        entry = dict(entry)
        label = entry.pop("name", None)
        if label is not None:
            label = variant_name(label, f"{where}, [[variant]] {number}")
        named.append((label, entry))
        keys += [key for key in entry if key not in keys]
    if not named:
        raise ParameterError(f"{where}: no variants; give a [grid] table or [[variant]] entries")
    variants, seen = [], {}
    for label, values in named:
        slug = label or slug_of(values)
        canonical = json.dumps(values, sort_keys=True)
        if canonical in seen:
            raise ParameterError(
                f"{where}: variants {seen[canonical]!r} and {slug!r} set the same values {values}"
            )
        # casefold: two names that differ only in case are one folder on macOS and Windows
        if slug.casefold() in {v.slug.casefold() for v in variants}:
            raise ParameterError(f"{where}: two variants would share the folder {slug!r}; name them")
        seen[canonical] = slug
        variants.append(Variant(slug, values))
    return Grid(resolved, name, config, dict(shared), keys, variants)


def cli_text(value: object) -> str:
    """A parameter value as ``-p NAME VALUE`` text that :func:`params.coerce` reads back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def variant_parameters(grid: Grid, variant: Variant) -> list[tuple[str, str]]:
    """The ``-p`` pairs of a variant: the shared parameters, then its own."""
    merged = {**grid.shared, **variant.values}
    return [(name, cli_text(value)) for name, value in merged.items()]


def check_variants(grid: Grid, steps) -> dict[str, dict]:
    """Resolve and check every variant's parameters, as its run will; slug → values.

    Nothing starts before every variant passes: a typo in the grid is exit code 2 at
    once, not a failure of each variant on a worker.
    """
    from helpers.runner.run import RunOptions, check_parameters

    checked = {}
    for variant in grid.variants:
        options = RunOptions(
            cli_parameters=variant_parameters(grid, variant), config_path=grid.config
        )
        try:
            checked[variant.slug], _ = check_parameters(options, steps)
        except ParameterError as exc:
            message = str(exc).replace("(command line)", "(grid)")
            raise ParameterError(f"{_where(grid.path)}, variant {variant.slug!r}: {message}") from None
        except InputError as exc:  # a FIFO, a device or a huge file as one of its inputs
            message = f"{_where(grid.path)}, variant {variant.slug!r}: {exc}"
            raise InputError(message, exc.exit_code) from None
    return checked


# --------------------------------------------------------------------------- on a worker

#: The variant runs of each grid in this worker process: grid id -> pid -> process.
_CHILDREN: dict[str, dict[int, subprocess.Popen]] = {}
#: Grids being stopped: their tasks start no new run.
_STOPPING: set[str] = set()
_CHILDREN_LOCK = threading.Lock()


def _latest_run_id(variant_dir: Path) -> str:
    try:
        return read_manifest(variant_dir / "latest" / "manifest.json")["run_id"]
    except Unreadable:
        return ""


def _error_line(log: Path) -> str:
    """The one line that says why a run failed: its ``error:`` message, else its last line.

    A message of several lines (a data error lists its problems indented beneath it)
    is joined into one.
    """
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    starts = [i for i, line in enumerate(lines) if line.startswith("error:")]
    if not starts:
        return lines[-1].strip()[:300] if lines else ""
    first = starts[-1]
    message = [lines[first][len("error:") :].strip()]
    for line in lines[first + 1 :]:
        if not line[:1].isspace():
            break
        message.append(line.strip().removeprefix("- "))
    return " ".join(message)[:300]


#: What a variant of a stopped grid reports when it reaches a worker: it did not start.
_NOT_STARTED = {
    "status": INTERRUPTED,
    "exit_code": None,
    "seconds": 0.0,
    "error": "the grid was stopped before this variant started",
}


def run_variant(task: dict) -> dict:
    """Run one variant as ``inclusion-report run`` in a child process; say what happened.

    Runs on a Dask worker. Never raises for a failed run: the result says ``failed``
    with the run's one-line error and exit code.
    """
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # called outside a worker (a test, a debugger)
        worker = None
    address = worker.address if worker is not None else ""
    host = socket.gethostname()
    started = time.perf_counter()
    result = {"variant": task["slug"], "worker": address, "host": host, "run_id": ""}
    grid_id = task.get("environment", {}).get(GRID_ID_VARIABLE, "")
    if grid_id in _STOPPING:  # a queued variant of a stopped grid: no folder, no "started"
        return result | _NOT_STARTED
    root = Path(task["root"])
    variant_dir = Path(task["variant_dir"])
    if not (root / "notebooks").is_dir():
        return result | {
            "status": FAILED,
            "exit_code": 1,
            "seconds": 0.0,
            "error": f"the project folder {root} is not on worker host {host}; "
            "workers need it at the same path (see docs/grids.md)",
        }
    try:  # the variant's folder is a real folder in the grid's, never a link planted there
        paths.real_folder(variant_dir, variant_dir.parent)
    except (ReportError, OSError) as exc:
        error = str(exc) if isinstance(exc, ReportError) else f"{exc.strerror}: {exc.filename}"
        return result | {"status": FAILED, "exit_code": 2, "seconds": 0.0, "error": error}
    before = _latest_run_id(variant_dir)
    command = [
        sys.executable, "-m", "helpers.runner.cli", "run",
        "--reports-dir", str(variant_dir),
        "--processed-dir", str(variant_dir / "processed"),
        "--keep", str(task["keep"]),
    ]  # fmt: skip
    if task.get("config"):
        command += ["--config", task["config"]]
    if "pdf" not in task["formats"]:
        command.append("--no-pdf")
    if task.get("force"):
        command.append("--force")
    if task.get("shared_steps"):
        command += ["--shared-steps", task["shared_steps"]]
    for name, text in task["parameters"]:
        command += ["-p", name, text]
    environment = os.environ | task.get("environment", {}) | {"INCLUSION_REPORT_ROOT": str(root)}
    log_path = variant_dir / "variant.log"
    try:
        log = paths.open_for_writing(log_path, "w")
    except (ReportError, OSError) as exc:  # a link planted as variant.log is refused, not followed
        error = str(exc) if isinstance(exc, ReportError) else f"{exc.strerror}: {log_path}"
        return result | {"status": FAILED, "exit_code": 2, "seconds": 0.0, "error": error}
    with log:
        with _CHILDREN_LOCK:  # a grid being stopped starts nothing more
            if grid_id in _STOPPING:
                return result | _NOT_STARTED
            if worker is not None:
                worker.log_event(TOPIC, {"event": "start", "variant": task["slug"], "worker": address})
            child = subprocess.Popen(
                command,
                cwd=root,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C at a terminal reaches the grid, which stops us
            )
            _CHILDREN.setdefault(grid_id, {})[child.pid] = child
        try:
            code = child.wait()
        finally:
            with _CHILDREN_LOCK:
                _CHILDREN.get(grid_id, {}).pop(child.pid, None)
            stopping = grid_id in _STOPPING
    after = _latest_run_id(variant_dir)
    if code == 0:
        status = UP_TO_DATE if after and after == before else SUCCEEDED
    elif stopping:
        status = INTERRUPTED
    else:
        status = FAILED
    error = "" if code == 0 else _error_line(log_path)
    if code < 0 and not stopping:  # killed from outside (the out-of-memory killer, say)
        error = f"the run was killed by signal {-code}" + (f"; its last words: {error}" if error else "")
    return result | {
        "status": status,
        "exit_code": code,
        "seconds": round(time.perf_counter() - started, 3),
        "error": error,
        "run_id": after if code == 0 else "",
    }


def stop_variants(grid_id: str, grace: float = STOP_SECONDS) -> int:
    """Stop this grid's variants running in this worker process; return how many there were.

    Runs on each worker (``Client.run``) when a grid is interrupted. Its tasks start no
    new run from now on; each running one gets SIGTERM, on which a run shuts its kernels
    down and marks itself failed; whatever of a run and its descendants (kernels run in
    sessions of their own) outlives ``grace`` is killed. Other grids on the same cluster
    are left alone.
    """
    import psutil

    with _CHILDREN_LOCK:
        _STOPPING.add(grid_id)
        children = list(_CHILDREN.get(grid_id, {}).values())
    family = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            family += psutil.Process(child.pid).children(recursive=True)
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
    _, alive = psutil.wait_procs(family, timeout=max(0.0, deadline - time.monotonic()))
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    return len(children)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM for the block (the main thread only), then restore them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _ignore_sigint() -> None:
    """In a local worker: leave Ctrl-C to the grid, which stops the variants in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --------------------------------------------------------------------------- the driver


@dataclass
class GridOptions:
    """What the user asked for on the command line."""

    grid_path: str | os.PathLike[str]
    reports_dir: str | os.PathLike[str] = paths.REPORTS_DIR
    #: A running Dask scheduler (``tcp://HOST:PORT``, or a scheduler file); None: a local cluster.
    scheduler: str | None = None
    #: Worker processes of the local cluster; None: sized to the machine.
    workers: int | None = None
    formats: Sequence[str] = ("html", "pdf")
    force: bool = False
    keep: int = 5
    lock_timeout: float = 0.0
    log: Callable[[str], None] | None = None


@dataclass
class GridResult:
    """What a grid did: its folder, each variant's result, and the index files."""

    grid_dir: Path
    results: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[dict]:
        """The variants that failed or were stopped."""
        return [r for r in self.results if r["status"] in (FAILED, INTERRUPTED)]


def local_workers(variants: int) -> int:
    """Worker processes for a local cluster: one per core, per 2 GB of memory, per variant."""
    import psutil

    from helpers.runner.kernels import cores

    by_memory = psutil.virtual_memory().total // VARIANT_MEMORY
    return max(1, min(variants, cores(), by_memory))


#: Protocols of a scheduler address ``--scheduler`` accepts (what this environment can speak).
SCHEDULER_PROTOCOLS = ("tcp", "tls")
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):[0-9]{1,5}")


def scheduler_address(given: str) -> str:
    """The address of the scheduler ``--scheduler`` names, checked before anything connects.

    ``given`` is ``tcp://HOST:PORT`` (or ``tls://``, or plain ``HOST:PORT``), or the path of
    a scheduler file (the JSON a ``dask scheduler --scheduler-file`` writes), which must be
    a regular file of sane size holding an ``address`` of that form. Anything else is a
    :class:`ParameterError` saying what is accepted.
    """
    accepted = (
        f"give {' or '.join(p + '://HOST:PORT' for p in SCHEDULER_PROTOCOLS)}, "
        "or the path of a scheduler file (JSON)"
    )
    if "\0" in given:
        raise ParameterError("--scheduler: the address contains a NUL character")
    where = f"--scheduler {given}"
    if "://" not in given and (given.endswith(".json") or os.path.lexists(paths.resolve(given))):
        try:
            data = paths.read_input(given, "scheduler file", label=f"--scheduler {given}")
            document = json.loads(data)
        except FileNotFoundError:
            raise ParameterError(f"{where}: no such scheduler file; {accepted}") from None
        except OSError as exc:
            raise ParameterError(f"{where}: the scheduler file cannot be read ({exc.strerror})") from None
        except (ValueError, RecursionError):
            raise ParameterError(f"{where}: the scheduler file is not JSON; {accepted}") from None
        address = document.get("address") if isinstance(document, dict) else None
        if not isinstance(address, str):
            raise ParameterError(f"{where}: the scheduler file names no 'address'; {accepted}")
        where, given = f"{where} (its address {address!r})", address
    protocol, _, rest = given.rpartition("://")
    if protocol and protocol not in SCHEDULER_PROTOCOLS:
        raise ParameterError(f"{where}: the protocol {protocol}:// is not one this tool speaks; {accepted}")
    if not _HOST_PORT.fullmatch(rest):
        raise ParameterError(f"{where}: not an address of the form HOST:PORT; {accepted}")
    return given if protocol else f"tcp://{given}"


#: How long a scheduler gets to greet a new connection before it is taken to be none.
PROBE_SECONDS = 10.0
#: Largest greeting a Dask scheduler sends (its handshake is a few hundred bytes).
GREETING_BYTES = 1024**2


def probe_scheduler(address: str, timeout: float | None = None) -> None:
    """Refuse an address where no Dask scheduler greets a new connection.

    A Dask server speaks first: on a new connection it sends its handshake, a frame
    whose first eight bytes give its (small) length. Dask's own client waits for it
    without a limit, and reads a greeting of another program as a frame length (an HTTP
    server's reply becomes "Unable to allocate 2.82 EiB"). So the greeting is read here
    first, with a timeout and a size check. TLS addresses are left to Dask, which must
    negotiate before anything is said.
    """
    import socket
    import struct

    timeout = PROBE_SECONDS if timeout is None else timeout
    protocol, _, rest = address.partition("://")
    if protocol != "tcp":
        return
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as probe:
            probe.settimeout(timeout)
            head = b""
            while len(head) < 8:
                chunk = probe.recv(8 - len(head))
                if not chunk:
                    raise ParameterError(
                        f"--scheduler {address}: what listens there closed the connection without "
                        "a word; it is no Dask scheduler"
                    )
                head += chunk
    except TimeoutError:
        raise ParameterError(
            f"--scheduler {address}: what listens there said nothing within {timeout:g} s; "
            "a Dask scheduler greets every connection at once, so it is none"
        ) from None
    except OSError as exc:
        raise ParameterError(
            f"--scheduler {address}: no Dask scheduler answered there ({exc.strerror or exc}); "
            "give the address of a running Dask scheduler"
        ) from None
    (length,) = struct.unpack("<Q", head)
    if not 0 < length <= GREETING_BYTES:
        raise ParameterError(
            f"--scheduler {address}: what answered there is not a Dask scheduler (its first "
            f"bytes {head!r} are no Dask greeting)"
        )


@contextlib.contextmanager
def _client(options: GridOptions, variants: int, log) -> Iterator:
    """A Dask client: on the scheduler given, or on a local cluster that closes with it."""
    from distributed import Client, LocalCluster

    if options.scheduler:
        target = options.scheduler  # checked and probed by run_grid
        try:
            client = Client(target, timeout="30s")
        except Exception as exc:  # whatever answered there (MemoryError included), it was no scheduler
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            raise ParameterError(
                f"--scheduler {target}: no Dask scheduler answered there ({reason}); "
                "give the address of a running Dask scheduler"
            ) from None
        try:
            workers = len(client.scheduler_info()["workers"])
            log(f"grid: Dask scheduler {client.scheduler.address}, {workers} worker(s)")
            yield client
        finally:
            client.close()
        return
    size = options.workers or local_workers(variants)
    cluster = LocalCluster(
        n_workers=size,
        threads_per_worker=1,
        processes=True,
        memory_limit=0,  # a variant's memory is in its own processes, not the worker's
        dashboard_address=":0",  # any free port: two grids at once never collide
        silence_logs=logging.ERROR,
    )
    try:
        client = Client(cluster)
        try:
            client.run(_ignore_sigint)
            log(f"grid: local Dask cluster of {size} worker process(es)")
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _dashboard(client) -> str:
    """The address of the scheduler's dashboard, or "" when it serves none.

    A scheduler without bokeh still lists a "dashboard" port, whose page only says that
    bokeh is needed: the page is asked for once, so only a dashboard that works is
    announced.
    """
    import urllib.request

    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return ""
        link = client.dashboard_link
        with urllib.request.urlopen(link, timeout=2) as response:  # noqa: S310 - the cluster's own
            works = response.status == 200 and b"needs bokeh" not in response.read(2000)
        return link if works else ""
    except Exception:  # no dashboard, or not one that answers: say nothing
        return ""


def run_grid(options: GridOptions) -> GridResult:
    """Run every variant of a grid file on Dask; write the index; return what happened.

    Raises :class:`ParameterError` before anything runs when the grid file or any
    variant's parameters are wrong, :class:`GridPartial` when some variants failed
    (after the index is written), and lets KeyboardInterrupt (Ctrl-C, or SIGTERM as the
    CLI turns it) through after stopping the running variants and writing the index.
    """
    from helpers.runner.params import collect_parameters
    from helpers.runner.steps import discover_steps

    log = options.log or RunLog()
    steps = discover_steps()
    grid = load_grid(options.grid_path, collect_parameters(step.path for step in steps))
    resolved = check_variants(grid, steps)
    reports_dir = paths.resolve(options.reports_dir)
    scheduler = scheduler_address(options.scheduler) if options.scheduler else None
    if scheduler:
        probe_scheduler(scheduler)  # before any folder is made or any lock taken
    grid_dir = paths.real_folder(reports_dir / "grid" / grid.name, reports_dir)
    with RunLock(grid_dir, timeout=options.lock_timeout):
        for own in ("index.csv", "index.html"):  # refused now, not after every variant ran
            paths.refuse_link(grid_dir / own)
        grid_id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"
        with _environment(GRID_ID_VARIABLE, grid_id):  # inherited by local workers
            return _run(replace(options, scheduler=scheduler), grid, resolved, grid_dir, grid_id, log)


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the block (local workers inherit it), then restore it."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def _run(options: GridOptions, grid: Grid, resolved: dict, grid_dir: Path, grid_id: str, log) -> GridResult:
    """The grid's work once its lock is held: submit, gather, index."""
    started = datetime.now(UTC)
    shared = SharedSteps(grid_dir / SHARED_FOLDER).ready()  # steps the variants have in common
    shared.clear()  # what a stopped grid left: this grid's variants make their own
    try:
        return _submit(options, grid, resolved, grid_dir, grid_id, log, started, shared)
    finally:
        shared.remove()  # never raises: the grid's own outcome stands


def _submit(options, grid, resolved, grid_dir, grid_id, log, started, shared) -> GridResult:
    """Submit the variants, gather their results, write the index."""
    environment = {GRID_ID_VARIABLE: grid_id}
    if paths.MAX_INPUT_VARIABLE in os.environ:  # --max-input-mb reaches workers elsewhere too
        environment[paths.MAX_INPUT_VARIABLE] = os.environ[paths.MAX_INPUT_VARIABLE]
    tasks = [
        {
            "slug": variant.slug,
            "root": str(paths.PROJECT_ROOT),
            "variant_dir": str(grid_dir / variant.slug),
            "parameters": variant_parameters(grid, variant),
            "config": str(paths.resolve(grid.config)) if grid.config else None,
            "formats": sorted(options.formats),
            "force": options.force,
            "keep": options.keep,
            "environment": environment,
            "shared_steps": str(shared.folder),
        }
        for variant in grid.variants
    ]
    log(
        f"grid {grid.name}: {len(tasks)} variant(s) from {paths.display_path(grid.path)} "
        f"into {paths.display_path(grid_dir)}"
    )
    results: dict[str, dict] = {}
    try:
        with _client(options, len(tasks), log) as client:
            _execute(client, tasks, results, log)
    except KeyboardInterrupt:
        for task in tasks:
            if task["slug"] not in results:
                results[task["slug"]] = _settled(task, started)
        _write_index(grid, grid_dir, tasks, resolved, results, started, log)
        raise
    ordered = [results[task["slug"]] for task in tasks]
    _write_index(grid, grid_dir, tasks, resolved, results, started, log)
    result = GridResult(grid_dir, ordered)
    counts = {s: sum(r["status"] == s for r in ordered) for s in (SUCCEEDED, UP_TO_DATE, FAILED, INTERRUPTED)}
    summary = (
        f"grid {grid.name}: {counts[SUCCEEDED]} ran, {counts[UP_TO_DATE]} up to date, "
        f"{counts[FAILED] + counts[INTERRUPTED]} failed; index: {paths.display_path(grid_dir / 'index.html')}"
    )
    if result.failed:
        raise GridPartial(summary + "; " + failure_summary(result.failed, grid_dir))
    log(summary)
    return result


#: Failed variants named one by one in a grid's final error; the index has them all.
FAILURES_SHOWN = 5


def failure_summary(failed: list[dict], grid_dir: Path) -> str:
    """The failed variants in one short line: the first few with their error, and where the rest are."""
    shown = [f"{r['variant']} ({r['error'][:200]})" for r in failed[:FAILURES_SHOWN]]
    text = "failed: " + ", ".join(shown)
    if len(failed) > FAILURES_SHOWN:
        text += (
            f", and {len(failed) - FAILURES_SHOWN} more: see the error column of "
            f"{paths.display_path(grid_dir / 'index.csv')}"
        )
    return text


def _settled(task: dict, started: datetime) -> dict:
    """What became of a variant whose result never reached the grid before it stopped.

    A run that published after the grid started succeeded, whatever the grid saw;
    anything else was interrupted.
    """
    try:
        manifest = read_manifest(Path(task["variant_dir"]) / "latest" / "manifest.json")
        published = datetime.fromisoformat(manifest["started"]) >= started
    except (Unreadable, ValueError, KeyError, TypeError):
        published = False
    if not published:
        return _unfinished(task)
    return _unfinished(task) | {
        "status": SUCCEEDED,
        "exit_code": 0,
        "seconds": manifest.get("seconds"),
        "error": "",
        "run_id": manifest["run_id"],
    }


def _unfinished(task: dict) -> dict:
    return {
        "variant": task["slug"],
        "status": INTERRUPTED,
        "exit_code": None,
        "seconds": None,
        "error": "the grid was stopped before this variant finished",
        "worker": "",
        "host": "",
        "run_id": "",
    }


def _execute(client, tasks: list[dict], results: dict[str, dict], log) -> None:
    """Submit one task per variant; log each start and end; on Ctrl-C stop them in order."""
    from distributed import as_completed
    from tqdm import tqdm

    interactive = bool(getattr(log, "interactive", False))
    bar = tqdm(total=len(tasks), desc="variants", unit="variant", disable=not interactive, leave=False)
    say_lock = threading.Lock()

    def say(line: str) -> None:
        with say_lock, tqdm.external_write_mode(file=sys.stderr):
            log(line)

    stopping = threading.Event()

    def started(event) -> None:
        message = event[1] if isinstance(event, tuple) else event
        if isinstance(message, dict) and message.get("event") == "start" and not stopping.is_set():
            say(f"variant {message['variant']}: started on {message['worker']}")

    dashboard = _dashboard(client)
    if dashboard:
        say(f"grid: Dask dashboard at {dashboard}")
    client.subscribe_topic(TOPIC, started)
    futures = {}
    try:
        for task in tasks:
            future = client.submit(
                run_variant, task, key=f"variant-{task['slug']}-{task['environment'][GRID_ID_VARIABLE]}",
                pure=False,
            )  # fmt: skip
            futures[future] = task
        for future in as_completed(futures):
            task = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the worker died, or the task could not be sent
                outcome = _unfinished(task) | {
                    "status": FAILED,
                    "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
                }
            results[task["slug"]] = outcome
            bar.update()
            where = f" on {outcome['worker']}" if outcome.get("worker") else ""
            if outcome["status"] in (SUCCEEDED, UP_TO_DATE):
                say(f"variant {task['slug']}: {outcome['status']} in {outcome['seconds']:.1f} s{where}")
            else:
                say(
                    f"variant {task['slug']}: {outcome['status']} (exit code "
                    f"{outcome['exit_code']}){where}: {outcome['error']}"
                )
    except KeyboardInterrupt:
        from distributed import wait

        stopping.set()  # variants that start after this are not announced (they start nothing)
        with _signals_held():  # a second Ctrl-C must not cut the stop short and leave runs behind
            say("grid: stopping; every running variant is asked to stop and given time to clean up")
            grid_id = tasks[0]["environment"][GRID_ID_VARIABLE] if tasks else ""
            with contextlib.suppress(Exception):  # queued variants start nothing; running ones stop
                client.run(stop_variants, grid_id, wait=True)
            with contextlib.suppress(Exception):
                wait(list(futures), timeout=STOP_SECONDS)
            for future, task in futures.items():
                if future.done() and task["slug"] not in results:
                    with contextlib.suppress(Exception):
                        results[task["slug"]] = future.result(timeout=1)
            client.cancel(list(futures))
        raise
    finally:
        bar.close()
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(TOPIC)


def _write_index(grid, grid_dir, tasks, resolved, results, started, log) -> None:
    """index.csv and index.html of the grid folder (each replaced in one step)."""
    from helpers.runner import grid_index

    rows = grid_index.rows(grid, grid_dir, tasks, resolved, results)
    grid_index.write(grid, grid_dir, rows, started)
    log(f"grid {grid.name}: index written ({len(rows)} variant(s))")
