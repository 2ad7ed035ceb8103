"""The verdict rules calibrated by simulation: every rule recomputed here on the simulated data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from helpers import calibration, contract, findings
from helpers.cleaning import load_clean_data

from .conftest import shared_scope


def small_design(seed: int = 3, n: int = 7, decimals: int = 3) -> pd.DataFrame:
    """Two outcomes and two inputs on a few cities, with the figures' decimals as given."""
    rng = np.random.default_rng(seed)
    x1 = rng.uniform(0, 10, n).round(decimals)
    x2 = rng.uniform(0, 5, n).round(decimals)
    return pd.DataFrame({
        "y1": (2 + 0.8 * x1 + rng.normal(0, 1.5, n)).round(decimals),
        "y2": (5 + rng.normal(0, 1, n)).round(decimals),
        "x1": x1, "x2": x2,
    })


def test_slope_fits_against_statsmodels_and_refits():
    data = small_design(n=8)
    x = data.x1.to_numpy()
    ys = np.vstack([data.y1.to_numpy(), data.y2.to_numpy(), data.y1.to_numpy()[::-1]])
    fits = calibration.slope_fits(x, ys)
    for k, y in enumerate(ys):
        model = OLS(y, add_constant(x))
        classic, hc2, hc3 = model.fit(), model.fit(cov_type="HC2"), model.fit(cov_type="HC3", use_t=True)
        assert fits["slope"][k] == pytest.approx(classic.params[1], rel=1e-10)
        assert fits["p_classic"][k] == pytest.approx(classic.pvalues[1], rel=1e-8)
        assert fits["p_hc3"][k] == pytest.approx(hc3.pvalues[1], rel=1e-8)
        t = hc2.params[1] / hc2.bse[1]
        df = findings_df(x)
        assert fits["p_hc2"][k] == pytest.approx(2 * sps.t.sf(abs(t), df), rel=1e-8)
        assert fits["r"][k] == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-10)
        for i in range(len(x)):  # each city left out by an explicit refit
            keep = np.arange(len(x)) != i
            refit = OLS(y[keep], add_constant(x[keep])).fit()
            assert fits["slope_without"][k, i] == pytest.approx(refit.params[1], rel=1e-9)
            dfbetas = (classic.params[1] - refit.params[1]) / (
                math.sqrt(refit.mse_resid) / math.sqrt(((x - x.mean()) ** 2).sum()))
            assert fits["dfbetas"][k, i] == pytest.approx(dfbetas, rel=1e-8)


def findings_df(x: np.ndarray) -> float:
    """Bell and McCaffrey's degrees of freedom from explicit matrices (as test_inference checks them)."""
    n = len(x)
    design = np.column_stack([np.ones(n), x])
    hat = design @ np.linalg.inv(design.T @ design) @ design.T
    slope_row = np.linalg.inv(design.T @ design)[1] @ design.T
    g = (np.eye(n) - hat) @ np.diag(slope_row / np.sqrt(1 - np.diag(hat)))
    eigen = np.linalg.eigvalsh(g.T @ g)
    return float(eigen.sum() ** 2 / (eigen**2).sum())


def test_the_general_rule_for_what_may_weaken():
    powers = {"classic": 0.86, "hc2": 0.58, "rank": 0.67, "wild": 0.51}
    assert calibration.eligible(powers, 0.76, 0.85) == ["classic"]
    # exactly 80% of the primary test's power is enough; a hair less is not
    bar = 0.8 * 0.85
    assert calibration.eligible({**powers, "rank": bar}, 0.76, 0.85) == ["classic", "rank"]
    assert calibration.eligible({**powers, "rank": bar - 1e-9}, 0.76, 0.85) == ["classic"]
    # the one-city rule by the same bar: it confirms when it does not fire
    assert calibration.eligible(powers, 1 - bar, 0.85)[-1] == "city"
    assert "city" not in calibration.eligible(powers, 1 - bar + 1e-9, 0.85)
    # with a primary test of no power, nothing is held back
    assert calibration.eligible({k: 0.0 for k in powers}, 1.0, 0.0) == [*powers, "city"]


