"""Small-sample checks of the simple regressions: robust errors, permutations, ranks, influence.

Ten cities cannot vouch for the assumptions behind a classic OLS p-value, and one
city can make or break a slope. Each function here computes one check that does
not lean on those assumptions, or that shows how much one city matters:

* HC3 heteroskedasticity-consistent standard errors (the small-sample choice);
* a permutation p-value of the slope, exact over all n! orderings for n <= 10;
* Spearman's rank correlation with its p-value;
* Holm's adjustment across the family of fits;
* leverage and Cook's distance of every city;
* leave-one-out refits.

Numbers only; wording lives in :mod:`helpers.narrative`, drawing in :mod:`helpers.plots`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.tools import add_constant

from helpers import contract
from helpers.errors import ParameterError
from helpers.stats import simple_ols

#: Largest sample for which the permutation test enumerates every ordering (10! = 3,628,800).
EXACT_PERMUTATION_LIMIT = 10
#: Permutations drawn at random for larger samples.
MONTE_CARLO_PERMUTATIONS = 100_000
#: Rows of permuted outcomes processed at once: memory stays flat (about 20 MB).
PERMUTATION_CHUNK = 262_144
ALPHA = 0.05

CHECK_COLUMNS = contract.CHECK_COLUMNS


# ------------------------------------------------------------------ robust errors
def hc3(frame: pd.DataFrame, outcome: str, predictor: str) -> dict[str, float]:
    """HC3 standard error of the slope, with its t-based p-value and 95% CI.

    HC3 scales each squared residual by ``1 / (1 - h_ii)^2`` (MacKinnon and White,
    1985); with ``use_t`` the p-value and interval use Student's t on n - 2 degrees
    of freedom, as recommended for small samples (Long and Ervin, 2000).
    """
    data = frame[[outcome, predictor]].dropna().astype(float)
    result = OLS(data[outcome], add_constant(data[predictor])).fit(cov_type="HC3", use_t=True)
    ci = result.conf_int().loc[predictor]
    return {
        "slope_se_hc3": float(result.bse[predictor]),
        "p_value_hc3": float(result.pvalues[predictor]),
        "ci_low_hc3": float(ci.iloc[0]),
        "ci_high_hc3": float(ci.iloc[1]),
    }


# ------------------------------------------------------------------ permutations
@lru_cache(maxsize=2)
def all_permutations(n: int) -> np.ndarray:
    """Every ordering of ``range(n)``, one per row (``n!`` rows, ``uint8``).

    Built by inserting element k at every position of the orderings of
    ``range(k)``; for n = 10 the array takes 36 MB and is cached.
    """
    if not 0 < n <= EXACT_PERMUTATION_LIMIT:
        raise ValueError(f"exact enumeration is for 1 <= n <= {EXACT_PERMUTATION_LIMIT}, got {n}")
    perms = np.zeros((1, 0), dtype=np.uint8)
    for k in range(n):
        rows = perms.shape[0]
        grown = np.empty((rows * (k + 1), k + 1), dtype=np.uint8)
        for position in range(k + 1):
            block = grown[position * rows : (position + 1) * rows]
            block[:, :position] = perms[:, :position]
            block[:, position] = k
            block[:, position + 1 :] = perms[:, position:]
        perms = grown
    perms.setflags(write=False)
    return perms


def permutation_pvalues(
    predictors: np.ndarray,
    outcome: np.ndarray,
    *,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
    exact_limit: int = EXACT_PERMUTATION_LIMIT,
) -> tuple[np.ndarray, str, int]:
    """Two-sided permutation p-values of the slope of ``outcome`` on each predictor column.

    The statistic is |r|: shuffling the outcome leaves both sums of squares
    unchanged, so |sum of centred x times centred y| orders the orderings as |r|,
    |slope| and |t| do. The permuted outcome vectors are generated once and
    shared by every predictor (one matrix product per chunk).

    Returns ``(p_values, method, count)``: ``method`` is ``"exact"`` (every one
    of n! orderings, p = share of orderings at least as extreme, the observed one
    included) or ``"monte carlo"`` (``n_resamples`` random orderings from
    ``seed``, p = (hits + 1) / (n_resamples + 1)).
    """
    x = np.asarray(predictors, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    y = np.asarray(outcome, dtype=float)
    n = y.size
    if x.shape[0] != n:
        raise ValueError("predictors and outcome must have the same number of rows")
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    observed = np.abs(yc @ xc)
    # Orderings whose statistic equals the observed one up to rounding count as "as extreme".
    tolerance = 1e-9 * np.sqrt((xc**2).sum(axis=0) * (yc**2).sum())
    hits = np.zeros(x.shape[1], dtype=np.int64)

    def count(orderings: np.ndarray) -> None:
        nonlocal hits
        hits += (np.abs(yc[orderings] @ xc) >= observed - tolerance).sum(axis=0)

    if n <= exact_limit:
        perms = all_permutations(n)
        for start in range(0, perms.shape[0], PERMUTATION_CHUNK):
            count(perms[start : start + PERMUTATION_CHUNK])
        total = perms.shape[0]
        return hits / total, "exact", total
    rng = np.random.default_rng(seed)
    done = 0
    while done < n_resamples:
        size = min(PERMUTATION_CHUNK, n_resamples - done)
        count(rng.permuted(np.broadcast_to(np.arange(n), (size, n)), axis=1))
        done += size
    return (hits + 1) / (n_resamples + 1), "monte carlo", n_resamples


# ------------------------------------------------------------------ family of fits
def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (statsmodels)."""
    return multipletests(np.asarray(p_values, dtype=float), method="holm")[1]


