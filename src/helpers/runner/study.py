"""The runner's one window on the analysis: parameter rules, the data check, report metadata.

Every other module of :mod:`helpers.runner` runs notebooks without knowing what
they compute. What the runner needs to know about this study lives here: which
parameters name variables of the codebook and how many resamples are enough,
how to check the raw table before anything runs, the contract of the tables a
run must write, the report's title page and provenance appendix, the modules a
kernel template preloads, the synthetic-data generator behind
``inclusion-report synth``, and the tables and figure of a grid's index page. The
import contract in ``pyproject.toml`` keeps it so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from helpers import contract, i18n, paths
from helpers.codebook import load_codebook
from helpers.errors import DataError, ParameterError, Problem, ReportError
from helpers.i18n import _, ngettext, pgettext

if TYPE_CHECKING:
    import nbformat

# pandas, the cleaning code and the exporters are imported where they are used: the
# runner starts its kernel template first and loads them while that one imports.

#: The machine-readable tables every successful run must contain, with their columns.
CONTRACT_TABLES = contract.TABLES


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it (it is translated where shown)."""
    return message


#: The report's title and subject in English; :func:`report_metadata` gives them translated.
REPORT_TITLE = N_("Municipal programmes for the integration of immigrants in Italy")
REPORT_SUBJECT = N_("ReCoSol and Inclusione Attiva: data, descriptive statistics, regressions")
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
#: The residents the ``per_10k_residents`` scale counts per (helpers.specification.PER_RESIDENTS).
PER_RESIDENTS = 10_000


def scale_label(scale: str) -> str:
    """The words of :data:`SCALE_LABELS` for ``scale``, in the active language.

    The same messages as :func:`helpers.specification.scale_label`, which the runner does not import.
    """
    if scale == "count":
        return pgettext("input scale", "counts as published")
    if scale == "log":
        return pgettext("input scale", "natural logarithm")
    if scale == "per_10k_residents":
        return pgettext("input scale", "per {number} residents").format(number=i18n.integer(PER_RESIDENTS))
    return scale


#: What each input parameter names, as :func:`helpers.paths.check_input` knows kinds (each
#: kind has its size limit; the data's are refused with exit code 3).
INPUT_KINDS = {
    "raw_data_path": "data table",
    "claims_path": "claims table",
    "population_path": "population table",
}


def input_kind(parameter: str) -> str:
    """The kind of file a ``*_path`` parameter names (a data table unless known otherwise)."""
    return INPUT_KINDS.get(parameter, "data table")


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
    """Title-page fields of the reviewer report, from the codebook and the manifest.

    In the active language (:func:`helpers.i18n.language`): the exporter calls it once per report.
    """
    source = load_codebook().source
    origin = manifest["provenance"]
    data_hash = origin["inputs"]["raw data"]["sha256"][:12]
    commit = origin["git"].get("commit")
    commit = commit[:10] if commit else pgettext("git commit", "unknown")
    published = i18n.date(datetime.fromisoformat(source["date"]))
    data = manifest.get("data", {})
    if data.get("synthetic"):
        subtitle = ngettext(
            "SYNTHETIC DATA: {n} made-up municipality from a seeded generator, "
            "not the article's figures; the method is the one used for the article's table",
            "SYNTHETIC DATA: {n} made-up municipalities from a seeded generator, "
            "not the article's figures; the method is the one used for the article's table",
            data["rows"],
        ).format(n=i18n.integer(data["rows"]))
    else:
        subtitle = _(
            "Figures from \u201c{title}\u201d by {author}, {publication} {issue}, {date}"
        ).format(
            title=source["title"],
            author=source["author"],
            publication=source["publication"],
            issue=source["issue"],
            date=published,
        )
    scale = manifest.get("parameters", {}).get("input_scale", DEFAULT_SCALE)
    if scale != DEFAULT_SCALE:
        inputs = _(
            "Inputs: {scale} (a sensitivity run: the primary analysis uses the counts as published)"
        ).format(scale=scale_label(scale))
    else:
        inputs = _("Inputs: {scale}, not divided by population (the primary analysis)").format(
            scale=scale_label(scale)
        )
    subtitle = f"{subtitle}. {inputs}"
    if origin["git"].get("dirty"):
        identity = _("data sha256:{hash} \u00b7 code {commit} + uncommitted changes")
    else:
        identity = _("data sha256:{hash} \u00b7 code {commit}")
    return {
        "title": _(REPORT_TITLE),
        "subtitle": subtitle,
        "authors": [{"name": _("Inclusion report pipeline")}],
        "subject": _(REPORT_SUBJECT),
        "date": i18n.date(started),
        "created": started.isoformat(),  # the PDF's creation time: the run's start, so a re-run gives the same bytes
        "run_label": _("Run {run_id} of {date}, {time} UTC").format(
            run_id=manifest["run_id"], date=i18n.date(started), time=started.strftime("%H:%M")
        ),
        "identity": identity.format(hash=data_hash, commit=commit),
    }


