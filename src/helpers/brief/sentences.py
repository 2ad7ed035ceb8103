"""The plain-English sentence of each pair that ``tables/findings.csv`` keeps for downstream readers.

Two columns of prose beside the numbers and codes: ``bottom_line`` (no statistics)
and ``sentence`` (the estimate with its interval, n and p, and what weakens the
verdict). Always English: a machine-readable table has one language; the reviewer
document writes its own words in each language (:mod:`helpers.brief.results`).
"""

from __future__ import annotations

import pandas as pd

from helpers import i18n
from helpers.brief import words as w
from helpers.codebook import Codebook
from helpers.findings import ALPHA


def bottom_line(row, codebook: Codebook, family: int, alpha: float = ALPHA) -> str:
    """One plain sentence on one pair: what the cities' figures show and how much weight it bears."""
    x, y = w.indicator(row.predictor, codebook), w.indicator(row.outcome, codebook)
    if row.verdict == "inconclusive":
        return (
            f"Cities' figures for {x} and {y} cannot tell whether the two go together: the data allow "
            f"{w.link_range(row.r_ci_low, row.r_ci_high)}."
        )
    direction = "higher" if row.r > 0 else "lower"
    pattern = f"Cities that report more {x} also tend to report {direction} figures for {y}"
    if row.verdict == "consistent":
        return f"{pattern}; it passes every test of the report, but it is a pattern across cities, not an effect."
    if row.borderline:
        return f"{pattern}, but the link is borderline once all {family} pairs tested are allowed for."
    if not row.p_adjusted < alpha:
        return f"{pattern}, but allowing for all {family} pairs tested, it could be chance."
    return f"{pattern}, but not every check that has the power to confirm it does."


def sentence(row, codebook: Codebook, family: int, alpha: float = ALPHA) -> str:
    """The pair's estimate and what weakens its verdict, with the numbers."""
    pair = w.pair(row.outcome, row.predictor, codebook)
    estimate = (
        f"r = {w.r(row.r)}, {w.ci(row.r_ci_low, row.r_ci_high)}, n = {int(row.n)}; permutation {w.p(row.p_primary)}"
    )
    if row.verdict == "inconclusive":
        return f"Inconclusive for {pair} ({estimate})."
    parts = [f"{w.capital(w.verdict(row.verdict))} association for {pair} ({estimate})"]
    adjusted = f"adjusted for {family} pairs p = {w.p2(row.p_adjusted)}"
    if row.borderline:
        adjusted += f", borderline ({w.p2(row.p_adjusted_min)} to {w.p2(row.p_adjusted_max)} across methods)"
    parts.append(adjusted)
    if len(row.weakening):
        parts.append("not confirmed by " + w.listed([w.check(name) for name in row.weakening]))
    if len(row.decisive_counted):
        parts.append("one city decides the slope (" + w.cities(list(row.decisive_counted), "or") + ")")
    if row.without_reading == "precision":
        parts.append("without the doubted figures a similar slope, too imprecise to tell from zero")
    elif row.without_reading == "dependence":
        parts.append("without the doubted figures the slope itself moves")
    return "; ".join(parts) + "."


def english(classified: pd.DataFrame, codebook: Codebook) -> tuple[list[str], list[str]]:
    """The ``sentence`` and ``bottom_line`` of every pair of ``classified``, in English, in fit order."""
    with i18n.language(i18n.SOURCE_LANGUAGE):
        family = len(classified)
        rows = list(classified.itertuples(index=False))
        return [sentence(row, codebook, family) for row in rows], [bottom_line(row, codebook, family) for row in rows]
