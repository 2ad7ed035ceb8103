"""City size and the analytic choices: input scales and the specification curve.

Two jobs. First, the ``input_scale`` parameter: every input as published
(``count``), per 10,000 residents (``per_10k_residents``, with the population table
read through :func:`helpers.codebook.load_population`) or as its natural logarithm
(``log``). Second, the specification curve of every outcome–input pair: the same
association estimated under every combination of the reasonable choices (Simonsohn,
Simmons and Nelson, *Nature Human Behaviour* 4, 2020; the "multiverse" of Steegen,
Tuerlinckx, Gelman and Vanpaemel, *Perspectives on Psychological Science* 11, 2016):

* scale: the three above;
* sample: every city (``all``); without the cities whose values the claims audit
  flags in the pair's two columns (``without_flagged``, when there are any); without
  each high-leverage city in turn (``without_<city>``: leverage above 2p/n = 4/n in the
  pair's fit on any of the three scales, the :data:`LEVERAGE_CITIES` largest, a city
  already left out as the flagged values not twice);
* estimator (Spearman's rho not on the log scale, where it equals the count's):
  ``ols``, the standardised least-squares slope, which is Pearson's r
  (95% interval by Fisher's z, :func:`helpers.stats.fisher_interval`); ``spearman``,
  Spearman's rho (interval by Fisher's z with Bonett and Wright's variance,
  *Psychometrika* 65, 2000); ``theil_sen``, the median of the pairwise slopes (Theil
  1950; Sen, *JASA* 63, 1968), standardised like the OLS slope (times sd(x) / sd(y)),
  with Sen's interval from the distribution of Kendall's tau.

p-values: for ``ols`` and ``spearman`` a two-sided permutation test of r (of the
values, or of their ranks) over :data:`CURVE_PERMUTATIONS` random orderings from the
run's seed (:func:`helpers.inference.permutation_test`; every specification of one
sample is scored on the same orderings), the t approximation above
:data:`CURVE_PERMUTATION_LIMIT` cities; for ``theil_sen`` Kendall's tau test, the
test Sen's slope inverts. The curve is a robustness display: it can show that a
conclusion depends on a choice, never make a conclusion stronger than the primary
test's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import scipy.stats as sps

from helpers import contract, i18n, inference, paths, stats
from helpers.codebook import Codebook, Field, derived_translations, load_population
from helpers.contract import PER_RESIDENTS
from helpers.errors import DataError, ParameterError, Problem
from helpers.i18n import _

SCALES = ("count", "per_10k_residents", "log")
ESTIMATORS = ("ols", "spearman", "theil_sen")
#: Random orderings behind each permutation p-value of the curve.
CURVE_PERMUTATIONS = 19_999
#: Above this many cities the curve's p-values of r and rho use the t approximation.
CURVE_PERMUTATION_LIMIT = 1_000
#: Shufflings of each outcome behind the curve's joint test (:func:`joint_test`).
JOINT_SHUFFLES = 1_999
#: Above this many cities the joint test leaves Theil–Sen out: its shuffled intervals sort
#: n² / 2 slopes per shuffle (at 500 cities, 2,000 shuffles of 125,000 slopes per specification).
JOINT_THEIL_SEN_LIMIT = 100
#: Above this many cities the joint test is not run (every specification's interval is then
#: narrow, and shuffling thousands of cities 1,999 times costs minutes): its p is empty.
JOINT_CITY_LIMIT = CURVE_PERMUTATION_LIMIT
#: Columns of the joint test's table (:func:`joint_test`).
JOINT_COLUMNS = contract.SPECIFICATION_JOINT_COLUMNS
#: Above this many cities Theil–Sen (n² / 2 pairwise slopes) is left out.
THEIL_SEN_LIMIT = 2_000
#: At most this many high-leverage cities are left out one at a time, largest first.
LEVERAGE_CITIES = 3
ALPHA = 0.05
SPECIFICATION_COLUMNS = contract.SPECIFICATION_COLUMNS
ALL, WITHOUT_FLAGGED = "all", "without_flagged"
NEEDS_POPULATION = "a row for this city in the population table (input_scale per_10k_residents needs it)"


# ------------------------------------------------------------------ the input scale
def check_scale(scale: str) -> str:
    """``scale`` if it is one of :data:`SCALES`; otherwise a ParameterError listing them."""
    if scale not in SCALES:
        raise ParameterError(
            f"parameter 'input_scale' is {scale!r}; choose one of: {', '.join(SCALES)}"
        )
    return scale


def needs_population(scale: str) -> bool:
    """True for the scales that divide by the resident population."""
    return check_scale(scale) == "per_10k_residents"


def missing_population(
    cities: Sequence[str], population: pd.DataFrame | None = None
) -> list[str]:
    """The cities that have no row in the population table, in the order given."""
    population = load_population() if population is None else population
    known = set(population.city)
    return [str(c) for c in cities if c not in known]


def require_population(
    cities: Sequence[str], population: pd.DataFrame | None = None, *, path: str | None = None
) -> None:
    """A DataError naming every city that the population table lacks (none: nothing)."""
    missing = missing_population(cities, population)
    if missing:
        raise DataError(
            path or paths.display_path(_population_file()),
            [
                Problem(None, "population", None, NEEDS_POPULATION, city=c)
                for c in missing
            ],
        )


def _population_file():
    from helpers.codebook import population_path

    return population_path()


def scale_inputs(
    frame: pd.DataFrame,
    predictors: Sequence[str],
    scale: str,
    population: pd.DataFrame | None = None,
    *,
    city: str = "city",
) -> pd.DataFrame:
    """A copy of ``frame`` with each predictor on ``scale`` (outcomes untouched).

    ``per_10k_residents``: value / population * 10,000, the population from
    ``population`` (default: the data package's table); a city without one is a
    DataError naming it. ``log``: natural logarithm (only positive values have one:
    ParameterError otherwise, from :func:`helpers.inference.log_transform`).
    """
    check_scale(scale)
    if scale == "count":
        return frame.copy()
    if scale == "log":
        return inference.log_transform(frame, predictors)
    population = load_population() if population is None else population
    require_population(list(frame[city]), population)
    residents = frame[city].map(population.set_index("city").population).astype(float)
    out = frame.copy()
    for name in predictors:
        out[name] = out[name].astype(float) / residents * PER_RESIDENTS
    return out


def analysed(
    frame: pd.DataFrame,
    codebook: Codebook,
    predictors: Sequence[str],
    *,
    input_scale: str = "count",
    population: pd.DataFrame | None = None,
    log_variables: Sequence[str] = (),
) -> tuple[pd.DataFrame, Codebook]:
    """The table as the run analyses it, with the codebook that describes it.

    Every input on ``input_scale`` (:func:`scale_inputs`), then the ``log_variables``
    on the natural-log scale; the codebook's units and titles say so
    (:func:`scaled_codebook`, :meth:`Codebook.with_log`). The notebooks that fit,
    calibrate and judge the pairs all start from here, so they analyse the same values.
    """
    check_scale(input_scale)
    data = frame
    if input_scale != "count":  # a city without a population is a data error, named
        data = scale_inputs(data, predictors, input_scale, population)
    if log_variables:
        data = inference.log_transform(data, list(log_variables))
    return data, analysed_codebook(codebook, predictors, input_scale=input_scale, log_variables=log_variables)


def analysed_codebook(
    codebook: Codebook, predictors: Sequence[str], *, input_scale: str = "count", log_variables: Sequence[str] = ()
) -> Codebook:
    """The codebook of the values :func:`analysed` returns: units and titles say the scale and the logs.

    What the reviewer document gives a figure of fitted slopes, from the run's parameters,
    without the data (see :attr:`helpers.brief.evidence.Evidence.analysed_codebook`).
    """
    codebook = scaled_codebook(codebook, predictors, input_scale)
    return codebook.with_log(list(log_variables)) if log_variables else codebook


def scaled_codebook(codebook: Codebook, predictors: Sequence[str], scale: str) -> Codebook:
    """The codebook with the predictors' units (and, for ``log``, titles) saying the scale.

    In every report language (:data:`helpers.i18n.LANGUAGES`): each field carries its
    unit per residents in each language's words, as :meth:`Codebook.with_log` does for
    the logarithm; a language whose catalog or field texts are missing keeps the reason,
    raised only when the field is asked for in that language.
    """
    check_scale(scale)
    if scale == "count":
        return codebook
    if scale == "log":
        return codebook.with_log(list(predictors))
    fields = tuple(_per_residents(f) if f.name in predictors else f for f in codebook.fields)
    return replace(codebook, fields=fields)


def _per_residents(field: Field) -> Field:
    """``field`` counted per :data:`~helpers.contract.PER_RESIDENTS` residents, in English and every language."""
    per = f"per {PER_RESIDENTS:,} residents"
    unit = f"{field.unit} {per}" if field.unit else per

    def texts_for(shown: Field) -> dict[str, str]:
        number = i18n.integer(PER_RESIDENTS)
        if not field.unit:
            return dict.fromkeys(("unit", "unit_singular"), _("per {number} residents").format(number=number))
        return {
            "unit": _("{unit} per {number} residents").format(unit=shown.unit_text, number=number),
            "unit_singular": _("{unit} per {number} residents").format(
                unit=shown.unit_singular_text, number=number
            ),
        }

    translations, untranslatable = derived_translations(field, texts_for)
    return replace(
        field,
        unit=unit,
        as_published=field.published,
        translations=translations,
        translated_unit=unit,
        untranslatable=untranslatable,
    )


# ------------------------------------------------------------------ estimators
def pairwise_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The slope of every pair of points with different x, (y_j - y_i) / (x_j - x_i)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    return (y[j] - y[i])[keep] / dx[keep]


def theil_sen(x: np.ndarray, y: np.ndarray) -> float:
    """Theil–Sen slope: the median of the pairwise slopes (pairs with equal x left out)."""
    slopes = pairwise_slopes(x, y)
    return float(np.median(slopes)) if slopes.size else math.nan


def theil_sen_interval(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Sen's confidence interval of the Theil–Sen slope (scipy.stats.theilslopes)."""
    result = sps.theilslopes(np.asarray(y, float), np.asarray(x, float), alpha=level)
    return float(result.low_slope), float(result.high_slope)


def spearman_interval(rho: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Interval of Spearman's rho: Fisher's z with Bonett and Wright's variance (1 + rho²/2) / (n - 3)."""
    if n <= 3 or not math.isfinite(rho):
        return -1.0, 1.0
    if abs(rho) >= 1:
        return float(rho), float(rho)
    half = sps.norm.ppf(0.5 + level / 2) * math.sqrt((1 + rho**2 / 2) / (n - 3))
    z = math.atanh(rho)
    return math.tanh(z - half), math.tanh(z + half)


def _r(x: np.ndarray, y: np.ndarray) -> float:
    xc, yc = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(xc @ xc) * float(yc @ yc))
    return float(xc @ yc) / denominator if denominator > 0 else math.nan


def _t_p(r: float, n: int) -> float:
    if not math.isfinite(r) or n < 3:
        return math.nan
    if abs(r) >= 1:
        return 0.0
    t = r * math.sqrt((n - 2) / (1 - r**2))
    return float(2 * sps.t.sf(abs(t), n - 2))


# ------------------------------------------------------------------ samples
def leverage(x: np.ndarray) -> np.ndarray:
    """Leverage of each point in a simple fit with intercept: 1/n + (x - mean)² / Sxx."""
    x = np.asarray(x, dtype=float)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    return 1 / len(x) + (xc**2 / sxx if sxx > 0 else 0.0)


def samples(
    scaled: dict[str, pd.DataFrame],
    outcome: str,
    predictor: str,
    flagged: pd.DataFrame | None = None,
    *,
    city: str = "city",
) -> list[tuple[str, tuple[str, ...]]]:
    """The samples of one pair: ``(name, cities left out)``, ``all`` first.

    ``scaled`` maps each available scale to the table on that scale. High leverage:
    above 2p/n with p = 2 coefficients, the rule of :func:`helpers.inference.influence`.
    """
    found: list[tuple[str, tuple[str, ...]]] = [(ALL, ())]
    if flagged is not None and len(flagged):
        doubtful = flagged[flagged.field.isin([outcome, predictor])].city
        cities = tuple(c for c in next(iter(scaled.values()))[city] if c in set(doubtful))
        if cities:
            found.append((WITHOUT_FLAGGED, cities))
    largest: dict[str, float] = {}
    for table in scaled.values():
        h = leverage(table[predictor].to_numpy(float))
        for name, value in zip(table[city], h, strict=True):
            if value > 4 / len(table):
                largest[name] = max(value, largest.get(name, 0.0))
    # a city whose leaving out is already a sample (the flagged values are its own) is not
    # repeated under another name: the curve counts distinct analyses
    taken = {drop for _, drop in found}
    ranked = [c for c in sorted(largest, key=lambda c: -largest[c]) if (c,) not in taken]
    found += [(f"without_{c}", (c,)) for c in ranked[:LEVERAGE_CITIES]]
    return found


# ------------------------------------------------------------------ the curve
def curve(
    frame: pd.DataFrame,
    outcomes: Sequence[str],
    predictors: Sequence[str],
    *,
    population: pd.DataFrame | None = None,
    flagged: pd.DataFrame | None = None,
    seed: int = 20240529,
    n_resamples: int = CURVE_PERMUTATIONS,
    city: str = "city",
) -> pd.DataFrame:
    """The specification curve: one row per (pair, scale, sample, estimator), columns :data:`SPECIFICATION_COLUMNS`.

    ``frame`` holds the inputs as published (the scales are applied here). Scales that
    cannot be computed are left out, not guessed: ``per_10k_residents`` when the
    population table lacks a city, ``log`` for an input with a value of zero or less.
    """
    data, scaled, usable, plans = _design(frame, outcomes, predictors, population, flagged, city)
    dropped_sets = sorted({drop for plan in plans.values() for _, drop in plan})
    p_values = {drop: _permutation_p(scaled, usable, outcomes, drop, seed, n_resamples, city)
                for drop in dropped_sets}

    rows = []
    for (y, x), plan in plans.items():
        for scale in SCALES:
            if scale not in scaled or x not in usable[scale]:
                continue
            for name, drop in plan:
                table = scaled[scale][~scaled[scale][city].isin(drop)]
                xs, ys = table[x].to_numpy(float), table[y].to_numpy(float)
                n = len(xs)
                p_r, p_rho = p_values[drop][(scale, y, x)]
                r = _r(xs, ys)
                rho = _r(sps.rankdata(xs), sps.rankdata(ys))
                rows.append((y, x, scale, name, "ols", n, r, *stats.fisher_interval(r, n), p_r))
                if "spearman" in estimators_on(scale):
                    rows.append((y, x, scale, name, "spearman", n, rho, *spearman_interval(rho, n), p_rho))
                rows.append((y, x, scale, name, "theil_sen", n, *_theil_sen_row(xs, ys)))
    return pd.DataFrame(rows, columns=SPECIFICATION_COLUMNS)


def estimators_on(scale: str) -> tuple[str, ...]:
    """The estimators of the curve on one scale (Spearman's rho not on the log scale).

    The log keeps the counts' ranks, so rho there would repeat the counts' rho, and the
    curve counts distinct analyses.
    """
    return tuple(e for e in ESTIMATORS if not (e == "spearman" and scale == "log"))


def _design(
    frame: pd.DataFrame,
    outcomes: Sequence[str],
    predictors: Sequence[str],
    population: pd.DataFrame | None,
    flagged: pd.DataFrame | None,
    city: str,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, list[str]], dict]:
    """The curve's choices: rows, scales, the inputs usable on each scale, each pair's samples.

    The complete rows of ``frame``; the table on each scale that can be computed; and
    for every (outcome, input) pair its samples (:func:`samples`).
    """
    data = frame[[city, *outcomes, *predictors]].dropna().reset_index(drop=True)
    population = load_population() if population is None else population
    scaled: dict[str, pd.DataFrame] = {"count": data}
    if not missing_population(list(data[city]), population):
        scaled["per_10k_residents"] = scale_inputs(data, predictors, "per_10k_residents", population, city=city)
    positive = [p for p in predictors if (data[p] > 0).all()]
    if positive:
        scaled["log"] = inference.log_transform(data, positive)
    usable = {s: [p for p in predictors if s != "log" or p in positive] for s in scaled}
    plans = {(y, x): samples({s: scaled[s] for s in scaled if x in usable[s]}, y, x, flagged, city=city)
             for y in outcomes for x in predictors}
    return data, scaled, usable, plans


