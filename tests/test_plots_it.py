"""The figures in Italian: every word from the catalog, every number in Italian notation."""

import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.ticker import ScalarFormatter

from helpers import i18n, inference, plots, stats
from helpers.cleaning import load_clean_data
from helpers.codebook import load_codebook

from .test_stats import INPUTS, OUTCOMES

#: The project's codebook: a figure is always given the codebook that describes its values.
CODEBOOK = load_codebook()

#: English words of the figures that must never reach an Italian one.
ENGLISH = re.compile(
    r"\b(cities|city|slope|fitted|residual|without|estimate|specifications|sorted|"
    r"leverage|distance|units?|per 10,000|score|the|and|of)\b"
)
#: A number with an English decimal point (a point before exactly three digits groups thousands
#: in Italian; "10,000" is left to the positive checks, as it also reads as an Italian decimal).
ENGLISH_NUMBER = re.compile(r"\d\.(?!\d{3}(?!\d))\d")


@pytest.fixture(scope="module")
def data():
    plots.set_theme()
    return load_clean_data()


@pytest.fixture
def italian():
    """Italian active, from the project's compiled catalog (``make`` builds it from messages.po)."""
    with i18n.language("it"):
        yield
    plt.close("all")


def texts(fig) -> list[str]:
    """Every text drawn on ``fig``: titles, labels, ticks, legends, annotations, colour bars."""
    fig.canvas.draw()
    found = [fig._suptitle.get_text()] if fig._suptitle else []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        found += [ax.get_title(), ax.xaxis.get_label_text(), ax.yaxis.get_label_text()]
        found += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        found += [ax.xaxis.get_offset_text().get_text(), ax.yaxis.get_offset_text().get_text()]
        found += [t.get_text() for t in ax.texts]
    for legend in fig.legends:
        found += [t.get_text() for t in legend.get_texts()]
    return [t.replace("\n", " ") for t in found if t]


def assert_italian(fig, *, cities=()):
    """No English word and no English-notation number on ``fig`` (city names aside)."""
    for text in texts(fig):
        for name in cities:
            text = text.replace(name, "")
        assert not ENGLISH.search(text), text
        assert not ENGLISH_NUMBER.search(text), text


def test_english_figures_keep_matplotlibs_own_tick_labels(data):
    fig = plots.distributions(data, OUTCOMES + INPUTS, codebook=CODEBOOK)
    assert all(isinstance(ax.xaxis.get_major_formatter(), ScalarFormatter) for ax in fig.axes)
    assert "Pearson r" in texts(plots.correlation_pair(
        stats.correlations(data, OUTCOMES, "pearson"), stats.correlations(data, OUTCOMES, "spearman"),
        codebook=CODEBOOK,
    ))
    plt.close("all")


def test_distributions_in_italian(data, italian):
    fig = plots.distributions(data, OUTCOMES + INPUTS, codebook=CODEBOOK)
    codebook = load_codebook()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().replace("\n", " ") for ax in panels] == [
        codebook.field(v).title for v in OUTCOMES + INPUTS
    ]
    assert "Partecipazione a eventi comunitari" in panels[4].get_title().replace("\n", " ")
    fig.canvas.draw()
    ticks = [t.get_text() for t in panels[4].get_xticklabels()]
    assert "10.000" in ticks and "2.500" in ticks  # thousands with a dot
    assert_italian(fig)


def test_many_cities_histograms_say_comuni(italian):
    from helpers import synthetic

    many = synthetic.generate(plots.POINTS_LIMIT + 50, seed=4)
    fig = plots.distributions(many, OUTCOMES + INPUTS, codebook=CODEBOOK)
    assert {ax.get_ylabel() for ax in fig.axes if ax.get_visible()} == {"comuni"}
    assert_italian(fig)


def test_correlations_and_profile_print_italian_numbers(data, italian):
    variables = OUTCOMES + INPUTS
    fig = plots.correlation_pair(
        stats.correlations(data, variables, "pearson"), stats.correlations(data, variables, "spearman"),
        codebook=CODEBOOK,
    )
    assert [ax.get_title() for ax in fig.axes] == ["r di Pearson", "\u03c1 di Spearman"]
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert "1,00" in cells and all(re.fullmatch("\u2212?\\d,\\d\\d", c) for c in cells)
    assert_italian(fig)

    fig = plots.city_profile(data, variables, codebook=CODEBOOK)
    values = [t.get_text() for t in fig.axes[0].texts]
    assert "10.000" in values and "1.000" in values
    assert fig.axes[1].get_ylabel() == "punteggio z (DS dalla media)"
    assert_italian(fig)


def test_regression_figures_in_italian(data, italian):
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    flagged = pd.DataFrame({"outcome": [OUTCOMES[0]], "predictor": [INPUTS[0]], "city": ["Milano"]})
    cities = list(data.city)
    fig = plots.regression_grid(data, fits, flagged=flagged, codebook=CODEBOOK)
    assert all(re.fullmatch(r"R² = \d,\d\d, n = 10", ax.get_title()) for ax in fig.axes)
    assert "distanza di Cook" in fig.legends[0].get_texts()[0].get_text()
    assert_italian(fig, cities=cities)

    loo = inference.leave_one_out(data, fits)
    fig = plots.leave_one_out(fits, loo, codebook=CODEBOOK)
    assert fig.axes[0].get_xlabel() == (
        "pendenza senza il comune indicato (unità % dell'articolo per persona)"
    )
    assert_italian(fig, cities=cities)

    fig = plots.diagnostics(data, fits, codebook=CODEBOOK)
    assert fig.axes[0].get_xlabel() == "valore stimato (%)"
    assert fig.axes[1].get_xlabel() == "quantile normale"
    assert_italian(fig)


def test_specification_choices_in_italian(italian):
    assert plots.choice_name("per_10k_residents") == "per 10.000 abitanti"
    assert plots.choice_name("without_flagged") == "senza i dati in dubbio"
    assert plots.choice_name("without_Reggio nell'Emilia") == "senza Reggio nell'Emilia"
    assert plots.choice_name("theil_sen") == "Theil\u2013Sen"


def test_choices_in_english_are_as_before():
    assert plots.choice_name("per_10k_residents") == "per 10,000 residents"
    assert plots.choice_name("without_Roma") == "without Roma"
    assert plots.choice_name("ols") == "OLS (Pearson r)"


def test_tick_labels_follow_the_language_they_were_drawn_in():
    formatter = ScalarFormatter()
    with i18n.language("it"):
        localized = plots.LocalizedTicks(formatter)
    fig, ax = plt.subplots()
    ax.plot([0, 0.5, 1.5], [0, 1200, 2500])
    ax.xaxis.set_major_formatter(localized)
    fig.canvas.draw()  # drawn with English active: the labels stay Italian
    assert "0,4" in [t.get_text() for t in ax.get_xticklabels()]
    assert plots.localized_tick("1234") == "1234"  # English active: as matplotlib wrote it
    plt.close(fig)
