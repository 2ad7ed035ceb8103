"""Indicators by data alone: a seventh column, described in the codebook, is analysed with no code edit.

A copy of the project gets one more field in ``datapackage.json`` (role "input": a
made-up number of hours of language courses) and one more column in the raw table;
the pipeline then runs on the copy exactly as committed. Every table, figure and
text must take the new indicator in: no list of variables and no count of them may
live anywhere but in the codebook.
"""

from __future__ import annotations

import json
import os
import re
import statistics
from itertools import product

import pandas as pd
import pytest

from .conftest import (
    ARTICLE_TABLE,
    LANGUAGE_FIELD,
    LANGUAGE_HOURS,
    copy_project,
    package_with,
    run_cli,
)
from .test_stats import INPUTS, OUTCOMES, closed_form_ols, column

pytestmark = pytest.mark.slow

NEW = LANGUAGE_FIELD["canonical_name"]
TITLE = LANGUAGE_FIELD["title"]


def italian(value: int) -> str:
    """A whole number the way the article prints it: a dot before each group of three digits."""
    digits = str(value)
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ".".join(groups)


@pytest.fixture(scope="module")
def seventh(tmp_path_factory):
    base = tmp_path_factory.mktemp("seventh")
    root = copy_project(base / "project")
    package_with(LANGUAGE_FIELD, root / "data" / "raw" / "datapackage.json")
    raw = root / "data" / "raw" / "inclusione_attiva.tsv"
    header, *rows = raw.read_text(encoding="utf-8").splitlines()
    assert [row.split("\t")[0] for row in rows] == [city for city, *_ in ARTICLE_TABLE]
    written = [italian(hours) for hours in LANGUAGE_HOURS]
    assert "1.200" in written and "1.450" in written  # the Italian thousands dot is exercised
    raw.write_text(
        "\n".join(
            [f"{header}\t{LANGUAGE_FIELD['name']}"]
            + [f"{row}\t{cell}" for row, cell in zip(rows, written, strict=True)]
        )
        + "\n",
        encoding="utf-8",
    )
    reports, processed = base / "reports", base / "processed"
    result = run_cli(
        "--reports-dir",
        str(reports),
        "--processed-dir",
        str(processed),
        "--no-pdf",
        "-p",
        "languages",
        '["en"]',  # the tests read the English report only
        env={**os.environ, "INCLUSION_REPORT_ROOT": str(root)},
        cwd=str(base),
    )
    return {"result": result, "latest": reports / "latest", "processed": processed}


def test_run_succeeds_with_the_real_lists_in_its_manifest(seventh):
    assert seventh["result"].returncode == 0, seventh["result"].stderr
    manifest = json.loads((seventh["latest"] / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["parameters"]["outcomes"] == OUTCOMES
    assert manifest["parameters"]["predictors"] == [*INPUTS, NEW]
    clean = pd.read_csv(seventh["processed"] / "inclusione_attiva_clean.csv")
    assert clean[NEW].tolist() == LANGUAGE_HOURS


def test_every_outcome_is_fitted_on_the_new_input(seventh):
    fits = pd.read_csv(seventh["latest"] / "tables" / "simple_regressions.csv")
    assert len(fits) == 2 * 5
    assert list(zip(fits.outcome, fits.predictor, strict=True)) == list(
        product(OUTCOMES, [*INPUTS, NEW])
    )
    for outcome in OUTCOMES:
        row = fits[(fits.outcome == outcome) & (fits.predictor == NEW)].iloc[0]
        expected = closed_form_ols([float(h) for h in LANGUAGE_HOURS], column(outcome))
        assert row.slope == pytest.approx(expected["slope"], rel=1e-9)
        assert row.n == 10
    found = pd.read_csv(seventh["latest"] / "tables" / "findings.csv", keep_default_na=False)
    assert (found.predictor == NEW).sum() == 2


def test_the_new_indicator_is_described(seventh):
    desc = pd.read_csv(seventh["latest"] / "tables" / "descriptive_statistics.csv")
    assert desc.variable.tolist() == [*OUTCOMES, *INPUTS, NEW]
    row = desc[desc.variable == NEW].iloc[0]
    assert row.n == 10
    assert row["mean"] == pytest.approx(statistics.mean(LANGUAGE_HOURS), rel=1e-12)
    assert row.sd == pytest.approx(statistics.stdev(LANGUAGE_HOURS), rel=1e-12)
    assert row["min"] == min(LANGUAGE_HOURS) and row["max"] == max(LANGUAGE_HOURS)


def figures(notebook) -> dict[str, str]:
    """Each figure of an executed notebook: its caption's text → its SVG."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    outputs = [o for cell in nb["cells"] for o in cell.get("outputs", [])]
    found = {}
    for k, output in enumerate(outputs):
        svg = output.get("data", {}).get("image/svg+xml")
        if svg is None:
            continue
        caption = outputs[k + 1]["data"]["text/plain"]
        caption = "".join(caption) if isinstance(caption, list) else caption
        found[caption] = "".join(svg) if isinstance(svg, list) else svg
    return found


def panels(svg: str) -> int:
    """The axes matplotlib drew (an axes hidden because the grid has a spare cell is not drawn)."""
    return len(re.findall(r'<g id="axes_\d+">', svg))


def texts(svg: str) -> str:
    """The texts of an SVG figure: matplotlib writes each, drawn as paths, in a comment before it."""
    return " ".join(c.replace("\n", " ") for c in re.findall(r"<!-- (.*?) -->", svg, flags=re.S))


def one(found: dict[str, str], start: str) -> str:
    (svg,) = [svg for caption, svg in found.items() if start in caption]
    return svg


def test_every_figure_has_a_panel_for_it(seventh):
    notebooks = seventh["latest"] / "notebooks"
    descriptive = figures(notebooks / "02_descriptive_statistics.ipynb")
    distributions = one(descriptive, "Distribution of each indicator")
    assert panels(distributions) == 7
    assert TITLE in texts(distributions)
    correlations = one(descriptive, "Correlation matrices, Pearson (left) and Spearman (right)")
    # a row and a column of the Pearson matrix, a column of the Spearman one (it shares the rows)
    assert texts(correlations).count("Hours of language courses") == 3
    assert (
        len(re.findall(r"<!-- [-−]?\d\.\d\d -->", correlations)) == 2 * 7 * 7
    )  # every cell annotated
    regression = figures(notebooks / "03_regression.ipynb")
    grid = one(regression, "Each outcome against each input")
    assert panels(grid) == 10
    assert texts(grid).count(f"{TITLE} ({LANGUAGE_FIELD['unit']})") == 2  # one panel per outcome
    assert panels(one(regression, "Slope of each fit without each city in turn")) == 10
    assert panels(one(regression, "Residuals against fitted values")) == 20


def test_the_report_counts_seven_indicators_and_names_the_new_one(seventh):
    import html

    report = html.unescape((seventh["latest"] / "report.html").read_text(encoding="utf-8"))
    assert "six indicators" not in report and "four activity figures" not in report
    assert "two outcome figures" in report and "five activity figures" in report
    assert "ten pairs" in report and "eight pairs" not in report
    assert f"{LANGUAGE_FIELD['short_title']} ({LANGUAGE_FIELD['unit']})" in report  # the cities' table
    assert f"Employment increase \u2013 {LANGUAGE_FIELD['short_title']}" in report  # a pair of Table 1
    assert TITLE in report  # the annex describes it, from the codebook
