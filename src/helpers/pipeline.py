"""The pipeline runner: parameters checked, notebooks executed, reports exported, then published.

A run builds everything inside its own folder, ``<reports>/runs/<UTC time>-<id>/``,
while holding the reports folder's lock. Steps whose inputs did not change since
the latest successful run are not executed again: their outputs are linked in
(see :mod:`helpers.incremental`). Only when every step and every export succeeded
and the manifest says so do ``<reports>/latest`` and the clean table in
``data/processed/`` change, together, as the run's one final step (two renames
back to back, the first undone if the second fails; see :func:`_publish`). A
failed or interrupted run leaves ``latest`` and ``data/processed/`` exactly as
they were, and its own folder, marked failed, for inspection. When nothing changed
at all, no folder is made: the run says "up to date".
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from helpers import contract, incremental, paths, provenance, schedule
from helpers.codebook import load_codebook
from helpers.errors import NotebookError, ParameterError, ReportError
from helpers.params import (
    RUNNER_PARAMETERS,
    Parameter,
    collect_parameters,
    for_notebook,
    notebook_parameters,
    read_config,
    resolve_parameters,
)
from helpers.runlock import RunLock
from helpers.runlog import RunLog
from helpers.schedule import Step

#: The machine-readable tables every successful run must contain, with their columns.
CONTRACT_TABLES = contract.TABLES
REPORT_TITLE = "Municipal programmes for the integration of immigrants in Italy"
REPORT_SUBJECT = "ReCoSol and Inclusione Attiva: data, descriptive statistics, regressions"
KEEP_RUNS = 20
#: Fewest Monte-Carlo permutations accepted (used only when there are more than 10 cities).
MIN_RESAMPLES = 100_000
#: Steps run side by side at most (the graph allows two: 02 and 03).
WORKERS = 2


def discover_steps(notebooks_dir: Path = paths.NOTEBOOKS_DIR) -> list[Step]:
    """The numbered notebooks (``01_…``, ``02_…``) in order."""
    steps = []
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        steps.append(Step(int(path.name[:2]), path))
    if not steps:
        raise ReportError(f"no numbered notebooks found in {paths.display_path(notebooks_dir)}")
    return steps


@dataclass
class RunOptions:
    """What the user asked for on the command line."""

    cli_parameters: Sequence[tuple[str, str]] = ()
    config_path: str | None = None
    reports_dir: str | os.PathLike[str] = paths.REPORTS_DIR
    processed_dir: str | os.PathLike[str] = paths.PROCESSED_DATA_DIR
    formats: Sequence[str] = ("html", "pdf")
    force: bool = False
    keep: int = KEEP_RUNS
    lock_timeout: float = 0.0
    log: Callable[[str], None] | None = None
    #: Run independent steps side by side in kernels forked from a warm template (the
    #: default), or one at a time in plainly started kernels (``--sequential``).
    sequential: bool = False
    #: Run only these steps (numbers or names) and what they read from; nothing is published.
    only: Sequence[str] = ()


@dataclass
class RunResult:
    """What a run did: the folder now behind ``latest``, and whether anything was rebuilt."""

    run_dir: Path
    up_to_date: bool
    ran: list[str] = field(default_factory=list)
    partial: bool = False


def check_parameters(
    options: RunOptions, steps: Sequence[Step]
) -> tuple[dict, dict[str, dict[str, Parameter]]]:
    """Resolve and check every parameter before anything runs."""
    per_notebook = {step.name: notebook_parameters(step.path) for step in steps}
    declared = collect_parameters(step.path for step in steps)
    values = resolve_parameters(declared, read_config(options.config_path), options.cli_parameters)
    variables = load_codebook().variables()
    for role in ("outcomes", "predictors", "log_variables"):
        if role in values:
            chosen = values[role]
            if not chosen and role != "log_variables":
                raise ParameterError(f"parameter {role!r} must name at least one variable")
            unknown = [v for v in chosen if v not in variables]
            if unknown:
                raise ParameterError(
                    f"parameter {role!r}: {unknown} not a numeric column; "
                    f"choose from: {', '.join(variables)}"
                )
            if len(set(chosen)) != len(chosen):
                raise ParameterError(f"parameter {role!r} lists a variable twice: {chosen}")
    if "outcomes" in values and "predictors" in values:
        overlap = sorted(set(values["outcomes"]) & set(values["predictors"]))
        if overlap:
            raise ParameterError(f"{overlap} cannot be both an outcome and a predictor")
    if values.get("permutation_resamples", MIN_RESAMPLES) < MIN_RESAMPLES:
        raise ParameterError(
            f"parameter 'permutation_resamples' must be at least {MIN_RESAMPLES:,} "
            f"(got {values['permutation_resamples']:,})"
        )
    return values, per_notebook


def _report_metadata(manifest: dict, started: datetime) -> dict:
    """Title-page fields of the reviewer report, from the codebook and the manifest."""
    source = load_codebook().source
    origin = manifest["provenance"]
    data_hash = origin["inputs"]["raw data"]["sha256"][:12]
    commit = (origin["git"].get("commit") or "unknown")[:10]
    dirty = " + uncommitted changes" if origin["git"].get("dirty") else ""
    published = datetime.fromisoformat(source["date"]).strftime("%-d %B %Y")
    data = manifest.get("data", {})
    if data.get("synthetic"):
        subtitle = (
            f"SYNTHETIC DATA: {data['rows']:,} made-up municipalities from a seeded generator, "
            "not the article's figures; the method is the one used for the article's table"
        )
    else:
        subtitle = (
            f"Figures from \u201c{source['title']}\u201d by {source['author']}, "
            f"{source['publication']} {source['issue']}, {published}"
        )
    return {
        "title": REPORT_TITLE,
        "subtitle": subtitle,
        "authors": [{"name": "Inclusion report pipeline"}],
        "subject": REPORT_SUBJECT,
        "date": started.strftime("%-d %B %Y"),
        "run_label": f"Run {manifest['run_id']} of {started.strftime('%-d %B %Y, %H:%M UTC')}",
        "identity": f"data sha256:{data_hash} \u00b7 code {commit}{dirty}",
    }


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _check_writable(reports_dir: Path) -> None:
    """Refuse, before anything runs, a reports folder that cannot be created or written."""
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        probe = reports_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ParameterError(
            f"the reports folder {reports_dir} cannot be written ({exc.strerror}); "
            "choose another with --reports-dir"
        ) from None


def _check_latest_is_ours(reports_dir: Path) -> None:
    """Refuse to start when ``latest`` is not the symlink this tool maintains."""
    latest = reports_dir / "latest"
    if latest.exists() and not latest.is_symlink():
        raise ReportError(
            f"{latest} is a real folder, not the link this tool maintains; "
            "move it away and run again"
        )


@contextmanager
def _signals_held():
    """Hold SIGINT and SIGTERM back for the few instructions of a publish (POSIX threads only).

    A signal that arrives meanwhile is delivered when the block ends, after both
    renames: a reader never sees one changed without the other.
    """
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _publish(processed: Path, processed_target: Path, reports_dir: Path, run_dir: Path) -> None:
    """Publish a successful run: the clean table and ``reports/latest`` change together.

    Both are staged first beside their targets (a copy of the table, a new
    symbolic link); then, with SIGINT and SIGTERM held back, two renames follow
    each other. If the second fails, the first is undone from a hard link to the
    old table, so a reader finds both old or both new.
    """
    _check_latest_is_ours(reports_dir)
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
        with _signals_held():
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


def _prune(runs_dir: Path, keep: int, current: Path) -> None:
    """Delete all but the ``keep`` newest run folders; never the current one."""
    runs = sorted(p for p in runs_dir.iterdir() if p.is_dir())
    for old in runs[:-keep]:
        if old.resolve() != current.resolve():
            shutil.rmtree(old, ignore_errors=True)


def _check_tables(tables_dir: Path) -> None:
    import pandas as pd

    for name, columns in CONTRACT_TABLES.items():
        path = tables_dir / name
        if not path.exists():
            raise ReportError(f"the run did not write {name}")
        found = list(pd.read_csv(path, nrows=0).columns)
        if found != columns:
            raise ReportError(f"{name} has columns {found}, the contract says {columns}")


def execute_notebook(
    step: Step, output: Path, parameters: dict, *, progress: bool | dict, manager_class
) -> None:
    """Execute one notebook with papermill in the project's kernel; errors as NotebookError."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(step.path),
            str(output),
            parameters=parameters,
            kernel_name=paths.KERNEL_NAME,
            cwd=str(paths.NOTEBOOKS_DIR),
            progress_bar=progress,
            log_output=False,
            report_mode=False,
            kernel_manager_class=manager_class,
        )
    except (DeadKernelError, CellTimeoutError) as exc:
        raise NotebookError(
            f"notebook {step.path.name}: the kernel stopped ({type(exc).__name__}: {exc}); "
            f"the executed notebook so far: {paths.display_path(output)}"
        ) from None
    except PapermillExecutionError as exc:
        raise NotebookError(
            f"notebook {step.path.name} failed in cell {exc.cell_index + 1} of the executed "
            f"notebook (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}\n"
            f"  the executed notebook shows the error: {paths.display_path(output)}"
        ) from None


