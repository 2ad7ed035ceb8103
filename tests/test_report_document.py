"""The reviewer documents as a reviewer gets them: structure, captions, fonts, escaping."""

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from helpers import paths

from .conftest import HOSTILE_CITY, HOSTILE_CLAIM, LONG_CITY

pytestmark = pytest.mark.slow

#: The main text's sections, then the annex's, in the order a reader meets them.
SECTIONS = [
    "1. What the figures show",
    "2. The figures of the ten cities",
    "3. What the article's text claims",
    "4. What these figures cannot say",
    "5. What an evaluation would need",
    "6. Terms used",
    "Annex: technical details",
    "A.1 The data and their cleaning",
    "A.2 Each indicator on its own",
    "A.3 The article's claims, one by one",
    "A.4 The rules and the checks",
    "A.5 What one city does",
    "A.6 Power and the calibration of the rules",
    "A.7 The specification curve",
    "A.8 Provenance of this run",
]
TITLE = "Ten cities, one table: what the article's figures can and cannot show"


def pdftotext(pdf, *options):
    return subprocess.run(
        ["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_page_one_then_contents_then_sections_in_order(built):
    pdf = built["latest"] / "report.pdf"
    pages = pdftotext(pdf).split("\f")
    first = " ".join(pages[0].split())
    assert first.startswith(TITLE)
    assert "Newsletter n. 125, 29 May 2024" in first and "Enrico Campanelli" in first
    manifest = json.loads((built["latest"] / "manifest.json").read_text())
    data_hash = manifest["provenance"]["inputs"]["raw data"]["sha256"]
    assert f"data sha256:{data_hash[:12]}" in first
    commit = manifest["provenance"]["git"].get("commit")
    # the short commit of the code that made the run; "unknown" only outside a git checkout
    assert f"code {commit[:10]}" in first if commit else "code unknown" in first
    assert commit or not (paths.PROJECT_ROOT / ".git").exists()
    # page one is the whole summary: the bottom line, the banner, the main points, the box
    for part in ("In brief", "official statistics", "Main points", "What these figures can and cannot be used for"):
        assert part in first, part
    assert pages[1].lstrip().startswith("Contents") and TITLE not in pages[1]
    body = " ".join(" ".join(pages[2:]).split())
    positions = [body.find(s) for s in SECTIONS]
    where = list(zip(SECTIONS, positions, strict=True))
    assert all(p >= 0 for p in positions) and positions == sorted(positions), where
    # the main text, contents excluded, fits in eight pages before the annex
    annex = next(i for i, page in enumerate(pages) if page.lstrip().startswith("Annex: technical details"))
    assert annex - 2 <= 8, annex


def test_captions_are_numbered_in_order_in_the_main_text_and_the_annex(built):
    text = pdftotext(built["latest"] / "report.pdf").replace("\f", "\n")
    for kind in ("Table", "Figure"):
        labels = re.findall(rf"^{kind} (A\.)?(\d+)\. ", text, flags=re.M)
        # a caption is printed once; a long table repeats its header, not its caption
        for part in ("", "A."):
            numbers = [int(n) for prefix, n in labels if prefix == part]
            assert numbers == list(range(1, len(numbers) + 1)), (kind, part, numbers)
    words = " ".join(text.split())
    assert "Figure 1." in words and "Table A.1." in words
    assert "the rules are stated in annex A.4" in words and "Annex A.3 says what each would need" in words


def test_pdf_fonts_embedded_metadata_and_a4(built):
    pdf = built["latest"] / "report.pdf"
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts  # the 'emb' column
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Title:\s+Ten cities, one table", info)
    assert re.search(r"Subject:\s+A check of one newsletter article", info) and re.search(r"Author:\s+\S", info)
    assert "(A4)" in info


def test_pdf_has_bookmarks_for_sections(built):
    from pypdf import PdfReader

    outline = PdfReader(built["latest"] / "report.pdf").outline
    titles = [item.title for item in outline if not isinstance(item, list)]
    # page one's headings (under the title, which is not in the contents), then the sections
    assert titles == ["In brief", "Main points", *SECTIONS[:7]], titles


def test_no_code_or_noise_in_reviewer_versions(built):
    text = pdftotext(built["latest"] / "report.pdf")
    html = (built["latest"] / "report.html").read_text()
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    for marker in (
        "import ",
        "say(",
        "cap.table",
        "Traceback",
        "Warning",
        "injected-parameters",
        "raw_data_path =",
    ):
        assert marker not in text, marker
    for marker in (
        "cap.table",
        "import helpers",
        "jp-InputPrompt",
        "Traceback",
        "DeprecationWarning",
    ):
        assert marker not in body, marker
    assert "<table" in body and "<caption>" in body


def test_hostile_city_round_trips_literally(hostile_built):
    """Rules H01 and H02: hostile names and claim texts print literally and execute nothing."""
    assert hostile_built["result"].returncode == 0, hostile_built["result"].stderr
    latest = hostile_built["latest"]
    for name in ("report.pdf", "report.it.pdf"):  # in running text, as printed; in cells, however wrapped
        text = pdftotext(latest / name)
        assert HOSTILE_CITY in " ".join(text.split()), name
        assert "".join(HOSTILE_CITY.split()) in "".join(text.split()), name
        assert "[GRINNING FACE]" not in text  # the emoji drawn (Symbola), not named
    flat = " ".join(pdftotext(latest / "report.pdf").split())
    assert HOSTILE_CITY in flat
    html = (latest / "report.html").read_text()
    assert "R&amp;D &lt;b&gt;x&lt;/b&gt; 50%_{y} \\input{/etc/hostname} ~^# *md* 😀" in html
    assert "<b>x</b>" not in html
    flat_long = " ".join(pdftotext(latest / "report.pdf", "-raw").split())
    assert HOSTILE_CLAIM.replace(" ", "") in flat_long.replace(" ", "")  # wrapped in a table cell
    assert LONG_CITY.replace(" ", "") in flat_long.replace(" ", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert not Path("/tmp/pwned").exists()


def test_every_character_of_the_pdf_has_a_glyph(built):
    """A letter the fonts lack (Greek in running text) prints as nothing or as U+FFFD:
    the annex names Spearman's ρ, and that ρ must reach the page."""
    text = pdftotext(built["latest"] / "report.pdf")
    assert "\ufffd" not in text and "[GREEK" not in text  # drawn, not replaced by its name
    assert "\u03c1" in text and "\u2013" in text


def test_the_annex_says_what_each_parameter_is_and_did(built):
    """The parameters table of the article's run: each description from the parameters cells, and what the
    run's tables say (the exact test counted 10! = 3,628,800 orderings, so permutation_resamples went unused)."""
    from .test_appendix import HELP

    text = pdftotext(built["latest"] / "report.pdf", "-raw")
    table = text[text.index("The run's parameters") : text.index("Input files and")]

    def bare(words: str) -> str:  # a cell may wrap, or hyphenate a word, anywhere
        return re.sub(r"[\s\-\u00ad]", "", words)

    for row in (
        "Parameter Value Description In this run",
        f"permutation_resamples 100000 {HELP['permutation_resamples']} not used: the primary test counted all "
        "3,628,800 orderings of the cities",
        f"log_variables none {HELP['log_variables']}",
        f"multiple_regression no {HELP['multiple_regression']}",
        "the specification curve has its per-10,000-residents scale",
        "recorded draws: the 1,999 shuffles of the curve's joint test and the calibration's",
        "10 cities read",
    ):
        assert bare(row) in bare(table), row


def test_the_pdf_states_the_articles_sources_and_reads_it_even_handedly(built):
    """Issue 16 as a reader checks it: sources as the article gives them, no words it does not say."""
    text = " ".join(pdftotext(built["latest"] / "report.pdf").split())
    for needle in (
        "ISTAT",
        "Ministry of Labour",
        "reports by NGOs and third",  # "third-sector" may break at its hyphen
        "municipalities' annual reports",
        "economic immigrants",
        "6. Terms used",
        "Our reading of the article's text doubts two figures of this pair",
    ):
        assert needle in text, needle
    for gone in ("ten large cities", "reported by the programmes themselves", "self-reported"):
        assert gone not in text.lower() and gone not in text, gone
    claims = pd.read_csv(built["latest"] / "tables" / "claims_check.csv", keep_default_na=False)
    claims = claims.set_index("claim_id")
    # one festival (c08) and one volunteering scheme (c09): the same kind of match (a part of what
    # the column counts), both doubted upwards; only c08's 'over 10,000' against the table's 10,000
    # makes it disagree on a strict reading
    assert (claims.reason["c08"], claims.reason["c09"]) == ("part", "part")
    assert (claims.direction["c08"], claims.direction["c09"]) == ("up", "up")
    assert (claims.status["c08"], claims.status["c09"]) == ("disagrees if read strictly", "consistent")
    # the article's claims of success, change and size are recorded, with no number
    words = claims[claims.status == "beyond the table"]
    assert len(words) >= 5 and (words.number == "").all()
    found = pd.read_csv(built["latest"] / "tables" / "findings.csv", keep_default_na=False)
    events = found[(found.outcome == "employment_rate_increase_pct")
                   & (found.predictor == "community_event_participants")].iloc[0]
    assert "Bologna" in events.audit_flags and "Torino" in events.audit_flags


#: Rules pdfua 0.1.3 skips on Typst's PDFs: it raises on their structure instead of evaluating
#: them. A skipped rule is not a pass; a new one fails this test until it is looked at.
PDFUA_SKIPPED = {"UA-14-001"}


@pytest.mark.parametrize(("name", "language"), [("report.pdf", "en"), ("report.it.pdf", "it")])
def test_the_pdf_is_tagged_in_its_language_and_pdfua_finds_no_error(built, name, language, record_property):
    import pdfua
    import pikepdf

    pdf = built["latest"] / name
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M) and re.search(r"^Creator:\s+Typst", info, re.M)
    with pikepdf.open(pdf) as document:
        assert str(document.Root.Lang) == language
        assert str(document.docinfo["/Title"]) == (
            TITLE if language == "en"
            else "Dieci comuni, una tabella: che cosa possono dire i dati dell'articolo e che cosa no"
        )
        assert "/StructTreeRoot" in document.Root and document.Root.MarkInfo.Marked
    report = pdfua.validate(str(pdf))
    errors = [f"{f.rule_id}: {f.message}" for f in report.findings if f.severity.name == "ERROR"]
    assert errors == []
    skipped = {outcome.rule_id: outcome.skipped_reason for outcome in report.skipped}
    record_property("pdfua_skipped", skipped)  # reported with the results: skipped is not passed
    print(f"{name}: pdfua skipped {skipped}")
    assert set(skipped) == PDFUA_SKIPPED, skipped


@pytest.mark.parametrize("name", ["report.pdf", "report.it.pdf"])
def test_every_figure_shares_its_page_with_its_caption_and_has_its_alt_text(built, name):
    import pikepdf

    from .test_typesetting import _elements, figure_pages

    pdf = built["latest"] / name
    pairs = figure_pages(pdf)
    captions = set(re.findall(r"(?:Figure|Figura) (?:A\.)?\d+\. ", " ".join(pdftotext(pdf).split())))  # labels
    assert len(pairs) == len(captions) >= 4
    assert all(figure == caption for figure, caption in pairs), pairs
    with pikepdf.open(pdf) as document:
        alts = [str(e.get("/Alt", "")) for e in _elements(document.Root.StructTreeRoot) if e.get("/S") == "/Figure"]
    assert len(alts) == len(captions) and all(len(alt) > 40 for alt in alts), alts  # written from the data
