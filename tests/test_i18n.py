"""The report's languages: catalogs complete, Italian numbers, one language per export.

Numbers are checked against a rewrite of the English text done here by hand
(swap the two separators), never against Babel, which the code uses.
"""

from __future__ import annotations

import math
import os
import random

import pytest

from helpers import i18n
from helpers.report import Captioner
from helpers.runner import export
from helpers.tables import format_fixed, format_number, format_p


def _by_hand(english: str) -> str:
    """English digits in Italian notation: thousands "." and decimals "," (swapped here)."""
    return english.translate(str.maketrans({",": ".", ".": ","}))


@pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ,
    reason="under mutmut the copied code holds every mutant's strings, which no catalog translates",
)
def test_every_message_of_the_code_is_translated():
    """No silent English: a message without (or with a fuzzy) Italian translation fails here."""
    problems = i18n.catalog_problems("it")
    assert problems == [], "\n".join(problems[:40])


def test_no_message_is_marked_inside_an_f_string():
    """Babel cannot see a message marked inside an f-string: it would reach the reader untranslated."""
    import re

    marked = re.compile(r"""\bf(["']).*\{\s*(?:_|ngettext|pgettext)\(""")
    found = [
        f"{path.relative_to(i18n.PROJECT_ROOT)}:{number}"
        for path in sorted((i18n.PROJECT_ROOT / "src" / "helpers").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if marked.search(line)
    ]
    assert found == []


def test_the_completeness_check_finds_a_message_the_catalog_lacks(tmp_path):
    root = tmp_path
    (root / "src" / "helpers").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "babel.cfg").write_text((i18n.PROJECT_ROOT / "babel.cfg").read_text())
    (root / "src" / "helpers" / "brief").mkdir()
    (root / "src" / "helpers" / "brief" / "new.py").write_text(
        'from helpers.i18n import _\nTEXT = _("A sentence nobody has translated yet.")\n'
    )
    problems = i18n.catalog_problems("it", root=root)
    assert any("A sentence nobody has translated yet." in p for p in problems)


@pytest.mark.parametrize("seed", range(3))
def test_numbers_follow_the_language(seed):
    generator = random.Random(seed)
    for _ in range(200):
        x = generator.uniform(-50000, 50000) / 10 ** generator.randint(0, 6)
        p = generator.random()
        english = (format_number(x), format_fixed(x), format_p(p), i18n.integer(int(x)))
        with i18n.language("it"):
            italian = (format_number(x), format_fixed(x), format_p(p), i18n.integer(int(x)))
        assert italian == tuple(_by_hand(text) for text in english)
    with i18n.language("it"):
        assert format_p(0.0066) == "0,007"
        assert format_p(0.0004) == "<\u00a00,001"
        assert i18n.integer(10000) == "10.000"
        assert i18n.decimal(-1234.5, 1) == "\u22121.234,5"
        assert i18n.percent(0.25) == "25%"


def test_decimals_round_ties_half_up_in_both_languages():
    """Every eighth from -50 to 50 (exact in binary) to two decimals, against integer rounding."""
    for eighths in range(-400, 401):
        # hundredths of |x| = |eighths| * 100 / 8, rounded half up: floor((25 |e| + 1) / 2)
        hundredths = (25 * abs(eighths) + 1) // 2
        digits = f"{hundredths // 100:,}.{hundredths % 100:02d}"
        sign = "\u2212" if eighths < 0 else ""
        assert i18n.decimal(eighths / 8, 2) == sign + digits, eighths
        with i18n.language("it"):
            assert i18n.decimal(eighths / 8, 2) == sign + digits.replace(".", ","), eighths
    # a tie of the decimal text is not a tie of the stored value: 0.15 is 0.1499... in binary
    assert i18n.decimal(0.15, 1) == "0.1"
    assert i18n.decimal(float("inf"), 1) == "inf"


def test_percentages_round_ties_half_up_as_decimals_do():
    """Every 1/1024 from -2 to 2 (exact in binary) as a whole percentage, against integer rounding."""
    for k in range(-2048, 2049):
        # |x| * 100 = 25 |k| / 256, rounded half up: floor((50 |k| + 256) / 512)
        whole = (50 * abs(k) + 256) // 512
        sign = "\u2212" if k < 0 else ""
        assert i18n.percent(k / 1024) == f"{sign}{whole}%", k
    assert i18n.percent(0.125) == "13%"  # Python's "%" format rounds this tie to even: 12%
    assert i18n.percent(0.0625, 1) == "6.3%" and i18n.percent(0.015) == "1%"  # 0.015 is 0.01499... in binary
    with i18n.language("it"):
        assert i18n.percent(0.0625, 1) == "6,3%" and i18n.percent(12.5) == "1250%"  # no thousands separator


def test_dates_in_words():
    import datetime

    day = datetime.date(2026, 11, 27)
    assert i18n.date(day) == "27 November 2026"
    with i18n.language("it"):
        assert i18n.date(day) == "27 novembre 2026"


def test_a_missing_message_is_an_error_not_english():
    with i18n.language("it"), pytest.raises(i18n.MissingTranslation, match="no 'it' translation"):
        i18n._("A message that exists in no catalog")
    assert i18n._("A message that exists in no catalog") == "A message that exists in no catalog"


def test_plural_forms_come_from_the_catalog():
    from babel.messages.pofile import read_po

    with i18n.catalog_path("it", ".po").open("rb") as handle:
        catalog = read_po(handle, locale="it")
    plurals = [m for m in catalog if m.id and not isinstance(m.id, str)]
    assert plurals, "the catalog should hold plural messages"
    message = plurals[0]
    with i18n.language("it"):
        assert i18n.ngettext(*message.id, 1) == message.string[0]
        assert i18n.ngettext(*message.id, 2) == message.string[1]
        assert i18n.ngettext(*message.id, 0) == message.string[1]
    assert i18n.ngettext(*message.id, 1) == message.id[0]
    assert i18n.ngettext(*message.id, 3) == message.id[1]


def test_report_languages_and_unknown_ones():
    assert i18n.report_languages("en", ["en", "it"]) == ["en", "it"]
    assert i18n.report_languages("it", ["en"]) == ["it", "en"]
    assert i18n.report_languages("en", "it") == ["en", "it"]
    with pytest.raises(i18n.UnknownLanguage, match="'fr'"):
        i18n.report_languages("en", ["fr"])


def test_captions_are_numbered_in_the_active_language():
    cap = Captioner(3)
    assert (cap.next_table_label(), cap.upcoming_figure()) == ("Table 3.1", "Figure 3.1")
    with i18n.language("it"):
        assert (cap.next_table_label(), cap.next_figure_label()) == ("Tabella 3.2", "Figura 3.1")


def test_report_files_are_named_by_language():
    assert export.report_name("it", ".pdf") == "report.it.pdf"
    assert export.report_name("en", ".pdf") == "report.pdf"


def test_minus_and_missing_values():
    with i18n.language("it"):
        assert format_fixed(-0.5) == "\u22120,50"
        assert format_number(float("nan")) == "\u2013"
        assert i18n.percent(math.nan) == "\u2013"