def _theil_sen_row(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float, float, float]:
    if len(xs) > THEIL_SEN_LIMIT:
        return math.nan, math.nan, math.nan, math.nan
    sx, sy = float(np.std(xs, ddof=1)), float(np.std(ys, ddof=1))
    if not (sx > 0 and sy > 0):
        return math.nan, math.nan, math.nan, math.nan
    standard = sx / sy
    low, high = theil_sen_interval(xs, ys)
    p = float(sps.kendalltau(xs, ys).pvalue)
    return theil_sen(xs, ys) * standard, low * standard, high * standard, p


def _permutation_p(
    scaled: dict[str, pd.DataFrame],
    usable: dict[str, list[str]],
    outcomes: Sequence[str],
    drop: tuple[str, ...],
    seed: int,
    n_resamples: int,
    city: str,
) -> dict[tuple[str, str, str], tuple[float, float]]:
    """The p-values of r and of rho for every (scale, outcome, predictor) of one sample, on shared orderings."""
    columns = [(s, x) for s in scaled for x in usable[s]]
    tables = {s: scaled[s][~scaled[s][city].isin(drop)] for s in scaled}
    base = next(iter(tables.values()))
    n = len(base)
    x = np.column_stack([tables[s][p].to_numpy(float) for s, p in columns])
    y = base[list(outcomes)].to_numpy(float)
    xr, yr = sps.rankdata(x, axis=0), sps.rankdata(y, axis=0)
    if n > CURVE_PERMUTATION_LIMIT:
        k = len(outcomes)
        p_raw = np.array([[_t_p(_r(x[:, j], y[:, i]), n) for j in range(x.shape[1])] for i in range(k)])
        p_rank = np.array([[_t_p(_r(xr[:, j], yr[:, i]), n) for j in range(x.shape[1])] for i in range(k)])
    else:
        p_raw = inference.permutation_test(x, y, seed=seed, n_resamples=n_resamples, exact_limit=0).p
        p_rank = inference.permutation_test(xr, yr, seed=seed, n_resamples=n_resamples, exact_limit=0).p
        p_raw, p_rank = np.atleast_2d(p_raw), np.atleast_2d(p_rank)
    return {
        (s, yname, xname): (float(p_raw[i, j]), float(p_rank[i, j]))
        for i, yname in enumerate(outcomes)
        for j, (s, xname) in enumerate(columns)
    }


