"""How often the verdict rules give each verdict: the rules calibrated on this design by simulation.

A rule that weakens a verdict is only useful if it can tell a true association from
chance. With ten cities and one city of high leverage, a check may lack the power
to confirm even a true association, and a one-city rule may fire whatever the
truth. So before any verdict, one general rule decides which checks (and the city
rule) may weaken it:

    **A check or rule may weaken a verdict only if, when the pair's association is
    as observed, it confirms it at least** :data:`RELATIVE_POWER` **(80 %) as often
    as the primary test detects it.**

A check *confirms* when its p-value is below alpha (the rank correlation also with
the same sign); the city rule confirms when no city decides the pair. The rule is
applied to every check and to the city rule alike, pair by pair.

The simulation, per pair and per scenario, in :data:`REPLICATES` seeded replicates:

* ``observed``: the pair's outcome is redrawn from its fitted line plus normal errors
  with the fit's residual standard deviation, rounded as the published figures are
  (whole numbers for the article); ``null``: the same with a slope of zero;
* the inputs and every other outcome stay as observed, so the family adjustment
  sees the same family as the run;
* every rule of the run is applied: the primary permutation test (over
  :data:`PERMUTATIONS` random orderings shared by the replicates; an ordering set
  that does not depend on the data keeps each replicate's test exact at its level),
  the family adjustment (maxT on the same orderings, or Holm), the classic t test,
  HC2 on Bell-McCaffrey degrees of freedom, the rank correlation (on the same
  orderings, or its t approximation above ten cities), the wild bootstrap (every
  sign vector up to twelve cities, else :data:`WILD_DRAWS` shared random ones) and
  the city rule (|DFBETAS| above max(2/sqrt(n), 0.5), or a slope that turns round
  without one city when p < alpha). HC3 is simulated too, for the record.

Each share then carries a Monte-Carlo error of at most 0.5 / sqrt(replicates)
(1.6 points for 1,000). Above :data:`FULL_LIMIT` cities fewer replicates are run
(never fewer than :data:`MIN_REPLICATES`), and above :data:`CITY_LIMIT` none:
the rows say ``simulations`` 0.

Numbers only: the sentences live in the report's words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from helpers import contract
from helpers.findings import ALPHA, CHECKS, RULES, decision_threshold, verdict
from helpers.inference import (
    EXACT_PERMUTATION_LIMIT,
    TIE_TOLERANCE,
    WILD_EXACT_LIMIT,
    bell_mccaffrey_df,
    holm,
    wild_bootstrap_pvalues,
)

#: A check or rule may weaken a verdict only if it confirms a true association of the
#: observed size at least this share as often as the primary test detects it.
RELATIVE_POWER = 0.8
#: Replicates per pair and scenario, up to :data:`FULL_LIMIT` cities.
REPLICATES = 1_000
#: Random orderings of the permutation tests inside each replicate.
PERMUTATIONS = 999
#: Random sign vectors of the wild bootstrap above its exact limit.
WILD_DRAWS = 199
#: Above this many cities the replicates shrink in proportion, to :data:`MIN_REPLICATES`.
FULL_LIMIT = 50
MIN_REPLICATES = 100
#: Above this many cities nothing is simulated (the rows say ``simulations`` 0).
CITY_LIMIT = 500
#: Replicates scored at once (memory: replicates x orderings x cities values).
CHUNK = 50
SCENARIOS = ("observed", "null")
CALIBRATION_COLUMNS = contract.CALIBRATION_COLUMNS


def replicates_for(n: int, replicates: int = REPLICATES) -> int:
    """How many replicates a sample of n cities gets: all up to FULL_LIMIT, fewer above, none past CITY_LIMIT."""
    if n > CITY_LIMIT:
        return 0
    if n <= FULL_LIMIT:
        return replicates
    return max(MIN_REPLICATES, int(replicates * FULL_LIMIT / n))


def decimals_of(values: np.ndarray, most: int = 6) -> int:
    """The decimal places the figures are published with: the fewest that write every value exactly."""
    values = np.asarray(values, dtype=float)
    for places in range(most + 1):
        scaled = values * 10**places
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return places
    return most


def eligible(powers: dict[str, float], city_rule_rate: float, power_primary: float) -> list[str]:
    """The checks and rules (names of :data:`RULES`) that may weaken a verdict, by the general rule.

    >>> eligible({"classic": 0.9, "hc2": 0.5, "rank": 0.75, "wild": 0.5}, 0.77, 0.88)
    ['classic', 'rank']
    """
    bar = RELATIVE_POWER * power_primary
    found = [name for name in CHECKS if powers[name] >= bar]
    if 1 - city_rule_rate >= bar:
        found.append("city")
    return found


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank)."""
    return sps.rankdata(values, axis=-1)


