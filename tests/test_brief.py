"""The reviewer document, read as its readers would: page one measured, the two languages compared,
the borderline pair worded as the numbers allow, and nothing from the data turned into markup."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest

from helpers import i18n, report
from helpers.brief import display, page_one, words
from helpers.brief.evidence import load
from helpers.tables import Table

from . import readability
from .inprocess import capture, run_tables


@pytest.fixture(scope="module")
def article_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brief")
    return folder, run_tables(folder)


@pytest.fixture(scope="module")
def documents(article_run):
    folder, processed = article_run
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        for language in i18n.LANGUAGES:
            found[language] = capture(folder, processed, language, patch)
            plt.close("all")
    return found


def evidence(article_run, language):
    folder, processed = article_run
    return load(folder, language, processed)


# ------------------------------------------------------------------ page one, measured
#: Statistical notation and jargon that page one must not use.
FORBIDDEN = {
    "en": [r"\bp\b", r"\br\b", r"\bCI\b", r"\bn =", "README", "pipeline", "bootstrap", "maxT", "leverage",
           r"\binput", r"\boutcome"],
    "it": [r"\bp\b", r"\br\b", r"\bIC\b", r"\bn =", "README", "pipeline", "bootstrap", "maxT", r"\bleva\b",
           r"\binput", r"\besit", r"\bevidenz"],
}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_page_one_reads_in_five_minutes(article_run, language):
    summary = page_one.summary_text(evidence(article_run, language))
    measure = readability.flesch(summary) if language == "en" else readability.gulpease(summary)
    written = readability.total_words(summary)
    print(f"\n{language} summary: {measure}; {written} words as written")
    assert written <= (250 if language == "en" else 275)
    assert measure.mean_sentence <= 20 and measure.longest_sentence <= 30
    assert measure.index >= (50 if language == "en" else 55)
    joined = " ".join(summary)
    for pattern in FORBIDDEN[language]:
        assert not re.search(pattern, joined, flags=re.IGNORECASE), pattern


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_page_one_opens_with_the_message(article_run, language):
    ev = evidence(article_run, language)
    with i18n.language(language):
        points = page_one.main_points(ev)
        title = page_one.title(ev)
    assert 4 <= len(points) <= 6
    for point in points:  # one sentence each, at most one number
        assert len(readability.sentences([point])) == 1, point
        assert len(re.findall(r"\d[\d.,]*", point)) <= 1, point
    # the title says what the document is: a check of an article's figures, not an evaluation
    words_of_title = ("article", "figures") if language == "en" else ("articolo", "dati")
    assert all(word in title for word in words_of_title)


def test_the_main_text_before_the_annex_keeps_sentences_short(documents):
    for language, shown in documents.items():
        main = []
        for obj, _meta in shown:
            if isinstance(obj, display.Heading) and obj.text.startswith(("Annex", "Allegato")):
                break
            if isinstance(obj, report.Text) and not isinstance(obj, display.Banner):
                main += obj.paragraphs
        measure = readability.flesch(main) if language == "en" else readability.gulpease(main)
        print(f"\n{language} main text: {measure}")
        assert measure.mean_sentence <= 22


# ------------------------------------------------------------------ the two languages cannot drift
def structure(shown):
    """The kinds of what is shown, tables with their shapes, headings with their levels."""
    found = []
    for obj, _meta in shown:
        if isinstance(obj, Table):
            found.append(("table", obj.label.split()[-1], obj.frame.shape))
        elif isinstance(obj, display.Heading):
            number = re.match(r"(A\.)?\d+(\.\d+)?", obj.text)
            found.append(("heading", obj.level, number.group() if number else ""))
        elif hasattr(obj, "savefig"):
            found.append(("figure",))
        else:
            found.append((type(obj).__name__,))
    return found


NUMBER = re.compile(r"[−-]?\d[\d.,]*\d|[−-]?\d")


def numbers(text: str, language: str) -> list[float]:
    """The numbers of a text, read in the language's notation (1.000,5 in Italian, 1,000.5 in English)."""
    out = []
    for token in NUMBER.findall(text):
        plain = token.replace("−", "-")
        plain = plain.replace(".", "").replace(",", ".") if language == "it" else plain.replace(",", "")
        try:
            out.append(float(plain))
        except ValueError:
            continue
    return out


def test_both_languages_show_the_same_document(documents):
    en, it = (structure(documents[code]) for code in ("en", "it"))
    # the English claims table adds our words beside the article's: one column more, same rows
    assert len(en) == len(it)
    for a, b in zip(en, it, strict=True):
        if a[0] == "table" and b[0] == "table":
            assert a[1] == b[1] and a[2][0] == b[2][0] and a[2][1] - b[2][1] in (0, 1), (a, b)
        else:
            assert a == b


