"""Sentences generated from the results, so the report's words stay true to its numbers.

Wording rules: associations, never effects. Ten city-level figures reported by
the programmes themselves cannot show what causes what, so no sentence here
says "effect", "impact", "causes" or "leads to", and every inferential sentence
states the number of cities it rests on.
"""

from __future__ import annotations

import pandas as pd

from helpers.codebook import Codebook, load_codebook
from helpers.synthetic import is_synthetic
from helpers.tables import format_number, format_p

ALPHA = 0.05
#: Samples up to this size are "small": the wording warns about what few points cannot show.
SMALL_SAMPLE = 30
#: Most cities named in one sentence; beyond, a few and how many others.
NAMED_CITIES = 3
#: Most associations that hold under every check given a sentence each in the summary.
GROUPED_ROBUST = 3
#: Most cities listed per fit among those that exceed an influence threshold.
LISTED_INFLUENTIAL = 5
_WORDS = dict(
    enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split(),
    )
)


def count_words(n: int) -> str:
    """A count as it reads in running text: "ten" up to twelve, "8,000" above."""
    return _WORDS.get(int(n), f"{int(n):,}")


def join_and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _threshold(x: float) -> str:
    """A threshold or small statistic with two significant figures (0.40, 0.0005)."""
    return f"{x:.2f}" if x >= 0.01 else f"{x:.2g}"


def _names(names: list[str], conjunction: str, limit: int) -> str:
    """``names`` joined for a sentence; more than ``limit`` become a few and a count."""
    if len(names) == 1:
        return names[0]
    if len(names) > limit:
        others = len(names) - limit
        return ", ".join(names[:limit]) + f" {conjunction} {others:,} other cities"
    return ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


