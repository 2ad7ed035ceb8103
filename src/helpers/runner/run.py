"""A run, orchestrated: parameters checked, notebooks executed, reports exported, then published.

A run builds everything inside its own folder, ``<reports>/runs/<UTC time>-<id>/``,
while holding the reports folder's lock. Steps whose inputs did not change since
the latest successful run are not executed again: their outputs are linked in
(see :mod:`helpers.runner.cache`). Only when every step and every export succeeded
and the manifest says so do ``<reports>/latest`` and the clean table in
``data/processed/`` change, together, as the run's one final step (two renames
back to back, the first undone if the second fails; see :func:`helpers.runner.publish.publish`). A
failed or interrupted run leaves ``latest`` and ``data/processed/`` exactly as
they were, and its own folder, marked failed, for inspection. When nothing changed
at all, no folder is made: the run says "up to date".
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from helpers import i18n, paths
from helpers.errors import ParameterError
from helpers.runner import cache, publish, records, study
from helpers.runner import steps as step_graph
from helpers.runner.execute import Context, KernelGuard, execute
from helpers.runner.lock import RunLock
from helpers.runner.log import RunLog
from helpers.runner.params import (
    RUNNER_PARAMETERS,
    Parameter,
    collect_parameters,
    for_notebook,
    notebook_parameters,
    read_config,
    resolve_parameters,
)
from helpers.runner.steps import Step, discover_steps

KEEP_RUNS = 20
#: Steps run side by side at most (the graph allows two: 02 and 03).
WORKERS = 2


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
    #: The id and start of a recorded run, when ``verify`` runs it again: the report then
    #: names the same run and carries the same creation time, so its PDFs compare byte for byte.
    run_id: str | None = None
    started: datetime | None = None


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
    """Resolve every parameter (notebook defaults, config file, command line) and check it.

    The parameters are those of the numbered notebooks and of the report notebook
    (``language`` and ``languages``: the reviewer document's languages).
    """
    notebooks = [*steps, step_graph.report_step()]
    per_notebook = {step.name: notebook_parameters(step.path) for step in notebooks}
    declared = collect_parameters(step.path for step in notebooks)
    values = resolve_parameters(declared, read_config(options.config_path), options.cli_parameters)
    check_input_files(values)
    study.check_values(values)
    try:
        for code in report_languages(values):
            if code != i18n.SOURCE_LANGUAGE:
                i18n.translations(code)  # compiled and current, before any step runs
    except (i18n.UnknownLanguage, i18n.MissingTranslation) as exc:
        raise ParameterError(f"parameters 'language' and 'languages': {exc}") from None
    return values, per_notebook


def check_input_files(values: dict) -> None:
    """Refuse, before anything reads them, inputs that are not regular files of sane size.

    The codebook and every file a ``*_path`` parameter names (the runner's own output
    paths aside): a FIFO, a device, ``/dev/stdin`` or a pipe would hang a reader or fill
    its memory. A file that does not exist is left to the check that reads it, which
    says what it expected there.
    """
    paths.check_input(paths.DATAPACKAGE, "codebook", label="the codebook")
    for name, value in sorted(values.items()):
        if name.endswith("_path") and name not in RUNNER_PARAMETERS and isinstance(value, str):
            paths.check_input(value, study.input_kind(name), label=f"parameter {name!r}", missing_ok=True)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _latest_manifest(reports_dir: Path, warn: Callable[[str], None] | None = None) -> tuple[Path | None, dict]:
    """The folder and manifest of the latest successful run, if any.

    A manifest that cannot be read as one is ignored (every step then runs), and named
    to ``warn``.
    """
    latest = reports_dir / "latest"
    if not latest.is_symlink():
        return None, {}
    try:
        manifest = records.read_manifest(latest / "manifest.json")
    except records.Unreadable as exc:
        if warn is not None and exc.reason != "missing":
            warn(f"ignored the latest run's manifest, {exc}; every step runs")
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
        key = cache.key_after(step.path, parameters, outputs, code=code, environment=env)
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
    started = options.started or _utc_now()
    clock = time.perf_counter()
    steps = discover_steps()
    nodes = step_graph.graph(steps)
    values, per_notebook = check_parameters(options, steps)
    if options.only:
        nodes, only = step_graph.select(nodes, options.only)
    reports_dir = paths.resolve(options.reports_dir)
    publish.check_latest_is_ours(reports_dir)
    publish.check_writable(reports_dir)

    with RunLock(reports_dir, timeout=options.lock_timeout):
        # holding the lock proves that no run recorded as running is still alive
        noticed_by = f"a run started {started.isoformat()}"
        for gone in records.mark_abandoned(reports_dir / "runs", noticed_by=noticed_by, warn=log):
            log(f"run {gone} was abandoned: its process ended without finishing (manifest updated)")
        code, env = cache.code_fingerprint(), cache.environment_fingerprint()
        previous_dir, previous = _latest_manifest(reports_dir, warn=log)
        formats = sorted(options.formats)
        export_key = _export_key(values, per_notebook)
        if (
            not options.force
            and not options.only
            and previous.get("export", {}).get("formats") == formats
            and previous.get("export", {}).get("key") == export_key
            and _up_to_date(steps, values, per_notebook, previous, code=code, env=env)
        ):
            log(
                f"up to date: nothing changed since run {previous['run_id']} "
                f"({time.perf_counter() - clock:.2f} s)"
            )
            return RunResult(previous_dir, up_to_date=True)
        run_id = options.run_id or f"{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"
        # Inherited by the kernel template and every kernel: lets tests find strays.
        os.environ["INCLUSION_REPORT_RUN_ID"] = run_id
        # The kernel template starts importing now, while the data are checked.
        kernels = KernelGuard(fork=not options.sequential)
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
                export_key=export_key,
                started=started,
                clock=clock,
            )
        finally:
            kernels.close()


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
    export_key,
    started,
    clock,
):
    raw_path = values.get("raw_data_path", str(paths.RAW_TABLE))
    data_facts = study.check_data(raw_path, values, log)
    steps = [node.step for node in nodes]
    # Load the executor and the exporters now, while the kernel template is still importing;
    # what the report is built with warms up in the background while the steps run.
    import papermill  # noqa: F401

    from helpers.runner import export, typesetting  # noqa: F401

    threading.Thread(target=study.warm_up_report, name="warm-up-report", daemon=True).start()

    reports_dir = paths.resolve(options.reports_dir)
    runs_dir = reports_dir / "runs"
    provenance = records.collect(_inputs(options, values, raw_path, steps))  # an input gone: no folder
    run_dir = publish.open_run_dir(runs_dir, run_id, reports_dir=reports_dir)
    if isinstance(log, RunLog):
        log.attach(run_dir / "run.log")
    manifest = {
        "run_id": run_id,
        "started": started.isoformat(),
        "status": "running",
        "process": records.this_process(),
        "parameters": values,
        "provenance": provenance,
        "code_sha256": code,
        "data": data_facts,
        "execution": _execution(options, kernels),
        "steps": [],
    }
    if only is not None:
        manifest["only"] = sorted(only)
    records.write_json(run_dir / "manifest.json", manifest)
    processed = run_dir / "data" / paths.PROCESSED_TABLE_NAME
    runner_values = {"output_dir": str(run_dir), "processed_data_path": str(processed)}
    order = {step.name: i for i, step in enumerate(steps)}

    def record(entry: dict) -> None:
        manifest["steps"] = sorted([*manifest["steps"], entry], key=lambda e: order[e["step"]])
        records.write_json(run_dir / "manifest.json", manifest)

    context = Context(
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
        entries = execute(context, nodes)
        if only is None:
            study.check_tables(run_dir / "tables")
            report = step_graph.report_node(nodes)
            manifest["export"] = _export(
                options,
                manifest,
                run_dir,
                report,
                lambda language: for_notebook(
                    {**values, **runner_values, "language": language}, per_notebook[report.step.name]
                ),
                kernels=kernels,
                key=export_key,
                log=log,
            )
            _record_changes(previous_dir, previous, run_dir, log)
        manifest["steps"] = entries
        manifest["outputs"] = {
            p.relative_to(run_dir).as_posix(): records.sha256(p)
            for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.name not in ("manifest.json", "run.log")
        }
        manifest.update(
            status="succeeded",
            finished=_utc_now().isoformat(),
            seconds=round(time.perf_counter() - clock, 3),
        )
        records.write_json(run_dir / "manifest.json", manifest)
        if only is None:
            # the one final step: the clean table and reports/latest, together
            publish.publish(
                processed,
                paths.resolve(options.processed_dir) / paths.PROCESSED_TABLE_NAME,
                reports_dir,
                run_dir,
            )
    except BaseException as exc:
        _fail(manifest, steps, exc, record, run_dir, log, clock=clock)
        if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
            # a write that failed without saying where (papermill, a library): name the run folder
            raise OSError(exc.errno, exc.strerror, f"writing in {run_dir}") from exc
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
    publish.prune(runs_dir, options.keep, run_dir)
    log(
        f"report ready: {paths.display_path(reports_dir)}/latest -> runs/{run_id} ({manifest['seconds']:.1f} s)"
    )
    if isinstance(log, RunLog):
        log.close()
    return RunResult(run_dir, up_to_date=False, ran=ran)


def _export_key(values: dict, per_notebook: dict) -> str:
    """What the reviewer documents are made with besides the steps' outputs.

    The report notebook, the wing and the exporters (:func:`helpers.runner.cache.export_fingerprint`)
    and the report notebook's own parameters (its languages).
    """
    parameters = _key_parameters(values, per_notebook[step_graph.REPORT])
    return cache.digest([cache.export_fingerprint(), parameters])


def _inputs(options: RunOptions, values: dict, raw_path: str, steps) -> dict:
    """The files a run is made from, by role, for the manifest's provenance."""
    inputs = {"raw data": raw_path, "data package": paths.DATAPACKAGE}
    if "claims_path" in values:
        inputs["article claims"] = values["claims_path"]
    config = paths.resolve(options.config_path) if options.config_path else paths.CONFIG_FILE
    if config.exists():
        inputs["config"] = config
    report = step_graph.report_step()
    return inputs | {f"notebook {step.path.name}": step.path for step in [*steps, report]}


def _execution(options: RunOptions, kernels: KernelGuard) -> str:
    """How the steps ran, as the manifest records it."""
    if options.sequential:
        return "sequential"
    return "parallel, forked kernels" if kernels.forked else "parallel, plainly started kernels"


#: Errors that mean the disk (or the user's quota) is full.
DISK_FULL = tuple(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None)


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full (directly, or in a notebook's or tool's message)."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL:
        return True
    return any(os.strerror(code) in str(exc) for code in DISK_FULL)


def _fail(manifest: dict, steps, exc: BaseException, record, run_dir: Path, log, *, clock: float) -> None:
    """Mark a failed run failed in its manifest; on a full disk, remove its folder instead.

    A run that failed because the disk is full, or whose manifest cannot be written,
    would leave the disk full and a folder saying "running": its folder goes, and the
    log says so.
    """
    first = str(exc).splitlines()[0] if str(exc) else ""
    try:
        _record_failure(manifest, steps, exc, record, clock=clock)
        records.write_json(run_dir / "manifest.json", manifest)
        marked = True
    except OSError:
        marked = False
    if marked and not _disk_full(exc):
        log(f"run failed: {type(exc).__name__}: {first}")
        if isinstance(log, RunLog):
            log.close()
        return
    if isinstance(log, RunLog):
        log.close()
    shutil.rmtree(run_dir, ignore_errors=True)
    log(
        f"run failed: {type(exc).__name__}: {first}; its folder {paths.display_path(run_dir)} was "
        "removed so that it does not keep the disk full"
    )


def _record_failure(manifest: dict, steps, exc: BaseException, record, *, clock: float) -> None:
    """Mark the manifest failed, naming the first step that did not finish and the error."""
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


def _record_changes(previous_dir: Path | None, previous: dict, run_dir: Path, log) -> None:
    """Write changes.json and changes.txt; a failure here is reported, never fatal."""
    from helpers.runner import changes

    try:
        diff = changes.compare_tables(
            previous_dir / "tables" if previous_dir else None, run_dir / "tables"
        )
        summary = changes.summary_lines(diff)
    except Exception as exc:  # a comparison problem must not sink a good run
        diff, summary = {"error": f"{type(exc).__name__}: {exc}"}, [f"could not compare: {exc}"]
    diff["previous_run"] = previous.get("run_id")
    records.write_json(run_dir / "changes.json", diff)
    paths.write_atomic(run_dir / "changes.txt", "\n".join(summary) + "\n")
    headline = "; ".join(line for line in summary if not line.startswith("  "))
    log(f"changes since the previous run: {headline}")


def report_languages(parameters: dict) -> list[str]:
    """The languages of a run's reviewer reports: parameter ``language`` first, then ``languages``."""
    return i18n.report_languages(
        parameters.get("language", i18n.SOURCE_LANGUAGE), parameters.get("languages", [])
    )


def _export(
    options: RunOptions,
    manifest: dict,
    run_dir: Path,
    report,
    parameters: Callable[[str], dict],
    *,
    kernels: KernelGuard,
    key: str,
    log,
) -> dict:
    """The reviewer documents: the report notebook run once per language, then its HTML and PDF.

    The languages' notebooks run side by side (``notebooks/report.<language>.ipynb``),
    then each is exported; Typst compiles the PDFs outside the GIL while the HTMLs
    are written. Returns what the manifest records of it: formats, key, seconds,
    the PDF's maker and the files written.
    """
    from concurrent.futures import ThreadPoolExecutor

    from helpers.runner import export, typesetting
    from helpers.runner.execute import execute_notebook

    t0 = time.perf_counter()
    before = cache.snapshot(run_dir)
    languages = report_languages(manifest.get("parameters", {}))
    notebooks = {language: run_dir / "notebooks" / f"report.{language}.ipynb" for language in languages}

    def document(language: str) -> None:
        execute_notebook(
            report.step,
            notebooks[language],
            parameters(language),
            progress=False,
            manager_class=kernels.manager_class(report),
        )

    workers = 1 if options.sequential else WORKERS
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        try:
            for done in [pool.submit(document, language) for language in languages]:
                done.result()
        except BaseException:
            kernels.stop_all()
            raise
    log(f"report notebook: {', '.join(languages)} done in {time.perf_counter() - t0:.1f} s")
    created = manifest["started"]
    reviewed = {language: export.reviewer_notebook(path, created=created) for language, path in notebooks.items()}
    with ThreadPoolExecutor(max_workers=2) as pool:  # Typst compiles the PDFs beside the HTMLs
        pdfs = [
            pool.submit(
                export.write_pdf, export.reviewer_document(nb), run_dir / export.report_name(language, ".pdf")
            )
            for language, nb in reviewed.items()
            if "pdf" in options.formats
        ]
        if "html" in options.formats:
            for language, nb in reviewed.items():
                export.reviewer_html(nb, run_dir / export.report_name(language, ".html"))
        for pdf in pdfs:
            pdf.result()
    written = cache.written(before, cache.snapshot(run_dir))
    log(f"export: done in {time.perf_counter() - t0:.1f} s")
    return {
        "formats": sorted(options.formats),
        "languages": languages,
        "key": key,
        "pdf": typesetting.MAKER if "pdf" in options.formats else None,
        "seconds": round(time.perf_counter() - t0, 3),
        "outputs": records.hash_files(
            run_dir, [name for name in written if name not in ("run.log", "manifest.json")]
        ),
    }
