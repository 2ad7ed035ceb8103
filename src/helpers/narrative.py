"""Sentences generated from the results, so the report's words stay true to its numbers.

Wording rules: associations, never effects. Ten city-level figures reported by
the programmes themselves cannot show what causes what, so no sentence here
says "effect", "impact", "causes" or "leads to", and every inferential sentence
states the number of cities it rests on.
"""

from __future__ import annotations

import pandas as pd

from helpers.codebook import Codebook, load_codebook
from helpers.tables import format_number, format_p

ALPHA = 0.05


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
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
        unit = "%" if field.unit == "%" else f" {field.unit}" if field.unit else ""
        sentence = (
            f"{field.title}: from {format_number(lo)}{unit} ({_cities_at(frame, name, lo, city)}) "
            f"to {format_number(hi)}{unit} ({_cities_at(frame, name, hi, city)}), "
            f"median {format_number(values.median())}{unit}"
        )
        if lo > 0 and field.unit != "%":
            sentence += f"; the largest value is {hi / lo:.1f} times the smallest"
        sentences.append(sentence + f" (n = {values.size}).")
    return sentences


# ---------------------------------------------------------------- findings under every check
#: What ten self-reported city figures cannot tell, stated with every set of findings.
LIMITATIONS = [
    "Associations, not effects: the ten cities all ran the programmes, with no comparison group "
    "and no measurement from before they began, so no figure here shows what an activity changed.",
    "Ecological data: the figures are city-level aggregates, and what holds across cities need not "
    "hold for the people in them.",
    "Self-reported: the programmes and municipalities supplied the figures; the article does not say "
    "how they were collected or checked.",
    "No control for size: counts are not scaled by each city's population or immigrant population, "
    "so larger cities may simply report larger numbers.",
    "An ambiguous unit: the article gives the employment-rate increase in percent without saying "
    "whether it means percentage points or a relative change.",
]

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
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def findings(
    classified: pd.DataFrame,
    loo: pd.DataFrame,
    codebook: Codebook | None = None,
    *,
    include_none: bool = True,
) -> list[str]:
    """Plain-English findings, one sentence per association worth a sentence.

    Every inferential sentence states n; none uses causal wording. With
    ``include_none=False`` the closing sentence on the pairs without any
    association is left out (the executive summary counts them instead).
    """
    codebook = codebook or load_codebook()
    family = len(classified)
    sentences = []
    for row in classified[classified.verdict == "robust"].itertuples(index=False):
        sentences.append(
            f"Across the {row.n} cities, {_pair(row, codebook)} go together under every check "
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
            f"R\u00b2 = {row.r_squared:.2f}, n = {row.n}), but this rests on {_list(decisive)}: without "
            f"{'it' if len(decisive) == 1 else 'one of them'} the p-value rises to {format_p(worst)} "
            f"(n = {row.n - 1}).{holm}"
        )
    for row in classified[classified.verdict == "mixed"].itertuples(index=False):
        extra = (
            f" Leaving out {_list(list(row.decisive_cities))} alone changes the conclusion."
            if not row.survives_all_drops
            else ""
        )
        sentences.append(
            f"For {_pair(row, codebook)} the evidence is mixed (n = {row.n}): {_p(row.p_value)} "
            f"classic, {format_p(row.p_value_hc3)} robust (HC3), {format_p(row.p_permutation)} by "
            f"permutation and {format_p(row.spearman_p)} for the rank correlation; "
            f"{format_p(row.p_holm)} after Holm's correction.{extra}"
        )
    none = classified[classified.verdict == "none"]
    if len(none) and include_none:
        pairs = "; ".join(_pair(row, codebook) for row in none.itertuples(index=False))
        sentences.append(
            f"For {len(none)} of {family} pairs the data are indistinguishable from no association "
            f"under every check (all p \u2265 {ALPHA}, n = {int(none.n.min())} cities each): {pairs}."
        )
    return sentences


def describe_audit(results: pd.DataFrame, table_label: str = "the table") -> list[str]:
    """Sentences summarising the check of the article's text against its table."""
    counts = results.status.value_counts()
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
        parts = []
        for row in rows[rows.high_leverage | rows.influential].itertuples(index=False):
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
    bullets = [
        f"The article's table gives six indicators for {len(data)} Italian cities taking part in the "
        f"Inclusione Attiva programme ({', '.join(map(str, data[city]))}), as reported by the "
        "programmes themselves.",
    ]
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
        f"Of the {family} outcome\u2013input pairs tested on n = {int(classified.n.max())} cities: "
        + "; ".join(parts)
        + "."
    )
    bullets += findings(classified, loo, codebook, include_none=False)
    bullets += describe_audit(claims)[:1]
    bullets.append(
        "These are associations across ten self-reported city figures, not effects of the programmes; "
        "the limitations section says why."
    )
    return bullets
