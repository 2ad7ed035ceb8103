"""The machine-readable contract: which tables a run writes and their columns, in order.

Scheduled runs and downstream users rely on these names; the runner checks every
successful run against them. Kept free of heavy imports so the runner can read it
without loading the statistics stack.
"""

from __future__ import annotations

#: Residents a rate is expressed per (the ``per_10k_residents`` scale of the inputs).
PER_RESIDENTS = 10_000

DESCRIPTIVE_COLUMNS = ["variable", "n", "mean", "sd", "min", "q1", "median", "q3", "max"]
SIMPLE_REGRESSION_COLUMNS = [
    "outcome",
    "predictor",
    "n",
    "intercept",
    "slope",
    "slope_se",
    "t_value",
    "p_value",
    "ci_low",
    "ci_high",
    "r_squared",
]
#: The checks of each simple fit, after its own columns. The first six are the
#: original contract; the rest were added after them, so a reader by position
#: still finds the old columns where they were.
CHECK_COLUMNS = [
    "slope_se_hc3",
    "p_value_hc3",
    "p_permutation",
    "p_holm",
    "spearman_rho",
    "spearman_p",
    "r",
    "r_ci_low",
    "r_ci_high",
    "slope_se_hc2",
    "df_bell_mccaffrey",
    "p_value_hc2_bm",
    "spearman_p_exact",
    "p_westfall_young",
    "p_wild_bootstrap",
    "p_westfall_young_minp",
    "critical_abs_r_maxt",
    "permutation_method",
    "adjustment",
]
LOO_COLUMNS = ["outcome", "predictor", "dropped_city", "slope", "p_value"]
INFLUENCE_COLUMNS = ["outcome", "predictor", "city", "leverage", "cooks_distance", "dfbetas"]
FINDINGS_COLUMNS = [
    "outcome",
    "predictor",
    "n",
    "verdict",
    "r",
    "r_ci_low",
    "r_ci_high",
    "p_primary",
    "p_adjusted",
    "influential_cities",
    "audit_flags",
    "n_without_flagged",
    "r_without_flagged",
    "p_without_flagged",
    "bottom_line",
    "sentence",
    # added later, after the original columns: a reader by position finds the old ones where they were
    "slope_without_flagged",
    "slope_ci_low_without_flagged",
    "slope_ci_high_without_flagged",
    "without_flagged_shift",
    "without_flagged_reading",
    "p_adjusted_min",
    "p_adjusted_max",
    "borderline",
    "scale_sensitive",
    "may_weaken",
]
POWER_COLUMNS = [
    "scope",
    "alpha",
    "n",
    "tests",
    "critical_abs_r",
    "detectable_abs_rho",
    "target_power",
    "power_rho_0_3",
    "power_rho_0_5",
    "method",
]
CLAIMS_CHECK_COLUMNS = [
    "claim_id",
    "programme",
    "city",
    "claim",
    "number",
    "qualifier",
    "unit",
    "field",
    "table_value",
    "status",
    "reason",
    "direction",
    "quote_it",
    "location",
]

SPECIFICATION_COLUMNS = [
    "outcome",
    "predictor",
    "scale",
    "sample",
    "estimator",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
]
#: The specification curve's joint test, one row per pair (helpers.specification.joint_test).
SPECIFICATION_JOINT_COLUMNS = [
    "outcome",
    "predictor",
    "specifications",
    "one_sided",
    "side",
    "shuffles",
    "p_value",
]

#: Every cell the cleaning wrote differently from the published text (helpers.cleaning.changes_from_raw).
CLEANING_CHANGE_COLUMNS = ["line", "city", "column", "raw_text", "clean_value"]
#: Both correlation matrices in long form (helpers.stats.correlations_long), one row per pair of indicators.
CORRELATION_COLUMNS = ["variable_a", "variable_b", "n", "pearson_r", "pearson_ci_low", "pearson_ci_high",
                       "spearman_rho"]

#: Doubted figures as bounds (helpers.tipping.tipping_points), one row per doubted figure of a
#: pair whose primary p is below alpha.
TIPPING_COLUMNS = [
    "outcome",
    "predictor",
    "city",
    "field",
    "claim_id",
    "printed",
    "direction",
    "tipping_value",
    "p_printed",
    "status",
    "searched_to",
    "p_max_searched",
]

#: The verdict rules calibrated by simulation (helpers.calibration.calibrate), one row per pair and scenario.
CALIBRATION_COLUMNS = [
    "outcome",
    "predictor",
    "scenario",
    "simulations",
    "p_consistent",
    "p_tentative",
    "p_inconclusive",
    "power_primary",
    "power_adjusted",
    "power_classic",
    "power_hc2",
    "power_rank",
    "power_wild",
    "city_rule_rate",
    "power_hc3",
    "permutations",
    "may_weaken",
]

#: File name (under ``<run>/tables/``) → columns, for every table each run must write.
TABLES = {
    "descriptive_statistics.csv": DESCRIPTIVE_COLUMNS,
    "simple_regressions.csv": SIMPLE_REGRESSION_COLUMNS + CHECK_COLUMNS,
    "loo_sensitivity.csv": LOO_COLUMNS,
    "influence.csv": INFLUENCE_COLUMNS,
    "claims_check.csv": CLAIMS_CHECK_COLUMNS,
    "findings.csv": FINDINGS_COLUMNS,
    "power.csv": POWER_COLUMNS,
    "specification_curve.csv": SPECIFICATION_COLUMNS,
    "specification_joint_test.csv": SPECIFICATION_JOINT_COLUMNS,
    "cleaning_changes.csv": CLEANING_CHANGE_COLUMNS,
    "correlations.csv": CORRELATION_COLUMNS,
    "verdict_calibration.csv": CALIBRATION_COLUMNS,
    "tipping_points.csv": TIPPING_COLUMNS,
}
