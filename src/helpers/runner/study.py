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
    "helpers.specification",
)


#: The ``input_scale`` of the article's own form, and how each scale is named on the title
#: page (the same words as :data:`helpers.specification.SCALE_LABELS`, kept here so the
#: runner reads them without loading the statistics stack; a test checks they agree).
DEFAULT_SCALE = "count"
SCALE_LABELS = {
    "count": "counts as published",
    "per_10k_residents": "per 10,000 residents",
    "log": "natural logarithm",
}


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
    if values.get("input_scale", DEFAULT_SCALE) != DEFAULT_SCALE:
        from helpers.specification import check_scale

        check_scale(values["input_scale"])
    if values.get("permutation_resamples", MIN_RESAMPLES) < MIN_RESAMPLES:
        raise ParameterError(
            f"parameter 'permutation_resamples' must be at least {MIN_RESAMPLES:,} "
            f"(got {values['permutation_resamples']:,})"
        )


def check_data(raw_path: str, values: dict, log) -> dict:
    """Load and validate the raw table before anything is written (DataError on any problem).

    Returns what the manifest records about the data: rows, whether they are synthetic,
    and how many of the cities the population table lacks (see :func:`parameter_use`).
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
    scale = values.get("input_scale", DEFAULT_SCALE)
    if scale != DEFAULT_SCALE:
        from helpers.codebook import load_population
        from helpers.specification import needs_population, require_population

        if needs_population(scale):
            population_path = values.get("population_path")
            population = load_population(population_path)
            shown = paths.display_path(paths.resolve(population_path)) if population_path else None
            require_population(list(data["city"]), population, path=shown)
    log(f"data ok: {paths.display_path(paths.resolve(raw_path))} ({len(data)} rows)")
    facts = {"rows": len(data), "synthetic": is_synthetic(data["city"])}
    if "population_path" in values:
        facts["cities_without_population"] = _cities_without_population(
            data["city"], values["population_path"]
        )
    return facts


def _cities_without_population(cities, population_path: str) -> int | None:
    """How many ``cities`` the population table lacks; None when it cannot be read.

    An unreadable table is not refused here: a run on the published counts uses it only
    for the specification curve, whose notebook reports the problem itself.
    """
    from helpers.codebook import load_population

    try:
        known = set(load_population(population_path).city)
    except DataError:
        return None
    return int(sum(city not in known for city in cities))


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
    scale = manifest.get("parameters", {}).get("input_scale", DEFAULT_SCALE)
    subtitle += f". Inputs: {SCALE_LABELS.get(scale, scale)}"
    if scale != DEFAULT_SCALE:
        subtitle += " (a sensitivity run: the primary analysis uses the counts as published)"
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
        "The same record is in `manifest.json` beside the report.\n\n"
        "Resident populations (for `input_scale` and the specification curve): "
        f"{_population_source(manifest)}"
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
    use = parameter_use(manifest)
    parameters = pd.DataFrame(
        {
            "Parameter": list(manifest.get("parameters", {})),
            "Value": [str(v) for v in manifest.get("parameters", {}).values()],
            "In this run": [use[name] for name in manifest.get("parameters", {})],
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
            "Parameters of the run, after the config file and the command line, and whether "
            "and how this run used each.",
            "Table A.2",
        ),
        table(inputs, "Input files and their SHA-256 hashes.", "Table A.3"),
        table(packages, "Versions of the packages that compute and draw the results.", "Table A.4"),
    ]


def parameter_use(manifest: dict) -> dict[str, str]:
    """Whether and how a run used each of its parameters, in a few words, for Table A.2.

    Read from the manifest alone: the resolved parameters and the number of cities
    (``data.rows``; the cleaning accepts no missing value, so every pair is fitted on
    every city, as notebook 03 assumes when it names its test). The rules are the
    notebooks' own:

    * ``permutation_resamples`` sizes only the primary test (and its family
      adjustment), and only when :func:`helpers.inference.permutation_method` does
      not choose the exact test, which counts all n! orderings up to
      :data:`helpers.inference.EXACT_PERMUTATION_LIMIT` cities;
    * ``permutation_seed`` draws whatever is random: the primary test when it is not
      exact, the wild bootstrap above :data:`helpers.inference.WILD_EXACT_LIMIT`
      cities, the specification curve's permutation p-values (up to
      :data:`helpers.specification.CURVE_PERMUTATION_LIMIT` cities) and, always,
      the curve's joint test;
    * ``population_path`` serves the curve's per-10,000-residents scale only when the
      table has every city (``data.cities_without_population``, from :func:`check_data`);
    * ``output_dir`` and ``processed_data_path`` keep their notebook defaults in the
      manifest, but the runner hands every notebook this run's own folder instead;
    * an empty ``log_variables`` and a switched-off ``multiple_regression`` say so.

    Every note starts with what happened (``read``, ``written``, ``used``, ``not
    used``, ``on``, ``off``, ``none logged``; ``unknown`` when the manifest lacks
    the number of cities), then, after a colon, why or how. A parameter with no rule
    here gets a note saying so; a test keeps every notebook parameter covered.
    """
    from helpers import inference, specification

    values = manifest.get("parameters", {})
    data = manifest.get("data", {})
    n = data.get("rows")
    outcomes = values.get("outcomes") or []
    predictors = values.get("predictors") or []
    scale = values.get("input_scale", DEFAULT_SCALE)
    resamples = values.get("permutation_resamples", MIN_RESAMPLES)
    run_folder = f"runs/{manifest['run_id']}" if manifest.get("run_id") else "this run's folder"

    if n is None:
        raw = "read"
        resampling = "unknown: it depends on the number of cities, which this manifest lacks"
        seed = (
            f"used: draws the {specification.JOINT_SHUFFLES:,} shuffles of the specification "
            "curve's joint test; its other uses depend on the number of cities, not recorded here"
        )
    else:
        raw = (
            f"read: {n:,} made-up municipalities (synthetic data)"
            if data.get("synthetic")
            else f"read: {n:,} cities"
        )
        method, orderings = inference.permutation_method(n, resamples)
        if method == "exact":
            resampling = (
                f"not used: with {n:,} cities the test counts every one of the "
                f"{orderings:,} orderings"
            )
        elif method == "monte carlo":
            resampling = f"used: the primary test draws {orderings:,} random orderings"
        else:
            resampling = (
                f"used as a floor: with {n:,} cities the test counts all {orderings:,} "
                "orderings of a subgroup chosen at random, no fewer than this value"
            )
        drawn, counted = [], []
        if method == "monte carlo":
            drawn.append(f"the primary test's {orderings:,} random orderings")
        elif method == "random-subgroup":
            drawn.append("the choice of the primary test's random subgroup")
        else:
            counted.append("the primary test")
        if n > inference.WILD_EXACT_LIMIT:
            drawn.append(f"the wild bootstrap's {inference.WILD_BOOTSTRAP_DRAWS:,} sign vectors")
        else:
            counted.append("the wild bootstrap")
        if n <= specification.CURVE_PERMUTATION_LIMIT:
            drawn.append(
                f"the {specification.CURVE_PERMUTATIONS:,} random orderings behind each "
                "p-value of the specification curve"
            )
        drawn.append(f"the {specification.JOINT_SHUFFLES:,} shuffles of the curve's joint test")
        seed = "used: draws " + _listed(drawn)
        if counted:
            seed += (
                f"; not needed by {' or '.join(counted)}, which "
                f"{'count' if len(counted) > 1 else 'counts'} every case"
            )

    if scale == DEFAULT_SCALE:
        scale_note = f"used: {SCALE_LABELS[scale]}, the primary analysis"
    else:
        scale_note = (
            f"used: {SCALE_LABELS.get(scale, scale)}, a sensitivity run "
            f"(the primary analysis uses the {SCALE_LABELS[DEFAULT_SCALE]})"
        )
    population = "read: only for the specification curve's per-10,000-residents scale"
    lacking = data.get("cities_without_population")
    if lacking and n:
        population = (
            f"read, but not used: {lacking:,} of the {n:,} cities are not in it, so the "
            "specification curve has no per-10,000-residents scale"
        )
    elif scale == "per_10k_residents":
        population = (
            "read: divides this run's inputs, and gives the specification curve "
            "its per-10,000-residents scale"
        )
    logged = values.get("log_variables") or []
    notes = {
        "raw_data_path": raw,
        "processed_data_path": (
            "written, but not from this value: the runner writes the clean table into "
            f"{run_folder}/data and, once the run succeeds, copies it into the processed-data "
            f"folder ({paths.display_path(paths.PROCESSED_DATA_DIR)} unless the command line "
            "names another)"
        ),
        "output_dir": (
            "written, but not to this folder: the runner gives each run its own; "
            f"these tables are in {run_folder}/tables"
        ),
        "outcomes": f"used: {_count(len(outcomes), 'outcome')}, each fitted on every input",
        "predictors": (
            f"used: {_count(len(predictors), 'input')}, "
            f"{_count(len(outcomes) * len(predictors), 'outcome–input pair')}"
        ),
        "claims_path": (
            "read: the article's quoted numbers, checked against the data; the cities they "
            "flag make one sample of the specification curve"
        ),
        "multiple_regression": (
            f"on: each outcome also fitted on all {len(predictors)} inputs together"
            if values.get("multiple_regression")
            else "off: no multiple regression section"
        ),
        "input_scale": scale_note,
        "population_path": population,
        "log_variables": (
            f"used: natural log of {_listed(logged)} in the regressions (not in the "
            "specification curve, which has a log scale of its own)"
            if logged
            else "none logged: every variable on its own scale"
        ),
        "permutation_seed": seed,
        "permutation_resamples": resampling,
    }
    return {
        name: notes.get(name, "no note: see the parameters cell of the notebooks that declare it")
        for name in values
    }


def _count(k: int, noun: str) -> str:
    """'1 input', '4 inputs'."""
    return f"{k:,} {noun}{'' if k == 1 else 's'}"


def _listed(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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


def _population_source(manifest: dict) -> str:
    """Where the population figures come from, and the file the run read them from."""
    from helpers.codebook import population_citation, population_path

    given = manifest.get("parameters", {}).get("population_path")
    shown = given or paths.display_path(population_path())
    try:
        return f"{population_citation()} File: `{shown}`."
    except (KeyError, OSError):
        return f"`{shown}`."


def _spaced_hash(digest: str | None) -> str:
    return " ".join(digest[i : i + 16] for i in range(0, len(digest), 16)) if digest else "unknown"
