"""The Typst exporter on small hand-made notebooks: text stays text, PDFs are tagged and laid out.

Typst itself is the independent judge where it can be: its own parser reads back every
string literal the exporter writes (``typst.eval``); poppler reads back the PDFs' text
and metadata; ``pdfua`` checks their tags.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pdfua
import pikepdf
import pytest
import typst
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import blocks
from helpers.errors import ExportError
from helpers.report import Caption, Text
from helpers.runner import export, typesetting
from helpers.tables import Table

from .conftest import HOSTILE_CITY, required

#: What must print literally wherever it appears: Typst's own syntax, HTML, LaTeX, Markdown.
HOSTILE_STRINGS = [
    '#import "x"',
    '#read("/etc/passwd")',
    "<script>",
    r"\input{/etc/passwd}",
    "$",
    "@",
    "*",
    "_",
    HOSTILE_CITY,
]
#: A small figure (an SVG with a red square); its size decides how much of a page it takes.
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 10 10">'
    '<rect width="10" height="10" fill="#c00"/></svg>'
)


@pytest.fixture(autouse=True)
def _poppler():
    required(shutil.which("pdftotext"), "pdftotext (poppler-utils) not installed")


def rich(obj, **metadata):
    data = {"text/html": obj._repr_html_(), "text/plain": repr(obj), **obj._repr_mimebundle_()}
    return new_output("display_data", data=data, metadata=metadata)


def figure(alt: str, label: str, caption: str, *, width: float = 300, height: float = 200):
    return new_output(
        "display_data",
        data={"image/svg+xml": SVG.format(w=width, h=height), "text/plain": "<Figure>"},
        metadata={"alt": alt, "caption": blocks.caption(label, caption)},
    )


def notebook(*cells, language: str = "en", **metadata) -> nbformat.NotebookNode:
    return new_notebook(
        cells=list(cells),
        metadata={"title": "Test report", "authors": [{"name": "A & B"}], "language": language, **metadata},
    )


def outputs(*items) -> nbformat.NotebookNode:
    return new_code_cell("secret_code_marker = 1", outputs=list(items))


def pdf_of(nb, tmp_path: Path, name: str = "report.pdf") -> Path:
    return export.reviewer_pdf(nb, tmp_path / name)


def pages(pdf: Path, *options: str) -> list[str]:
    text = subprocess.run(
        ["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    return " ".join(text.split())


def info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


# --- Text stays text ---------------------------------------------------------------------------

EMPTY = Path(__file__).with_name("__init__.py")  # typst.eval needs a file to stand in


def typst_value(expression: str):
    return json.loads(typst.eval(str(EMPTY), expression))


@pytest.mark.parametrize("value", HOSTILE_STRINGS + ['a "quoted" \\ back\\slash\n\ttab', ""])
def test_typst_reads_each_string_literal_back_as_the_same_text(value):
    assert typst_value(typesetting.string(value)) == value
    if value:
        assert typst_value("[" + typesetting.text(value) + "]") == {"func": "text", "text": value}


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40))
def test_any_printable_text_is_one_text_element_in_markup(value):
    """Whatever the text (Typst syntax included), markup of it holds exactly that text and nothing else."""
    markup = "[" + typesetting.text(value) + "]"
    found = typst_value(markup)
    assert found == ({"func": "text", "text": value} if value else {"func": "sequence", "children": []})


def test_control_characters_become_their_names_and_line_ends_newlines():
    assert typst_value(typesetting.string("a\x07b\r\nc\rd")) == "a[U+0007]b\nc\nd"


def test_markdown_becomes_content_with_its_words_as_text():
    convert = typesetting.MarkdownToTypst()
    source = convert('# Title with #read("x") and $x$\n\nSome *emphasis*, `code`, [a link](https://e.org) <b>x</b>.')
    assert typst_value(f"[{source}]")["children"][0] == {
        "func": "heading",
        "level": 1,
        "body": {"func": "text", "text": 'Title with #read("x") and $x$'},
    }
    assert "#emph([#\"emphasis\";]);" in source and '#raw("code");' in source
    assert '#link("https://e.org", [#"a link";]);' in source and '#"<b>";' in source


def test_headings_never_skip_a_level():
    """PDF/UA-1 refuses a skipped level: a heading is at most one below the one before it."""
    convert = typesetting.MarkdownToTypst()
    levels = [
        int(m)
        for text in ("## starts deeper", "#### deeper still", "# top", "### two below")
        for m in re.findall(r"#heading\(level: (\d)", convert(text))
    ]
    assert levels == [1, 2, 1, 2]


# --- Reviewer PDFs --------------------------------------------------------------------------


def hostile_notebook(language: str) -> nbformat.NotebookNode:
    frame = pd.DataFrame({"city": HOSTILE_STRINGS, "value": range(len(HOSTILE_STRINGS))})
    table = Table(frame, " ".join(HOSTILE_STRINGS), label="Table 1.1", notes="Note: " + HOSTILE_CITY)
    caption = Caption("Figure 1.1", " ".join(HOSTILE_STRINGS))
    return notebook(
        new_markdown_cell("# 1. Section"),
        outputs(
            rich(table),
            figure(HOSTILE_CITY, caption.label, caption.text),
            rich(caption, figure_caption=True),
            rich(Text(*HOSTILE_STRINGS, bullets=True)),
        ),
        new_code_cell("print('x')", outputs=[new_output("stream", name="stderr", text="WarningMarker\n")]),
        language=language,
        subtitle=HOSTILE_CITY,
    )


@pytest.mark.parametrize("language", ["en", "it"])
def test_hostile_strings_print_literally_in_cells_captions_and_text(tmp_path, language):
    pdf = pdf_of(hostile_notebook(language), tmp_path)
    text = pages(pdf)
    body = flat("\n".join(text))
    caption = "".join(" ".join(HOSTILE_STRINGS).split())
    squeezed = "".join(body.split())  # a caption may break its line after a slash or an underscore
    assert f"Table1.1.{caption}" in squeezed and squeezed.count(f"Figure1.1.{caption}") == 1  # printed once
    assert f"Note: {HOSTILE_CITY}" in body and HOSTILE_CITY in flat(text[0])  # notes, title page
    cells = "".join(body.split())  # a line may break after a slash or an underscore
    for value in HOSTILE_STRINGS:
        assert "".join(value.split()) in cells, value
    for marker in ("secret_code_marker", "WarningMarker", "[U+", "[GRINNING FACE]"):  # no code; 😀 drawn
        assert marker not in body, marker
    assert "Tagged:          yes" in info(pdf)
    with pikepdf.open(pdf) as document:
        assert str(document.Root.Lang) == language
        alts = [str(e.get("/Alt")) for e in _elements(document.Root.StructTreeRoot) if e.get("/S") == "/Figure"]
    assert alts == [HOSTILE_CITY]  # the figure's alternative text, whole


def _elements(node):
    """Every structure element below ``node`` (pikepdf objects)."""
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from _elements(kid)


def test_a_character_no_font_has_prints_as_its_unicode_name(tmp_path):
    """Emoji print from the shipped font (Symbola); what no font has is named, never a failed build."""
    assert typesetting.undisplayable("Città😀中ሀ\U0001f9ff") == {"ሀ", "\U0001f9ff"}
    table = Table(pd.DataFrame({"city": ["Città 😀 中 ሀ \U0001f9ff"]}), "Cities ሀ", label="Table 1.1")
    body = flat("\n".join(pages(pdf_of(notebook(outputs(rich(table))), tmp_path))))
    assert "Città 😀 中 [ETHIOPIC SYLLABLE HA] [NAZAR AMULET]" in body
    assert "Cities [ETHIOPIC SYLLABLE HA]" in body


def test_the_fonts_are_the_wheels_and_the_projects_never_the_systems():
    found = typesetting.fonts().fonts()
    assert found and all(f.path is None or Path(f.path).parent == typesetting.FONTS_DIR for f in found)
    assert "Symbola" in typesetting.fonts().families()
    licence = (typesetting.FONTS_DIR / "README.md").read_text()
    assert "Symbola.ttf" in licence and "free for any use" in (typesetting.FONTS_DIR / "Symbola.copyright").read_text()


def test_the_same_notebook_gives_the_same_bytes_dated_by_its_metadata(tmp_path):
    nb = hostile_notebook("en")
    nb.metadata["created"] = "2026-12-05T11:39:41.786219+00:00"
    first, second = pdf_of(nb, tmp_path, "a.pdf"), pdf_of(nb, tmp_path, "b.pdf")
    assert first.read_bytes() == second.read_bytes()
    with pikepdf.open(first) as document:
        assert str(document.docinfo["/CreationDate"]).startswith("D:20261205113941")


def test_a_document_typst_refuses_is_an_export_error(tmp_path):
    """rule F03: the export fails (here a figure Typst cannot read): exit 5, Typst's message quoted."""
    broken = new_output("display_data", data={"image/svg+xml": "<svg not really", "text/plain": "x"})
    with pytest.raises(ExportError, match="Typst could not build the PDF") as info:
        pdf_of(notebook(outputs(broken)), tmp_path)
    assert info.value.exit_code == 5
    assert not (tmp_path / "report.pdf").exists()


