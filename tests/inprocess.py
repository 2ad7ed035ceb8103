"""A run's tables computed in this process, as notebooks 01 to 06 compute them, and the document captured.

The wing's tests need a run's tables but not its kernels: this builds them with the same
library calls the notebooks make (cleaning, audit, fits and checks, curve, calibration with
fewer replicates, tipping points, findings), writes them where a run would, and captures the
objects the reviewer document shows, in order, without IPython.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import (
    audit,
    calibration,
    cleaning,
    findings,
    inference,
    paths,
    specification,
    stats,
    tipping,
)
from helpers.brief import document, sentences
from helpers.codebook import load_codebook, load_population

from .conftest import checks_of


def run_tables(folder: Path, raw_path: Path = paths.RAW_TABLE, claims_path: Path = audit.CLAIMS_FILE,
               replicates: int = 200) -> Path:
    """Write a run's ``tables/`` and clean data under ``folder``; return the clean table's path."""
    codebook = load_codebook()
    tables = folder / "tables"
    raw = cleaning.read_raw_table(raw_path, codebook)
    clean = cleaning.clean_table(raw, codebook)
    processed = cleaning.write_csv_atomic(clean, folder / "data" / paths.PROCESSED_TABLE_NAME)
    cleaning.write_csv_atomic(cleaning.changes_from_raw(raw, clean, codebook), tables / "cleaning_changes.csv")
    outcomes, predictors = codebook.variables("outcome"), codebook.variables("input")
    data = cleaning.read_processed(processed)
    cleaning.write_csv_atomic(stats.describe(data, [*outcomes, *predictors]), tables / "descriptive_statistics.csv")
    claimed = audit.read_claims(claims_path, codebook)
    cleaning.write_csv_atomic(audit.check_claims(claimed, data, codebook), tables / "claims_check.csv")
    flagged = audit.flagged_cells(claimed, data, codebook)
    fits = stats.simple_regressions(data, outcomes, predictors)
    checked = checks_of(data, fits)  # inference.checks, once per test process for the same data
    cleaning.write_csv_atomic(checked[stats.SIMPLE_REGRESSION_COLUMNS + inference.CHECK_COLUMNS],
                              tables / "simple_regressions.csv")
    influence = inference.influence(data, fits)
    loo = inference.leave_one_out(data, fits)
    cleaning.write_csv_atomic(influence[inference.INFLUENCE_COLUMNS], tables / "influence.csv")
    cleaning.write_csv_atomic(loo, tables / "loo_sensitivity.csv")
    cleaning.write_csv_atomic(inference.power_table(len(data), len(fits)), tables / "power.csv")
    population = load_population()
    specs = specification.curve(data, outcomes, predictors, population=population, flagged=flagged)
    cleaning.write_csv_atomic(specs, tables / "specification_curve.csv")
    joint = specification.joint_test(data, outcomes, predictors, population=population, flagged=flagged,
                                     n_resamples=199)
    cleaning.write_csv_atomic(joint, tables / "specification_joint_test.csv")
    calibrated = calibration.calibrate(data, outcomes, predictors, replicates=replicates)
    cleaning.write_csv_atomic(calibrated, tables / "verdict_calibration.csv")
    bounds = tipping.tipping_points(data, [(y, x) for y in outcomes for x in predictors], flagged)
    cleaning.write_csv_atomic(bounds, tables / "tipping_points.csv")
    classified = findings.classify(checked, influence, loo, flagged, data, calibration=calibrated, curve=specs)
    table = findings.table(classified, *sentences.english(classified, codebook))
    cleaning.write_csv_atomic(table, tables / "findings.csv")
    return processed


def capture(folder: Path, processed: Path, language: str, monkeypatch) -> list[tuple[object, dict]]:
    """Every object the document shows in ``language``, with its display metadata, in order."""
    from helpers import report

    shown: list[tuple[object, dict]] = []
    monkeypatch.setattr(report, "display", lambda obj, metadata=None: shown.append((obj, metadata or {})))
    brief = document.Brief.load(folder, language, processed)
    for part in ("page_one", "contents", "results", "data", "claims", "limits", "glossary", "annex"):
        getattr(brief, part)()
    return shown


def texts(shown: list[tuple[object, dict]]) -> pd.Series:
    """The plain text of each shown object (its ``repr``), figures as their alternative text."""
    return pd.Series([meta.get("alt", "") if hasattr(obj, "savefig") else repr(obj) for obj, meta in shown])
