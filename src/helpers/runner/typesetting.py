"""Notebooks to Typst and to tagged, accessible PDF (PDF/UA-1): two nbconvert exporters.

:class:`TypstExporter` (``jupyter nbconvert --to typst``) writes a notebook as Typst
source, its figures beside it; :class:`TypstPDFExporter` (``--to typst-pdf``) compiles
that source with the ``typst`` package (its compiler and fonts come in a wheel: no TeX,
no system fonts, nothing downloaded) under the PDF/UA-1 standard, which Typst enforces:
a document title and language, headings in order, alternative text for every image.
Both are registered as nbconvert exporters in ``pyproject.toml``, so they work on any
notebook; the reviewer report (:mod:`helpers.runner.export`) is one such notebook.

What the exporters write:

* Markdown cells as Typst content, converted from mistune's syntax tree: headings
  (never skipping a level; the document's one :func:`title` precedes them), paragraphs,
  emphasis, lists, links, code, quotes and tables.
* Code cells' source (unless ``exclude_input``) as code blocks; outputs by
  :data:`DISPLAY_PRIORITY`: a block's structured form (:mod:`helpers.blocks`: tables
  as real Typst tables whose header rows repeat on every page, generated paragraphs,
  captions, the table of contents), then SVG, PNG or JPEG images with their ``alt``
  text and caption (a figure and its caption are never parted by a page), then
  Markdown, then plain text. HTML is never parsed.

Nothing the exporter writes becomes markup: every text it puts into Typst (cells,
captions, alt texts, headings, the words of Markdown cells, metadata) is a Typst
string literal (:func:`string`), shown as text (:func:`text`); Typst code comes
only from this module and its template. A character that no font has (system fonts
are ignored; the fonts are the wheel's and :data:`FONTS_DIR`'s) is replaced by its
Unicode name in brackets, "[GRINNING FACE]", which Typst itself decides
(:func:`undisplayable`), so such a character never fails a build.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from nbconvert.exporters import TemplateExporter
from traitlets import Bool, Unicode, default

from helpers import blocks

#: The nbconvert templates of the project (the Typst one is ``typst/``).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Fonts shipped with the project, beside those of the ``typst`` wheel (see its README).
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
#: The PDF standard every PDF is checked against while Typst writes it.
PDF_STANDARDS = ["ua-1"]
#: What makes the PDFs, as a run's manifest records it (``verify`` compares such PDFs byte for byte).
MAKER = f"typst {version('typst')}, PDF/UA-1"
#: Output types tried in this order; the first one an output has is shown.
DISPLAY_PRIORITY = [
    blocks.MIMETYPE,
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/plain",
]
#: An image's alternative text when its output gives none (nbconvert's HTML says the same).
NO_ALT = "No description has been provided for this image"
#: Longest table kept whole on one page: a longer one may break, its header repeated.
WHOLE_ROWS = 12
#: Rows that start a long table on the page of its caption and header.
KEEP_ROWS = 3
#: The text block of an A4 page with the template's 2.4 cm margins, in points.
TEXT_WIDTH_PT = (210 - 2 * 24) / 25.4 * 72
TEXT_HEIGHT_PT = (297 - 2 * 24) / 25.4 * 72
#: Share of the text block's height a figure may take.
FIGURE_HEIGHT = 0.8

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


class TypstFailed(Exception):
    """Typst refused the document: its message, where, and its hints."""


# --- Typst values -----------------------------------------------------------------------------


def string(value: object) -> str:
    r"""``value`` as a Typst string literal: in it nothing is markup, ``#`` or ``\`` included.

    Line ends become ``\n``; other control characters (and lone surrogates, line and
    paragraph separators), which are never to be printed, become their names.

    >>> string('say "#read(x)" \\ ok')
    '"say \\"#read(x)\\" \\\\ ok"'
    """
    value = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return '"' + _STRING_SPECIALS.sub(_string_escape, value) + '"'


#: What a Typst string cannot hold as it is: its delimiters, and characters never to be written raw.
_STRING_SPECIALS = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]')
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def _string_escape(match: re.Match) -> str:
    char = match.group()
    return _STRING_ESCAPES.get(char) or character_name(char)


def text(value: object) -> str:
    """``value`` shown as text where Typst reads markup: an embedded string, ended by ``;``."""
    return "#" + string(value) + ";" if str(value) else ""


def array(values: Iterable[object]) -> str:
    """A Typst array of strings (``("a",)`` for one: the comma makes it an array)."""
    items = [string(v) for v in values]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def content(markup: str) -> str:
    """Typst markup (already made of :func:`text` and this module's calls) as a content block."""
    return "[" + markup + "]"


def _call(function: str, *arguments: str) -> str:
    """``#function(arguments);`` in markup."""
    return f"#{function}({', '.join(a for a in arguments if a)});"


# --- Characters no font has ------------------------------------------------------------------


def character_name(char: str) -> str:
    r"""What replaces a character no font has: its Unicode name, or its code point, in brackets.

    >>> character_name("\U0001F600"), character_name("\ue000")
    ('[GRINNING FACE]', '[U+E000]')
    """
    return "[" + unicodedata.name(char, f"U+{ord(char):04X}") + "]"


def _ignorable(char: str) -> bool:
    """Joiners, variation selectors and tags: never drawn alone, so never missing."""
    code = ord(char)
    return (
        code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0000 <= code <= 0xE0FFF
    )


@lru_cache(maxsize=1)
def fonts():
    """The fonts of every document: the ``typst`` wheel's and :data:`FONTS_DIR`'s; never the system's."""
    import typst

    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(FONTS_DIR)])