def test_typst_reads_nothing_outside_the_documents_folder():
    """Text never becomes code (above); and code, were it ever to, could not read the system's files."""
    with pytest.raises(typesetting.TypstFailed, match="file not found"):  # looked for in its own folder
        typesetting.compile_pdf('#set document(title: "t")\n#read("/etc/passwd")', {})


def test_pdfua_catches_a_figure_without_alternative_text(tmp_path):
    """The checker can fail: a figure whose /Alt is removed is reported, the same PDF with it is not."""
    pdf = pdf_of(notebook(outputs(figure("A red square.", "Figure 1.1", "A square."))), tmp_path)
    assert not [f for f in pdfua.validate(str(pdf)).findings if f.severity.name == "ERROR"]
    stripped = tmp_path / "no-alt.pdf"
    with pikepdf.open(pdf) as document:
        for element in _elements(document.Root.StructTreeRoot):
            if element.get("/S") == "/Figure":
                del element["/Alt"]
        document.save(stripped)
    errors = [f for f in pdfua.validate(str(stripped)).findings if f.severity.name == "ERROR"]
    assert errors and any("Alt" in f.message or "alternate" in f.message.lower() for f in errors), errors


# --- Layout ------------------------------------------------------------------------------------


def filler(paragraphs: int) -> nbformat.NotebookNode:
    return outputs(rich(Text(*[f"Paragraph {i} of filler text. " * 6 for i in range(paragraphs)])))


