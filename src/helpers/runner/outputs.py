"""The page docs/outputs.md: what a run folder holds, generated from the tables' contract.

Every table of the contract (:data:`helpers.runner.study.CONTRACT_TABLES`, which is
``helpers.contract.TABLES``) is listed with its file name, the step that writes it
(from the notebooks' declared ``writes``), one line on what it holds and its columns
in order; then the run folder's other files. Nothing about the columns is typed twice:
a column added to the contract appears on the page the next time it is generated.

The one line per table lives here, in :data:`TABLE_DESCRIPTIONS`, and nowhere else.
(``contract.py`` comments only some of its column lists, and one table joins two of
them, so its comments cannot serve as the source.) A table of the contract without a
description, or a description of a table the contract no longer has, stops the page.

``python -m helpers.runner.outputs > docs/outputs.md`` (``make docs``) writes the page;
``tests/test_docs.py`` keeps the committed page equal to :func:`markdown`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from babel import Locale

from helpers import i18n, paths
from helpers.runner import cache, study
from helpers.runner.export import report_name
from helpers.runner.steps import discover_steps

#: One line on what each table of the contract holds (file name under ``<run>/tables/``).
TABLE_DESCRIPTIONS = {
    "descriptive_statistics.csv": "One row per numeric indicator: count, mean, standard deviation, "
    "minimum, quartiles and maximum, at full precision.",
    "simple_regressions.csv": "One row per outcome–input pair: the least-squares fit, then the primary "
    "permutation test, its family adjustments (`adjustment` names the declared one) and the checks.",
    "loo_sensitivity.csv": "Each pair's fit again without each city in turn: one row per pair and city "
    "left out.",
    "influence.csv": "Leverage, Cook's distance and DFBETAS of every city in every pair's fit.",
    "claims_check.csv": "Each claim of the article's text checked against its table: the status, the "
    "reason, and which way a doubted figure could be wrong.",
    "findings.csv": "One row per pair: the verdict, r with its 95% interval and n, the adjusted p and its "
    "range, the cities that decide it, the pair without the doubted figures, and the finding in plain "
    "English.",
    "power.csv": "What this many cities can detect, for one test and for the whole family of pairs.",
    "specification_curve.csv": "Every pair under every input scale, sample and estimator: the estimate "
    "with its interval, n and an unadjusted p-value.",
    "specification_joint_test.csv": "The joint test of each pair's specification curve: how many "
    "specifications lie wholly on one side of zero, against shufflings of the outcome.",
    "cleaning_changes.csv": "Every cell the cleaning wrote differently from the published text (Italian "
    "numbers read as numbers).",
    "correlations.csv": "Each pair of indicators: Pearson's r with its 95% interval, and Spearman's rho.",
    "verdict_calibration.csv": "The verdict rules simulated on this design, per pair and scenario: how "
    "often each verdict comes out, the power of each check, and which checks may weaken the verdict.",
    "tipping_points.csv": "Each doubted figure of a pair whose primary p is below alpha, as a bound: the "
    "value at which the primary test would change its answer.",
}

#: Tables written only when a parameter asks for them (not in the contract): name -> when and what.
OPTIONAL_TABLES = {
    "multiple_regressions.csv": "written only when the parameter `multiple_regression` is true. Each "
    "outcome on all inputs together, one row per coefficient.",
}


def _writers() -> dict[str, str]:
    """Table file name -> the numbered step that declares it among its writes."""
    found = {}
    for step in discover_steps():
        for item in cache.declared_writes(step.path) or []:
            if item.startswith("tables/"):
                found[item.removeprefix("tables/")] = step.name
    return found


def _check_descriptions(tables: Sequence[str]) -> None:
    missing = [name for name in tables if name not in TABLE_DESCRIPTIONS]
    stale = [name for name in TABLE_DESCRIPTIONS if name not in tables]
    if missing or stale:
        raise ValueError(
            "helpers/runner/outputs.py: TABLE_DESCRIPTIONS must describe exactly the contract's tables"
            + (f"; no description for {', '.join(missing)}" if missing else "")
            + (f"; not in the contract: {', '.join(stale)}" if stale else "")
        )


def _reports() -> str:
    """The reviewer documents, in every language the report can be written in, as one list item."""
    names = [
        f"`{report_name(code, '.pdf')}` and `{report_name(code, '.html')}` "
        f"({Locale.parse(code).get_language_name('en')})"
        for code in i18n.LANGUAGES
    ]
    return (
        f"- {', '.join(names)}: the reviewer document, once per language of the run. The PDF is "
        "tagged (PDF/UA-1; none with `--no-pdf`); the HTML is one self-contained file that works offline."
    )


def markdown() -> str:
    """The page docs/outputs.md, as Markdown."""
    tables = list(study.CONTRACT_TABLES)
    _check_descriptions(tables)
    writers = _writers()
    lines = [
        "# What a run writes",
        "",
        "<!-- Generated by `make docs` (python -m helpers.runner.outputs) from src/helpers/contract.py",
        "     and src/helpers/runner/outputs.py; edit those, not this page. -->",
        "",
        "Each run builds in its own folder, `reports/runs/<UTC time>-<id>/`. When it succeeds,",
        "`reports/latest` points at it (see [operations.md](operations.md)). Everything below is",
        "relative to that folder. What the columns mean is in [methods.md](methods.md).",
        "",
        "## Tables",
        "",
        "The machine-readable tables are in `tables/`, as CSV with full precision. Every",
        "successful run writes each of these with exactly these columns, in this order; the",
        "runner checks every run against `src/helpers/contract.py`.",
        "",
    ]
    for name in tables:
        writer = writers.get(name)
        lines += [
            f"### `{name}`",
            "",
            TABLE_DESCRIPTIONS[name] + (f" Written by step `{writer}`." if writer else ""),
            "",
            "Columns: " + ", ".join(f"`{column}`" for column in study.CONTRACT_TABLES[name]) + ".",
            "",
        ]
    lines += ["Not in the contract:", ""]
    lines += [f"- `{name}`: {text}" for name, text in OPTIONAL_TABLES.items()]
    lines += [
        "",
        "## The other files",
        "",
        _reports(),
        "- `html/NN_*.html`: each executed step with its code, for researchers (one per numbered "
        "notebook).",
        "- `notebooks/`: the executed notebooks. `NN_*.ipynb` is one per step; "
        "`report.<language>.ipynb` is the report notebook, executed once per language.",
        f"- `data/{paths.PROCESSED_TABLE_NAME}`: the clean table. When the run is published, it "
        f"replaces `data/processed/{paths.PROCESSED_TABLE_NAME}` in the same step as `latest`.",
        "- `manifest.json`: the run's record: id, start and end, status, each step (ran, reused or "
        "failed, with its key), the parameters, the SHA-256 of every input and output, the git "
        "commit, the lock file's hash, Python and package versions. `inclusion-report verify` reads it.",
        "- `run.log`: the run's log, one timestamped line per event.",
        "- `changes.json`, `changes.txt`: which numbers moved since the previous successful run, and by "
        "how much.",
        "",
        "A run started with `--only` writes only its steps' files and publishes nothing. A grid writes",
        "one such folder per variant, under `reports/grid/<name>/` (see [grids.md](grids.md)).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the page (``python -m helpers.runner.outputs > docs/outputs.md``)."""
    if list(sys.argv[1:] if argv is None else argv):
        print("usage: python -m helpers.runner.outputs > docs/outputs.md", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