def test_replicates_shrink_with_many_cities_and_stop_past_the_limit():
    assert calibration.replicates_for(10) == calibration.REPLICATES
    assert calibration.replicates_for(calibration.FULL_LIMIT) == calibration.REPLICATES
    assert calibration.replicates_for(2 * calibration.FULL_LIMIT) == calibration.REPLICATES // 2
    assert calibration.replicates_for(calibration.CITY_LIMIT) == max(
        calibration.MIN_REPLICATES, calibration.REPLICATES * calibration.FULL_LIMIT // calibration.CITY_LIMIT)
    assert calibration.replicates_for(calibration.CITY_LIMIT + 1) == 0
    assert calibration.replicates_for(8_000) == 0


def test_decimals_as_published():
    assert calibration.decimals_of(np.array([25.0, 70.0])) == 0
    assert calibration.decimals_of(np.array([25.5, 70.0])) == 1
    assert calibration.decimals_of(np.array([0.125, 3.0])) == 3
    assert calibration.decimals_of(np.array([math.pi])) == 6


@pytest.fixture(scope=shared_scope)
def simulated():
    data = small_design()
    return data, calibration.simulate_pair(data, ["y1", "y2"], ["x1", "x2"], "y1", "x1", "observed",
                                           replicates=60, seed=5, permutations=199)


def _abs_r(x: np.ndarray, y: np.ndarray) -> float:
    return abs(float(np.corrcoef(x, y)[0, 1]))


def test_every_rule_of_a_replicate_recomputed(simulated):
    data, sim = simulated
    x1, x2, y2 = data.x1.to_numpy(), data.x2.to_numpy(), data.y2.to_numpy()
    perms = sim["orderings"]
    n, m = len(x1), len(perms)
    for k in range(0, 60, 7):
        y = sim["outcomes"][k]
        observed = _abs_r(x1, y)
        scores = [_abs_r(x1, y[p]) for p in perms]
        hits = sum(s >= observed - 1e-9 for s in scores)
        assert sim["p_primary"][k] == pytest.approx((1 + hits) / (1 + m))
        # maxT over the whole family: both outcomes permuted by the same ordering
        maxima = [max(_abs_r(x, out[p]) for x in (x1, x2) for out in (y, y2)) for p in perms]
        assert sim["p_adjusted"][k] == pytest.approx((1 + sum(v >= observed - 1e-9 for v in maxima)) / (1 + m))
        # the classic test, the rank correlation (on the same orderings) and its sign
        assert sim["classic"][k] == pytest.approx(sps.linregress(x1, y).pvalue, rel=1e-8)
        rx, ry = sps.rankdata(x1), sps.rankdata(y)
        rho = float(np.corrcoef(rx, ry)[0, 1])
        assert sim["rho"][k] == pytest.approx(rho, abs=1e-12)
        rank_hits = sum(_abs_r(rx, ry[p]) >= abs(rho) - 1e-9 for p in perms)
        assert sim["rank"][k] == pytest.approx((1 + rank_hits) / (1 + m))
        # the one-city rule, by refits: a large move of the slope, or a turned sign when p < alpha
        fit = sps.linregress(x1, y)
        sxx = ((x1 - x1.mean()) ** 2).sum()
        fires = False
        for i in range(n):
            keep = np.arange(n) != i
            refit = sps.linregress(x1[keep], y[keep])
            s_i = math.sqrt(((y[keep] - refit.intercept - refit.slope * x1[keep]) ** 2).sum() / (n - 3))
            moved = abs((fit.slope - refit.slope) / (s_i / math.sqrt(sxx)))
            flipped = np.sign(refit.slope) != np.sign(fit.slope) and sim["p_primary"][k] < 0.05
            fires = fires or moved > findings.decision_threshold(n) or flipped
        assert bool(sim["city"][k]) == fires, k
    # the outcomes are rounded as the figures are published (three decimals here)
    assert np.allclose(sim["outcomes"], np.round(sim["outcomes"], 3))
    assert perms.shape == (199, n) and all(sorted(p) == list(range(n)) for p in perms)


def test_the_wild_bootstrap_of_a_replicate_by_every_sign_vector(simulated):
    data, sim = simulated
    x = data.x1.to_numpy()
    n = len(x)
    signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
    for k in (0, 13, 41):
        y = sim["outcomes"][k]
        u = y - y.mean()

        def hc2_t(values):
            model = OLS(values, add_constant(x)).fit(cov_type="HC2")
            return abs(model.params[1] / model.bse[1])

        observed = hc2_t(y)
        hits = sum(hc2_t(y.mean() + s * u) >= observed * (1 - 1e-9) for s in signs)
        assert sim["wild"][k] == pytest.approx(hits / 2**n)


def test_the_classic_tests_power_matches_the_noncentral_t():
    """Normal errors on a fixed design: the t test's power is a noncentral t probability, exactly."""
    n = 12
    x = np.linspace(0, 11, n)
    data = pd.DataFrame({"y": 0.35 * x, "x": x, "z": x[::-1] * 0.1})
    data["y"] = data.y + np.random.default_rng(2).normal(0, 2, n)  # the fit sets the slope and the spread
    fit = sps.linregress(data.x, data.y)
    sigma = math.sqrt(((data.y - fit.intercept - fit.slope * data.x) ** 2).sum() / (n - 2))
    data = data.round(6)
    sim = calibration.simulate_pair(data, ["y"], ["x", "z"], "y", "x", "observed", replicates=2000, seed=9,
                                    permutations=19)
    delta = fit.slope * math.sqrt(((x - x.mean()) ** 2).sum()) / sigma
    critical = sps.t.ppf(0.975, n - 2)
    power = sps.nct.sf(critical, n - 2, delta) + sps.nct.cdf(-critical, n - 2, delta)
    observed = float(np.mean(sim["classic"] < 0.05))
    assert abs(observed - power) < 4 * math.sqrt(power * (1 - power) / 2000)
    # and with no slope, the test rejects at its level, within the same Monte-Carlo bounds
    null = calibration.simulate_pair(data, ["y"], ["x", "z"], "y", "x", "null", replicates=2000, seed=9,
                                     permutations=19)
    size = float(np.mean(null["classic"] < 0.05))
    assert abs(size - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 2000)


def test_calibrate_writes_the_contract_and_its_shares_add_up():
    data = small_design()
    table = calibration.calibrate(data, ["y1", "y2"], ["x1", "x2"], replicates=40, permutations=49, seed=1)
    assert list(table.columns) == contract.CALIBRATION_COLUMNS
    assert len(table) == 2 * 2 * len(calibration.SCENARIOS)
    shares = table[["p_consistent", "p_tentative", "p_inconclusive"]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    # consistent needs the adjusted test; inconclusive is exactly the primary test's misses
    assert (table.p_consistent <= table.power_adjusted + 1e-12).all()
    assert np.allclose(table.p_inconclusive, 1 - table.power_primary)
    assert (table.simulations == 40).all() and (table.permutations == 49).all()
    # each pair's list of what may weaken follows the general rule from its 'observed' row
    for (y, x), rows in table.groupby(["outcome", "predictor"]):
        seen = rows[rows.scenario == "observed"].iloc[0]
        expected = calibration.eligible({k: seen[f"power_{k}"] for k in findings.CHECKS},
                                        seen.city_rule_rate, seen.power_primary)
        assert set(rows.may_weaken) == {";".join(expected)}, (y, x)


def test_calibrate_is_skipped_past_its_city_limit(monkeypatch):
    monkeypatch.setattr(calibration, "CITY_LIMIT", 5)
    table = calibration.calibrate(small_design(), ["y1"], ["x1"], replicates=40)
    assert (table.simulations == 0).all() and table.p_consistent.isna().all()
    assert set(table.may_weaken) == {";".join(findings.RULES)}


def test_the_verdict_of_each_replicate_follows_the_rules():
    sim = {
        "p_primary": np.array([0.2, 0.01, 0.01, 0.01, 0.01]),
        "p_adjusted": np.array([0.5, 0.03, 0.03, 0.2, 0.03]),
        "classic": np.array([0.3, 0.01, 0.01, 0.01, 0.01]),
        "hc2": np.array([0.3, 0.01, 0.2, 0.01, 0.01]),
        "rank": np.array([0.3, 0.01, 0.01, 0.01, 0.01]),
        "rho": np.array([0.1, 0.5, 0.5, 0.5, -0.5]),
        "r": np.array([0.1, 0.6, 0.6, 0.6, 0.6]),
        "wild": np.array([0.3, 0.01, 0.01, 0.01, 0.01]),
        "city": np.array([False, False, False, False, True]),
    }
    everything = calibration.verdicts(sim, findings.RULES)
    assert list(everything) == ["inconclusive", "consistent", "tentative", "tentative", "tentative"]
    # the HC2 test and the one-city rule held back: their disagreement no longer weakens
    fewer = calibration.verdicts(sim, ["classic", "wild"])
    assert list(fewer) == ["inconclusive", "consistent", "consistent", "tentative", "consistent"]


def test_a_check_confirms_below_alpha_only_and_the_rank_check_in_the_same_direction_only():
    """p = alpha does not confirm (the rule is p < alpha); a small rank p of the other sign does not either."""
    at = np.array([0.049, 0.05, 0.051])
    sim = {"classic": at, "hc2": at, "wild": at, "rank": np.array([0.01, 0.01, 0.3, 0.05]),
           "rho": np.array([0.4, -0.4, 0.4, 0.4]), "r": np.full(4, 0.6)}
    found = calibration.confirms(sim, alpha=0.05)
    for name in ("classic", "hc2", "wild"):
        assert found[name].tolist() == [True, False, False], name
    assert found["rank"].tolist() == [True, False, False, False]


def test_the_one_city_rule_alone_weakens_a_replicate_when_it_may():
    """Every check confirms, the family's p is below alpha, and one city decides the fit."""
    confirmed = np.array([0.01, 0.01])
    sim = {"p_primary": confirmed, "p_adjusted": np.array([0.03, 0.03]), "classic": confirmed,
           "hc2": confirmed, "wild": confirmed, "rank": confirmed, "rho": np.array([0.5, 0.5]),
           "r": np.array([0.6, 0.6]), "city": np.array([True, False])}
    assert list(calibration.verdicts(sim, findings.RULES)) == ["tentative", "consistent"]
    assert list(calibration.verdicts(sim, findings.CHECKS)) == ["consistent", "consistent"]


def test_calibrate_passes_its_settings_on_and_counts_power_below_alpha_only(monkeypatch):
    """Each simulation gets the run's alpha, seed and permutations (the seed defaulting to the run's);
    a share of p-values below alpha is a power, so a p of exactly alpha does not count."""
    calls = []

    def stand_in(data, outcomes, predictors, outcome, predictor, scenario, **settings):
        calls.append(settings)
        at = np.full(4, 0.02)  # every replicate exactly at alpha below
        sim = {key: at for key in ("p_primary", "p_adjusted", "classic", "hc2", "rank", "wild", "p_hc3")}
        return sim | {"rho": np.full(4, 0.5), "r": np.full(4, 0.6), "city": np.zeros(4, dtype=bool)}

    monkeypatch.setattr(calibration, "simulate_pair", stand_in)
    table = calibration.calibrate(small_design(), ["y1"], ["x1"], alpha=0.02, replicates=4, permutations=19)
    assert [c["alpha"] for c in calls] == [0.02, 0.02]
    assert {c["seed"] for c in calls} == {20240529} and {c["permutations"] for c in calls} == {19}
    assert {c["replicates"] for c in calls} == {4}
    for column in ("power_primary", "power_adjusted", "power_hc3", *(f"power_{k}" for k in findings.CHECKS)):
        assert (table[column] == 0).all(), column
    assert (table.p_inconclusive == 1).all() and (table.permutations == 19).all()
    calibration.calibrate(small_design(), ["y1"], ["x1"], seed=11, replicates=4)
    assert {c["seed"] for c in calls[2:]} == {11}


def test_a_skipped_calibration_still_has_a_row_per_pair_and_scenario(monkeypatch):
    monkeypatch.setattr(calibration, "CITY_LIMIT", 5)
    table = calibration.calibrate(small_design(), ["y1", "y2"], ["x1", "x2"], replicates=40)
    assert list(table.columns) == contract.CALIBRATION_COLUMNS
    expected = [(y, x, s) for y in ("y1", "y2") for x in ("x1", "x2") for s in calibration.SCENARIOS]
    assert list(zip(table.outcome, table.predictor, table.scenario, strict=True)) == expected
    assert (table.simulations == 0).all() and (table.permutations == 0).all()


def test_replicates_all_up_to_the_full_limit_whatever_their_number():
    limit = calibration.FULL_LIMIT
    assert calibration.replicates_for(limit, 40) == 40  # fewer than the minimum above the limit
    assert calibration.replicates_for(limit + 1, 40) == calibration.MIN_REPLICATES
    assert calibration.replicates_for(2 * limit, 1000) == 500


def test_verdicts_follow_the_alpha_given():
    sim = {"p_primary": np.array([0.03]), "p_adjusted": np.array([0.03]), "classic": np.array([0.01]),
           "hc2": np.array([0.01]), "wild": np.array([0.01]), "rank": np.array([0.01]),
           "rho": np.array([0.5]), "r": np.array([0.6]), "city": np.array([False])}
    assert list(calibration.verdicts(sim, findings.RULES)) == ["consistent"]
    assert list(calibration.verdicts(sim, findings.RULES, alpha=0.02)) == ["inconclusive"]


def test_the_simulated_outcomes_are_the_fit_plus_the_recorded_noise_as_published():
    """Each replicate: the fitted line (flat under the null) plus normal noise of the residual SD, drawn
    from the pair's own stream of the seed (run's seed by default), rounded to the published decimals."""
    data = small_design(decimals=2)
    x, y = data.x1.to_numpy(), data.y1.to_numpy()
    n = len(x)
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    residuals = y - y.mean() - slope * (x - x.mean())
    sigma = math.sqrt((residuals**2).sum() / (n - 2))
    for scenario, line in (("observed", slope), ("null", 0.0)):
        sim = calibration.simulate_pair(data, ["y1", "y2"], ["x1", "x2"], "y1", "x1", scenario, replicates=30,
                                        permutations=19)
        # the pair's streams: seed, then the outcome's, the input's and the scenario's positions
        stream = np.random.SeedSequence([20240529, 0, 0, calibration.SCENARIOS.index(scenario)]).spawn(3)[0]
        noise = np.random.default_rng(stream).normal(0.0, sigma, (30, n))
        expected = np.round(y.mean() + line * (x - x.mean()) + noise, 2)
        np.testing.assert_allclose(sim["outcomes"], expected, rtol=0, atol=1e-12)
        assert np.all(np.abs(sim["outcomes"] * 100 - np.round(sim["outcomes"] * 100)) < 1e-6)
    other = calibration.simulate_pair(data, ["y1", "y2"], ["x1", "x2"], "y1", "x1", "observed", replicates=30,
                                      permutations=19, seed=7)
    assert not np.allclose(other["outcomes"], sim["outcomes"])


def test_an_unknown_scenario_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"^scenario must be one of observed, null, not 'both'$"):
        calibration.simulate_pair(small_design(), ["y1"], ["x1"], "y1", "x1", "both", replicates=2)


def test_r_of_figures_below_one_and_a_tie_with_the_observed_score():
    """Figures whose spread is below one are still scaled, flat ones give r = 0; a tie with the observed counts."""
    x = np.array([0.1, 0.2, 0.4, 0.3])
    xs = calibration._standardise(x[:, None])
    ys = np.array([[0.01, 0.03, 0.02, 0.05]])
    expected = abs(np.corrcoef(x, ys[0])[0, 1])
    assert calibration._abs_r(ys, xs)[0, 0] == pytest.approx(expected, abs=1e-12)
    assert calibration._standardise(x[:, None])[:, 0] @ calibration._standardise(x[:, None])[:, 0] \
        == pytest.approx(1.0)
    scores = np.array([[0.5, 0.7, 0.2]])
    assert calibration._mc_p(scores, np.array([0.7]))[0] == pytest.approx((1 + 1) / (1 + 3))
    # a flat input or outcome has r = 0, not NaN
    assert calibration._standardise(np.full((4, 1), 2.5)).tolist() == [[0.0]] * 4
    assert calibration._abs_r(np.full((1, 4), 0.3), xs).tolist() == [[0.0]]


def test_the_article_design(article_calibration):
    """Community events and employment: the primary test detects it about 85% of the time; the rule
    lets only the checks with the power to weaken do so."""
    events = article_calibration[(article_calibration.predictor == "community_event_participants")
                                 & (article_calibration.outcome == "employment_rate_increase_pct")]
    seen = events[events.scenario == "observed"].iloc[0]
    null = events[events.scenario == "null"].iloc[0]
    assert 0.8 < seen.power_primary < 0.9 and seen.power_hc2 < 0.8 * seen.power_primary
    assert seen.city_rule_rate > 0.5  # the one-city rule fires even when the association is true
    assert "city" not in seen.may_weaken.split(";") and "hc2" not in seen.may_weaken.split(";")
    # with no association, the primary test and HC3 keep near their level (1,000 replicates: within 2 points)
    assert abs(null.power_primary - 0.05) < 0.02 and abs(null.power_hc3 - 0.05) < 0.025
    assert null.p_consistent < 0.02


@pytest.fixture(scope=shared_scope)
def article_calibration():
    data = load_clean_data()
    outcomes = ["employment_rate_increase_pct", "health_service_access_pct"]
    return calibration.calibrate(data, outcomes, ["community_event_participants", "new_businesses"])
