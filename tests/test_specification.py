"""The input scales and the specification curve, against computations written here."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from helpers import specification as sp
from helpers.codebook import load_codebook, load_population, population_citation
from helpers.errors import DataError, ParameterError
from helpers.runner import study

from .test_stats import pearson

CITIES = ["Milano", "Bologna", "Torino", "Firenze", "Napoli", "Roma", "Genova", "Palermo", "Bari", "Verona"]
EMPLOYMENT = [25, 70, 30, 40, 50, 45, 35, 55, 60, 50]
EVENTS = [1000, 10000, 300, 2000, 5000, 6000, 1500, 4000, 2500, 3000]
BUSINESSES = [50, 20, 30, 15, 25, 35, 20, 20, 25, 30]
POPULATION = [1354196, 387971, 841600, 360930, 913462, 2748109, 558745, 630167, 316015, 255588]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"city": CITIES, "employment": EMPLOYMENT, "events": EVENTS, "businesses": BUSINESSES}
    )


def population() -> pd.DataFrame:
    return pd.DataFrame({"city": CITIES, "population": POPULATION})


def test_the_population_table_is_the_data_packages_and_has_every_city():
    table = load_population()
    assert list(table.city) == CITIES
    assert list(table.population) == POPULATION
    assert set(table.reference_date) == {"2023"}
    assert "CC BY 4.0" in population_citation() and "ISTAT" in population_citation()


def test_per_10k_residents_is_the_count_divided_by_population_times_10000():
    scaled = sp.scale_inputs(frame(), ["events", "businesses"], "per_10k_residents", population())
    for i, city in enumerate(CITIES):
        assert scaled.events[i] == pytest.approx(EVENTS[i] / POPULATION[i] * 10_000, rel=1e-12), city
        assert scaled.businesses[i] == pytest.approx(BUSINESSES[i] / POPULATION[i] * 10_000, rel=1e-12)
    assert list(scaled.employment) == EMPLOYMENT  # outcomes are never rescaled


def test_per_capita_and_log_fits_recomputed_by_hand():
    specs = sp.curve(frame(), ["employment"], ["events"], population=population(), n_resamples=999)
    per = [e / p * 10_000 for e, p in zip(EVENTS, POPULATION, strict=True)]
    logged = [math.log(e) for e in EVENTS]
    for scale, x in [("count", EVENTS), ("per_10k_residents", per), ("log", logged)]:
        row = specs[(specs.scale == scale) & (specs["sample"] == "all") & (specs.estimator == "ols")].iloc[0]
        r = pearson(x, EMPLOYMENT)
        assert row.estimate == pytest.approx(r, abs=1e-12)
        half = 1.959963984540054 / math.sqrt(10 - 3)
        assert row.ci_low == pytest.approx(math.tanh(math.atanh(r) - half), abs=1e-9)
        assert row.ci_high == pytest.approx(math.tanh(math.atanh(r) + half), abs=1e-9)
        assert row.n == 10
    # the log keeps the ranks of the counts, so its Spearman rho would repeat the count's: left out
    rho = specs[(specs["sample"] == "all") & (specs.estimator == "spearman")].set_index("scale").estimate
    assert set(rho.index) == {"count", "per_10k_residents"}
    assert rho["count"] == pytest.approx(pearson(_ranks(EVENTS), _ranks(EMPLOYMENT)), abs=1e-12)


def test_theil_sen_is_the_median_of_every_pairwise_slope():
    rng = np.random.default_rng(7)
    for n in (3, 7, 10, 11):
        x = rng.integers(0, 6, n).astype(float)  # ties in x: those pairs have no slope
        y = rng.normal(size=n)
        slopes = [
            (y[j] - y[i]) / (x[j] - x[i])
            for i, j in itertools.combinations(range(n), 2)
            if x[j] != x[i]
        ]
        assert sp.theil_sen(x, y) == pytest.approx(statistics.median(slopes), abs=1e-12)


def test_theil_sen_is_standardised_like_the_ols_slope():
    specs = sp.curve(frame(), ["employment"], ["businesses"], population=population(), n_resamples=999)
    row = specs[(specs.scale == "count") & (specs["sample"] == "all") & (specs.estimator == "theil_sen")].iloc[0]
    slopes = [
        (EMPLOYMENT[j] - EMPLOYMENT[i]) / (BUSINESSES[j] - BUSINESSES[i])
        for i, j in itertools.combinations(range(10), 2)
        if BUSINESSES[j] != BUSINESSES[i]
    ]
    standard = statistics.stdev(BUSINESSES) / statistics.stdev(EMPLOYMENT)
    assert row.estimate == pytest.approx(statistics.median(slopes) * standard, abs=1e-12)
    assert row.ci_low <= row.estimate <= row.ci_high


def test_the_table_holds_the_full_product_of_choices():
    flagged = pd.DataFrame({"city": ["Bologna"], "field": ["events"]})
    specs = sp.curve(frame(), ["employment"], ["events", "businesses"], population=population(),
                     flagged=flagged, n_resamples=999)
    assert list(specs.columns) == sp.SPECIFICATION_COLUMNS
    for predictor, group in specs.groupby("predictor"):
        samples = list(dict.fromkeys(group["sample"]))
        assert samples[0] == "all"
        assert ("without_flagged" in samples) == (predictor == "events")
        expected = set(itertools.product(sp.SCALES, samples, sp.ESTIMATORS))
        expected -= {("log", s, "spearman") for s in samples}  # ranks do not change under the log
        found = list(zip(group.scale, group["sample"], group.estimator, strict=True))
        assert len(found) == len(expected) and set(found) == expected
        # each high-leverage city left out in turn: n drops by one
        for sample in samples:
            dropped = 1 if sample.startswith("without_") and sample != "without_flagged" else 0
            if sample == "without_flagged":
                dropped = 1
            assert set(group[group["sample"] == sample].n) == {10 - dropped}
    hand = {c for c, h in zip(CITIES, _leverage(EVENTS), strict=True) if h > 0.4}
    per = [e / p for e, p in zip(EVENTS, POPULATION, strict=True)]
    hand |= {c for c, h in zip(CITIES, _leverage(per), strict=True) if h > 0.4}
    hand |= {c for c, h in zip(CITIES, _leverage([math.log(e) for e in EVENTS]), strict=True) if h > 0.4}
    named = {s.removeprefix("without_") for s in specs[specs.predictor == "events"]["sample"]} - {"all", "flagged"}
    hand -= {"Bologna"}  # already left out as the flagged value: not a second time
    assert named <= hand and len(named) == min(len(hand), sp.LEVERAGE_CITIES)


def _ranks(values):
    """Average ranks, 1-based, by counting (no library)."""
    return [
        sum(w < v for w in values) + (sum(w == v for w in values) + 1) / 2 for v in values
    ]


def _leverage(x):
    n, m = len(x), sum(x) / len(x)
    sxx = sum((v - m) ** 2 for v in x)
    return [1 / n + (v - m) ** 2 / sxx for v in x]


def test_summary_counts_signs_and_p_values():
    specs = pd.DataFrame({
        "outcome": ["y"] * 4, "predictor": ["x"] * 4, "scale": ["count", "log", "count", "log"],
        "sample": ["all", "all", "without_A", "without_A"], "estimator": ["ols"] * 4, "n": [10, 10, 9, 9],
        "estimate": [0.5, 0.4, -0.1, 0.2], "ci_low": 0.0, "ci_high": 0.0, "p_value": [0.01, 0.2, 0.8, 0.04],
    })
    summary = sp.summary(specs).iloc[0]
    assert (summary.positive, summary.negative, summary.significant) == (3, 1, 2)
    # the analytic choices (all cities) apart from the samples that leave cities out
    assert (summary.full, summary.full_significant, summary.full_positive, summary.full_negative) == (2, 1, 2, 0)
    assert (summary.dropped, summary.dropped_significant) == (2, 1)
    assert (summary.low, summary.high) == (-0.1, 0.5)
    # the misses: the log scale on all cities and the count scale without A share nothing
    assert summary.misses == 2 and not summary.misses_in_samples
    assert (summary.misses_drop, summary.misses_scale, summary.misses_estimator) == ("", "", "ols")


def test_summary_says_what_the_misses_share():
    """Eight misses that all leave Bologna out, in samples of n = 8 or 9: precision, not a different sign."""
    specs = pd.DataFrame({
        "outcome": "y", "predictor": "x",
        "scale": ["count", "log", "count", "log", "count", "count"],
        "sample": ["all", "all", "without_Bologna", "without_Bologna", "without_flagged", "without_Roma"],
        "estimator": ["ols", "ols", "ols", "theil_sen", "spearman", "ols"],
        "n": [10, 10, 9, 9, 8, 9], "estimate": [0.8, 0.7, 0.6, 1.2, 0.5, 0.75], "ci_low": 0.0, "ci_high": 1.0,
        "p_value": [0.01, 0.02, 0.09, 0.2, 0.3, 0.03],
    })
    flagged = pd.DataFrame({"city": ["Bologna", "Torino", "Milano"], "field": ["x", "x", "z"]})
    summary = sp.summary(specs, flagged=flagged).iloc[0]
    assert summary.misses == 3 and summary.misses_in_samples
    assert summary.misses_drop == "Bologna"  # the flagged sample leaves out Bologna and Torino
    assert (summary.misses_scale, summary.misses_estimator) == ("", "")
    # the correlations' range leaves out Theil-Sen's standardised slope, which is not on their scale
    assert (summary.low, summary.high) == (0.5, 0.8)
    assert (summary.full, summary.full_significant) == (2, 2)
    # without the flagged cities named, that sample leaves out no one the others share
    assert sp.summary(specs).iloc[0].misses_drop == ""


def test_an_unknown_scale_is_a_parameter_error():
    with pytest.raises(ParameterError, match="input_scale"):
        sp.check_scale("per_capita")
    values = {"input_scale": "per_capita"}
    with pytest.raises(ParameterError, match="per_capita") as caught:
        study.check_values(values)
    assert caught.value.exit_code == 2


def test_a_city_without_population_is_a_data_error_naming_it():
    short = population()[population().city != "Bari"]
    with pytest.raises(DataError, match="Bari") as caught:
        sp.scale_inputs(frame(), ["events"], "per_10k_residents", short)
    assert caught.value.exit_code == 3
    # the curve leaves the per-resident scale out instead
    specs = sp.curve(frame(), ["employment"], ["events"], population=short, n_resamples=999)
    assert "per_10k_residents" not in set(specs.scale)


def test_the_runner_checks_the_population_before_anything_runs(tmp_path):
    table = load_population()
    table[table.city != "Verona"].to_csv(tmp_path / "population.tsv", sep="\t", index=False)
    values = {"input_scale": "per_10k_residents", "population_path": str(tmp_path / "population.tsv")}
    with pytest.raises(DataError, match="Verona") as caught:
        study.check_data("data/raw/inclusione_attiva.tsv", values, log=lambda _: None)
    assert caught.value.exit_code == 3
    study.check_data("data/raw/inclusione_attiva.tsv", {"input_scale": "count",
                     "population_path": str(tmp_path / "population.tsv")}, log=lambda _: None)


def test_the_primary_scale_is_the_notebooks_default_and_the_library_first():
    """The notebooks' default scale, the one a document without a manifest assumes, is the library's first."""
    import pandas as pd

    from helpers.brief.evidence import Evidence
    from helpers.runner.params import collect_parameters
    from helpers.runner.steps import discover_steps

    declared = collect_parameters(step.path for step in discover_steps())
    assert declared["input_scale"].default == sp.SCALES[0] == "count"
    assert Evidence("en", load_codebook(), pd.DataFrame(), {}, {}).input_scale == sp.SCALES[0]


def test_scaled_codebook_says_the_scale_on_axis_labels():
    codebook = sp.scaled_codebook(load_codebook(), ["new_businesses"], "per_10k_residents")
    assert codebook.field("new_businesses").axis_label.endswith("(businesses per 10,000 residents)")
    assert codebook.field("employment_rate_increase_pct").unit == "%"


@pytest.mark.parametrize("scale", ["per_10k_residents", "log"])
def test_a_transformed_field_remembers_how_it_was_published(scale):
    """A doubt about a published figure is worded in the published unit, whatever the scale."""

    codebook = load_codebook()
    scaled = sp.scaled_codebook(codebook, ["psychological_support_people"], scale)
    field = scaled.field("psychological_support_people")
    assert field.unit != "people"  # the analysed scale is said ...
    assert field.published == codebook.field("psychological_support_people")  # ... and undone
    assert field.published.unit == "people"
    assert scaled.field("new_businesses").published is scaled.field("new_businesses")


def test_units_of_one_inside_a_rate():
    from helpers.codebook import singular

    assert singular("people per 10,000 residents") == "person per 10,000 residents"
    assert singular("log participants") == "log participant"
    assert singular("%") == "%" and singular(None) is None


# ------------------------------------------------------------------ the joint test
Z975 = 1.959963984540054


def _sen_interval_by_hand(x, y):
    """Sen's (1968) interval, equation 2.6, written out: sorted slopes, ranks from Kendall's S variance."""
    n = len(x)
    slopes = sorted(
        (y[i] - y[j]) / (x[i] - x[j]) for i in range(n) for j in range(n) if x[i] > x[j]
    )
    ties = lambda v: sum(  # noqa: E731
        k * (k - 1) * (2 * k + 5) for k in (list(v).count(u) for u in set(v))
    )
    sigma = math.sqrt((n * (n - 1) * (2 * n + 5) - ties(x) - ties(y)) / 18)
    total = len(slopes)
    upper = min(int(np.round((total + Z975 * sigma) / 2)), total - 1)
    lower = max(int(np.round((total - Z975 * sigma) / 2)) - 1, 0)
    return slopes[lower], slopes[upper]


def _side(low, high):
    return 1 if low > 0 else -1 if high < 0 else 0


@pytest.mark.parametrize("estimator", sp.ESTIMATORS)
def test_interval_sides_are_the_curves_intervals_for_every_row(estimator):
    rng = np.random.default_rng(11)
    for n in (4, 7, 10):
        x = rng.integers(0, 5, n).astype(float)  # ties in x
        x[0], x[1] = 0.0, 5.0  # never all the same
        base = rng.integers(0, 4, n).astype(float) + 0.8 * x  # ties in y, and some association
        ys = np.array([rng.permutation(base) for _ in range(60)] + [base, np.full(n, 2.0)])
        sides = sp.interval_sides(x, ys, estimator)
        for y, side in zip(ys, sides, strict=True):
            if np.std(y) == 0:
                assert side == 0  # no association can be estimated from a constant
                continue
            if estimator == "theil_sen":
                expected = _side(*_sen_interval_by_hand(list(x), list(y)))
            else:
                a, b = (x, y) if estimator == "ols" else (_ranks(list(x)), _ranks(list(y)))
                r = pearson(a, b)
                spread = 1 + r**2 / 2 if estimator == "spearman" else 1.0
                half = Z975 * math.sqrt(spread / (n - 3))
                if abs(r) >= 1 - 1e-12:  # a perfect (rank) line: the interval is the point
                    expected = _side(r, r)
                else:
                    expected = _side(math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
            assert side == expected, (estimator, list(x), list(y))


def test_interval_sides_agree_with_scipys_theil_sen():
    import scipy.stats as sps

    rng = np.random.default_rng(3)
    x = np.array([50, 20, 30, 15, 25, 35, 20, 20, 25, 30], dtype=float)
    for _ in range(200):
        y = rng.integers(20, 80, 10).astype(float) + rng.choice([0, 1.5], 10) * x
        low, high = sps.theilslopes(y, x, alpha=0.95)[2:4]
        assert sp.interval_sides(x, y[None, :], "theil_sen")[0] == _side(low, high)


def test_joint_test_counts_what_the_curve_shows_and_shuffles_like_a_brute_force():
    data = frame()
    flagged = pd.DataFrame({"city": ["Bologna"], "field": ["events"]})
    shuffles, seed = 39, 5
    joint = sp.joint_test(data, ["employment"], ["events", "businesses"], population=population(),
                          flagged=flagged, seed=seed, n_resamples=shuffles)
    assert list(joint.columns) == sp.JOINT_COLUMNS

    def one_sided(table):
        specs = sp.curve(table, ["employment"], ["events", "businesses"], population=population(),
                         flagged=flagged, n_resamples=9)
        counts = {}
        for x, group in specs.groupby("predictor"):
            above, below = int((group.ci_low > 0).sum()), int((group.ci_high < 0).sum())
            counts[x] = (max(above, below), above, below, len(group))
        return counts

    observed = one_sided(data)
    orders = np.random.default_rng(seed).permuted(np.tile(np.arange(10), (shuffles, 1)), axis=1)
    null = [one_sided(data.assign(employment=data.employment.to_numpy()[o])) for o in orders]
    for row in joint.itertuples(index=False):
        statistic, above, below, total = observed[row.predictor]
        assert (row.specifications, row.one_sided, row.shuffles) == (total, statistic, shuffles)
        assert row.side == ("" if statistic == 0 else "positive" if above > below else "negative")
        hits = sum(counts[row.predictor][0] >= statistic for counts in null)
        if statistic == 0:  # no specification off zero: no p-value, which would be 1 by construction
            assert hits == shuffles and math.isnan(row.p_value)
        else:
            assert row.p_value == pytest.approx((1 + hits) / (1 + shuffles), abs=1e-15)


def test_joint_test_of_a_perfect_line_and_of_a_constant():
    data = pd.DataFrame({"city": CITIES, "employment": [3 * b + 1 for b in BUSINESSES[:9]] + [2.0],
                         "flat": [5.0] * 10, "businesses": BUSINESSES})
    data.loc[9, "employment"] = 3 * BUSINESSES[9] + 1
    joint = sp.joint_test(data, ["employment", "flat"], ["businesses"], population=population(),
                          n_resamples=99).set_index("outcome")
    line, flat = joint.loc["employment"], joint.loc["flat"]
    specs = sp.curve(data, ["employment"], ["businesses"], population=population(), n_resamples=9)
    # on the counts the line is exact: every one of those intervals is a point above zero
    assert line.side == "positive" and line.one_sided >= (specs.scale == "count").sum() > 0
    assert line.p_value < 0.05  # shuffles of a perfect line are rarely one-sided everywhere
    assert (flat.one_sided, flat.side) == (0, "") and math.isnan(flat.p_value)


def test_joint_test_leaves_theil_sen_out_above_its_limit(monkeypatch):
    data = frame()
    full = sp.joint_test(data, ["employment"], ["businesses"], population=population(), n_resamples=19)
    monkeypatch.setattr(sp, "JOINT_THEIL_SEN_LIMIT", 9)
    fewer = sp.joint_test(data, ["employment"], ["businesses"], population=population(), n_resamples=19)
    specs = sp.curve(data, ["employment"], ["businesses"], population=population(), n_resamples=9)
    # with ten cities in "all" and nine in each "without_" sample, only the 10-city ones drop out
    ten = ((specs.estimator == "theil_sen") & (specs.n > 9)).sum()
    assert full.specifications[0] == len(specs) and fewer.specifications[0] == len(specs) - ten > 0


def test_joint_test_is_not_run_above_its_city_limit(monkeypatch):
    monkeypatch.setattr(sp, "JOINT_CITY_LIMIT", 9)
    joint = sp.joint_test(frame(), ["employment"], ["businesses"], population=population(), n_resamples=19)
    assert joint.shuffles[0] == 0 and math.isnan(joint.p_value[0]) and joint.specifications[0] > 0