def _p(p: float) -> str:
    """'p = 0.007' or 'p < 0.001', for running text."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _phrase(name: str, codebook: Codebook) -> str:
    title = codebook.field(name).title
    return title[0].lower() + title[1:]


def _unit(name: str, codebook: Codebook) -> str:
    unit = codebook.field(name).unit
    if unit == "%":
        return "percentage points"
    return unit or "units"


def describe_fit(fit: pd.Series | object, codebook: Codebook | None = None) -> str:
    """One plain-English sentence on one simple regression whose slope differs from zero."""
    codebook = codebook or load_codebook()
    y, x = _phrase(fit.outcome, codebook), _phrase(fit.predictor, codebook)
    direction = "higher" if fit.slope > 0 else "lower"
    return (
        f"Cities reporting more {x} also tend to report a {direction} {y} "
        f"(slope {format_number(fit.slope)} {_unit(fit.outcome, codebook)} per unit, "
        f"95% CI {format_number(fit.ci_low)} to {format_number(fit.ci_high)}, "
        f"{_p(fit.p_value)}, R\u00b2 = {fit.r_squared:.2f}, n = {fit.n})."
    )


def summarise_fits(fits: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """Sentences on a family of simple regressions: each clear association, then the rest together.

    "Clear" means a two-sided p-value below 0.05 for that fit alone, without
    correction for the number of fits; the last sentence says so.
    """
    codebook = codebook or load_codebook()
    ordered = fits.sort_values("p_value", kind="stable")
    clear = ordered[ordered.p_value < ALPHA]
    rest = ordered[ordered.p_value >= ALPHA]
    sentences = [describe_fit(row, codebook) for row in clear.itertuples(index=False)]
    if len(rest):
        pairs = "; ".join(
            f"{_phrase(r.outcome, codebook)} with {_phrase(r.predictor, codebook)} "
            f"({_p(r.p_value)})"
            for r in rest.itertuples(index=False)
        )
        sentences.append(
            f"For the other {len(rest)} of {len(fits)} pairs the data are compatible with "
            f"no linear association (n = {int(rest.n.min())} cities each): {pairs}."
        )
    if len(clear):
        sentences.append(
            f"These p-values are not adjusted for testing {len(fits)} pairs: at the 5% level, "
            f"about {len(fits) * ALPHA:.1f} of {len(fits)} tests would fall below 0.05 by chance "
            "alone if no association existed."
        )
    return sentences


def _cities_at(frame: pd.DataFrame, column: str, value: float, city: str) -> str:
    names = [str(n) for n in frame.loc[frame[column] == value, city]]
    return _names(names, "and", NAMED_CITIES)


#: Singular forms of the codebook's count units, for a value of exactly one.
_SINGULAR = {"people": "person", "participants": "participant", "businesses": "business"}


def _unit_for(value: float, unit: str | None) -> str:
    """The unit as written after a number: "%" attached, others spaced, singular for one.

    >>> _unit_for(1, "people"), _unit_for(2, "people"), _unit_for(45, "%")
    (' person', ' people', '%')
    """
    if not unit:
        return ""
    if unit == "%":
        return "%"
    return f" {_SINGULAR.get(unit, unit) if value == 1 else unit}"


def describe_ranges(
    frame: pd.DataFrame, variables: list[str], codebook: Codebook | None = None
) -> list[str]:
    """One sentence per variable: its range across cities, who sits at each end, its median."""
    codebook = codebook or load_codebook()
    city = codebook.id_field.name
    sentences = []
    for name in variables:
        field = codebook.field(name)
        values = frame[name].astype(float)
        lo, hi = values.min(), values.max()

        def amount(value: float, unit: str | None = field.unit) -> str:
            return format_number(value) + _unit_for(value, unit)

        sentence = (
            f"{field.title}: from {amount(lo)} ({_cities_at(frame, name, lo, city)}) "
            f"to {amount(hi)} ({_cities_at(frame, name, hi, city)}), "
            f"median {amount(values.median())}"
        )
        if lo > 0 and field.unit != "%":
            sentence += f"; the largest value is {hi / lo:.1f} times the smallest"
        sentences.append(sentence + f" (n = {values.size:,}).")
    return sentences


# ---------------------------------------------------------------- findings under every check
def limitations(n: int = 10, *, synthetic: bool = False) -> list[str]:
    """What self-reported city figures cannot tell, stated with every set of findings.

    For the article's table (n = 10) this is :data:`LIMITATIONS`; a synthetic
    table gets a first point saying that its figures are made up.
    """
    made_up = [
        f"Synthetic data: the {n:,} municipalities and every figure here were made up by a seeded "
        "random generator to test the pipeline at scale; none of it describes a real place, and the "
        "article's own table has ten cities."
    ]
    return (made_up if synthetic else []) + [
        f"Associations, not effects: the {count_words(n)} cities all ran the programmes, with no "
        "comparison group and no measurement from before they began, so no figure here shows what "
        "an activity changed.",
        *_LIMITATIONS_OF_THE_DATA,
    ]


def sample_size_caveat(n: int, fits: int) -> str:
    """The closing caveat on sample size and multiple testing, in words that fit ``n``."""
    chance = f"with {fits} fits about {fits * ALPHA:.1f} p-values below 0.05 are expected by chance alone"
    if n <= SMALL_SAMPLE:
        return f"Small samples and many tests: each fit rests on {n} points, and {chance} when no association exists."
    return (
        f"Many tests and a large sample: {chance} when no association exists, and with {n:,} points "
        "even an association too weak to matter gets a small p-value, so read the slopes and R\u00b2 too."
    )


_LIMITATIONS_OF_THE_DATA = [
    "Ecological data: the figures are city-level aggregates, and what holds across cities need not "
    "hold for the people in them.",
    "Self-reported: the programmes and municipalities supplied the figures; the article does not say "
    "how they were collected or checked.",
    "No control for size: counts are not scaled by each city's population or immigrant population, "
    "so larger cities may simply report larger numbers.",
    "An ambiguous unit: the article gives the employment-rate increase in percent without saying "
    "whether it means percentage points or a relative change.",
]
#: The limitations of the article's ten cities (see :func:`limitations`).
LIMITATIONS = limitations(10)

VERDICTS = {
    "robust": "holds under every check",
    "hinges": "hinges on a single city",
    "mixed": "mixed evidence",
    "none": "indistinguishable from no association",
}


def classify(
    checked: pd.DataFrame, verdicts: pd.DataFrame, *, alpha: float = ALPHA
) -> pd.DataFrame:
    """Sort each fit into one of :data:`VERDICTS`.

    * robust: classic, HC3, permutation, Spearman and Holm-adjusted p-values all
      below ``alpha``, and no single city's removal changes the conclusion;
    * hinges: the classic p-value is below ``alpha`` but removing one city
      changes the conclusion;
    * none: classic, HC3, permutation and Spearman p-values all at or above ``alpha``;
    * mixed: everything else (significant under some checks only).
    """
    merged = checked.merge(verdicts, on=["outcome", "predictor"], how="left", validate="one_to_one")
    labels = []
    for row in merged.itertuples(index=False):
        unadjusted = [row.p_value, row.p_value_hc3, row.p_permutation, row.spearman_p]
        if all(p < alpha for p in [*unadjusted, row.p_holm]) and row.survives_all_drops:
            labels.append("robust")
        elif row.p_value < alpha and not row.survives_all_drops:
            labels.append("hinges")
        elif all(p >= alpha for p in unadjusted):
            labels.append("none")
        else:
            labels.append("mixed")
    return merged.assign(verdict=labels)


def _pair(row, codebook: Codebook) -> str:
    return f"{_phrase(row.predictor, codebook)} and {_phrase(row.outcome, codebook)}"


def _list(names: list[str]) -> str:
    return _names(names, "or", LISTED_INFLUENTIAL)


def findings(
    classified: pd.DataFrame,
    loo: pd.DataFrame,
    codebook: Codebook | None = None,
    *,
    include_none: bool = True,
    include_robust: bool = True,
) -> list[str]:
    """Plain-English findings, one sentence per association worth a sentence.

    Every inferential sentence states n; none uses causal wording. With
    ``include_none=False`` the closing sentence on the pairs without any
    association is left out (the executive summary counts them instead), and
    with ``include_robust=False`` the sentences on associations that hold under
    every check (the summary groups them when there are many).
    """
    codebook = codebook or load_codebook()
    family = len(classified)
    sentences = []
    robust = classified[classified.verdict == "robust"] if include_robust else classified.iloc[:0]
    for row in robust.itertuples(index=False):
        sentences.append(
            f"Across the {row.n:,} cities, {_pair(row, codebook)} go together under every check "
            f"(slope {format_number(row.slope)}, R\u00b2 = {row.r_squared:.2f}; {_p(row.p_value)} "
            f"classic, {format_p(row.p_value_hc3)} robust, {format_p(row.p_permutation)} by permutation, "
            f"{format_p(row.p_holm)} after Holm's correction for {family} tests), and removing any one "
            "city does not change that."
        )
    for row in classified[classified.verdict == "hinges"].itertuples(index=False):
        drops = loo[(loo.outcome == row.outcome) & (loo.predictor == row.predictor)]
        decisive = list(row.decisive_cities)
        worst = drops[drops.dropped_city.isin(decisive)].p_value.max()
        direction = "higher" if row.slope > 0 else "lower"
        holm = (
            f" It also does not survive Holm's correction for {family} tests ({_p(row.p_holm)})."
            if row.p_holm >= ALPHA
            else ""
        )
        sentences.append(
            f"Cities reporting more {_phrase(row.predictor, codebook)} also tend to report {direction} "
            f"figures for {_phrase(row.outcome, codebook)} ({_p(row.p_value)}, "
            f"R\u00b2 = {row.r_squared:.2f}, n = {row.n:,}), but this rests on {_list(decisive)}: without "
            f"{'it' if len(decisive) == 1 else 'one of them'} the p-value rises to {format_p(worst)} "
            f"(n = {row.n - 1:,}).{holm}"
        )
    for row in classified[classified.verdict == "mixed"].itertuples(index=False):
        extra = (
            f" Leaving out {_list(list(row.decisive_cities))} alone changes the conclusion."
            if not row.survives_all_drops
            else ""
        )
        sentences.append(
            f"For {_pair(row, codebook)} the evidence is mixed (n = {row.n:,}): {_p(row.p_value)} "
            f"classic, {format_p(row.p_value_hc3)} robust (HC3), {format_p(row.p_permutation)} by "
            f"permutation and {format_p(row.spearman_p)} for the rank correlation; "
            f"{format_p(row.p_holm)} after Holm's correction.{extra}"
        )
    none = classified[classified.verdict == "none"]
    if len(none) and include_none:
        pairs = "; ".join(_pair(row, codebook) for row in none.itertuples(index=False))
        sentences.append(
            f"For {len(none)} of {family} pairs the data are indistinguishable from no association "
            f"under every check (all p \u2265 {ALPHA}, n = {int(none.n.min()):,} cities each): {pairs}."
        )
    return sentences


def describe_audit(
    results: pd.DataFrame, table_label: str = "the table", *, synthetic: bool = False
) -> list[str]:
    """Sentences summarising the check of the article's text against its table.

    With ``synthetic`` the table is not the article's, and the first sentence
    says that the outcome of the check means nothing about the article.
    """
    counts = results.status.value_counts()
    tally = (
        f"{counts.get('agrees', 0)} agree, {counts.get('disagrees', 0)} disagree and "
        f"{counts.get('cannot be checked', 0)} cannot be checked"
    )
    if synthetic:
        return [
            f"The article's text makes {len(results)} numeric claims. This run's table is synthetic, "
            f"not the article's, so checked against it {tally}: the check runs, but its outcome says "
            "nothing about the article, and no doubt about the article's table is raised here."
        ]
    sentences = [
        f"The article's text makes {len(results)} numeric claims: {counts.get('agrees', 0)} agree "
        f"with its table, {counts.get('disagrees', 0)} disagree and "
        f"{counts.get('cannot be checked', 0)} cannot be checked against it."
    ]
    no_figures = results[results.number.isna()]
    for row in no_figures.itertuples(index=False):
        sentences.append(
            f"{row.programme}: {row.claim[0].lower() + row.claim[1:]}; nothing can be verified."
        )
    flagged = results[
        (results.flag != "") & results.number.notna() & (results.status != "cannot be checked")
    ]
    coincidences = results[results.flag.str.contains("something else")]
    if len(flagged) or len(coincidences):
        sentences.append(
            f"{len(flagged) + len(coincidences)} of them raise a doubt about the table: "
            "values that equal a figure the text gives for a narrower or a different thing suggest that "
            f"some table entries were filled from single anecdotes ({table_label} gives each case)."
        )
    return sentences


def describe_influence(influence: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """One sentence per fit that has cities above the leverage or Cook's distance threshold."""
    codebook = codebook or load_codebook()
    sentences = []
    for (outcome, predictor), rows in influence.groupby(["outcome", "predictor"], sort=False):
        n = len(rows)
        above = rows[rows.high_leverage | rows.influential]
        if len(above) > LISTED_INFLUENTIAL:
            largest = above.nlargest(NAMED_CITIES, "cooks_distance")
            named = "; ".join(
                f"{row.city} (leverage {_threshold(row.leverage)}, "
                f"Cook's distance {_threshold(row.cooks_distance)})"
                for row in largest.itertuples(index=False)
            )
            sentences.append(
                f"{codebook.field(outcome).title} on {_phrase(predictor, codebook)}: {len(above):,} of "
                f"{n:,} cities exceed a threshold (thresholds {_threshold(4 / n)} for both); the largest "
                f"Cook's distances: {named}."
            )
            continue
        parts = []
        for row in above.itertuples(index=False):
            what = []
            if row.high_leverage:
                what.append(f"leverage {row.leverage:.2f}")
            if row.influential:
                what.append(f"Cook's distance {row.cooks_distance:.2f}")
            parts.append(f"{row.city} ({', '.join(what)})")
        if parts:
            sentences.append(
                f"{codebook.field(outcome).title} on {_phrase(predictor, codebook)}: "
                f"{'; '.join(parts)} (thresholds {4 / n:.2f} for both, n = {n})."
            )
    if not sentences:
        sentences.append("No city exceeds the leverage or Cook's distance threshold in any fit.")
    return sentences


