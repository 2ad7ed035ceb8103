"""Verdicts: what each pair's numbers allow a reader to conclude, by rules fixed before looking.

The rules, declared in docs/methods.md and in the report before any result:

* **Primary test**: the exact permutation test of Pearson's r, two-sided, at
  :data:`ALPHA` = 0.05 (``p_permutation``), adjusted for every pair of the run
  by Westfall and Young's single-step maxT (``p_westfall_young``).
* **Checks**, each of which can only weaken a verdict, never strengthen it: the
  classic t test, the HC2 standard error on Bell-McCaffrey degrees of freedom,
  Spearman's rank correlation (exact for n <= 10) and the wild bootstrap. A
  check *disagrees* when its p-value is at or above alpha or its estimate has
  the other sign.
* **Only a check with the power to weaken may weaken**: a check (or the one-city
  rule below) counts only if, when the pair's association is as observed, it
  confirms it at least 80% as often as the primary test detects it
  (:mod:`helpers.calibration`, by simulation of this design); without a
  calibration every check and the city rule count, as declared.
* **One city**: a city *decides* a pair when leaving it out moves the slope by
  more than 2/sqrt(n) of its standard errors (|DFBETAS|; never less than
  :data:`DFBETAS_FLOOR`, so that with thousands of cities a negligible shift
  does not count) or, for a pair whose primary p is below alpha, flips the
  slope's sign (the sign of a slope the data cannot establish carries no
  conclusion to flip). A p-value that crosses alpha when a city is left out,
  with the slope nearly unchanged, is a loss of precision, not dependence: it
  is reported, and it does not change the verdict. The same rule judges the pair
  without every city whose figure the claims audit doubts: the slope's shift over
  the full fit's standard error, against the same threshold
  (:func:`without_reading`).
* **Borderline**: the declared adjustment sets the verdict; the adjusted p of
  maxT, minP and Holm are reported as a range, and a pair is *borderline* when
  they fall on both sides of alpha or the declared one lies within
  :data:`BORDERLINE` of it.

Verdicts, strongest first (:data:`VERDICTS`):

* ``consistent``: adjusted p < alpha, no check disagrees, no city decides it;
* ``tentative``: p < alpha before adjustment, but the adjusted p is not, or a
  check disagrees, or a city decides it;
* ``inconclusive``: p >= alpha. The data are then compatible with a wide range
  of associations, of either sign (the interval says which); never "no association".

Numbers and codes only: the sentences live in the report wing (:mod:`helpers.brief`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from scipy import stats as sps

from helpers import contract
from helpers.audit import FLAGGED_COLUMNS
from helpers.inference import dfbetas_threshold, permutation_test
from helpers.stats import fisher_interval

ALPHA = 0.05
#: Verdicts, strongest first.
VERDICTS = ("consistent", "tentative", "inconclusive")
#: Smallest |DFBETAS| that counts as a material shift of the slope, whatever n.
DFBETAS_FLOOR = 0.5
#: The checks beside the primary test: name -> column of its p-value.
CHECKS = {
    "classic": "p_value",
    "hc2": "p_value_hc2_bm",
    "rank": "spearman_p",
    "wild": "p_wild_bootstrap",
}
#: What may weaken a verdict: the checks, and the one-city rule.
RULES = (*CHECKS, "city")
FINDINGS_COLUMNS = contract.FINDINGS_COLUMNS
#: A declared adjusted p within this range is borderline, whatever the other methods say.
BORDERLINE = (0.04, 0.06)
#: The adjusted p-values whose range is reported: name -> column of ``simple_regressions.csv``.
ADJUSTMENTS = {"maxT": "p_westfall_young", "minP": "p_westfall_young_minp", "Holm": "p_holm"}
#: A pair is scale-sensitive when its r on another scale of the inputs differs by this much or more.
SCALE_SHIFT = 0.3
#: What the pair without the doubted cities shows (:func:`without_reading`).
WITHOUT_READINGS = ("holds", "precision", "dependence")


def strength(verdict: str) -> int:
    """0 for the strongest verdict, larger for weaker ones."""
    return VERDICTS.index(verdict)


def verdict(
    p_primary: float,
    p_adjusted: float,
    disagreeing: Collection[str] = (),
    decisive: Collection[str] = (),
    *,
    alpha: float = ALPHA,
) -> str:
    """The verdict of one pair from its primary p-values, its disagreeing checks and deciding cities."""
    if not p_primary < alpha:
        return "inconclusive"
    if p_adjusted < alpha and not disagreeing and not decisive:
        return "consistent"
    return "tentative"


def decision_threshold(n: int) -> float:
    """|DFBETAS| above which one city decides a pair: 2/sqrt(n), at least :data:`DFBETAS_FLOOR`."""
    return max(dfbetas_threshold(n), DFBETAS_FLOOR)


def rank_p(row: Mapping | object) -> float:
    """The rank correlation's p-value: exact where the orderings were enumerated, else the t approximation."""
    exact = getattr(row, "spearman_p_exact", math.nan)
    return row.spearman_p if math.isnan(exact) else exact