_PROBED: dict[str, bool] = {}
_PROBE_LOCK = threading.Lock()


def _displays(chars: Sequence[str]) -> bool:
    """Whether Typst can draw every one of ``chars`` with the fonts (a PDF/UA-1 build says so)."""
    import typst

    probe = "#set document(title: \"probe\")\n#set text(lang: \"en\")\n" + "\n\n".join(
        text(("o" if unicodedata.category(c).startswith("M") else "") + c) for c in chars
    )
    try:
        typst.Compiler(font_paths=fonts()).compile(
            input=probe.encode(), format="pdf", pdf_standards=PDF_STANDARDS
        )
    except typst.TypstError:
        return False
    return True


def undisplayable(chars: Iterable[str]) -> set[str]:
    """The characters of ``chars`` that no font has (or that are never to be drawn: controls, unassigned).

    Typst decides: a PDF/UA-1 build of them all fails if any one cannot be shown, so
    halves are tried until each missing character is alone. Answers are remembered
    for the process.
    """
    missing: set[str] = set()
    unknown = []
    for char in sorted(set(chars)):
        if _ignorable(char) or char in "\n\t ":
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Cn", "Co"):
            missing.add(char)
        elif char in _PROBED:
            if not _PROBED[char]:
                missing.add(char)
        else:
            unknown.append(char)

    def bisect(group: list[str]) -> None:
        if _displays(group):
            _PROBED.update(dict.fromkeys(group, True))
        elif len(group) == 1:
            _PROBED[group[0]] = False
        else:
            bisect(group[: len(group) // 2])
            bisect(group[len(group) // 2 :])

    if unknown:
        with _PROBE_LOCK:
            bisect(unknown)
    return missing | {c for c in unknown if not _PROBED[c]}


def printable(source: str) -> str:
    """``source`` with every character no font has replaced by :func:`character_name`.

    The exporter writes every character outside ASCII inside a string literal, so the
    names (ASCII letters, digits, spaces, hyphens and brackets) stay text.
    """
    missing = undisplayable(c for c in set(source) if ord(c) > 0x7E)
    if not missing:
        return source
    return "".join(character_name(c) if c in missing else c for c in source)


# --- Markdown ------------------------------------------------------------------------------


def _markdown_parser():
    import mistune

    return mistune.create_markdown(renderer=None, plugins=["strikethrough", "table"])


class MarkdownToTypst:
    """Markdown as Typst content, from mistune's syntax tree; every word a string literal.

    Headings never skip a level (PDF/UA-1): a heading is at most one level below the
    one before it (:attr:`level`, carried from cell to cell).
    """

    def __init__(self):
        self.parse = _markdown_parser()
        self.level = 0

    def __call__(self, source: str) -> str:
        """A Markdown text as Typst markup."""
        return self.blocks(self.parse(source))

    def blocks(self, tokens: list[dict]) -> str:
        """Block tokens, one after another, separated by paragraph breaks."""
        return "\n\n".join(b for b in (self.block(t) for t in tokens) if b)

    def block(self, token: dict) -> str:
        """One block token: a paragraph, heading, list, code block, quote, rule or table."""
        kind = token["type"]
        children = token.get("children", [])
        if kind in ("paragraph", "block_text"):
            return self.inline(children)
        if kind == "heading":
            self.level = min(token["attrs"]["level"], self.level + 1)
            return _call("heading", f"level: {self.level}", content(self.inline(children)))
        if kind == "list":
            items = ", ".join(content(self.blocks(item.get("children", []))) for item in children)
            tight = "true" if token.get("tight", True) else "false"
            if token["attrs"].get("ordered"):
                start = token["attrs"].get("start", 1)
                return f"#enum(tight: {tight}, start: {int(start)}, {items});"
            return f"#list(tight: {tight}, {items});"
        if kind == "block_code":
            return _call("raw", "block: true", string(token.get("raw", "").rstrip("\n")))
        if kind == "block_quote":
            return _call("quote", "block: true", content(self.blocks(children)))
        if kind == "thematic_break":
            return "#line(length: 100%);"
        if kind == "block_html":
            return text(token.get("raw", "").strip())
        if kind == "table":
            return self.table(token)
        if kind == "blank_line":
            return ""
        return self.inline(children) if children else text(token.get("raw", ""))

    def inline(self, tokens: list[dict]) -> str:
        """Inline tokens as one run of markup."""
        return "".join(self.span(t) for t in tokens)

    def span(self, token: dict) -> str:
        """One inline token: text, emphasis, code, a link, a break."""
        kind = token["type"]
        children = token.get("children", [])
        if kind == "text":
            return text(html.unescape(token["raw"]))
        if kind in ("codespan", "inline_html"):
            return _call("raw", string(token["raw"])) if kind == "codespan" else text(token["raw"])
        if kind == "emphasis":
            return _call("emph", content(self.inline(children)))
        if kind == "strong":
            return _call("strong", content(self.inline(children)))
        if kind == "strikethrough":
            return _call("strike", content(self.inline(children)))
        if kind == "link":
            return _call("link", string(token["attrs"]["url"]), content(self.inline(children)))
        if kind == "image":  # an image named in Markdown is not fetched: its alternative text is shown
            return text("[" + _plain(children) + "]")
        if kind == "linebreak":
            return "#linebreak();"
        if kind == "softbreak":
            return text(" ")
        return self.inline(children) if children else text(token.get("raw", ""))

    def table(self, token: dict) -> str:
        """A Markdown table as a Typst table, its header row repeated on each page."""
        head = next((c for c in token["children"] if c["type"] == "table_head"), {"children": []})
        body = next((c for c in token["children"] if c["type"] == "table_body"), {"children": []})
        header = [self.inline(cell.get("children", [])) for cell in head["children"]]
        align = ["right" if cell["attrs"].get("align") == "right" else "left" for cell in head["children"]]
        rows = [[self.inline(cell.get("children", [])) for cell in row["children"]] for row in body["children"]]
        return typst_table(header, rows, align)


def _plain(tokens: list[dict]) -> str:
    return "".join(t.get("raw", "") or _plain(t.get("children", [])) for t in tokens)


# --- Blocks, tables and figures ---------------------------------------------------------------


def typst_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str]) -> str:
    """A Typst table from cells already in Typst markup; the header row repeats on every page."""
    cells = ", ".join(content(c) for row in rows for c in row)
    return (
        f"table(columns: {len(header)}, align: ({', '.join(align)}{',' if len(align) == 1 else ''}), "
        f"table.header(repeat: true, {', '.join(content(h) for h in header)}), {cells}, "
        "table.hline(stroke: 0.8pt))"
    )


def _label(label: str, caption: str) -> str:
    """A caption's markup: its label in bold, a full stop, then its text."""
    return (_call("strong", content(text(label + "."))) + " " if label else "") + text(caption)


def render_table(block: dict) -> str:
    """A table block as a figure of kind table, caption on top.

    A table of at most :data:`WHOLE_ROWS` rows is never split: it moves to the next
    page whole. A longer one may break between rows, its header repeated on each page,
    and starts on a page with room for its caption, header and first :data:`KEEP_ROWS`
    rows (a heading just above it goes with them).
    """
    columns = [text(c) for c in block["columns"]]
    rows = [[text(c) for c in row] for row in block["rows"]]
    align = [a if a in blocks.ALIGNMENTS else "left" for a in block["align"]]

    def figure(some_rows) -> str:
        return (
            f"figure(kind: table, supplement: none, numbering: none, outlined: false, "
            f"caption: figure.caption(position: top, {content(_label(block['label'], block['caption']))}), "
            f"{typst_table(columns, some_rows, align)})"
        )

    notes = f"\n\n#table-notes({content(text(block['notes']))});" if block.get("notes") else ""
    if len(rows) <= WHOLE_ROWS:  # a figure never breaks (the template says so)
        return f"#{figure(rows)};{notes}"
    return f"#keep-room({figure(rows[:KEEP_ROWS])});\n#breakable-figure({figure(rows)});{notes}"


def render_text(block: dict) -> str:
    """Generated paragraphs, or a bulleted list of them."""
    paragraphs = [text(p) for p in block["paragraphs"]]
    if block.get("bullets"):
        return "#list(" + ", ".join(content(p) for p in paragraphs) + ");" if paragraphs else ""
    return "\n\n".join(paragraphs)


def render_block(block: dict, metadata: dict) -> str:
    """A block's structured form (:mod:`helpers.blocks`) as Typst."""
    kind = block.get("kind")
    if kind == "table":
        return render_table(block)
    if kind == "text":
        return render_text(block)
    if kind == "caption":
        if metadata.get("figure_caption"):  # printed with its figure already
            return ""
        return f"#figure-caption({content(_label(block['label'], block['text']))});"
    if kind == "contents":
        return f"#contents({string(block['title'])});"
    if kind == "heading":
        outlined = "" if block.get("outlined", True) else ", outlined: false"
        return _call("heading", f"level: {int(block['level'])}{outlined}", content(text(block["text"])))
    if kind == "box":
        parts = [_call("strong", content(text(block["title"])))]
        for label, entries in block["items"]:
            parts.append(_call("emph", content(text(label))))
            parts.append("#list(" + ", ".join(content(text(e)) for e in entries) + ");" if entries else "")
        return f"#use-box({content((chr(10) * 2).join(p for p in parts if p))});"  # a paragraph each
    if kind == "banner":
        return f"#banner({content(chr(10).join(['', *[text(p) + chr(10) for p in block['paragraphs']]]))});"
    if kind == "break":
        return "#pagebreak(weak: true);"
    raise ValueError(f"unknown block kind {kind!r}: one of {', '.join(blocks.KINDS)} expected")


def _points(length: str | None) -> float | None:
    """An SVG length ("453.6pt", "300px", "120") in points, or None."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(pt|px|in|cm|mm)?\s*", length or "")
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2) or "px"
    return value * {"pt": 1, "px": 0.75, "in": 72, "cm": 72 / 2.54, "mm": 72 / 25.4}[unit]


def figure_width(svg: str) -> float | None:
    """The width in points at which an SVG fits the text block (and :data:`FIGURE_HEIGHT` of it)."""
    root = re.search(r"<svg\b[^>]*>", svg)
    if not root:
        return None
    sizes = dict(re.findall(r'\b(width|height)\s*=\s*["\']([^"\']*)["\']', root.group()))
    width, height = _points(sizes.get("width")), _points(sizes.get("height"))
    if not width or not height:
        return None
    scale = min(1.0, TEXT_WIDTH_PT / width, FIGURE_HEIGHT * TEXT_HEIGHT_PT / height)
    return round(width * scale, 2)


# --- The exporters -------------------------------------------------------------------------


class TypstExporter(TemplateExporter):
    """A notebook as Typst source (``jupyter nbconvert --to typst``), its images beside it.

    The template (``templates/typst/index.typ.j2``) sets the page, the title page and
    the styles; the filters of this class write the cells, every text as a string literal.
    """

    export_from_notebook = "Typst"
    output_mimetype = "text/x-typst"

    language_code = Unicode(
        "en", help="The document's language when its metadata give none (ISO 639, e.g. 'it')."
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".typ"

    @default("template_name")
    def _template_name_default(self):
        return "typst"

    @default("template_extension")
    def _template_extension_default(self):
        return ".typ.j2"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES_DIR)]

    def _create_environment(self):
        environment = super()._create_environment()
        # Jinja's own {{ and {# would clash with Typst's braces; nbconvert's LaTeX template does the same
        environment.block_start_string = "((*"
        environment.block_end_string = "*))"
        environment.variable_start_string = "((("
        environment.variable_end_string = ")))"
        environment.comment_start_string = "((="
        environment.comment_end_string = "=))"
        return environment

    def default_filters(self):
        """The template's filters: strings, arrays and whole cells as Typst."""
        yield from super().default_filters()
        yield ("typst_string", string)
        yield ("typst_text", text)
        yield ("typst_array", array)

    def from_notebook_node(self, nb, resources=None, **kw):
        """The notebook as Typst source; figures in ``resources["outputs"]``."""
        state = _CellWriter(self, resources or {})
        state.language = str(nb.metadata.get("language_info", {}).get("name", "python"))
        self.register_filter("typst_cell", state.cell)
        self.register_filter("typst_language", lambda nb: self.document_language(nb))
        source, resources = super().from_notebook_node(nb, resources, **kw)
        resources["outputs"] = {**resources.get("outputs", {}), **state.images}
        return printable(source), resources

    def document_language(self, nb) -> str:
        """The document's language: metadata ``language`` when it is a language code, else :attr:`language_code`."""
        found = str(nb.metadata.get("language", ""))
        return found if _LANGUAGE.fullmatch(found) else self.language_code


class _CellWriter:
    """The Typst of each cell of one notebook, and the images it names."""

    def __init__(self, exporter: TypstExporter, resources: dict):
        self.exporter = exporter
        self.markdown = MarkdownToTypst()
        self.images: dict[str, bytes] = {}
        self.folder = str(resources.get("output_files_dir") or "figures").strip("/") or "figures"
        self.language = "python"

    def cell(self, cell, resources) -> str:
        """One cell as Typst, by the export's content filters (code hidden or shown, outputs)."""
        shown = resources.get("global_content_filter", {})
        kind = cell.get("cell_type")
        if kind == "markdown" and shown.get("include_markdown", True):
            return self.markdown(cell.source)
        if kind == "raw" and shown.get("include_raw", True):  # never passed through: shown as written
            return _call("raw", "block: true", string(cell.source)) if cell.source.strip() else ""
        if kind != "code" or not shown.get("include_code", True):
            return ""
        parts = []
        if shown.get("include_input", True) and cell.source.strip() and not cell.get("transient", {}).get(
            "remove_source"
        ):
            parts.append(_call("raw", "block: true", f"lang: {string(self.language)}", string(cell.source)))
        if shown.get("include_output", True):
            parts += [self.output(out) for out in cell.get("outputs", [])]
        return "\n\n".join(p for p in parts if p)

    def output(self, output) -> str:
        kind = output.get("output_type")
        if kind == "stream":
            return _call("raw", "block: true", string(_ANSI.sub("", output.get("text", "")).rstrip("\n")))
        if kind == "error":
            lines = [f"{output.get('ename', '')}: {output.get('evalue', '')}"]
            return _call("raw", "block: true", string(_ANSI.sub("", "\n".join(lines))))
        data, metadata = output.get("data", {}), output.get("metadata", {})
        for mimetype in DISPLAY_PRIORITY:
            if mimetype in data:
                return self.display(mimetype, data[mimetype], metadata)
        return ""

    def display(self, mimetype: str, value, metadata: dict) -> str:
        if mimetype == blocks.MIMETYPE:
            return render_block(value if isinstance(value, dict) else json.loads(value), metadata)
        if mimetype.startswith("image/"):
            return self.image(mimetype, value, metadata)
        if mimetype == "text/markdown":
            return self.markdown(_joined(value))
        return _call("raw", "block: true", string(_ANSI.sub("", _joined(value)).rstrip("\n")))

    def image(self, mimetype: str, value, metadata: dict) -> str:
        import base64

        extension = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}[mimetype]
        name = f"{self.folder}/figure-{len(self.images) + 1}.{extension}"
        if extension == "svg":
            svg = _joined(value)
            self.images[name] = svg.encode()
            width = figure_width(svg)
        else:
            self.images[name] = base64.b64decode(_joined(value))
            width = None
        caption = metadata.get("caption") or {}
        alt = metadata.get("alt") or (f"{caption.get('label', '')}. {caption.get('text', '')}" if caption else "")
        arguments = [string(name), f"width: {width}pt" if width else "width: 100%", f"alt: {string(alt or NO_ALT)}"]
        picture = f"image({', '.join(arguments)})"
        if caption:
            return f"#report-figure({picture}, {content(_label(caption.get('label', ''), caption.get('text', '')))});"
        return f"#report-figure({picture}, none);"


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class TypstPDFExporter(TypstExporter):
    """A notebook as a tagged PDF/UA-1 document, through Typst (``jupyter nbconvert --to typst-pdf``).

    The creation time written into the PDF is :attr:`timestamp`, else the notebook's
    metadata ``created`` (ISO 8601), else ``SOURCE_DATE_EPOCH``, else now: the same
    notebook and timestamp give the same bytes.
    """

    export_from_notebook = "PDF via Typst (tagged, PDF/UA-1)"
    output_mimetype = "application/pdf"
    timestamp = Unicode("", help="Creation time of the PDF, ISO 8601 (default: see the class).").tag(config=True)
    keep_source = Bool(False, help="Also write the Typst source beside the PDF (for debugging).").tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_name")
    def _template_name_default(self):
        return "typst"

    def from_notebook_node(self, nb, resources=None, **kw):
        """The notebook as PDF bytes; Typst's refusal as :class:`TypstFailed`."""
        document = self.document(nb, resources, **kw)
        resources = document.resources
        resources["outputs"] = {"document.typ": document.source.encode()} if self.keep_source else {}
        resources["output_extension"] = ".pdf"
        return document.pdf(), resources

    def document(self, nb, resources=None, **kw) -> Document:
        """The notebook as a :class:`Document`: Typst source, images and creation time, not compiled yet."""
        source, resources = TypstExporter.from_notebook_node(self, nb, resources, **kw)
        images = resources.pop("outputs", {})
        return Document(source, images, self.creation_time(nb), resources)

    def creation_time(self, nb) -> datetime | None:
        """See the class's docstring."""
        for found in (self.timestamp, str(nb.metadata.get("created", ""))):
            if found:
                moment = datetime.fromisoformat(found)
                moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
                return moment.replace(microsecond=0)  # what a PDF date holds
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        return datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else None


@dataclass
class Document:
    """A Typst document ready to compile: its source, its images by relative name, its creation time."""

    source: str
    images: dict[str, bytes]
    timestamp: datetime | None = None
    resources: dict = field(default_factory=dict)

    def pdf(self) -> bytes:
        """The PDF/UA-1 bytes (see :func:`compile_pdf`)."""
        return compile_pdf(self.source, self.images, timestamp=self.timestamp)


def compile_pdf(source: str, images: dict[str, bytes], *, timestamp: datetime | None = None) -> bytes:
    """Compile Typst ``source`` (with ``images``, by their relative names) to PDF/UA-1 bytes."""
    import typst

    with tempfile.TemporaryDirectory(prefix="typst-") as folder:
        root = Path(folder)
        for name, data in images.items():
            target = (root / name).resolve()
            if root.resolve() not in target.parents:
                raise TypstFailed(f"an image name leaves the document's folder: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (root / "document.typ").write_text(source, encoding="utf-8")
        try:
            return typst.Compiler(root=str(root), font_paths=fonts()).compile(
                input=str(root / "document.typ"),
                format="pdf",
                pdf_standards=PDF_STANDARDS,
                timestamp=timestamp,
            )
        except typst.TypstError as exc:
            hints = "".join(f"\n  hint: {h}" for h in getattr(exc, "hints", []) or [])
            raise TypstFailed(f"{getattr(exc, 'diagnostic', '') or exc}{hints}".strip()) from exc
