"""The report's blocks in a structured form that any exporter can render: one model, many renderers.

A notebook displays a table, a paragraph of generated text, a figure caption or a
table of contents as HTML (for browsers, JupyterLab and the reviewer HTML) and, beside
it, as plain data under :data:`MIMETYPE`: a JSON object whose ``"kind"`` says what it is.
The PDF exporter (:mod:`helpers.runner.typesetting`) renders that data; it never parses
HTML back, and nothing in the data is markup: every string is text, to be escaped by
whoever prints it. This module only builds those objects (no pandas, no IPython), so
the runner may import it without knowing anything of the analysis.

Kinds and their fields:

``table``
    ``label`` ("Table 2.1"), ``caption``, ``columns`` (header texts), ``align``
    (``"left"`` or ``"right"`` per column), ``rows`` (lists of cell texts), ``notes``.
``text``
    ``paragraphs`` (texts) and ``bullets`` (a bulleted list when true).
``caption``
    ``label`` and ``text`` of a figure's caption.
``contents``
    ``title``: a table of contents of the document's top-level headings.
``heading``
    ``text`` and ``level`` (1 to 3): a heading of the document, written by code; ``outlined``
    false keeps it out of the contents (the document's title).
``box``
    ``title`` and ``items``: a framed box of labelled lists, each ``[label, [entries]]``.
``banner``
    ``paragraphs``: text set apart from the body (a shaded block).
``break``
    nothing: the next block starts a new page (the PDF; a web page has none).

A figure's caption travels with the figure itself, in the figure output's metadata:
``{"alt": ..., "caption": {"label": ..., "text": ...}}``; the caption shown after it is
then marked ``figure_caption`` so that an exporter that sets the two together skips it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: The MIME type of the structured form of a block (a JSON object with a ``kind``).
MIMETYPE = "application/vnd.inclusion-report.block+json"
#: The document's metadata (title, subject, authors, language) as one output that shows
#: nothing: the report notebook displays it once, the exports lift it into the notebook's
#: metadata (:func:`helpers.runner.export.reviewer_notebook`).
METADATA_MIMETYPE = "application/vnd.inclusion-report.metadata+json"
KINDS = ("table", "text", "caption", "contents", "heading", "box", "banner", "break")
ALIGNMENTS = ("left", "right")


def table(
    *,
    label: str,
    caption: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    align: Sequence[str],
    notes: str = "",
) -> dict:
    """A table: header texts, rows of cell texts, one alignment per column."""
    columns = [str(c) for c in columns]
    rows = [[str(cell) for cell in row] for row in rows]
    align = list(align)
    if len(align) != len(columns) or any(a not in ALIGNMENTS for a in align):
        raise ValueError(f"align must give one of {', '.join(ALIGNMENTS)} for each of the {len(columns)} columns")
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"every row must have {len(columns)} cells")
    return {
        "kind": "table",
        "label": str(label),
        "caption": str(caption),
        "columns": columns,
        "align": align,
        "rows": rows,
        "notes": str(notes),
    }


def text(paragraphs: Sequence[str], *, bullets: bool = False) -> dict:
    """Paragraphs of plain text, or the items of a bulleted list."""
    return {"kind": "text", "paragraphs": [str(p) for p in paragraphs], "bullets": bool(bullets)}


def caption(label: str, text: str) -> dict:
    """A figure's caption: its label ("Figure 2.1") and its text."""
    return {"kind": "caption", "label": str(label), "text": str(text)}


def contents(title: str) -> dict:
    """A table of contents, titled ``title``."""
    return {"kind": "contents", "title": str(title)}


def heading(text: str, level: int, *, outlined: bool = True) -> dict:
    """A heading of the document: its text, its level (1 to 3), and whether the contents list it."""
    if level not in (1, 2, 3):
        raise ValueError(f"a heading's level is 1, 2 or 3, not {level!r}")
    found = {"kind": "heading", "text": str(text), "level": int(level)}
    return found if outlined else {**found, "outlined": False}


def box(title: str, items: Sequence[tuple[str, Sequence[str]]]) -> dict:
    """A framed box: a title, then labelled lists of entries."""
    return {"kind": "box", "title": str(title), "items": [[str(label), [str(e) for e in entries]]
                                                          for label, entries in items]}


def banner(paragraphs: Sequence[str]) -> dict:
    """Paragraphs set apart from the body."""
    return {"kind": "banner", "paragraphs": [str(p) for p in paragraphs]}


def page_break() -> dict:
    """The next block starts a new page."""
    return {"kind": "break"}
