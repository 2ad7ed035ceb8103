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

Numbers only; the words live in the report wing (:mod:`helpers.brief`), drawing in :mod:`helpers.plots`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.tools import add_constant

from helpers import contract
from helpers.errors import ParameterError
from helpers.stats import fisher_interval, simple_ols

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
    """HC3 standard error of the slope, with its t-based p-value.

    HC3 scales each squared residual by ``1 / (1 - h_ii)^2`` (MacKinnon and White,
    1985); with ``use_t`` the p-value uses Student's t on n - 2 degrees of freedom,
    as recommended for small samples (Long and Ervin, 2000). Both are kept in the
    table for comparison and enter no verdict (HC2 with Bell-McCaffrey does).
    """
    data = frame[[outcome, predictor]].dropna().astype(float)
    result = OLS(data[outcome], add_constant(data[predictor])).fit(cov_type="HC3", use_t=True)
    return {
        "slope_se_hc3": float(result.bse[predictor]),
        "p_value_hc3": float(result.pvalues[predictor]),
    }


def _design(x: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Centred predictor, its sum of squares, leverages, and the slope's weights (X'X)^-1 X'."""
    dx = x - x.mean()
    sxx = float(dx @ dx)
    h = 1 / x.size + dx**2 / sxx
    return dx, sxx, h, dx / sxx