def _latest_manifest(reports_dir: Path) -> tuple[Path | None, dict]:
    """The folder and manifest of the latest successful run, if any."""
    latest = reports_dir / "latest"
    try:
        manifest = json.loads((latest / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None, {}
    if manifest.get("status") != "succeeded":
        return None, {}
    return latest.resolve(), manifest


def _key_parameters(values: dict, declared: dict) -> dict:
    """A step's parameters as they enter its key: the runner's own (paths of this run) left out."""
    return {k: v for k, v in for_notebook(values, declared).items() if k not in RUNNER_PARAMETERS}


def _up_to_date(steps, values, per_notebook, previous: dict, *, code: str, env: str) -> bool:
    """Whether every step's key equals the latest run's (walking the steps in pipeline order)."""
    old_steps = {s["step"]: s for s in previous.get("steps", [])}
    outputs: dict[str, str] = {}
    for step in steps:
        parameters = _key_parameters(values, per_notebook[step.name])
        key = incremental.key_after(step.path, parameters, outputs, code=code, environment=env)
        old = old_steps.get(step.name)
        if not old or old.get("key") != key or not old.get("outputs"):
            return False
        outputs.update(old["outputs"])
    return True


def run(options: RunOptions) -> RunResult:
    """Run the pipeline incrementally; return what was done.

    Raises a :class:`helpers.errors.ReportError` subclass on any failure; the
    caller (the CLI) turns it into a message and an exit code.
    """
    log = options.log or RunLog()
    started = _utc_now()
    clock = time.perf_counter()
    steps = discover_steps()
    nodes = schedule.graph(steps)
    values, per_notebook = check_parameters(options, steps)
    if options.only:
        nodes, only = schedule.select(nodes, options.only)
    reports_dir = paths.resolve(options.reports_dir)
    _check_latest_is_ours(reports_dir)
    _check_writable(reports_dir)

    with RunLock(reports_dir, timeout=options.lock_timeout):
        code, env = incremental.code_fingerprint(), incremental.environment_fingerprint()
        previous_dir, previous = _latest_manifest(reports_dir)
        formats = sorted(options.formats)
        if (
            not options.force
            and not options.only
            and previous.get("export", {}).get("formats") == formats
            and previous.get("export", {}).get("key") == incremental.export_fingerprint()
            and _up_to_date(steps, values, per_notebook, previous, code=code, env=env)
        ):
            log(
                f"up to date: nothing changed since run {previous['run_id']} "
                f"({time.perf_counter() - clock:.2f} s)"
            )
            return RunResult(previous_dir, up_to_date=True)
        run_id = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"
        # Inherited by the kernel template and every kernel: lets tests find strays.
        os.environ["INCLUSION_REPORT_RUN_ID"] = run_id
        # The kernel template starts importing now, while the data are checked.
        kernels = schedule.KernelGuard(fork=not options.sequential)
        try:
            return _build(
                options,
                log,
                nodes,
                values,
                per_notebook,
                previous_dir,
                previous,
                kernels=kernels,
                run_id=run_id,
                only=only if options.only else None,
                code=code,
                env=env,
                started=started,
                clock=clock,
            )
        finally:
            kernels.close()


def _check_data(raw_path: str, values: dict, log) -> dict:
    """Load and validate the raw table before anything is written (DataError on any problem).

    Returns what the manifest records about the data: rows, and whether they are synthetic.
    """
    from helpers.cleaning import load_clean_data
    from helpers.synthetic import is_synthetic

    data = load_clean_data(raw_path)
    codebook = load_codebook()
    flat = [p for p in values.get("predictors", []) if p in data and data[p].nunique() < 2]
    if flat:
        from helpers.errors import DataError, Problem

        raise DataError(
            paths.display_path(paths.resolve(raw_path)),
            [
                Problem(
                    None,
                    codebook.field(p).label,
                    data[p].iloc[0],
                    "at least two different values across cities (a predictor that never varies fits no line)",
                )
                for p in flat
            ],
        )
    log(f"data ok: {paths.display_path(paths.resolve(raw_path))} ({len(data)} rows)")
    return {"rows": len(data), "synthetic": is_synthetic(data["city"])}


def _build(
    options,
    log,
    nodes,
    values,
    per_notebook,
    previous_dir,
    previous,
    *,
    kernels,
    run_id,
    only,
    code,
    env,
    started,
    clock,
):
    raw_path = values.get("raw_data_path", str(paths.RAW_TABLE))
    data_facts = _check_data(raw_path, values, log)
    steps = [node.step for node in nodes]
    # Load the executor and the exporters now, while the kernel template is still importing.
    import papermill  # noqa: F401

    from helpers import export  # noqa: F401

    reports_dir = paths.resolve(options.reports_dir)
    runs_dir = reports_dir / "runs"
    run_dir = runs_dir / run_id
    try:
        for sub in ("notebooks", "tables", "html", "data"):
            (run_dir / sub).mkdir(parents=True)
    except OSError as exc:
        raise ReportError(f"cannot create the run folder {run_dir}: {exc.strerror}") from None
    if isinstance(log, RunLog):
        log.attach(run_dir / "run.log")

    inputs = {"raw data": raw_path, "data package": paths.DATAPACKAGE}
    if "claims_path" in values:
        inputs["article claims"] = values["claims_path"]
    config = paths.resolve(options.config_path) if options.config_path else paths.CONFIG_FILE
    if config.exists():
        inputs["config"] = config
    inputs |= {f"notebook {step.path.name}": step.path for step in steps}
    manifest = {
        "run_id": run_id,
        "started": started.isoformat(),
        "status": "running",
        "parameters": values,
        "provenance": provenance.collect(inputs),
        "code_sha256": code,
        "data": data_facts,
        "execution": "sequential" if options.sequential else "parallel, forked kernels",
        "steps": [],
    }
    if only is not None:
        manifest["only"] = sorted(only)
    _write_json(run_dir / "manifest.json", manifest)
    processed = run_dir / "data" / paths.PROCESSED_TABLE_NAME
    runner_values = {"output_dir": str(run_dir), "processed_data_path": str(processed)}
    order = {step.name: i for i, step in enumerate(steps)}

    def record(entry: dict) -> None:
        manifest["steps"] = sorted([*manifest["steps"], entry], key=lambda e: order[e["step"]])
        _write_json(run_dir / "manifest.json", manifest)

    context = schedule.Context(
        run_dir=run_dir,
        parameters=lambda step: _key_parameters(values, per_notebook[step.name]),
        notebook_parameters=lambda step: for_notebook(
            {**values, **runner_values}, per_notebook[step.name]
        ),
        code=code,
        environment=env,
        previous_dir=previous_dir,
        previous=previous,
        log=log,
        kernels=kernels,
        workers=1 if options.sequential else WORKERS,
        force=True if options.force else (frozenset(only) if only is not None else False),
        heartbeat=log.heartbeat if isinstance(log, RunLog) else None,
        progress=isinstance(log, RunLog) and log.interactive,
        record=record,
    )
    try:
        entries = schedule.execute(context, nodes)
        if only is None:
            _check_tables(run_dir / "tables")
            t0 = time.perf_counter()
            before = incremental.snapshot(run_dir)
            _export(options, manifest, run_dir, steps, started)
            manifest["export"] = {
                "formats": sorted(options.formats),
                "key": incremental.export_fingerprint(),
                "seconds": round(time.perf_counter() - t0, 3),
                "outputs": provenance.hash_files(
                    run_dir,
                    [
                        name
                        for name in incremental.written(before, incremental.snapshot(run_dir))
                        if name not in ("run.log", "manifest.json")
                    ],
                ),
            }
            log(f"export: done in {time.perf_counter() - t0:.1f} s")
            _record_changes(previous_dir, previous, run_dir, log)
        manifest["steps"] = entries
        manifest["outputs"] = {
            p.relative_to(run_dir).as_posix(): provenance.sha256(p)
            for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.name not in ("manifest.json", "run.log")
        }
        manifest.update(
            status="succeeded",
            finished=_utc_now().isoformat(),
            seconds=round(time.perf_counter() - clock, 3),
        )
        _write_json(run_dir / "manifest.json", manifest)
        if only is None:
            # the one final step: the clean table and reports/latest, together
            _publish(
                processed,
                paths.resolve(options.processed_dir) / paths.PROCESSED_TABLE_NAME,
                reports_dir,
                run_dir,
            )
    except BaseException as exc:
        done = {e["step"] for e in manifest["steps"]}
        failed_step = next((s.name for s in steps if s.name not in done), None)
        if failed_step:
            record({"step": failed_step, "status": "failed"})
        manifest.update(
            status="failed",
            finished=_utc_now().isoformat(),
            seconds=round(time.perf_counter() - clock, 3),
            error=str(exc) or type(exc).__name__,
            failed_step=failed_step,
        )
        _write_json(run_dir / "manifest.json", manifest)
        log(f"run failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        if isinstance(log, RunLog):
            log.close()
        raise

    ran = [e["step"] for e in entries if e["status"] == "ran"]
    if only is not None:
        log(
            f"partial run of {', '.join(sorted(only))} ready in {paths.display_path(run_dir)} "
            f"({manifest['seconds']:.1f} s); reports/latest not changed"
        )
        if isinstance(log, RunLog):
            log.close()
        return RunResult(run_dir, up_to_date=False, ran=ran, partial=True)
    _prune(runs_dir, options.keep, run_dir)
    log(
        f"report ready: {paths.display_path(reports_dir)}/latest -> runs/{run_id} ({manifest['seconds']:.1f} s)"
    )
    if isinstance(log, RunLog):
        log.close()
    return RunResult(run_dir, up_to_date=False, ran=ran)


def _record_changes(previous_dir: Path | None, previous: dict, run_dir: Path, log) -> None:
    """Write changes.json and changes.txt; a failure here is reported, never fatal."""
    from helpers import changes

    try:
        diff = changes.compare_tables(
            previous_dir / "tables" if previous_dir else None, run_dir / "tables"
        )
        summary = changes.summary_lines(diff)
    except Exception as exc:  # a comparison problem must not sink a good run
        diff, summary = {"error": f"{type(exc).__name__}: {exc}"}, [f"could not compare: {exc}"]
    diff["previous_run"] = previous.get("run_id")
    _write_json(run_dir / "changes.json", diff)
    (run_dir / "changes.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")
    headline = "; ".join(line for line in summary if not line.startswith("  "))
    log(f"changes since the previous run: {headline}")


def _export(options: RunOptions, manifest: dict, run_dir: Path, steps, started: datetime) -> None:
    """The reviewer report: HTML and PDF built side by side (xelatex is its own process)."""
    from concurrent.futures import ThreadPoolExecutor

    from helpers import export

    executed = [run_dir / "notebooks" / step.path.name for step in steps]
    combined = export.combine(
        executed, _report_metadata(manifest, started), appendix=export.appendix_cells(manifest)
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        pdf = (
            pool.submit(export.reviewer_pdf, combined, run_dir / "report.pdf")
            if "pdf" in options.formats
            else None
        )
        if "html" in options.formats:
            export.reviewer_html(combined, run_dir / "report.html")
        if pdf is not None:
            pdf.result()