def appendix_cells(manifest: dict) -> list[nbformat.NotebookNode]:
    """The provenance appendix, built from a run's manifest: parameters, inputs, versions.

    In the active language (:func:`helpers.i18n.language`): the exporter calls it once per report.
    """
    import nbformat
    import pandas as pd

    from helpers.runner import export
    from helpers.tables import Table

    def table(frame: pd.DataFrame, caption: str, number: int) -> nbformat.NotebookNode:
        t = Table(frame, caption, label=_("Table {step}.{number}").format(step="A", number=number))
        return export.display_cell(t._repr_html_(), t.block(), repr(t))

    origin = manifest.get("provenance", {})
    git = origin.get("git", {})
    if not git.get("commit"):
        commit = _("unknown (not a git checkout)")
    elif git.get("dirty"):
        commit = _("{commit} with uncommitted changes").format(commit=git["commit"])
    else:
        commit = git["commit"]
    intro = nbformat.v4.new_markdown_cell(
        "# "
        + _("Appendix: provenance of this run")
        + "\n\n"
        + _(
            "Everything needed to tell which data, code and software produced this report. "
            "The same record is in `manifest.json` beside the report."
        )
        + "\n\n"
        + _(
            "Resident populations (for `input_scale` and the specification curve): {source}"
        ).format(source=_population_source(manifest))
        + "\n\n"
        + _(
            "To check that this report reproduces, run in the project folder:"
        )
        + "\n\n"
        + "`inclusion-report verify {run_id}`".format(run_id=manifest.get("run_id", ""))
        + "\n\n"
        + _(
            "It rebuilds the code of the recorded commit with the recorded lock file, runs the "
            "analysis again with the same parameters and inputs, and compares every table byte "
            "for byte and the report's text."
        )
    )
    run = pd.DataFrame(
        {
            pgettext("appendix column", "Item"): [
                pgettext("appendix item", "Run"),
                pgettext("appendix item", "Started (UTC)"),
                pgettext("appendix item", "Code (git commit)"),
                pgettext("appendix item", "Python"),
                pgettext("appendix item", "Lock file (SHA-256)"),
            ],
            pgettext("appendix column", "Value"): [
                manifest.get("run_id", ""),
                manifest.get("started", ""),
                commit,
                origin.get("python", ""),
                _short_hash(origin.get("lock_sha256")),
            ],
        }
    )
    use = parameter_use(manifest)
    parameters = pd.DataFrame(
        {
            pgettext("appendix column", "Parameter"): list(manifest.get("parameters", {})),
            pgettext("appendix column", "Value"): [
                _parameter_value(v) for v in manifest.get("parameters", {}).values()
            ],
            pgettext("appendix column", "In this run"): [use[name] for name in manifest.get("parameters", {})],
        }
    )
    inputs = pd.DataFrame(
        {
            pgettext("appendix column", "Input"): [input_name(k) for k in origin.get("inputs", {})],
            pgettext("appendix column", "File"): [i["path"] for i in origin.get("inputs", {}).values()],
            pgettext("appendix column", "SHA-256"): [
                _short_hash(i["sha256"]) for i in origin.get("inputs", {}).values()
            ],
        }
    )
    packages = pd.DataFrame(
        {
            pgettext("appendix column", "Package"): list(origin.get("packages", {})),
            pgettext("appendix column", "Version"): list(origin.get("packages", {}).values()),
        }
    )
    return [
        intro,
        table(run, _("The run."), 1),
        table(
            parameters,
            _(
                "Parameters of the run, after the config file and the command line, and whether "
                "and how this run used each."
            ),
            2,
        ),
        table(
            inputs,
            _(
                "Input files and the first {digits} hexadecimal digits of their SHA-256 hashes "
                "(the whole hashes are in manifest.json)."
            ).format(digits=SHORT_HASH),
            3,
        ),
        table(packages, _("Versions of the packages that compute and draw the results."), 4),
    ]


