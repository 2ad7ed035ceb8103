"""Exports on small hand-made notebooks: code hidden, content escaped, nothing fetched."""

import re

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import blocks
from helpers.brief import display
from helpers.errors import ExportError
from helpers.report import Caption
from helpers.runner import export
from helpers.tables import Table

HOSTILE = r"R&D <b>x</b> 50%_{y} \input{/etc/hostname} <script>alert(1)</script>"


def rich(obj):
    return new_output(
        "display_data",
        data={"text/html": obj._repr_html_(), "text/plain": repr(obj), **obj._repr_mimebundle_()},
    )


@pytest.fixture
def notebook(tmp_path):
    table = Table(
        pd.DataFrame({"city": [HOSTILE, "Bologna"], "value": [1.0, 2000.0]}),
        "Cities & values",
        label="Table 1.1",
    )
    cells = [
        new_code_cell(
            "raw_data_path = 'secret_parameter_value'", metadata={"tags": ["parameters"]}
        ),
        new_markdown_cell("# 1. Section heading\n\nSome prose."),
        new_code_cell(
            "import helpers\nsecret_code_marker = 1",
            outputs=[
                rich(table),
                new_output("stream", name="stderr", text="WarningMarker: noisy\n"),
                rich(Caption("Figure 1.1", HOSTILE)),
            ],
            execution_count=3,
        ),
        new_code_cell(
            "print('researcher only')",
            metadata={"tags": ["researcher-only"]},
            outputs=[new_output("stream", name="stdout", text="researcher-only marker\n")],
        ),
    ]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "inclusion-report", "display_name": "x", "language": "python"}
        },
    )
    path = tmp_path / "01_test.ipynb"
    nbformat.write(nb, path)
    return path


def test_researcher_html_keeps_code_and_is_offline(notebook, tmp_path):
    html = export.researcher_html(notebook, tmp_path / "r.html").read_text()
    assert "secret_code_marker" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I)
    assert "mathjax" not in html.lower()


def with_metadata(path, values):
    """``path`` with the report wing's metadata output added to its first code cell."""
    nb = nbformat.read(path, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs.append(new_output("display_data", data={blocks.METADATA_MIMETYPE: values, "text/plain": ""}))
    nbformat.write(nb, path)
    return path


def test_reviewer_html_hides_code_prompts_stderr_and_escapes(notebook, tmp_path):
    reviewed = export.reviewer_notebook(with_metadata(notebook, {"title": "T & T <i>", "language": "en"}))
    html = export.reviewer_html(reviewed, tmp_path / "report.html").read_text()
    assert "<title>T &amp; T &lt;i&gt;</title>" in html
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)  # CSS mentions prompts in comments
    for marker in (
        "secret_code_marker",
        "secret_parameter_value",
        "WarningMarker",
        "researcher-only marker",
        "In&nbsp;[",
        "Out[",
        'jp-InputPrompt">[',
    ):
        assert marker not in html, marker
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "R&amp;D &lt;b&gt;x&lt;/b&gt;" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert "<table" in html and "Section heading" in html


def test_the_wings_metadata_are_lifted_into_the_notebook_and_leave_no_output(notebook):
    values = {"title": "A title", "subject": "S", "authors": [{"name": "A"}], "language": "it", "other": 1}
    reviewed = export.reviewer_notebook(with_metadata(notebook, values), created="2026-01-01T00:00:00+00:00")
    assert {k: reviewed.metadata[k] for k in ("title", "subject", "authors", "language", "created")} == {
        "title": "A title", "subject": "S", "authors": [{"name": "A"}], "language": "it",
        "created": "2026-01-01T00:00:00+00:00",
    }  # fmt: skip
    assert "other" not in reviewed.metadata and "papermill" not in reviewed.metadata
    assert not any(
        blocks.METADATA_MIMETYPE in out.get("data", {}) for c in reviewed.cells for out in c.get("outputs", [])
    )


