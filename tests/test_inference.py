"""Each check against an independent computation: sandwich formula, brute force, by hand."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import contract, inference, stats
from helpers.cleaning import load_clean_data
from helpers.errors import ParameterError

from .conftest import checks_of, shared_scope
from .test_stats import INPUTS, OUTCOMES, average_ranks, closed_form_ols, column, pearson


@pytest.fixture(scope=shared_scope)
def data():
    return load_clean_data()


@pytest.fixture(scope=shared_scope)
def fits(data):
    return stats.simple_regressions(data, OUTCOMES, INPUTS)


def sandwich(x, y, power):
    """Slope and its sandwich standard error, each squared residual scaled by 1 / (1 - h)^power."""
    X = np.column_stack([np.ones_like(x), x])
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    e = y - X @ beta
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    meat = X.T @ np.diag(e**2 / (1 - h) ** power) @ X
    return beta[1], math.sqrt((bread @ meat @ bread)[1, 1])


def test_hc3_matches_sandwich_formula(data, fits):
    for fit in fits.itertuples(index=False):
        x = np.array(column(fit.predictor))
        slope, se = sandwich(x, np.array(column(fit.outcome)), power=2)
        p = 2 * sps.t.sf(abs(slope / se), len(x) - 2)
        got = inference.hc3(data, fit.outcome, fit.predictor)
        assert got["slope_se_hc3"] == pytest.approx(se, rel=1e-10)
        assert got["p_value_hc3"] == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_all_permutations_is_every_ordering_once(n):
    perms = inference.all_permutations(n)
    assert perms.shape == (math.factorial(n), n)
    assert {tuple(row) for row in perms.tolist()} == set(itertools.permutations(range(n)))


def test_exact_permutation_p_by_brute_force(rng):
    x = rng.normal(size=6)
    y = 0.8 * x + rng.normal(size=6)
    observed = abs(pearson(list(x), list(y)))
    hits = sum(
        abs(pearson(list(x), [y[i] for i in order])) >= observed - 1e-12
        for order in itertools.permutations(range(6))
    )
    p, method, count = inference.permutation_pvalues(x, y)
    assert (method, count) == ("exact", 720)
    assert p[0] == pytest.approx(hits / 720, abs=0)


def test_exact_permutation_with_ties_counts_equal_statistics(rng):
    x = np.array([1.0, 1.0, 2.0, 2.0, 3.0])
    y = np.array([5.0, 3.0, 4.0, 4.0, 1.0])
    observed = abs(pearson(list(x), list(y)))
    hits = sum(
        abs(pearson(list(x), [y[i] for i in order])) >= observed - 1e-12
        for order in itertools.permutations(range(5))
    )
    assert inference.permutation_pvalues(x, y)[0][0] == pytest.approx(hits / 120, abs=0)


def test_exact_permutation_for_the_ten_cities_shares_the_orderings(data, fits):
    predictors = data[INPUTS].to_numpy(float)
    y = data[OUTCOMES[0]].to_numpy(float)
    p, method, count = inference.permutation_pvalues(predictors, y)
    assert (method, count) == ("exact", 3_628_800)
    for j, name in enumerate(INPUTS):  # one predictor at a time gives the same answer
        assert inference.permutation_pvalues(data[name].to_numpy(float), y)[0][0] == p[j]
    # The permutation distribution of r has mean 0; p is a share of 10! orderings.
    assert all(0 < value <= 1 for value in p)
    assert all((value * count) == pytest.approx(round(value * count)) for value in p)


def test_a_flat_figure_has_permutation_p_one(rng):
    """A constant outcome or predictor has r = 0 under every ordering: every ordering is as extreme."""
    x, flat = rng.normal(size=6), np.full(6, 3.0)
    for predictors, outcome in ((x, flat), (flat, x)):
        exact = inference.permutation_test(predictors, outcome)
        assert (exact.method, exact.count, exact.p[0], exact.p_maxt[0]) == ("exact", 720, 1.0, 1.0)
    many, flat12 = rng.normal(size=12), np.full(12, 3.0)
    drawn = inference.permutation_test(many, flat12, seed=3, n_resamples=99)
    assert (drawn.method, drawn.p[0], drawn.p_maxt[0]) == ("monte carlo", 1.0, 1.0)  # (99 + 1) / (99 + 1)


def test_permutation_test_names_a_length_mismatch(rng):
    with pytest.raises(ValueError) as mismatch:
        inference.permutation_test(rng.normal(size=6), rng.normal(size=7))
    assert str(mismatch.value) == "predictors and outcome must have the same number of rows"


def test_permutation_test_default_seed_and_shapes(rng):
    """Its own default seed is the documented one; one outcome gives one p per predictor."""
    x = rng.normal(size=(12, 2))
    y = x[:, 0] + rng.normal(size=12)
    default = inference.permutation_test(x, y, n_resamples=500)
    seeded = inference.permutation_test(x, y, seed=20240529, n_resamples=500)
    np.testing.assert_array_equal(default.p_maxt, seeded.p_maxt)
    np.testing.assert_array_equal(default.p, seeded.p)
    other = inference.permutation_test(x, y, seed=20240530, n_resamples=500)
    assert not np.array_equal(default.p, other.p)
    assert default.p.shape == default.p_maxt.shape == (2,)
    both = inference.permutation_test(x, np.column_stack([y, y]), n_resamples=500)
    assert both.p.shape == both.p_maxt.shape == (2, 2)


def test_monte_carlo_permutation_is_seeded_and_never_zero(rng):
    x = np.arange(12.0)
    y = x * 2 + rng.normal(scale=0.01, size=12)  # almost a line: no random ordering beats it
    p1, method, count = inference.permutation_pvalues(x, y, seed=7, n_resamples=5_000)
    p2, *_ = inference.permutation_pvalues(x, y, seed=7, n_resamples=5_000)
    assert method == "monte carlo" and count == 5_000
    assert p1[0] == p2[0] == pytest.approx(1 / 5_001)
    noise = rng.normal(size=12)
    p3, *_ = inference.permutation_pvalues(x, noise, seed=7, n_resamples=20_000)
    exact_t = closed_form_ols(list(x), list(noise))["p_value"]
    assert abs(p3[0] - exact_t) < 0.05  # permutation and t test agree closely on normal data


def test_holm_by_hand():
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    np.testing.assert_allclose(inference.holm(p), holm_by_hand(p), rtol=1e-12)


def test_spearman_by_ranks_and_t_formula(data):
    for outcome in OUTCOMES:
        for predictor in INPUTS:
            rho = pearson(average_ranks(column(predictor)), average_ranks(column(outcome)))
            t = rho * math.sqrt(8 / (1 - rho**2))
            p = 2 * sps.t.sf(abs(t), 8)
            got = inference.spearman(data, outcome, predictor)
            assert got[0] == pytest.approx(rho, abs=1e-12)
            assert got[1] == pytest.approx(p, rel=1e-9)


def holm_by_hand(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def test_checks_table_holds_every_column(data, fits):
    checked = checks_of(data, fits)
    for column_name in inference.CHECK_COLUMNS:
        assert checked[column_name].notna().all(), column_name
    # Holm adjusts the primary test (the permutation p), not the classic t test
    np.testing.assert_allclose(checked.p_holm, holm_by_hand(list(checked.p_permutation)), rtol=1e-12)
    assert (checked.permutation_method == "exact").all()
    assert (checked.adjustment == "westfall-young").all()
    assert (checked.p_westfall_young >= checked.p_permutation).all()
    assert (checked.p_westfall_young <= 1).all()
    for row in checked.itertuples(index=False):
        assert row.r == pytest.approx(pearson(column(row.predictor), column(row.outcome)), abs=1e-12)


# ------------------------------------------------------------------ Westfall-Young maxT
def maxt_by_brute_force(x, y, orderings):
    """Adjusted p of every (outcome, predictor) pair: share of orderings whose largest |r| reaches it."""
    k, p = y.shape[1], x.shape[1]
    observed = [[abs(pearson(list(x[:, j]), list(y[:, i]))) for j in range(p)] for i in range(k)]
    hits = [[0] * p for _ in range(k)]
    total = 0
    for order in orderings:
        largest = max(
            abs(pearson(list(x[:, j]), [y[o, i] for o in order])) for i in range(k) for j in range(p)
        )
        for i in range(k):
            for j in range(p):
                hits[i][j] += largest >= observed[i][j] - 1e-12
        total += 1
    return np.array(hits), total


def test_westfall_young_exact_by_brute_force(rng):
    n = 6
    x = rng.normal(size=(n, 2))
    x[:, 1] = np.round(x[:, 1])  # ties in one predictor
    y = np.column_stack([x[:, 0] + rng.normal(scale=0.7, size=n), rng.normal(size=n)])
    hits, total = maxt_by_brute_force(x, y, itertools.permutations(range(n)))
    found = inference.permutation_test(x, y)
    assert (found.method, found.count, total) == ("exact", 720, 720)
    np.testing.assert_array_equal(found.p_maxt, hits / total)
    # the adjusted p of the strongest pair is at least its own p, never above 1
    assert (found.p_maxt >= found.p).all() and (found.p_maxt <= 1).all()


def test_westfall_young_on_figures_of_very_different_scales(rng):
    """|r| has no unit: columns in thousandths and in thousands meet in one maximum as equals."""
    n = 6
    x = rng.normal(size=(n, 2)) * [0.001, 1000.0]
    y = np.column_stack([x[:, 0] * 50 + rng.normal(scale=0.03, size=n), rng.normal(size=n) * 0.002])
    hits, total = maxt_by_brute_force(x, y, itertools.permutations(range(n)))
    found = inference.permutation_test(x, y)
    np.testing.assert_array_equal(found.p_maxt, hits / total)


def test_westfall_young_monte_carlo_by_brute_force(rng):
    n = 14
    x = rng.normal(size=(n, 2))
    y = np.column_stack([0.8 * x[:, 1] + rng.normal(size=n), rng.normal(size=n)])
    orderings = np.random.default_rng(9).permuted(np.broadcast_to(np.arange(n), (600, n)), axis=1)
    hits, total = maxt_by_brute_force(x, y, orderings)
    found = inference.permutation_test(x, y, seed=9, n_resamples=600)
    assert found.method == "monte carlo"
    np.testing.assert_array_equal(found.p_maxt, (hits + 1) / (total + 1))


def test_westfall_young_random_subgroup_by_enumeration(rng, monkeypatch):
    monkeypatch.setattr(inference, "MONTE_CARLO_VALUES", 0)  # force the subgroup test
    monkeypatch.setattr(inference, "PERMUTATION_BYTES", 2_000)  # several blocks of shifts
    n = 16
    x = rng.normal(size=(n, 2))
    y = np.column_stack([x[:, 0] + rng.normal(size=n), rng.normal(size=n)])
    order = np.random.default_rng(4).permutation(n)
    first, second = order[: n // 2], order[n // 2 :]
    orderings = []
    for s1 in range(len(first)):
        for s2 in range(len(second)):
            permuted = np.arange(n)
            permuted[first] = np.roll(first, -s1)
            permuted[second] = np.roll(second, -s2)
            orderings.append(permuted)
    hits, total = maxt_by_brute_force(x, y, orderings)
    found = inference.permutation_test(x, y, seed=4, n_resamples=64)
    assert (found.method, found.count, total) == ("random-subgroup", 64, 64)
    np.testing.assert_array_equal(found.p_maxt, hits / total)


def test_checks_adjust_by_holm_when_fits_rest_on_different_cities(rng):
    n = 9
    frame = pd.DataFrame({"a": rng.normal(size=n), "y1": rng.normal(size=n), "y2": rng.normal(size=n)})
    frame.loc[2, "y2"] = np.nan
    fits = pd.concat(
        [stats.simple_regressions(frame.dropna(subset=[y]), [y], ["a"]) for y in ("y1", "y2")],
        ignore_index=True,
    )
    checked = inference.checks(frame, fits)
    assert (checked.adjustment == "holm").all() and checked.p_westfall_young.isna().all()


# ------------------------------------------------------------------ intervals and robust tests
def test_fisher_interval_by_hand(data, fits):
    checked = checks_of(data, fits)
    z975 = 1.959963984540054  # the standard normal's 97.5% quantile
    for row in checked.itertuples(index=False):
        r = pearson(column(row.predictor), column(row.outcome))
        z = 0.5 * math.log((1 + r) / (1 - r))
        half = z975 / math.sqrt(10 - 3)

        def back(v):
            return (math.exp(2 * v) - 1) / (math.exp(2 * v) + 1)

        assert row.r_ci_low == pytest.approx(back(z - half), abs=1e-12)
        assert row.r_ci_high == pytest.approx(back(z + half), abs=1e-12)
        assert row.r_ci_low < row.r < row.r_ci_high
    assert inference.fisher_interval(0.5, 3) == (-1.0, 1.0)  # three points: nothing narrows it


def bell_mccaffrey_by_matrices(x):
    """K = (sum of eigenvalues)^2 / sum of squared eigenvalues of G'G, G built entry by entry."""
    n = len(x)
    X = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(X.T @ X)
    H = X @ bread @ X.T
    G = np.zeros((n, n))
    for i in range(n):
        a_i = (bread @ X[i])[1] / math.sqrt(1 - H[i, i])
        for j in range(n):
            G[j, i] = ((1.0 if i == j else 0.0) - H[j, i]) * a_i
    eigenvalues = np.linalg.eigvalsh(G.T @ G)
    return eigenvalues.sum() ** 2 / (eigenvalues**2).sum()


