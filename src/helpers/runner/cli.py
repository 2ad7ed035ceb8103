"""The ``inclusion-report`` command: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 success (or up to date); 1 unexpected error, or a write the system
refused (a full disk; the file is named); 2 invalid parameters or usage (a config, grid
or scheduler file that is not a regular file of sane size, a symbolic link where the
tool writes); 3 invalid data (a data file that is not a regular file of sane size
too); 4 a notebook failed; 5 export failed; 6 another run
holds the lock; 7 a grid finished but some of its variants failed; 8 verify:
the re-executed run differs; 9 verify: the run cannot be verified;
130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from helpers import paths
from helpers.errors import ParameterError, ReportError

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


_TERMINATED = {"flag": False}


def _on_sigterm(signum, frame):  # noqa: ARG001 - signal handler signature
    """Turn SIGTERM into KeyboardInterrupt, the one exception every layer unwinds cleanly.

    asyncio (under papermill and nbclient) swallows ordinary exceptions raised in
    callbacks but re-raises KeyboardInterrupt, so kernels are shut down and the
    run is marked failed exactly as for Ctrl-C; the exit code tells them apart.
    """
    _TERMINATED["flag"] = True
    raise KeyboardInterrupt("SIGTERM")


def _lock_timeout(parser: argparse.ArgumentParser, holder: str) -> None:
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=f"wait this long for {holder} to finish before giving up with exit code 6 (default 0)",
    )


def _max_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-input-mb",
        type=float,
        default=None,
        metavar="MB",
        help="accept input files (data, claims, population, codebook, config, grid, manifests) "
        "of up to MB megabytes each, instead of each kind's own limit (a data table: "
        f"{paths.INPUT_LIMITS_MB['data table']} MB); also {paths.MAX_INPUT_VARIABLE}",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inclusion-report",
        description="Run the notebook pipeline and export the reports (HTML and PDF).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="execute the notebooks with papermill and export the reports"
    )
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help='set a notebook parameter (repeatable); lists as a,b or ["a", "b"]',
    )
    run.add_argument(
        "--config",
        default=None,
        help="TOML file with a [parameters] table (default: config/report.toml)",
    )
    run.add_argument(
        "--reports-dir",
        default=str(paths.REPORTS_DIR),
        help="where runs and reports/latest live (default: reports/)",
    )
    run.add_argument(
        "--processed-dir",
        default=str(paths.PROCESSED_DATA_DIR),
        help="where the clean table is published on success (default: data/processed/)",
    )
    run.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    # verify's re-run of a recorded run: the same id and start, so the same PDF bytes
    run.add_argument("--as-run", nargs=2, metavar=("RUN_ID", "STARTED"), help=argparse.SUPPRESS)
    # a grid's variants: steps they have in common are run once (helpers.runner.shared)
    run.add_argument("--shared-steps", metavar="FOLDER", help=argparse.SUPPRESS)
    run.add_argument(
        "--force", action="store_true", help="re-run every step even if nothing changed"
    )
    run.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="STEP",
        help="run only this step (number like 03, or name; repeatable) and the steps it reads "
        "from; the result stays in its run folder and reports/latest is not changed",
    )
    run.add_argument(
        "--sequential",
        action="store_true",
        help="run the steps one at a time, each in a plainly started kernel (slower; for "
        "comparison and debugging)",
    )
    run.add_argument(
        "--keep",
        type=int,
        default=20,
        metavar="N",
        help="keep the N newest run folders (default 20)",
    )
    _lock_timeout(run, "another run")
    _max_input(run)
    grid = commands.add_parser(
        "grid",
        help="run the pipeline once per variant of a grid file, on Dask, and index the results",
    )
    grid.add_argument("grid_file", metavar="GRID.toml", help="the grid (see config/grid.example.toml)")
    grid.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a running Dask scheduler (tcp://HOST:PORT, or a scheduler JSON file); "
        "default: a local cluster of worker processes sized to this machine",
    )
    grid.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local cluster (default: one per core, per 2 GB of "
        "memory and per variant, whichever is fewest)",
    )
    grid.add_argument(
        "--reports-dir",
        default=str(paths.REPORTS_DIR),
        help="the grid goes to <reports-dir>/grid/<name>/ (default: reports/)",
    )
    grid.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    grid.add_argument("--force", action="store_true", help="re-run every variant's every step")
    grid.add_argument(
        "--keep", type=int, default=5, metavar="N", help="run folders kept per variant (default 5)"
    )
    _lock_timeout(grid, "another run of the same grid")
    _max_input(grid)
    verify = commands.add_parser(
        "verify",
        help="re-execute a past run from its manifest (commit, lock file, inputs, parameters) "
        "and check that every table and the report's text come out the same",
    )
    verify.add_argument("run", nargs="?", default="latest", help="a run id, a run folder, or latest (default)")
    verify.add_argument("--reports-dir", default=str(paths.REPORTS_DIR))
    verify.add_argument(
        "--current-code",
        action="store_true",
        help="re-execute with the code and environment as they are now, not the run's own "
        "commit (for a run made from a tree with uncommitted changes)",
    )
    verify.add_argument("--keep-scratch", action="store_true", help="keep the scratch folder (to inspect)")
    _max_input(verify)
    history = commands.add_parser(
        "history", help="list recent runs with status, duration and changes"
    )
    history.add_argument("--reports-dir", default=str(paths.REPORTS_DIR))
    history.add_argument("--limit", type=int, default=10)
    commands.add_parser(
        "params", help="list every parameter once: type, default, description and the notebooks that declare it"
    )
    commands.add_parser("kernel", help="install the project's Jupyter kernel in this environment")
    commands.add_parser(
        "synth",
        help="write a synthetic table of N municipalities in the raw format "
        "(see `inclusion-report synth --help`)",
        add_help=False,
    )
    return parser


def _recorded_start(text: str):
    """The start time of ``--as-run`` (ISO 8601, with its offset, as a manifest records it)."""
    from datetime import datetime

    try:
        started = datetime.fromisoformat(text)
    except ValueError:
        raise ParameterError(
            f"--as-run: the start must be an ISO 8601 time such as 2026-12-05T11:39:41+00:00, got {text!r}"
        ) from None
    if started.tzinfo is None:
        raise ParameterError(f"--as-run: the start must carry its UTC offset, got {text!r}")
    return started


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv) if argv[:1] != ["synth"] else argparse.Namespace(command="synth")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if getattr(args, "max_input_mb", None) is not None:
            if not args.max_input_mb > 0:
                raise ParameterError(f"--max-input-mb must be above 0, got {args.max_input_mb:g}")
            # the environment carries it to the kernels, grid variants and verify's re-run
            os.environ[paths.MAX_INPUT_VARIABLE] = f"{args.max_input_mb:g}"
        if args.command == "synth":  # its options are the generator's own
            from helpers.runner import study

            return study.synth(argv[1:])
        if args.command == "run":
            from helpers.runner.run import RunOptions, run

            formats = ("html",) if args.no_pdf else ("html", "pdf")
            run(
                RunOptions(
                    cli_parameters=[tuple(p) for p in args.parameter],
                    config_path=args.config,
                    reports_dir=args.reports_dir,
                    processed_dir=args.processed_dir,
                    formats=formats,
                    force=args.force,
                    keep=max(1, args.keep),
                    lock_timeout=args.lock_timeout,
                    sequential=args.sequential,
                    only=args.only,
                    run_id=args.as_run[0] if args.as_run else None,
                    started=_recorded_start(args.as_run[1]) if args.as_run else None,
                    shared_steps=args.shared_steps,
                )
            )
        elif args.command == "grid":
            from helpers.runner.grid import GridOptions, run_grid

            if args.workers is not None and args.workers < 1:
                raise ParameterError(f"--workers must be at least 1, got {args.workers}")
            run_grid(
                GridOptions(
                    grid_path=args.grid_file,
                    reports_dir=args.reports_dir,
                    scheduler=args.scheduler,
                    workers=args.workers,
                    formats=("html",) if args.no_pdf else ("html", "pdf"),
                    force=args.force,
                    keep=max(1, args.keep),
                    lock_timeout=args.lock_timeout,
                )
            )
        elif args.command == "verify":
            from helpers.runner.verify import VerifyOptions, verify

            verify(
                VerifyOptions(
                    run=args.run,
                    reports_dir=args.reports_dir,
                    current_code=args.current_code,
                    keep_scratch=args.keep_scratch,
                )
            )
        elif args.command == "history":
            from helpers.runner.changes import history

            for entry in history(paths.resolve(args.reports_dir), args.limit):
                seconds = f"{entry['seconds']:.1f} s" if entry.get("seconds") is not None else "-"
                ran = ",".join(step[:2] for step in entry["ran"]) or "none"
                detail = (
                    entry["changes"] or entry["error"].splitlines()[0]
                    if (entry["changes"] or entry["error"])
                    else ""
                )
                print(
                    f"{entry['run_id']}  {entry['status']:<9} {seconds:>8}  ran: {ran:<12} {detail}"
                )
        elif args.command == "params":
            from helpers.runner import study
            from helpers.runner.params import (
                RUNNER_PARAMETERS,
                collect_parameters,
                notebook_parameters,
                parameter_help,
            )
            from helpers.runner.steps import discover_steps, report_step

            defaults = study.role_defaults()
            notebooks = [step.path for step in [*discover_steps(), report_step()]]
            # the descriptions the manifest records and the annex shows, one per parameter
            described = parameter_help({path.name: notebook_parameters(path) for path in notebooks})
            print("Parameters (set them in config/report.toml or with -p NAME VALUE):")
            for p in collect_parameters(notebooks).values():
                print(
                    f"  {p.name}: {p.type} = {p.default!r}"
                    + (f"  # {described[p.name]}" if p.name in described else "")
                )
                if p.name in defaults and not p.default:
                    print(f"      empty means, from the codebook: {defaults[p.name]!r}")
                if p.name in RUNNER_PARAMETERS:
                    print("      set by the runner for each run (choose the folders with --reports-dir)")
                print(f"      declared in: {', '.join(p.notebooks)}")
        elif args.command == "kernel":
            from helpers.runner.kernels import ensure_kernel

            print(f"kernel {paths.KERNEL_NAME!r} installed in {ensure_kernel()}")
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a full disk, a vanished folder: say what and where, no traceback
        folder = getattr(args, "reports_dir", None)
        where = f" ({exc.filename})" if exc.filename else (f" (in {folder})" if folder else "")
        print(
            f"error: {exc.strerror or exc}{where}; reports/latest left as it was", file=sys.stderr
        )
        return 1
    except MemoryError:  # an input too big for this machine despite the limits: no traceback
        print("error: out of memory; reports/latest left as it was", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        what = "terminated (SIGTERM)" if _TERMINATED["flag"] else "interrupted"
        print(f"{what}; reports/latest left as it was", file=sys.stderr)
        return EXIT_TERMINATED if _TERMINATED["flag"] else EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