@pytest.mark.parametrize("copies", [0, 2])
def test_a_report_notebook_without_exactly_one_metadata_output_is_refused(notebook, copies):
    for _ in range(copies):
        with_metadata(notebook, {"title": "T"})
    with pytest.raises(ExportError, match=r"01_test\.ipynb: expected one output .* found " + str(copies)):
        export.reviewer_notebook(notebook)


def test_contents_links_to_the_headings_ids_in_the_reviewer_html(tmp_path):
    headings = ["1. What the figures show", "A.3 What one city does", "Annex: technical details & <more>"]
    shown = [display.Contents("Contents", headings), *(display.Heading(h) for h in headings)]
    cells = [
        new_code_cell("", outputs=[rich(obj)]) for obj in shown
    ]
    path = tmp_path / "report.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    with_metadata(path, {"title": "T"})
    html = export.reviewer_html(export.reviewer_notebook(path), tmp_path / "report.html").read_text()
    links = re.findall(r'<a href="#([^"]+)">', html)
    assert links == [display.slug(h) for h in headings]
    for anchor in links:
        assert len(re.findall(f'id="{re.escape(anchor)}"', html)) == 1, anchor


def test_the_annex_shows_the_manifest_and_keeps_its_text_as_text(monkeypatch):
    from helpers import report
    from helpers.brief import provenance
    from helpers.brief.evidence import Evidence
    from helpers.codebook import load_codebook

    manifest = {
        "run_id": "20260101T000000Z-abc123",
        "parameters": {"raw_data_path": HOSTILE},
        "parameter_help": {"raw_data_path": "the table <i>as published</i>"},
        "provenance": {
            "inputs": {"raw data": {"path": "data/raw/x.tsv", "sha256": "ab" * 32}},
            "git": {"commit": "0123456789abcdef", "dirty": True},
            "python": "3.11.7",
            "packages": {"pandas": "3.1.1"},
            "lock_sha256": "cd" * 32,
        },
    }
    shown = []
    monkeypatch.setattr(report, "display", lambda obj, metadata=None: shown.append(obj))
    ev = Evidence("en", load_codebook(), pd.DataFrame({"city": [HOSTILE]}), {}, manifest)
    provenance.show(ev, display.Numbering())
    html = "".join(obj._repr_html_() for obj in shown)
    texts = [
        cell
        for obj in shown
        if isinstance(obj, Table)
        for row in obj._repr_mimebundle_()[blocks.MIMETYPE]["rows"]
        for cell in row
    ]
    assert "20260101T000000Z-abc123" in html and "0123456789abcdef with uncommitted changes" in html
    # the first 16 hex digits of each hash; the whole one is in manifest.json
    assert "abababababababab\u2026" in html and "cdcdcdcdcdcdcdcd\u2026" in html
    assert "ab" * 9 not in html and "cd" * 9 not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and HOSTILE in texts  # text in the structured form
    assert "<b>x</b>" not in html
    assert "the table &lt;i&gt;as published&lt;/i&gt;" in html and "<i>" not in html  # a description is text too


def test_one_researcher_exporter_serves_every_notebook_and_thread_alike(notebook, tmp_path):
    """The researchers' exporter is made once per process: nothing of one notebook reaches the next."""
    from concurrent.futures import ThreadPoolExecutor

    other = tmp_path / "02_other.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("other_notebook_marker = 2")],
                                metadata=nbformat.read(notebook, as_version=4).metadata), other)
    first = export.researcher_html(notebook, tmp_path / "1.html").read_text()
    second = export.researcher_html(other, tmp_path / "2.html").read_text()
    assert "other_notebook_marker" in second and "secret_code_marker" not in second
    assert "Section heading" not in second and "Cities &amp; values" in first
    # two steps that finish together export side by side: each gets the bytes it gets alone
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda k: export.researcher_html((notebook, other)[k % 2], tmp_path / f"t{k}.html"),
                                 range(6)))
    assert {p.read_text() for p in together[0::2]} == {first}
    assert {p.read_text() for p in together[1::2]} == {second}
