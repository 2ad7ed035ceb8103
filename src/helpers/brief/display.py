"""How the reviewer document puts its parts on the page: headings, paragraphs, numbered tables and figures.

Everything shown goes through :func:`helpers.report.show` as an object that renders
itself as HTML (escaped) and in its structured form (:mod:`helpers.blocks`, which the
PDF's exporter writes as Typst string literals): a heading, a paragraph or a caption that
quotes a city name or a codebook title can never carry markup into the document.

:class:`Numbering` numbers the tables and figures of the document: 1, 2, ... in the
main text, A.1, A.2, ... in the annex.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import pandas as pd

from helpers import blocks, report
from helpers.i18n import _
from helpers.tables import Table, escape_html

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

#: Characters that Markdown would read as syntax: each is written escaped.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&@^])")


def escape_markdown(text: object) -> str:
    r"""``text`` so that Markdown prints it literally: every syntax character backslash-escaped.

    >>> escape_markdown("R&D *x* [a](javascript:b) <img>")
    'R\\&D \\*x\\* \\[a\\]\\(javascript:b\\) \\<img\\>'
    """
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def slug(text: str) -> str:
    """An id for a heading: its words in lower case, joined by hyphens, ASCII only.

    >>> slug("A.3 What one city does")
    'a-3-what-one-city-does'
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "section"


class Heading:
    """A heading of the document: an HTML heading with an id, Markdown, and its structured form."""

    def __init__(self, text: str, level: int = 1, *, outlined: bool = True):
        self.text = text
        self.level = level
        self.outlined = outlined
        self.id = slug(text)

    def _repr_html_(self) -> str:
        return f'<h{self.level} id="{escape_html(self.id)}">{escape_html(self.text)}</h{self.level}>'

    def _repr_markdown_(self) -> str:
        return "#" * self.level + " " + escape_markdown(self.text)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {blocks.MIMETYPE: blocks.heading(self.text, self.level, outlined=self.outlined)}

    def __repr__(self) -> str:
        return self.text


class Box:
    """A framed box of labelled lists (the page-one box on what the figures may be used for)."""

    def __init__(self, title: str, items: list[tuple[str, list[str]]]):
        self.title = title
        self.items = items

    def _repr_html_(self) -> str:
        parts = [f'<aside class="use-box" aria-label="{escape_html(self.title)}">',
                 f"<p class=\"box-title\"><strong>{escape_html(self.title)}</strong></p>"]
        for label, entries in self.items:
            parts.append(f"<p><strong>{escape_html(label)}</strong></p><ul>")
            parts += [f"<li>{escape_html(entry)}</li>" for entry in entries]
            parts.append("</ul>")
        return "".join(parts) + "</aside>"

    def _repr_markdown_(self) -> str:
        lines = [f"**{escape_markdown(self.title)}**", ""]
        for label, entries in self.items:
            lines += [f"*{escape_markdown(label)}*", ""] + [f"- {escape_markdown(e)}" for e in entries] + [""]
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {blocks.MIMETYPE: blocks.box(self.title, self.items)}

    def __repr__(self) -> str:
        return self.title + "\n" + "\n".join(f"{label}: " + "; ".join(e) for label, e in self.items)


class Banner(report.Text):
    """The quality banner under the bottom line: paragraphs set apart (an aside in HTML, shaded in the PDF)."""

    def _repr_html_(self) -> str:
        return f'<aside class="quality-banner">{super()._repr_html_()}</aside>'

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {blocks.MIMETYPE: blocks.banner(self.paragraphs)}


class PageBreak:
    """Where the PDF starts a new page (before the annex); nothing in HTML."""

    def _repr_html_(self) -> str:
        return ""

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {blocks.MIMETYPE: blocks.page_break()}

    def __repr__(self) -> str:
        return ""


class Contents:
    """The table of contents: links to the sections in HTML, the PDF's own outline."""

    def __init__(self, title: str, headings: list[str]):
        self.title = title
        self.headings = headings

    def _repr_html_(self) -> str:
        items = "".join(f'<li><a href="#{escape_html(slug(h))}">{escape_html(h)}</a></li>' for h in self.headings)
        title = escape_html(self.title)
        return f'<nav class="toc" aria-label="{title}"><h2>{title}</h2><ul>{items}</ul></nav>'

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {blocks.MIMETYPE: blocks.contents(self.title)}

    def __repr__(self) -> str:
        return f"{self.title}: " + "; ".join(self.headings)


class Numbering:
    """The numbers of the document's tables and figures: 1, 2, ... then A.1, A.2, ... in the annex."""

    def __init__(self) -> None:
        self.prefix = ""
        self.tables = 0
        self.figures = 0

    def annex(self) -> None:
        """From now on, number as the annex does (A.1, A.2, ...)."""
        self.prefix, self.tables, self.figures = "A.", 0, 0

    def _number(self, count: int) -> str:
        return f"{self.prefix}{count}"

    def upcoming_table(self) -> str:
        """The label the next table will get, to refer to it before it is shown."""
        return _("Table {number}").format(number=self._number(self.tables + 1))

    def upcoming_figure(self) -> str:
        """The label the next figure will get."""
        return _("Figure {number}").format(number=self._number(self.figures + 1))

    def table(self, frame: pd.DataFrame, caption: str, **options) -> None:
        """Show ``frame`` as the next numbered table (options as :class:`helpers.tables.Table` takes them)."""
        label = self.upcoming_table()
        self.tables += 1
        if len(frame) > report.MAX_TABLE_ROWS:  # the first and last rows, and where every row is
            note = report.excerpt_note(len(frame), options.pop("full_table", ""))
            options["notes"] = f"{options['notes']} {note}" if options.get("notes") else note
            frame = report.excerpt(frame)
        options.pop("full_table", None)
        report.show(Table(frame, caption, label=label, **options))

    def figure(self, fig: plt.Figure, caption: str, alt: str) -> None:
        """Show ``fig`` with its alternative text, then its numbered caption, and close it."""
        import matplotlib.pyplot as plt

        from helpers.plots import literal_text

        literal_text(fig)  # names from the data print as written, never as mathtext
        label = self.upcoming_figure()
        self.figures += 1
        under = report.Caption(label, caption)
        # the PDF sets the caption in one block with the figure, so a page never splits them
        report.show(fig, alt=alt, caption=under.block())
        plt.close(fig)
        report.show(under, figure_caption=True)


def heading(text: str, level: int = 1, *, outlined: bool = True) -> None:
    """Show a heading of the document (``outlined=False``: not in the contents, as the title)."""
    report.show(Heading(text, level, outlined=outlined))


def paragraphs(*texts: str) -> None:
    """Show paragraphs of text (escaped for every format)."""
    report.say(*texts)


def bullets(*texts: str) -> None:
    """Show a bulleted list (escaped for every format)."""
    report.say(*texts, bullets=True)