def test_hc2_and_bell_mccaffrey_from_explicit_matrices(data, fits):
    dfs = set()
    for fit in fits.itertuples(index=False):
        x = np.array(column(fit.predictor))
        slope, se = sandwich(x, np.array(column(fit.outcome)), power=1)
        df = bell_mccaffrey_by_matrices(x)
        got = inference.hc2_bell_mccaffrey(data, fit.outcome, fit.predictor)
        assert got["slope_se_hc2"] == pytest.approx(se, rel=1e-10)
        assert got["df_bell_mccaffrey"] == pytest.approx(df, rel=1e-9)
        assert got["p_value_hc2_bm"] == pytest.approx(2 * sps.t.sf(abs(slope / se), df), rel=1e-9)
        dfs.add(round(df, 1))
    # the four designs (one per input) have far fewer than n - 2 = 8 degrees of freedom
    assert min(dfs) == pytest.approx(2.2, abs=0.05) and max(dfs) == pytest.approx(4.8, abs=0.05)


def test_bell_mccaffrey_matches_the_moments_of_simulated_variances(rng):
    # under homoskedastic normal errors, V_HC2 is close to a scaled chi-squared with K df:
    # 2 E[V]^2 / Var[V] estimated from 200,000 simulated samples
    x = np.array(column("community_event_participants"))
    n = len(x)
    X = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    w = (bread @ X.T)[1]
    errors = rng.normal(size=(200_000, n))
    residuals = errors - errors @ (X @ bread @ X.T)
    variances = (residuals**2 / (1 - h)) @ w**2
    moments = 2 * variances.mean() ** 2 / variances.var()
    assert inference.bell_mccaffrey_df(x) == pytest.approx(moments, rel=0.03)


def wild_by_brute_force(x, y):
    """Every sign vector, an OLS fit and an HC2 sandwich per bootstrap sample, |t| compared."""
    n = len(x)
    X = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, bread, X)

    def abs_t(values):
        if np.ptp(values) == 0:  # every city equal: no slope, whatever round-off says
            return 0.0
        beta = bread @ X.T @ values
        e = values - X @ beta
        cov = bread @ X.T @ np.diag(e**2 / (1 - h)) @ X @ bread
        return abs(beta[1]) / math.sqrt(cov[1, 1])

    observed = abs_t(y)
    restricted = y - y.mean()
    hits = sum(
        abs_t(y.mean() + np.array(signs) * restricted) >= observed * (1 - 1e-9)
        for signs in itertools.product([-1.0, 1.0], repeat=n)
    )
    return hits / 2**n


def test_wild_bootstrap_by_brute_force(rng):
    x = rng.lognormal(size=8)
    y = 0.4 * x + rng.normal(size=8) * x  # spread that grows with x
    p, method, count = inference.wild_bootstrap_p(x, y)
    assert (method, count) == ("exact", 256)
    assert p == pytest.approx(wild_by_brute_force(x, y), abs=0)
    flat = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])  # a perfect line: only |t| = inf reaches it
    assert inference.wild_bootstrap_p(flat, 2 * flat + 1)[0] == pytest.approx(2 / 256)


