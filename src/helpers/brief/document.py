"""The reviewer document, part by part: what ``notebooks/report.ipynb`` calls, in order.

One :class:`Brief` per language: it reads the run once (:func:`helpers.brief.evidence.load`),
keeps the numbering of tables and figures, and shows each part of the document.
"""

from __future__ import annotations

import os

from helpers import blocks, i18n, paths, report
from helpers.brief import annex, claims, data, display, glossary, limits, page_one, results
from helpers.brief.evidence import Evidence, load
from helpers.i18n import _


class Brief:
    """The document in one language, shown part by part."""

    def __init__(self, evidence: Evidence):
        self.ev = evidence
        self.numbering = display.Numbering()

    @classmethod
    def load(
        cls,
        output_dir: str | os.PathLike[str],
        language: str,
        processed_data_path: str | os.PathLike[str] = paths.PROCESSED_DATA_DIR / paths.PROCESSED_TABLE_NAME,
    ) -> Brief:
        """The document of the run in ``output_dir``, in ``language``."""
        report.setup_notebook()
        return cls(load(output_dir, language, processed_data_path))

    def metadata(self) -> dict:
        """The document's title, subject, author and language, for the exports (PDF metadata, HTML head)."""
        with i18n.language(self.ev.language):
            return {
                "title": page_one.title(self.ev),
                "authors": [{"name": _("The inclusion-report project")}],
                "subject": _("A check of one newsletter article's figures on municipal integration programmes"),
                "language": self.ev.language,
            }

    def page_one(self) -> None:
        """Title, bottom line, quality banner, main points and the box on use."""
        report.show(DocumentMetadata(self.metadata()))
        page_one.show(self.ev)

    def contents(self) -> None:
        """The table of contents: the main sections and the annex (the PDF makes its own outline)."""
        with i18n.language(self.ev.language):
            headings = [t for part in (results, data, claims, limits, glossary, annex) for t in part.titles(self.ev)]
            report.show(display.Contents(_("Contents"), headings))

    def results(self) -> None:
        """Section 1: the lead figure, the results table and the notable pairs."""
        results.show(self.ev, self.numbering)

    def data(self) -> None:
        """Section 2: the cities' figures."""
        data.show(self.ev, self.numbering)

    def claims(self) -> None:
        """Section 3: the text against its table."""
        claims.show(self.ev)

    def limits(self) -> None:
        """Sections 4 and 5: limitations and what an evaluation would need."""
        limits.show(self.ev)

    def glossary(self) -> None:
        """Section 6: the terms of the main text."""
        glossary.show(self.ev)

    def annex(self) -> None:
        """The technical annex."""
        annex.show(self.ev, self.numbering)


class DocumentMetadata:
    """The document's metadata as an output the exports read (no visible text)."""

    MIME = blocks.METADATA_MIMETYPE

    def __init__(self, values: dict):
        self.values = values

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {self.MIME: self.values, "text/plain": ""}
