"""The scales and the specification curve's words in Italian, the English unchanged.

The Italian catalog is the project's (``locale/it/LC_MESSAGES/messages.po``, compiled by ``make``;
``helpers.i18n`` refuses a ``.mo`` older than its ``.po``).
Numbers are checked by hand-written Italian notation (``0,50``, ``10.000``), never by Babel.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import i18n
from helpers import specification as sp
from helpers.codebook import load_codebook


@pytest.fixture(scope="module")
def italian():
    """The project's compiled Italian catalog (``make`` builds it from messages.po)."""
    i18n.translations("it")
    yield


def test_scale_labels_in_english_are_the_data_keys_words():
    assert [sp.scale_label(s) for s in sp.SCALES] == [sp.SCALE_LABELS[s] for s in sp.SCALES]


def test_scale_labels_in_italian(italian):
    with i18n.language("it"):
        labels = [sp.scale_label(s) for s in sp.SCALES]
    assert labels[0] == "conteggi come pubblicati" and labels[2] == "logaritmo naturale"
    assert "10.000" in labels[1] and "residents" not in labels[1]  # residenti or abitanti


def _pair(estimates, p_values):
    return pd.DataFrame({"estimate": estimates, "p_value": p_values})


def test_curve_count_in_english_is_unchanged():
    assert sp.curve_count(_pair([0.5, 0.2, -0.1], [0.01, 0.3, 0.6])) == (
        "positive in 2 of 3 specifications, negative in 1 (standardised estimates, on the scale of r, "
        "from \u22120.10 to 0.50); p < 0.05 in 1"
    )
    assert sp.curve_count(_pair([0.5, 0.0, -0.1], [0.01, 0.3, 0.6])) == (
        "positive in 1 of 3 specifications, negative in 1, exactly zero in 1 "
        "(standardised estimates, on the scale of r, from \u22120.10 to 0.50); p < 0.05 in 1"
    )
    assert sp.curve_count(_pair([], [])) == "positive in 0 of 0 specifications, negative in 0; p < 0.05 in 0"


def test_curve_count_in_italian(italian):
    with i18n.language("it"):
        plain = sp.curve_count(_pair([0.5, 0.2, -0.1], [0.01, 0.3, 0.6]))
        zero = sp.curve_count(_pair([0.5, 0.0, -0.1], [0.01, 0.3, 0.6]))
        one = sp.curve_count(_pair([0.25], [0.01]))
    assert plain == (
        "stima positiva in 2 specificazioni su 3, negativa in 1 (stime standardizzate, sulla scala di r, "
        "da \u22120,10 a 0,50); p < 0,05 in 1"
    )
    assert "esattamente nulla in 1" in zero and "0.5" not in zero
    assert one.startswith("stima positiva in 1 specificazione su 1,")  # the singular, through gettext


def test_scaled_codebook_says_the_scale_in_every_language(italian):
    codebook = sp.scaled_codebook(load_codebook(), ["new_businesses"], "per_10k_residents")
    field = codebook.field("new_businesses")
    assert field.unit == "businesses per 10,000 residents"  # the English data key, for logic
    assert field.axis_label == "New businesses created (businesses per 10,000 residents)"
    with i18n.language("it"):
        field = codebook.field("new_businesses")
        per = sp.scale_label("per_10k_residents").removeprefix("per ")  # "10.000 abitanti"
        assert field.unit_text.startswith("imprese ") and field.unit_text.endswith(per)
        assert field.unit_singular_text.startswith("impresa ") and field.unit_singular_text.endswith(per)
        assert field.axis_label == f"Nuove imprese create ({field.unit_text})"
        assert field.published.unit_text == "imprese"  # a doubt is worded in the published unit
        assert codebook.field("employment_rate_increase_pct").unit_text == "%"


def test_a_scaled_field_then_taken_as_a_log_is_worded_in_italian(italian):
    codebook = sp.scaled_codebook(load_codebook(), ["new_businesses"], "per_10k_residents")
    logged = codebook.with_log(["new_businesses"])
    with i18n.language("it"):
        unit = logged.field("new_businesses").unit_text
    assert "imprese" in unit and "10.000" in unit and "residents" not in unit