def numbered_table(rows: int, label: str = "Table 1.1") -> Table:
    frame = pd.DataFrame({"row": [f"row{i:03d}" for i in range(rows)], "value": range(rows)})
    return Table(frame, "Rows.", label=label)


@pytest.mark.parametrize("before", range(18, 30, 2))
def test_a_table_of_twelve_rows_is_never_split(tmp_path, before):
    text = pages(pdf_of(notebook(filler(before), outputs(rich(numbered_table(12)))), tmp_path))
    on = [i for i, page in enumerate(text) if "row0" in page]
    assert len(on) == 1, on
    assert "Table 1.1." in text[on[0]]


@pytest.mark.parametrize("before", range(20, 30, 1))
def test_a_long_table_repeats_its_header_and_starts_with_three_rows(tmp_path, before):
    """A long table's header heads every page it spans; its caption, header and first three rows
    share a page (the caption is not repeated: Typst's figures set it once)."""
    text = pages(pdf_of(notebook(filler(before), outputs(rich(numbered_table(150)))), tmp_path))
    on = [i for i, page in enumerate(text) if re.search(r"row\d{3}", page)]
    assert len(on) >= 2
    for i in on:
        page = text[i]
        assert re.search(r"^row\s+value$", page, re.M), page  # the header row on every page
    first = text[on[0]]
    assert "Table 1.1." in first and len(re.findall(r"^row\d{3}", first, re.M)) >= 3
    assert "".join(re.findall(r"row\d{3}", "".join(text[i] for i in on))) == "".join(
        f"row{i:03d}" for i in range(150)
    )


@pytest.mark.parametrize("before", range(20, 30, 3))
def test_a_figure_is_never_parted_from_its_caption(tmp_path, before):
    nb = notebook(filler(before), outputs(figure("A red square.", "Figure 1.1", "A square.", height=250)))
    pdf = pdf_of(nb, tmp_path)
    caption_page = next(i for i, page in enumerate(pages(pdf)) if "Figure 1.1." in page)
    assert figure_pages(pdf) == [(caption_page, caption_page)]


def figure_pages(pdf: Path) -> list[tuple[int, int]]:
    """For each figure with a caption, the page of the figure and the page of its caption (from its tags).

    A figure's caption is the one caption in the smallest structure element that holds the
    figure and exactly one caption (Typst nests them in one or two /Div elements).
    """
    with pikepdf.open(pdf) as document:
        number = {page.objgen: i for i, page in enumerate(document.pages)}

        def page_of(element) -> int:
            found = element.get("/Pg")
            return number[found.objgen] if found is not None else page_of(next(_elements(element)))

        found = {}
        for element in _elements(document.Root.StructTreeRoot):
            inside = list(_elements(element))
            figures = [e for e in inside if e.get("/S") == "/Figure"]
            captions = [e for e in inside if e.get("/S") == "/Caption"]
            if len(figures) == 1 and len(captions) == 1:  # the innermost such element wins
                found[figures[0].objgen] = (page_of(figures[0]), page_of(captions[0]))
        return list(found.values())


