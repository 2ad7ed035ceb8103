"""Exports on small hand-made notebooks: code hidden, content escaped, nothing fetched."""

import re

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import blocks
from helpers.report import Caption
from helpers.runner import export, study
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


def test_sections_are_combined_in_the_order_of_their_numbers(tmp_path):
    """A step beside another can hold a section between two of its (03: 3, 5, 6; 04: 4)."""

    def part(name, *texts, front=False):
        nb = new_notebook(
            cells=[new_markdown_cell(t) for t in texts],
            metadata={"inclusion_report": {"position": "front"}} if front else {},
        )
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    notebooks = [
        part("01.ipynb", "# 1. Data", "text of 1"),
        part("03.ipynb", "params of 3", "# 3. Regression", "text of 3", "# 5. Findings", "## 5a"),
        part("04.ipynb", "params of 4", "# 4. Curve", "text of 4", "## 4a"),
        part("05.ipynb", "# Summary", "## notes", front=True),
        part("06.ipynb", "unnumbered, after the last section"),
    ]
    cells = export.combine(notebooks, {}).cells
    assert [c.source for c in cells if c.cell_type == "markdown"] == [
        "# Summary",
        "## notes",
        "# 1. Data",
        "text of 1",
        "params of 3",
        "# 3. Regression",
        "text of 3",
        "params of 4",
        "# 4. Curve",
        "text of 4",
        "## 4a",
        "# 5. Findings",
        "## 5a",
        "unnumbered, after the last section",
    ]
    contents = cells[2].outputs[0].data["text/plain"]
    assert contents == "Contents: 1. Data; 3. Regression; 4. Curve; 5. Findings"


def test_researcher_html_keeps_code_and_is_offline(notebook, tmp_path):
    html = export.researcher_html(notebook, tmp_path / "r.html").read_text()
    assert "secret_code_marker" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I)
    assert "mathjax" not in html.lower()


def test_reviewer_html_hides_code_prompts_stderr_and_escapes(notebook, tmp_path):
    combined = export.combine([notebook, notebook], {"title": "T & T"})
    assert len({c.id for c in combined.cells}) == len(combined.cells)
    html = export.reviewer_html(combined, tmp_path / "report.html").read_text()
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


def test_contents_lists_top_level_headings_with_working_anchors(notebook, tmp_path):
    combined = export.combine(
        [notebook], {"title": "T"}, appendix=study.appendix_cells({"run_id": "r1"})
    )
    html = export.reviewer_html(combined, tmp_path / "report.html").read_text()
    links = re.findall(r'<a href="#([^"]+)">', html)
    assert "1.-Section-heading" in links and "Appendix:-provenance-of-this-run" in links
    for anchor in links:
        assert f'id="{anchor}"' in html, anchor


def test_appendix_shows_the_manifest(tmp_path):
    manifest = {
        "run_id": "20260101T000000Z-abc123",
        "parameters": {"raw_data_path": HOSTILE},
        "provenance": {
            "inputs": {"raw data": {"path": "data/raw/x.tsv", "sha256": "ab" * 32}},
            "git": {"commit": "0123456789abcdef", "dirty": True},
            "python": "3.11.7",
            "packages": {"pandas": "3.1.1"},
            "lock_sha256": "cd" * 32,
        },
    }
    cells = study.appendix_cells(manifest)
    html = "".join(
        o["data"]["text/html"] for c in cells if c.cell_type == "code" for o in c.outputs
    )
    texts = [
        cell
        for c in cells
        if c.cell_type == "code"
        for o in c.outputs
        for row in o["data"][blocks.MIMETYPE]["rows"]
        for cell in row
    ]
    assert "20260101T000000Z-abc123" in html and "0123456789abcdef with uncommitted changes" in html
    # the first 16 hex digits of each hash; the whole one is in manifest.json
    assert "abababababababab\u2026" in html and "cdcdcdcdcdcdcdcd\u2026" in html
    assert "ab" * 9 not in html and "cd" * 9 not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and HOSTILE in texts  # text in the structured form


