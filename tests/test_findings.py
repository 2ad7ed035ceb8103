"""The verdict rules: checks only weaken, one city is judged by the estimate, the audit meets the fits."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import audit, contract, findings, inference, stats
from helpers.cleaning import load_clean_data

from .conftest import checks_of, shared_scope
from .test_stats import INPUTS, OUTCOMES, pearson

CHECK_NAMES = list(findings.CHECKS)
p_values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def verdict_of(p_primary, p_adjusted, checks: dict, cities: list) -> str:
    """The verdict from the raw ingredients: each check's p-value, cities that decide the slope."""
    disagreeing = [name for name, p in checks.items() if not p < findings.ALPHA]
    return findings.verdict(p_primary, max(p_adjusted, p_primary), disagreeing, cities)


@given(
    p_primary=p_values,
    p_adjusted=p_values,
    checks=st.dictionaries(st.sampled_from(CHECK_NAMES), p_values),
    extra=st.tuples(st.sampled_from(CHECK_NAMES), p_values),
    cities=st.lists(st.sampled_from(["Milano", "Bologna", "Roma"]), unique=True),
    city=st.sampled_from(["Napoli", "Bari"]),
)
def test_adding_a_check_or_a_city_never_strengthens_a_verdict(
    p_primary, p_adjusted, checks, extra, cities, city
):
    name, p = extra
    assume(name not in checks)  # a check added, not one replaced
    before = verdict_of(p_primary, p_adjusted, checks, cities)
    with_check = verdict_of(p_primary, p_adjusted, {**checks, name: p}, cities)
    with_city = verdict_of(p_primary, p_adjusted, checks, [*cities, city])
    alone = verdict_of(p_primary, p_adjusted, {}, [])
    assert findings.strength(with_check) >= findings.strength(before)
    assert findings.strength(with_city) >= findings.strength(before)
    # whatever the checks say, the verdict is never stronger than the primary test alone allows
    assert findings.strength(before) >= findings.strength(alone)


@given(
    p_primary=p_values,
    p_adjusted=p_values,
    checks=st.dictionaries(st.sampled_from(CHECK_NAMES), p_values),
)
def test_a_larger_p_never_strengthens_a_verdict(p_primary, p_adjusted, checks):
    base = verdict_of(p_primary, p_adjusted, checks, [])
    assert findings.strength(
        verdict_of(min(1.0, p_primary + 0.03), p_adjusted, checks, [])
    ) >= findings.strength(base)
    assert findings.strength(
        verdict_of(p_primary, min(1.0, p_adjusted + 0.03), checks, [])
    ) >= findings.strength(base)


def test_the_three_verdicts():
    assert findings.verdict(0.001, 0.01) == "consistent"
    assert findings.verdict(0.001, 0.06) == "tentative"  # not after adjustment
    assert findings.verdict(0.001, 0.01, ["wild"]) == "tentative"  # a check disagrees
    assert findings.verdict(0.001, 0.01, [], ["Bologna"]) == "tentative"  # one city decides it
    assert findings.verdict(0.05, 0.05) == "inconclusive"  # p at alpha is not below it
    assert findings.verdict(0.3, 0.9, ["classic"], ["Milano"]) == "inconclusive"


def row(**values):
    base = {
        "r": 0.8,
        "spearman_rho": 0.7,
        "p_value": 0.01,
        "p_value_hc2_bm": 0.02,
        "spearman_p": 0.03,
        "spearman_p_exact": math.nan,
        "p_wild_bootstrap": 0.04,
    }
    return pd.Series(base | values)


def test_a_check_disagrees_on_p_or_on_sign():
    assert findings.disagreeing_checks(row()) == []
    assert findings.disagreeing_checks(row(p_wild_bootstrap=0.05)) == ["wild"]
    assert findings.disagreeing_checks(row(spearman_rho=-0.7)) == ["rank"]  # the other sign
    # the exact rank p-value, where there is one, is the one that counts
    assert findings.disagreeing_checks(row(spearman_p_exact=0.2)) == ["rank"]
    assert findings.disagreeing_checks(row(spearman_p=0.2, spearman_p_exact=0.01)) == []
    assert findings.disagreeing_checks(row(p_value=float("nan"))) == ["classic"]


def city_table(dfbetas, slopes_without, p_without, leverage=None):
    n = len(dfbetas)
    names = [f"C{i}" for i in range(n)]
    influence = pd.DataFrame(
        {
            "city": names,
            "leverage": leverage or [2 / n] * n,
            "dfbetas": dfbetas,
            "high_leverage": [h > 4 / n for h in (leverage or [2 / n] * n)],
        }
    )
    loo = pd.DataFrame({"dropped_city": names, "slope": slopes_without, "p_value": p_without})
    return influence, loo


