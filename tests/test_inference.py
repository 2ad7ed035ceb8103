"""Each check against an independent computation: sandwich formula, brute force, by hand."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import inference, stats
from helpers.cleaning import load_clean_data
from helpers.errors import ParameterError

from .test_stats import INPUTS, OUTCOMES, average_ranks, closed_form_ols, column, pearson


@pytest.fixture(scope="module")
def data():
    return load_clean_data()


@pytest.fixture(scope="module")
def fits(data):
    return stats.simple_regressions(data, OUTCOMES, INPUTS)


def test_hc3_matches_sandwich_formula(data, fits):
    for fit in fits.itertuples(index=False):
        x = np.array(column(fit.predictor))
        y = np.array(column(fit.outcome))
        X = np.column_stack([np.ones_like(x), x])
        bread = np.linalg.inv(X.T @ X)
        beta = bread @ X.T @ y
        e = y - X @ beta
        h = np.einsum("ij,jk,ik->i", X, bread, X)
        meat = X.T @ np.diag(e**2 / (1 - h) ** 2) @ X
        se = math.sqrt((bread @ meat @ bread)[1, 1])
        p = 2 * sps.t.sf(abs(beta[1] / se), len(x) - 2)
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
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    np.testing.assert_allclose(inference.holm(p), adjusted, rtol=1e-12)


def test_spearman_by_ranks_and_t_formula(data):
    for outcome in OUTCOMES:
        for predictor in INPUTS:
            rho = pearson(average_ranks(column(predictor)), average_ranks(column(outcome)))
            t = rho * math.sqrt(8 / (1 - rho**2))
            p = 2 * sps.t.sf(abs(t), 8)
            got = inference.spearman(data, outcome, predictor)
            assert got[0] == pytest.approx(rho, abs=1e-12)
            assert got[1] == pytest.approx(p, rel=1e-9)


def test_checks_table_holds_every_column(data, fits):
    checked = inference.checks(data, fits)
    for column_name in inference.CHECK_COLUMNS:
        assert checked[column_name].notna().all()
    np.testing.assert_allclose(checked.p_holm, inference.holm(fits.p_value))
    assert (checked.permutation_method == "exact").all()
    assert (checked.p_holm >= checked.p_value).all()


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
    assert math.isclose(sum(h), 2.0)  # trace of the hat matrix = number of coefficients


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


def test_loo_verdicts_name_the_decisive_cities():
    fits = pd.DataFrame(
        {
            "outcome": ["y", "y"],
            "predictor": ["a", "b"],
            "slope": [1.0, 1.0],
            "p_value": [0.01, 0.5],
        }
    )
    loo = pd.DataFrame(
        {
            "outcome": ["y"] * 4,
            "predictor": ["a", "a", "b", "b"],
            "dropped_city": ["P", "Q", "P", "Q"],
            "slope": [0.9, 1.1, 0.5, -0.2],
            "p_value": [0.02, 0.20, 0.60, 0.03],
        }
    )
    verdicts = inference.loo_verdicts(fits, loo)
    assert verdicts.survives_all_drops.tolist() == [False, False]
    assert verdicts.decisive_cities.tolist() == [["Q"], ["Q"]]


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
