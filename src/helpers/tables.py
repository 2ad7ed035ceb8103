"""Tables for readers: number formatting and DataFrames that render in HTML and in the PDF.

A :class:`Table` publishes two representations of the same DataFrame: a real HTML
table for the browser and JupyterLab, and its structured form (:mod:`helpers.blocks`:
header, cells and caption as plain texts, one alignment per column) from which the PDF
exporter sets a real table that breaks across pages and repeats its header. The HTML
escapes every cell, header and caption; the structured form holds text only, which the
exporter prints as text, so a city called ``R&D <b>x</b> 50%_{y}`` shows literally in
both. Machine-readable CSVs are written elsewhere at full precision; this module only
rounds for display.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from helpers import blocks, i18n

__all__ = ["Table", "escape_html", "format_number", "format_p"]


def escape_html(text: object) -> str:
    """Return ``text`` escaped for HTML element content and attribute values."""
    return html.escape(str(text), quote=True)


def _plain(markup: str) -> str:
    """The text of a little HTML (a link a caller built): tags dropped, entities read."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def format_p(p: float) -> str:
    """Format a p-value for reading: three decimals, or ``"< 0.001"`` (unbreakable space)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "\u2013"
    if p < 0.001:
        return i18n.localize("<\u00a00.001")
    # half up, not to even: 0.0625 (64 of 1,024 sign vectors) is 0.063, never 0.062
    return i18n.decimal(p, 3, grouping=False)


def format_fixed(x: float, decimals: int = 2) -> str:
    """Format ``x`` with a fixed number of decimals, ties half up, and a true minus sign (r, rho, R²)."""
    return i18n.decimal(x, decimals, grouping=False)


def format_number(x: float, digits: int = 3) -> str:
    """Format ``x`` with ``digits`` significant digits and a comma between thousands.

    Whole numbers are shown whole (``10000`` → ``"10,000"``); others keep
    ``digits`` significant digits (``0.0037698`` → ``"0.00377"``,
    ``2886.39`` → ``"2,886"``). Negative numbers take a true minus sign (U+2212).
    """
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return "\u2013"
    if float(x).is_integer():
        # a true minus sign: typographically right, and a line never breaks after it
        return i18n.localize(f"{int(x):,}")
    magnitude = math.floor(math.log10(abs(x))) if x != 0 else 0
    # half up, as a reader rounds: 36.25 is 36.3 and 262.5 is 263 (the f format rounds
    # ties to even, so a table would show 36.2 beside 53.8 for 53.75)
    return i18n.decimal(x, max(digits - 1 - magnitude, 0))


class Table:
    """A DataFrame with a caption, displayed as HTML in browsers and as a real table in PDFs.

    Parameters
    ----------
    frame:
        The data, one row per table row; the index is not shown.
    caption:
        Plain text; it is escaped for each target.
    label:
        The numbered label that precedes the caption, e.g. ``"Table 2.1"``.
    formats:
        Optional formatter per column (a callable from value to text); other
        numeric columns use :func:`format_number`.
    notes:
        A note printed under the table.
    html_columns:
        Columns whose cells are HTML already (a link, built and escaped by the
        caller): the HTML shows them as they are.

    """

    def __init__(
        self,
        frame: pd.DataFrame,
        caption: str,
        *,
        label: str = "",
        formats: Mapping[str, Callable[[object], str]] | None = None,
        notes: str = "",
        html_columns: Sequence[str] = (),
    ):
        self.frame = frame.reset_index(drop=True)
        #: Columns whose cells are HTML already (a link): shown as they are in HTML.
        self.html_columns = [c for c in html_columns if c in self.frame.columns]
        self.caption = caption
        self.label = label
        self.notes = notes
        self.formats = dict(formats or {})

    def _text(self) -> pd.DataFrame:
        """Every cell as display text (before escaping)."""
        out = {}
        for column in self.frame.columns:
            formatter = self.formats.get(column)
            series = self.frame[column]
            if formatter is None:
                if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
                    formatter = format_number
                else:
                    formatter = str
            out[str(column)] = [formatter(v) for v in series]
        return pd.DataFrame(out, columns=[str(c) for c in self.frame.columns], dtype=object)

    def _numeric(self) -> list[bool]:
        return [
            pd.api.types.is_numeric_dtype(self.frame[c]) or c in self.formats
            for c in self.frame.columns
        ]

    def _repr_html_(self) -> str:
        text = self._text()
        label = f"<b>{escape_html(self.label)}.</b> " if self.label else ""
        styler = (
            text.style.format(escape_html)
            .format(str, subset=self.html_columns)
            .format_index(escape_html, axis=1)
            .hide(axis="index")
            .set_caption(label + escape_html(self.caption))
            .set_table_attributes('class="report-table"')
            .set_uuid(hashlib.sha1(f"{self.label}{self.caption}".encode()).hexdigest()[:8])
        )
        # header and cells of a column share the class col<i>: numbers right, text left
        styler = styler.set_table_styles(
            [
                {"selector": f".col{i}", "props": [("text-align", "right" if numeric else "left")]}
                for i, numeric in enumerate(self._numeric())
            ],
            overwrite=False,
        )
        notes = f'<p class="table-notes">{escape_html(self.notes)}</p>' if self.notes else ""
        # column headers say what they head (the index, and so row headers, is hidden)
        body = re.sub(
            r'<th (id="T_\w+_level0_col\d+" class="col_heading)',
            r'<th scope="col" \1',
            styler.to_html(),
        )
        return body + notes

    def block(self) -> dict:
        """The table's structured form (:mod:`helpers.blocks`): texts only, nothing escaped yet.

        Cells of :attr:`html_columns` give their text without the markup.
        """
        text = self._text()
        rows = [
            [_plain(v) if c in self.html_columns else v for c, v in zip(text.columns, row, strict=True)]
            for row in text.itertuples(index=False)
        ]
        return blocks.table(
            label=self.label,
            caption=self.caption,
            columns=list(text.columns),
            align=["right" if n else "left" for n in self._numeric()],
            rows=rows,
            notes=self.notes,
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {blocks.MIMETYPE: self.block()}

    def __repr__(self) -> str:
        return f"{self.label}. {self.caption}\n{self._text().to_string(index=False)}"
