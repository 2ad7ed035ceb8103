"""Doubted figures as bounds: p as a step function of one figure, checked by brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from helpers import inference, tipping
from helpers.cleaning import load_clean_data

from .conftest import shared_scope

#: Six cities of whole-number data: 720 orderings, few enough to count one by one.
X = [3, 7, 1, 12, 5, 9]
Y = [20, 35, 15, 50, 30, 25]


def brute_p(x, y) -> float:
    """The exact permutation p of |r|, counted over every ordering in exact rational arithmetic.

    With Yc = n*y - sum(y) every |sum x_i Yc_pi(i)| is a whole number, so ties are exact.
    """
    n = len(y)
    yc = [n * v - sum(y) for v in y]
    observed = abs(sum(a * b for a, b in zip(x, yc, strict=True)))
    perms = list(itertools.permutations(range(n)))
    hits = sum(abs(sum(x[i] * yc[p[i]] for i in range(n))) >= observed for p in perms)
    return hits / len(perms)


def with_value(values, row, v):
    changed = list(values)
    changed[row] = v
    return changed


@pytest.mark.parametrize("row", [0, 3, 5])
def test_p_as_a_function_of_a_predictor_figure_by_brute_force(row):
    low, high = 0, 60
    curve = tipping.p_function(np.array(X, float), np.array(Y, float), row, "predictor", low, high)
    for v in range(low, high + 1):
        assert curve.at(v) == pytest.approx(brute_p(with_value(X, row, v), Y), abs=1e-12), v
    assert curve.starts[0] == low and list(curve.starts) == sorted(curve.starts)


@pytest.mark.parametrize("row", [1, 4])
def test_p_as_a_function_of_an_outcome_figure_by_brute_force(row):
    low, high = 0, 80
    curve = tipping.p_function(np.array(X, float), np.array(Y, float), row, "outcome", low, high)
    for v in range(low, high + 1):
        assert curve.at(v) == pytest.approx(brute_p(X, with_value(Y, row, v)), abs=1e-12), v


@pytest.mark.parametrize("width", [50, 10**7])
def test_the_sweep_tallies_its_events_by_counting_or_by_sorting_alike(width):
    """A narrow range is tallied by counting, a wide one by sorting: both as a plain dictionary tallies."""
    rng = np.random.default_rng(width)
    low = -7
    positions = rng.integers(low + 1, low + width + 1, 400)
    deltas = rng.choice([-1, 1], 400)
    expected: dict[int, int] = {}
    for at, delta in zip(positions.tolist(), deltas.tolist(), strict=True):
        expected[at] = expected.get(at, 0) + delta
    where, steps = tipping._net_steps(positions, deltas, low, low + width)
    assert where.tolist() == sorted(expected) and steps.tolist() == [expected[k] for k in sorted(expected)]
    assert steps.dtype == np.int64
    empty = tipping._net_steps(np.zeros(0, np.int64), np.zeros(0, np.int64), low, low + width)
    assert [a.size for a in empty] == [0, 0]


def test_a_wide_sweep_agrees_with_brute_force_at_every_step():
    """A range far wider than the events (tallied by sorting): p by brute force where it steps and just before."""
    x, y = np.array(X, float), np.array(Y, float)
    curve = tipping.p_function(x, y, 3, "predictor", 0, 10**6)
    checked = sorted({int(s) for s in curve.starts} | {int(s) - 1 for s in curve.starts[1:]} | {10**6})
    for v in checked:
        assert curve.at(v) == pytest.approx(brute_p(with_value(X, 3, v), Y), abs=1e-12), v


def test_the_first_crossing_up_and_down_by_scanning_every_value():
    x, y = np.array(X, float), np.array(Y, float)
    for row in range(6):
        curve = tipping.p_function(x, y, row, "predictor", 0, 100)
        ps = {v: brute_p(with_value(X, row, v), Y) for v in range(0, 101)}
        start = X[row]
        for alpha in (0.05, 0.2, 0.5):
            up = next((v for v in range(start, 101) if ps[v] >= alpha), None)
            down = next((v for v in range(start, -1, -1) if ps[v] >= alpha), None)
            assert curve.first_at_least(alpha, "up", start) == up, (row, alpha)
            assert curve.first_at_least(alpha, "down", start) == down, (row, alpha)


def test_figures_with_decimals_are_scaled_to_whole_numbers_and_exact():
    """One decimal on the outcome: tenths are whole numbers after a power of ten."""
    y = [2.5, 3.5, 1.5, 5.5, 3.0, 2.0]
    curve = tipping.p_function(np.array(X, float), np.array(y), 2, "predictor", 0, 40)
    tenths = [round(v * 10) for v in y]
    for v in range(0, 41):
        assert curve.at(v) == pytest.approx(brute_p(with_value(X, 2, v), tenths), abs=1e-12)


def test_figures_no_power_of_ten_makes_whole_are_swept_in_floating_point():
    y = [math.pi, math.e, 1.5 ** 0.5, 7.25, 2.0 ** 0.5, 3.3]
    curve = tipping.p_function(np.array(X, float), np.array(y), 0, "predictor", 0, 30)
    for v in range(0, 31):
        expected = float(np.ravel(inference.permutation_test(np.array(with_value(X, 0, v), float),
                                                             np.array(y)).p)[0])
        assert curve.at(v) == pytest.approx(expected, abs=1e-12), v


def test_monte_carlo_orderings_are_the_primary_tests_own():
    """Above the exact limit the sweep scores the same seeded orderings as the test: the same p at every value."""
    rng = np.random.default_rng(7)
    x = rng.integers(0, 50, size=13).astype(float)
    y = (x * 2 + rng.integers(0, 30, size=13)).astype(float)
    curve = tipping.p_function(x, y, 4, "predictor", 0, 200, seed=11, n_resamples=500)
    for v in (0, 17, 48, 121, 200):
        changed = x.copy()
        changed[4] = v
        expected = float(np.ravel(inference.permutation_test(changed, y, seed=11, n_resamples=500).p)[0])
        assert curve.at(v) == pytest.approx(expected, abs=1e-12), v


def test_step_function_refuses_values_outside_its_range_and_bad_arguments():
    curve = tipping.p_function(np.array(X, float), np.array(Y, float), 0, "predictor", 2, 5)
    with pytest.raises(ValueError, match="within"):
        curve.at(6)
    with pytest.raises(ValueError, match="column"):
        tipping.p_function(np.array(X, float), np.array(Y, float), 0, "input", 2, 5)
    with pytest.raises(ValueError, match="row"):
        tipping.p_function(np.array(X, float), np.array(Y, float), 6, "predictor", 2, 5)


@pytest.fixture(scope=shared_scope)
def article_bounds():
    data = load_clean_data()
    flagged = pd.DataFrame([
        {"city": "Bologna", "field": "community_event_participants", "value": 10_000.0, "claim_id": "c08",
         "claim": "x", "qualifier": "over", "reason": "part"},
        {"city": "Torino", "field": "community_event_participants", "value": 300.0, "claim_id": "c09",
         "claim": "x", "qualifier": "", "reason": "part"},
        {"city": "Bologna", "field": "psychological_support_people", "value": 500.0, "claim_id": "c10",
         "claim": "x", "qualifier": "over", "reason": "part"},
    ])  # fmt: skip
    pairs = [("employment_rate_increase_pct", x) for x in ("community_event_participants",
                                                           "psychological_support_people")]
    return data, tipping.tipping_points(data, pairs, flagged)


def test_the_article_doubted_figures_as_bounds(article_bounds):
    data, bounds = article_bounds
    assert list(bounds.columns) == tipping.TIPPING_COLUMNS
    # employment ~ psychological support has p = 0.96: not a pair whose doubted figures matter
    assert set(bounds.predictor) == {"community_event_participants"}
    rows = bounds.set_index("city")
    x = data.community_event_participants.to_numpy(float)
    y = data.employment_rate_increase_pct.to_numpy(float)
    primary = float(np.ravel(inference.permutation_test(x, y).p)[0])
    assert (rows.p_printed == primary).all()
    # Bologna's 10,000 as a lower bound: raising it only lowers p, up to 100 times the figure
    bologna = rows.loc["Bologna"]
    assert (bologna.direction, bologna.status, bologna.searched_to) == ("up", "holds", 1_000_000)
    assert math.isnan(bologna.tipping_value) and bologna.p_max_searched == pytest.approx(primary)
    # Torino's 300: p first reaches 0.05 at 4,875, checked by the primary test on either side
    torino = rows.loc["Torino"]
    assert (torino.direction, torino.status, torino.tipping_value) == ("up", "crosses", 4875)
    city = list(data.city).index("Torino")
    for v, below in ((4874, True), (4875, False)):
        changed = x.copy()
        changed[city] = v
        p = float(np.ravel(inference.permutation_test(changed, y).p)[0])
        assert (p < 0.05) == below, v


def test_doubts_without_a_direction_and_tests_without_orderings(monkeypatch):
    data = pd.DataFrame({"city": list("ABCDEF"), "y": [float(v) for v in Y], "x": [float(v) for v in X]})
    flagged = pd.DataFrame([
        {"city": "D", "field": "x", "value": 12.0, "claim_id": "k1", "claim": "x", "qualifier": "", "reason": "other"},
        {"city": "B", "field": "y", "value": 35.0, "claim_id": "k2", "claim": "x", "qualifier": "", "reason": "part"},
        {"city": "Z", "field": "x", "value": 1.0, "claim_id": "k3", "claim": "x", "qualifier": "", "reason": "part"},
    ])  # fmt: skip
    primary = brute_p(X, Y)
    found = tipping.tipping_points(data, [("y", "x")], flagged, alpha=0.5)
    assert primary < 0.5
    rows = found.set_index("claim_id")
    assert list(rows.index) == ["k1", "k2"]  # a city not in the data is skipped
    assert (rows.loc["k1", "direction"], rows.loc["k1", "status"]) == ("", "no direction")
    assert rows.loc["k1", "p_printed"] == pytest.approx(primary)
    assert rows.loc["k2", "direction"] == "up"
    # an outcome figure as a lower bound, checked by brute force from the printed value up
    expected = next((v for v in range(35, 3501) if brute_p(X, with_value(Y, 1, v)) >= 0.5), None)
    got = rows.loc["k2", "tipping_value"]
    assert (None if math.isnan(got) else int(got)) == expected
    # the primary p at or above alpha: nothing to bound
    assert tipping.tipping_points(data, [("y", "x")], flagged, alpha=primary).empty
    # thousands of cities score a random subgroup of orderings: listed, not computed
    monkeypatch.setattr(tipping, "permutation_method", lambda n, resamples: ("random-subgroup", 0))
    skipped = tipping.tipping_points(data, [("y", "x")], flagged, alpha=0.5)
    assert set(skipped.status) == {"not computed"} and skipped.p_printed.isna().all()


def test_the_screen_never_drops_a_figure_the_exact_count_keeps():
    """Near-ties: |r| within 1e-9 of the observed one. The exact sweep does not count them, so its p can be
    below alpha where the primary test's (which counts them) is not; the row must still be printed."""
    x = [1e9, 1e9 + 1, 2e9, 2e9 + 1, 3e9, 3e9 + 1, 5e9]
    y = [0.0, 15.0, 20.0, 23.0, 23.0, 25.0, 29.0]
    data = pd.DataFrame({"city": list("ABCDEFG"), "y": y, "x": x})
    flagged = pd.DataFrame([{"city": "B", "field": "y", "value": 15.0, "claim_id": "k1", "claim": "y",
                             "qualifier": "", "reason": "part"}])  # fmt: skip
    curve = tipping.p_function(np.array(x), np.array(y), 1, "outcome", 15, 15)
    primary = inference.permutation_test(np.array(x), np.array(y), family=False).p[0]
    assert curve.at(15) < 0.05 <= primary  # the two counts part here
    found = tipping.tipping_points(data, [("y", "x")], flagged)
    assert list(found.claim_id) == ["k1"] and found.p_printed[0] == pytest.approx(curve.at(15))


def test_the_search_range():
    assert tipping.search_range(300, "up") == (300, 30_000)
    assert tipping.search_range(10_000, "down") == (0, 10_000)
