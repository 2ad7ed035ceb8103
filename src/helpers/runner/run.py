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
from helpers.runner.log import CallbackLog, RunLog
from helpers.runner.params import (
    DESCRIPTION_CONTEXT,
    RUNNER_PARAMETERS,
    Parameter,
    collect_parameters,
    for_notebook,
    notebook_parameters,
    parameter_help,
    read_config,
    resolve_parameters,
)
from helpers.runner.shared import SharedSteps
from helpers.runner.steps import Step, discover_steps

KEEP_RUNS = 20
#: Steps run side by side at most: one per core of a 2-core machine (02 to 05 are all ready once 01 ends).
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
    #: A folder of steps shared with runs started together (a grid gives its variants one,
    #: see :mod:`helpers.runner.shared`); None: this run shares nothing.
    shared_steps: str | os.PathLike[str] | None = None


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
    check_descriptions(parameter_help(per_notebook), report_languages(values))
    return values, per_notebook


def check_descriptions(descriptions: dict[str, str], languages: Sequence[str]) -> None:
    """Refuse, before any step runs, a parameter's description that a report language lacks.

    The annex shows each description (the comment in the parameters cell) in the document's
    language; a comment edited in a notebook but not yet translated would otherwise stop the
    report after every step had run.
    """
    for code in languages:
        if code == i18n.SOURCE_LANGUAGE:
            continue
        language = i18n.language_name(code)
        with i18n.language(code):
            for name, text in descriptions.items():
                try:
                    i18n.pgettext(DESCRIPTION_CONTEXT, text)
                except i18n.MissingTranslation:
                    catalog = paths.display_path(i18n.catalog_path(code, ".po"))
                    raise ParameterError(
                        f"parameter {name!r}: its description (the comment in the notebooks' parameters cell) "
                        f"has no {language} translation in {catalog}; "
                        "run `make locale` and translate it there"
                    ) from None


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
            paths.check_input(
                value, study.input_kind(name), label=f"parameter {name!r}", missing_ok=True
            )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _latest_manifest(
    reports_dir: Path, warn: Callable[[str], None] | None = None
) -> tuple[Path | None, dict]:
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


def _up_to_date(
    steps, values, per_notebook, previous_dir: Path | None, previous: dict, *, code: str, env: str
) -> bool:
    """Whether every step could be reused (:func:`helpers.runner.cache.reusable`), in pipeline order."""
    old_steps = {s["step"]: s for s in previous.get("steps", [])}
    outputs: dict[str, str] = {}
    for step in steps:
        parameters = _key_parameters(values, per_notebook[step.name])
        key = cache.key_after(step.path, parameters, outputs, code=code, environment=env)
        old = old_steps.get(step.name)
        if not cache.reusable(previous_dir, old, key):
            return False
        outputs.update(old["outputs"])
    return True


def run(options: RunOptions) -> RunResult:
    """Run the pipeline incrementally; return what was done.

    Raises a :class:`helpers.errors.ReportError` subclass on any failure; the
    caller (the CLI) turns it into a message and an exit code.
    """
    return Run(options).go()