def test_headings_are_bookmarked_and_the_contents_lists_them(tmp_path):
    nb = notebook(
        outputs(rich(Text("front"))),
        new_markdown_cell("# Summary"),
        new_code_cell("", outputs=[new_output("display_data", data={blocks.MIMETYPE: blocks.contents("Contents")})]),
        new_markdown_cell("# 1. First\n\n## 1a"),
        new_markdown_cell("# 2. Second"),
    )
    pdf = pdf_of(nb, tmp_path)
    from pypdf import PdfReader

    titles = [item.title for item in PdfReader(pdf).outline if not isinstance(item, list)]
    assert titles == ["Summary", "1. First", "2. Second"]
    contents = next(page for page in pages(pdf) if page.lstrip().startswith("Contents"))
    assert all(title in contents for title in titles)


# --- nbconvert ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_jupyter_nbconvert_knows_both_exporters(tmp_path):
    """Researchers can export any notebook: --to typst (source and figures), --to typst-pdf (tagged)."""
    nb = notebook(
        new_markdown_cell("# A notebook"),
        outputs(figure("A red square.", "Figure 1.1", "A square.")),
        new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\n")]),
    )
    nbformat.write(nb, tmp_path / "n.ipynb")
    jupyter = Path(sys.executable).with_name("jupyter")
    for target in ("typst", "typst-pdf"):
        done = subprocess.run(
            [str(jupyter), "nbconvert", "--to", target, "n.ipynb"], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    source = (tmp_path / "n.typ").read_text()
    assert 'image("n_files/figure-1.svg"' in source and (tmp_path / "n_files" / "figure-1.svg").exists()
    pdf = tmp_path / "n.pdf"
    assert "Tagged:          yes" in info(pdf)
    everything = flat(" ".join(pages(pdf)))
    assert "print(1)" in everything and "A square." in everything  # code shown to researchers


def test_a_figure_is_scaled_to_fit_the_text_block_and_never_enlarged():
    text_width = (210 - 48) / 25.4 * 72  # A4 less two 2.4 cm margins, in points
    tall_limit = 0.8 * (297 - 48) / 25.4 * 72
    assert typesetting.figure_width('<svg width="453.6pt" height="259.2pt">') == 453.6
    assert typesetting.figure_width('<svg width="1000pt" height="100pt">') == pytest.approx(text_width, abs=0.01)
    assert typesetting.figure_width('<svg height="900pt" width="300pt">') == pytest.approx(
        300 * tall_limit / 900, abs=0.01
    )
    assert typesetting.figure_width("<svg>") is None


def test_an_image_without_alternative_text_says_so(tmp_path):
    """PDF/UA-1 needs an /Alt: an output that gives none gets nbconvert's own words for it."""
    bare = new_output("display_data", data={"image/svg+xml": SVG.format(w=100, h=100), "text/plain": "x"})
    with pikepdf.open(pdf_of(notebook(outputs(bare)), tmp_path)) as document:
        alts = [str(e.get("/Alt")) for e in _elements(document.Root.StructTreeRoot) if e.get("/S") == "/Figure"]
    assert alts == [typesetting.NO_ALT]


def test_identifiers_in_a_narrow_column_break_after_underscores_and_are_never_hyphenated(tmp_path):
    """In a table, "employment_rate_increase_pct" may break after an underscore, never inside a word."""
    identifier = "employment_rate_increase_pct"
    frame = pd.DataFrame({f"a long header {i}": [identifier] for i in range(7)})
    text = "\n".join(pages(pdf_of(notebook(outputs(rich(Table(frame, "Narrow.", label="Table 1.1")))), tmp_path)))
    pieces = [line.strip() for line in text.splitlines() if line.strip() and line.strip() in identifier]
    assert pieces and any(p != identifier for p in pieces)  # it did wrap
    assert all(p.endswith("_") or identifier.endswith(p) for p in pieces), pieces  # only after "_"
    assert "-\n" not in text and "\u00ad" not in text  # no hyphen anywhere
