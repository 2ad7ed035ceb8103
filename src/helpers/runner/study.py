"""The runner's one window on the analysis: parameter rules, the data check, report metadata.

Every other module of :mod:`helpers.runner` runs notebooks without knowing what
they compute. What the runner needs to know about this study lives here: which
parameters name variables of the codebook and how many resamples are enough,
how to check the raw table before anything runs, the contract of the tables a
run must write, the report's title page and provenance appendix, the modules a
kernel template preloads, and the synthetic-data generator behind
``inclusion-report synth``. The import contract in ``pyproject.toml`` keeps it so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from helpers import contract, paths
from helpers.codebook import load_codebook
from helpers.errors import DataError, ParameterError, Problem, ReportError

if TYPE_CHECKING:
    import nbformat

# pandas, the cleaning code and the exporters are imported where they are used: the
# runner starts its kernel template first and loads them while that one imports.

#: The machine-readable tables every successful run must contain, with their columns.
CONTRACT_TABLES = contract.TABLES
REPORT_TITLE = "Municipal programmes for the integration of immigrants in Italy"
REPORT_SUBJECT = "ReCoSol and Inclusione Attiva: data, descriptive statistics, regressions"
#: Fewest Monte-Carlo permutations accepted (used only when there are more than 10 cities).
MIN_RESAMPLES = 100_000

#: Modules a kernel template imports, in this order: first what every kernel needs and
#: what step 01 (cleaning) uses, then the plotting and modelling stack. The template
#: answers requests between two imports, so an early kernel does not wait for
#: the modules it will never use (it imports anything missing itself).
PRELOAD = (
    "IPython",
    "ipykernel.kernelapp",
    "numpy",
    "pandas",
    "pandera.pandas",
    "helpers.cleaning",
    "helpers.codebook",
    "helpers.report",
    "helpers.tables",
    "scipy.stats",
    "statsmodels.regression.linear_model",  # what helpers use, not all of statsmodels.api
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "seaborn",
    "helpers.audit",
    "helpers.inference",
    "helpers.narrative",
    "helpers.plots",
    "helpers.stats",
)


#: List parameters that, left empty (or not declared), take the codebook's fields of one role.
ROLE_DEFAULTS = {"outcomes": "outcome", "predictors": "input"}


def role_defaults() -> dict[str, list[str]]:
    """What each of :data:`ROLE_DEFAULTS` means when left empty, as the codebook says now."""
    codebook = load_codebook()
    return {parameter: codebook.variables(role) for parameter, role in ROLE_DEFAULTS.items()}


def fill_from_codebook(values: dict) -> list[str]:
    """Give ``outcomes`` and ``predictors`` that are empty or absent the codebook's roles, in place.

    So the manifest, the steps' cache keys and the data check see the variables a
    run really analyses, and a field added to ``datapackage.json`` joins the next run.
    Returns the names of the parameters filled.
    """
    codebook = load_codebook()
    filled = []
    for parameter, role in ROLE_DEFAULTS.items():
        given = values.get(parameter) or []
        chosen = codebook.or_role(given, role)
        if not chosen:
            raise ParameterError(
                f"parameter {parameter!r} is empty, so it takes every field of role {role!r} in "
                f"{paths.display_path(paths.DATAPACKAGE)}, and there is none; give that role to at "
                f"least one field there, or name the variables with -p {parameter} a,b"
            )
        values[parameter] = chosen
        if not given:
            filled.append(parameter)
    return filled


def check_values(values: dict) -> None:
    """The analysis's rules on resolved parameters: known variables, roles apart, enough resamples.

    Empty or absent ``outcomes`` and ``predictors`` are first filled from the codebook
    (:func:`fill_from_codebook`), so the checks and everything after them see real lists.
    """
    filled = fill_from_codebook(values)
    variables = load_codebook().variables()
    for role in ("outcomes", "predictors", "log_variables"):
        if role in values:
            chosen = values[role]
            unknown = [v for v in chosen if v not in variables]
            if unknown:
                raise ParameterError(
                    f"parameter {role!r}: {unknown} not a numeric column; "
                    f"choose from: {', '.join(variables)}"
                )
            if len(set(chosen)) != len(chosen):
                raise ParameterError(f"parameter {role!r} lists a variable twice: {chosen}")
    overlap = sorted(set(values["outcomes"]) & set(values["predictors"]))
    if overlap:
        defaulted = [
            f"{name!r} was not given, so it holds every field of role {ROLE_DEFAULTS[name]!r}"
            for name in filled
        ]
        raise ParameterError(
            f"{overlap} cannot be both an outcome and a predictor"
            + (f" ({'; '.join(defaulted)}: name its variables with -p)" if defaulted else "")
        )
    if values.get("permutation_resamples", MIN_RESAMPLES) < MIN_RESAMPLES:
        raise ParameterError(
            f"parameter 'permutation_resamples' must be at least {MIN_RESAMPLES:,} "
            f"(got {values['permutation_resamples']:,})"
        )


def check_data(raw_path: str, values: dict, log) -> dict:
    """Load and validate the raw table before anything is written (DataError on any problem).

    Returns what the manifest records about the data: rows, and whether they are synthetic.
    """
    from helpers.cleaning import load_clean_data
    from helpers.synthetic import is_synthetic

    data = load_clean_data(raw_path)
    codebook = load_codebook()
    flat = [p for p in values.get("predictors", []) if p in data and data[p].nunique() < 2]
    if flat:
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


def check_tables(tables_dir: Path) -> None:
    """Refuse a run whose tables miss one of the contract or differ from its columns."""
    import pandas as pd

    for name, columns in CONTRACT_TABLES.items():
        path = tables_dir / name
        if not path.exists():
            raise ReportError(f"the run did not write {name}")
        found = list(pd.read_csv(path, nrows=0).columns)
        if found != columns:
            raise ReportError(f"{name} has columns {found}, the contract says {columns}")


def report_metadata(manifest: dict, started: datetime) -> dict:
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


def appendix_cells(manifest: dict) -> list[nbformat.NotebookNode]:
    """The provenance appendix, built from a run's manifest: parameters, inputs, versions."""
    import nbformat
    import pandas as pd

    from helpers.runner import export
    from helpers.tables import Table

    def table(frame: pd.DataFrame, caption: str, label: str) -> nbformat.NotebookNode:
        t = Table(frame, caption, label=label)
        return export.display_cell(t._repr_html_(), t._repr_latex_(), repr(t))

    origin = manifest.get("provenance", {})
    git = origin.get("git", {})
    commit = git.get("commit") or "unknown (not a git checkout)"
    dirty = " with uncommitted changes" if git.get("dirty") else ""
    intro = nbformat.v4.new_markdown_cell(
        "# Appendix: provenance of this run\n\n"
        "Everything needed to tell which data, code and software produced this report. "
        "The same record is in `manifest.json` beside the report."
    )
    run = pd.DataFrame(
        {
            "Item": ["Run", "Started (UTC)", "Code (git commit)", "Python", "Lock file (SHA-256)"],
            "Value": [
                manifest.get("run_id", ""),
                manifest.get("started", ""),
                f"{commit}{dirty}",
                origin.get("python", ""),
                _spaced_hash(origin.get("lock_sha256")),
            ],
        }
    )
    parameters = pd.DataFrame(
        {
            "Parameter": list(manifest.get("parameters", {})),
            "Value": [str(v) for v in manifest.get("parameters", {}).values()],
        }
    )
    inputs = pd.DataFrame(
        {
            "Input": list(origin.get("inputs", {})),
            "File": [i["path"] for i in origin.get("inputs", {}).values()],
            "SHA-256": [_spaced_hash(i["sha256"]) for i in origin.get("inputs", {}).values()],
        }
    )
    packages = pd.DataFrame(
        {
            "Package": list(origin.get("packages", {})),
            "Version": list(origin.get("packages", {}).values()),
        }
    )
    return [
        intro,
        table(run, "The run.", "Table A.1"),
        table(
            parameters,
            "Parameters of the run, after the config file and the command line.",
            "Table A.2",
        ),
        table(inputs, "Input files and their SHA-256 hashes.", "Table A.3"),
        table(packages, "Versions of the packages that compute and draw the results.", "Table A.4"),
    ]


def warm_up() -> Iterator[str]:
    """Render a throw-away figure in the project's theme (restored afterwards).

    Run by a kernel template after :data:`PRELOAD`, so the fonts, text layout caches
    and the PDF font subsetter are loaded before it forks; yields after each format.
    """
    from io import BytesIO

    import matplotlib
    from matplotlib.figure import Figure

    from helpers import plots

    with matplotlib.rc_context():
        plots.set_theme()
        figure = Figure(figsize=(2, 2))
        axes = figure.add_subplot()
        axes.plot([0, 1], [0, 1], label="warm-up 0.5 ≤ ρ")
        axes.set_title("warm-up")
        axes.set_xlabel("x (%)")
        axes.legend()
        for fmt in ("svg", "pdf", "png"):
            figure.savefig(BytesIO(), format=fmt)
            yield f"figure as {fmt}"


def synth(argv: Sequence[str]) -> int:
    """``inclusion-report synth``: the synthetic-data generator's own command line."""
    from helpers import synthetic

    return synthetic.main(list(argv))


def _spaced_hash(digest: str | None) -> str:
    return " ".join(digest[i : i + 16] for i in range(0, len(digest), 16)) if digest else "unknown"
