"""Exports with nbconvert: researchers' HTML per notebook, reviewers' HTML and PDF.

Researchers get each executed notebook as self-contained HTML with its code.
Reviewers get one combined document, the notebooks in pipeline order, with all
code, prompts, parameter cells and stderr removed by nbconvert's own machinery
(``TagRemovePreprocessor``, ``exclude_input``) rather than by deleting cells.
The PDF takes the LaTeX route with xelatex, with shell escape disabled.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter, PDFExporter
from nbconvert.exporters.pdf import LatexFailed
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from helpers import paths
from helpers.errors import ExportError

#: Cells with these tags never reach the reviewer versions.
REVIEWER_REMOVED_TAGS = {"parameters", "injected-parameters", "remove-cell", "researcher-only"}
LATEX_COMMAND = [
    "xelatex",
    "-no-shell-escape",
    "-interaction=nonstopmode",
    "-halt-on-error",
    "{filename}",
]


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


def _reviewer_config() -> Config:
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = REVIEWER_REMOVED_TAGS
    c.TemplateExporter.exclude_input = True
    c.TemplateExporter.exclude_input_prompt = True
    c.TemplateExporter.exclude_output_prompt = True
    c.PDFExporter.latex_command = LATEX_COMMAND
    c.PDFExporter.preprocessors = [RemoveStderrPreprocessor]
    c.HTMLExporter.preprocessors = [RemoveStderrPreprocessor]
    return c


def _write_atomic(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as handle:
        handle.write(data)
    os.replace(tmp, path)
    return path


def _html_exporter(config: Config | None = None) -> HTMLExporter:
    return HTMLExporter(
        config=config or Config(),
        template_name="report_html",
        extra_template_basedirs=[str(paths.TEMPLATES_DIR)],
        embed_images=True,
    )


def researcher_html(notebook: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Export one executed notebook, code included, as self-contained HTML."""
    nb = nbformat.read(notebook, as_version=4)
    try:
        body, _ = _html_exporter().from_notebook_node(nb)
    except Exception as exc:  # nbconvert raises many types; name the file
        raise ExportError(f"HTML export of {paths.display_path(notebook)} failed: {exc}") from exc
    return _write_atomic(Path(target), body)


def combine(notebooks: Sequence[str | os.PathLike[str]], metadata: dict) -> nbformat.NotebookNode:
    """Concatenate executed notebooks, in order, into one notebook for the reviewer report."""
    parts = [nbformat.read(path, as_version=4) for path in notebooks]
    combined = nbformat.v4.new_notebook()
    combined.metadata = copy.deepcopy(parts[0].metadata)
    combined.metadata.pop("papermill", None)
    combined.metadata.update(metadata)
    for number, part in enumerate(parts, start=1):
        for index, cell in enumerate(copy.deepcopy(part.cells)):
            cell["id"] = f"part{number}-{index:03d}"  # ids must stay unique across the parts
            combined.cells.append(cell)
    return combined


def reviewer_html(nb: nbformat.NotebookNode, target: str | os.PathLike[str]) -> Path:
    """Export the combined notebook as code-free, self-contained HTML."""
    try:
        body, _ = _html_exporter(_reviewer_config()).from_notebook_node(copy.deepcopy(nb))
    except Exception as exc:
        raise ExportError(f"reviewer HTML export failed: {exc}") from exc
    return _write_atomic(Path(target), body)


def reviewer_pdf(nb: nbformat.NotebookNode, target: str | os.PathLike[str]) -> Path:
    """Export the combined notebook as a code-free A4 PDF through xelatex."""
    if shutil.which("xelatex") is None:
        raise ExportError(
            "PDF export needs xelatex, which is not installed; run `make setup` "
            "(Debian packages texlive-xetex, texlive-fonts-recommended, texlive-plain-generic)"
        )
    exporter = PDFExporter(
        config=_reviewer_config(),
        template_name="report_latex",
        extra_template_basedirs=[str(paths.TEMPLATES_DIR)],
    )
    try:
        pdf, _ = exporter.from_notebook_node(copy.deepcopy(nb))
    except LatexFailed as exc:
        tail = "\n".join(str(exc.output).splitlines()[-25:])
        raise ExportError(
            f"xelatex failed while building the PDF; last lines of its log:\n{tail}"
        ) from exc
    except Exception as exc:
        raise ExportError(f"PDF export failed: {exc}") from exc
    return _write_atomic(Path(target), pdf)