def disagreeing_checks(row: object, *, alpha: float = ALPHA) -> list[str]:
    """The checks (names of :data:`CHECKS`) that do not confirm the primary test's direction at alpha."""
    found = []
    for name, column in CHECKS.items():
        p = rank_p(row) if name == "rank" else getattr(row, column)
        same_sign = np.sign(row.spearman_rho) == np.sign(row.r) if name == "rank" else True
        if not (p < alpha and same_sign):
            found.append(name)
    return found


def city_dependence(
    influence: pd.DataFrame,
    loo: pd.DataFrame,
    slope: float,
    p_value: float,
    p_primary: float,
    *,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """One row per city of one fit: its DFBETAS, the refit without it, and what that means.

    ``decisive``: |DFBETAS| above :func:`decision_threshold`, or, when the
    primary p is below ``alpha``, a refit whose slope has the other sign (or
    none at all); ``precision_only``: not decisive, but the refit's classic
    p-value is at or above ``alpha`` while the full fit's (``p_value``) is below
    (a loss of precision); ``matters``: decisive or of high leverage, the cities
    whose doubtful values the findings point out.
    """
    without = loo.set_index("dropped_city")  # one refit per city: a duplicate would raise below
    merged = influence.assign(
        slope_without=influence.city.map(without.slope),
        p_without=influence.city.map(without.p_value),
    )
    n = len(merged)
    flipped = ~(np.sign(merged.slope_without) == np.sign(slope)) & (p_primary < alpha)
    decisive = (merged.dfbetas.abs() > decision_threshold(n)) | flipped
    precision = ~decisive & (p_value < alpha) & ~(merged.p_without < alpha)
    return merged.assign(
        decisive=decisive,
        precision_only=precision,
        matters=decisive | merged.high_leverage,
    )


def without_reading(shift: float, p_without: float, p_primary: float, n: int, *, alpha: float = ALPHA) -> str:
    """What leaving out the doubted cities does to a pair, judged as one city is.

    ``shift``: the slope's move, over the full fit's standard error. ``dependence``
    when it exceeds :func:`decision_threshold` (the estimate itself moves);
    ``precision`` when it does not but the pair's primary p was below alpha and the
    refit's is not (a similar slope, too imprecise to tell from zero); otherwise
    ``holds``. A smaller sample's p crossing alpha with the estimate unchanged is
    lost precision, not dependence.
    """
    if abs(shift) > decision_threshold(n):
        return "dependence"
    if p_primary < alpha and not p_without < alpha:
        return "precision"
    return "holds"


def adjusted_range(row: object) -> tuple[float, float]:
    """The smallest and largest adjusted p of a pair over the methods of :data:`ADJUSTMENTS` that were computed."""
    values = [getattr(row, column, math.nan) for column in ADJUSTMENTS.values()]
    values = [v for v in values if v == v]
    return (min(values), max(values)) if values else (math.nan, math.nan)


def is_borderline(p_adjusted: float, low: float, high: float, *, alpha: float = ALPHA) -> bool:
    """Borderline: the adjustment methods fall on both sides of alpha, or the declared p lies within BORDERLINE."""
    return bool(low < alpha <= high or BORDERLINE[0] <= p_adjusted <= BORDERLINE[1])


def scale_sensitivity(curve: pd.DataFrame, outcome: str, predictor: str, *, count: str = "count") -> bool:
    """True when the pair's r on another scale of the inputs differs from the count scale's by SCALE_SHIFT or more.

    ``curve`` is the specification curve (:func:`helpers.specification.curve`): its
    Pearson r on all cities, per scale.
    """
    own = curve[(curve.outcome == outcome) & (curve.predictor == predictor) & (curve["sample"] == "all")
                & (curve.estimator == "ols")].set_index("scale").estimate
    if count not in own.index:
        return False
    others = own.drop(index=count).dropna()
    return bool((np.abs(others - own[count]) >= SCALE_SHIFT - 1e-12).any())


#: How much larger a doubtful "part" value is assumed to be in the sensitivity figure of a finding.
LARGER_BY = 1.5


def slope_if_larger(data: pd.DataFrame, row: object, cell: object, city: str = "city") -> float:
    """The fit's slope if one doubtful cell were :data:`LARGER_BY` times as large.

    A table value that equals the article's figure for only part of it ("over
    10,000" at one festival) can only be too small, so the finding says which
    way the slope would move. NaN when the analysed value is not the one the
    audit read (a log scale), where the comparison would mean something else.
    """
    fitted = data[[city, row.outcome, row.predictor]].dropna()
    at = fitted.index[fitted[city] == cell.city]
    if len(at) != 1 or fitted.at[at[0], cell.field] != cell.value:
        return math.nan
    fitted = fitted.astype({row.outcome: float, row.predictor: float})
    fitted.loc[at[0], cell.field] = cell.value * LARGER_BY
    x = fitted[row.predictor].to_numpy()
    dx = x - x.mean()  # centred, so y need not be: sum(dx) * mean(y) is zero
    return float(dx @ fitted[row.outcome].to_numpy() / (dx @ dx))


def without_cities(
    data: pd.DataFrame,
    outcome: str,
    predictor: str,
    cities: Collection[str],
    *,
    city: str = "city",
    seed: int = 20240529,
) -> dict:
    """The pair's correlation without ``cities``: what the audit's doubt would cost a finding.

    Keys: ``cities`` (as given), ``n``, ``r`` with its 95% interval (``r_ci_low``,
    ``r_ci_high``, Fisher's z) and ``p``, the primary test on the cities left (the
    permutation test of r: exact over every ordering up to ten cities, seeded
    Monte Carlo above); ``slope`` per unit of the input with its classic 95%
    interval (``slope_ci_low``, ``slope_ci_high``, t on n - 2 degrees of freedom).
    With fewer than three cities left, or no spread, they are NaN.
    """
    rest = data.loc[~data[city].isin(cities), [outcome, predictor]].dropna()
    x, y = rest[predictor].to_numpy(float), rest[outcome].to_numpy(float)
    n = len(rest)
    out = {"cities": list(cities), "n": n, "r": math.nan, "r_ci_low": math.nan, "r_ci_high": math.nan,
           "p": math.nan, "slope": math.nan, "slope_ci_low": math.nan, "slope_ci_high": math.nan}
    if n < 3 or not (np.std(x) > 0 and np.std(y) > 0):
        return out
    xc, yc = x - x.mean(), y - y.mean()
    r = float(xc @ yc / math.sqrt(float(xc @ xc) * float(yc @ yc)))
    low, high = fisher_interval(r, n)
    p = float(np.ravel(permutation_test(x, y, seed=seed).p)[0])
    slope = float(xc @ yc / (xc @ xc))
    residuals = yc - slope * xc
    se = math.sqrt(float(residuals @ residuals) / (n - 2) / float(xc @ xc)) if n > 2 else math.nan
    margin = float(sps.t.ppf(0.975, n - 2)) * se if n > 2 else math.nan
    return out | {"r": r, "r_ci_low": low, "r_ci_high": high, "p": p,
                  "slope": slope, "slope_ci_low": slope - margin, "slope_ci_high": slope + margin}


def classify(
    checked: pd.DataFrame,
    influence: pd.DataFrame,
    loo: pd.DataFrame,
    flagged: pd.DataFrame | None = None,
    data: pd.DataFrame | None = None,
    *,
    calibration: pd.DataFrame | None = None,
    curve: pd.DataFrame | None = None,
    alpha: float = ALPHA,
    seed: int = 20240529,
) -> pd.DataFrame:
    """Give each fit its verdict and the reasons a reader needs.

    ``checked`` comes from :func:`helpers.inference.checks`, ``influence`` from
    :func:`helpers.inference.influence`, ``loo`` from
    :func:`helpers.inference.leave_one_out`, and ``flagged`` (optional) from
    :func:`helpers.audit.flagged_cells`; with ``data`` (the analysed table) each
    doubtful "part" value also gets the slope if it were larger
    (:func:`slope_if_larger`). New columns: ``verdict``,
    ``p_primary``, ``p_adjusted``, ``disagreeing`` (names of checks),
    ``cities`` (the :func:`city_dependence` table of the fit),
    ``decisive_cities``, ``influential_cities`` (cities that decide the pair or
    have high leverage), ``audit`` (the flagged cells of those cities in the
    pair's two columns), ``doubted`` (the flagged cells of *every* city in the
    pair's two columns) and, with ``data``, ``without_doubted`` (the pair
    without the cities of ``doubted``: :func:`without_cities`, or None when the
    audit doubts none of its cells) with ``without_shift`` (the slope's move
    without them, over the full fit's standard error) and ``without_reading``
    (:func:`without_reading`; empty when none is doubted).

    ``calibration`` (optional, :func:`helpers.calibration.calibrate`) names, per
    pair, the checks and rules that may weaken its verdict (``may_weaken``);
    ``weakening`` lists the disagreeing checks among them, ``decisive_counted`` the
    deciding cities if the city rule is among them, and only those two weaken the
    verdict. ``p_adjusted_min``, ``p_adjusted_max``: the range of the adjusted p
    over maxT, minP and Holm (:func:`adjusted_range`), ``borderline``
    (:func:`is_borderline`); ``scale_sensitive`` with ``curve`` (the specification
    curve, :func:`scale_sensitivity`), else False.
    """
    if flagged is None:
        flagged = pd.DataFrame(columns=FLAGGED_COLUMNS)
    allowed = {}
    if calibration is not None:
        seen = calibration[calibration.scenario == "observed"]
        allowed = {(c.outcome, c.predictor): [] if c.may_weaken != c.may_weaken or not c.may_weaken
                   else str(c.may_weaken).split(";") for c in seen.itertuples(index=False)}
    rows = []
    for row in checked.itertuples():
        key = (influence.outcome == row.outcome) & (influence.predictor == row.predictor)
        drops = loo[(loo.outcome == row.outcome) & (loo.predictor == row.predictor)]
        cities = city_dependence(
            influence[key], drops, row.slope, row.p_value, row.p_permutation, alpha=alpha
        )
        decisive = list(cities.city[cities.decisive])
        matters = list(cities.city[cities.matters])
        doubted = flagged[flagged.field.isin([row.outcome, row.predictor])].sort_values("claim_id")
        audit = doubted[doubted.city.isin(matters)]
        audit = audit.assign(
            slope_if_larger=[
                slope_if_larger(data, row, cell)
                if data is not None and cell.reason == "part"
                else math.nan
                for cell in audit.itertuples()
            ]
        )
        adjusted = row.p_westfall_young if row.adjustment == "westfall-young" else row.p_holm
        disagreeing = disagreeing_checks(row, alpha=alpha)
        may_weaken = allowed.get((row.outcome, row.predictor), list(RULES))
        weakening = [name for name in disagreeing if name in may_weaken]
        counted = decisive if "city" in may_weaken else []
        low, high = adjusted_range(row)
        without = (
            without_cities(data, row.outcome, row.predictor, list(dict.fromkeys(doubted.city)), seed=seed)
            if data is not None and len(doubted)
            else None
        )
        shift = (row.slope - without["slope"]) / row.slope_se if without else math.nan
        rows.append(
            {
                "verdict": verdict(row.p_permutation, adjusted, weakening, counted, alpha=alpha),
                "p_primary": row.p_permutation,
                "p_adjusted": adjusted,
                "p_adjusted_min": low,
                "p_adjusted_max": high,
                "borderline": is_borderline(adjusted, low, high, alpha=alpha),
                "disagreeing": disagreeing,
                "may_weaken": may_weaken,
                "weakening": weakening,
                "decisive_counted": counted,
                "scale_sensitive": False if curve is None else scale_sensitivity(curve, row.outcome, row.predictor),
                "cities": cities,
                "decisive_cities": decisive,
                "influential_cities": matters,
                "audit": audit.reset_index(drop=True),
                "doubted": doubted.reset_index(drop=True),
                "without_doubted": without,
                "without_shift": shift,
                "without_reading": (
                    without_reading(shift, without["p"], row.p_permutation, row.n, alpha=alpha) if without else ""
                ),
            }
        )
    return pd.concat([checked.reset_index(drop=True), pd.DataFrame(rows)], axis=1)


def _without_columns(classified: pd.DataFrame) -> dict[str, list]:
    """findings.csv's numbers of each pair without the cities the audit doubts (NaN: none doubted)."""
    fits = classified.without_doubted if "without_doubted" in classified else [None] * len(classified)
    empty = dict.fromkeys(["n", "r", "p"], math.nan)
    fits = [fit or empty for fit in fits]
    return {
        # whole numbers with gaps: pandas infers its nullable Int64, so the CSV writes 8, not 8.0
        "n_without_flagged": pd.array([fit["n"] for fit in fits]),
        "r_without_flagged": [fit["r"] for fit in fits],
        "p_without_flagged": [fit["p"] for fit in fits],
    }


def _without_slopes(classified: pd.DataFrame) -> dict[str, list]:
    """The slope without the doubted cities, per unit of the input, with its classic 95% interval."""
    fits = classified.without_doubted if "without_doubted" in classified else [None] * len(classified)
    return {
        f"slope{part}_without_flagged": [fit[f"slope{part}"] if fit else math.nan for fit in fits]
        for part in ("", "_ci_low", "_ci_high")
    }


def order(classified: pd.DataFrame) -> pd.DataFrame:
    """Pairs strongest verdict first, then by primary p-value."""
    # pandas sorts on several columns with a stable lexsort: ties keep the fit order
    ranked = classified.assign(_rank=classified.verdict.map(strength))
    return ranked.sort_values(["_rank", "p_primary"]).drop(columns="_rank")


def table(
    classified: pd.DataFrame,
    sentences: Collection[str],
    bottom_lines: Collection[str] | None = None,
) -> pd.DataFrame:
    """The machine-readable findings (``tables/findings.csv``), one row per pair, in fit order.

    ``bottom_lines``: the plain-words sentence of each pair (empty when not given),
    ``sentences`` the full one with its numbers.

    The columns are :data:`FINDINGS_COLUMNS`, in the order written here (tested).
    """
    return pd.DataFrame(
        {
            "outcome": classified.outcome,
            "predictor": classified.predictor,
            "n": classified.n,
            "verdict": classified.verdict,
            "r": classified.r,
            "r_ci_low": classified.r_ci_low,
            "r_ci_high": classified.r_ci_high,
            "p_primary": classified.p_primary,
            "p_adjusted": classified.p_adjusted,
            "influential_cities": classified.influential_cities.map(";".join),
            "audit_flags": [
                ";".join(f"{a.claim_id} {a.city}" for a in doubted.itertuples())
                for doubted in classified.doubted
            ],
            **_without_columns(classified),
            "bottom_line": list(bottom_lines) if bottom_lines is not None else [""] * len(classified),
            "sentence": list(sentences),
            **_without_slopes(classified),
            "without_flagged_shift": classified.without_shift,
            "without_flagged_reading": classified.without_reading,
            "p_adjusted_min": classified.p_adjusted_min,
            "p_adjusted_max": classified.p_adjusted_max,
            "borderline": classified.borderline,
            "scale_sensitive": classified.scale_sensitive,
            "may_weaken": classified.may_weaken.map(";".join),
        }
    )
