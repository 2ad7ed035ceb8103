"""Small-sample checks of the simple regressions: robust errors, permutations, ranks, influence.

Ten cities cannot vouch for the assumptions behind a classic OLS p-value, and one
city can make or break a slope. Each function here computes one check that does
not lean on those assumptions, or that shows how much one city matters:

* HC3 heteroskedasticity-consistent standard errors (the small-sample choice);
* a permutation p-value of the slope, exact over all n! orderings for n <= 10,
  from random orderings above (Monte Carlo, or a random subgroup for thousands
  of cities);
* Spearman's rank correlation with its p-value;
* Holm's adjustment across the family of fits;
* leverage and Cook's distance of every city;
* leave-one-out refits (in closed form for large samples).

Everything here also runs on thousands of cities in seconds and in flat memory.

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
#: Rows of the exact test's orderings processed at once (n <= 10: about 20 MB).
PERMUTATION_CHUNK = 262_144
#: Bytes of Monte-Carlo orderings and permuted outcomes held at once, whatever n:
#: memory stays flat (100,000 orderings of 8,000 values would take 6 GB at once).
PERMUTATION_BYTES = 32 * 2**20
#: Largest sample whose leave-one-out fits are refitted one by one; above it the
#: exact closed form gives every refit at once (the same numbers up to rounding).
LOO_REFIT_LIMIT = 50
#: Most permuted values (orderings x cities) the Monte-Carlo test draws, a few seconds'
#: work; a larger sample gets the random-subgroup test instead (8,000 cities x 100,000
#: orderings would take a minute).
MONTE_CARLO_VALUES = 200_000_000
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


def subgroup_blocks(n: int) -> tuple[int, int]:
    """Sizes of the two blocks of the random-subgroup test: ``n // 2`` and the rest."""
    return n // 2, n - n // 2


def permutation_method(
    n: int,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
    *,
    exact_limit: int = EXACT_PERMUTATION_LIMIT,
) -> tuple[str, int]:
    """Which permutation test a sample of ``n`` gets, and over how many orderings.

    * ``"exact"`` for n <= ``exact_limit``: all n! orderings;
    * ``"monte carlo"`` above: ``n_resamples`` random orderings, as long as they
      hold at most :data:`MONTE_CARLO_VALUES` values (n <= 2,000 for 100,000);
    * ``"random-subgroup"`` for larger samples: every ordering of a randomly
      chosen subgroup of at least ``n_resamples`` orderings, counted exactly in a
      fraction of a second (see :func:`subgroup_permutation_hits`).
    """
    if n <= exact_limit:
        return "exact", math.factorial(n)
    a, b = subgroup_blocks(n)
    if n * n_resamples > MONTE_CARLO_VALUES and a * b >= n_resamples:
        return "random-subgroup", a * b
    return "monte carlo", n_resamples


