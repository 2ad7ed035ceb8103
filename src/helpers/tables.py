"""Tables for readers: number formatting and DataFrames that render in HTML and LaTeX.

A :class:`Table` publishes two representations of the same DataFrame: a real HTML
table for the browser and JupyterLab, and a booktabs ``longtable`` for the PDF
(it breaks across pages and repeats its header). Every cell, header and caption
that comes from data is escaped for its target, so a city called
``R&D <b>x</b> 50%_{y}`` shows literally in both. Machine-readable CSVs are
written elsewhere at full precision; this module only rounds for display.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from helpers import i18n
from helpers.i18n import _

__all__ = ["Table", "escape_html", "escape_latex", "format_number", "format_p"]

# LaTeX's special characters and what prints each literally. nbconvert has the
# same filter (nbconvert.filters.latex), but importing nbconvert costs a
# notebook kernel seconds at start-up; this is the whole of it.
_LATEX_SPECIALS = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    # symbols the report's text font (Latin Modern) lacks: typeset them as math
    "\u2265": r"\ensuremath{\geq}",
    "\u2264": r"\ensuremath{\leq}",
    "\u03c1": r"\ensuremath{\rho}",
    "\u03c3": r"\ensuremath{\sigma}",
    "\u03b1": r"\ensuremath{\alpha}",
    "\u03b2": r"\ensuremath{\beta}",
}
_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]+")
_LATEX_PATTERN = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))
#: A straight quote that opens a quotation (at the start, or after a space or an opening
#: bracket): LaTeX would print ' as a closing quote and " as a straight mark.
_OPENING_QUOTE = re.compile(r"(?:^|(?<=[\s(\[{\u2013\u2014]))(['\"])(?=\S)")


def escape_latex(text: object) -> str:
    r"""Return ``text`` so that LaTeX prints it literally and executes nothing.

    Every LaTeX special character becomes a command that prints it, so neither
    ``\\input{...}`` nor ``\\write18{...}`` survives as a command.
    """
    curly = _OPENING_QUOTE.sub(lambda m: "\u2018" if m.group(1) == "'" else "\u201c", str(text))
    escaped = _LATEX_PATTERN.sub(lambda m: _LATEX_SPECIALS[m.group()], curly.replace('"', "\u201d"))
    # symbols and emoji are set in a font that has them (Symbola, see the LaTeX template)
    return _EMOJI.sub(lambda m: "{\\emojifont " + m.group() + "}", escaped)


def escape_html(text: object) -> str:
    """Return ``text`` escaped for HTML element content and attribute values."""
    return html.escape(str(text), quote=True)


def _breakable(latex: str) -> str:
    """Let LaTeX break long identifiers after underscores and slashes, and nowhere else.

    Each piece of an identifier between underscores is boxed, so that a narrow column
    never hyphenates it ("employment_rate_" then "increase_pct", never "employ-ment").
    """
    pieces = latex.split(r"\_")
    if len(pieces) > 1:
        pieces = [p if not p or " " in p or "/" in p else f"\\mbox{{{p}}}" for p in pieces]
    return r"\_\allowbreak{}".join(pieces).replace("/", "/\\allowbreak{}")


def _keep_rows_together(longtable: str) -> str:
    r"""Forbid a page break after the first rows and before the last one of a longtable.

    The caption, the header and the first :data:`KEEP_ROWS` rows stay on one page (a
    table that cannot start with them starts on the next page, and so does a heading
    just above it, after which LaTeX allows no break); the last row never sits alone at
    the top of a page; a table of at most :data:`WHOLE_ROWS` rows is never split.
    ``\*`` ends a row after which longtable may not break the page.
    """
    lines = longtable.split("\n")
    first = lines.index("\\endlastfoot") + 1
    last = lines.index("\\end{longtable}")
    rows = range(first, last)
    if len(rows) <= WHOLE_ROWS:  # a short table is never split
        keep = set(rows[:-1])
    else:
        keep = {*rows[: KEEP_ROWS - 1], *rows[-2:-1]}
    for i in keep:
        if lines[i].endswith(" \\\\"):
            lines[i] += "*"
    return "\n".join(lines)


#: Geometry of the PDF (A4, 2.4 cm margins, \\small type) used to fit tables.
LATEX_TEXT_WIDTH_PT = 455.0
LATEX_TABCOLSEP_PT = 6.0
LATEX_CHAR_PT = 5.6
#: Narrowest a column of text is made (in characters) when a table must squeeze to fit.
TEXT_COLUMN_CHARS = 20
#: Table rows kept on one page with the caption and the header.
KEEP_ROWS = 3
#: Tables of at most this many rows are kept whole on one page.
WHOLE_ROWS = 12


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
        # a true minus sign: typographically right, and LaTeX never breaks a line after it
        return i18n.localize(f"{int(x):,}")
    magnitude = math.floor(math.log10(abs(x))) if x != 0 else 0
    # half up, as a reader rounds: 36.25 is 36.3 and 262.5 is 263 (the f format rounds
    # ties to even, so a table would show 36.2 beside 53.8 for 53.75)
    return i18n.decimal(x, max(digits - 1 - magnitude, 0))


class Table:
    """A DataFrame with a caption, displayed as HTML in browsers and LaTeX in PDFs.

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

    def _latex_columns(self, text: pd.DataFrame) -> str:
        """A column specification that keeps the table within the text width.

        Columns keep their natural width when the whole table fits; otherwise
        they become paragraph columns whose widths share the page, so long
        headers (and identifiers, which may break after underscores) wrap.
        """
        numeric = self._numeric()
        widths = self._latex_widths(text)
        if widths is None:
            return "".join("r" if n else "l" for n in numeric)
        align = {True: r">{\raggedleft\arraybackslash}", False: r">{\raggedright\arraybackslash}"}
        return "".join(
            f"{align[n]}p{{{math.floor(w * LATEX_CHAR_PT * 10) / 10:.1f}pt}}"
            for n, w in zip(numeric, widths, strict=True)
        )

    def _latex_widths(self, text: pd.DataFrame) -> list[float] | None:
        """Each column's width in characters, or None when every column keeps its natural width."""
        numeric = self._numeric()
        words = r"[ _/\-]"
        cells = [max((len(v) for v in text[c]), default=1) for c in text.columns]
        headers = [len(str(c)) for c in text.columns]
        # the longest piece that cannot wrap, in the cells (numbers never wrap) and the header
        floors = [
            max(
                3,
                max(len(t) for t in re.split(words, str(c))),
                max(
                    (len(v) if n else max(len(t) for t in re.split(words, v)) for v in text[c]),
                    default=1,
                ),
            )
            for c, n in zip(text.columns, numeric, strict=True)
        ]
        desired = [max(c, h, f) for c, h, f in zip(cells, headers, floors, strict=True)]
        available = (LATEX_TEXT_WIDTH_PT - 2 * LATEX_TABCOLSEP_PT * len(desired)) / LATEX_CHAR_PT
        if sum(desired) <= available:
            return None
        if sum(floors) >= available:
            return [f * available / sum(floors) for f in floors]
        # where there is room, a column of words keeps space for a few per line, not a syllable
        roomy = [
            f if n else max(f, min(d, TEXT_COLUMN_CHARS))
            for f, d, n in zip(floors, desired, numeric, strict=True)
        ]
        if sum(roomy) < available:
            floors = roomy
        # water-filling: narrow columns keep their natural width, wide ones share the rest
        lo, hi = 0.0, float(max(desired))
        for _step in range(60):
            cap = (lo + hi) / 2
            used = sum(min(d, max(f, cap)) for d, f in zip(desired, floors, strict=True))
            lo, hi = (cap, hi) if used < available else (lo, cap)
        return [min(d, max(f, lo)) for d, f in zip(desired, floors, strict=True)]

    def _repr_latex_(self) -> str:
        text = self._text()
        label = f"\\textbf{{{escape_latex(self.label)}.}} " if self.label else ""

        def cell(value: object) -> str:
            return _breakable(escape_latex(value))

        styler = text.style.format(cell).format_index(cell, axis=1).hide(axis="index")
        body = styler.to_latex(
            environment="longtable",
            hrules=True,
            column_format=self._latex_columns(text),
            caption=label + escape_latex(self.caption),
        )
        # pandas writes the longtable's page-break note in English: say it in the active language
        body = body.replace(
            "{Continued on next page}", "{" + escape_latex(_("Continued on next page")) + "}"
        )
        notes = (
            f"\n\\begin{{center}}\\footnotesize {escape_latex(self.notes)}\\end{{center}}\n"
            if self.notes
            else ""
        )
        return "\n{\\small\n" + _keep_rows_together(body) + "}\n" + notes

    def __repr__(self) -> str:
        return f"{self.label}. {self.caption}\n{self._text().to_string(index=False)}"