class Run:
    """One run, from its checked parameters to its published folder.

    Its life cycle: made, it has resolved and checked every parameter and written
    nothing (a bad parameter stops it here, exit code 2); :meth:`go` takes the reports
    folder's lock and either finds everything up to date or builds: opens the run
    folder and its manifest (:meth:`open`), executes or reuses the steps, exports the
    reviewer documents, records and publishes (:meth:`build`); a failure marks the
    manifest failed (:meth:`fail`). The state a run's parts share lives here: options,
    log, parameters, the latest successful run, kernels, the folder, the manifest and
    the clock.
    """

    def __init__(self, options: RunOptions):
        self.options = options
        self.log = RunLog() if options.log is None else CallbackLog(options.log)
        self.started = options.started or _utc_now()
        self.clock = time.perf_counter()
        self.steps = discover_steps()
        self.nodes = step_graph.graph(self.steps)
        self.values, self.per_notebook = check_parameters(options, self.steps)
        self.only: frozenset[str] | None = None
        if options.only:
            self.nodes, self.only = step_graph.select(self.nodes, options.only)
        self.reports_dir = paths.resolve(options.reports_dir)
        publish.check_latest_is_ours(self.reports_dir)
        publish.check_writable(self.reports_dir)
        self.run_id = ""
        self.run_dir: Path | None = None
        self.manifest: dict = {}
        self.kernels: KernelGuard | None = None

    def seconds(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.clock

    def go(self) -> RunResult:
        """Hold the lock; answer "up to date" or build, publish and return the run."""
        with RunLock(self.reports_dir, timeout=self.options.lock_timeout):
            # holding the lock proves that no run recorded as running is still alive
            noticed_by = f"a run started {self.started.isoformat()}"
            for gone in records.mark_abandoned(
                self.reports_dir / "runs", noticed_by=noticed_by, warn=self.log
            ):
                self.log(
                    f"run {gone} was abandoned: its process ended without finishing (manifest updated)"
                )
            self.code, self.env = cache.code_fingerprint(), cache.environment_fingerprint()
            self.previous_dir, self.previous = _latest_manifest(self.reports_dir, warn=self.log)
            self.export_key = _export_key(self.values, self.per_notebook, code=self.code)
            if self.up_to_date():
                self.log(
                    f"up to date: nothing changed since run {self.previous['run_id']} ({self.seconds():.2f} s)"
                )
                return RunResult(self.previous_dir, up_to_date=True)
            self.run_id = (
                self.options.run_id
                or f"{self.started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"
            )
            # Inherited by the kernel template and every kernel: lets tests find strays.
            os.environ["INCLUSION_REPORT_RUN_ID"] = self.run_id
            # The kernel template starts importing now, while the data are checked.
            self.kernels = KernelGuard(
                fork=not self.options.sequential,
                side_by_side=1 if self.options.sequential else WORKERS,
            )
            try:
                return self.build()
            finally:
                self.kernels.close()

    def up_to_date(self) -> bool:
        """Whether the latest run can stand for this one: same keys, its files all there and intact."""
        if self.options.force or self.options.only:
            return False
        export = self.previous.get("export") or {}
        return (
            export.get("formats") == sorted(self.options.formats)
            and cache.reusable(self.previous_dir, export, self.export_key)
            and _up_to_date(
                self.steps,
                self.values,
                self.per_notebook,
                self.previous_dir,
                self.previous,
                code=self.code,
                env=self.env,
            )
        )

    def open(self) -> None:
        """Check the data, make the run folder, start its log and its manifest."""
        options, values = self.options, self.values
        self.raw_path = values.get("raw_data_path", str(paths.RAW_TABLE))
        data_facts = study.check_data(self.raw_path, values, self.log)
        # Load the executor and the exporters now, while the kernel template is still importing;
        # what the report is built with warms up in the background while the steps run.
        import papermill  # noqa: F401

        from helpers.runner import export, typesetting  # noqa: F401

        threading.Thread(target=study.warm_up_report, name="warm-up-report", daemon=True).start()
        steps = [node.step for node in self.nodes]
        provenance = records.collect(
            _inputs(options, values, self.raw_path, steps)
        )  # an input gone: no folder
        self.run_dir = publish.open_run_dir(
            self.reports_dir / "runs", self.run_id, reports_dir=self.reports_dir
        )
        self.log.attach(self.run_dir / "run.log")
        self.manifest = {
            "run_id": self.run_id,
            "started": self.started.isoformat(),
            "status": "running",
            "process": records.this_process(),
            "parameters": values,
            # what each parameter is, from the parameters cells: the annex shows it beside the value
            "parameter_help": parameter_help(self.per_notebook),
            "provenance": provenance,
            "code_sha256": self.code,
            "data": data_facts,
            "execution": _execution(options, self.kernels),
            "steps": [],
        }
        if self.only is not None:
            self.manifest["only"] = sorted(self.only)
        records.write_json(self.run_dir / "manifest.json", self.manifest)
        self.processed = self.run_dir / "data" / paths.PROCESSED_TABLE_NAME
        self.runner_values = {
            "output_dir": str(self.run_dir),
            "processed_data_path": str(self.processed),
        }

    def record(self, entry: dict) -> None:
        """Add a step's entry to the manifest, in pipeline order, and write it."""
        order = {node.step.name: i for i, node in enumerate(self.nodes)}
        self.manifest["steps"] = sorted(
            [*self.manifest["steps"], entry], key=lambda e: order[e["step"]]
        )
        records.write_json(self.run_dir / "manifest.json", self.manifest)

    def context(self) -> Context:
        """What executing the steps needs of this run."""
        values, per_notebook = self.values, self.per_notebook
        return Context(
            run_dir=self.run_dir,
            parameters=lambda step: _key_parameters(values, per_notebook[step.name]),
            notebook_parameters=lambda step: for_notebook(
                {**values, **self.runner_values}, per_notebook[step.name]
            ),
            code=self.code,
            environment=self.env,
            previous_dir=self.previous_dir,
            previous=self.previous,
            log=self.log,
            kernels=self.kernels,
            workers=1 if self.options.sequential else WORKERS,
            force=True if self.options.force else (self.only if self.only is not None else False),
            heartbeat=self.log.heartbeat,
            progress=self.log.interactive,
            record=self.record,
            shared=SharedSteps(self.options.shared_steps).ready() if self.options.shared_steps else None,
        )

    def report_parameters(self, language: str) -> dict:
        """What papermill injects into the report notebook for one language."""
        report = step_graph.REPORT
        return for_notebook(
            {**self.values, **self.runner_values, "language": language}, self.per_notebook[report]
        )

    def build(self) -> RunResult:
        """Open the run, execute or reuse its steps, export, record and publish."""
        self.open()
        run_dir, manifest = self.run_dir, self.manifest
        try:
            entries = execute(self.context(), self.nodes)
            if self.only is None:
                study.check_tables(run_dir / "tables")
                manifest["export"] = _export(
                    self.options,
                    manifest,
                    run_dir,
                    step_graph.report_node(self.nodes),
                    self.report_parameters,
                    kernels=self.kernels,
                    key=self.export_key,
                    log=self.log,
                )
                _record_changes(self.previous_dir, self.previous, run_dir, self.log)
            manifest["steps"] = entries
            manifest["outputs"] = {
                p.relative_to(run_dir).as_posix(): records.sha256(p)
                for p in sorted(run_dir.rglob("*"))
                if p.is_file() and p.name not in ("manifest.json", "run.log")
            }
            manifest.update(
                status="succeeded",
                finished=_utc_now().isoformat(),
                seconds=round(self.seconds(), 3),
            )
            records.write_json(run_dir / "manifest.json", manifest)
            if self.only is None:
                # the one final step: the clean table and reports/latest, together
                publish.publish(
                    self.processed,
                    paths.resolve(self.options.processed_dir) / paths.PROCESSED_TABLE_NAME,
                    self.reports_dir,
                    run_dir,
                )
        except BaseException as exc:
            self.fail(exc)
            if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
                # a write that failed without saying where (papermill, a library): name the run folder
                raise OSError(exc.errno, exc.strerror, f"writing in {run_dir}") from exc
            raise

        ran = [e["step"] for e in entries if e["status"] == "ran"]
        if self.only is not None:
            self.log(
                f"partial run of {', '.join(sorted(self.only))} ready in {paths.display_path(run_dir)} "
                f"({manifest['seconds']:.1f} s); reports/latest not changed"
            )
            self.log.close()
            return RunResult(run_dir, up_to_date=False, ran=ran, partial=True)
        publish.prune(self.reports_dir / "runs", self.options.keep, run_dir)
        self.log(
            f"report ready: {paths.display_path(self.reports_dir)}/latest -> runs/{self.run_id} "
            f"({manifest['seconds']:.1f} s)"
        )
        self.log.close()
        return RunResult(run_dir, up_to_date=False, ran=ran)

    def fail(self, exc: BaseException) -> None:
        """Mark the run failed in its manifest; on a full disk, remove its folder instead.

        A run that failed because the disk is full, or whose manifest cannot be written,
        would leave the disk full and a folder saying "running": its folder goes, and the
        log says so.
        """
        first = str(exc).splitlines()[0] if str(exc) else ""
        try:
            self.record_failure(exc)
            records.write_json(self.run_dir / "manifest.json", self.manifest)
            marked = True
        except OSError:
            marked = False
        if marked and not _disk_full(exc):
            self.log(f"run failed: {type(exc).__name__}: {first}")
            self.log.close()
            return
        self.log.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        self.log(
            f"run failed: {type(exc).__name__}: {first}; its folder {paths.display_path(self.run_dir)} was "
            "removed so that it does not keep the disk full"
        )

    def record_failure(self, exc: BaseException) -> None:
        """Mark the manifest failed, naming the first step that did not finish and the error."""
        done = {e["step"] for e in self.manifest["steps"]}
        failed_step = next((n.step.name for n in self.nodes if n.step.name not in done), None)
        if failed_step:
            self.record({"step": failed_step, "status": "failed"})
        self.manifest.update(
            status="failed",
            finished=_utc_now().isoformat(),
            seconds=round(self.seconds(), 3),
            error=str(exc) or type(exc).__name__,
            failed_step=failed_step,
        )


def _export_key(values: dict, per_notebook: dict, *, code: str) -> str:
    """What the reviewer documents are made with besides the steps' outputs.

    The report notebook and the exporters (:func:`helpers.runner.cache.export_fingerprint`),
    the library the report notebook imports, the wing included (``code``), and the report
    notebook's own parameters (its languages).
    """
    parameters = _key_parameters(values, per_notebook[step_graph.REPORT])
    return cache.digest([cache.export_fingerprint(), code, parameters])


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
DISK_FULL = tuple(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None
)


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full (directly, or in a notebook's or tool's message)."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL:
        return True
    return any(os.strerror(code) in str(exc) for code in DISK_FULL)


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
    notebooks = {
        language: run_dir / "notebooks" / f"report.{language}.ipynb" for language in languages
    }

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
    reviewed = {
        language: export.reviewer_notebook(path, created=created)
        for language, path in notebooks.items()
    }
    with ThreadPoolExecutor(max_workers=2) as pool:  # Typst compiles the PDFs beside the HTMLs
        pdfs = [
            pool.submit(
                export.write_pdf,
                export.reviewer_document(nb),
                run_dir / export.report_name(language, ".pdf"),
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
