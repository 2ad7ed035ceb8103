"""Readability of the reviewer document: Flesch reading ease (English), Gulpease (Italian).

Both formulas are public and short. Syllables come from pyphen's hyphenation
dictionaries, which ship with the package (no download at run time; textstat is not
usable here, it fetches NLTK data): a word has one syllable more than its
hyphenation points. Before scoring, statistical notation is removed (numbers,
single-letter symbols such as r, p, n, ρ, α, and CI/IC), as the standard asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pyphen

#: Statistical notation and numbers, taken out before scoring.
_NOTATION = re.compile(
    r"(?<![\w\u00C0-\u024F])(?:[rpnρα]|CI|IC|maxT|minP)(?![\w\u00C0-\u024F])"
    r"|[−\-+]?\d[\d.,%]*|[=<>≥≤|±†]",
)
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['’\-][A-Za-z\u00C0-\u024F]+)*")
#: A sentence ends at . ! or ? followed by a space or the end of its paragraph.
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


@cache
def _dictionary(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang={"en": "en_US", "it": "it_IT"}[language])


def strip_notation(text: str) -> str:
    """``text`` without numbers and statistical symbols."""
    return _NOTATION.sub(" ", text)


def words(text: str) -> list[str]:
    """The words of ``text`` (notation removed), apostrophes and hyphens kept inside words."""
    return _WORD.findall(strip_notation(text))


def sentences(paragraphs: list[str]) -> list[str]:
    """The sentences of ``paragraphs``: each paragraph (or list item, or heading) is at least one; . ! ? end one."""
    found = []
    for paragraph in paragraphs:
        parts = [p for p in _SENTENCE_END.split(paragraph) if words(p)]
        found += parts or ([paragraph] if words(paragraph) else [])
    return found


def syllables(word: str, language: str) -> int:
    """Syllables of ``word``: one more than pyphen's hyphenation points (at least one)."""
    return max(1, len(_dictionary(language).positions(word.lower())) + 1)


@dataclass(frozen=True)
class Measure:
    """What the readability standard measures of a text."""

    words: int
    sentences: int
    mean_sentence: float
    longest_sentence: int
    index: float

    def __str__(self) -> str:
        return (f"{self.words} words, {self.sentences} sentences, mean {self.mean_sentence:.1f} / "
                f"max {self.longest_sentence} words per sentence, index {self.index:.1f}")


def flesch(paragraphs: list[str]) -> Measure:
    """Flesch reading ease: 206.835 − 1.015 × words/sentences − 84.6 × syllables/words."""
    found = sentences(paragraphs)
    lengths = [len(words(s)) for s in found]
    all_words = [w for s in found for w in words(s)]
    total = len(all_words)
    syllable_count = sum(syllables(w, "en") for w in all_words)
    index = 206.835 - 1.015 * total / len(found) - 84.6 * syllable_count / total
    return Measure(total, len(found), total / len(found), max(lengths), index)


def gulpease(paragraphs: list[str]) -> Measure:
    """Gulpease: 89 + (300 × sentences − 10 × letters) / words, letters being alphabetic characters."""
    found = sentences(paragraphs)
    lengths = [len(words(s)) for s in found]
    all_words = [w for s in found for w in words(s)]
    letters = sum(c.isalpha() for w in all_words for c in w)
    index = 89 + (300 * len(found) - 10 * letters) / len(all_words)
    return Measure(len(all_words), len(found), len(all_words) / len(found), max(lengths), index)


def total_words(paragraphs: list[str]) -> int:
    """Words of the text as written (notation included), as a reader counts them."""
    return sum(len(re.findall(r"\S+", p)) for p in paragraphs)
