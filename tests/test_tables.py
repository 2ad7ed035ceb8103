import re

import pandas as pd
import pytest

from helpers.tables import (
    LATEX_CHAR_PT,
    LATEX_TABCOLSEP_PT,
    LATEX_TEXT_WIDTH_PT,
    Table,
    escape_latex,
    format_fixed,
    format_number,
    format_p,
)

HOSTILE = r"R&D <b>x</b> 50%_{y} \input{/etc/hostname} \write18{ls} ~^#$"


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0074, "0.007"),
        (0.0004, "<\u00a00.001"),
        (0.05, "0.050"),
        (1.0, "1.000"),
        (float("nan"), "\u2013"),
        (64 / 1024, "0.063"),  # exactly halfway: rounded up, never down to 0.062
    ],
)
def test_format_p(p, text):
    assert format_p(p) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (10000, "10,000"),
        (1000.0, "1,000"),
        (0.0037698, "0.00377"),
        (2886.385, "2,886"),
        (-0.70879, "\u22120.709"),
        (-1500, "\u22121,500"),
        (46.0, "46"),
        (13.9044, "13.9"),
        # ties (exact in binary) round half up, as a reader would, not to even
        (36.25, "36.3"),
        (53.75, "53.8"),
        (262.5, "263"),
        (437.5, "438"),
        (-0.125, "\u22120.125"),
        (0.00012345, "0.000123"),
    ],
)
def test_format_number(x, text):
    assert format_number(x) == text


def test_escape_latex_neutralises_commands():
    escaped = escape_latex(HOSTILE)
    assert "\\input" not in escaped and "\\write18" not in escaped
    # every special character is now preceded by a backslash or spelled as a command
    assert re.search(r"(?<!\\)[&%$#_{}]", escaped.replace("{}", "")) is None


def test_format_number_rounds_quarters_half_up():
    """Every quarter from 10 to 1,000 (exact in binary, ties included) against integer rounding."""
    for quarters in range(40, 4000):
        x = quarters / 4
        if x.is_integer():
            continue
        if x < 100:  # three significant digits: tenths, floor(10x + 1/2) in integers
            tenths = (10 * quarters + 2) // 4
            expected = f"{tenths // 10}.{tenths % 10}"
        else:  # whole units, floor(x + 1/2)
            expected = f"{(quarters + 2) // 4:,}"
        assert format_number(x) == expected, x


def test_escape_latex_opens_quotations():
    # LaTeX prints a straight ' as a closing quote: a quotation opens with the opening one
    assert escape_latex("read strictly ('more than 10,000'), the article's") == (
        "read strictly (\u2018more than 10,000'), the article's"
    )
    assert escape_latex('"a" and "b"') == "\u201ca\u201d and \u201cb\u201d"
    assert escape_latex("l'articolo, 'x'") == "l'articolo, \u2018x'"


def test_table_escapes_for_both_targets():
    table = Table(
        pd.DataFrame({"city": [HOSTILE], "value": [1.5]}),
        "Caption with & and <i>",
        label="Table 9.9",
    )
    html = table._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&lt;i&gt;" in html and "<b>Table 9.9.</b>" in html
    latex = table._repr_latex_()
    assert "\\input{" not in latex and "\\write18{" not in latex
    assert "\\begin{longtable}" in latex and "\\toprule" in latex and "\\bottomrule" in latex
    assert "\\endhead" in latex  # header repeated on every page


def test_wide_tables_get_paragraph_columns_within_text_width():
    frame = pd.DataFrame({f"a_rather_long_column_name_{i}": [123456.0] for i in range(8)})
    spec = Table(frame, "wide")._latex_columns(Table(frame, "wide")._text())
    widths = [float(w) for w in re.findall(r"p\{([\d.]+)pt\}", spec)]
    assert len(widths) == 8
    assert sum(widths) + 2 * LATEX_TABCOLSEP_PT * 8 <= LATEX_TEXT_WIDTH_PT + 1e-6
    narrow = pd.DataFrame({"a": [1], "b": ["x"]})
    assert Table(narrow, "n")._latex_columns(Table(narrow, "n")._text()) == "rl"
    assert LATEX_CHAR_PT > 0


def test_html_aligns_numbers_right_and_text_left():
    html = Table(pd.DataFrame({"city": ["Roma"], "value": [2.0]}), "c")._repr_html_()
    assert re.search(r"\.col0 \{\s*text-align: left;", html)
    assert re.search(r"\.col1 \{\s*text-align: right;", html)


def test_format_fixed_uses_a_true_minus():
    assert format_fixed(-0.0092) == "\u22120.01"
    assert format_fixed(0.61256, 2) == "0.61"


@pytest.mark.parametrize(
    ("x", "text"),
    # exact ties in binary round away from zero, as in format_number and format_p
    [(0.125, "0.13"), (-0.125, "\u22120.13"), (0.375, "0.38"), (-0.625, "\u22120.63"), (0.875, "0.88")],
)
def test_format_fixed_rounds_ties_half_up(x, text):
    assert format_fixed(x) == text


def test_symbols_missing_from_the_font_become_math():
    assert escape_latex("\u03c1 \u2265 0.05") == r"\ensuremath{\rho} \ensuremath{\geq} 0.05"


def test_html_header_cells_say_they_head_columns():
    """Screen readers announce a cell with its column's header: every <th> has scope="col"."""

    frame = pd.DataFrame({"city": ["A", "B"], "n": [1, 2], "r": [0.5, -0.25]})
    html = Table(frame, "Caption", label="Table 1.1")._repr_html_()
    headers = re.findall(r"<th[ >][^>]*>", html)
    assert len(headers) == 3
    assert all('scope="col"' in h for h in headers), headers
    assert "<caption><b>Table 1.1.</b> Caption</caption>" in html


@pytest.mark.parametrize("rows", [1, 2, 3, 12, 13, 40])
def test_longtable_keeps_its_first_rows_and_its_last_row_with_others(rows):
    r"""``\\*`` (no page break after this row): after the first two rows and the one before the
    last of a long table; after every row but the last of a table of up to 12 rows."""
    frame = pd.DataFrame({"city": [f"c{i}" for i in range(rows)], "n": range(rows)})
    latex = Table(frame, "Caption", label="Table 1.1")._repr_latex_()
    body = latex.split("\\endlastfoot\n")[1].split("\\end{longtable}")[0].splitlines()
    assert len(body) == rows
    starred = [i for i, line in enumerate(body) if line.endswith("\\\\*")]
    if rows <= 12:
        assert starred == list(range(rows - 1)), body
    else:
        assert starred == [0, 1, rows - 2], body


def test_identifiers_break_at_underscores_and_are_never_hyphenated():
    frame = pd.DataFrame({"name": ["employment_rate_increase_pct"], "title": ["two words"]})
    latex = Table(frame, "Caption", label="Table 1.1")._repr_latex_()
    assert (
        "\\mbox{employment}\\_\\allowbreak{}\\mbox{rate}\\_\\allowbreak{}"
        "\\mbox{increase}\\_\\allowbreak{}\\mbox{pct}"
    ) in latex
    assert "two words" in latex  # words keep their spaces (and LaTeX's line breaking)