def test_one_city_is_judged_by_the_estimate_not_by_p():
    # ten cities: the threshold is 2 / sqrt(10) = 0.63
    influence, loo = city_table(
        dfbetas=[0.1, 0.7, -0.2, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        slopes_without=[1.0, 0.5, -0.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        p_without=[0.2, 0.01, 0.01, 0.3, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01],
        leverage=[0.1] * 9 + [0.5],
    )
    cities = findings.city_dependence(influence, loo, slope=1.0, p_value=0.01, p_primary=0.01)
    assert list(cities.city[cities.decisive]) == ["C1", "C2"]  # DFBETAS above 0.63; a flipped sign
    assert list(cities.city[cities.precision_only]) == ["C0", "C3"]  # p crosses 0.05, slope stays
    assert list(cities.city[cities.matters]) == ["C1", "C2", "C9"]  # and the high-leverage city
    # a sign flip of a slope the primary test cannot establish decides nothing
    loose = findings.city_dependence(influence, loo, slope=1.0, p_value=0.3, p_primary=0.3)
    assert list(loose.city[loose.decisive]) == ["C1"] and not loose.precision_only.any()


def test_many_cities_need_a_material_shift():
    assert findings.decision_threshold(10) == pytest.approx(2 / math.sqrt(10))
    assert findings.decision_threshold(8000) == findings.DFBETAS_FLOOR


def classify_article():
    """The article's pairs classified (a plain call: mutmut links a module fixture to one test only)."""
    data = load_clean_data()
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    checked = checks_of(data, fits)
    flagged = audit.flagged_cells(audit.read_claims(), data)
    return findings.classify(
        checked, inference.influence(data, fits), inference.leave_one_out(data, fits), flagged, data
    ).set_index(["outcome", "predictor"], drop=False)


@pytest.fixture(scope=shared_scope)
def classified():
    return classify_article()


def test_the_article_data(classified):
    events = classified.loc[("employment_rate_increase_pct", "community_event_participants")]
    # p = 0.006 by permutation, but 0.053 after maxT, and the wild bootstrap gives 0.062
    assert events.verdict == "tentative"
    assert events.p_primary < 0.01 and 0.05 < events.p_adjusted < 0.06
    assert events.disagreeing == ["wild"]
    # leaving out Bologna costs precision, not the estimate: it does not decide the pair
    assert events.decisive_cities == []
    cities = events.cities.set_index("city")
    assert cities.loc["Bologna", "precision_only"]
    assert cities.loc["Bologna", "slope_without"] == pytest.approx(0.00387, abs=5e-6)
    # Bologna's 10,000 festival-goers: high leverage and a value the audit doubts
    assert list(events.audit.claim_id) == ["c08"] and events.influential_cities == ["Bologna"]
    businesses = classified.loc[("health_service_access_pct", "new_businesses")]
    # Milan's 50 start-ups are its 50 new businesses: nothing to doubt there any more
    assert businesses.verdict == "inconclusive" and businesses.audit.empty and businesses.doubted.empty
    assert "consistent" not in set(classified.verdict)
    assert (classified.verdict[classified.p_primary >= 0.05] == "inconclusive").all()


def test_findings_table_follows_the_contract(classified):
    table = findings.table(classified.reset_index(drop=True), ["s"] * len(classified))
    assert list(table.columns) == contract.FINDINGS_COLUMNS
    events = table[table.predictor == "community_event_participants"].iloc[0]
    # every city whose figure in the pair the audit doubts, not only the influential ones
    assert events.audit_flags == "c08 Bologna;c09 Torino" and events.influential_cities == "Bologna"
    assert table.p_adjusted.tolist() == classified.p_westfall_young.tolist()


def test_order_puts_the_strongest_first():
    frame = pd.DataFrame(
        {
            "verdict": ["inconclusive", "tentative", "consistent", "tentative", "tentative"],
            "p_primary": [0.2, 0.03, 0.01, 0.001, 0.03],
        }
    )
    # a verdict outranks a smaller p; ties keep the order of the fits
    assert findings.order(frame).index.tolist() == [2, 3, 1, 4, 0]
    assert list(findings.order(frame).columns) == ["verdict", "p_primary"]


def test_a_doubtful_part_value_gets_the_slope_if_it_were_larger(classified):
    from .test_stats import closed_form_ols, column

    events = classified.loc[("employment_rate_increase_pct", "community_event_participants")]
    (cell,) = events.audit.itertuples(index=False)
    assert (cell.city, cell.value, cell.qualifier, cell.reason) == (
        "Bologna",
        10_000,
        "over",
        "part",
    )
    x = column("community_event_participants")
    x[1] = 15_000.0  # Bologna, the second row of the article's table, half as large again
    expected = closed_form_ols(x, column("employment_rate_increase_pct"))["slope"]
    assert cell.slope_if_larger == pytest.approx(expected, rel=1e-12)
    assert expected < events.slope  # a larger Bologna flattens the line
    # without the analysed table, or on a log scale, no such figure is made up
    assert math.isnan(
        findings.slope_if_larger(
            load_clean_data().assign(
                community_event_participants=lambda d: np.log(d.community_event_participants)
            ),
            events,
            cell,
        )
    )


# ------------------------------------------------------------------ the edges of every rule
def test_the_rules_at_their_boundaries():
    # "below alpha" means strictly below: a p-value equal to alpha counts against
    assert findings.verdict(0.01, 0.05) == "tentative"
    assert findings.verdict(0.01, 0.0499) == "consistent"
    assert findings.verdict(0.05, 0.01) == "inconclusive"
    assert findings.verdict(0.02, 0.03, alpha=0.01) == "inconclusive"  # alpha is the caller's
    assert findings.disagreeing_checks(row(p_value=0.05)) == ["classic"]
    assert findings.disagreeing_checks(row(p_value=0.02), alpha=0.01) == [
        "classic",
        "hc2",
        "rank",
        "wild",
    ]
    influence, loo = city_table(
        dfbetas=[2 / math.sqrt(10), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        slopes_without=[1.0, -1.0] + [1.0] * 8,
        p_without=[0.05] * 10,
    )
    at_alpha = findings.city_dependence(influence, loo, slope=1.0, p_value=0.05, p_primary=0.05)
    assert not at_alpha.decisive.any()  # |DFBETAS| at the threshold, a flip of a p = alpha slope
    assert not at_alpha.precision_only.any()  # p = alpha is no significance to lose
    below = findings.city_dependence(influence, loo, slope=1.0, p_value=0.0499, p_primary=0.0499)
    assert list(below.city[below.decisive]) == ["C1"]
    assert below.precision_only.sum() == 9  # every refit has p = 0.05: not below alpha
    loose = findings.city_dependence(
        influence, loo, slope=1.0, p_value=0.02, p_primary=0.02, alpha=0.01
    )
    assert not loose.decisive.any() and not loose.precision_only.any()


def test_rank_p_without_an_exact_value():
    plain = pd.Series({"spearman_p": 0.2})  # no exact column at all (more than ten cities)
    assert findings.rank_p(plain) == 0.2
    assert findings.rank_p(pd.Series({"spearman_p": 0.2, "spearman_p_exact": 0.3})) == 0.3


def test_a_repeated_refit_is_refused():
    influence, loo = city_table([0.1] * 3, [1.0] * 3, [0.01] * 3)
    with pytest.raises(Exception, match="[Uu]nique|duplicate"):
        findings.city_dependence(
            influence, pd.concat([loo, loo]), slope=1.0, p_value=0.01, p_primary=0.01
        )


def checked_rows(**changes):
    """Two fits on the same ten cities, one strong, with every column classify reads."""
    base = {
        "outcome": "y",
        "n": 10,
        "slope": 1.0,
        "slope_se": 0.1,
        "r": 0.9,
        "r_ci_low": 0.6,
        "r_ci_high": 0.98,
        "p_value": 0.001,
        "p_value_hc2_bm": 0.002,
        "spearman_rho": 0.85,
        "spearman_p": 0.003,
        "spearman_p_exact": 0.003,
        "p_wild_bootstrap": 0.004,
        "p_permutation": 0.001,
        "p_westfall_young": 0.002,
        "p_holm": 0.004,
        "adjustment": "westfall-young",
    }
    rows = [{**base, "predictor": "a"}, {**base, "predictor": "b", **changes}]
    cities = [f"C{i}" for i in range(10)]
    influence = pd.DataFrame(
        [
            {"outcome": "y", "predictor": p, "city": c, "leverage": 0.1, "cooks_distance": 0.01,
             "dfbetas": 0.1, "high_leverage": False}
            for p in ("a", "b") for c in cities
        ]
    )  # fmt: skip
    loo = pd.DataFrame(
        [
            {"outcome": "y", "predictor": p, "dropped_city": c, "slope": 1.0, "p_value": 0.01}
            for p in ("a", "b") for c in cities
        ]
    )  # fmt: skip
    return pd.DataFrame(rows), influence, loo


def test_classify_without_an_audit():
    checked, influence, loo = checked_rows()
    table = findings.classify(checked, influence, loo)
    assert list(table.verdict) == ["consistent", "consistent"]
    for audit_of_pair in table.audit:
        assert audit_of_pair.empty
        assert list(audit_of_pair.columns) == [
            "city",
            "field",
            "value",
            "claim_id",
            "claim",
            "qualifier",
            "reason",
            "slope_if_larger",
        ]
    assert "index" not in table.columns and table.index.tolist() == [0, 1]


def test_classify_passes_every_reason_to_the_verdict():
    checked, influence, loo = checked_rows(p_wild_bootstrap=0.2)
    table = findings.classify(checked, influence, loo)
    assert list(table.verdict) == ["consistent", "tentative"] and table.disagreeing[1] == ["wild"]
    influence.loc[(influence.predictor == "b") & (influence.city == "C3"), "dfbetas"] = 2.0
    checked, _, _ = checked_rows()
    table = findings.classify(checked, influence, loo)
    assert list(table.verdict) == ["consistent", "tentative"] and table.decisive_cities[1] == ["C3"]
    # alpha reaches every rule: at 0.001 nothing here is below it
    assert set(findings.classify(checked, influence, loo, alpha=0.001).verdict) == {"inconclusive"}
    strict = findings.classify(checked.assign(p_permutation=0.0005), influence, loo, alpha=0.001)
    assert strict.disagreeing[0] == ["classic", "hc2", "rank", "wild"]
    assert strict.decisive_cities[1] == ["C3"]


def test_classify_takes_holm_when_there_is_no_joint_permutation():
    checked, influence, loo = checked_rows()
    table = findings.classify(checked.assign(adjustment="holm"), influence, loo)
    assert list(table.p_adjusted) == [0.004, 0.004]
    table = findings.classify(checked, influence, loo)
    assert list(table.p_adjusted) == [0.002, 0.002]


def test_classify_links_only_doubts_about_the_pair_and_sizes_only_parts(classified):
    checked, influence, loo = checked_rows()
    influence.loc[influence.city == "C2", "high_leverage"] = True
    flagged = pd.DataFrame(
        [
            {"city": "C2", "field": "a", "value": 3.0, "claim_id": "c1", "claim": "x",
             "qualifier": "over", "reason": "part"},
            {"city": "C2", "field": "b", "value": 3.0, "claim_id": "c2", "claim": "x",
             "qualifier": "", "reason": "other"},
            {"city": "C5", "field": "a", "value": 6.0, "claim_id": "c3", "claim": "x",
             "qualifier": "", "reason": "part"},
        ]
    )  # fmt: skip
    data = pd.DataFrame({"city": [f"C{i}" for i in range(10)], "y": np.arange(10.0) * 2,
                         "a": np.arange(10.0) + 1, "b": np.arange(10.0) + 1})  # fmt: skip
    table = findings.classify(checked, influence, loo, flagged, data)
    first, second = table.audit
    assert list(first.claim_id) == ["c1"] and list(second.claim_id) == ["c2"]  # C5 does not matter
    assert list(first.columns) == [*flagged.columns, "slope_if_larger"]
    assert first.slope_if_larger[0] == pytest.approx(
        np.polyfit(np.r_[1.0, 2.0, 4.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], data.y, 1)[0]
    )
    assert math.isnan(second.slope_if_larger[0])  # "something else": no direction to size
    without_data = findings.classify(checked, influence, loo, flagged)
    assert math.isnan(without_data.audit[0].slope_if_larger[0])


def test_the_findings_table_holds_each_pair_as_classified(classified):
    frame = classified.reset_index(drop=True)
    sentences = [f"sentence {i}" for i in range(len(frame))]
    table = findings.table(frame, sentences)
    assert list(table.columns) == contract.FINDINGS_COLUMNS
    for name in (
        "outcome",
        "predictor",
        "n",
        "verdict",
        "r",
        "r_ci_low",
        "r_ci_high",
        "p_primary",
        "p_adjusted",
    ):
        assert table[name].tolist() == frame[name].tolist(), name
    assert table.sentence.tolist() == sentences
    assert table.influential_cities.tolist() == [";".join(c) for c in frame.influential_cities]
    employment_psych = table[(table.predictor == "psychological_support_people")].iloc[0]
    assert employment_psych.influential_cities == "Milano;Bologna"
    assert employment_psych.audit_flags == "c10 Bologna"
    two = frame.iloc[[0]].assign(
        doubted=[pd.DataFrame({"claim_id": ["c1", "c2"], "city": ["A", "B"]})],
        influential_cities=[["A", "B"]],
    )
    assert findings.table(two, ["s"]).audit_flags[0] == "c1 A;c2 B"
    assert findings.table(two, ["s"]).influential_cities[0] == "A;B"


def test_classify_counts_a_flip_only_below_its_own_alpha():
    checked, influence, loo = checked_rows(p_permutation=0.005)
    loo.loc[(loo.predictor == "b") & (loo.dropped_city == "C4"), "slope"] = -0.5
    assert findings.classify(checked, influence, loo).decisive_cities[1] == ["C4"]
    assert findings.classify(checked, influence, loo, alpha=0.001).decisive_cities[1] == []


def test_without_the_doubted_cities_by_hand():
    """Employment and events without Bologna and Torino: r by hand, p over all 8! orderings by brute force."""
    import itertools

    classified = classify_article()
    data = load_clean_data()
    rest = data[~data.city.isin(["Bologna", "Torino"])]
    x, y = list(rest.community_event_participants.astype(float)), list(rest.employment_rate_increase_pct.astype(float))
    r = pearson(x, y)
    hits = sum(abs(pearson(x, list(order))) >= abs(r) - 1e-12 for order in itertools.permutations(y))
    fit = classified.loc[("employment_rate_increase_pct", "community_event_participants")].without_doubted
    assert fit["cities"] == ["Bologna", "Torino"] and fit["n"] == 8
    assert fit["r"] == pytest.approx(r, abs=1e-12)
    assert fit["p"] == pytest.approx(hits / math.factorial(8), abs=1e-12)
    half = 1.959963984540054 / math.sqrt(8 - 3)
    assert fit["r_ci_low"] == pytest.approx(math.tanh(math.atanh(r) - half), abs=1e-12)
    assert fit["r_ci_high"] == pytest.approx(math.tanh(math.atanh(r) + half), abs=1e-12)
    # the primary test on all ten cities is below 0.05, without the doubted figures it is not
    assert classified.loc[("employment_rate_increase_pct", "community_event_participants")].p_primary < 0.05
    assert fit["p"] >= 0.05
    # a pair whose columns the audit does not touch has nothing to leave out
    assert classified.loc[("health_service_access_pct", "training_participants")].without_doubted is None


def test_without_cities_edges():
    keys = {"cities", "n", "r", "r_ci_low", "r_ci_high", "p", "slope", "slope_ci_low", "slope_ci_high"}
    frame = pd.DataFrame(
        {"city": list("ABCDE"), "y": [1.0, 2.0, 3.0, 5.0, 5.0], "x": [1.0, 1.0, 1.0, 2.0, 3.0]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by a zero spread, no warning of any kind
        few = findings.without_cities(frame, "y", "x", ["A", "B", "C"])
        flat_x = findings.without_cities(frame, "y", "x", ["D", "E"])  # x is 1, 1, 1
        flat_y = findings.without_cities(frame.assign(y=[2.0, 2.0, 2.0, 2.0, 2.0]), "y", "x", ["A"])
    for fit, n in ((few, 2), (flat_x, 3), (flat_y, 4)):
        assert set(fit) == keys and fit["n"] == n
        assert all(math.isnan(fit[k]) for k in ("r", "r_ci_low", "r_ci_high", "p"))
    # a small spread (standard deviation below 1) is a spread all the same
    small = findings.without_cities(frame.assign(y=[0.1, 0.2, 0.4, 0.3, 0.5]), "y", "x", ["A"])
    expected = pearson([1.0, 1.0, 2.0, 3.0], [0.2, 0.4, 0.3, 0.5])
    assert set(small) == keys and small["r"] == pytest.approx(expected)
    three = findings.without_cities(frame, "y", "x", ["A", "B"])
    assert three["n"] == 3 and three["r"] == pytest.approx(pearson([1.0, 2.0, 3.0], [3.0, 5.0, 5.0]))


def test_without_cities_by_hand_when_called_directly():
    """The same fit as the classified table's, called here so that this test exercises it itself."""
    data = load_clean_data()
    fit = findings.without_cities(
        data, "employment_rate_increase_pct", "community_event_participants", ["Bologna", "Torino"]
    )
    rest = data[~data.city.isin(["Bologna", "Torino"])]
    x = list(rest.community_event_participants.astype(float))
    y = list(rest.employment_rate_increase_pct.astype(float))
    r = pearson(x, y)
    half = 1.959963984540054 / math.sqrt(8 - 3)
    assert fit["cities"] == ["Bologna", "Torino"] and fit["n"] == 8
    assert fit["r"] == pytest.approx(r, abs=1e-12)
    assert fit["r_ci_low"] == pytest.approx(math.tanh(math.atanh(r) - half), abs=1e-12)
    assert fit["r_ci_high"] == pytest.approx(math.tanh(math.atanh(r) + half), abs=1e-12)
    assert 0.19 < fit["p"] < 0.2  # all 8! orderings, counted in test_without_the_doubted_cities_by_hand


def test_classify_passes_its_seed_to_the_fit_without_the_doubted_cities():
    """Above ten cities the refit's p is sampled: classify's seed, not the default, must reach it."""
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"city": [f"C{i}" for i in range(14)], "x": rng.normal(size=14)})
    data["y"] = 0.8 * data.x + rng.normal(size=14)
    fits = stats.simple_regressions(data, ["y"], ["x"])
    checked = inference.checks(data, fits, seed=11, n_resamples=20_000)
    flagged = pd.DataFrame([{"city": "C3", "field": "x", "value": float(data.x[3]), "claim_id": "c1",
                             "claim": "a claim", "qualifier": "", "reason": "other"}])  # fmt: skip
    fit = findings.classify(
        checked, inference.influence(data, fits), inference.leave_one_out(data, fits), flagged, data, seed=11
    ).without_doubted[0]
    assert fit == findings.without_cities(data, "y", "x", ["C3"], seed=11)
    assert fit["p"] != findings.without_cities(data, "y", "x", ["C3"])["p"]  # the default seed samples others
    # without a seed, classify samples with the documented default, the primary test's seed
    flagged = flagged.set_axis([7])  # a doubted cell's row in the run's table of flagged cells
    default = findings.classify(
        checked, inference.influence(data, fits), inference.leave_one_out(data, fits), flagged, data
    )
    assert default.without_doubted[0] == findings.without_cities(data, "y", "x", ["C3"], seed=20240529)
    # the cities in doubt, numbered from 0 like every table of the run (no old index column)
    assert list(default.doubted[0].columns) == list(flagged.columns)
    assert list(default.doubted[0].index) == [0]


def test_without_cities_samples_with_its_documented_default_seed():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"city": [f"C{i}" for i in range(14)], "x": rng.normal(size=14)})
    frame["y"] = 0.3 * frame.x + rng.normal(size=14)
    rest = frame[frame.city != "C0"]
    sampled = inference.permutation_test(rest.x.to_numpy(), rest.y.to_numpy(), seed=20240529)
    assert findings.without_cities(frame, "y", "x", ["C0"])["p"] == float(np.ravel(sampled.p)[0])


def test_without_cities_passes_its_seed_on_above_ten_cities():
    """Above ten cities the permutation test samples orderings: the seed makes it repeatable."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"city": [f"C{i}" for i in range(14)], "x": rng.normal(size=14)})
    frame["y"] = 0.3 * frame.x + rng.normal(size=14)
    first = findings.without_cities(frame, "y", "x", ["C0"], seed=11)
    again = findings.without_cities(frame, "y", "x", ["C0"], seed=11)
    assert first["p"] == again["p"]
    rest = frame[frame.city != "C0"]
    sampled = inference.permutation_test(rest.x.to_numpy(), rest.y.to_numpy(), seed=11)
    assert first["p"] == float(np.ravel(sampled.p)[0])


def test_findings_table_carries_the_fit_without_the_doubted_cities(classified):
    frame = classified.reset_index(drop=True)
    table = findings.table(frame, ["s"] * len(frame), [f"line {i}" for i in range(len(frame))])
    assert table.bottom_line.tolist() == [f"line {i}" for i in range(len(frame))]
    for row, fit in zip(table.itertuples(index=False), frame.without_doubted, strict=True):
        if fit is None:
            assert pd.isna(row.n_without_flagged) and math.isnan(row.r_without_flagged)
        else:
            assert (row.n_without_flagged, row.r_without_flagged, row.p_without_flagged) == (
                fit["n"], fit["r"], fit["p"]
            )
    assert findings.table(frame, ["s"] * len(frame)).bottom_line.tolist() == [""] * len(frame)
    # the CSV writes a count as a whole number, empty where the audit doubts nothing
    csv = table.to_csv(index=False)
    assert ",c08 Bologna;c09 Torino,8," in csv and ",,,,line " in csv
    # a classified table from before the audit met the findings: the three columns stay empty
    older = findings.table(frame.drop(columns="without_doubted"), ["s"] * len(frame))
    assert older.n_without_flagged.isna().all() and older.p_without_flagged.isna().all()


# ------------------------------------------------------------------ issue 31: the borderline case read right
def test_without_reading_judges_a_set_of_cities_as_one_city():
    """Past max(2/sqrt(n), 0.5) standard errors the estimate itself moves; below it, a p that crosses
    alpha in the smaller sample is lost precision, not dependence."""
    threshold = max(2 / math.sqrt(10), 0.5)
    assert findings.without_reading(threshold + 1e-9, 0.01, 0.001, 10) == "dependence"
    assert findings.without_reading(-(threshold + 1e-9), 0.01, 0.001, 10) == "dependence"
    assert findings.without_reading(threshold, 0.2, 0.001, 10) == "precision"  # at the threshold: not past it
    assert findings.without_reading(0.36, 0.19, 0.006, 10) == "precision"
    assert findings.without_reading(0.36, 0.01, 0.006, 10) == "holds"
    assert findings.without_reading(0.36, 0.19, 0.2, 10) == "holds"  # nothing to lose: p was never below alpha
    # thousands of cities: the floor of 0.5, not 2/sqrt(n), sets the bar
    assert findings.without_reading(0.4, 0.5, 0.001, 10_000) == "precision"
    assert findings.without_reading(0.51, 0.5, 0.001, 10_000) == "dependence"


def test_adjusted_range_and_borderline():
    row = pd.Series({"p_westfall_young": 0.053, "p_westfall_young_minp": 0.042, "p_holm": 0.047})
    low, high = findings.adjusted_range(row)
    assert (low, high) == (0.042, 0.053)
    assert findings.is_borderline(0.053, low, high)  # on both sides of 0.05, and within 0.04-0.06
    assert findings.is_borderline(0.2, 0.04, 0.2)  # methods disagree, however far the declared one is
    assert findings.is_borderline(0.06, 0.06, 0.06) and findings.is_borderline(0.04, 0.04, 0.04)
    assert not findings.is_borderline(0.061, 0.061, 0.07)
    assert not findings.is_borderline(0.039, 0.01, 0.039)
    assert findings.is_borderline(0.03, 0.03, 0.05)  # the upper end reaches alpha: both sides
    # a method that was not computed (NaN) is left out of the range
    missing = pd.Series({"p_westfall_young": math.nan, "p_westfall_young_minp": math.nan, "p_holm": 0.3})
    assert findings.adjusted_range(missing) == (0.3, 0.3)
    nothing = pd.Series({"p_westfall_young": math.nan, "p_westfall_young_minp": math.nan, "p_holm": math.nan})
    assert all(math.isnan(v) for v in findings.adjusted_range(nothing))


def test_scale_sensitivity_from_the_curve():
    def curve(count, per, log):
        rows = [("count", count), ("per_10k_residents", per), ("log", log)]
        return pd.DataFrame([{"outcome": "y", "predictor": "x", "scale": scale, "sample": "all",
                              "estimator": "ols", "estimate": value} for scale, value in rows]
                            + [{"outcome": "y", "predictor": "x", "scale": "per_10k_residents",
                                "sample": "without_A", "estimator": "ols", "estimate": -5.0}])
    assert findings.scale_sensitivity(curve(0.62, 0.04, 0.6), "y", "x")
    assert findings.scale_sensitivity(curve(0.5, 0.8, 0.5), "y", "x")  # exactly 0.3 counts
    assert not findings.scale_sensitivity(curve(0.78, 0.82, 0.80), "y", "x")
    assert not findings.scale_sensitivity(curve(0.5, 0.79, math.nan), "y", "x")  # other samples never count
    assert not findings.scale_sensitivity(curve(0.5, 0.5, 0.5).iloc[1:], "y", "x")  # no count scale: nothing to compare


def test_the_borderline_pair_of_the_article(classified):
    """r = 0.78: maxT 0.053, minP 0.042, Holm 0.047; a similar slope without Bologna and Torino."""
    events = classified.loc[("employment_rate_increase_pct", "community_event_participants")]
    assert events.borderline
    assert events.p_adjusted_min == pytest.approx(events.p_westfall_young_minp)
    assert events.p_adjusted_max == pytest.approx(events.p_westfall_young)
    assert 0.041 < events.p_adjusted_min < 0.043 and 0.052 < events.p_adjusted_max < 0.053
    # the slope without the doubted cities, by numpy's own least squares and t interval
    data = load_clean_data()
    rest = data[~data.city.isin(["Bologna", "Torino"])]
    x, y = rest.community_event_participants.to_numpy(float), rest.employment_rate_increase_pct.to_numpy(float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    se = math.sqrt(residual @ residual / (len(x) - 2) / ((x - x.mean()) @ (x - x.mean())))
    t = 2.446911851144969  # t(0.975, 6)
    fit = events.without_doubted
    assert fit["slope"] == pytest.approx(slope, rel=1e-12)
    assert (fit["slope_ci_low"], fit["slope_ci_high"]) == pytest.approx((slope - t * se, slope + t * se), rel=1e-9)
    full_slope = np.polyfit(data.community_event_participants.astype(float), data.employment_rate_increase_pct, 1)[0]
    assert events.without_shift == pytest.approx((full_slope - slope) / events.slope_se, rel=1e-9)
    assert 0.35 < events.without_shift < 0.37
    assert events.without_reading == "precision"
    # every other pair is inconclusive, and none is called borderline
    others = classified.drop(index=("employment_rate_increase_pct", "community_event_participants"))
    assert set(others.verdict) == {"inconclusive"} and not others.borderline.any()


def test_only_rules_with_the_power_to_weaken_may_weaken():
    checked, influence, loo = checked_rows(p_wild_bootstrap=0.2)
    calibration = pd.DataFrame([
        {"outcome": "y", "predictor": "a", "scenario": "observed", "may_weaken": "classic;hc2;rank;wild;city"},
        {"outcome": "y", "predictor": "b", "scenario": "observed", "may_weaken": "classic;rank"},
        {"outcome": "y", "predictor": "b", "scenario": "null", "may_weaken": "wild"},
    ])  # fmt: skip
    table = findings.classify(checked, influence, loo, calibration=calibration)
    # pair b: the wild bootstrap disagrees but cannot weaken it, so nothing stops a consistent verdict
    assert table.disagreeing[1] == ["wild"] and table.weakening[1] == [] and table.verdict[1] == "consistent"
    assert table.may_weaken[1] == ["classic", "rank"]
    # the same pair with every rule allowed, as without a calibration: the wild bootstrap weakens it
    assert findings.classify(checked, influence, loo).verdict[1] == "tentative"
    # the one-city rule likewise: a deciding city weakens only where the calibration allows it
    loo.loc[(loo.predictor == "b") & (loo.dropped_city == "C4"), "slope"] = -0.5
    assert findings.classify(checked, influence, loo, calibration=calibration).decisive_counted[1] == []
    allowed = calibration.assign(may_weaken=["", "classic;city", ""])
    judged = findings.classify(checked, influence, loo, calibration=allowed)
    assert judged.decisive_counted[1] == ["C4"] and judged.verdict[1] == "tentative"
    assert judged.may_weaken[0] == []  # an empty list: nothing may weaken pair a
    table = findings.table(judged, ["s", "s"])
    assert table.may_weaken.tolist() == ["", "classic;city"]


def test_the_findings_table_carries_issue_31s_columns(classified):
    frame = classified.reset_index(drop=True)
    table = findings.table(frame, ["s"] * len(frame))
    for column in ("p_adjusted_min", "p_adjusted_max", "borderline", "scale_sensitive"):
        assert table[column].tolist() == frame[column].tolist(), column
    assert table.without_flagged_reading.tolist() == frame.without_reading.tolist()
    for row, fit in zip(table.itertuples(index=False), frame.without_doubted, strict=True):
        if fit is None:
            assert math.isnan(row.slope_without_flagged) and row.without_flagged_reading == ""
        else:
            assert (row.slope_without_flagged, row.slope_ci_low_without_flagged,
                    row.slope_ci_high_without_flagged) == (fit["slope"], fit["slope_ci_low"], fit["slope_ci_high"])


def test_without_an_audit_the_columns_without_the_doubted_cities_are_empty_numbers():
    """No pair has a doubted city: n is missing, r, p and the slopes are NaN floats (not None)."""
    checked, influence, loo = checked_rows()
    classified = findings.classify(checked, influence, loo)
    written = findings.table(classified, ["s"] * len(classified))
    assert written.n_without_flagged.isna().all()
    for column in ("r_without_flagged", "p_without_flagged", "slope_without_flagged",
                   "slope_ci_low_without_flagged", "slope_ci_high_without_flagged"):
        assert written[column].dtype == float and written[column].isna().all(), column