def executive_summary(
    data: pd.DataFrame,
    classified: pd.DataFrame,
    loo: pd.DataFrame,
    claims: pd.DataFrame,
    codebook: Codebook | None = None,
) -> list[str]:
    """The report's opening paragraph, as bullet points built from the run's results."""
    codebook = codebook or load_codebook()
    city = codebook.id_field.name
    counts = classified.verdict.value_counts()
    family = len(classified)
    n = len(data)
    names = [str(name) for name in data[city]]
    synthetic = is_synthetic(names)
    if synthetic:
        opening = (
            f"This run uses a synthetic table, not the article's: {n:,} made-up municipalities "
            f"({names[0]} to {names[-1]}) with values from a seeded random generator, in the format of "
            "the article's table. It tests the pipeline at scale; none of its numbers describe a real "
            "place or the programmes."
        )
    else:
        listed = ", ".join(names) if n <= 12 else ", ".join(names[:5]) + f" and {n - 5:,} others"
        opening = (
            f"The article's table gives six indicators for {n:,} Italian cities taking part in the "
            f"Inclusione Attiva programme ({listed}), as reported by the programmes themselves."
        )
    bullets = [opening]
    for outcome in dict.fromkeys(classified.outcome):
        field = codebook.field(outcome)
        values = data[outcome]
        bullets.append(
            f"{field.title}: from {format_number(values.min())}{field.unit if field.unit == '%' else ''} "
            f"({_cities_at(data, outcome, values.min(), city)}) to "
            f"{format_number(values.max())}{field.unit if field.unit == '%' else ''} "
            f"({_cities_at(data, outcome, values.max(), city)})."
        )
    parts = [
        f"{counts.get(key, 0)} {VERDICTS[key]}" for key in ("robust", "hinges", "mixed", "none")
    ]
    bullets.append(
        f"Of the {family} outcome\u2013input pairs tested on n = {int(classified.n.max()):,} cities: "
        + "; ".join(parts)
        + "."
    )
    robust = classified[classified.verdict == "robust"]
    grouped = len(robust) > GROUPED_ROBUST
    if grouped:
        pairs = "; ".join(
            f"{_pair(row, codebook)} (R\u00b2 = {row.r_squared:.2f})"
            for row in robust.itertuples(index=False)
        )
        bullets.append(
            f"{len(robust)} pairs go together under every check (classic, robust, permutation and rank "
            f"p-values below {ALPHA} also after Holm's correction for {family} tests, and no single city's "
            f"removal changes that; n = {int(robust.n.min()):,}): {pairs}. The findings section gives their "
            "slopes and p-values."
        )
    bullets += findings(classified, loo, codebook, include_none=False, include_robust=not grouped)
    bullets += describe_audit(claims, synthetic=synthetic)[:1]
    bullets.append(
        "These are associations in made-up data, not findings about any real city or programme; the "
        "limitations section says what even real figures of this kind could not show."
        if synthetic
        else f"These are associations across {count_words(n)} self-reported city figures, not effects "
        "of the programmes; the limitations section says why."
    )
    return bullets


