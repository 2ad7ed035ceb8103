"""Pages a reviewer does not stumble on: no word printed over another, in figures or text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from helpers import i18n, plots, stats
from helpers.cleaning import load_clean_data
from helpers.codebook import load_codebook

from .conftest import required
from .layout import headings, headings_ending_a_page, overlapping_words
from .test_stats import INPUTS, OUTCOMES

#: The project's codebook: a figure is always given the codebook that describes its values.
CODEBOOK = load_codebook()


@pytest.fixture(autouse=True)
def _poppler():
    required(shutil.which("pdftotext"), "pdftotext (poppler-utils) not installed")


def test_the_overlap_check_finds_words_printed_over_each_other(tmp_path):
    fig = matplotlib.figure.Figure(figsize=(3, 2))
    fig.text(0.2, 0.5, "Palermo", fontsize=9)
    fig.text(0.23, 0.51, "Napoli", fontsize=9)  # on top of Palermo
    fig.text(0.2, 0.1, "alone", fontsize=9)
    fig.savefig(tmp_path / "f.pdf")
    assert {frozenset(pair[1:]) for pair in overlapping_words(tmp_path / "f.pdf")} == {
        frozenset({"Palermo", "Napoli"})
    }


def test_points_with_crowded_names_get_names_that_do_not_overlap(tmp_path):
    plots.set_theme()
    fig = matplotlib.pyplot.figure(figsize=(2, 2))
    ax = fig.add_subplot()
    x = [1.0, 1.05, 1.1, 2.0, 2.0, 3.0]
    y = [1.0, 1.02, 0.98, 2.0, 2.05, 3.0]
    ax.scatter(x, y)
    ax.set(xlim=(0, 4), ylim=(0, 4))
    names = ["Genova", "Torino", "Palermo", "Napoli", "Verona", "Bari"]
    texts = plots.label_points(ax, x, y, names)
    assert [t.get_text() for t in texts] == names
    fig.savefig(tmp_path / "labels.pdf")
    assert overlapping_words(tmp_path / "labels.pdf") == []


@pytest.mark.parametrize("language", ["en", "it"])
def test_no_figure_of_the_report_prints_a_word_over_another(tmp_path, language):
    data = load_clean_data()
    variables = OUTCOMES + INPUTS
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    loo = pd.DataFrame(
        [
            {"outcome": o, "predictor": p, "dropped_city": city, "slope": fit.slope, "p_value": 0.5}
            for o in OUTCOMES
            for p in INPUTS
            for k, city in data["city"].items()
            for fit in [stats.simple_regressions(data.drop(index=k), [o], [p]).iloc[0]]
        ]
    )
    plots.set_theme()
    with i18n.language(language):
        figures = {
            "distributions": plots.distributions(data, variables, codebook=CODEBOOK),
            "correlations": plots.correlation_pair(
                stats.correlations(data, variables, "pearson"),
                stats.correlations(data, variables, "spearman"),
                codebook=CODEBOOK,
            ),
            "profile": plots.city_profile(data, variables, codebook=CODEBOOK),
            "regressions": plots.regression_grid(data, fits, codebook=CODEBOOK),
            "leave-one-out": plots.leave_one_out(fits, loo, codebook=CODEBOOK),
            "diagnostics": plots.diagnostics(data, fits, codebook=CODEBOOK),
        }
        for name, fig in figures.items():
            fig.savefig(tmp_path / f"{name}.pdf")
            assert overlapping_words(tmp_path / f"{name}.pdf") == [], name


@pytest.mark.slow
@pytest.mark.parametrize("name", ["report.pdf", "report.it.pdf"])
def test_no_page_of_the_report_prints_a_word_over_another(built, name):
    """Every page, text and (vector) figures, read back from the PDF's text layer."""
    assert overlapping_words(built["latest"] / name) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["report.pdf", "report.it.pdf"])
def test_no_heading_is_left_alone_at_the_foot_of_a_page(built, name):
    """A heading whose table does not fit below it moves to the next page with the table."""
    pdf = built["latest"] / name
    assert len(headings(pdf)) >= 15  # the check has headings to look at
    assert headings_ending_a_page(pdf) == []


def _catalog_language(pdf: Path) -> str:
    """The /Lang of the PDF's catalog: the document's language (code may be tagged English within it)."""
    import pikepdf

    with pikepdf.open(pdf) as document:
        return str(document.Root.Lang)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "language"), [("report.pdf", "en"), ("report.it.pdf", "it")])
def test_the_pdf_states_its_language_and_has_a_bookmark_per_section(built, name, language):
    pdf = built["latest"] / name
    assert _catalog_language(pdf) == language
    outline = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    bookmarks = re.findall(r"<item page=\"\d+\">([^<]*)</item>", outline)
    numbered = [b for b in bookmarks if re.match(r"\d\. ", b)]
    assert [b[:2] for b in numbered] == [f"{k}." for k in range(1, 7)], bookmarks
    assert bookmarks[0] == ("In brief" if language == "en" else "In sintesi")
    annex = [b for b in bookmarks if re.match(r"A\.\d ", b)]
    assert [b[:3] for b in annex] == [f"A.{k}" for k in range(1, 9)], bookmarks
    assert bookmarks[-1].startswith("A.8 ")