# ------------------------------------------------------------------ the joint test
def interval_sides(x: np.ndarray, ys: np.ndarray, estimator: str, level: float = 0.95) -> np.ndarray:
    """Where each row's 95% interval lies: +1 above zero, -1 below, 0 across zero or undefined.

    ``x`` is one input (n values), ``ys`` one outcome per row (k by n, e.g. shuffled
    copies). The intervals are the curve's own, computed for every row at once:
    Fisher's z for ``ols`` (:func:`helpers.stats.fisher_interval`), Fisher's z with
    Bonett and Wright's variance for ``spearman`` (:func:`spearman_interval`) and
    Sen's interval for ``theil_sen`` (:func:`theil_sen_interval`, equation 2.6 of
    Sen 1968 as :func:`scipy.stats.theilslopes` implements it, ties included).
    """
    x = np.asarray(x, dtype=float)
    ys = np.atleast_2d(np.asarray(ys, dtype=float))
    n = len(x)
    z = sps.norm.ppf(0.5 + level / 2)
    if estimator == "theil_sen":
        return _sen_sides(x, ys, z)
    if estimator == "spearman":
        x, ys = sps.rankdata(x), sps.rankdata(ys, axis=1)
    elif estimator != "ols":
        raise ValueError(f"unknown estimator {estimator!r}; expected one of {', '.join(ESTIMATORS)}")
    xc = x - x.mean()
    yc = ys - ys.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (yc @ xc) / np.sqrt(float(xc @ xc) * np.einsum("ij,ij->i", yc, yc))
        if n <= 3:
            return np.zeros(len(ys), dtype=int)
        spread = 1 + r**2 / 2 if estimator == "spearman" else np.ones_like(r)
        beyond = np.abs(np.arctanh(np.clip(r, -1, 1))) > z * np.sqrt(spread / (n - 3))
    sides = np.where(beyond | (np.abs(r) >= 1), np.sign(r), 0.0)
    return np.nan_to_num(sides).astype(int)