def test_both_languages_give_the_same_numbers(documents):
    """Tables and figures' descriptions: the same numbers once each language's notation is read."""
    for (a, _), (b, _) in zip(documents["en"], documents["it"], strict=True):
        if isinstance(a, Table):
            with i18n.language("en"):
                text_a = a._text()
            with i18n.language("it"):
                text_b = b._text()
            text_a = text_a.drop(columns=["In our words"], errors="ignore")  # the English report's extra column
            for column_a, column_b in zip(text_a.columns, text_b.columns, strict=False):
                if text_a[column_a].tolist() == text_b[column_b].tolist():
                    continue  # the same text in both (the published "1.000", names, ids): nothing to read
                values_a = [numbers(v, "en") for v in text_a[column_a]]
                values_b = [numbers(v, "it") for v in text_b[column_b]]
                if any(values_a) and column_a not in ("The article's words", "In our words"):
                    assert values_a == values_b, (a.label, column_a)


# ------------------------------------------------------------------ the borderline pair, in words
BANNED = {
    "en": ["rests on them", "does not survive", "holds only under some"],
    "it": ["poggia su di essi", "non regge alla correzione", "regge solo con alcune"],
}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_borderline_pair_reads_as_the_numbers_allow(documents, language):
    text = "\n".join(repr(obj) for obj, _ in documents[language])
    for phrase in BANNED[language]:
        assert phrase not in text
    if language == "en":
        expected = ["The correlation is strong: r = 0.78", "borderline", "0.042 to 0.053",
                    "Without Bologna and Torino the slope is similar", "too imprecise to tell from zero",
                    "4,875 participants or more", "would be called consistent in",
                    "no larger value of Bologna's participation in community events"]
    else:
        expected = ["La correlazione è forte: r = 0,78", "ai limiti della significatività", "da 0,042 a 0,053",
                    "Senza Bologna e Torino la pendenza è simile", "troppo imprecisa per distinguerla dallo zero",
                    "almeno 4.875 partecipanti", "sarebbe giudicata «solida»",
                    "non porta p a 0,05 con nessun valore più alto"]
    for phrase in expected:
        assert phrase in text, phrase


# ------------------------------------------------------------------ words
def test_a_share_after_in_takes_its_article_in_italian():
    assert words.share_in(0.85) == "85%"
    with i18n.language("it"):
        assert [words.share_in(x) for x in (0.85, 0.53, 0.11, 0.01, 0.18, 0.8)] == [
            "nell'85%", "nel 53%", "nell'11%", "nell'1%", "nel 18%", "nell'80%"]
        assert words.share_in(0.004, 1) == "nello 0,4%"
        assert [words.share_the(x) for x in (0.8, 0.53, 0.11)] == ["l'80%", "il 53%", "l'11%"]
        assert words.share_the(0.004, 1) == "lo 0,4%"
    assert words.share_the(0.8) == "80%"


def test_p_values_with_two_significant_figures():
    assert [words.p2(p) for p in (0.05259, 0.0059, 0.42, 0.999993, 0.0421)] == [
        "0.053", "0.0059", "0.42", "1.00", "0.042"]
    with i18n.language("it"):
        assert words.p2(0.05259) == "0,053"


def test_markdown_and_headings_escape_what_they_print():
    hostile = r"R&D <img src=x onerror=alert(1)> [x](javascript:alert(1)) #read(\"/etc/passwd\") *b*"
    heading = display.Heading(hostile, 2)
    assert "<img" not in heading._repr_html_() and "&lt;img" in heading._repr_html_()
    md = heading._repr_markdown_()
    assert md.startswith("## ") and "[x](" not in md and r"\[x\]\(javascript" in md and r"\*b\*" in md
    box = display.Box(hostile, [(hostile, [hostile])])
    assert "<img" not in box._repr_html_()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_synthetic_run_never_presents_itself_as_the_articles_figures(article_run, language):
    """Page one of a run on made-up municipalities says so under the title and in the banner."""
    made_up = evidence(article_run, language)
    made_up.manifest = {**made_up.manifest, "data": {"rows": 8000, "synthetic": True}}
    made_up.data = made_up.data.assign(city=[f"Comune sintetico {i:04d}" for i in range(len(made_up.data))])
    with i18n.language(language):
        under_title, banner = page_one.subtitle(made_up), " ".join(page_one.banner(made_up))
        article_banner = " ".join(page_one.banner(evidence(article_run, language)))
    synthetic = {"en": "synthetic data", "it": "dati sintetici"}[language]
    assert synthetic in under_title.lower() and synthetic in banner.lower()
    assert "newsletter" not in under_title + banner and "Campanelli" not in under_title
    assert synthetic not in article_banner.lower() and "newsletter" in article_banner