def _circular_cross_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``c[..., s] = sum_i x[i] * y[(i + s) % m]`` for every shift s, by FFT.

    ``x`` has shape (m, p) and ``y`` shape (k, m); the result has shape (k, p, m).
    """
    m = x.shape[0]
    fx = np.fft.rfft(x.T, axis=-1)  # (p, f)
    fy = np.fft.rfft(y, axis=-1)  # (k, f)
    return np.fft.irfft(np.conj(fx)[None, :, :] * fy[:, None, :], n=m, axis=-1)


def subgroup_permutation_hits(
    xc: np.ndarray, yc: np.ndarray, threshold: np.ndarray, *, seed: int
) -> tuple[np.ndarray, int]:
    """Count the orderings of a random subgroup whose |statistic| reaches ``threshold``.

    The subgroup: the positions are shuffled once (from ``seed``, whatever the
    data) and cut into two blocks of sizes :func:`subgroup_blocks`; its
    orderings rotate the outcome values cyclically within each block, by any
    shift s1 in the first and s2 in the second (a * b orderings, the data's own
    among them). It is a group of orderings chosen independently of the data, so
    under the null hypothesis the observed ordering is just as likely to be any
    of its members, and the share of members at least as extreme is an exact
    p-value (Lehmann and Romano, *Testing Statistical Hypotheses*, 3rd ed.,
    Theorem 15.2.1; Hemerik and Goeman, *Test* 27, 2018, 811-825).

    Why it is cheap: the statistic of ordering (s1, s2) is ``C1[s1] + C2[s2]``,
    the sum of one circular cross-correlation per block, and all shifts of a block
    come from one FFT; the pairs with ``|C1 + C2| >= threshold`` are then counted
    by a binary search in the sorted ``C2`` for each ``C1``.

    ``xc`` (n, p) and ``yc`` (k, n) are centred; ``threshold`` (k, p) is the
    observed |statistic| less the rounding tolerance. Returns the hits (k, p)
    and the number of orderings a * b.
    """
    n = xc.shape[0]
    a, b = subgroup_blocks(n)
    order = np.random.default_rng(seed).permutation(n)
    first, second = order[:a], order[a:]
    c1 = _circular_cross_correlations(xc[first], yc[:, first])  # (k, p, a)
    c2 = np.sort(_circular_cross_correlations(xc[second], yc[:, second]), axis=-1)  # (k, p, b)
    hits = np.zeros(threshold.shape, dtype=np.int64)
    for index in np.ndindex(*threshold.shape):
        limit = threshold[index]
        if limit <= 0:
            hits[index] = a * b
            continue
        row, others = c1[index], c2[index]
        upper = b - np.searchsorted(others, limit - row, side="left")  # c1 + c2 >= limit
        lower = np.searchsorted(others, -limit - row, side="right")  # c1 + c2 <= -limit
        hits[index] = int(upper.sum() + lower.sum())
    return hits, a * b


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
    shared by every predictor (one matrix product per chunk), and by every
    outcome when ``outcome`` has several columns (shape (n, k)); the p-values
    then have shape (k, p) instead of (p,).

    Returns ``(p_values, method, count)``; ``method`` (see
    :func:`permutation_method`) is ``"exact"`` (every one of n! orderings,
    p = share of orderings at least as extreme, the observed one included),
    ``"monte carlo"`` (``n_resamples`` random orderings from ``seed``,
    p = (hits + 1) / (n_resamples + 1)) or ``"random-subgroup"`` (every one of
    ``count`` >= ``n_resamples`` orderings of a subgroup chosen from ``seed``, the
    observed one included; see :func:`subgroup_permutation_hits`). Memory stays
    flat: orderings are made and used a chunk at a time, and the Monte-Carlo
    chunks give the same orderings whatever their size.
    """
    x = np.asarray(predictors, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    y = np.asarray(outcome, dtype=float)
    single = y.ndim == 1
    ys = y[None, :] if single else y.T  # (k, n): one row per outcome
    n = ys.shape[1]
    if x.shape[0] != n:
        raise ValueError("predictors and outcome must have the same number of rows")
    xc = x - x.mean(axis=0)
    ycs = ys - ys.mean(axis=1, keepdims=True)
    observed = np.abs(ycs @ xc)  # (k, p)
    # Orderings whose statistic equals the observed one up to rounding count as "as extreme".
    tolerance = 1e-9 * np.sqrt((xc**2).sum(axis=0)[None, :] * (ycs**2).sum(axis=1)[:, None])
    hits = np.zeros(observed.shape, dtype=np.int64)

    def count(orderings: np.ndarray) -> None:
        for k, yc in enumerate(ycs):  # the same products, outcome by outcome, as ever
            hits[k] += (np.abs(yc[orderings] @ xc) >= observed[k] - tolerance[k]).sum(axis=0)

    def result(p: np.ndarray, method: str, total: int) -> tuple[np.ndarray, str, int]:
        return (p[0] if single else p), method, total

    method, total = permutation_method(n, n_resamples, exact_limit=exact_limit)
    if method == "exact":
        perms = all_permutations(n)
        for start in range(0, perms.shape[0], PERMUTATION_CHUNK):
            count(perms[start : start + PERMUTATION_CHUNK])
        total = perms.shape[0]
        return result(hits / total, "exact", total)
    if method == "random-subgroup":
        hits, total = subgroup_permutation_hits(xc, ycs, observed - tolerance, seed=seed)
        return result(hits / total, method, total)
    # Monte Carlo: chunks of orderings, all outcomes scored on each chunk. Generator.permuted
    # shuffles row after row, so the orderings do not depend on the chunk size.
    rng = np.random.default_rng(seed)
    index = np.int16 if n <= np.iinfo(np.int16).max else np.int64
    rows = max(1, PERMUTATION_BYTES // (n * (np.dtype(index).itemsize + 8 * len(ycs))))
    buffer = np.empty((min(rows, n_resamples), n), dtype=index)
    identity = np.arange(n, dtype=index)
    done = 0
    while done < n_resamples:
        block = buffer[: min(rows, n_resamples - done)]
        block[:] = identity
        rng.permuted(block, axis=1, out=block)
        count(block)
        done += block.shape[0]
    return result((hits + 1) / (n_resamples + 1), "monte carlo", n_resamples)


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
    # Outcomes fitted on the same predictors and the same rows share their orderings too.
    groups: dict[tuple, list[tuple[str, pd.Index]]] = {}
    for outcome, rows in fits.groupby("outcome", sort=False):
        predictors = tuple(rows.predictor)
        kept = tuple(frame[[outcome, *predictors]].dropna().index)
        groups.setdefault((predictors, kept), []).append((outcome, rows.index))
    for (predictors, kept), members in groups.items():
        data = frame.loc[list(kept)]
        outcomes = [outcome for outcome, _ in members]
        p, method, _ = permutation_pvalues(
            data[list(predictors)].astype(float).to_numpy(),
            data[outcomes].astype(float).to_numpy(),
            seed=seed,
            n_resamples=n_resamples,
        )
        for (_, index), values in zip(members, p, strict=True):
            out.loc[index, "p_permutation"] = values
            out.loc[index, "permutation_method"] = method
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


def leave_one_out_closed_form(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope and p-value of the fit of ``y`` on ``x`` without each row in turn, in O(n).

    With e the residuals, h the leverages and Sxx the centred sum of squares of
    x, dropping row i changes the slope by ``-(x_i - mean) e_i / ((1 - h_i) Sxx)``
    (the DFBETA identity), the residual sum of squares by ``-e_i^2 / (1 - h_i)``,
    and Sxx by ``-(x_i - mean)^2 n / (n - 1)``; the refit's t test has n - 3
    degrees of freedom. A refit left without any spread in x has no slope (NaN).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    dx = x - x.mean()
    sxx = dx @ dx
    slope = (dx @ (y - y.mean())) / sxx
    residuals = y - y.mean() - slope * dx
    h = 1 / n + dx**2 / sxx
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = slope - dx * residuals / ((1 - h) * sxx)
        sse = np.maximum(residuals @ residuals - residuals**2 / (1 - h), 0.0)
        sxx_without = sxx - dx**2 * n / (n - 1)
        se = np.sqrt(sse / (n - 3) / sxx_without)
        p = 2 * sps.t.sf(np.abs(slopes / se), n - 3)
        flat = ~(sxx_without > 1e-12 * sxx)
    slopes[flat] = np.nan
    p[flat] = np.nan
    return slopes, p


def leave_one_out(frame: pd.DataFrame, fits: pd.DataFrame, *, city: str = "city") -> pd.DataFrame:
    """Refit every fit with each city left out in turn: slope and p-value of each refit.

    Up to :data:`LOO_REFIT_LIMIT` cities each refit is an OLS fit of its own;
    above, :func:`leave_one_out_closed_form` gives all of them at once (a refit
    per city would take minutes for 8,000 cities).
    """
    parts = []
    for fit in fits.itertuples(index=False):
        data = frame[[city, fit.outcome, fit.predictor]].dropna()
        if len(data) > LOO_REFIT_LIMIT:
            slopes, p = leave_one_out_closed_form(
                data[fit.predictor].to_numpy(float), data[fit.outcome].to_numpy(float)
            )
        else:
            refits = [
                simple_ols(data.drop(index=index), fit.outcome, fit.predictor)
                for index in data.index
            ]
            slopes = [refit.slope for refit in refits]
            p = [refit.p_value for refit in refits]
        parts.append(
            pd.DataFrame(
                {
                    "outcome": fit.outcome,
                    "predictor": fit.predictor,
                    "dropped_city": data[city].to_numpy(),
                    "slope": slopes,
                    "p_value": p,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=contract.LOO_COLUMNS)
    return pd.concat(parts, ignore_index=True)


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
