"""Exports with nbconvert: researchers' HTML per notebook, reviewers' HTML and PDF.

Researchers get each executed notebook as self-contained HTML with its code.
Reviewers get one combined document, its numbered sections in the order of their
numbers (a step's sections may interleave with another's), with all
code, prompts, parameter cells and stderr removed by nbconvert's own machinery
(``TagRemovePreprocessor``, ``exclude_input``) rather than by deleting cells.
The PDF is written by the Typst exporter (:mod:`helpers.runner.typesetting`): tagged,
PDF/UA-1, its creation time the run's start, built in-process in about a second.
"""

from __future__ import annotations

import copy
import html
import os
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode
from traitlets.config import Config

from helpers import blocks, i18n, paths
from helpers.errors import ExportError

#: The nbconvert templates of the reviewer and researcher exports.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Cells with these tags never reach the reviewer versions.
REVIEWER_REMOVED_TAGS = {"parameters", "injected-parameters", "remove-cell", "researcher-only"}


class RemoveStderrPreprocessor(Preprocessor):
    """Drop stderr streams and error outputs: warnings are for researchers, not reviewers.

    nbconvert has no built-in switch for this; it is one loop over the outputs.
    """

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 - nbconvert API
        if cell.get("cell_type") == "code":
            cell.outputs = [
                out
                for out in cell.get("outputs", [])
                if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
                and out.get("output_type") != "error"
            ]
        return cell, resources