def wild_monte_carlo_by_hand(x, y, seed, draws):
    """The Monte-Carlo wild bootstrap written plainly: the seed's signs drawn at once, one fit each."""
    n = len(x)
    X = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    signs = np.where(np.random.default_rng(seed).random((draws, n)) < 0.5, -1.0, 1.0)

    def abs_t(values):
        beta = bread @ X.T @ values
        e = values - X @ beta
        return abs(beta[1]) / math.sqrt((bread @ X.T @ np.diag(e**2 / (1 - h)) @ X @ bread)[1, 1])

    observed = abs_t(y)
    hits = sum(abs_t(y.mean() + s * (y - y.mean())) >= observed * (1 - 1e-9) for s in signs)
    return (hits + 1) / (draws + 1)


def test_wild_bootstrap_monte_carlo_is_seeded(rng):
    n = 15
    x = rng.normal(size=n)
    y = x + rng.normal(size=n)
    p, method, count = inference.wild_bootstrap_p(x, y, seed=3, draws=500)
    assert (method, count) == ("monte carlo", 500)
    assert p == pytest.approx(wild_monte_carlo_by_hand(x, y, 3, 500), abs=0)
    # several pairs share the sign vectors and each gets the p-value it gets alone
    z = rng.normal(size=n)
    both, _, _ = inference.wild_bootstrap_pvalues([(x, y), (z, y)], seed=3, draws=500)
    assert both[0] == p and both[1] == inference.wild_bootstrap_p(z, y, seed=3, draws=500)[0]
    # pairs that share their x (as a calibration's replicates do) share its design, and nothing else
    w = 0.3 * z + rng.normal(size=n)
    three, _, _ = inference.wild_bootstrap_pvalues([(x, y), (z, y), (x.copy(), w), (z, w)], seed=3, draws=500)
    alone = [inference.wild_bootstrap_p(a, b, seed=3, draws=500)[0] for a, b in ((x, y), (z, y), (x, w), (z, w))]
    assert list(three) == alone and len(set(alone)) > 2


def test_wild_bootstrap_monte_carlo_in_many_blocks(rng, monkeypatch):
    """Blocks of seven sign vectors, the last one short: the same p as all 500 at once."""
    n = 15
    x = rng.normal(size=n)
    y = rng.normal(size=n)  # unrelated: about half the draws are hits, so a draw too many shows
    monkeypatch.setattr(inference, "PERMUTATION_BYTES", 16 * n * 7)
    p, method, count = inference.wild_bootstrap_p(x, y, seed=3, draws=500)
    assert (method, count) == ("monte carlo", 500)
    assert p == pytest.approx(wild_monte_carlo_by_hand(x, y, 3, 500), abs=0)
    assert 0.1 < p < 0.9


def test_wild_bootstrap_counts_samples_that_tie_with_the_observed_one(rng):
    """Eleven of thirteen cities sit at the mean: only two signs matter, and half the draws tie."""
    x = rng.normal(size=13)
    y = np.array([0.0] * 11 + [1.0, -1.0])
    p, method, _ = inference.wild_bootstrap_p(x, y, seed=5, draws=400)
    assert method == "monte carlo"
    assert p == pytest.approx(wild_monte_carlo_by_hand(x, y, 5, 400), abs=0)
    assert p > 0.4  # the ties are counted as at least as extreme


