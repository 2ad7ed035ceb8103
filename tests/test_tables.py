import re

import pandas as pd
import pytest

from helpers import blocks
from helpers.tables import (
    Table,
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


def test_table_escapes_for_both_targets():
    table = Table(
        pd.DataFrame({"city": [HOSTILE], "value": [1.5]}),
        "Caption with & and <i>",
        label="Table 9.9",
    )
    html = table._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&lt;i&gt;" in html and "<b>Table 9.9.</b>" in html
    # the structured form holds the texts as they are: the PDF exporter prints them as text
    block = table._repr_mimebundle_()[blocks.MIMETYPE]
    assert block == {
        "kind": "table",
        "label": "Table 9.9",
        "caption": "Caption with & and <i>",
        "columns": ["city", "value"],
        "align": ["left", "right"],
        "rows": [[HOSTILE, "1.50"]],
        "notes": "",
    }


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


def test_html_header_cells_say_they_head_columns():
    """Screen readers announce a cell with its column's header: every <th> has scope="col"."""

    frame = pd.DataFrame({"city": ["A", "B"], "n": [1, 2], "r": [0.5, -0.25]})
    html = Table(frame, "Caption", label="Table 1.1")._repr_html_()
    headers = re.findall(r"<th[ >][^>]*>", html)
    assert len(headers) == 3
    assert all('scope="col"' in h for h in headers), headers
    assert "<caption><b>Table 1.1.</b> Caption</caption>" in html


def test_the_structured_form_formats_cells_as_the_html_does():
    frame = pd.DataFrame({"city": ["Roma", "Bari"], "n": [1000, 2], "p": [0.0004, 0.5]})
    table = Table(frame, "Caption", label="Table 1.1", formats={"p": format_p}, notes="A note.")
    block = table.block()
    assert block["rows"] == [["Roma", "1,000", "<\u00a00.001"], ["Bari", "2", "0.500"]]
    assert block["align"] == ["left", "right", "right"] and block["notes"] == "A note."
    # a column of links (HTML built by the caller) gives its text only
    linked = Table(
        pd.DataFrame({"report": ['<a href="x.pdf">report &amp; more</a>']}), "c", html_columns=["report"]
    )
    assert linked.block()["rows"] == [["report & more"]]


def test_a_block_must_give_one_alignment_and_one_cell_per_column():
    with pytest.raises(ValueError, match="align must give one of left, right"):
        blocks.table(label="", caption="", columns=["a"], rows=[["1"]], align=["middle"])
    with pytest.raises(ValueError, match="every row must have 2 cells"):
        blocks.table(label="", caption="", columns=["a", "b"], rows=[["1"]], align=["left", "left"])
