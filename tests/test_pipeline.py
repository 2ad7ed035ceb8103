"""End to end: the command line on the real data, into temporary folders.

These tests start Jupyter kernels and build whole reports; they are marked ``slow``.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers import paths

from .conftest import copy_project, plant_cell, run_cli
from .test_stats import INPUTS, OUTCOMES, closed_form_ols, column, pearson

pytestmark = pytest.mark.slow

REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)
PYTHON_MARKERS = [
    "import ",
    "def ",
    "helpers.",
    "cap.table",
    "cap.figure",
    "load_ext",
    "In [",
    "Out[",
    "Traceback",
]


def test_run_succeeds_and_publishes(built):
    assert built["result"].returncode == 0, built["result"].stderr
    latest = built["latest"]
    assert latest.is_symlink() and latest.resolve().parent == (built["reports"] / "runs").resolve()
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert [s["step"] for s in manifest["steps"]] == [
        "01_data_cleaning",
        "02_descriptive_statistics",
        "03_regression",
        "04_specification_curve",
        "05_calibration",
        "06_findings",
    ]
    assert manifest["export"]["languages"] == ["en", "it"]
    for language in ("en", "it"):  # the report notebook, run once per language, kept for researchers
        executed = json.loads((latest / "notebooks" / f"report.{language}.ipynb").read_text())
        assert executed["metadata"]["papermill"]["parameters"]["language"] == language
    assert (built["processed"] / paths.PROCESSED_TABLE_NAME).exists()


def test_tables_hold_the_contract_and_right_numbers(built):
    tables = built["latest"] / "tables"
    desc = pd.read_csv(tables / "descriptive_statistics.csv")
    assert list(desc.columns) == ["variable", "n", "mean", "sd", "min", "q1", "median", "q3", "max"]
    assert desc.variable.tolist() == OUTCOMES + INPUTS
    fits = pd.read_csv(tables / "simple_regressions.csv")
    assert list(fits.columns) == [
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
    assert len(fits) == 8
    assert set(fits.permutation_method) == {"exact"} and set(fits.adjustment) == {"westfall-young"}
    for row in fits.itertuples(index=False):
        expected = closed_form_ols(column(row.predictor), column(row.outcome))
        for key, value in expected.items():
            assert getattr(row, key) == pytest.approx(value, rel=1e-9, abs=1e-12)
        assert row.r == pytest.approx(pearson(column(row.predictor), column(row.outcome)), abs=1e-12)
    # Holm by hand on the written primary p-values
    order = fits.p_permutation.sort_values().index
    running, holm = 0.0, {}
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (8 - rank) * fits.p_permutation[i]))
        holm[i] = running
    assert fits.p_holm.tolist() == pytest.approx([holm[i] for i in fits.index], rel=1e-12)
    # exact permutation p-values (the primary test, its maxT adjustment and the exact rank
    # test) are multiples of 1/10!; the wild bootstrap's of 1/2^10
    for name in ("p_permutation", "p_westfall_young", "spearman_p_exact"):
        assert ((fits[name] * 3_628_800).round() == fits[name] * 3_628_800).all(), name
    assert ((fits.p_wild_bootstrap * 1024).round() == fits.p_wild_bootstrap * 1024).all()
    assert (fits.p_westfall_young >= fits.p_permutation).all()
    found = pd.read_csv(tables / "findings.csv", keep_default_na=False)
    assert list(found.columns) == [
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
    assert set(found.verdict) <= {"consistent", "tentative", "inconclusive"}
    assert found.p_primary.tolist() == fits.p_permutation.tolist()
    assert found.p_adjusted.tolist() == fits.p_westfall_young.tolist()
    assert found.r_ci_low.tolist() == fits.r_ci_low.tolist()
    power = pd.read_csv(tables / "power.csv")
    assert list(power.scope) == ["single test", "family"] and (power.n == 10).all()
    loo = pd.read_csv(tables / "loo_sensitivity.csv")
    assert (
        list(loo.columns) == ["outcome", "predictor", "dropped_city", "slope", "p_value"]
        and len(loo) == 80
    )
    influence = pd.read_csv(tables / "influence.csv")
    assert list(influence.columns) == [
        "outcome",
        "predictor",
        "city",
        "leverage",
        "cooks_distance",
        "dfbetas",
    ]
    # the leverages of a fit add up to its number of coefficients
    assert influence.groupby(["outcome", "predictor"]).leverage.sum().tolist() == pytest.approx(
        [2.0] * 8
    )
    claims = pd.read_csv(tables / "claims_check.csv", keep_default_na=False)
    statuses = {
        "agrees", "consistent", "disagrees if read strictly", "disagrees", "cannot be checked", "beyond the table"
    }
    assert set(claims.status) <= statuses and len(claims) == 20
    # full precision in the CSV: not rounded for display
    assert len(repr(fits.slope.iloc[0]).split(".")[1]) > 6


def test_html_reports_exist_offline(built):
    latest = built["latest"]
    names = sorted(p.name for p in (latest / "html").iterdir())
    assert names == [
        "01_data_cleaning.html",
        "02_descriptive_statistics.html",
        "03_regression.html",
        "04_specification_curve.html",
        "05_calibration.html",
        "06_findings.html",
    ]
    assert (
        "load_clean" in (latest / "html" / "01_data_cleaning.html").read_text()
        or "clean_table" in (latest / "html" / "01_data_cleaning.html").read_text()
    )
    report = (latest / "report.html").read_text()
    assert not REMOTE.search(report)  # nothing fetched from the network
    assert "cap.table" not in report and "import helpers" not in report


def test_pdf_opens_with_its_message_then_its_sections_and_shows_no_code(built):
    pdf = built["latest"] / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = " ".join(text.split())
    pages = [" ".join(page.split()) for page in text.split("\f")]
    assert pages[1].startswith("Contents")
    first = [
        "Ten cities, one table: what the article's figures can and cannot show",
        "In brief",
        "Main points",
        "What these figures can and cannot be used for",
    ]
    assert [pages[0].find(h) for h in first] == sorted(pages[0].find(h) for h in first) and pages[0].find(first[0]) == 0
    body = " ".join(pages[2:])
    order = [
        "1. What the figures show",
        "Figure 1.",
        "Table 1.",
        "2. The figures of the ten cities",
        "3. What the article's text claims",
        "4. What these figures cannot say",
        "5. What an evaluation would need",
        "6. Terms used",
        "Annex: technical details",
        "A.1 The data and their cleaning",
        "A.8 Provenance of this run",
    ]
    found = [body.find(heading) for heading in order]
    assert -1 not in found, [h for h, at in zip(order, found, strict=True) if at == -1]
    assert found == sorted(found), order
    for marker in PYTHON_MARKERS:
        assert marker not in text, marker
    assert "Without Bologna and Torino the slope is similar" in words
    assert "The result is borderline" in words
    for absent in ("no association", "indistinguishable", "hinges on", "percentage points per"):
        assert absent not in words.lower(), absent


def _snapshot(folder: Path):
    return (
        {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        if folder.exists()
        else {}
    )


def test_bad_value_stops_before_anything_is_written(built, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text(paths.RAW_TABLE.read_text().replace("Genova\t35\t400", "Genova\t35\t4O0"))
    latest_before = os.readlink(built["latest"])
    runs_before = sorted(p.name for p in (built["reports"] / "runs").iterdir())
    processed_before = _snapshot(built["processed"])
    result = run_cli(
        "--reports-dir",
        str(built["reports"]),
        "--processed-dir",
        str(built["processed"]),
        "-p",
        "raw_data_path",
        str(bad),
    )
    assert result.returncode == 3
    assert str(bad) in result.stderr and "line 8" in result.stderr
    assert "'Partecipanti ai Corsi di Formazione'" in result.stderr and "'4O0'" in result.stderr
    assert os.readlink(built["latest"]) == latest_before
    assert sorted(p.name for p in (built["reports"] / "runs").iterdir()) == runs_before
    assert _snapshot(built["processed"]) == processed_before


def test_bad_parameter_exits_2(tmp_path):
    result = run_cli("--reports-dir", str(tmp_path), "-p", "outcomes", "no_such_column")
    assert result.returncode == 2
    assert "no_such_column" in result.stderr and "choose from" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_failing_notebook_exits_4_and_keeps_latest(tmp_path):
    root = copy_project(tmp_path / "project")
    plant_cell(
        root / "notebooks" / "01_data_cleaning.ipynb",
        "raise RuntimeError('planted failure')",
        "boom",
    )
    reports = root / "reports"
    (reports / "runs" / "old").mkdir(parents=True)
    os.symlink("runs/old", reports / "latest")
    env = {**os.environ, "INCLUSION_REPORT_ROOT": str(root)}
    result = run_cli(env=env)
    assert result.returncode == 4, result.stderr
    assert (
        "01_data_cleaning.ipynb" in result.stderr
        and "RuntimeError: planted failure" in result.stderr
    )
    assert "cell" in result.stderr and "runs/" in result.stderr
    assert os.readlink(reports / "latest") == "runs/old"
    failed = [p for p in (reports / "runs").iterdir() if p.name != "old"]
    assert len(failed) == 1
    assert json.loads((failed[0] / "manifest.json").read_text())["status"] == "failed"
    # the executed notebook the message points to is written, with the error in its cell
    executed = nbformat.read(failed[0] / "notebooks" / "01_data_cleaning.ipynb", as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [(o.ename, o.evalue) for o in errors] == [("RuntimeError", "planted failure")]