class LanguagePreprocessor(Preprocessor):
    """Keep one language of a notebook run in several: its outputs, its Markdown translated.

    The notebooks show every result once per report language, each output marked
    ``{"lang": code}`` in its metadata (``helpers.report.show``). This keeps the
    outputs of :attr:`language` (and unmarked ones), and replaces the text of each
    reviewer Markdown cell by its translation in the gettext catalog (cells tagged
    for researchers are left alone: they never reach a reviewer). A Markdown cell
    without a translation is an error, never English left in place.
    """

    language = Unicode(i18n.SOURCE_LANGUAGE, help="The report language to keep.").tag(config=True)
    translate_markdown = Bool(True, help="Translate Markdown cells through the catalog.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 - nbconvert API
        if cell.get("cell_type") == "code":
            cell.outputs = [
                out
                for out in cell.get("outputs", [])
                if out.get("metadata", {}).get("lang", self.language) == self.language
            ]
        elif (
            cell.get("cell_type") == "markdown"
            and self.translate_markdown
            and self.language != i18n.SOURCE_LANGUAGE
            and not set(cell.get("metadata", {}).get("tags", [])) & i18n.UNTRANSLATED_TAGS
            and i18n.markdown_message(cell.source)
        ):
            with i18n.language(self.language):
                cell.source = i18n._(i18n.markdown_message(cell.source))
        return cell, resources


def in_language(nb: nbformat.NotebookNode, language: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` as the report in ``language`` shows it (see :class:`LanguagePreprocessor`)."""
    copied, _resources = LanguagePreprocessor(language=language).preprocess(copy.deepcopy(nb), {})
    return copied


def _reviewer_config(language: str = i18n.SOURCE_LANGUAGE) -> Config:
    c = Config()
    c.HTMLExporter.language_code = language
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = REVIEWER_REMOVED_TAGS
    c.TemplateExporter.exclude_input = True
    c.TemplateExporter.exclude_input_prompt = True
    c.TemplateExporter.exclude_output_prompt = True
    c.Exporter.optimistic_validation = True  # the notebook is checked once, not after each preprocessor
    c.TypstExporter.language_code = language
    c.TypstExporter.preprocessors = [RemoveStderrPreprocessor]
    c.HTMLExporter.preprocessors = [RemoveStderrPreprocessor]
    return c


def _html_exporter(config: Config | None = None) -> HTMLExporter:
    return HTMLExporter(
        config=config or Config(),
        template_name="report_html",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        embed_images=True,
    )


def researcher_html(notebook: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Export one executed notebook, code included, as self-contained HTML.

    A notebook run in several languages shows the outputs of its own (parameter
    ``language``, English unless set); its Markdown cells stay as written.
    """
    nb = nbformat.read(notebook, as_version=4)
    own = _notebook_language(nb)
    nb, _resources = LanguagePreprocessor(language=own, translate_markdown=False).preprocess(nb, {})
    try:
        body, _ = _html_exporter().from_notebook_node(nb)
    except Exception as exc:  # nbconvert raises many types; name the file
        raise ExportError(f"HTML export of {paths.display_path(notebook)} failed: {exc}") from exc
    return paths.write_atomic(target, body)


def _notebook_language(nb: nbformat.NotebookNode) -> str:
    """The ``language`` parameter papermill recorded for ``nb`` (English when absent)."""
    language = nb.metadata.get("papermill", {}).get("parameters", {}).get("language")
    return language if language in i18n.LANGUAGES else i18n.SOURCE_LANGUAGE


def display_cell(html: str, block: dict, text: str) -> nbformat.NotebookNode:
    """A code cell without source whose only output has an HTML and a structured form (:mod:`helpers.blocks`)."""
    output = nbformat.v4.new_output(
        "display_data", data={"text/html": html, blocks.MIMETYPE: block, "text/plain": text}
    )
    return nbformat.v4.new_code_cell(source="", outputs=[output])


def _anchor(heading: str) -> str:
    """The id nbconvert's HTML export gives a Markdown heading."""
    return heading.strip().replace(" ", "-")


def contents_cell(cells: Sequence[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A table of contents: Typst's outline in the PDF, links to the top-level headings in HTML."""
    headings = [
        line[2:].strip()
        for cell in cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("# ")
    ]
    items = "".join(
        f'<li><a href="#{html.escape(_anchor(h), quote=True)}">{html.escape(h)}</a></li>'
        for h in headings
    )
    contents = html.escape(i18n._("Contents"))
    return display_cell(
        f'<nav class="toc" aria-label="{contents}"><h2>{contents}</h2><ul>{items}</ul></nav>',
        blocks.contents(i18n._("Contents")),
        f"{i18n._('Contents')}: " + "; ".join(headings),
    )


def report_name(language: str, suffix: str) -> str:
    """The file of the report in ``language``: ``report.pdf`` in English, ``report.it.pdf`` in Italian.

    >>> report_name("en", ".pdf"), report_name("it", ".html")
    ('report.pdf', 'report.it.html')
    """
    return f"report{suffix}" if language == i18n.SOURCE_LANGUAGE else f"report.{language}{suffix}"


#: A top-level heading that numbers its section: "# 4. Findings".
_NUMBERED_SECTION = re.compile(r"#\s+(\d+)\.\s")


def _section_number(cell: nbformat.NotebookNode) -> int | None:
    if cell.cell_type != "markdown":
        return None
    match = _NUMBERED_SECTION.match(cell.source)
    return int(match.group(1)) if match else None


def sections_in_order(parts: Sequence[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """The cells of ``parts`` with their numbered sections in the order of their numbers.

    A section runs from a markdown cell opening with ``# N. `` to the next such
    cell or the end of its notebook, so one step can hold sections 3, 5 and 6
    while another, run beside it, holds section 4. Cells before a notebook's
    first numbered heading stay with it; a notebook without numbered headings
    follows every section of the notebooks before it. Equal numbers keep pipeline order.
    """
    chunks: list[tuple[int, list]] = []
    highest = 0
    for part in parts:
        lead: list = []  # cells before the notebook's first numbered heading
        current: list | None = None
        for cell in copy.deepcopy(part.cells):
            found = _section_number(cell)
            if found is not None:
                current, lead, highest = [*lead, cell], [], max(highest, found)
                chunks.append((found, current))
            elif current is not None:
                current.append(cell)
            else:
                lead.append(cell)
        if lead:  # a notebook without numbered headings
            chunks.append((highest, lead))
    ordered = sorted(range(len(chunks)), key=lambda i: (chunks[i][0], i))
    return [cell for i in ordered for cell in chunks[i][1]]


def combine(
    notebooks: Sequence[str | os.PathLike[str] | nbformat.NotebookNode],
    metadata: dict,
    *,
    appendix: Sequence[nbformat.NotebookNode] = (),
    language: str = i18n.SOURCE_LANGUAGE,
) -> nbformat.NotebookNode:
    """Assemble the reviewer report in ``language``: front matter, contents, sections, appendix.

    Notebooks whose metadata say ``{"inclusion_report": {"position": "front"}}``
    (the summary) come first; a table of contents follows them, then the other
    notebooks' sections by their numbers (see :func:`sections_in_order`). ``notebooks``
    are files, or notebooks read already (they are not changed). Each
    notebook keeps the outputs of ``language`` and its Markdown is translated
    (:class:`LanguagePreprocessor`); ``metadata`` and ``appendix`` are expected
    in that language already.
    """
    parts = []
    for item in notebooks:
        read = isinstance(item, nbformat.NotebookNode)
        nb = item if read else nbformat.read(item, as_version=4)
        try:
            parts.append(in_language(nb, language))
        except i18n.MissingTranslation as exc:
            where = nb.metadata.get("papermill", {}).get("output_path", "a notebook") if read else item
            raise ExportError(f"{paths.display_path(where)}: {exc}") from exc
    front = [p for p in parts if p.metadata.get("inclusion_report", {}).get("position") == "front"]
    body = [p for p in parts if p not in front]
    combined = nbformat.v4.new_notebook()
    combined.metadata = copy.deepcopy(parts[0].metadata)
    combined.metadata.pop("papermill", None)
    combined.metadata.pop("inclusion_report", None)
    combined.metadata.update(metadata)
    combined.metadata["language"] = language
    body_cells = sections_in_order(body)
    cells = [cell for part in front for cell in copy.deepcopy(part.cells)]
    back = copy.deepcopy(list(appendix))
    with i18n.language(language):
        cells += [contents_cell(body_cells + back), *body_cells, *back]
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:04d}"  # ids must stay unique across the parts
    combined.cells = cells
    return combined


@lru_cache(maxsize=1)
def _reviewer_exporters() -> tuple[HTMLExporter, object, threading.Lock]:
    """One HTML and one Typst exporter for every language: their templates compile once per process.

    The lock keeps two threads (a grid's variants in one worker) from sharing them at once.
    """
    from helpers.runner.typesetting import TypstPDFExporter

    config = _reviewer_config()
    return _html_exporter(config), TypstPDFExporter(config=config), threading.Lock()


def warm_up() -> None:
    """Make the reviewer exporters and compile their templates; have Typst load its fonts."""
    from helpers.runner import typesetting

    html_exporter, typst_exporter, lock = _reviewer_exporters()
    with lock:
        html_exporter.template  # noqa: B018 - compiled on first use
        typst_exporter.template  # noqa: B018
    typesetting.undisplayable("\u00e9\u03c1")


def reviewer_html(nb: nbformat.NotebookNode, target: str | os.PathLike[str]) -> Path:
    """Export the combined notebook as code-free, self-contained HTML (``lang`` from its metadata)."""
    language = nb.metadata.get("language", i18n.SOURCE_LANGUAGE)
    exporter, _typst, lock = _reviewer_exporters()
    try:
        with lock:
            exporter.language_code = language
            body, _ = exporter.from_notebook_node(nb)  # nbconvert works on a copy
    except Exception as exc:
        raise ExportError(f"reviewer HTML export failed: {exc}") from exc
    return paths.write_atomic(target, body)


def reviewer_document(nb: nbformat.NotebookNode):
    """The combined notebook as a Typst document, ready to compile (:class:`helpers.runner.typesetting.Document`).

    Writing the source takes a fraction of a second; compiling it (``.write(target)``)
    takes the rest, outside Python's lock, so several compile side by side. Its creation
    time is the metadata's ``created`` (the run's start), so the same notebook gives the
    same bytes.
    """
    _html, exporter, lock = _reviewer_exporters()
    try:
        with lock:
            return exporter.document(nb)
    except Exception as exc:
        raise ExportError(f"PDF export failed: {exc}") from exc


def reviewer_pdf(nb: nbformat.NotebookNode, target: str | os.PathLike[str]) -> Path:
    """Export the combined notebook as a code-free, tagged A4 PDF (PDF/UA-1) through Typst."""
    return write_pdf(reviewer_document(nb), target)


def write_pdf(document, target: str | os.PathLike[str]) -> Path:
    """Compile a :func:`reviewer_document` and write the PDF; Typst's refusal as an :class:`ExportError`."""
    from helpers.runner.typesetting import TypstFailed

    try:
        pdf = document.pdf()
    except TypstFailed as exc:
        raise ExportError(f"Typst could not build the PDF: {exc}") from exc
    return paths.write_atomic(target, pdf)
