"""The scales in Italian, the English unchanged: the words of the wing and the codebook's units.

The Italian catalog is the project's (``locale/it/LC_MESSAGES/messages.po``, compiled by ``make``;
``helpers.i18n`` refuses a ``.mo`` older than its ``.po``).
Numbers are checked by hand-written Italian notation (``10.000``), never by Babel.
"""

from __future__ import annotations

import pytest

from helpers import i18n
from helpers import specification as sp
from helpers.brief import words
from helpers.codebook import load_codebook


@pytest.fixture(scope="module")
def italian():
    """The project's compiled Italian catalog (``make`` builds it from messages.po)."""
    i18n.translations("it")
    yield


def test_scale_words_in_english_are_the_data_keys_words():
    """The wing's English for a scale is what the scaled codebook's English unit (its data key) ends with."""
    assert [words.scale(s) for s in sp.SCALES] == ["counts as published", "per 10,000 residents", "natural logarithm"]
    scaled = sp.scaled_codebook(load_codebook(), ["new_businesses"], "per_10k_residents")
    assert scaled.field("new_businesses").unit == "businesses " + words.scale("per_10k_residents")


def test_scale_words_in_italian(italian):
    with i18n.language("it"):
        labels = [words.scale(s) for s in sp.SCALES]
    assert labels[0] == "conteggi come pubblicati" and labels[2] == "logaritmo naturale"
    assert labels[1] == "per 10.000 abitanti"


def test_scaled_codebook_says_the_scale_in_every_language(italian):
    codebook = sp.scaled_codebook(load_codebook(), ["new_businesses"], "per_10k_residents")
    field = codebook.field("new_businesses")
    assert field.unit == "businesses per 10,000 residents"  # the English data key, for logic
    assert field.axis_label == "New businesses created (businesses per 10,000 residents)"
    with i18n.language("it"):
        field = codebook.field("new_businesses")
        assert field.unit_text.startswith("imprese ") and field.unit_text.endswith("10.000 abitanti")
        assert field.unit_singular_text.startswith("impresa ") and field.unit_singular_text.endswith("10.000 abitanti")
        assert field.axis_label == f"Nuove imprese create ({field.unit_text})"
        assert field.published.unit_text == "imprese"  # a doubt is worded in the published unit
        assert codebook.field("employment_rate_increase_pct").unit_text == "%"


def test_a_scaled_field_then_taken_as_a_log_is_worded_in_italian(italian):
    codebook = sp.scaled_codebook(load_codebook(), ["new_businesses"], "per_10k_residents")
    logged = codebook.with_log(["new_businesses"])
    with i18n.language("it"):
        unit = logged.field("new_businesses").unit_text
    assert "imprese" in unit and "10.000" in unit and "residents" not in unit