def bell_mccaffrey_df(x: np.ndarray) -> float:
    """Bell and McCaffrey's degrees of freedom for the HC2 t test of a simple regression's slope.

    Under homoskedastic normal errors the HC2 variance estimate is a quadratic
    form ``e' G G' e`` with ``G = (I - H) diag(a)`` and ``a_i = w_i / sqrt(1 - h_ii)``
    (``w`` the slope's row of (X'X)^-1 X'). Matching its first two moments to a
    scaled chi-squared gives ``K = (sum of the eigenvalues of G'G)^2 / (sum of their
    squares)`` (Bell and McCaffrey, *Survey Methodology* 28(2), 2002; Imbens and
    Kolesár, *Review of Economics and Statistics* 98(4), 2016). Both sums are
    traces, written out here for one predictor so that thousands of cities need
    O(n) memory instead of an n x n matrix.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    dx, sxx, h, w = _design(x)
    a2 = w**2 / (1 - h)  # a_i^2
    trace = a2 @ (1 - h)  # tr(G'G) = sum_i a_i^2 (1 - h_ii)
    # tr((G'G)^2) = sum_ij a_i^2 a_j^2 M_ij^2, M = I - H, H_ij = 1/n + dx_i dx_j / Sxx
    squares = (
        a2**2 @ (1 - 2 * h)
        + a2.sum() ** 2 / n**2
        + 2 * (a2 @ dx) ** 2 / (n * sxx)
        + (a2 @ dx**2) ** 2 / sxx**2
    )
    return float(trace**2 / squares)


def hc2_bell_mccaffrey(frame: pd.DataFrame, outcome: str, predictor: str) -> dict[str, float]:
    """HC2 standard error of the slope and its t test on Bell-McCaffrey degrees of freedom.

    HC2 scales each squared residual by ``1 / (1 - h_ii)`` (statsmodels); with ten
    cities and a few high-leverage ones its t test on n - 2 degrees of freedom
    rejects too often, while the Bell-McCaffrey reference distribution keeps
    close to the nominal level (Imbens and Kolesár 2016, who recommend it).
    """
    data = frame[[outcome, predictor]].dropna().astype(float)
    result = OLS(data[outcome], add_constant(data[predictor])).fit(cov_type="HC2")
    se = float(result.bse[predictor])
    df = bell_mccaffrey_df(data[predictor].to_numpy())
    t = float(result.params[predictor]) / se if se > 0 else math.inf
    return {
        "slope_se_hc2": se,
        "df_bell_mccaffrey": df,
        "p_value_hc2_bm": float(2 * sps.t.sf(abs(t), df)),
    }


#: Largest sample whose wild bootstrap enumerates every one of the 2^n sign vectors.
WILD_EXACT_LIMIT = 12
#: Random sign vectors drawn above that size.
WILD_BOOTSTRAP_DRAWS = 9_999


def wild_bootstrap_pvalues(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    seed: int = 20240529,
    draws: int = WILD_BOOTSTRAP_DRAWS,
) -> tuple[np.ndarray, str, int]:
    """Wild-bootstrap p-values of a zero slope: null imposed, Rademacher signs, HC2 t statistic.

    For each ``(x, y)`` pair (all of the same length n) the restricted fit (no
    slope) leaves residuals ``u = y - mean(y)``; each bootstrap sample is
    ``mean(y) + s * u`` for a vector ``s`` of signs +1/-1, and its |t| (slope over
    its HC2 standard error) is compared with the observed one (Davidson and
    Flachaire, *Journal of Econometrics* 146(1), 2008). With at most
    :data:`WILD_EXACT_LIMIT` cities every one of the 2^n sign vectors is used (the
    observed data among them: p = share at least as extreme); above, ``draws``
    random vectors from ``seed``, shared by every pair, and p = (hits + 1) / (draws + 1).

    Why it is cheap: since s_i^2 = 1, the slope, the mean and the HC2 variance of
    a bootstrap sample are all sums of ``s`` against four fixed vectors per pair,
    so one matrix product scores every pair on a block of sign vectors.
    Returns ``(p_values, method, count)`` with method ``"exact"`` or ``"monte carlo"``.
    """
    n = len(pairs[0][0])
    columns, constants = [], []
    designs: dict[bytes, tuple] = {}  # pairs that share their x (a calibration's replicates) share its design
    for x, y in pairs:
        x = np.asarray(x, dtype=float)
        u = np.asarray(y, dtype=float) - np.mean(y)
        found = designs.get(x.tobytes())
        if found is None:
            dx, _, h, w = _design(x)
            c = w**2 / (1 - h)
            found = designs[x.tobytes()] = (dx, w, c, c.sum(), c @ dx, c @ dx**2)
        dx, w, c, c_sum, c_dx, c_dx2 = found
        columns += [u / n, u * w, u * c, u * c * dx]
        constants.append((c @ u**2, c_sum, c_dx, c_dx2))
    vectors = np.column_stack(columns)  # (n, 4 * pairs)
    q, c0, c1, c2 = (np.array(k)[:, None] for k in zip(*constants, strict=True))

    def abs_t(signs: np.ndarray) -> np.ndarray:
        sums = (signs @ vectors).reshape(len(signs), len(pairs), 4).transpose(1, 2, 0)
        m, b, a, d = sums[:, 0], sums[:, 1], sums[:, 2], sums[:, 3]  # each (pairs, rows)
        variance = q - 2 * m * a - 2 * b * d + m * m * c0 + 2 * m * b * c1 + b * b * c2
        se = np.sqrt(np.maximum(variance, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(se > 0, np.abs(b) / se, np.where(b != 0, np.inf, 0.0))

    observed = abs_t(np.ones((1, n)))  # (pairs, 1)
    if n <= WILD_EXACT_LIMIT:
        codes = np.arange(2**n)[:, None] >> np.arange(n)[None, :] & 1
        hits = (abs_t(1 - 2 * codes.astype(float)) >= observed * (1 - 1e-9)).sum(axis=1)
        return hits / 2**n, "exact", 2**n
    rng = np.random.default_rng(seed)
    rows = max(1, PERMUTATION_BYTES // (16 * n))
    hits = np.zeros(len(pairs), dtype=np.int64)
    done = 0
    while done < draws:
        take = min(rows, draws - done)
        # one uniform draw per sign, so that the signs do not depend on the block size
        signs = np.where(rng.random((take, n)) < 0.5, -1.0, 1.0)
        hits += (abs_t(signs) >= observed * (1 - 1e-9)).sum(axis=1)
        done += take
    return (hits + 1) / (draws + 1), "monte carlo", draws


def wild_bootstrap_p(
    x: np.ndarray, y: np.ndarray, *, seed: int = 20240529, draws: int = WILD_BOOTSTRAP_DRAWS
) -> tuple[float, str, int]:
    """:func:`wild_bootstrap_pvalues` for one pair: ``(p, method, count)``."""
    p, method, count = wild_bootstrap_pvalues([(x, y)], seed=seed, draws=draws)
    return float(p[0]), method, count


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
    fx = np.fft.rfft(x.T)  # (p, f), along the last axis
    fy = np.fft.rfft(y)  # (k, f)
    return np.fft.irfft(np.conj(fx)[None, :, :] * fy[:, None, :], n=m)


def subgroup_permutation_hits(
    xc: np.ndarray, yc: np.ndarray, threshold: np.ndarray, *, seed: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Count the orderings of a random subgroup whose statistics reach ``threshold``.

    The subgroup: the positions are shuffled once (from ``seed``, whatever the
    data) and cut into two blocks of sizes :func:`subgroup_blocks`; its
    orderings rotate the outcome values cyclically within each block, by any
    shift s1 in the first and s2 in the second (a * b orderings, the data's own
    among them). It is a group of orderings chosen independently of the data, so
    under the null hypothesis the observed ordering is just as likely to be any
    of its members, and the share of members at least as extreme is an exact
    p-value (Lehmann and Romano, *Testing Statistical Hypotheses*, 3rd ed.,
    Theorem 15.2.1): invariance under every ordering implies invariance under a
    subgroup (Koning and Hemerik, *Biometrika* 111(2), 2024, doi:10.1093/biomet/asad050).

    Why it is cheap: the statistic of ordering (s1, s2) is ``C1[s1] + C2[s2]``,
    the sum of one circular cross-correlation per block, and all shifts of a block
    come from one FFT; the pairs with ``|C1 + C2| >= threshold`` are then counted
    by a binary search in the sorted ``C2`` for each ``C1``.

    ``xc`` (n, p) and ``yc`` (k, n) are centred and scaled so that ``yc @ xc``
    is Pearson's r; ``threshold`` (k, p) is the observed |r| less the rounding
    tolerance. Returns the hits of each statistic (k, p), the hits of the
    largest |r| over all k * p statistics (Westfall and Young's maxT, (k, p)),
    and the number of orderings a * b.
    """
    n = xc.shape[0]
    a, b = subgroup_blocks(n)
    order = np.random.default_rng(seed).permutation(n)
    first, second = order[:a], order[a:]
    c1 = _circular_cross_correlations(xc[first], yc[:, first])  # (k, p, a)
    c2 = _circular_cross_correlations(xc[second], yc[:, second])  # (k, p, b)
    ordered = np.sort(c2)  # along the shifts, the last axis
    hits = np.zeros(threshold.shape, dtype=np.int64)
    for index in np.ndindex(*threshold.shape):
        limit = threshold[index]
        if limit <= 0:
            hits[index] = a * b
            continue
        row, others = c1[index], ordered[index]
        upper = b - np.searchsorted(others, limit - row)  # c1 + c2 >= limit
        lower = np.searchsorted(others, -limit - row, side="right")  # c1 + c2 <= -limit
        hits[index] = int(upper.sum() + lower.sum())
    # maxT: the largest |r| of each ordering, a block of first-block shifts at a time
    family = threshold.size
    flat1, flat2, limits = c1.reshape(family, a), c2.reshape(family, b), threshold.ravel()
    rows = max(1, PERMUTATION_BYTES // (8 * family * b))
    hits_max = np.zeros(family, dtype=np.int64)
    for start in range(0, a, rows):
        sums = flat1[:, start : start + rows, None] + flat2[:, None, :]  # (family, rows, b)
        maxima = np.abs(sums, out=sums).max(axis=0).ravel()
        hits_max += [np.count_nonzero(maxima >= limit) for limit in limits]
    return hits, hits_max.reshape(threshold.shape), a * b


@dataclass(frozen=True)
class PermutationResult:
    """The permutation test of every (outcome, predictor) statistic of a family.

    ``p`` holds one two-sided p-value of |r| per statistic; ``p_maxt`` the same
    statistics adjusted for the whole family by Westfall and Young's single-step
    maxT: the share of orderings whose *largest* |r| over the family reaches the
    statistic's own |r|; ``p_minp`` by single-step minP (see
    :func:`minp_adjusted`), NaN unless asked for. Shapes are (k, p) for k
    outcomes, or (p,) for one.
    """

    p: np.ndarray
    p_maxt: np.ndarray
    method: str
    count: int
    p_minp: np.ndarray | None = None
    #: The family's threshold at ``alpha``: maxT's adjusted p is below alpha exactly when a
    #: statistic's |r| exceeds it (NaN for the random-subgroup test).
    critical_maxt: float = math.nan


def orderings(
    n: int,
    *,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
    exact_limit: int = EXACT_PERMUTATION_LIMIT,
    width: int = 1,
) -> tuple[str, int, Iterator[np.ndarray]]:
    """The orderings of n rows that the permutation test scores, a block at a time.

    Returns ``(method, count, blocks)``: ``"exact"`` yields every one of n! orderings
    (the observed one, ``range(n)``, among them), ``"monte carlo"`` yields
    ``n_resamples`` random orderings from ``seed`` (the observed one not among them).
    The blocks hold at most :data:`PERMUTATION_CHUNK` rows (exact) or about
    :data:`PERMUTATION_BYTES` of orderings and ``width`` scored values per row (Monte
    Carlo); the Monte-Carlo orderings do not depend on the block size, since
    ``Generator.permuted`` shuffles one row after another. The random-subgroup
    method has no orderings to yield (see :func:`subgroup_permutation_hits`).
    """
    method, total = permutation_method(n, n_resamples, exact_limit=exact_limit)
    if method == "exact":
        perms = all_permutations(n)
        return method, total, (perms[s : s + PERMUTATION_CHUNK] for s in range(0, total, PERMUTATION_CHUNK))
    if method != "monte carlo":
        raise ValueError(f"the {method} test scores no list of orderings")

    def blocks() -> Iterator[np.ndarray]:
        rng = np.random.default_rng(seed)
        index = np.int16 if n <= np.iinfo(np.int16).max else np.int64
        rows = max(1, PERMUTATION_BYTES // (n * (np.dtype(index).itemsize + 8 * width)))
        buffer = np.empty((min(rows, n_resamples), n), dtype=index)
        identity = np.arange(n, dtype=index)
        done = 0
        while done < n_resamples:
            block = buffer[: min(rows, n_resamples - done)]
            block[:] = identity
            rng.permuted(block, axis=1, out=block)
            yield block
            done += block.shape[0]

    return method, total, blocks()


def minp_adjusted(scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Westfall and Young's single-step minP adjustment from every ordering's scores.

    ``scores`` (N, K): the |r| of each of K statistics under each of N orderings,
    the observed ordering among them; ``counts`` (K,): how many of the N reach the
    observed |r| of each statistic (its p-value times N). Each ordering gets, for
    every statistic, its own permutation p-value (the share of orderings at least
    as extreme as it), and the adjusted p of statistic j is the share of orderings
    whose *smallest* p-value over the family is at most j's observed one
    (*Resampling-Based Multiple Testing*, 1993, section 2.6). Unlike maxT, which
    compares raw |r| across statistics, minP first puts each statistic on its own
    p-value scale, so a statistic whose shuffled values have heavier tails (an
    extreme input) does not set the bar for the others.

    Computed without ranking every ordering: an ordering's p-value for statistic k
    is at most c/N exactly when its |r| exceeds the (c + 1)-th largest |r| of k
    (by more than the rounding tolerance), so each adjusted p is one count of
    orderings over K thresholds. The scores must be finite (|r| always is).
    """
    scores = np.asarray(scores, dtype=float)
    total, family = scores.shape
    counts = np.asarray(counts, dtype=np.int64).ravel()
    ranks = np.unique(np.clip(counts, 0, total - 1))  # the (c + 1)-th largest, 0-based from the top
    ascending = total - 1 - ranks  # the same values, counted from the bottom
    top = np.empty((len(ranks), family))  # row i: the (ranks[i] + 1)-th largest of each statistic
    column = np.empty(total)  # one buffer for every statistic's partial sort: fresh memory is slow to touch
    for k in range(family):
        column[:] = scores[:, k]
        column.partition(ascending)
        top[:, k] = column[ascending]
    asked = counts < total
    thresholds = top[np.searchsorted(ranks, counts[asked])] + TIE_TOLERANCE  # (asked, K)
    found = np.zeros(len(thresholds), dtype=np.int64)
    width = -(-family // 8) * 8  # the statistics padded to whole words of 8 bytes, the padding False
    rows = max(1, PERMUTATION_BYTES // (8 * max(1, len(thresholds) * width)))
    above = np.zeros((min(rows, total), len(thresholds), width), dtype=bool)
    for start in range(0, total, rows):  # a block of orderings against every threshold at once
        block = scores[start : start + rows]
        np.greater(block[:, None, :], thresholds[None, :, :], out=above[: len(block), :, :family])
        # "any statistic above" is "a word not zero": one test per 8 statistics instead of 8
        found += np.count_nonzero((above[: len(block)].view(np.uint64) != 0).any(axis=2), axis=0)
    adjusted = np.ones(len(counts))
    adjusted[asked] = found / total
    return adjusted


#: Orderings whose |r| equals the observed one up to this much rounding count as "as extreme".
TIE_TOLERANCE = 1e-9


def permutation_test(
    predictors: np.ndarray,
    outcome: np.ndarray,
    *,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
    exact_limit: int = EXACT_PERMUTATION_LIMIT,
    minp: bool = False,
    alpha: float = ALPHA,
    family: bool = True,
    ties: bool = True,
) -> PermutationResult:
    """Two-sided permutation tests of Pearson's r, one per predictor column and outcome column.

    The statistic is |r|: shuffling the outcome leaves both sums of squares
    unchanged, so |r| orders the orderings as |slope| and |t| do. The rows of
    the outcomes are permuted jointly (every outcome of a city moves with it),
    once per ordering, and every (outcome, predictor) pair is scored on the same
    orderings; that is what Westfall and Young's maxT adjustment needs
    (*Resampling-Based Multiple Testing*, Wiley, 1993, section 2.6).

    ``method`` (see :func:`permutation_method`) is ``"exact"`` (every one of n!
    orderings, p = share of orderings at least as extreme, the observed one
    included), ``"monte carlo"`` (``n_resamples`` random orderings from ``seed``,
    p = (hits + 1) / (n_resamples + 1)) or ``"random-subgroup"`` (every one of
    ``count`` >= ``n_resamples`` orderings of a subgroup chosen from ``seed``, the
    observed one included; see :func:`subgroup_permutation_hits`). Memory stays
    flat: orderings are made and used a chunk at a time, and the Monte-Carlo
    chunks give the same orderings whatever their size.

    ``minp``: also adjust by single-step minP (:func:`minp_adjusted`) over the same
    orderings (the observed one added to the Monte-Carlo draws, as its p-values
    count it); this keeps every ordering's scores, 8 bytes per statistic and
    ordering. Not available for the random-subgroup test (``p_minp`` NaN).

    ``family=False``: each statistic's own p only (``p_maxt`` NaN, ``critical_maxt`` NaN),
    without the maxima over the family that maxT needs; for a caller that reads ``p`` alone.
    ``ties=False``: an ordering counts only if its |r| exceeds the observed one by more than
    the rounding tolerance, so ``p`` is a lower bound of the p that counts ties (for a
    screen that must never drop what an exact count would keep).

    ``critical_maxt``: the largest |r| over the family that still gives a maxT
    adjusted p of ``alpha`` or more, i.e. the |r| a statistic must exceed to be
    below ``alpha`` after adjustment (the k-th largest maximum over the orderings,
    k the most hits that keep p below ``alpha``, plus one).
    """
    if minp and not family:
        raise ValueError("minP adjusts for the family: it needs family=True")
    if not ties and family:
        raise ValueError("ties=False gives a lower bound of each p alone: it needs family=False")
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
    # scaled so that yc @ xc is r; a flat outcome has r = 0 under every ordering (p = 1)
    xn = np.sqrt((xc**2).sum(axis=0))
    yn = np.sqrt((ycs**2).sum(axis=1))
    xc = xc / np.where(xn > 0, xn, 1.0)
    ycs = ycs / np.where(yn > 0, yn, 1.0)[:, None]
    # Orderings whose |r| equals the observed one up to rounding count as "as extreme".
    observed = np.abs(ycs @ xc)  # (k, p)
    threshold = observed - TIE_TOLERANCE if ties else observed + TIE_TOLERANCE
    hits = np.zeros(threshold.shape, dtype=np.int64)
    hits_max = np.zeros(threshold.shape, dtype=np.int64)
    stored: list[np.ndarray] = []  # every ordering's scores, for minP
    filled = 0
    largest = np.zeros(0)  # the largest maxima met so far, as many as the critical value needs
    keep = 0

    def count(block: np.ndarray) -> None:
        nonlocal filled
        scores = np.stack([np.abs(yc[block] @ xc) for yc in ycs], axis=1)  # (rows, k, p)
        hits[:] += (scores >= threshold).sum(axis=0)
        if not family:
            return
        nonlocal largest
        maxima = np.sort(scores.reshape(len(block), -1).max(axis=1))
        hits_max[:] += maxima.size - np.searchsorted(maxima, threshold, side="left")
        largest = np.concatenate([largest, maxima[-keep:]])
        if largest.size > keep:
            largest = np.partition(largest, largest.size - keep)[-keep:]
        if stored:
            stored[0][filled : filled + len(block)] = scores.reshape(len(block), -1)
            filled += len(block)

    def shaped(values: np.ndarray) -> np.ndarray:
        return values[0] if single else values

    method, total = permutation_method(n, n_resamples, exact_limit=exact_limit)
    if method == "random-subgroup":
        found, found_max, total = subgroup_permutation_hits(xc, ycs, threshold, seed=seed)
        nan = np.full(threshold.shape, np.nan) if minp else None
        p_max = found_max / total if family else np.full(threshold.shape, np.nan)
        return PermutationResult(
            shaped(found / total), shaped(p_max), method, total, None if nan is None else shaped(nan)
        )
    method, total, blocks = orderings(
        n, seed=seed, n_resamples=n_resamples, exact_limit=exact_limit, width=len(ycs)
    )
    # the most orderings at least as extreme that keep the adjusted p below alpha, plus one
    keep = max(1, math.ceil(alpha * (total + 1) - 1) if method == "monte carlo" else math.ceil(alpha * total))
    if minp:  # the observed ordering joins the Monte-Carlo draws, as their p-values count it
        stored.append(np.empty((total + (method == "monte carlo"), threshold.size)))
        stored[0][-1] = observed.ravel()
    for block in blocks:
        count(block)
    if method == "monte carlo":
        p, p_max = (hits + 1) / (total + 1), (hits_max + 1) / (total + 1)
    else:
        p, p_max = hits / total, hits_max / total
    p_minp = None
    if minp:
        counts = (hits + 1 if method == "monte carlo" else hits).ravel()
        p_minp = shaped(minp_adjusted(stored[0], counts).reshape(threshold.shape))
    critical = float(np.min(largest)) if largest.size == keep else 0.0
    if not family:
        p_max, critical = np.full(p.shape, np.nan), math.nan
    return PermutationResult(shaped(p), shaped(p_max), method, total, p_minp, critical)


def permutation_pvalues(
    predictors: np.ndarray,
    outcome: np.ndarray,
    *,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
    exact_limit: int = EXACT_PERMUTATION_LIMIT,
) -> tuple[np.ndarray, str, int]:
    """:func:`permutation_test` without the family adjustment: ``(p_values, method, count)``."""
    found = permutation_test(
        predictors, outcome, seed=seed, n_resamples=n_resamples, exact_limit=exact_limit
    )
    return found.p, found.method, found.count


# ------------------------------------------------------------------ family of fits
def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (statsmodels)."""
    return multipletests(np.asarray(p_values, dtype=float), method="holm")[1]


def spearman(frame: pd.DataFrame, outcome: str, predictor: str) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value (t approximation, scipy)."""
    data = frame[[outcome, predictor]].dropna().astype(float)
    result = sps.spearmanr(data[predictor], data[outcome])
    return float(result.statistic), float(result.pvalue)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks of each column (ties share their mean rank), as Spearman's rho uses them."""
    return sps.rankdata(values, axis=0)


def checks(
    frame: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
) -> pd.DataFrame:
    """Add the primary test, its family adjustment and the small-sample checks to a table of fits.

    One row per fit, as in ``fits``; new columns (see :data:`CHECK_COLUMNS`):

    * ``r`` and its Fisher-z 95% interval ``r_ci_low``, ``r_ci_high``;
    * ``p_permutation``, the primary test: the permutation test of |r|, and
      ``p_westfall_young``, the same adjusted for every fit of the family by
      single-step maxT (the outcomes' rows permuted jointly); for comparison,
      ``p_westfall_young_minp``, single-step minP over the same orderings (NaN
      where the adjustment is not Westfall and Young's, or for the random-subgroup
      test), and ``p_holm``, Holm's adjustment of ``p_permutation``;
      ``critical_abs_r_maxt``, the family's threshold (the |r| a pair must exceed
      for its maxT adjusted p to fall below alpha; the same in every row);
    * ``slope_se_hc3, p_value_hc3`` (HC3 with a t test on n - 2 df, kept for
      downstream users) and ``slope_se_hc2, df_bell_mccaffrey, p_value_hc2_bm``;
    * ``spearman_rho``, ``spearman_p`` (t approximation) and ``spearman_p_exact``
      (every ordering of the ranks, n <= :data:`EXACT_PERMUTATION_LIMIT`; NaN above);
    * ``p_wild_bootstrap`` (see :func:`wild_bootstrap_p`);
    * ``permutation_method`` and ``adjustment`` (``"westfall-young"``, or
      ``"holm"`` when the fits do not all rest on the same cities, so that no
      joint permutation exists; both Westfall-Young columns are then NaN).
    """
    out = fits.copy()
    rows = list(fits.itertuples(index=False))
    robust = [hc3(frame, r.outcome, r.predictor) for r in rows]
    out["slope_se_hc3"] = [r["slope_se_hc3"] for r in robust]
    out["p_value_hc3"] = [r["p_value_hc3"] for r in robust]
    small = [hc2_bell_mccaffrey(frame, r.outcome, r.predictor) for r in rows]
    for column in ("slope_se_hc2", "df_bell_mccaffrey", "p_value_hc2_bm"):
        out[column] = [r[column] for r in small]
    for column in ("p_permutation", "p_westfall_young", "p_westfall_young_minp", "critical_abs_r_maxt",
                   "spearman_p_exact"):
        out[column] = np.nan
    out["permutation_method"] = ""
    # Outcomes fitted on the same predictors and the same rows share their orderings.
    groups: dict[tuple, list[tuple[str, pd.Index]]] = {}
    for outcome, members in fits.groupby("outcome", sort=False):
        predictors = tuple(members.predictor)
        kept = tuple(frame[[outcome, *predictors]].dropna().index)
        groups.setdefault((predictors, kept), []).append((outcome, members.index))
    joint = len(groups) == 1
    for (predictors, kept), members in groups.items():
        data = frame.loc[list(kept)]
        outcomes = [outcome for outcome, _ in members]
        x = data[list(predictors)].astype(float).to_numpy()
        y = data[outcomes].astype(float).to_numpy()
        found = permutation_test(x, y, seed=seed, n_resamples=n_resamples, minp=joint)
        ranked = (
            permutation_test(_ranks(x), _ranks(y), family=False)
            if len(kept) <= EXACT_PERMUTATION_LIMIT
            else None
        )
        for k, (_, index) in enumerate(members):
            out.loc[index, "p_permutation"] = found.p[k]
            out.loc[index, "permutation_method"] = found.method
            if joint:
                out.loc[index, "p_westfall_young"] = found.p_maxt[k]
                out.loc[index, "p_westfall_young_minp"] = found.p_minp[k]
                out.loc[index, "critical_abs_r_maxt"] = found.critical_maxt
            if ranked is not None:
                out.loc[index, "spearman_p_exact"] = ranked.p[k]
    out["adjustment"] = "westfall-young" if joint else "holm"
    out["p_holm"] = holm(out.p_permutation)
    rank = [spearman(frame, r.outcome, r.predictor) for r in rows]
    out["spearman_rho"] = [r[0] for r in rank]
    out["spearman_p"] = [r[1] for r in rank]
    out["r"] = np.sign(out.slope) * np.sqrt(out.r_squared)
    intervals = [fisher_interval(r, n) for r, n in zip(out.r, out.n, strict=True)]
    out["r_ci_low"] = [low for low, _ in intervals]
    out["r_ci_high"] = [high for _, high in intervals]
    # pairs on the same cities share their sign vectors, as they share their orderings
    out["p_wild_bootstrap"] = np.nan
    same_rows: dict[tuple, list[tuple[int, np.ndarray, np.ndarray]]] = {}
    for position, r in enumerate(rows):
        data = frame[[r.outcome, r.predictor]].dropna().astype(float)
        same_rows.setdefault(tuple(data.index), []).append(
            (position, data[r.predictor].to_numpy(), data[r.outcome].to_numpy())
        )
    for members in same_rows.values():
        p, _, _ = wild_bootstrap_pvalues([(x, y) for _, x, y in members], seed=seed)
        out.iloc[[position for position, _, _ in members], out.columns.get_loc("p_wild_bootstrap")] = p
    return out


# ------------------------------------------------------------------ influence
def dfbetas(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """DFBETAS of the slope for every row: how far the slope moves without that row, in its SEs.

    ``(b - b_(i)) / (s_(i) sqrt((X'X)^-1_11))``, with ``b - b_(i) = dx_i e_i / ((1 - h_i) Sxx)``
    and ``s_(i)^2 = (SSE - e_i^2 / (1 - h_i)) / (n - 3)`` the residual variance of the
    fit without row i (Belsley, Kuh and Welsch, *Regression Diagnostics*, 1980).
    Written in closed form because statsmodels refits the model once per row for
    it, which thousands of cities cannot afford. NaN where it is undefined (n = 3,
    or a refit that fits exactly).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if n <= 3:  # no residual variance is left once a row is dropped
        return np.full(n, np.nan)
    dx, sxx, h, w = _design(x)
    slope = w @ y
    residuals = y - y.mean() - slope * dx
    # a refit that fits exactly leaves only round-off: its residual sum of squares
    # is then below what rounding the outcome alone can produce, and DFBETAS is undefined
    round_off = n * (32 * np.finfo(float).eps * np.abs(y).max()) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = dx * residuals / ((1 - h) * sxx)
        sse_without = residuals @ residuals - residuals**2 / (1 - h)
        sse_without = np.where(sse_without > round_off, sse_without, np.nan)
        s_without = np.sqrt(sse_without / (n - 3))
        out = moved / (s_without / math.sqrt(sxx))
    return np.where(np.isfinite(out), out, np.nan)


def dfbetas_threshold(n: int) -> float:
    """The usual size-adjusted cut-off for |DFBETAS|: 2 / sqrt(n)."""
    return 2 / math.sqrt(n)


INFLUENCE_COLUMNS = contract.INFLUENCE_COLUMNS


def influence_flags(table: pd.DataFrame) -> pd.DataFrame:
    """The influence table with the usual flags, from its numbers (as :func:`influence` sets them).

    ``high_leverage``: leverage above 2p/n; ``influential``: Cook's distance above
    4/n; ``large_dfbetas``: |DFBETAS| above 2/sqrt(n); p = 2 coefficients and n the
    cities of the fit. For a table read back from ``influence.csv``.
    """
    n = table.groupby(["outcome", "predictor"], sort=False).city.transform("size")
    return table.assign(
        high_leverage=table.leverage > 4 / n,
        influential=table.cooks_distance > 4 / n,
        large_dfbetas=table.dfbetas.abs() > 2 / np.sqrt(n),
    )


def influence(frame: pd.DataFrame, fits: pd.DataFrame, *, city: str = "city") -> pd.DataFrame:
    """Leverage, Cook's distance and DFBETAS of every city in every fit, with the usual flags.

    Flags: leverage above 2p/n and Cook's distance above 4/n (p = 2 coefficients),
    |DFBETAS| of the slope above 2/sqrt(n).
    """
    rows = []
    for outcome, predictor in zip(fits.outcome, fits.predictor, strict=True):
        data = frame[[city, outcome, predictor]].dropna()
        y, x = data[outcome].astype(float), data[predictor].astype(float)
        summary = OLS(y, add_constant(x)).fit().get_influence()
        moved = dfbetas(x.to_numpy(), y.to_numpy())
        n, p = len(data), 2
        for name, h, d, b in zip(
            data[city], summary.hat_matrix_diag, summary.cooks_distance[0], moved, strict=True
        ):
            rows.append(
                {
                    "outcome": outcome,
                    "predictor": predictor,
                    "city": name,
                    "leverage": float(h),
                    "cooks_distance": float(d),
                    "dfbetas": float(b),
                    "high_leverage": bool(h > 2 * p / n),
                    "influential": bool(d > 4 / n),
                    "large_dfbetas": bool(abs(b) > dfbetas_threshold(n)),
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


# ------------------------------------------------------------------ power
#: Above this many cities power comes from Fisher's z approximation, which is then
#: indistinguishable from the exact distribution and needs no numerical integration.
EXACT_POWER_LIMIT = 500
#: The power a study is conventionally planned for.
TARGET_POWER = 0.8
#: The true correlations whose power is reported.
POWER_AT = (0.3, 0.5)


def critical_r(n: int, alpha: float = ALPHA) -> float:
    """Smallest |r| that a two-sided test at ``alpha`` on n - 2 degrees of freedom rejects."""
    t = sps.t.ppf(1 - alpha / 2, n - 2)
    return float(t / math.sqrt(n - 2 + t * t))


def _log_density(r: np.ndarray, log_one_minus_r2: np.ndarray, rho: float, n: int) -> np.ndarray:
    from scipy.special import gammaln, hyp2f1

    return (
        math.log(n - 2)
        + gammaln(n - 1)
        - gammaln(n - 0.5)
        - 0.5 * math.log(2 * math.pi)
        + (n - 1) / 2 * math.log1p(-rho * rho)
        + (n - 4) / 2 * log_one_minus_r2
        - (n - 1.5) * np.log1p(-rho * r)
        + np.log(hyp2f1(0.5, 0.5, n - 0.5, (1 + rho * r) / 2))
    )


def correlation_density(r: np.ndarray | float, rho: float, n: int) -> np.ndarray:
    """Exact density of the sample correlation of n bivariate-normal pairs with correlation rho.

    Hotelling's form (*JRSS B* 15(2), 1953): (n - 2) Gamma(n - 1) (1 - rho^2)^((n - 1)/2)
    (1 - r^2)^((n - 4)/2) / (sqrt(2 pi) Gamma(n - 1/2) (1 - rho r)^(n - 3/2))
    * 2F1(1/2, 1/2; n - 1/2; (1 + rho r) / 2), computed in logarithms.
    """
    r = np.asarray(r, dtype=float)
    return np.exp(_log_density(r, np.log1p(-r * r), rho, n))


def _z_density(z: float, rho: float, n: int) -> float:
    """The density of r carried to z = atanh(r), where it is smooth even for rho near 1."""
    log_sech2 = -2 * (np.logaddexp(z, -z) - math.log(2))  # log(1 - tanh(z)^2), without cancellation
    return float(np.exp(_log_density(np.tanh(z), log_sech2, rho, n) + log_sech2))


def correlation_power(rho: float, n: int, alpha: float = ALPHA) -> float:
    """Probability that the two-sided test of r rejects at ``alpha`` when the true correlation is rho.

    Exact under bivariate normality for n <= :data:`EXACT_POWER_LIMIT` (the density
    of r integrated beyond the critical values, in Fisher's z scale where it is
    smooth); Fisher's z approximation above. The permutation test's power is
    close to this when the data are near normal.
    """
    from scipy.integrate import quad

    cut = math.atanh(critical_r(n, alpha))
    if n > EXACT_POWER_LIMIT:
        shift = math.atanh(rho) * math.sqrt(n - 3)
        scaled = cut * math.sqrt(n - 3)
        return float(sps.norm.sf(scaled - shift) + sps.norm.cdf(-scaled - shift))
    if not math.isfinite(cut):
        return 0.0  # the critical |r| rounds to 1: nothing can be rejected

    def tail(mode: float) -> float:
        # mass beyond +cut of a density with its peak at ``mode``; split at the peak, which is
        # narrow for many cities and a strong correlation
        if mode <= cut:
            return quad(_z_density, cut, np.inf, args=(rho, n), epsabs=1e-13, limit=200)[0]
        body = quad(_z_density, cut, mode, args=(rho, n), epsabs=1e-13, limit=200)[0]
        return body + quad(_z_density, mode, np.inf, args=(rho, n), epsabs=1e-13, limit=200)[0]

    mode = math.atanh(rho)
    upper = tail(mode)
    lower = quad(_z_density, -np.inf, -cut, args=(rho, n), epsabs=1e-13, limit=200)[0]
    return float(min(upper + lower, 1.0))


#: Largest true correlation searched for the detectable one.
RHO_SEARCH_LIMIT = 0.9999


def detectable_correlation(n: int, alpha: float = ALPHA, power: float = TARGET_POWER) -> float:
    """Smallest true |rho| that the test at ``alpha`` detects with probability ``power``.

    NaN when not even rho = :data:`RHO_SEARCH_LIMIT` reaches that power (three or four cities).
    """
    from scipy.optimize import brentq

    def gap(rho: float) -> float:
        return correlation_power(rho, n, alpha) - power

    if gap(RHO_SEARCH_LIMIT) < 0:
        return math.nan
    return float(brentq(gap, 0.0, RHO_SEARCH_LIMIT, xtol=1e-10))


def power_table(n: int, tests: int, alpha: float = ALPHA) -> pd.DataFrame:
    """What n cities can detect, for one test at ``alpha`` and for the family of ``tests``.

    The family row uses Bonferroni's alpha / tests as an approximation of the
    family level; the maxT adjustment the verdicts use is usually, not always,
    a little more lenient, and minP (``p_westfall_young_minp``) lies between them.
    """
    rows = []
    for scope, level in (("single test", alpha), ("family", alpha / tests)):
        row = {
            "scope": scope,
            "alpha": level,
            "n": n,
            "tests": tests if scope == "family" else 1,
            "critical_abs_r": critical_r(n, level),
            "detectable_abs_rho": detectable_correlation(n, level),
            "target_power": TARGET_POWER,
        }
        for rho in POWER_AT:
            row[f"power_rho_{rho:.1f}".replace(".", "_")] = correlation_power(rho, n, level)
        row["method"] = "exact (bivariate normal)" if n <= EXACT_POWER_LIMIT else "Fisher z"
        rows.append(row)
    return pd.DataFrame(rows, columns=contract.POWER_COLUMNS)