def _ties(values: np.ndarray) -> np.ndarray:
    """Sen's tie term of each row, the sum over groups of equal values of t(t - 1)(2t + 5).

    Each member of a group of t adds (t - 1)(2t + 5): t of them add up to the group's term.
    """
    t = (values[..., :, None] == values[..., None, :]).sum(axis=-1)
    return ((t - 1) * (2 * t + 5)).sum(axis=-1)


def _sen_sides(x: np.ndarray, ys: np.ndarray, z: float) -> np.ndarray:
    n = len(x)
    i, j = np.nonzero(x[:, None] - x[None, :] > 0)  # every pair with x_i > x_j, once
    if i.size == 0:  # every x the same: no slope, no interval
        return np.zeros(len(ys), dtype=int)
    slopes = np.sort((ys[:, i] - ys[:, j]) / (x[i] - x[j]), axis=1)
    total = slopes.shape[1]
    variance = (n * (n - 1) * (2 * n + 5) - _ties(x) - _ties(ys)) / 18
    # ties can leave no variance (a constant outcome): no interval, as scipy gives NaN
    defined = variance >= 0
    sigma = np.sqrt(np.where(defined, variance, 0.0))
    upper = np.minimum(np.round((total + z * sigma) / 2).astype(int), total - 1)
    lower = np.maximum(np.round((total - z * sigma) / 2).astype(int) - 1, 0)
    rows = np.arange(len(ys))
    low, high = slopes[rows, lower], slopes[rows, upper]
    return np.where(defined & (low > 0), 1, np.where(defined & (high < 0), -1, 0))


