"""The generated sentences in Italian: every message translated, Italian numbers, no English left."""

import re

import pytest

from helpers import audit, i18n, narrative
from helpers.cleaning import load_clean_data
from helpers.codebook import load_codebook

from .conftest import checks_of

#: English function words that must not survive in Italian text (proper names removed first).
ENGLISH = re.compile(
    r"\b(the|and|of|with|which|for|is|are|from|to|not|or|cities|city|pairs?|without|between)\b", re.I
)
PROPER_NAMES = ("Journal of Econometrics", "Nature Human Behaviour", "Festival delle Culture")


def _italian_only(text: str) -> None:
    assert "{" not in text and "}" not in text, text  # every placeholder filled
    bare = text
    for name in PROPER_NAMES:
        bare = bare.replace(name, "")
    assert not ENGLISH.search(bare), (ENGLISH.search(bare).group(0), text)


@pytest.fixture
def italian():
    """Italian active, from the project's compiled catalog (``make`` builds it from messages.po)."""
    with i18n.language("it"):
        yield


@pytest.fixture(scope="module")
def classified():
    """The article's eight pairs, classified, with their English texts (as tables/findings.csv)."""
    from helpers import audit, findings, inference, stats

    data = load_clean_data()
    codebook = load_codebook()
    fits = stats.simple_regressions(data, codebook.variables("outcome"), codebook.variables("input"))
    checked = checks_of(data, fits)
    flagged = audit.flagged_cells(audit.read_claims(), data)
    table = findings.classify(
        checked, inference.influence(data, fits), inference.leave_one_out(data, fits), flagged, data
    )
    steps = {name: narrative.input_step(data[name]) for name in fits.predictor.unique()}
    table["sentence"] = narrative.findings(table, steps=steps)
    table["bottom_line"] = [narrative.bottom_line(r, family=len(table)) for r in table.itertuples(index=False)]
    return table, steps


def test_the_findings_in_italian(classified, italian):
    table, steps = classified
    sentences = narrative.findings(narrative.findings_in_language(table, audit.read_claims()), steps=steps)
    by_pair = dict(zip(zip(table.outcome, table.predictor, strict=True), sentences, strict=True))
    events = by_pair[("employment_rate_increase_pct", "community_event_participants")]
    assert events.startswith("Associazione provvisoria: i comuni con valori più alti di «")
    assert "(r = 0,78; IC al 95% da 0,30 a 0,95; n = 10; test di permutazione: p = 0,006)" in events
    assert "dopo la correzione per le 8 coppie verificate, p è 0,053" in events
    assert "il wild bootstrap dà p = 0,063, non inferiore a 0,05" in events
    assert "3,87 anziché 3,77 per 1.000 partecipanti" in events and "su nove comuni" in events
    assert "leva 0,66" in events and "più di 10.000 partecipanti" in events
    training = by_pair[("employment_rate_increase_pct", "training_participants")]
    assert "compreso tra \u22120,68 e 0,57 (r = \u22120,09; n = 10; test di permutazione: p = 0,815)" in training
    for sentence in sentences:
        _italian_only(sentence)
        assert not re.search(r"\b0\.\d", sentence), sentence  # no English decimal point
    for row in table.itertuples(index=False):
        _italian_only(narrative.bottom_line(row, family=len(table)))
    assert narrative._p(0.0066) == "p = 0,007"


def test_counts_agree_in_gender_and_number(italian):
    assert narrative.counted_verdict("inconclusive", 1) == "una è inconcludente"
    assert narrative.counted_verdict("inconclusive", 7) == "sette sono inconcludenti"
    assert narrative.counted_verdict("tentative", 1) == "una è un'associazione provvisoria"
    assert narrative.counted_verdict("consistent", 0).startswith("nessuna coppia")
    assert narrative.count_words(8000) == "8.000"
    assert narrative.link_range(-0.68, 0.57) == "da un legame negativo forte a un legame positivo forte"
    assert narrative.link_range(0.05, 0.08) == "intorno allo zero"