# ---------------------------------------------------------------- paragraphs that depend on n
# Markdown, shown by the notebooks with helpers.report.markdown; only numbers vary.
def descriptive_intro(n: int) -> str:
    """The opening paragraph of the descriptive section."""
    return (
        "Before any model, this section describes each indicator on its own and how the indicators "
        f"move together across the {count_words(n)} cities."
    )


def critical_correlation(n: int, alpha: float = ALPHA) -> float:
    """Smallest |r| that a two-sided t test on n - 2 degrees of freedom calls significant."""
    from scipy import stats as sps

    t = sps.t.ppf(1 - alpha / 2, n - 2)
    return float(t / (n - 2 + t * t) ** 0.5)


def correlation_intro(n: int) -> str:
    """What Pearson's and Spearman's coefficients measure, and how large one must be with n cities."""
    r = critical_correlation(n)
    size = (
        f"With {count_words(n)} cities, a coefficient has to be large (about {r:.2f} in absolute value) "
        "before it is distinguishable from zero at the usual 5% level, and even then it describes "
        "co-variation, not a cause."
        if r >= 0.3
        else f"With {count_words(n)} cities, a coefficient as small as {r:.2g} in absolute value is already "
        "distinguishable from zero at the usual 5% level, so a small p-value says little about how "
        "strong an association is; and a coefficient describes co-variation, not a cause."
    )
    return (
        "Pearson's coefficient measures how closely two indicators follow a straight line; Spearman's "
        "uses only the ranks of the cities, so a single extreme city weighs less. " + size
    )