def _abs_r(permuted: np.ndarray, xc: np.ndarray) -> np.ndarray:
    """|r| of centred-and-scaled ``xc`` (n, p) with each row of ``permuted`` (..., n), centred and scaled here."""
    return np.abs(_standardise(permuted, axis=-1) @ xc)


def _abs_r_permuted(values: np.ndarray, perms: np.ndarray, xc: np.ndarray) -> np.ndarray:
    """``_abs_r(values[..., perms], xc)``, without centring and scaling every permuted copy.

    An ordering leaves a row's mean and norm as they are, so each row of ``values``
    (..., n) is centred and scaled once and then permuted: (..., M, p) for ``perms`` (M, n).
    """
    return np.abs(_standardise(values, axis=-1)[..., perms] @ xc)


def _standardise(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """``x`` centred and scaled to unit norm along ``axis`` (a constant stays all zeros)."""
    xc = x - x.mean(axis=axis, keepdims=True)
    norm = np.sqrt((xc**2).sum(axis=axis, keepdims=True))
    return xc / np.where(norm > 0, norm, 1.0)


def _mc_p(scores: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Monte-Carlo p: (1 + orderings at least as extreme) / (1 + orderings), along axis 1."""
    hits = (scores >= observed[:, None] - TIE_TOLERANCE).sum(axis=1)
    return (hits + 1) / (scores.shape[1] + 1)


def slope_fits(x: np.ndarray, ys: np.ndarray) -> dict[str, np.ndarray]:
    """Least-squares fits of every row of ``ys`` (R, n) on ``x``: slope, classic, HC2 and HC3 p, r.

    Also the city rule's ingredients: DFBETAS of the slope for every city and the
    slope without each city (closed forms, as :func:`helpers.inference.dfbetas` and
    :func:`helpers.inference.leave_one_out_closed_form` give them one row at a time).
    """
    n = x.size
    dx = x - x.mean()
    sxx = float(dx @ dx)
    h = 1 / n + dx**2 / sxx
    w = dx / sxx
    slope = ys @ w
    residuals = ys - ys.mean(axis=1, keepdims=True) - slope[:, None] * dx
    sse = (residuals**2).sum(axis=1)
    syy = ((ys - ys.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(syy > 0, slope * math.sqrt(sxx) / np.sqrt(syy), 0.0)
        se = np.sqrt(sse / (n - 2) / sxx)
        t = np.where(se > 0, slope / se, np.where(slope != 0, np.inf, 0.0))
        hc2 = np.sqrt((w**2 / (1 - h) * residuals**2).sum(axis=1))
        hc3 = np.sqrt((w**2 / (1 - h) ** 2 * residuals**2).sum(axis=1))
        t_hc2 = np.where(hc2 > 0, slope / hc2, np.where(slope != 0, np.inf, 0.0))
        t_hc3 = np.where(hc3 > 0, slope / hc3, np.where(slope != 0, np.inf, 0.0))
        moved = dx * residuals / ((1 - h) * sxx)  # b - b_(i)
        sse_without = sse[:, None] - residuals**2 / (1 - h)
        round_off = n * (32 * np.finfo(float).eps * np.abs(ys).max(axis=1, keepdims=True)) ** 2
        s_without = np.sqrt(np.where(sse_without > round_off, sse_without, np.nan) / (n - 3))
        dfbetas = moved / (s_without / math.sqrt(sxx)) if n > 3 else np.full(ys.shape, np.nan)
        sxx_without = sxx - dx**2 * n / (n - 1)
        slope_without = np.where(sxx_without > 1e-12 * sxx, slope[:, None] - moved, np.nan)
    return {
        "slope": slope,
        "r": r,
        "p_classic": 2 * sps.t.sf(np.abs(t), n - 2),
        "p_hc2": 2 * sps.t.sf(np.abs(t_hc2), bell_mccaffrey_df(x)),
        "p_hc3": 2 * sps.t.sf(np.abs(t_hc3), n - 2),
        "dfbetas": np.where(np.isfinite(dfbetas), dfbetas, np.nan),
        "slope_without": slope_without,
    }


def simulate_pair(
    data: pd.DataFrame,
    outcomes: Sequence[str],
    predictors: Sequence[str],
    outcome: str,
    predictor: str,
    scenario: str,
    *,
    replicates: int,
    adjustment: str = "westfall-young",
    alpha: float = ALPHA,
    seed: int = 20240529,
    permutations: int = PERMUTATIONS,
) -> dict[str, np.ndarray]:
    """Every rule of the run on ``replicates`` simulated outcomes of one pair: one value per replicate.

    Keys: ``p_primary``, ``p_adjusted``, one p-value per check (``classic``, ``hc2``,
    ``rank`` with ``rho``, ``wild``), ``p_hc3``, ``r``, ``city`` (the city rule fires);
    and, to check them by, ``outcomes`` (the simulated outcomes, one row per replicate)
    and ``orderings`` (the permutation tests' orderings, shared by the replicates).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, not {scenario!r}")
    table = data[list(dict.fromkeys([*outcomes, *predictors]))].dropna().astype(float)
    n = len(table)
    x = table[predictor].to_numpy()
    y = table[outcome].to_numpy()
    fit = slope_fits(x, y[None, :])
    slope = float(fit["slope"][0]) if scenario == "observed" else 0.0
    dx = x - x.mean()
    sigma = math.sqrt(float(((y - y.mean() - fit["slope"][0] * dx) ** 2).sum()) / (n - 2))
    places = decimals_of(y)
    streams = np.random.SeedSequence([seed, outcomes.index(outcome), predictors.index(predictor),
                                      SCENARIOS.index(scenario)]).spawn(3)
    noise_rng, order_rng, sign_rng = (np.random.default_rng(s) for s in streams)
    simulated = np.round(y.mean() + slope * dx + noise_rng.normal(0.0, sigma, (replicates, n)), places)

    # the orderings, shared by every replicate; the other outcomes' scores on them, once
    perms = order_rng.permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)
    xs = _standardise(table[list(predictors)].to_numpy())
    others = [o for o in outcomes if o != outcome]
    other_obs = [_abs_r(table[o].to_numpy(), xs) for o in others]  # each (p,)
    other_scores = [_abs_r_permuted(table[o].to_numpy(), perms, xs) for o in others]  # each (M, p)
    other_max = np.max([s.max(axis=1) for s in other_scores], axis=0) if others else np.zeros(permutations)
    other_p = np.concatenate([(1 + (s >= o - TIE_TOLERANCE).sum(axis=0)) / (permutations + 1)
                              for s, o in zip(other_scores, other_obs, strict=True)]) if others else np.zeros(0)
    j = list(predictors).index(predictor)
    xr = _standardise(_ranks(x)[:, None])

    out: dict[str, list[np.ndarray]] = {k: [] for k in ("p_primary", "p_adjusted", "rank", "rho")}
    for start in range(0, replicates, CHUNK):
        ys = simulated[start : start + CHUNK]
        observed = _abs_r(ys, xs)  # (R, p): every pair of the simulated outcome
        scores = _abs_r_permuted(ys, perms, xs)  # (R, M, p)
        p_all = np.stack([_mc_p(scores[:, :, k], observed[:, k]) for k in range(xs.shape[1])], axis=1)
        out["p_primary"].append(p_all[:, j])
        if adjustment == "westfall-young":
            maxima = np.maximum(scores.max(axis=2), other_max[None, :])  # (R, M)
            hits = (maxima >= observed[:, j, None] - TIE_TOLERANCE).sum(axis=1)
            out["p_adjusted"].append((hits + 1) / (permutations + 1))
        else:
            out["p_adjusted"].append(np.array([holm(np.concatenate([row, other_p]))[j] for row in p_all]))
        ranked = _ranks(ys)
        rho_obs = _abs_r(ranked, xr)[:, 0]
        rc = ranked - ranked.mean(axis=1, keepdims=True)
        out["rho"].append(np.sign(rc @ xr[:, 0]) * rho_obs)
        if n <= EXACT_PERMUTATION_LIMIT:
            out["rank"].append(_mc_p(_abs_r_permuted(ranked, perms, xr)[:, :, 0], rho_obs))
        else:
            rho = np.clip(rho_obs, 0, 1 - 1e-15)
            out["rank"].append(2 * sps.t.sf(rho * np.sqrt((n - 2) / (1 - rho**2)), n - 2))
    result = {k: np.concatenate(v) for k, v in out.items()}
    fits = slope_fits(x, simulated)
    result["classic"], result["hc2"], result["p_hc3"], result["r"] = (
        fits["p_classic"], fits["p_hc2"], fits["p_hc3"], fits["r"])
    draws = 2**n if n <= WILD_EXACT_LIMIT else WILD_DRAWS
    result["wild"] = wild_bootstrap_pvalues([(x, row) for row in simulated], seed=int(sign_rng.integers(2**31)),
                                            draws=draws)[0]
    flipped = ~(np.sign(fits["slope_without"]) == np.sign(fits["slope"])[:, None])
    result["city"] = (np.abs(np.nan_to_num(fits["dfbetas"])) > decision_threshold(n)).any(axis=1) | (
        flipped.any(axis=1) & (result["p_primary"] < alpha))
    result["outcomes"], result["orderings"] = simulated, perms
    return result


def confirms(sim: dict[str, np.ndarray], alpha: float = ALPHA) -> dict[str, np.ndarray]:
    """Per replicate, whether each check confirms (p < alpha; the rank correlation also of the same sign)."""
    found = {name: sim[name] < alpha for name in ("classic", "hc2", "wild")}
    found["rank"] = (sim["rank"] < alpha) & (np.sign(sim["rho"]) == np.sign(sim["r"]))
    return found


def verdicts(sim: dict[str, np.ndarray], may_weaken: Sequence[str], alpha: float = ALPHA) -> np.ndarray:
    """The verdict of every replicate by the run's rules, with only ``may_weaken`` able to weaken it."""
    agree = confirms(sim, alpha)
    out = []
    for i in range(len(sim["p_primary"])):
        disagreeing = [name for name in CHECKS if name in may_weaken and not agree[name][i]]
        decisive = ["city"] if "city" in may_weaken and sim["city"][i] else []
        out.append(verdict(sim["p_primary"][i], sim["p_adjusted"][i], disagreeing, decisive, alpha=alpha))
    return np.array(out, dtype=object)


def calibrate(
    data: pd.DataFrame,
    outcomes: Sequence[str],
    predictors: Sequence[str],
    *,
    adjustment: str = "westfall-young",
    alpha: float = ALPHA,
    seed: int = 20240529,
    replicates: int = REPLICATES,
    permutations: int = PERMUTATIONS,
) -> pd.DataFrame:
    """The verdict rules calibrated by simulation: one row per pair and scenario (:data:`CALIBRATION_COLUMNS`).

    ``may_weaken`` lists, per pair, the checks and rules that may weaken its verdict
    by the general rule (:func:`eligible`, from the ``observed`` scenario); the shares
    of verdicts (``p_consistent`` ...) apply the run's rules with only those. With
    no simulation (too many cities) every share is empty and ``may_weaken`` lists
    every check and rule, as declared.
    """
    outcomes, predictors = list(outcomes), list(predictors)
    n = len(data[[*outcomes, *predictors]].dropna())
    count = replicates_for(n, replicates)
    rows = []
    for outcome in outcomes:
        for predictor in predictors:
            if not count:
                for scenario in SCENARIOS:
                    rows.append({"outcome": outcome, "predictor": predictor, "scenario": scenario,
                                 "simulations": 0, "permutations": 0, "may_weaken": ";".join(RULES)})
                continue
            sims = {
                scenario: simulate_pair(data, outcomes, predictors, outcome, predictor, scenario,
                                        replicates=count, adjustment=adjustment, alpha=alpha, seed=seed,
                                        permutations=permutations)
                for scenario in SCENARIOS
            }
            seen = sims["observed"]
            agree = confirms(seen, alpha)
            power = float(np.mean(seen["p_primary"] < alpha))
            may_weaken = eligible({k: float(np.mean(v)) for k, v in agree.items()}, float(np.mean(seen["city"])),
                                  power)
            for scenario, sim in sims.items():
                got = verdicts(sim, may_weaken, alpha)
                agree = confirms(sim, alpha)
                rows.append({
                    "outcome": outcome, "predictor": predictor, "scenario": scenario, "simulations": count,
                    "p_consistent": float(np.mean(got == "consistent")),
                    "p_tentative": float(np.mean(got == "tentative")),
                    "p_inconclusive": float(np.mean(got == "inconclusive")),
                    "power_primary": float(np.mean(sim["p_primary"] < alpha)),
                    "power_adjusted": float(np.mean(sim["p_adjusted"] < alpha)),
                    **{f"power_{name}": float(np.mean(agree[name])) for name in CHECKS},
                    "city_rule_rate": float(np.mean(sim["city"])),
                    "power_hc3": float(np.mean(sim["p_hc3"] < alpha)),
                    "permutations": permutations,
                    "may_weaken": ";".join(may_weaken),
                })
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