def test_wild_bootstrap_of_a_flat_outcome_is_one_without_warnings():
    """A flat outcome has slope 0 and no spread in every sample: |t| = 0 everywhere, so p = 1."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n, draws in ((8, None), (13, 50)):
            x, flat = np.arange(float(n)), np.full(n, 4.0)
            p, method, _ = inference.wild_bootstrap_p(x, flat, **({"draws": draws} if draws else {}))
            assert (method, p) == ("exact" if draws is None else "monte carlo", 1.0)


def test_wild_bootstrap_of_a_perfect_line_of_slope_one():
    """Only the observed signs and their opposite reach |t| = inf: p = 2/256, whatever the slope."""
    import warnings

    x = np.arange(1.0, 9.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero noise where the spread is nil
        assert inference.wild_bootstrap_p(x, x + 3)[0] == pytest.approx(2 / 256, abs=0)
        assert inference.wild_bootstrap_p(x, 2 * x + 1)[0] == pytest.approx(2 / 256, abs=0)


def test_wild_bootstrap_samples_without_spread_are_not_extreme():
    """y alternating 1, 0: two sign vectors make every city equal, a sample with no slope at all."""
    x = np.random.default_rng(0).lognormal(size=8)
    y = np.array([1.0, 0.0] * 4)
    p, method, _ = inference.wild_bootstrap_p(x, y)
    assert method == "exact"
    assert p == pytest.approx(wild_by_brute_force(x, y), abs=0)


def test_exact_spearman_by_enumeration():
    frame = pd.DataFrame(
        {
            "a": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0],  # a tie
            "b": [2.0, 7.0, 1.0, 8.0, 2.0, 8.0],
            "y1": [10.0, 12.0, 15.0, 11.0, 19.0, 30.0],
            "y2": [5.0, 3.0, 5.0, 2.0, 1.0, 0.0],
        }
    )
    fits = stats.simple_regressions(frame, ["y1", "y2"], ["a", "b"])
    checked = inference.checks(frame, fits)
    for row in checked.itertuples(index=False):
        rx = average_ranks(list(frame[row.predictor]))
        ry = average_ranks(list(frame[row.outcome]))
        observed = abs(pearson(rx, ry))
        hits = sum(
            abs(pearson(rx, [ry[i] for i in order])) >= observed - 1e-12
            for order in itertools.permutations(range(6))
        )
        assert row.spearman_rho == pytest.approx(pearson(rx, ry), abs=1e-12)
        assert row.spearman_p_exact == pytest.approx(hits / 720, abs=0)


def test_exact_spearman_only_up_to_ten_cities(rng):
    frame = pd.DataFrame({"a": rng.normal(size=11), "y": rng.normal(size=11)})
    checked = inference.checks(frame, stats.simple_regressions(frame, ["y"], ["a"]), n_resamples=500)
    assert checked.spearman_p_exact.isna().all() and checked.spearman_p.notna().all()


def test_leverage_and_cooks_distance_from_the_hat_matrix(data, fits):
    table = inference.influence(data, fits)
    assert len(table) == 80
    for fit in fits.itertuples(index=False):
        x = np.array(column(fit.predictor))
        y = np.array(column(fit.outcome))
        X = np.column_stack([np.ones_like(x), x])
        H = X @ np.linalg.inv(X.T @ X) @ X.T
        h = np.diag(H)
        e = y - H @ y
        s2 = e @ e / (len(x) - 2)
        cooks = e**2 / (2 * s2) * h / (1 - h) ** 2
        rows = table[(table.outcome == fit.outcome) & (table.predictor == fit.predictor)]
        np.testing.assert_allclose(rows.leverage, h, rtol=1e-10)
        np.testing.assert_allclose(rows.cooks_distance, cooks, rtol=1e-9)
        assert (rows.high_leverage == (h > 0.4)).all() and (rows.influential == (cooks > 0.4)).all()


def dfbetas_by_refits(x, y):
    """(b - b_(i)) / (s_(i) sqrt((X'X)^-1_11)): a refit without each row, its own residual SD."""
    n = len(x)
    full = closed_form_ols(list(x), list(y))
    sxx = sum((a - sum(x) / n) ** 2 for a in x)
    out = []
    for i in range(n):
        xs = [x[j] for j in range(n) if j != i]
        ys = [y[j] for j in range(n) if j != i]
        refit = closed_form_ols(xs, ys)
        sse = sum((b - refit["intercept"] - refit["slope"] * a) ** 2 for a, b in zip(xs, ys, strict=True))
        s_i = math.sqrt(sse / (n - 1 - 2))
        out.append((full["slope"] - refit["slope"]) / (s_i / math.sqrt(sxx)))
    return out


def test_dfbetas_by_refits(data, fits, rng):
    table = inference.influence(data, fits)
    for fit in fits.itertuples(index=False):
        rows = table[(table.outcome == fit.outcome) & (table.predictor == fit.predictor)]
        expected = dfbetas_by_refits(column(fit.predictor), column(fit.outcome))
        np.testing.assert_allclose(rows.dfbetas, expected, rtol=1e-9)
        assert (rows.large_dfbetas == (np.abs(expected) > 2 / math.sqrt(10))).all()
    x = rng.lognormal(size=60)
    x[0] = 40.0  # one row far out
    y = 0.3 * x + rng.normal(size=60)
    np.testing.assert_allclose(inference.dfbetas(x, y), dfbetas_by_refits(x, y), rtol=1e-8)


def test_leave_one_out_by_refitting(data, fits):
    loo = inference.leave_one_out(data, fits)
    assert len(loo) == 80
    cities = list(data.city)
    for row in loo.itertuples(index=False):
        keep = [i for i, c in enumerate(cities) if c != row.dropped_city]
        expected = closed_form_ols(
            [column(row.predictor)[i] for i in keep], [column(row.outcome)[i] for i in keep]
        )
        assert row.slope == pytest.approx(expected["slope"], rel=1e-9)
        assert row.p_value == pytest.approx(expected["p_value"], rel=1e-8)


def test_leave_one_out_frame_shape(data, fits):
    loo = inference.leave_one_out(data, fits)
    assert loo.index.equals(pd.RangeIndex(len(loo)))  # one row per refit, no repeated labels
    empty = inference.leave_one_out(data, fits.iloc[0:0])
    assert empty.empty and list(empty.columns) == list(contract.LOO_COLUMNS)


def test_leave_one_out_refits_up_to_its_limit(rng, monkeypatch):
    """At exactly LOO_REFIT_LIMIT cities every refit is its own OLS fit, one more uses the closed form."""
    calls = []
    closed_form = inference.leave_one_out_closed_form
    monkeypatch.setattr(
        inference, "leave_one_out_closed_form", lambda x, y: calls.append(len(x)) or closed_form(x, y)
    )
    for n in (inference.LOO_REFIT_LIMIT, inference.LOO_REFIT_LIMIT + 1):
        frame = pd.DataFrame(
            {"city": [f"c{i}" for i in range(n)], "y": rng.normal(size=n), "a": rng.normal(size=n)}
        )
        inference.leave_one_out(frame, stats.simple_regressions(frame, ["y"], ["a"]))
    assert calls == [inference.LOO_REFIT_LIMIT + 1]


def test_log_transform():
    frame = pd.DataFrame({"a": [1.0, math.e], "b": [0.0, 1.0]})
    assert inference.log_transform(frame, ["a"]).a.tolist() == pytest.approx([0.0, 1.0])
    with pytest.raises(ParameterError, match="only positive values"):
        inference.log_transform(frame, ["b"])
    with pytest.raises(ParameterError, match="not a column"):
        inference.log_transform(frame, ["c"])


# ------------------------------------------------------------------ larger samples
def lstsq_refit(x, y):
    """Slope and two-sided p-value of y on x with an intercept, by numpy least squares."""
    X = np.column_stack([np.ones_like(x), x])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ beta
    n = len(x)
    cov = (e @ e) / (n - 2) * np.linalg.inv(X.T @ X)
    t = beta[1] / math.sqrt(cov[1, 1])
    return beta[1], 2 * sps.t.sf(abs(t), n - 2)


@pytest.mark.parametrize("n", [5, 12, 60])
def test_closed_form_leave_one_out_matches_refits(rng, n):
    x = rng.lognormal(size=n)
    x[0] = 40.0  # one city with high leverage
    y = 0.3 * x + rng.normal(size=n)
    slopes, p = inference.leave_one_out_closed_form(x, y)
    for i in range(n):
        keep = np.arange(n) != i
        slope, p_value = lstsq_refit(x[keep], y[keep])
        assert slopes[i] == pytest.approx(slope, rel=1e-9, abs=1e-12)
        assert p[i] == pytest.approx(p_value, rel=1e-7, abs=1e-300)


def test_closed_form_leave_one_out_without_spread_is_nan():
    x = np.array([1.0, 1.0, 1.0, 2.0])
    y = np.array([1.0, 2.0, 3.0, 5.0])
    slopes, p = inference.leave_one_out_closed_form(x, y)
    assert np.isnan(slopes[3]) and np.isnan(p[3])  # without the one x = 2 no line is left
    for i in range(3):
        keep = np.arange(4) != i
        assert slopes[i] == pytest.approx(lstsq_refit(x[keep], y[keep])[0], rel=1e-12)


def test_leave_one_out_above_the_refit_limit_uses_the_closed_form(rng):
    n = inference.LOO_REFIT_LIMIT + 30
    frame = pd.DataFrame(
        {
            "city": [f"c{i}" for i in range(n)],
            "y": rng.normal(size=n),
            "a": rng.normal(size=n),
            "b": rng.exponential(size=n),
        }
    )
    frame["y"] += 0.5 * frame.a
    fits = stats.simple_regressions(frame, ["y"], ["a", "b"])
    loo = inference.leave_one_out(frame, fits)
    assert list(loo.columns) == ["outcome", "predictor", "dropped_city", "slope", "p_value"]
    assert len(loo) == 2 * n
    for row in loo.itertuples(index=False):
        keep = (frame.city != row.dropped_city).to_numpy()
        slope, p_value = lstsq_refit(
            frame[row.predictor].to_numpy()[keep], frame.y.to_numpy()[keep]
        )
        assert row.slope == pytest.approx(slope, rel=1e-9)
        assert row.p_value == pytest.approx(p_value, rel=1e-7)


def brute_force_monte_carlo(x, y, seed, n_resamples):
    """The Monte-Carlo test written plainly: every ordering at once, |r| per ordering."""
    n = len(y)
    orderings = np.random.default_rng(seed).permuted(
        np.broadcast_to(np.arange(n), (n_resamples, n)), axis=1
    )
    observed = abs(np.corrcoef(x, y)[0, 1])
    permuted = y[orderings]
    xc = x - x.mean()
    pc = permuted - permuted.mean(axis=1, keepdims=True)
    r = pc @ xc / np.sqrt((pc**2).sum(axis=1) * (xc @ xc))
    return (np.sum(np.abs(r) >= observed - 1e-12) + 1) / (n_resamples + 1)


def test_monte_carlo_shuffles_more_cities_than_int16_can_number():
    """Past 32,768 cities the orderings need wider integers: the last city must still move."""
    n = np.iinfo(np.int16).max + 2  # 32,769 cities: the last one's number, 32,768, is not an int16
    x = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)  # the last city has x = +1
    y = np.zeros(n)
    y[-1] = 1.0  # one non-zero outcome, the last city's
    p, method, count = inference.permutation_pvalues(x, y, seed=5, n_resamples=20)
    assert (method, count) == ("monte carlo", 20)
    # wherever a shuffle puts the one non-zero value, |r| is at least the observed one: p = 21/21;
    # an ordering that lost the last city would be flat, with r = 0 and p = 1/21
    assert p[0] == 1.0 == brute_force_monte_carlo(x, y, 5, 20)


def test_monte_carlo_matches_plain_computation_whatever_the_chunk(rng, monkeypatch):
    n = 40
    x = rng.normal(size=(n, 3))
    y = 0.35 * x[:, 0] + rng.normal(size=n)
    expected = [brute_force_monte_carlo(x[:, j], y, 3, 4_000) for j in range(3)]
    p, method, count = inference.permutation_pvalues(x, y, seed=3, n_resamples=4_000)
    assert (method, count) == ("monte carlo", 4_000)
    np.testing.assert_array_equal(p, expected)
    # a chunk of 7 orderings at a time (a budget of a few kB): the same orderings, the same p
    monkeypatch.setattr(inference, "PERMUTATION_BYTES", 7 * n * (2 + 8))
    np.testing.assert_array_equal(
        inference.permutation_pvalues(x, y, seed=3, n_resamples=4_000)[0], expected
    )


def test_outcomes_share_orderings_with_the_same_p_values(rng):
    for n in (8, 30):  # exact and Monte Carlo
        x = rng.normal(size=(n, 2))
        y = np.column_stack([x[:, 0] + rng.normal(size=n), rng.normal(size=n)])
        together, method, _ = inference.permutation_pvalues(x, y, seed=5, n_resamples=3_000)
        assert together.shape == (2, 2)
        for k in range(2):
            alone, same_method, _ = inference.permutation_pvalues(
                x, y[:, k], seed=5, n_resamples=3_000
            )
            assert same_method == method
            np.testing.assert_array_equal(together[k], alone)


def test_permutation_method_by_sample_size():
    assert inference.permutation_method(10) == ("exact", 3_628_800)
    assert inference.permutation_method(11) == ("monte carlo", 100_000)
    assert inference.permutation_method(2_000) == ("monte carlo", 100_000)
    assert inference.permutation_method(2_001) == ("random-subgroup", 1000 * 1001)
    assert inference.permutation_method(8_000) == ("random-subgroup", 16_000_000)
    # never fewer orderings than asked for
    assert inference.permutation_method(2_001, 2_000_000) == ("monte carlo", 2_000_000)


def subgroup_by_enumeration(x, y, seed):
    """Every ordering of the subgroup built explicitly: rotate within each block, |r| each."""
    n = len(y)
    order = np.random.default_rng(seed).permutation(n)
    first, second = order[: n // 2], order[n // 2 :]
    observed = abs(np.corrcoef(x, y)[0, 1])
    hits = total = 0
    for s1 in range(len(first)):
        for s2 in range(len(second)):
            permuted = y.copy()
            permuted[first] = y[np.roll(first, -s1)]
            permuted[second] = y[np.roll(second, -s2)]
            hits += abs(np.corrcoef(x, permuted)[0, 1]) >= observed - 1e-12
            total += 1
    return hits / total, total


@pytest.mark.parametrize("n", [15, 22])
def test_random_subgroup_counts_every_ordering_of_the_subgroup(rng, monkeypatch, n):
    monkeypatch.setattr(inference, "MONTE_CARLO_VALUES", 0)  # force the subgroup test
    x = rng.normal(size=(n, 2))
    x[:, 1] = np.round(x[:, 1])  # ties among the predictor values
    y = np.round(0.5 * x[:, 0] + rng.normal(size=n), 1)  # and among the outcome values
    resamples = (n // 2) * (n - n // 2)
    p, method, count = inference.permutation_pvalues(x, y, seed=11, n_resamples=resamples)
    assert (method, count) == ("random-subgroup", resamples)
    for j in range(2):
        expected, total = subgroup_by_enumeration(x[:, j], y, 11)
        assert total == count
        assert p[j] == pytest.approx(expected, abs=0)
        assert p[j] >= 1 / count  # the observed ordering belongs to the subgroup


def test_random_subgroup_gives_p_one_to_a_correlation_of_zero(monkeypatch):
    """A statistic of exactly zero is reached by every ordering (threshold <= 0), and the next is still counted."""
    monkeypatch.setattr(inference, "MONTE_CARLO_VALUES", 0)  # force the subgroup test
    n = 15
    centred = np.arange(n, dtype=float) - 7
    y = centred**2  # symmetric about the middle: r with the centred ranks is exactly 0
    x = np.column_stack([centred, np.random.default_rng(1).normal(size=n)])
    assert abs(np.corrcoef(x[:, 0], y)[0, 1]) < 1e-12
    resamples = (n // 2) * (n - n // 2)
    p, method, count = inference.permutation_pvalues(x, y, seed=5, n_resamples=resamples)
    assert (method, count) == ("random-subgroup", resamples)
    assert p[0] == 1.0
    expected, _total = subgroup_by_enumeration(x[:, 1], y, 5)
    assert p[1] == pytest.approx(expected, abs=0)
    assert p[1] < 1.0


def test_random_subgroup_is_calibrated_under_no_association(rng):
    # an exact test: under independence p <= alpha happens with probability alpha at most
    p = []
    for seed in range(200):
        x = rng.lognormal(size=2_100)  # skewed, as counts are
        y = rng.exponential(size=2_100)
        value, method, _ = inference.permutation_pvalues(x, y, seed=seed)
        p.append(value[0])
    assert method == "random-subgroup"
    p = np.array(p)
    assert 0.02 <= np.mean(p <= 0.1) <= 0.18
    assert 0.4 <= np.mean(p) <= 0.6


def test_checks_share_orderings_only_between_outcomes_on_the_same_rows(rng):
    n = 25
    frame = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "y1": rng.normal(size=n)}
    )
    frame["y2"] = frame.a + rng.normal(size=n)
    frame["y3"] = frame.b + rng.normal(size=n)
    frame.loc[3, "y3"] = np.nan  # y3 is fitted on 24 rows
    fits = pd.concat(
        [
            stats.simple_regressions(frame.dropna(subset=[y]), [y], ["a", "b"])
            for y in ("y1", "y2", "y3")
        ],
        ignore_index=True,
    )
    checked = inference.checks(frame, fits, seed=2, n_resamples=2_000)
    for outcome in ("y1", "y2", "y3"):
        rows = frame[[outcome, "a", "b"]].dropna()
        expected, method, _ = inference.permutation_pvalues(
            rows[["a", "b"]].to_numpy(), rows[outcome].to_numpy(), seed=2, n_resamples=2_000
        )
        got = checked[checked.outcome == outcome]
        np.testing.assert_array_equal(got.p_permutation, expected)
        assert (got.permutation_method == method).all()


# ------------------------------------------------------------------ power
def simulated_power(rho, n, critical, draws, rng):
    """Share of bivariate-normal samples whose |r| reaches ``critical``, by simulation."""
    a = rng.normal(size=(draws, n))
    b = rho * a + math.sqrt(1 - rho * rho) * rng.normal(size=(draws, n))
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    r = (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return np.mean(np.abs(r) >= critical)


def test_critical_r_from_the_t_quantile():
    for n, alpha in ((10, 0.05), (10, 0.05 / 8), (40, 0.01)):
        t = sps.t.isf(alpha / 2, n - 2)
        assert inference.critical_r(n, alpha) == pytest.approx(math.sqrt(t * t / (t * t + n - 2)))


@pytest.mark.parametrize("rho,n", [(0.0, 10), (0.5, 10), (0.3, 10), (0.5, 40)])
def test_power_against_simulation(rho, n, rng):
    draws = 200_000
    critical = inference.critical_r(n)
    expected = simulated_power(rho, n, critical, draws, rng)
    got = inference.correlation_power(rho, n)
    se = math.sqrt(expected * (1 - expected) / draws)
    assert abs(got - expected) < 4.5 * se + 1e-4
    if rho == 0:
        assert got == pytest.approx(0.05, abs=1e-9)  # under no correlation the test holds its level


def test_power_above_the_exact_limit_uses_fisher_z(rng):
    n = inference.EXACT_POWER_LIMIT + 100
    expected = simulated_power(0.1, n, inference.critical_r(n), 20_000, rng)
    assert inference.correlation_power(0.1, n) == pytest.approx(expected, abs=0.015)


def test_density_of_r_integrates_to_one():
    from scipy.integrate import quad

    for rho, n in ((0.0, 5), (0.5, 10), (0.9, 30)):
        assert quad(inference.correlation_density, -1, 1, args=(rho, n))[0] == pytest.approx(1, abs=1e-8)
    # with rho = 0 the density is the classic (1 - r^2)^((n - 4) / 2) / B(1/2, (n - 2) / 2)
    r = np.linspace(-0.9, 0.9, 7)
    beta = math.gamma(0.5) * math.gamma(4) / math.gamma(4.5)  # B(1/2, 4), n = 10
    classic = (1 - r * r) ** 3 / beta
    np.testing.assert_allclose(inference.correlation_density(r, 0.0, 10), classic, rtol=1e-10)


def test_power_table_for_ten_cities(rng):
    table = inference.power_table(10, 8).set_index("scope")
    single, family = table.loc["single test"], table.loc["family"]
    assert family.alpha == pytest.approx(0.05 / 8) and family.tests == 8 and single.tests == 1
    for row in (single, family):
        # the detectable correlation is where power reaches 80%, checked by simulation
        simulated = simulated_power(row.detectable_abs_rho, 10, row.critical_abs_r, 100_000, rng)
        assert simulated == pytest.approx(0.8, abs=0.006)
    assert single.power_rho_0_5 == pytest.approx(0.33, abs=0.01)  # "about a third"
    assert family.detectable_abs_rho > single.detectable_abs_rho > single.critical_abs_r
    assert list(inference.power_table(10, 8).columns) == contract.POWER_COLUMNS
    assert inference.power_table(13, 8).n.tolist() == [13, 13]  # each row says the cities it is for


def test_power_table_rows_carry_their_own_level_target_and_method(rng):
    """Each row's power is at its own level (checked by simulation), with the target and method it states."""
    table = inference.power_table(10, 8).set_index("scope")
    assert list(table.target_power) == [0.8, 0.8]
    assert list(table.method) == ["exact (bivariate normal)"] * 2
    for row in table.itertuples():
        for rho, power in ((0.3, row.power_rho_0_3), (0.5, row.power_rho_0_5)):
            simulated = simulated_power(rho, 10, row.critical_abs_r, 100_000, rng)
            assert power == pytest.approx(simulated, abs=0.006), (row.Index, rho)
    assert table.loc["family", "power_rho_0_5"] < table.loc["single test", "power_rho_0_5"] / 3
    # the exact method up to its limit, Fisher's z above it
    assert set(inference.power_table(inference.EXACT_POWER_LIMIT, 8).method) == {"exact (bivariate normal)"}
    assert set(inference.power_table(inference.EXACT_POWER_LIMIT + 1, 8).method) == {"Fisher z"}


def test_nothing_is_detectable_with_three_cities():
    assert math.isnan(inference.detectable_correlation(3, 0.05 / 8))


def test_dfbetas_where_undefined_is_nan_without_warnings():
    """Three cities (no residual df without one) and a perfect line: NaN, and no warning noise."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        three = inference.dfbetas(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0]))
        line = inference.dfbetas(np.arange(6.0), 2 * np.arange(6.0) + 1)
        bent = 2 * np.arange(6.0) + 1
        bent[5] = 20.0  # without the last city the other five fit a line exactly
        one = inference.dfbetas(np.arange(6.0), bent)
        lone = inference.dfbetas(np.array([0.1] * 9 + [0.7]), np.arange(10.0) ** 1.5)
    assert np.isnan(lone[-1]) and np.isfinite(lone[:-1]).all()  # leverage 1: undefined
    assert np.isnan(three).all()
    assert np.isnan(line).all()
    assert np.isnan(one[5]) and np.isfinite(one[:5]).all()
    # the finite ones agree with refits
    np.testing.assert_allclose(one[:5], dfbetas_by_refits(np.arange(6.0), bent)[:5], rtol=1e-8)


def test_wild_bootstrap_default_seed_is_the_documented_one():
    """Past twelve cities the signs are drawn: the default seed is the protocol's 20240529."""
    rng = np.random.default_rng(7)
    n = inference.WILD_EXACT_LIMIT + 2
    x = rng.normal(size=n)
    y = 0.3 * x + rng.normal(size=n)
    default = inference.wild_bootstrap_p(x, y, draws=2_000)
    assert default[1] == "monte carlo"
    assert default == inference.wild_bootstrap_p(x, y, seed=20240529, draws=2_000)
    others = {inference.wild_bootstrap_p(x, y, seed=s, draws=2_000)[0] for s in (1, 2, 3)}
    assert others != {default[0]}  # the seed matters here


def test_wild_bootstrap_pvalues_default_seed_and_the_exact_limit():
    """Twelve cities are enumerated (2^12 sign vectors), thirteen sampled; the default seed is the protocol's."""
    rng = np.random.default_rng(5)
    limit = inference.WILD_EXACT_LIMIT
    x = rng.normal(size=limit)
    y = 0.5 * x + rng.normal(size=limit)
    assert inference.wild_bootstrap_pvalues([(x, y)])[1:] == ("exact", 2**limit)
    x13, y13 = np.append(x, 0.3), np.append(y, -0.2)
    default = inference.wild_bootstrap_pvalues([(x13, y13)], draws=300)
    assert default[1:] == ("monte carlo", 300)
    assert default[0][0] == inference.wild_bootstrap_pvalues([(x13, y13)], seed=20240529, draws=300)[0][0]
    assert {inference.wild_bootstrap_pvalues([(x13, y13)], seed=s, draws=300)[0][0] for s in (1, 2)} != {
        default[0][0]
    }


def test_wild_bootstrap_counts_every_draw():
    """A slope of exactly zero is reached by every bootstrap sample: p = (draws + 1) / (draws + 1)."""
    n = inference.WILD_EXACT_LIMIT + 1
    x = np.arange(n, dtype=float)
    y = np.abs(x - x.mean())  # symmetric about the middle city: the least-squares slope is 0
    for draws in (1, 5, 40):
        p, method, count = inference.wild_bootstrap_p(x, y, draws=draws)
        assert (method, count) == ("monte carlo", draws)
        assert p == 1.0


def test_leave_one_out_without_the_lone_city_has_no_slope():
    """Nine cities share one x value: dropping the tenth leaves no spread, so no slope (NaN),
    even where round-off leaves a residue of 2e-13 in the left-out Sxx; no warning noise."""
    import warnings

    y = np.arange(10.0) ** 1.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = inference.leave_one_out_closed_form(np.array([0.1] * 9 + [0.7]), y)
        x = np.array([41.0] * 9 + [2.4])
        slopes, p = inference.leave_one_out_closed_form(x, y)
    assert np.isnan(exact[0][-1]) and np.isnan(exact[1][-1])  # Sxx without it is exactly 0
    assert np.isnan(slopes[-1]) and np.isnan(p[-1])
    # the other refits keep the lone city, so they have a slope: compare with refits
    for i in range(9):
        keep = np.arange(10) != i
        assert slopes[i] == pytest.approx(closed_form_ols(x[keep], y[keep])["slope"], rel=1e-9)



def test_dfbetas_at_the_edges_of_where_it_is_defined():
    """Four cities are enough (one residual df without a row); a row of leverage exactly 1
    has none; a line fitted exactly at any scale has none; a line fitted to within 1e-8
    still has one, and it agrees with refits."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        four = inference.dfbetas(np.array([0.0, 1.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 5.0]))
        alone4 = inference.dfbetas(np.array([0.0, 0, 0, 1]), np.array([1.0, 2, 4, 3]))
        alone5 = inference.dfbetas(np.array([0.0, 0, 0, 0, 1]), np.array([1.0, 2, 4, 3, 7]))
        big_line = inference.dfbetas(np.arange(6.0), 1000 * (0.3 * np.arange(6.0) + 0.1))
        x = np.arange(8.0)
        wobble = 2 * x + 1 + 1e-8 * np.array([1, -2, 1, 3, -1, 0, -2, 1])
        near = inference.dfbetas(x, wobble)
    np.testing.assert_allclose(four, dfbetas_by_refits([0.0, 1, 3, 4], [1.0, 3, 2, 5]), rtol=1e-9)
    assert np.isnan(alone4[-1]) and np.isnan(alone5[-1])
    assert np.isfinite(alone5[:-1]).all()
    assert np.isnan(big_line).all()
    assert np.isfinite(near).all()
    np.testing.assert_allclose(near, dfbetas_by_refits(list(x), list(wobble)), rtol=1e-4, atol=1e-5)


def _fisher_power_by_hand(rho, n, alpha):
    """Fisher's z approximation written out: the critical r from Student's t, then two normal tails."""
    from statistics import NormalDist

    t = float(__import__("scipy.stats", fromlist=["t"]).t.ppf(1 - alpha / 2, n - 2))
    critical = t / math.sqrt(n - 2 + t * t)
    half_width = math.atanh(critical) * math.sqrt(n - 3)
    centre = math.atanh(rho) * math.sqrt(n - 3)
    normal = NormalDist()
    return (1 - normal.cdf(half_width - centre)) + normal.cdf(-half_width - centre)


@pytest.mark.parametrize(("rho", "alpha"), [(0.05, 0.05), (0.1, 0.05 / 8), (-0.08, 0.01)])
def test_power_above_the_exact_limit_is_fishers_approximation(rho, alpha):
    n = inference.EXACT_POWER_LIMIT + 499
    assert inference.correlation_power(rho, n, alpha) == pytest.approx(
        _fisher_power_by_hand(rho, n, alpha), rel=1e-9
    )


def test_power_at_the_exact_limit_is_exact_and_has_the_right_size():
    """At the limit itself the integral is used (it differs from Fisher's z in the fifth decimal
    or so), and with no correlation the power is the test's size, alpha, to many decimals."""
    n = inference.EXACT_POWER_LIMIT
    assert abs(inference.correlation_power(0.1, n) - _fisher_power_by_hand(0.1, n, 0.05)) > 1e-7
    for size in (10, 40, n):
        for alpha in (0.05, 0.05 / 8):
            assert inference.correlation_power(0.0, size, alpha) == pytest.approx(alpha, abs=1e-10)


def test_no_power_when_the_critical_r_rounds_to_one():
    assert inference.correlation_power(0.5, 3, 1e-20) == 0.0


def test_subgroup_counts_are_integers_counted_by_brute_force(rng):
    """The subgroup's counts are whole numbers (int64), each equal to a count over every ordering."""
    n, seed = 12, 3
    x = rng.normal(size=(n, 2))
    y = rng.normal(size=(1, n))
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=1, keepdims=True)
    observed = np.abs(yc @ xc)  # (1, 2): the statistic sum x*y of the data's own order
    threshold = observed - 1e-9
    hits, hits_max, total = inference.subgroup_permutation_hits(xc, yc, threshold, seed=seed)
    assert hits.dtype == np.int64 and hits_max.dtype == np.int64
    order = np.random.default_rng(seed).permutation(n)
    a = n // 2
    first, second = order[:a], order[a:]
    brute = np.zeros((1, 2), dtype=int)
    brute_max = np.zeros((1, 2), dtype=int)
    for s1 in range(len(first)):
        for s2 in range(len(second)):
            permuted = yc[0].copy()
            permuted[first] = yc[0][np.roll(first, -s1)]
            permuted[second] = yc[0][np.roll(second, -s2)]
            stats = np.abs(permuted @ xc)
            brute[0] += stats >= threshold[0]
            brute_max[0] += stats.max() >= threshold[0]
    assert total == len(first) * len(second)
    assert hits.tolist() == brute.tolist()
    assert hits_max.tolist() == brute_max.tolist()


def test_permutation_pvalues_passes_its_defaults_and_limit_on(rng):
    """Without a seed, the primary test's own seed; ``exact_limit`` decides exact or not."""
    x = rng.normal(size=(12, 2))
    y = 0.3 * x[:, 0] + rng.normal(size=12)
    p, method, count = inference.permutation_pvalues(x, y, n_resamples=2_000)
    explicit = inference.permutation_test(x, y, seed=20240529, n_resamples=2_000)
    assert (method, count) == (explicit.method, explicit.count) and method != "exact"
    np.testing.assert_array_equal(p, explicit.p)
    other = inference.permutation_test(x, y, seed=20240530, n_resamples=2_000)
    assert not np.array_equal(other.p, p)  # the seed matters, so the default is the one above
    # eight cities: exact by default (8! orderings), not when the limit is below eight
    p8, method8, count8 = inference.permutation_pvalues(x[:8], y[:8])
    assert (method8, count8) == ("exact", math.factorial(8))
    _p, method_low, _count = inference.permutation_pvalues(x[:8], y[:8], exact_limit=7, n_resamples=500)
    assert method_low != "exact"


@pytest.mark.parametrize(("rho", "n"), [(0.99, 25), (0.99, 67), (0.9, 53)])
def test_power_is_a_probability_even_where_the_integrals_overshoot(rho, n):
    """The two tails' integrals can add up to a hair above 1 (1 + 1e-13): the power is capped at 1."""
    from scipy.integrate import quad

    cut = math.atanh(inference.critical_r(n, 0.05))
    mode = math.atanh(rho)
    pieces = [(cut, mode), (mode, np.inf), (-np.inf, -cut)]
    total = sum(quad(inference._z_density, a, b, args=(rho, n), epsabs=1e-13, limit=200)[0] for a, b in pieces)
    assert total > 1.0  # the case the cap is for
    assert inference.correlation_power(rho, n) == 1.0


def test_exact_power_agrees_with_the_density_of_r_integrated_by_simpson():
    """Power at rho = 0.5 with 50 cities: the textbook density of r (Hotelling's hypergeometric
    form), integrated over |r| > r_crit by Simpson's rule on a fine grid, in r rather than z."""
    from scipy.special import gammaln, hyp2f1

    n, rho = 50, 0.5
    r_crit = inference.critical_r(n, 0.05)

    def density(r):
        log_c = (
            math.log(n - 2) + gammaln(n - 1) - 0.5 * math.log(2 * math.pi) - gammaln(n - 0.5)
            + (n - 1) / 2 * math.log(1 - rho**2)
        )
        return (
            np.exp(log_c + (n - 4) / 2 * np.log1p(-r * r) - (n - 1.5) * np.log1p(-rho * r))
            * hyp2f1(0.5, 0.5, n - 0.5, (1 + rho * r) / 2)
        )

    def simpson(a, b, points=400_001):
        r = np.linspace(a, b, points)
        w = np.ones(points)
        w[1:-1:2], w[2:-1:2] = 4, 2
        return (b - a) / (points - 1) / 3 * float(np.sum(w * density(r)))

    whole = simpson(-1 + 1e-12, 1 - 1e-12)
    assert whole == pytest.approx(1.0, abs=1e-10)  # the density written here is a density
    expected = simpson(r_crit, 1 - 1e-12) + simpson(-1 + 1e-12, -r_crit)
    assert inference.correlation_power(rho, n) == pytest.approx(expected, abs=1e-9)


def test_checks_adds_exactly_its_columns_and_uses_the_primary_seed_by_default(rng):
    """The checks add the contract's columns, the method and the adjustment, nothing else; without
    a seed they sample with the primary test's (twelve cities: orderings are sampled)."""
    frame = pd.DataFrame({"city": [f"C{i}" for i in range(12)], "x": rng.normal(size=12)})
    frame["y"] = 0.5 * frame.x + rng.normal(size=12)
    fits = stats.simple_regressions(frame, ["y"], ["x"])
    checked = inference.checks(frame, fits, n_resamples=2_000)
    added = set(contract.CHECK_COLUMNS) | {"permutation_method", "adjustment"}
    assert set(checked.columns) == set(fits.columns) | added
    assert len(checked.columns) == len(set(checked.columns))
    assert checked.permutation_method.tolist() == ["monte carlo"]
    explicit = inference.checks(frame, fits, seed=20240529, n_resamples=2_000)
    pd.testing.assert_frame_equal(checked, explicit)
    other = inference.checks(frame, fits, seed=20240530, n_resamples=2_000)
    assert other.p_permutation[0] != checked.p_permutation[0]
    # every p-value column is a float column, and the wild bootstrap gets the seed it is given
    p_columns = [c for c in checked.columns if c.startswith("p_") or c.endswith("_p_exact")]
    assert all(checked[c].dtype == np.float64 for c in p_columns), checked.dtypes
    # sixteen cities: 2**16 sign vectors, more than the bootstrap draws, so it samples them
    big = pd.DataFrame({"city": [f"C{i}" for i in range(16)], "x": rng.normal(size=16)})
    big["y"] = 0.2 * big.x + rng.normal(size=16)
    big_fits = stats.simple_regressions(big, ["y"], ["x"])
    seeded = inference.checks(big, big_fits, seed=11, n_resamples=500)
    pairs = [(big.x.to_numpy(), big.y.to_numpy())]
    alone, method, _ = inference.wild_bootstrap_pvalues(pairs, seed=11)
    assert seeded.p_wild_bootstrap[0] == alone[0]
    assert alone[0] != inference.wild_bootstrap_pvalues(pairs, seed=12)[0][0], method


# ------------------------------------------------------------------ minP and the family's threshold (issue 31)
def _family_scores(x: np.ndarray, y: np.ndarray, orderings) -> np.ndarray:
    """|r| of every (outcome, predictor) statistic under each ordering, by np.corrcoef, outcome-major."""
    return np.array([
        [abs(np.corrcoef(x[:, j], y[list(o), k])[0, 1]) for k in range(y.shape[1]) for j in range(x.shape[1])]
        for o in orderings
    ])


def _minp_by_brute_force(scores: np.ndarray, observed_row: np.ndarray) -> np.ndarray:
    """Westfall-Young minP from the definition: every ordering's own p-values, their minimum, its share."""
    counts = np.array([[np.sum(scores[:, k] >= s - 1e-9) for k, s in enumerate(row)] for row in scores])
    smallest = counts.min(axis=1)
    own = np.array([np.sum(scores[:, k] >= s - 1e-9) for k, s in enumerate(observed_row)])
    return np.array([np.mean(smallest <= c) for c in own])


def test_minp_exact_by_brute_force(rng):
    import itertools

    x = rng.normal(size=(6, 3))
    x[0, 0] = 9.0  # one extreme figure: heavier tails for that input, where maxT and minP part
    y = rng.normal(size=(6, 2))
    found = inference.permutation_test(x, y, minp=True)
    perms = list(itertools.permutations(range(6)))
    scores = _family_scores(x, y, perms)
    expected = _minp_by_brute_force(scores, scores[perms.index(tuple(range(6)))])
    assert found.p_minp.ravel() == pytest.approx(expected, abs=1e-12)
    # minP never falls below the unadjusted p
    assert (found.p_minp >= found.p - 1e-12).all()


@pytest.mark.parametrize(("budget", "family"), [(10**9, 3), (1_000, 3), (10**9, 8), (4_000, 11)])
def test_minp_in_blocks_of_orderings_as_by_its_definition(rng, monkeypatch, budget, family):
    """minP counted a block of orderings at a time (a few rows when memory is short) as from its definition,
    for families that fill part of a word of eight statistics, one word, or more than one."""
    monkeypatch.setattr(inference, "PERMUTATION_BYTES", budget)
    # coarse values: ties; 521 rows leave a short last block (104 blocks of 5 with 1,000 bytes and 3 statistics)
    scores = np.round(rng.random((521, family)), 2)
    counts = np.array([np.sum(scores[:, k] >= scores[7, k] - 1e-9) for k in range(family)])
    expected = _minp_by_brute_force(scores, scores[7])
    assert inference.minp_adjusted(scores, counts) == pytest.approx(expected, abs=1e-12)
    # a statistic that every ordering reaches has an adjusted p of 1, beside ones that stay below
    found = inference.minp_adjusted(scores, np.array([521, 3, 40, *counts[3:]]))
    assert found[0] == 1.0 and found[1] < found[2] < 1.0


def test_minp_monte_carlo_counts_the_observed_ordering_among_the_draws(rng):
    x = rng.normal(size=(14, 2))
    y = rng.normal(size=(14, 2)) + 0.8 * x[:, [0]]
    found = inference.permutation_test(x, y, minp=True, seed=4, n_resamples=300)
    method, total, blocks = inference.orderings(14, seed=4, n_resamples=300)
    orderings = [tuple(row) for block in blocks for row in block] + [tuple(range(14))]
    assert (method, total) == ("monte carlo", 300)
    scores = _family_scores(x, y, orderings)
    assert found.p_minp.ravel() == pytest.approx(_minp_by_brute_force(scores, scores[-1]), abs=1e-12)
    # without minp, nothing is kept and nothing is computed
    assert inference.permutation_test(x, y, seed=4, n_resamples=300).p_minp is None


def test_the_family_threshold_by_brute_force(rng):
    """maxT's p falls below alpha exactly when |r| exceeds critical_maxt."""
    import itertools

    x = rng.normal(size=(6, 2))
    y = rng.normal(size=(6, 2))
    perms = list(itertools.permutations(range(6)))
    maxima = _family_scores(x, y, perms).max(axis=1)
    for alpha in (0.05, 0.1, 0.2):
        found = inference.permutation_test(x, y, alpha=alpha)
        above = [v for v in np.unique(maxima) if np.mean(maxima >= v - 1e-12) < alpha]
        # the smallest |r| that maxT calls significant, and the largest it does not
        assert found.critical_maxt == pytest.approx(max(v for v in np.unique(maxima) if v < min(above)), abs=1e-12)


def test_the_family_threshold_of_the_article(data, fits):
    checked = checks_of(data, fits)
    assert checked.critical_abs_r_maxt.nunique() == 1
    critical = float(checked.critical_abs_r_maxt.iloc[0])
    events = checked[(checked.predictor == "community_event_participants")
                     & (checked.outcome == "employment_rate_increase_pct")].iloc[0]
    # r = 0.7827 against a threshold of 0.7850: a knife-edge, and maxT's p just above 0.05
    assert 0.784 < critical < 0.786 and abs(events.r) < critical and events.p_westfall_young >= 0.05
    assert 0.041 < events.p_westfall_young_minp < 0.043 and 0.046 < events.p_holm < 0.048
    assert set(checked.adjustment) == {"westfall-young"} and set(checked.permutation_method) == {"exact"}


def test_minp_and_the_threshold_are_empty_without_a_joint_permutation(rng):
    frame = pd.DataFrame({"y1": rng.normal(size=12), "y2": rng.normal(size=12), "x": rng.normal(size=12)})
    frame.loc[3, "y2"] = np.nan  # the fits rest on different cities: Holm, no joint orderings
    fits = stats.simple_regressions(frame, ["y1", "y2"], ["x"])
    checked = inference.checks(frame, fits, n_resamples=200)
    assert set(checked.adjustment) == {"holm"}
    assert checked.p_westfall_young_minp.isna().all() and checked.critical_abs_r_maxt.isna().all()


def test_random_subgroup_gives_no_minp_and_no_threshold(monkeypatch, rng):
    monkeypatch.setattr(inference, "MONTE_CARLO_VALUES", 10)
    x, y = rng.normal(size=60), rng.normal(size=60)
    found = inference.permutation_test(x, y, minp=True, n_resamples=100)
    assert found.method == "random-subgroup"
    assert np.isnan(found.p_minp).all() and math.isnan(found.critical_maxt)


def test_influence_flags_are_recomputed_from_a_table_read_back(data, fits):
    """Leverage above 4/n, Cook's distance above 4/n, |DFBETAS| above 2/sqrt(n), n counted per fit."""
    sizes = {"y": 4, "z": 9}
    table = pd.DataFrame({
        "outcome": ["y", "z", "y", "z", "y", "z", "y"] + ["z"] * 6,
        "predictor": "x",
        "city": [f"c{i}" for i in range(13)],
        "leverage": [0.99, 0.44, 1.0, 0.45, 1.01, 0.2, 0.5] + [0.1] * 6,
        "cooks_distance": [1.0, 0.45, 1.01, 0.44, 0.2, 0.1, 0.99] + [0.1] * 6,
        "dfbetas": [-1.01, -0.67, 1.0, 0.66, 0.3, 0.7, -0.99] + [0.0] * 6,
    })
    flagged = inference.influence_flags(table)
    for row in flagged.itertuples():
        n = sizes[row.outcome]
        assert row.high_leverage == (row.leverage > 2 * 2 / n), row
        assert row.influential == (row.cooks_distance > 4 / n), row
        assert row.large_dfbetas == (abs(row.dfbetas) > 2 / math.sqrt(n)), row
    assert flagged[["high_leverage", "influential", "large_dfbetas"]].sum().tolist() == [2, 2, 3]
    # the same flags as the influence table written by the run, from its numbers alone
    computed = inference.influence(data, fits)
    again = inference.influence_flags(computed[inference.INFLUENCE_COLUMNS])
    pd.testing.assert_frame_equal(again, computed)


def test_a_refit_left_with_every_x_equal_has_no_slope_at_any_scale(rng):
    """Six cities with the same large figure and one with none: without that one, x has no spread.

    Rounding leaves the closed form's Sxx without it at 1e-7 instead of 0; the flatness
    bound is relative to the whole Sxx, so the refit is still said to have no slope.
    """
    x = np.array([30_000.0] * 6 + [0.0])
    y = rng.normal(size=7)
    slopes, p = inference.leave_one_out_closed_form(x, y)
    assert math.isnan(slopes[-1]) and math.isnan(p[-1])
    for i in range(6):  # the other refits keep a spread, and their slope is the two-group difference
        keep = np.arange(7) != i
        expected = (y[keep][-1] - y[keep][:-1].mean()) / (0.0 - 30_000.0)
        assert slopes[i] == pytest.approx(expected, rel=1e-9)


def test_without_the_family_each_statistic_keeps_its_own_p_and_nothing_else(rng):
    """family=False (the rank test, the tipping points' screen): the same p, no maxT, and no minP asked of it."""
    x = rng.normal(size=(7, 3))
    y = rng.normal(size=(7, 2)) + 0.9 * x[:, [1]]
    whole = inference.permutation_test(x, y)
    alone = inference.permutation_test(x, y, family=False)
    np.testing.assert_array_equal(alone.p, whole.p)
    assert np.isnan(alone.p_maxt).all() and math.isnan(alone.critical_maxt) and alone.p_minp is None
    assert not np.isnan(whole.p_maxt).any() and whole.critical_maxt > 0
    with pytest.raises(ValueError, match="minP adjusts for the family"):
        inference.permutation_test(x, y, family=False, minp=True)
    with pytest.raises(ValueError, match="needs family=False"):
        inference.permutation_test(x, y, ties=False)


def test_without_ties_the_p_is_a_lower_bound_that_leaves_out_only_the_ties():
    """ties=False counts the orderings whose |r| beats the observed one, not those that equal it."""
    import itertools

    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0])
    scores = [abs(np.corrcoef(x, y[list(o)])[0, 1]) for o in itertools.permutations(range(6))]
    observed = abs(np.corrcoef(x, y)[0, 1])
    beat = sum(s > observed + 1e-9 for s in scores) / 720
    reach = sum(s >= observed - 1e-9 for s in scores) / 720
    assert beat < reach  # this pair has orderings that tie with it
    assert inference.permutation_test(x, y, family=False, ties=False).p[0] == pytest.approx(beat, abs=1e-15)
    assert inference.permutation_test(x, y, family=False).p[0] == pytest.approx(reach, abs=1e-15)
