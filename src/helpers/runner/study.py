"""The runner's one window on the analysis: parameter rules, the data check, what kernels preload.

Every other module of :mod:`helpers.runner` runs notebooks without knowing what
they compute. What the runner needs to know about this study lives here: which
parameters name variables of the codebook and how many resamples are enough,
how to check the raw table before anything runs, the contract of the tables a
run must write, the modules a kernel template preloads, the synthetic-data
generator behind ``inclusion-report synth``, and the tables and figure of a grid's
index page. The reviewer document's words are the report notebook's
(``notebooks/report.ipynb``, :mod:`helpers.brief`): the runner only runs it. The
import contract in ``pyproject.toml`` keeps it so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from helpers import contract, paths
from helpers.codebook import load_codebook
from helpers.errors import DataError, ParameterError, Problem, ReportError

if TYPE_CHECKING:
    pass

# pandas, the cleaning code and the exporters are imported where they are used: the
# runner starts its kernel template first and loads them while that one imports.

#: The machine-readable tables every successful run must contain, with their columns.
CONTRACT_TABLES = contract.TABLES


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
    "helpers.plots",
    "helpers.stats",
    "helpers.specification",
    "helpers.findings",
    "helpers.calibration",
    "helpers.tipping",
    "helpers.brief.document",
)


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
    if values.get("input_scale", "count") != "count":
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
    and how many of the cities the population table lacks (the annex's A.8 says so when the
    specification curve has no per-residents scale).
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
    scale = values.get("input_scale", "count")
    if scale != "count":
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

    The exporters compile their templates and Typst loads its fonts
    (:func:`helpers.runner.export.warm_up`). Done in the background, the export itself
    then takes only its own time.
    """
    try:
        from helpers.runner import export

        export.warm_up()
    except Exception:  # noqa: BLE001, S110 - only a head start: the export itself reports any failure
        pass


def synth(argv: Sequence[str]) -> int:
    """``inclusion-report synth``: the synthetic-data generator's own command line."""
    from helpers import synthetic

    return synthetic.main(list(argv))


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
    words = {v: verdict_word(v) for v in ("consistent", "tentative", "inconclusive")}
    figure = plots.grid_estimates(estimates, codebook=codebook, verdict_words=words)
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