def test_every_paragraph_reads_in_italian(classified, italian):
    from helpers import audit, inference, stats

    table, _steps = classified
    data = load_clean_data()
    codebook = load_codebook()
    fits = stats.simple_regressions(data, codebook.variables("outcome"), codebook.variables("input"))
    claims = audit.check_claims(audit.read_claims(), data)
    quoted = narrative.findings_in_language(table, audit.read_claims())
    italian_table = table.assign(
        sentence_it=narrative.findings(quoted, steps=_steps),
        bottom_line_it=[narrative.bottom_line(r, family=len(table)) for r in quoted.itertuples(index=False)],
    )
    texts = [
        *narrative.limitations(10),
        *narrative.limitations(8000, synthetic=True, input_scale="per_10k_residents"),
        *narrative.limitations(10, input_scale="log"),
        narrative.sample_size_caveat(10, 8),
        narrative.sample_size_caveat(8000, 8),
        narrative.descriptive_intro(10),
        narrative.correlation_intro(10),
        narrative.correlation_intro(8000),
        narrative.regression_intro(10),
        narrative.primary_test_intro(10, 8, "exact", 3_628_800, "westfall-young", "Tabella 3.2"),
        narrative.primary_test_intro(8000, 8, "random-subgroup", 16_000_000, "holm", "Tabella 3.2"),
        narrative.primary_test_intro(30, 8, "monte carlo", 100_000, "westfall-young", "Tabella 3.2"),
        narrative.checks_intro(10),
        narrative.checks_intro(8000),
        narrative.influence_intro(10),
        narrative.curve_intro(10, "conteggi così come pubblicati", ""),
        narrative.describe_power(inference.power_table(10, 8)),
        *narrative.describe_audit(claims, "Tabella 2.3"),
        *narrative.describe_audit(claims, synthetic=True),
        *narrative.describe_influence(inference.influence(data, fits), codebook),
        *narrative.adjustment_note(table),
        *narrative.describe_ranges(data, codebook.variables(), codebook),
        *narrative.definitions(codebook),
        *narrative.executive_summary(data, italian_table, inference.power_table(10, 8), claims, codebook),
        *narrative.glossary(),
        narrative.evaluation_intro(),
        *narrative.evaluation_needs(),
        narrative.evaluation_closing(),
        narrative.sources_as_stated(),
        narrative.no_recosol_data(),
        *narrative.verdict_rules().iloc[:, 1],
    ]
    for text in texts:
        _italian_only(text)
    joined = " ".join(texts)
    assert "3.628.800 ordinamenti" in joined and "per 10.000 abitanti" in joined
    assert "al livello 0,05" in joined and "probabilità di almeno uno sarebbe del 34%" in joined
    assert list(narrative.verdict_rules().columns) == ["Verdetto", "Quando"]


def test_the_italian_summary_never_borrows_english_sentences(classified, italian):
    """findings.csv holds the English texts; without their Italian columns the summary stops."""
    from helpers import audit, inference

    table, _steps = classified
    data = load_clean_data()
    claims = audit.check_claims(audit.read_claims(), data)
    with pytest.raises(i18n.MissingTranslation, match="bottom_line_it"):
        narrative.executive_summary(data, table, inference.power_table(10, 8), claims)


def test_the_constants_stay_english(italian):
    """The module's constants are the English texts; the functions follow the language."""
    assert narrative.EVALUATION_INTRO.startswith("The article's table can rank ten cities")
    assert narrative.evaluation_intro().startswith("La tabella dell'articolo")
    assert narrative.GLOSSARY[0][0] == "Association"
    assert narrative.glossary()[0].startswith("Associazione: ")
    assert narrative.VERDICT_LABELS["tentative"] == "tentative association"
    assert narrative.verdict_label("tentative") == "associazione provvisoria"
    with i18n.language("en"):
        assert narrative.glossary()[0].startswith("Association: ")
        assert narrative.limitations(10) == narrative.LIMITATIONS