def spearman(frame: pd.DataFrame, outcome: str, predictor: str) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value (t approximation, scipy)."""
    data = frame[[outcome, predictor]].dropna().astype(float)
    result = sps.spearmanr(data[predictor], data[outcome])
    return float(result.statistic), float(result.pvalue)


def checks(
    frame: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
) -> pd.DataFrame:
    """Add the small-sample checks to a table of simple fits (one row per fit).

    New columns: ``slope_se_hc3, p_value_hc3, p_permutation, p_holm,
    spearman_rho, spearman_p`` and ``permutation_method``. Holm's adjustment is
    applied to the classic OLS p-values across every fit in ``fits``.
    """
    out = fits.copy()
    robust = [hc3(frame, r.outcome, r.predictor) for r in fits.itertuples(index=False)]
    out["slope_se_hc3"] = [r["slope_se_hc3"] for r in robust]
    out["p_value_hc3"] = [r["p_value_hc3"] for r in robust]
    out["p_permutation"] = np.nan
    out["permutation_method"] = ""
    for outcome, rows in fits.groupby("outcome", sort=False):
        predictors = list(rows.predictor)
        data = frame[[outcome, *predictors]].dropna().astype(float)
        p, method, _ = permutation_pvalues(
            data[predictors].to_numpy(),
            data[outcome].to_numpy(),
            seed=seed,
            n_resamples=n_resamples,
        )
        out.loc[rows.index, "p_permutation"] = p
        out.loc[rows.index, "permutation_method"] = method
    out["p_holm"] = holm(fits.p_value)
    rank = [spearman(frame, r.outcome, r.predictor) for r in fits.itertuples(index=False)]
    out["spearman_rho"] = [r[0] for r in rank]
    out["spearman_p"] = [r[1] for r in rank]
    return out


# ------------------------------------------------------------------ influence
def influence(frame: pd.DataFrame, fits: pd.DataFrame, *, city: str = "city") -> pd.DataFrame:
    """Leverage and Cook's distance of every city in every fit, with the usual flags.

    Flags: leverage above 2p/n and Cook's distance above 4/n (p = 2 coefficients).
    """
    rows = []
    for fit in fits.itertuples(index=False):
        data = frame[[city, fit.outcome, fit.predictor]].dropna()
        result = OLS(
            data[fit.outcome].astype(float), add_constant(data[fit.predictor].astype(float))
        ).fit()
        summary = result.get_influence()
        n, p = len(data), 2
        for name, h, d in zip(
            data[city], summary.hat_matrix_diag, summary.cooks_distance[0], strict=True
        ):
            rows.append(
                {
                    "outcome": fit.outcome,
                    "predictor": fit.predictor,
                    "city": name,
                    "leverage": float(h),
                    "cooks_distance": float(d),
                    "high_leverage": bool(h > 2 * p / n),
                    "influential": bool(d > 4 / n),
                }
            )
    return pd.DataFrame(rows)


def leave_one_out(frame: pd.DataFrame, fits: pd.DataFrame, *, city: str = "city") -> pd.DataFrame:
    """Refit every fit with each city left out in turn: slope and p-value of each refit."""
    rows = []
    for fit in fits.itertuples(index=False):
        data = frame[[city, fit.outcome, fit.predictor]].dropna()
        for index, name in zip(data.index, data[city], strict=True):
            refit = simple_ols(data.drop(index=index), fit.outcome, fit.predictor)
            rows.append(
                {
                    "outcome": fit.outcome,
                    "predictor": fit.predictor,
                    "dropped_city": name,
                    "slope": refit.slope,
                    "p_value": refit.p_value,
                }
            )
    return pd.DataFrame(rows)


def loo_verdicts(fits: pd.DataFrame, loo: pd.DataFrame, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Say for each fit whether its conclusion (sign, side of ``alpha``) survives every drop.

    Returns one row per fit with ``survives_all_drops`` and ``decisive_cities``,
    the cities whose removal changes the conclusion.
    """
    rows = []
    for fit in fits.itertuples(index=False):
        drops = loo[(loo.outcome == fit.outcome) & (loo.predictor == fit.predictor)]
        significant = fit.p_value < alpha
        changed = drops[
            ((drops.p_value < alpha) != significant)
            | (significant & (np.sign(drops.slope) != np.sign(fit.slope)))
        ]
        rows.append(
            {
                "outcome": fit.outcome,
                "predictor": fit.predictor,
                "survives_all_drops": changed.empty,
                "decisive_cities": list(changed.dropped_city),
                "slope_min": float(drops.slope.min()),
                "slope_max": float(drops.slope.max()),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ transformations
def log_transform(frame: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Return a copy with each listed variable replaced by its natural logarithm.

    Only strictly positive variables can be logged; anything else is a
    parameter error naming the variable and its smallest value.
    """
    out = frame.copy()
    for name in variables:
        if name not in out.columns:
            raise ParameterError(f"log_variables: {name!r} is not a column of the data")
        smallest = out[name].min()
        if not smallest > 0:
            raise ParameterError(
                f"log_variables: {name!r} has the value {smallest} and only positive values have a logarithm"
            )
        out[name] = np.log(out[name].astype(float))
    return out


def exact_permutation_count(n: int) -> int:
    """n!, the number of orderings an exact test enumerates."""
    return math.factorial(n)
