"""Every statistic checked against an independent computation written here.

Closed forms in plain Python (sums and square roots), brute-force ranks, and
NumPy normal equations; never the statsmodels or pandas call under test.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import contract, stats
from helpers.cleaning import load_clean_data
from helpers.errors import ParameterError

from .conftest import ARTICLE_TABLE, CANONICAL, shared_scope

OUTCOMES = ["employment_rate_increase_pct", "health_service_access_pct"]
INPUTS = [
    "training_participants",
    "new_businesses",
    "community_event_participants",
    "psychological_support_people",
]


def column(name):
    return [float(row[CANONICAL.index(name)]) for row in ARTICLE_TABLE]


def quantile7(values, q):
    """Hyndman-Fan type 7, by hand: h = (n - 1) q, interpolate between order statistics."""
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def average_ranks(values):
    """Ranks 1..n by brute force, ties sharing the mean of the ranks they span."""
    return [
        sum(1 for w in values if w < v) + (sum(1 for w in values if w == v) + 1) / 2 for v in values
    ]


def closed_form_ols(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    residuals = [b - intercept - slope * a for a, b in zip(x, y, strict=True)]
    sse = sum(r * r for r in residuals)
    sst = sum((b - my) ** 2 for b in y)
    se = math.sqrt(sse / (n - 2) / sxx)
    t = slope / se
    p = 2 * sps.t.sf(abs(t), n - 2)
    crit = sps.t.ppf(0.975, n - 2)
    return {
        "n": n,
        "intercept": intercept,
        "slope": slope,
        "slope_se": se,
        "t_value": t,
        "p_value": p,
        "ci_low": slope - crit * se,
        "ci_high": slope + crit * se,
        "r_squared": 1 - sse / sst,
    }


@pytest.fixture(scope=shared_scope)
def data():
    return load_clean_data()


def test_describe_matches_hand_computation(data):
    table = stats.describe(data, OUTCOMES + INPUTS)
    assert list(table.columns) == [
        "variable",
        "n",
        "mean",
        "sd",
        "min",
        "q1",
        "median",
        "q3",
        "max",
    ]
    assert table.variable.tolist() == OUTCOMES + INPUTS
    for row in table.itertuples(index=False):
        xs = column(row.variable)
        n = len(xs)
        mean = sum(xs) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in xs) / (n - 1))
        assert row.n == n == 10
        assert row.mean == pytest.approx(mean, rel=1e-12)
        assert row.sd == pytest.approx(sd, rel=1e-12)
        assert (row.min, row.max) == (min(xs), max(xs))
        assert row.q1 == pytest.approx(quantile7(xs, 0.25), rel=1e-12)
        assert row.median == pytest.approx(quantile7(xs, 0.5), rel=1e-12)
        assert row.q3 == pytest.approx(quantile7(xs, 0.75), rel=1e-12)


def test_known_values_from_the_article(data):
    table = stats.describe(data, ["community_event_participants"]).iloc[0]
    assert table["mean"] == 3530  # (1000+10000+300+2000+5000+6000+1500+4000+2500+3000) / 10
    assert table["median"] == 2750  # halfway between 2500 and 3000


def test_correlations_match_closed_forms(data):
    variables = OUTCOMES + INPUTS
    p = stats.correlations(data, variables, "pearson")
    s = stats.correlations(data, variables, "spearman")
    for a in variables:
        for b in variables:
            assert p.loc[a, b] == pytest.approx(pearson(column(a), column(b)), abs=1e-12)
            ranks = pearson(average_ranks(column(a)), average_ranks(column(b)))
            assert s.loc[a, b] == pytest.approx(ranks, abs=1e-12)
    long = stats.correlations_long(data, variables)
    assert len(long) == 15  # 6 choose 2
    assert list(long.columns) == contract.CORRELATION_COLUMNS
    assert list(stats.correlations_long(data, variables[:1]).columns) == contract.CORRELATION_COLUMNS  # no pair
    row = long[
        (long.variable_a == OUTCOMES[0]) & (long.variable_b == "community_event_participants")
    ].iloc[0]
    assert row.pearson_r == pytest.approx(p.loc[OUTCOMES[0], "community_event_participants"])
    # Fisher's z interval by hand: tanh(atanh(r) -/+ 1.96 / sqrt(n - 3))
    z = 0.5 * math.log((1 + row.pearson_r) / (1 - row.pearson_r))
    half = 1.959963984540054 / math.sqrt(7)
    assert row.pearson_ci_low == pytest.approx(math.tanh(z - half), abs=1e-12)
    assert row.pearson_ci_high == pytest.approx(math.tanh(z + half), abs=1e-12)


def test_simple_regressions_match_closed_form(data):
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    assert list(fits.columns) == stats.SIMPLE_REGRESSION_COLUMNS
    assert len(fits) == 8
    for row in fits.itertuples(index=False):
        expected = closed_form_ols(column(row.predictor), column(row.outcome))
        for key, value in expected.items():
            assert getattr(row, key) == pytest.approx(value, rel=1e-9, abs=1e-12), (
                row.outcome,
                row.predictor,
                key,
            )


def test_r_squared_is_squared_pearson_in_simple_regression(data):
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    for row in fits.itertuples(index=False):
        assert row.r_squared == pytest.approx(
            pearson(column(row.predictor), column(row.outcome)) ** 2, rel=1e-10
        )


def test_simple_ols_on_synthetic_line_with_noise(rng):
    x = rng.uniform(0, 100, 40)
    y = 3.0 - 0.5 * x + rng.normal(0, 2, 40)
    frame = pd.DataFrame({"x": x, "y": y})
    fit = stats.simple_ols(frame, "y", "x")
    expected = closed_form_ols(list(x), list(y))
    assert fit.slope == pytest.approx(expected["slope"], rel=1e-10)
    assert fit.p_value == pytest.approx(expected["p_value"], rel=1e-8, abs=1e-300)
    assert fit.ci_low < -0.5 < fit.ci_high


def test_multiple_regression_matches_normal_equations(data):
    table = stats.multiple_regression(data, OUTCOMES[0], INPUTS)
    X = np.column_stack([np.ones(10)] + [column(v) for v in INPUTS])
    y = np.array(column(OUTCOMES[0]))
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    residuals = y - X @ beta
    sigma2 = residuals @ residuals / (10 - 5)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    assert table.term.tolist() == ["intercept", *INPUTS]
    np.testing.assert_allclose(table.estimate, beta, rtol=1e-8)
    np.testing.assert_allclose(table.se, se, rtol=1e-8)
    r2 = 1 - residuals @ residuals / ((y - y.mean()) @ (y - y.mean()))
    assert table.r_squared.iloc[0] == pytest.approx(r2, rel=1e-10)
    assert table.df_resid.iloc[0] == 5


@pytest.mark.parametrize(
    ("outcomes", "predictors", "message"),
    [
        (
            ["employment_rate_increase_pct"],
            ["employment_rate_increase_pct"],
            "both as outcome and as predictor",
        ),
        (["employment_rate_increase_pct"], ["nope"], "not in the data"),
        ([], ["new_businesses"], "at least one"),
    ],
)
def test_bad_fit_requests(data, outcomes, predictors, message):
    with pytest.raises(ParameterError, match=message):
        stats.simple_regressions(data, outcomes, predictors)


def test_degenerate_data_refused():
    two = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    with pytest.raises(ParameterError, match="at least 3 complete rows"):
        stats.simple_ols(two, "y", "x")
    flat = pd.DataFrame({"x": [5.0] * 5, "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(ParameterError, match="single value"):
        stats.simple_ols(flat, "y", "x")


# ------------------------------------------------------------------ what mutation testing asked for
def test_messages_name_what_is_missing_and_what_may_be_chosen(data):
    small = pd.DataFrame({"city": ["a", "b", "c"], "x": [1.0, 2.0, 3.0], "y": [2.0, 1.0, 5.0]})
    with pytest.raises(ParameterError) as info:
        stats.describe(small, ["x", "z"])
    assert str(info.value) == "variables ['z'] not in the data; must be among: x, y"
    with pytest.raises(ParameterError) as info:
        stats.correlations(small, ["q"], "pearson")
    assert str(info.value) == "variables ['q'] not in the data; must be among: x, y"
    with pytest.raises(ParameterError) as info:
        stats.correlations(small, ["x", "y"], "kendall")
    assert str(info.value) == "method must be one of: pearson, spearman (got 'kendall')"
    with pytest.raises(ParameterError) as info:
        stats.simple_ols(small, "w", "x")
    assert str(info.value) == "outcome ['w'] not in the data; must be among: x, y"
    with pytest.raises(ParameterError) as info:
        stats.simple_ols(small, "y", "w")
    assert str(info.value) == "predictors ['w'] not in the data; must be among: x, y"
    with pytest.raises(ParameterError) as info:
        stats.multiple_regression(small, "y", ["y"])
    assert str(info.value) == "outcome 'y' cannot also be one of its own predictors"
    with pytest.raises(ParameterError) as info:
        stats.simple_regressions(small, [], ["x"])
    assert str(info.value) == "outcomes and predictors must each name at least one variable"


def test_the_smallest_data_a_line_can_be_fitted_to():
    three = pd.DataFrame({"x": [1.0, 2.0, 4.0], "y": [1.0, 3.0, 2.0]})
    assert stats.simple_ols(three, "y", "x").n == 3  # exactly the rows a line with a test needs
    two_values = pd.DataFrame({"x": [1.0, 1.0, 2.0, 2.0], "y": [1.0, 3.0, 2.0, 5.0]})
    assert stats.simple_ols(two_values, "y", "x").slope == pytest.approx(1.5)  # two values suffice
    with pytest.raises(ParameterError, match=r"predictor\(s\) \['x'\] take a single value"):
        stats.simple_ols(pd.DataFrame({"x": [2.0] * 4, "y": [1.0, 2.0, 3.0, 4.0]}), "y", "x")


def test_describe_of_no_variable_keeps_the_columns():
    table = stats.describe(pd.DataFrame({"x": [1, 2]}), [])
    assert table.empty and list(table.columns) == stats.DESCRIPTIVE_COLUMNS
    whole = stats.describe(pd.DataFrame({"x": [1, 2, 4]}), ["x"])
    assert whole["min"].dtype == float and whole.q1.iloc[0] == pytest.approx(1.5)


def test_correlations_in_long_form_keep_n_and_both_coefficients(data):
    long = stats.correlations_long(data, OUTCOMES + INPUTS)
    assert list(long.columns) == [
        "variable_a",
        "variable_b",
        "n",
        "pearson_r",
        "pearson_ci_low",
        "pearson_ci_high",
        "spearman_rho",
    ]
    assert (long.n == 10).all()
    for row in long.itertuples(index=False):
        ranks = pearson(
            average_ranks(column(row.variable_a)), average_ranks(column(row.variable_b))
        )
        assert row.spearman_rho == pytest.approx(ranks, abs=1e-12)


def test_fisher_interval_at_its_edges():
    assert stats.fisher_interval(0.5, 3) == (-1.0, 1.0)  # no degrees of freedom left
    low, high = stats.fisher_interval(0.5, 4)  # one left: wide, but an interval
    assert -1 < low < 0.5 < high < 1
    assert stats.fisher_interval(float("nan"), 10) == (-1.0, 1.0)
    assert stats.fisher_interval(1.0, 10) == (1.0, 1.0)  # a perfect line: atanh would be infinite
    assert stats.fisher_interval(-1.0, 10) == (-1.0, -1.0)
    half = 1.959963984540054 / math.sqrt(8000 - 3)
    z = 0.5 * math.log(1.3 / 0.7)
    assert stats.fisher_interval(0.3, 8000) == pytest.approx(
        (math.tanh(z - half), math.tanh(z + half))
    )


def test_multiple_regression_every_column_by_normal_equations(data):
    from scipy import stats as scipy_stats

    table = stats.multiple_regression(data, OUTCOMES[0], INPUTS)
    assert list(table.columns) == stats.MULTIPLE_REGRESSION_COLUMNS
    X = np.column_stack([np.ones(10)] + [column(v) for v in INPUTS])
    y = np.array(column(OUTCOMES[0]))
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    residuals = y - X @ beta
    sigma2 = residuals @ residuals / 5
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    t = beta / se
    crit = scipy_stats.t.ppf(0.975, 5)
    r2 = 1 - residuals @ residuals / ((y - y.mean()) @ (y - y.mean()))
    assert (table.outcome == OUTCOMES[0]).all() and (table.n == 10).all()
    np.testing.assert_allclose(table.t_value, t, rtol=1e-8)
    np.testing.assert_allclose(table.p_value, 2 * scipy_stats.t.sf(np.abs(t), 5), rtol=1e-7)
    np.testing.assert_allclose(table.ci_low, beta - crit * se, rtol=1e-8)
    np.testing.assert_allclose(table.ci_high, beta + crit * se, rtol=1e-8)
    assert table.adj_r_squared.iloc[0] == pytest.approx(1 - (1 - r2) * 9 / 5, rel=1e-10)
    both = stats.multiple_regressions(data, OUTCOMES, INPUTS)
    assert (
        both.index.tolist() == list(range(10))
        and both.outcome.tolist() == [OUTCOMES[0]] * 5 + [OUTCOMES[1]] * 5
    )
    np.testing.assert_allclose(both.estimate.iloc[:5], beta, rtol=1e-8)
