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
    """One plain-English sentence on one simple regression."""
    codebook = codebook or load_codebook()
    y, x = _phrase(fit.outcome, codebook), _phrase(fit.predictor, codebook)
    x_unit = codebook.field(fit.predictor).unit or "unit"
    x_unit_singular = x_unit[:-1] if x_unit.endswith("s") else x_unit
    direction = "higher" if fit.slope > 0 else "lower"
    numbers = (
        f"slope {format_number(fit.slope)} {_unit(fit.outcome, codebook)} per {x_unit_singular}, "
        f"95% CI {format_number(fit.ci_low)} to {format_number(fit.ci_high)}, "
        f"p = {format_p(fit.p_value)}, R\u00b2 = {fit.r_squared:.2f}, n = {fit.n}"
    )
    if fit.p_value < ALPHA:
        return (
            f"Across the {fit.n} cities, those with more {x} tend to report a {direction} {y} "
            f"({numbers})."
        )
    return (
        f"Across the {fit.n} cities, {x} shows no clear linear association with {y}; "
        f"the data are compatible with no association ({numbers})."
    )


def summarise_fits(fits: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """One sentence per fit, strongest evidence first."""
    codebook = codebook or load_codebook()
    ordered = fits.sort_values("p_value", kind="stable")
    return [describe_fit(row, codebook) for row in ordered.itertuples(index=False)]


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