#: The roles of a run's input files, as the manifest records them, marked for the catalog.
INPUT_ROLES = {
    "raw data": i18n.NP_("input file", "raw data"),
    "data package": i18n.NP_("input file", "data package"),
    "article claims": i18n.NP_("input file", "article claims"),
    "config": i18n.NP_("input file", "config"),
}


def input_name(role: str) -> str:
    """A role of the run's input files (``"raw data"``, as the manifest records it) in the active language."""
    if role.startswith("notebook "):
        return pgettext("input file", "notebook {name}").format(name=role.removeprefix("notebook "))
    return i18n.word(INPUT_ROLES[role]) if role in INPUT_ROLES else role


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
    run_folder = f"runs/{manifest['run_id']}" if manifest.get("run_id") else _("this run's folder")
    per_residents = i18n.integer(PER_RESIDENTS)

    if n is None:
        raw = pgettext("parameter use", "read")
        resampling = _("unknown: it depends on the number of cities, which this manifest lacks")
        seed = _(
            "used: draws the {shuffles} shuffles of the specification curve's joint test; "
            "its other uses depend on the number of cities, not recorded here"
        ).format(shuffles=i18n.integer(specification.JOINT_SHUFFLES))
    else:
        cities = i18n.integer(n)
        raw = (
            ngettext(
                "read: {n} made-up municipality (synthetic data)",
                "read: {n} made-up municipalities (synthetic data)",
                n,
            )
            if data.get("synthetic")
            else ngettext("read: {n} city", "read: {n} cities", n)
        ).format(n=cities)
        method, orderings = inference.permutation_method(n, resamples)
        if method == "exact":
            resampling = ngettext(
                "not used: with {n} city the test counts every one of the {orderings} orderings",
                "not used: with {n} cities the test counts every one of the {orderings} orderings",
                n,
            ).format(n=cities, orderings=i18n.integer(orderings))
        elif method == "monte carlo":
            resampling = _("used: the primary test draws {orderings} random orderings").format(
                orderings=i18n.integer(orderings)
            )
        else:
            resampling = ngettext(
                "used as a floor: with {n} city the test counts all {orderings} orderings of a "
                "subgroup chosen at random, no fewer than this value",
                "used as a floor: with {n} cities the test counts all {orderings} orderings of a "
                "subgroup chosen at random, no fewer than this value",
                n,
            ).format(n=cities, orderings=i18n.integer(orderings))
        drawn, counted = [], []
        if method == "monte carlo":
            drawn.append(
                _("the primary test's {orderings} random orderings").format(
                    orderings=i18n.integer(orderings)
                )
            )
        elif method == "random-subgroup":
            drawn.append(_("the choice of the primary test's random subgroup"))
        else:
            counted.append(_("the primary test"))
        if n > inference.WILD_EXACT_LIMIT:
            drawn.append(
                _("the wild bootstrap's {draws} sign vectors").format(
                    draws=i18n.integer(inference.WILD_BOOTSTRAP_DRAWS)
                )
            )
        else:
            counted.append(_("the wild bootstrap"))
        if n <= specification.CURVE_PERMUTATION_LIMIT:
            drawn.append(
                _(
                    "the {orderings} random orderings behind each p-value of the specification curve"
                ).format(orderings=i18n.integer(specification.CURVE_PERMUTATIONS))
            )
        drawn.append(
            _("the {shuffles} shuffles of the curve's joint test").format(
                shuffles=i18n.integer(specification.JOINT_SHUFFLES)
            )
        )
        if counted:
            seed = ngettext(
                "used: draws {drawn}; not needed by {counted}, which counts every case",
                "used: draws {drawn}; not needed by {counted}, which count every case",
                len(counted),
            ).format(drawn=i18n.listed(drawn), counted=_either(counted))
        else:
            seed = _("used: draws {drawn}").format(drawn=i18n.listed(drawn))

    if scale == DEFAULT_SCALE:
        scale_note = _("used: {scale}, the primary analysis").format(scale=scale_label(scale))
    else:
        scale_note = _(
            "used: {scale}, a sensitivity run (the primary analysis uses the {primary})"
        ).format(scale=scale_label(scale), primary=scale_label(DEFAULT_SCALE))
    population = _("read: only for the specification curve's per-{number}-residents scale").format(
        number=per_residents
    )
    lacking = data.get("cities_without_population")
    if lacking and n:
        population = ngettext(
            "read, but not used: {lacking} of the {n} cities are not in it, so the "
            "specification curve has no per-{number}-residents scale",
            "read, but not used: {lacking} of the {n} cities are not in it, so the "
            "specification curve has no per-{number}-residents scale",
            lacking,
        ).format(lacking=i18n.integer(lacking), n=i18n.integer(n), number=per_residents)
    elif scale == "per_10k_residents":
        population = _(
            "read: divides this run's inputs, and gives the specification curve "
            "its per-{number}-residents scale"
        ).format(number=per_residents)
    try:
        presented = i18n.report_languages(
            values.get("language", i18n.SOURCE_LANGUAGE), values.get("languages") or []
        )
    except i18n.UnknownLanguage:
        presented = []
    names = [i18n.language_name(code) for code in presented]
    if len(names) > 1:
        languages_note = _("used: a report in each of {languages}").format(languages=i18n.listed(names))
    else:
        languages_note = _("used: no further language, only the report in {language}").format(
            language="".join(names[:1]) or values.get("language", "")
        )
    logged = values.get("log_variables") or []
    k, pairs = len(predictors), len(outcomes) * len(predictors)
    notes = {
        "raw_data_path": raw,
        "processed_data_path": _(
            "written, but not from this value: the runner writes the clean table into "
            "{run_folder}/data and, once the run succeeds, copies it into the processed-data "
            "folder ({processed} unless the command line names another)"
        ).format(run_folder=run_folder, processed=paths.display_path(paths.PROCESSED_DATA_DIR)),
        "output_dir": _(
            "written, but not to this folder: the runner gives each run its own; "
            "these tables are in {run_folder}/tables"
        ).format(run_folder=run_folder),
        "outcomes": ngettext(
            "used: {n} outcome, each fitted on every input",
            "used: {n} outcomes, each fitted on every input",
            len(outcomes),
        ).format(n=i18n.integer(len(outcomes))),
        "predictors": _("used: {inputs}, {pairs}").format(
            inputs=ngettext("{n} input", "{n} inputs", k).format(n=i18n.integer(k)),
            pairs=ngettext("{n} outcome–input pair", "{n} outcome–input pairs", pairs).format(
                n=i18n.integer(pairs)
            ),
        ),
        "claims_path": _(
            "read: the article's quoted numbers, checked against the data; the cities they "
            "flag make one sample of the specification curve"
        ),
        "multiple_regression": (
            _("on: each outcome also fitted on all {n} inputs together").format(n=i18n.integer(k))
            if values.get("multiple_regression")
            else _("off: no multiple regression section")
        ),
        "input_scale": scale_note,
        "population_path": population,
        "log_variables": (
            _(
                "used: natural log of {variables} in the regressions (not in the "
                "specification curve, which has a log scale of its own)"
            ).format(variables=i18n.listed(logged))
            if logged
            else _("none logged: every variable on its own scale")
        ),
        "permutation_seed": seed,
        "permutation_resamples": resampling,
        "language": _("used: the results are presented first in {language}").format(
            language="".join(names[:1]) or values.get("language", "")
        ),
        "languages": languages_note,
    }
    return {
        name: notes.get(name, _("no note: see the parameters cell of the notebooks that declare it"))
        for name in values
    }


