"""Doubted figures as bounds: how far a figure must move before the primary test changes its answer.

The claims audit doubts some of the table's figures because the article's text
gives the same number for only a part of what the column counts ("more than
10,000" at one festival, against the column of every community event). Such a
figure is a *lower bound*: the true total can only be larger. Deleting the city
throws that knowledge away; bounding keeps it. For each doubted figure of a pair
whose primary p is below alpha, this module finds the first value, moving from the
printed one in the direction the doubt allows, in whole units, at which the pair's
primary (unadjusted) permutation p reaches alpha, searching up to
:data:`SEARCH_MULTIPLE` times the printed figure.

It is computed exactly, by the primary test itself, with no bisection (p need not
be monotone in the figure, so a bisection could miss a crossing). With the figure
of row j set to v, the permutation statistic of every ordering is linear in v:
``S(v) = A + v B`` (for the predictor, ``A`` is the sum over the other rows and
``B`` the centred outcome that the ordering puts at row j; for the outcome, the
roles swap). An ordering is at least as extreme as the observed one when
``|A + vB| >= |A0 + vB0|``, that is when ``(L1 = (A - A0) + v(B - B0))`` and
``(L2 = (A + A0) + v(B + B0))`` have the same sign (or one is zero). Each is a
half-line in v, so each ordering counts on at most two intervals of whole numbers,
and p(v) is a step function whose steps are read off the sorted interval ends.
With whole-number data (every figure of the article, after a power of ten at most)
the arithmetic is done in integers, so ties count exactly as the test counts them.

Numbers only: the sentences live in the report's words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import contract
from helpers.inference import (
    EXACT_PERMUTATION_LIMIT,
    MONTE_CARLO_PERMUTATIONS,
    orderings,
    permutation_method,
    permutation_test,
)

ALPHA = 0.05
#: The search for a crossing stops at this multiple of the printed figure.
SEARCH_MULTIPLE = 100
#: The direction in which each kind of doubt lets the true figure lie ("part": the table
#: may record only a part of the total, so the total is at least the printed figure).
DIRECTIONS = {"part": "up"}
#: Codes of :data:`TIPPING_COLUMNS`' ``status``.
STATUSES = ("crosses", "holds", "no direction", "not computed")
#: Most decimal places a figure may have for the arithmetic to stay in whole numbers.
MAX_DECIMALS = 6
TIPPING_COLUMNS = contract.TIPPING_COLUMNS


@dataclass(frozen=True)
class StepFunction:
    """p as a function of one figure, on the whole numbers from ``low`` to ``high``.

    ``starts`` (sorted, ``starts[0] == low``) and ``values``: p is ``values[i]`` on
    ``starts[i] <= v < starts[i + 1]`` (the last step runs to ``high``).
    """

    low: int
    high: int
    starts: np.ndarray
    values: np.ndarray

    def at(self, v: int | np.ndarray) -> np.ndarray:
        """P at whole number(s) ``v`` within ``[low, high]``."""
        v = np.asarray(v)
        if np.any((v < self.low) | (v > self.high)):
            raise ValueError(f"v must lie within [{self.low}, {self.high}]")
        return self.values[np.searchsorted(self.starts, v, side="right") - 1]

    def first_at_least(self, alpha: float, direction: str, start: int) -> int | None:
        """The first whole number from ``start``, going ``direction``, where p >= alpha (None: none)."""
        reached = self.values >= alpha
        if direction == "up":
            # the step holding ``start`` and every step after it
            first = int(np.searchsorted(self.starts, start, side="right") - 1)
            hits = np.flatnonzero(reached[first:])
            if not hits.size:
                return None
            step = first + int(hits[0])
            return max(int(self.starts[step]), start)
        last = int(np.searchsorted(self.starts, start, side="right") - 1)
        hits = np.flatnonzero(reached[: last + 1])
        if not hits.size:
            return None
        step = int(hits[-1])
        return start if step == last else int(self.starts[step + 1]) - 1


def _whole(values: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``values`` times the smallest power of ten that makes them whole, with that power; None if none does."""
    for decimals in range(MAX_DECIMALS + 1):
        scaled = values * 10**decimals
        whole = np.round(scaled)
        if np.all(np.abs(scaled - whole) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return whole.astype(np.int64), 10**decimals
    return None


def _half_line(d: np.ndarray, e: np.ndarray, low: int, high: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """The whole numbers v in ``[low, high]`` with ``d + e v >= 0``, as ``(start, end)`` (empty: start > end)."""
    start = np.full(d.shape, low, dtype=np.int64)
    end = np.full(d.shape, high, dtype=np.int64)
    up, down = e > 0, e < 0
    if exact:
        # ceil(-d / e) = -floor(d / e) for e > 0; floor(-d / e) = floor(d / -e) for e < 0
        start[up] = np.maximum(low, -(d[up] // e[up]))
        end[down] = np.minimum(high, d[down] // -e[down])
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            root = -d / e
        snapped = np.where(np.abs(root - np.round(root)) <= 1e-9 * np.maximum(1.0, np.abs(root)), np.round(root), root)
        start[up] = np.maximum(low, np.ceil(snapped[up]).clip(low, high + 1).astype(np.int64))
        end[down] = np.minimum(high, np.floor(snapped[down]).clip(low - 1, high).astype(np.int64))
    flat = e == 0
    empty = flat & (d < 0)
    start[empty], end[empty] = high + 1, high
    return start, end


def _net_steps(positions: np.ndarray, deltas: np.ndarray, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct positions of ``positions`` (all in ``[low + 1, high]``) and the sum of ``deltas`` at each.

    A range no wider than the number of events is tallied by counting (linear time,
    and most of the sweep's cost for ten cities: 6 x 10! events); a wider one by
    sorting. Both give the same exact integers.
    """
    if positions.size and high - low <= positions.size:  # memory: no more than sorting would take
        index = positions - (low + 1)
        tally = np.bincount(index, weights=deltas, minlength=high - low)
        seen = np.zeros(high - low, dtype=bool)
        seen[index] = True
        where = np.flatnonzero(seen)
        return where + (low + 1), np.rint(tally[where]).astype(np.int64)
    where, inverse = np.unique(positions, return_inverse=True)
    return where, np.bincount(inverse, weights=deltas, minlength=where.size).astype(np.int64)


def p_function(
    x: np.ndarray,
    y: np.ndarray,
    row: int,
    column: str,
    low: int,
    high: int,
    *,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
    exact_limit: int = EXACT_PERMUTATION_LIMIT,
) -> StepFunction:
    """The primary test's p as the figure at ``row`` of ``column`` ("predictor" or "outcome") runs over ``[low, high]``.

    The test is :func:`helpers.inference.permutation_test` of r, on the same orderings
    (every ordering up to ``exact_limit`` rows, else the ``n_resamples`` seeded
    random ones, p = (hits + 1) / (n_resamples + 1)). The random-subgroup test of
    thousands of cities has no list of orderings: ValueError.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if column not in ("predictor", "outcome"):
        raise ValueError(f"column must be 'predictor' or 'outcome', not {column!r}")
    if not 0 <= row < n or low > high:
        raise ValueError("row must index the data and low must not exceed high")
    whole_x, whole_y = _whole(x), _whole(y)
    exact = whole_x is not None and whole_y is not None
    (xs, fx), (ys, fy) = (whole_x, whole_y) if exact else ((x, 1), (y, 1))
    factor = fx if column == "predictor" else fy  # v in the printed units, times the column's power of ten
    if column == "predictor":
        fixed = xs.copy()
        fixed[row] = 0
        moving = n * ys - ys.sum()  # centred outcome, times n: whole numbers stay whole
    else:
        fixed = n * xs - xs.sum()
        moving = ys.copy()
        moving[row] = 0
    # every term of the sweep stays far inside int64 (and exact in float64 for the bound itself)
    largest = float(np.abs(fixed).sum() * np.abs(moving).max()
                    + factor * max(abs(low), abs(high)) * max(np.abs(fixed).max(), np.abs(moving).max()))
    exact = exact and 2 * largest < 2.0**62
    dtype = np.int64 if exact else float
    fixed, moving = fixed.astype(dtype), moving.astype(dtype)
    factor = int(factor) if exact else float(factor)
    identity = np.arange(n)

    def terms(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if column == "predictor":  # S = sum_i x_i Yc[pi(i)], with x_row = v
            permuted = moving[block]
            return permuted @ fixed, factor * permuted[:, row]
        # S = sum_i Xc_i y[pi(i)], with y_row = v: v meets Xc at the position pi sends to row
        return moving[block] @ fixed, factor * (fixed * (block == row)).sum(axis=1)

    a0, b0 = (t[0] for t in terms(identity[None, :]))
    method, total, blocks = orderings(n, seed=seed, n_resamples=n_resamples, exact_limit=exact_limit)
    base = 0
    events: list[tuple[np.ndarray, np.ndarray]] = []
    for block in blocks:
        a, b = terms(block)
        d1, e1, d2, e2 = a - a0, b - b0, a + a0, b + b0
        s1p, t1p = _half_line(d1, e1, low, high, exact)
        s1n, t1n = _half_line(-d1, -e1, low, high, exact)
        s2p, t2p = _half_line(d2, e2, low, high, exact)
        s2n, t2n = _half_line(-d2, -e2, low, high, exact)
        same = (np.maximum(s1p, s2p), np.minimum(t1p, t2p))  # L1 >= 0 and L2 >= 0
        opposite = (np.maximum(s1n, s2n), np.minimum(t1n, t2n))  # L1 <= 0 and L2 <= 0
        both = (np.maximum(same[0], opposite[0]), np.minimum(same[1], opposite[1]))  # L1 = L2 = 0
        for (start, end), sign in ((same, 1), (opposite, 1), (both, -1)):
            kept = start <= end
            start, end = start[kept], end[kept]
            base += sign * int(np.count_nonzero(start == low))
            inner = start[start > low]
            closing = end[end < high] + 1
            events.append((np.concatenate([inner, closing]),
                           np.concatenate([np.full(inner.size, sign), np.full(closing.size, -sign)])))
    positions = np.concatenate([e[0] for e in events]) if events else np.zeros(0, dtype=np.int64)
    deltas = np.concatenate([e[1] for e in events]) if events else np.zeros(0, dtype=np.int64)
    where, steps = _net_steps(positions, deltas, low, high)
    starts = np.concatenate([[low], where]).astype(np.int64)
    counts = base + np.concatenate([[0], np.cumsum(steps)])
    values = (counts + 1) / (total + 1) if method == "monte carlo" else counts / total
    return StepFunction(int(low), int(high), starts, values)


def search_range(printed: float, direction: str) -> tuple[int, int]:
    """The whole numbers searched: up to :data:`SEARCH_MULTIPLE` times the printed figure, or down to zero."""
    base = int(round(printed))
    if direction == "up":
        return base, max(base, int(math.floor(printed * SEARCH_MULTIPLE)))
    return 0, base


def tipping_points(
    data: pd.DataFrame,
    pairs: Iterable[tuple[str, str]],
    flagged: pd.DataFrame,
    *,
    alpha: float = ALPHA,
    seed: int = 20240529,
    n_resamples: int = MONTE_CARLO_PERMUTATIONS,
    city: str = "city",
) -> pd.DataFrame:
    """One row per figure the audit doubts in a pair whose primary p is below ``alpha`` (:data:`TIPPING_COLUMNS`).

    ``data`` holds the analysed values (the figures as printed, on the count scale);
    ``flagged`` comes from :func:`helpers.audit.flagged_cells`, one row per doubted
    cell and claim, its ``reason`` giving the direction (:data:`DIRECTIONS`; a reason
    with none is listed with an empty direction). ``status``: ``crosses`` (p reaches
    alpha at ``tipping_value``), ``holds`` (not within the searched range, up to
    ``searched_to``; ``p_max_searched`` is the largest p met), ``no direction``, or
    ``not computed`` (the test of thousands of cities scores a random subgroup of
    orderings, which has no list to sweep). ``p_printed`` is the pair's primary p, counted exactly at
    the printed figures.
    """
    rows = []
    for outcome, predictor in pairs:
        cells = flagged[flagged.field.isin([outcome, predictor])].sort_values(["claim_id", "city"], kind="stable")
        if cells.empty:
            continue
        fitted = data[[city, outcome, predictor]].dropna().reset_index(drop=True)
        x, y = fitted[predictor].to_numpy(float), fitted[outcome].to_numpy(float)
        n = len(fitted)
        method, _count = permutation_method(n, n_resamples)
        screen_p = math.nan  # a lower bound of the pair's primary p (ties not counted), before its first sweep
        for cell in cells.itertuples(index=False):
            at = np.flatnonzero(fitted[city].to_numpy() == cell.city)
            if len(at) != 1:
                continue
            column = "predictor" if cell.field == predictor else "outcome"
            printed = float((x if column == "predictor" else y)[at[0]])
            direction = DIRECTIONS.get(cell.reason, "")
            row = {
                "outcome": outcome, "predictor": predictor, "city": cell.city, "field": cell.field,
                "claim_id": cell.claim_id, "printed": printed, "direction": direction,
                "tipping_value": math.nan, "p_printed": math.nan, "status": "not computed",
                "searched_to": math.nan, "p_max_searched": math.nan,
            }
            if method == "random-subgroup" or printed != round(printed):
                rows.append(row)
                continue
            if math.isnan(screen_p):
                screen = permutation_test(x, y, seed=seed, n_resamples=n_resamples, family=False, ties=False)
                screen_p = float(np.ravel(screen.p)[0])
            if not screen_p < alpha:
                continue  # a lower bound of the pair's p at or above alpha: no figure of it can count, no sweep
            low, high = search_range(printed, direction or "up")
            curve = p_function(x, y, int(at[0]), column, low, high if direction else low,
                               seed=seed, n_resamples=n_resamples)
            p_printed = float(curve.at(int(round(printed))))
            if not p_printed < alpha:
                continue  # only pairs whose primary p is below alpha
            row["p_printed"] = p_printed
            if not direction:
                row["status"] = "no direction"
                rows.append(row)
                continue
            found = curve.first_at_least(alpha, direction, int(round(printed)))
            row["searched_to"] = high if direction == "up" else low
            row["p_max_searched"] = float(curve.values.max())
            row["status"] = "holds" if found is None else "crosses"
            row["tipping_value"] = math.nan if found is None else float(found)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=TIPPING_COLUMNS)
    return frame.astype({"printed": float, "tipping_value": float, "p_printed": float,
                         "searched_to": float, "p_max_searched": float})
