"""Exports with nbconvert: researchers' HTML per notebook, reviewers' HTML and PDF.

Researchers get each executed notebook as self-contained HTML with its code.
Reviewers get the report notebook (``notebooks/report.ipynb``), executed once per
language, with all code, prompts, parameter cells and stderr removed by nbconvert's
own machinery (``TagRemovePreprocessor``, ``exclude_input``) rather than by deleting cells.
The PDF is written by the Typst exporter (:mod:`helpers.runner.typesetting`): tagged,
PDF/UA-1, its creation time the run's start, built in-process in about a second.
"""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from helpers import blocks, i18n, paths
from helpers.errors import ExportError

#: The nbconvert templates of the reviewer and researcher exports.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: The exported pages' Content-Security-Policy, a ``<meta>`` in their head (the grid's index
#: too). They ship no script, fetch nothing and submit nothing: a string from the data that
#: escaped its escaping still could not run a script, follow a ``javascript:`` link or call
#: out. A second wall; the first is that every string from the data is escaped.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "script-src 'none'; base-uri 'none'; form-action 'none'"
)
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
    exporter = HTMLExporter(
        config=config or Config(),
        template_name="report_html",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        embed_images=True,
    )
    exporter.environment.globals["content_security_policy"] = CONTENT_SECURITY_POLICY
    return exporter


@lru_cache(maxsize=1)
def _researcher_exporter() -> tuple[HTMLExporter, threading.Lock]:
    """The researchers' HTML exporter, made once per process: its templates compile once, not per notebook.

    The lock keeps steps that finish side by side from using it at the same moment.
    """
    return _html_exporter(), threading.Lock()


def researcher_html(notebook: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Export one executed notebook, code included, as self-contained HTML."""
    nb = nbformat.read(notebook, as_version=4)
    exporter, lock = _researcher_exporter()
    try:
        with lock:
            body, _ = exporter.from_notebook_node(nb)  # nbconvert works on a copy
    except Exception as exc:  # nbconvert raises many types; name the file
        raise ExportError(f"HTML export of {paths.display_path(notebook)} failed: {exc}") from exc
    return paths.write_atomic(target, body)


#: The output through which the report notebook hands the exports its title, subject,
#: authors and language (:class:`helpers.brief.document.DocumentMetadata`); it shows nothing.
METADATA_MIME = blocks.METADATA_MIMETYPE
#: The keys of that output the exports read (anything else in it is ignored).
METADATA_KEYS = ("title", "subject", "authors", "language")


def reviewer_notebook(
    notebook: str | os.PathLike[str], *, created: str | None = None
) -> nbformat.NotebookNode:
    """The executed report notebook, ready for the reviewer exports.

    The document's metadata travel as an output of the notebook (the report wing
    writes them, the runner never words anything): they are lifted into the
    notebook's metadata, where nbconvert's HTML ``<title>`` and the Typst exporter's
    PDF metadata read them, and the output is dropped. ``created`` (the run's start,
    ISO 8601) becomes the PDF's creation time, so the same run gives the same bytes.
    A report notebook without that output, or with two, is an :class:`ExportError`.
    """
    nb = nbformat.read(notebook, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if METADATA_MIME in output.get("data", {}):
                found.append(output["data"][METADATA_MIME])
            else:
                kept.append(output)
        cell.outputs = kept
    if len(found) != 1:
        raise ExportError(
            f"{paths.display_path(notebook)}: expected one output of type {METADATA_MIME} "
            f"(the document's title and language), found {len(found)}"
        )
    values = found[0] if isinstance(found[0], dict) else json.loads(found[0])
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("inclusion_report", None)
    nb.metadata.update({k: values[k] for k in METADATA_KEYS if k in values})
    if created:
        nb.metadata["created"] = created
    return nb


def report_name(language: str, suffix: str) -> str:
    """The file of the report in ``language``: ``report.pdf`` in English, ``report.it.pdf`` in Italian.

    >>> report_name("en", ".pdf"), report_name("it", ".html")
    ('report.pdf', 'report.it.html')
    """
    return f"report{suffix}" if language == i18n.SOURCE_LANGUAGE else f"report.{language}{suffix}"


@lru_cache(maxsize=1)
def _reviewer_exporters() -> tuple[HTMLExporter, object, threading.Lock]:
    """One HTML and one Typst exporter for every language: their templates compile once per process.

    The lock keeps two threads (a grid's variants in one worker) from sharing them at once.
    """
    from helpers.runner.typesetting import TypstPDFExporter

    config = _reviewer_config()
    return _html_exporter(config), TypstPDFExporter(config=config), threading.Lock()


def warm_up() -> None:
    """Make the exporters and compile their templates; have Typst load its fonts."""
    from helpers.runner import typesetting

    html_exporter, typst_exporter, lock = _reviewer_exporters()
    with lock:
        html_exporter.template  # noqa: B018 - compiled on first use
        typst_exporter.template  # noqa: B018
    researcher, lock = _researcher_exporter()
    with lock:  # rendering an empty notebook also compiles the templates it includes
        researcher.from_notebook_node(nbformat.v4.new_notebook())
    typesetting.undisplayable("\u00e9\u03c1")


def reviewer_html(nb: nbformat.NotebookNode, target: str | os.PathLike[str]) -> Path:
    """Export the report notebook as code-free, self-contained HTML (``lang`` from its metadata)."""
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
    """The report notebook as a Typst document, ready to compile (:class:`helpers.runner.typesetting.Document`).

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
    """Export the report notebook as a code-free, tagged A4 PDF (PDF/UA-1) through Typst."""
    return write_pdf(reviewer_document(nb), target)


def write_pdf(document, target: str | os.PathLike[str]) -> Path:
    """Compile a :func:`reviewer_document` and write the PDF; Typst's refusal as an :class:`ExportError`."""
    from helpers.runner.typesetting import TypstFailed

    try:
        pdf = document.pdf()
    except TypstFailed as exc:
        raise ExportError(f"Typst could not build the PDF: {exc}") from exc
    return paths.write_atomic(target, pdf)