def _either(items: Sequence[str]) -> str:
    """'a', 'a or b' (at most two: the primary test and the wild bootstrap)."""
    if len(items) == 1:
        return items[0]
    return pgettext("what does not need the seed", "{first} or {second}").format(
        first=items[0], second=items[1]
    )


def warm_up() -> Iterator[str]:
    """Render a throw-away figure in the project's theme (restored afterwards).

    Run by a kernel template after :data:`PRELOAD`, so the fonts, text layout caches
    and the SVG writer are loaded before it forks; yields after each format (the
    notebooks publish figures as SVG only).
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
        for fmt in ("svg",):
            figure.savefig(BytesIO(), format=fmt)
            yield f"figure as {fmt}"


def warm_up_report() -> None:
    """Load what the reviewer report is built with, while the steps run: its modules and exporters.

    The provenance appendix reads the rules of :mod:`helpers.inference` and
    :mod:`helpers.specification` (seconds to import the statistics stack); the exporters
    compile their templates and Typst loads its fonts (:func:`helpers.runner.export.warm_up`).
    Done in the background, the export itself then takes only its own time.
    """
    try:
        from helpers import inference, specification  # noqa: F401
        from helpers.runner import export

        export.warm_up()
    except Exception:  # noqa: BLE001, S110 - only a head start: the export itself reports any failure
        pass


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
        return _("{citation} File: `{file}`.").format(citation=population_citation(), file=shown)
    except (KeyError, OSError):
        return f"`{shown}`."


#: Hex digits of a SHA-256 the appendix prints (64 bits: enough to tell files apart by eye);
#: the whole digest is in the run's manifest.json.
SHORT_HASH = 16


def _parameter_value(value) -> str:
    """A parameter's value as a reader writes it: a list as its items, a switch as yes or no."""
    if isinstance(value, bool):
        return pgettext("parameter value", "yes") if value else pgettext("parameter value", "no")
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else pgettext("parameter value", "none")
    return str(value)


