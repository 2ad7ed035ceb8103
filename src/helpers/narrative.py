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
        f"p = {format_p(fit.p_value)}, R\u00b2 = {fit.r_squared:.2f}, n = {fit.n})."
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
            f"(p = {format_p(r.p_value)})"
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