def joint_test(
    frame: pd.DataFrame,
    outcomes: Sequence[str],
    predictors: Sequence[str],
    *,
    population: pd.DataFrame | None = None,
    flagged: pd.DataFrame | None = None,
    seed: int = 20240529,
    n_resamples: int = JOINT_SHUFFLES,
    city: str = "city",
) -> pd.DataFrame:
    """Simonsohn, Simmons and Nelson's joint test of each pair's curve, one row per pair.

    The statistic is the number of the pair's specifications whose 95% interval lies
    wholly on one side of zero, counted on the side with more of them. Under the null
    hypothesis of no association the outcome's values could belong to any city, so
    the statistic is recomputed after ``n_resamples`` random shufflings of the
    outcome across the cities (every specification of a shuffle sees the same
    shuffle, and the samples stay those of the data: who is flagged or high-leverage
    does not depend on the outcome's order); p = (1 + shuffles with a statistic at
    least as large) / (1 + ``n_resamples``). The test asks whether the curve as a
    whole is more one-sided than chance gives; it is a check on the curve, not a
    further test of any pair. Above :data:`JOINT_THEIL_SEN_LIMIT` cities the Theil–Sen
    specifications are left out of the count (``specifications`` says how many entered);
    above :data:`JOINT_CITY_LIMIT` cities nothing is shuffled (``shuffles`` 0, ``p_value``
    empty). When no specification's interval lies off zero (the statistic is 0) ``p_value``
    is empty too: every shuffle reaches 0, so p = 1 would say nothing, least of all "no link".

    Columns :data:`JOINT_COLUMNS`: outcome, predictor, specifications (with an
    interval), one_sided (the statistic), side ("positive", "negative", "both" when
    as many lie on each side, "" when none), shuffles, p_value.
    """
    data, scaled, usable, plans = _design(frame, outcomes, predictors, population, flagged, city)
    rng = np.random.default_rng(seed)
    if len(data) > JOINT_CITY_LIMIT:
        n_resamples = 0  # the statistic of the data alone; no p-value
    rows = []
    for y in outcomes:
        values = data[y].to_numpy(float)
        shuffled = values[rng.permuted(np.tile(np.arange(len(values)), (n_resamples, 1)), axis=1)]
        ys = np.vstack([values, shuffled])  # row 0: the data as observed
        for x in predictors:
            counts = np.zeros((len(ys), 2), dtype=int)  # specifications above, below zero
            total = 0
            for scale in SCALES:
                if scale not in scaled or x not in usable[scale]:
                    continue
                for _sample, drop in plans[(y, x)]:
                    keep = ~scaled[scale][city].isin(drop).to_numpy()
                    xs = scaled[scale][x].to_numpy(float)[keep]
                    for estimator in estimators_on(scale):
                        if estimator == "theil_sen" and keep.sum() > JOINT_THEIL_SEN_LIMIT:
                            continue  # said in the docstring and in the table's specification count
                        sides = interval_sides(xs, ys[:, keep], estimator)
                        counts[:, 0] += sides > 0
                        counts[:, 1] += sides < 0
                        total += 1
            statistic = counts.max(axis=1)
            observed = int(statistic[0])
            above, below = counts[0]
            side = "" if observed == 0 else "positive" if above > below else "negative" if below > above else "both"
            # no specification off zero: the statistic is at its floor, p would be 1 by construction
            exceeded = int((statistic[1:] >= observed).sum())
            p = (1 + exceeded) / (1 + n_resamples) if n_resamples and observed else math.nan
            rows.append((y, x, total, observed, side, n_resamples, p))
    return pd.DataFrame(rows, columns=JOINT_COLUMNS)