def _short_hash(digest: str | None) -> str:
    if not digest:
        return pgettext("file hash", "unknown")
    return digest[:SHORT_HASH] + "…"


def grid_sections(overview, estimates) -> list[str]:
    """The tables and the figure of a grid's ``index.html``, as HTML.

    ``overview`` has one row per variant (its ``report`` column holds links, already
    HTML); ``estimates`` one row per variant and pair (see
    :func:`helpers.runner.grid_index.estimates`). English, like the index page.
    """
    import base64
    from io import BytesIO

    import matplotlib.pyplot as plt
    import pandas as pd

    from helpers import plots
    from helpers.brief.words import verdict as verdict_word
    from helpers.tables import Table, format_fixed

    codebook = load_codebook()
    sections = [
        Table(
            overview,
            "Each variant of the grid: its status, its time, the parameters it varies, "
            "its report and, when it failed, why.",
            label="Table 1",
            formats={"#": str, "seconds": str},
            html_columns=["report"],
        )._repr_html_()
    ]
    if not len(estimates):
        return sections
    shown = pd.DataFrame(
        {
            "#": estimates.number,
            "outcome": [codebook.field(o).short for o in estimates.outcome],
            "input": [codebook.field(p).short for p in estimates.predictor],
            "verdict": [verdict_word(v) for v in estimates.verdict],
            "r": estimates.r,
            "95% interval": [
                f"{format_fixed(lo, 2)} to {format_fixed(hi, 2)}"
                for lo, hi in zip(estimates.r_ci_low, estimates.r_ci_high, strict=True)
            ],
            "n": estimates.n,
        }
    )
    sections.append(
        Table(
            shown,
            "The key estimate of each pair in each variant (numbered as in Table 1): Pearson's r "
            "with its 95% interval (Fisher's z), the number of cities, and the verdict of the "
            "variant's own report.",
            label="Table 2",
            formats={"#": str, "n": str, "r": lambda r: format_fixed(r, 2)},
            notes="Associations across cities, as each report explains; never effects of a "
            "programme. A verdict holds for its variant's choices only, and every variant is "
            "one more chance of a finding by chance: a pair that is an association in some "
            "variants and inconclusive in others is weaker evidence than its best variant "
            "suggests, never stronger.",
        )._repr_html_()
    )
    plots.set_theme()
    figure = plots.grid_estimates(estimates, codebook=codebook,
                                  verdict_words={v: verdict_word(v) for v in ("consistent", "tentative", "inconclusive")})
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    alt = plots.alt_text(figure)
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    sections.append(
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt)}">'
        "<figcaption><b>Figure 1.</b> Pearson's r and its 95% interval for each pair "
        "(panel) in each variant (row, numbered as in Table 1), coloured by the "
        "variant's verdict.</figcaption></figure>"
    )
    return sections
