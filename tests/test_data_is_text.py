"""Rule H03: every text a reader sees that comes from the codebook or the claims is text.

The ``hostile_built`` run (tests/conftest.py) appends a payload to each such text: HTML
that would run a script (``<img onerror>``, ``<svg onload>``, ``<script>``), a
``javascript:`` link in Markdown, PDF markup that would read a file (``\\input``,
``#read``, ``#import``), a Jinja expression and Markdown emphasis. Each must reach both
languages' HTML and PDF as the characters it is: no element, no link, no script run in
a real browser (tests/test_browser.py), no file read, no expression evaluated.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from helpers.runner.export import CONTENT_SECURITY_POLICY

from .conftest import CANARY, CLAIM_TEXTS, CODEBOOK_TEXTS, PAYLOADS
from .test_report_document import pdftotext

pytestmark = pytest.mark.slow

#: What an evaluated ``{{ 7*191 }}`` would print.
EVALUATED = str(7 * 191)


class Page(HTMLParser):
    """What a page would do in a browser: its live elements, attributes and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.policy: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.live.append(f"<{tag} {name}=javascript:>")
        if tag in ("script", "iframe", "object", "embed", "svg") or (tag == "img" and values.get("src") == "x"):
            self.live.append(f"<{tag}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.policy.append(values.get("content", ""))

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data):
        inside = self.open[-1] if self.open else ""
        if inside in ("b", "strong", "em", "i", "code", "a") and data.strip() in ("md", "bold", "code", "x"):
            self.live.append(f"<{inside}>{data.strip()}</{inside}> from Markdown in the data")
        if inside not in ("style", "title"):
            self.text.append(data)


def read_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages(latest: Path) -> list[Path]:
    return [latest / "report.html", latest / "report.it.html", *sorted((latest / "html").glob("*.html"))]


def test_every_text_a_reader_sees_carried_a_payload(hostile_built):  # rule H03
    assert hostile_built["result"].returncode == 0, hostile_built["result"].stderr[-3000:]
    planted = hostile_built["planted"]
    where = {w.split(" (")[0].split()[-1] for w, _ in planted}
    assert set(CODEBOOK_TEXTS) <= where and set(CLAIM_TEXTS) <= where
    assert any(w.endswith("(it)") for w, _ in planted)  # the Italian texts too
    assert {p for p in PAYLOADS if any(text.endswith(p) for _, text in planted)} == set(PAYLOADS)


@pytest.mark.parametrize("page", ["report.html", "report.it.html", "html/01_data_cleaning.html",
                                  "html/03_regression.html", "html/06_findings.html"])  # fmt: skip
def test_no_payload_becomes_markup_in_a_page(hostile_built, page):
    path = hostile_built["latest"] / page
    read = read_page(path)
    assert read.live == [], f"{page}: {read.live[:5]}"
    assert read.policy == [CONTENT_SECURITY_POLICY], page
    assert EVALUATED not in path.read_text(encoding="utf-8")  # no Jinja evaluated


@pytest.mark.parametrize("name", ["report.html", "report.it.html"])
def test_every_payload_prints_as_text_in_the_reviewer_page(hostile_built, name):
    text = flat(" ".join(read_page(hostile_built["latest"] / name).text))
    missing = [p for p in PAYLOADS if flat(p) not in text]
    assert missing == [], f"{name}: payloads not printed as text: {missing}"


@pytest.mark.parametrize("name", ["report.pdf", "report.it.pdf"])
def test_every_payload_prints_as_text_in_the_pdf_and_nothing_is_read_or_run(hostile_built, name):
    text = pdftotext(hostile_built["latest"] / name)
    assert CANARY not in text  # no file beside the data or the notebooks was read in
    assert EVALUATED not in text
    printed = flat(text)
    missing = [p for p in PAYLOADS if flat(p) not in printed]
    assert missing == [], f"{name}: payloads not printed as text: {missing}"


def test_the_checks_see_markup_when_it_is_there(tmp_path):
    """The page reader would catch each way a payload can come alive."""
    for live in ['<img src=x onerror="a()">', "<script>a()</script>", '<a href="javascript:a()">x</a>',
                 "<svg onload=a()></svg>", "<em>md</em>"]:  # fmt: skip
        page = tmp_path / "page.html"
        page.write_text(f"<html><body><p>{live}</p></body></html>", encoding="utf-8")
        assert read_page(page).live, live
    page.write_text("<p>&lt;img src=x onerror=&quot;a()&quot;&gt; *md*</p>", encoding="utf-8")
    assert read_page(page).live == []