def regression_intro(n: int) -> str:
    """The opening paragraph of the regression section."""
    return (
        "This section asks, one pair at a time, whether cities that report more of a programme "
        "activity (training, new businesses, community events, psychological support) also report a "
        "larger outcome (employment-rate increase, access to health services). Each line is an "
        f"ordinary least-squares fit with an intercept on the {count_words(n)} cities."
    )


def checks_intro(n: int, fits: int, method: str, orderings: int) -> str:
    """The paragraph introducing the checks beside the classic p-value.

    ``method`` and ``orderings`` are those of
    :func:`helpers.inference.permutation_method` for this sample.
    """
    values = f"the {count_words(n)} outcome values"
    strong = "that give a correlation at least as strong as the one observed"
    if method == "exact":
        permutation = f"the share of all {orderings:,} orderings of {values} {strong}"
    elif method == "monte carlo":
        permutation = (
            f"the share of {orderings:,} random orderings of {values} {strong} (from a fixed seed)"
        )
    else:
        permutation = (
            f"the share of {orderings:,} orderings of {values} {strong} (the orderings form a group "
            "chosen at random from a fixed seed, rotations of the values within two random halves of "
            "the cities, which keeps the test exact and lets every ordering be counted)"
        )
    assumption = (
        f"which {count_words(n)} points cannot confirm"
        if n <= SMALL_SAMPLE
        else "which the data need not satisfy"
    )
    return (
        f"A classic p-value assumes errors of constant spread drawn from a normal distribution, {assumption}. "
        "Four other readings are set beside it: a **robust (HC3) standard error**, which allows the "
        f"spread to differ from city to city; a **permutation p-value**, {permutation}, which assumes "
        "nothing about the shape of the errors; **Spearman's rank correlation**, which uses only the "
        "order of the cities; and "
        f"**Holm's correction**, which accounts for testing {count_words(fits)} pairs at once."
    )


def influence_intro(n: int) -> str:
    """The paragraph explaining leverage, Cook's distance and their thresholds for n cities."""
    return (
        "*Leverage* measures how far a city's input lies from the others, *Cook's distance* how much "
        "the fitted line moves when that city is left out. The usual thresholds are a leverage above "
        f"2p/n = {4 / n:.2g} and a Cook's distance above 4/n = {4 / n:.2g} (p = 2 coefficients, "
        f"n = {n:,} cities). Each fit is then repeated {count_words(n)} times, leaving out one city "
        "at a time."
    )
