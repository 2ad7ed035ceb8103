"""Words on a PDF page, as poppler reads them: which ones overlap another, which end a page.

``pdftotext -bbox-layout`` gives every word of a PDF with its box, figures
included (matplotlib writes their text as text); two words whose boxes share
more than :data:`TOLERANCE` points each way are printed over each other.
``pdftohtml -xml`` gives the bookmarks (the headings) with their pages.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

XHTML = "{http://www.w3.org/1999/xhtml}"
#: Overlap (in points, both ways) below which two boxes only touch: kerning, italics.
TOLERANCE = 0.3


def pages_of_words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, every word as (x0, y0, x1, y1, text) in points."""
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", out))
    return [
        [
            (*(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")), word.text or "")
            for word in page.iter(f"{XHTML}word")
        ]
        for page in root.iter(f"{XHTML}page")
    ]


def overlapping_words(pdf: Path, tolerance: float = TOLERANCE) -> list[tuple[int, str, str]]:
    """Every pair of words printed over each other: (page number from 1, word, word)."""
    found = []
    for number, words in enumerate(pages_of_words(pdf), 1):
        words = sorted(words)
        for i, (x0, y0, x1, y1, text) in enumerate(words):
            for u0, v0, u1, v1, other in words[i + 1 :]:
                if u0 >= x1 - tolerance:  # sorted by left edge: no later word reaches back
                    break
                if min(x1, u1) - max(x0, u0) > tolerance and min(y1, v1) - max(y0, v0) > tolerance:
                    found.append((number, text, other))
    return found


def headings(pdf: Path) -> list[tuple[int, str]]:
    """Every bookmark of the PDF (one per heading) as (page number from 1, text)."""
    out = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return [(int(page), html.unescape(text)) for page, text in re.findall(r'<item page="(\d+)">([^<]*)</item>', out)]


def headings_ending_a_page(pdf: Path) -> list[tuple[int, str]]:
    """Headings with nothing below them on their page but its number: (page, heading)."""
    pages = pages_of_words(pdf)
    found = []
    for number, heading in headings(pdf):
        words = sorted(pages[number - 1], key=lambda w: (w[1], w[0]))  # reading order: top to bottom
        # the page may print a straight apostrophe as a typographic one: either matches
        tokens = heading.replace("\u2019", "'").split()
        texts = [w[4].replace("\u2019", "'") for w in words]
        starts = [i for i in range(len(texts) - len(tokens) + 1) if texts[i : i + len(tokens)] == tokens]
        if not starts:
            raise ValueError(f"heading {heading!r} is not among the words of page {number} of {pdf}")
        bottom = max(w[3] for w in words[starts[-1] : starts[-1] + len(tokens)])
        below = [w for w in words if w[1] > bottom and not re.fullmatch(r"\d+", w[4])]
        if not below:
            found.append((number, heading))
    return found
