"""Statistics of the clean table: summaries, correlations and least-squares fits.

Functions here take a DataFrame and return numbers or DataFrames; they never
draw (see :mod:`helpers.plots`) and never format (see :mod:`helpers.tables`).
Results keep full precision; rounding happens only for display.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd
from scipy import stats as sps
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from helpers import contract
from helpers.errors import ParameterError

DESCRIPTIVE_COLUMNS = contract.DESCRIPTIVE_COLUMNS
SIMPLE_REGRESSION_COLUMNS = contract.SIMPLE_REGRESSION_COLUMNS
MULTIPLE_REGRESSION_COLUMNS = [
    "outcome",
    "term",
    "n",
    "estimate",
    "se",
    "t_value",
    "p_value",
    "ci_low",
    "ci_high",
    "r_squared",
    "adj_r_squared",
    "df_resid",
]


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        raise ParameterError(
            f"{what} {missing} not in the data; must be among: {', '.join(numeric)}"
        )


def describe(frame: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """One row per variable: n, mean, sample sd (n - 1), min, quartiles and max.

    Quartiles use linear interpolation between order statistics (Hyndman and
    Fan's definition 7, the default of R, NumPy and pandas).
    """
    _require_columns(frame, variables, "variables")
    rows = []
    for name in variables:
        values = frame[name].dropna().astype(float)
        rows.append(
            {
                "variable": name,
                "n": int(values.size),
                "mean": values.mean(),
                "sd": values.std(ddof=1),
                "min": values.min(),
                "q1": values.quantile(0.25),
                "median": values.quantile(0.5),
                "q3": values.quantile(0.75),
                "max": values.max(),
            }
        )
    return pd.DataFrame(rows, columns=DESCRIPTIVE_COLUMNS)


def correlations(frame: pd.DataFrame, variables: Sequence[str], method: str) -> pd.DataFrame:
    """Pairwise correlation matrix (``method`` is ``"pearson"`` or ``"spearman"``).

    Spearman's coefficient is Pearson's on average ranks (ties share their mean rank).
    """
    if method not in ("pearson", "spearman"):
        raise ParameterError(f"method must be one of: pearson, spearman (got {method!r})")
    _require_columns(frame, variables, "variables")
    return frame[list(variables)].astype(float).corr(method=method)


def fisher_interval(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval of Pearson's r by Fisher's z transform: tanh(atanh r -/+ z / sqrt(n - 3)).

    With three cities or fewer nothing narrows it: (-1, 1).
    """
    if n <= 3 or not math.isfinite(r):
        return -1.0, 1.0
    if abs(r) >= 1:
        return float(r), float(r)
    half = sps.norm.ppf(0.5 + level / 2) / math.sqrt(n - 3)
    z = math.atanh(r)
    return math.tanh(z - half), math.tanh(z + half)


def correlations_long(frame: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Both correlation matrices in long form: one row per pair of distinct variables.

    Pearson's r comes with its 95% interval (Fisher's z, :func:`fisher_interval`).
    """
    pearson = correlations(frame, variables, "pearson")
    spearman = correlations(frame, variables, "spearman")
    rows = []
    for i, a in enumerate(variables):
        for b in variables[i + 1 :]:
            n = int(frame[[a, b]].dropna().shape[0])
            low, high = fisher_interval(pearson.loc[a, b], n)
            rows.append(
                {
                    "variable_a": a,
                    "variable_b": b,
                    "n": n,
                    "pearson_r": pearson.loc[a, b],
                    "pearson_ci_low": low,
                    "pearson_ci_high": high,
                    "spearman_rho": spearman.loc[a, b],
                }
            )
    return pd.DataFrame(rows, columns=contract.CORRELATION_COLUMNS)


@dataclass(frozen=True)
class SimpleFit:
    """An ordinary-least-squares fit of one outcome on one predictor, with intercept."""

    outcome: str
    predictor: str
    n: int
    intercept: float
    slope: float
    slope_se: float
    t_value: float
    p_value: float
    ci_low: float
    ci_high: float
    r_squared: float


def _check_fit_inputs(frame: pd.DataFrame, outcome: str, predictors: Sequence[str]) -> pd.DataFrame:
    _require_columns(frame, [outcome], "outcome")
    _require_columns(frame, predictors, "predictors")
    if outcome in predictors:
        raise ParameterError(f"outcome {outcome!r} cannot also be one of its own predictors")
    data = frame[[outcome, *predictors]].dropna().astype(float)
    needed = len(predictors) + 2
    if len(data) < needed:
        raise ParameterError(
            f"regressing {outcome!r} on {list(predictors)} needs at least {needed} complete rows "
            f"(one more than the number of coefficients), found {len(data)}"
        )
    constant = [p for p in predictors if data[p].nunique() < 2]
    if constant:
        raise ParameterError(f"predictor(s) {constant} take a single value: no line can be fitted")
    return data


def simple_ols(
    frame: pd.DataFrame, outcome: str, predictor: str, *, alpha: float = 0.05
) -> SimpleFit:
    """Fit ``outcome = intercept + slope * predictor`` by OLS (statsmodels)."""
    data = _check_fit_inputs(frame, outcome, [predictor])
    result = OLS(data[outcome], add_constant(data[predictor])).fit()
    ci = result.conf_int(alpha=alpha).loc[predictor]
    return SimpleFit(
        outcome=outcome,
        predictor=predictor,
        n=int(result.nobs),
        intercept=float(result.params["const"]),
        slope=float(result.params[predictor]),
        slope_se=float(result.bse[predictor]),
        t_value=float(result.tvalues[predictor]),
        p_value=float(result.pvalues[predictor]),
        ci_low=float(ci.iloc[0]),
        ci_high=float(ci.iloc[1]),
        r_squared=float(result.rsquared),
    )


def simple_regressions(
    frame: pd.DataFrame, outcomes: Sequence[str], predictors: Sequence[str]
) -> pd.DataFrame:
    """Every outcome on every predictor, one predictor at a time: one row per fit."""
    if not outcomes or not predictors:
        raise ParameterError("outcomes and predictors must each name at least one variable")
    overlap = sorted(set(outcomes) & set(predictors))
    if overlap:
        raise ParameterError(f"{overlap} listed both as outcome and as predictor")
    fits = [simple_ols(frame, y, x) for y in outcomes for x in predictors]
    return pd.DataFrame([asdict(fit) for fit in fits])  # the fields' order is the contract's (tested)


def multiple_regression(
    frame: pd.DataFrame, outcome: str, predictors: Sequence[str], *, alpha: float = 0.05
) -> pd.DataFrame:
    """OLS of ``outcome`` on all ``predictors`` together: one row per coefficient."""
    data = _check_fit_inputs(frame, outcome, predictors)
    result = OLS(data[outcome], add_constant(data[list(predictors)])).fit()
    ci = result.conf_int(alpha=alpha)
    rows = []
    for term in result.params.index:
        rows.append(
            {
                "outcome": outcome,
                "term": "intercept" if term == "const" else term,
                "n": int(result.nobs),
                "estimate": float(result.params[term]),
                "se": float(result.bse[term]),
                "t_value": float(result.tvalues[term]),
                "p_value": float(result.pvalues[term]),
                "ci_low": float(ci.loc[term, 0]),
                "ci_high": float(ci.loc[term, 1]),
                "r_squared": float(result.rsquared),
                "adj_r_squared": float(result.rsquared_adj),
                "df_resid": int(result.df_resid),
            }
        )
    return pd.DataFrame(rows)  # the keys' order is MULTIPLE_REGRESSION_COLUMNS (tested)


def multiple_regressions(
    frame: pd.DataFrame, outcomes: Sequence[str], predictors: Sequence[str]
) -> pd.DataFrame:
    """:func:`multiple_regression` for each outcome, stacked."""
    return pd.concat(
        [multiple_regression(frame, y, predictors) for y in outcomes], ignore_index=True
    )
