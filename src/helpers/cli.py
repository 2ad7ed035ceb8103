"""The ``inclusion-report`` command: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 success; 1 unexpected error; 2 invalid parameters or usage;
3 invalid data; 4 a notebook failed; 5 export failed; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from helpers import paths
from helpers.errors import ReportError

EXIT_INTERRUPTED = 130


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
    run.add_argument("--no-pdf", action="store_true", help="skip the PDF (no LaTeX needed)")
    commands.add_parser("params", help="list each notebook's parameters with type and default")
    commands.add_parser("kernel", help="install the project's Jupyter kernel in this environment")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            from helpers.pipeline import RunOptions, run

            formats = ("html",) if args.no_pdf else ("html", "pdf")
            run(
                RunOptions(
                    cli_parameters=[tuple(p) for p in args.parameter],
                    config_path=args.config,
                    reports_dir=args.reports_dir,
                    processed_dir=args.processed_dir,
                    formats=formats,
                )
            )
        elif args.command == "params":
            from helpers.params import notebook_parameters
            from helpers.pipeline import discover_steps

            for step in discover_steps():
                print(step.path.name)
                for p in notebook_parameters(step.path).values():
                    print(
                        f"  {p.name}: {p.type} = {p.default!r}"
                        + (f"  # {p.help}" if p.help else "")
                    )
        elif args.command == "kernel":
            from helpers.kernel import ensure_kernel

            print(f"kernel {paths.KERNEL_NAME!r} installed in {ensure_kernel()}")
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
