"""The Italian report as an Italian reviewer gets it, from the same run as the English one."""

from __future__ import annotations

import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from .conftest import HOSTILE_CITY, _build

pytestmark = pytest.mark.slow

#: English function words: none may appear in the Italian report outside names and file names.
ENGLISH_WORDS = {
    "the", "and", "of", "with", "which", "that", "these", "those", "from", "are", "were", "was",
    "than", "between", "when", "where", "without", "their", "its", "each", "only", "this", "is",
    "for", "by", "not", "or", "but", "into", "would", "could", "should", "has", "have", "been",
}  # fmt: skip
#: Proper names that hold such words (a title of a work cited by name).
NAMES_WITH_ENGLISH = ("Specification curve analysis", "Journal of Econometrics", "CC BY")


def pdftotext(pdf) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdfinfo(pdf) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def italian(built):
    assert built["result"].returncode == 0, built["result"].stderr[-3000:]
    latest = built["latest"]
    return {"pdf": latest / "report.it.pdf", "html": latest / "report.it.html", "latest": latest}


def test_one_run_writes_both_languages(built, italian):
    latest = built["latest"]
    for name in ("report.pdf", "report.html", "report.it.pdf", "report.it.html"):
        assert (latest / name).stat().st_size > 10_000, name
    assert '<html lang="it"' in italian["html"].read_text(encoding="utf-8")
    assert '<html lang="en"' in (latest / "report.html").read_text(encoding="utf-8")


def test_italian_pdf_names_and_metadata(italian):
    text = pdftotext(italian["pdf"])
    for word in ("Indice", "Tabella", "Figura"):
        assert word in text, word
    assert not re.search(r"\bTable \d", text) and not re.search(r"\bFigure \d", text)
    info = pdfinfo(italian["pdf"])
    title = next(line for line in info.splitlines() if line.startswith("Title:"))
    assert "immigrati" in title.lower() or "comun" in title.lower(), title


def _p_text(p: float) -> str:
    """Three decimals half up, written here the Italian way (independent of the code)."""
    if p < 0.001:
        return "<\u00a00,001"
    return str(Decimal(p).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)).replace(".", ",")


def test_italian_numbers(built, italian):
    fits = pd.read_csv(built["latest"] / "tables" / "simple_regressions.csv")
    pair = fits[
        (fits.outcome == "employment_rate_increase_pct") & (fits.predictor == "community_event_participants")
    ].iloc[0]
    text = pdftotext(italian["pdf"])
    flat = " ".join(text.split())
    assert _p_text(pair.p_value) == "0,007"  # the classic t test's p, the value the issue quotes (Table 3.3)
    for p in (pair.p_value, pair.p_permutation, pair.p_holm):
        assert _p_text(p) in flat, p
    # no decimal point between digits anywhere in the Italian report's numbers (p-values, r, slopes)
    english_decimals = re.findall(r"(?<![\w.,/])0\.\d{2,3}(?![\d.])", flat)
    assert english_decimals == [], english_decimals[:10]
    # thousands with a dot: the largest training figure of the table
    raw = pd.read_csv(built["processed"] / "inclusione_attiva_clean.csv")
    largest = int(raw.community_event_participants.max())
    assert f"{largest:,}".replace(",", ".") in flat


def _words(text: str) -> list[str]:
    text = " ".join(text.split())  # a name may wrap across lines ("CC" at a line's end, "BY" on the next)
    text = re.sub(r"\S+\.(csv|json|tsv|pdf|html|txt|py|toml|ipynb)\b", " ", text)  # file names
    text = re.sub(r"https?://\S+", " ", text)
    for name in NAMES_WITH_ENGLISH:
        text = text.replace(name, " ")
    return re.findall(r"[A-Za-zÀ-ÿ']+", text)


def test_no_english_function_words(italian):
    body = pdftotext(italian["pdf"])  # every page, the appendix included
    found = [w for w in _words(body) if w.lower() in ENGLISH_WORDS]
    # context for a failure: each English word with the words around it
    flat = " ".join(body.split())
    context = [flat[max(m.start() - 60, 0) : m.end() + 60] for w in sorted(set(found))[:10]
               for m in [re.search(rf"\b{w}\b", flat)] if m]  # fmt: skip
    assert found == [], context


def test_same_tables_whatever_the_language(built, tmp_path_factory):
    """An Italian-only run writes byte-identical machine-readable tables."""
    only_italian = _build(tmp_path_factory.mktemp("it"), "-p", "language", "it", "-p", "languages", "it")
    assert only_italian["result"].returncode == 0, only_italian["result"].stderr[-3000:]
    latest = only_italian["latest"]
    assert (latest / "report.it.pdf").exists() and not (latest / "report.pdf").exists()
    english = sorted(p.name for p in (built["latest"] / "tables").glob("*.csv"))
    assert english == sorted(p.name for p in (latest / "tables").glob("*.csv"))
    for name in english:
        assert (latest / "tables" / name).read_bytes() == (built["latest"] / "tables" / name).read_bytes(), name


def test_hostile_city_round_trips_in_italian(hostile_built):
    assert hostile_built["result"].returncode == 0, hostile_built["result"].stderr[-3000:]
    text = " ".join(pdftotext(hostile_built["latest"] / "report.it.pdf").split())
    assert HOSTILE_CITY.replace("😀", "").strip() in text.replace("😀", "")
    html = (hostile_built["latest"] / "report.it.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_unknown_language_is_refused_before_anything_runs(tmp_path):
    from .conftest import run_cli

    result = run_cli("--reports-dir", str(tmp_path / "r"), "-p", "languages", "fr")
    assert result.returncode == 2
    assert "fr" in result.stderr and "it" in result.stderr
    assert not (tmp_path / "r" / "latest").exists()