# ------------------------------------------------------------------ summaries
def summary(
    specs: pd.DataFrame,
    primary_scale: str = "count",
    alpha: float = ALPHA,
    flagged: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per pair: the curve summarised by what varies, analytic choices apart from samples.

    No specification is the reference for the counts (an estimate near zero would make
    "the same sign" a coin toss); ``primary`` is the run's own fit, (``primary_scale``,
    ``all``, ``ols``), shown beside them. The analytic choices (scale and estimator,
    on every city: ``full_*``) are counted apart from the samples that leave cities out
    (``dropped_*``), which are influence diagnostics more than alternative analyses.
    Columns: outcome, predictor, specifications, positive, negative, zero (an estimate
    of exactly 0, as a Theil–Sen median of tied slopes can be), significant, primary,
    low and high (the range of the correlations, r and rho: Theil–Sen's standardised
    slope is not on their scale), full, full_significant, full_positive,
    full_negative, dropped, dropped_significant, and what the *misses* (specifications
    with p at or above alpha) share: ``misses``, ``misses_in_samples`` (True when every
    miss leaves cities out), ``misses_drop`` (the cities every miss leaves out,
    ``;``-separated; the sample without the audit's doubted figures leaves out the
    cities ``flagged`` names in the pair's two columns), ``misses_scale`` and
    ``misses_estimator`` (when all share one).
    """
    rows = []
    for (y, x), group in specs.groupby(["outcome", "predictor"], sort=False):
        done = group[group.estimate.notna()]
        primary = done[(done.scale == primary_scale) & (done["sample"] == ALL) & (done.estimator == "ols")]
        reference = float(primary.estimate.iloc[0]) if len(primary) else math.nan
        full = done[done["sample"] == ALL]
        dropped = done[done["sample"] != ALL]
        correlations = done[done.estimator != "theil_sen"].estimate
        misses = done[~(done.p_value < alpha)]
        doubted = [] if flagged is None else list(dict.fromkeys(flagged[flagged.field.isin([y, x])].city))
        left_out = [_left_out(sample, doubted) for sample in misses["sample"]]
        common = set.intersection(*map(set, left_out)) if left_out else set()
        rows.append(
            {
                "outcome": y,
                "predictor": x,
                "specifications": len(done),
                "positive": int((done.estimate > 0).sum()),
                "negative": int((done.estimate < 0).sum()),
                "zero": int((done.estimate == 0).sum()),
                "significant": int((done.p_value < alpha).sum()),
                "primary": reference,
                "low": float(correlations.min()) if len(correlations) else math.nan,
                "high": float(correlations.max()) if len(correlations) else math.nan,
                "full": len(full),
                "full_significant": int((full.p_value < alpha).sum()),
                "full_positive": int((full.estimate > 0).sum()),
                "full_negative": int((full.estimate < 0).sum()),
                "dropped": len(dropped),
                "dropped_significant": int((dropped.p_value < alpha).sum()),
                "misses": len(misses),
                "misses_in_samples": bool(len(misses)) and bool((misses["sample"] != ALL).all()),
                "misses_drop": ";".join(c for c in dict.fromkeys(c for cs in left_out for c in cs) if c in common),
                "misses_scale": misses.scale.iloc[0] if len(misses) and misses.scale.nunique() == 1 else "",
                "misses_estimator": (
                    misses.estimator.iloc[0] if len(misses) and misses.estimator.nunique() == 1 else ""
                ),
            }
        )
    return pd.DataFrame(rows)


def _left_out(sample: str, doubted: Sequence[str]) -> list[str]:
    """The cities a sample leaves out: the one of ``without_<city>``, or the ``doubted`` ones."""
    if sample == ALL:
        return []
    if sample == WITHOUT_FLAGGED:
        return list(doubted)
    return [sample.removeprefix("without_")]
