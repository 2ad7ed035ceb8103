"""The pipeline runner: parameters checked, notebooks executed, reports exported, then published.

A run builds everything inside its own folder, ``<reports>/runs/<UTC time>-<id>/``.
Only when every notebook and every export succeeded does ``<reports>/latest``
switch to it, in one atomic step (a symlink replaced with ``os.replace``), and
only then is the clean table copied into ``data/processed/``. A failed run
leaves ``latest`` and ``data/processed/`` exactly as they were, and its own
folder, marked failed, for inspection.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import papermill
from papermill.exceptions import PapermillExecutionError

from helpers import contract, export, paths, provenance
from helpers.cleaning import load_clean_data
from helpers.codebook import load_codebook
from helpers.errors import NotebookError, ParameterError, ReportError
from helpers.kernel import LocalKernelManager, ensure_kernel
from helpers.params import (
    Parameter,
    collect_parameters,
    for_notebook,
    notebook_parameters,
    read_config,
    resolve_parameters,
)

#: The machine-readable tables every successful run must contain, with their columns.
CONTRACT_TABLES = contract.TABLES
REPORT_TITLE = "Municipal programmes for the integration of immigrants in Italy"
REPORT_SUBJECT = "ReCoSol and Inclusione Attiva: data, descriptive statistics, regressions"
KEEP_RUNS = 20
#: Fewest Monte-Carlo permutations accepted (used only when there are more than 10 cities).
MIN_RESAMPLES = 100_000


@dataclass(frozen=True)
class Step:
    """One notebook of the pipeline."""

    number: int
    path: Path

    @property
    def name(self) -> str:
        """File name without extension, e.g. ``02_descriptive_statistics``."""
        return self.path.stem


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
    log: Callable[[str], None] = field(
        default=lambda message: print(message, file=sys.stderr, flush=True)
    )


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
    return {
        "title": REPORT_TITLE,
        "subtitle": (
            f"Figures from \u201c{source['title']}\u201d by {source['author']}, "
            f"{source['publication']} {source['issue']}, {published}"
        ),
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


def _check_latest_is_ours(reports_dir: Path) -> None:
    """Refuse to start when ``latest`` is not the symlink this tool maintains."""
    latest = reports_dir / "latest"
    if latest.exists() and not latest.is_symlink():
        raise ReportError(
            f"{latest} is a real folder, not the link this tool maintains; "
            "move it away and run again"
        )


def _switch_latest(reports_dir: Path, run_dir: Path) -> None:
    """Point ``reports/latest`` at ``run_dir`` atomically."""
    latest = reports_dir / "latest"
    _check_latest_is_ours(reports_dir)
    tmp = reports_dir / f".latest.{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(run_dir, reports_dir), tmp)
    os.replace(tmp, latest)


def _publish_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file in the target's folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


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


def _execute(step: Step, output: Path, parameters: dict) -> None:
    try:
        papermill.execute_notebook(
            str(step.path),
            str(output),
            parameters=parameters,
            kernel_name=paths.KERNEL_NAME,
            cwd=str(paths.NOTEBOOKS_DIR),
            progress_bar=False,
            log_output=False,
            report_mode=False,
            kernel_manager_class=LocalKernelManager,
        )
    except PapermillExecutionError as exc:
        raise NotebookError(
            f"notebook {step.path.name} failed in cell {exc.cell_index + 1} of the executed "
            f"notebook (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}\n"
            f"  the executed notebook shows the error: {paths.display_path(output)}"
        ) from None


def run(options: RunOptions) -> Path:
    """Run the whole pipeline; return the run folder (now ``reports/latest``).

    Raises a :class:`helpers.errors.ReportError` subclass on any failure; the
    caller (the CLI) turns it into a message and an exit code.
    """
    log = options.log
    started = _utc_now()
    steps = discover_steps()
    values, per_notebook = check_parameters(options, steps)

    raw_path = values.get("raw_data_path", str(paths.RAW_TABLE))
    data = load_clean_data(raw_path)  # fail on bad data before anything is written
    log(f"data ok: {paths.display_path(paths.resolve(raw_path))} ({len(data)} rows)")

    reports_dir = paths.resolve(options.reports_dir)
    _check_latest_is_ours(reports_dir)
    runs_dir = reports_dir / "runs"
    run_id = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"
    run_dir = runs_dir / run_id
    try:
        (run_dir / "notebooks").mkdir(parents=True)
        (run_dir / "tables").mkdir()
        (run_dir / "html").mkdir()
        (run_dir / "data").mkdir()
    except OSError as exc:
        raise ReportError(f"cannot create the run folder {run_dir}: {exc.strerror}") from None

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
        "steps": [],
    }
    _write_json(run_dir / "manifest.json", manifest)
    processed = run_dir / "data" / paths.PROCESSED_TABLE_NAME
    runner_values = {"output_dir": str(run_dir), "processed_data_path": str(processed)}
    try:
        ensure_kernel()
        executed = []
        for step in steps:
            t0 = time.perf_counter()
            output = run_dir / "notebooks" / step.path.name
            parameters = for_notebook({**values, **runner_values}, per_notebook[step.name])
            log(f"step {step.name}: running")
            _execute(step, output, parameters)
            executed.append(output)
            duration = time.perf_counter() - t0
            manifest["steps"].append(
                {"step": step.name, "status": "ok", "seconds": round(duration, 2)}
            )
            log(f"step {step.name}: done in {duration:.1f} s")
        _check_tables(run_dir / "tables")

        t0 = time.perf_counter()
        for output in executed:
            export.researcher_html(output, run_dir / "html" / f"{output.stem}.html")
        combined = export.combine(
            executed, _report_metadata(manifest, started), appendix=export.appendix_cells(manifest)
        )
        if "html" in options.formats:
            export.reviewer_html(combined, run_dir / "report.html")
        if "pdf" in options.formats:
            export.reviewer_pdf(combined, run_dir / "report.pdf")
        log(f"export: done in {time.perf_counter() - t0:.1f} s")
        _publish_copy(processed, paths.resolve(options.processed_dir) / paths.PROCESSED_TABLE_NAME)
    except BaseException as exc:
        manifest.update(
            status="failed", finished=_utc_now().isoformat(), error=str(exc) or type(exc).__name__
        )
        _write_json(run_dir / "manifest.json", manifest)
        raise

    manifest.update(status="succeeded", finished=_utc_now().isoformat())
    _write_json(run_dir / "manifest.json", manifest)
    _switch_latest(reports_dir, run_dir)
    _prune(runs_dir, KEEP_RUNS, run_dir)
    log(f"report ready: {paths.display_path(reports_dir)}/latest -> runs/{run_id}")
    return run_dir
