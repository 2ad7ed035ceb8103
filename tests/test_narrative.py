import re

import pandas as pd
import pytest

from helpers import narrative, stats
from helpers.cleaning import load_clean_data
from helpers.codebook import load_codebook

from .conftest import LANGUAGE_FIELD, LANGUAGE_HOURS, checks_of, package_with, shared_scope

CAUSAL = re.compile(
    r"\b(effect|effects|cause|causes|caused|leads? to|impact|impacts|because|drives?)\b", re.I
)


@pytest.fixture(scope=shared_scope)
def fits():
    data = load_clean_data()
    return stats.simple_regressions(
        data,
        ["employment_rate_increase_pct", "health_service_access_pct"],
        [
            "training_participants",
            "new_businesses",
            "community_event_participants",
            "psychological_support_people",
        ],
    )


def test_slope_is_a_difference_between_cities_in_the_published_unit():
    fit = pd.Series(
        {
            "outcome": "employment_rate_increase_pct",
            "predictor": "community_event_participants",
            "slope": 0.0037703,
            "ci_low": 0.0013257,
            "ci_high": 0.0062149,
        }
    )
    text = narrative.describe_slope(fit, 1000.0, load_codebook())
    assert text == (
        "cities whose community-event participation differs by 1,000 participants differ on average by "
        "3.77 (95% CI 1.33 to 6.21) in the increase in immigrant employment rate, in the article's "
        "percent units, whose base it does not state"
    )
    assert "percentage points" not in text  # the article does not say which kind of percent
    assert narrative.input_step(pd.Series([300.0, 10_000.0, 2_000.0])) == 1000.0
    assert narrative.input_step(pd.Series([15.0, 50.0, 20.0])) == 10.0


def test_ranges_name_the_extreme_cities():
    data = load_clean_data()
    (sentence,) = narrative.describe_ranges(data, ["community_event_participants"])
    assert "300 participants (Torino)" in sentence and "10,000 participants (Bologna)" in sentence
    assert "33.3 times" in sentence  # 10000 / 300
    (tied,) = narrative.describe_ranges(data, ["psychological_support_people"])
    assert "(Firenze and Bari)" in tied and "(Milano and Bologna)" in tied


def test_ranges_say_one_person_not_one_people():
    data = load_clean_data().copy()
    data.loc[data.city == "Firenze", "psychological_support_people"] = 1
    (sentence,) = narrative.describe_ranges(data, ["psychological_support_people"])
    assert "from 1 person (Firenze)" in sentence and "to 500 people" in sentence


@pytest.fixture(scope=shared_scope)
def classified(fits):
    from helpers import audit, findings, inference

    data = load_clean_data()
    checked = checks_of(data, fits)
    flagged = audit.flagged_cells(audit.read_claims(), data)
    table = findings.classify(
        checked, inference.influence(data, fits), inference.leave_one_out(data, fits), flagged, data
    )
    table["sentence"] = narrative.findings(
        table, steps={name: narrative.input_step(data[name]) for name in fits.predictor.unique()}
    )
    table["bottom_line"] = [narrative.bottom_line(row, family=len(table)) for row in table.itertuples(index=False)]
    return table


ABSENCE = re.compile(r"no (linear )?association|indistinguishable|no relationship|unrelated", re.I)


def test_findings_guardrails(classified):
    for sentence in classified.sentence:
        assert not CAUSAL.search(sentence), sentence
        assert not ABSENCE.search(sentence), sentence  # inconclusive is never "absent"
        assert "n = 10" in sentence and "r = " in sentence, sentence
        assert "95% CI" in sentence or "anywhere from" in sentence, sentence
    for limit in narrative.LIMITATIONS:
        assert "effect" not in limit.lower() or limit.startswith("Associations, not effects")


def test_findings_of_the_article_in_words(classified):
    by_pair = classified.set_index(["outcome", "predictor"]).sentence
    events = by_pair[("employment_rate_increase_pct", "community_event_participants")]
    assert events.startswith("Tentative association: cities reporting more community-event participation")
    assert "(r = 0.78, 95% CI 0.30 to 0.95, n = 10; permutation p = 0.006)" in events
    assert "adjusted for the 8 pairs tested, p is 0.053" in events
    assert "the wild bootstrap gives p = 0.063, not below 0.05" in events  # 64 of 1,024, rounded up
    # a slope that stays put without Bologna: not decisive, but the evidence is said to be weaker
    assert (
        "Without Bologna the slope is nearly the same, 3.87 instead of 3.77 per 1,000 participants, but "
        "less precise (classic t test p = 0.073 on nine cities): the estimate does not hinge on that "
        "city, but without it the evidence is weaker" in events
    )
    # the audit meets the finding in the same sentence group, with the direction it would move
    assert "Bologna weighs heavily on this fit (leverage 0.66)" in events and "claim c08" in events
    assert "the article's text gives more than 10,000 participants for a part of it alone" in events
    assert (
        "were the true figure 50% larger (an arbitrary multiple, for scale), the slope would be 2.48 "
        "instead of 3.77" in events
    )
    training = by_pair[("employment_rate_increase_pct", "training_participants")]
    assert training.startswith(
        "Inconclusive for training-course participants and increase in immigrant employment rate: the data "
        "are compatible with r anywhere from \u22120.68 to 0.57 (r = \u22120.09, n = 10; permutation p = 0.815)."
    )
    # every city that decides a pair is named, with what it does to the slope
    assert "Without Milano the slope is 2.75 instead of \u22120.685 per 100 people" in training
    businesses_employment = by_pair[("employment_rate_increase_pct", "new_businesses")]
    assert "Without Firenze the slope is" in businesses_employment
    assert businesses_employment.count("0.85") == 1  # Milano's shift said once, not again by the audit
    businesses = by_pair[("health_service_access_pct", "new_businesses")]
    assert "Milano weighs heavily on this fit (leverage 0.68)" in businesses and "claim c07" in businesses


def test_limitations_state_the_four_limits():
    text = " ".join(narrative.LIMITATIONS).lower()
    for needle in (
        "city-level",
        "istat and ministry of labour",
        "no figure is tied to its source",
        "population",
        "percentage points",
        "comparison group",
    ):
        assert needle in text


def test_verdict_rules_table_names_every_verdict():
    from helpers import findings

    table = narrative.verdict_rules()
    assert list(table.Verdict) == [narrative.VERDICT_LABELS[v] for v in findings.VERDICTS]
    assert "adjusted p < 0.05" in table.When.iloc[0] and "\u2265 0.05" in table.When.iloc[2]


def test_maxt_stricter_than_holm_is_said(classified):
    (note,) = narrative.adjustment_note(classified)
    assert note.startswith(
        "For community-event participation and increase in immigrant employment rate, Holm's step-down "
        "adjustment of the same p-value gives 0.047, below 0.05, while the declared maxT adjustment gives 0.053."
    )
    assert narrative.adjustment_note(classified.assign(p_holm=0.5)) == []


def test_power_in_words():
    from helpers import inference

    text = narrative.describe_power(inference.power_table(10, 8))
    assert "only if it is 0.76 or more in absolute value (0.87 or more at the family level of 8 pairs)" in text
    assert "a true correlation of 0.5 is detected 33% of the time, one of 0.3 13%" in text
    assert "a pair that is not significant says little either way" in text


def power_table():
    from helpers import inference

    return inference.power_table(10, 8)


def test_executive_summary_counts_the_whole_family(classified):
    from helpers import audit

    data = load_clean_data()
    claims = audit.check_claims(audit.read_claims(), data)
    bullets = narrative.executive_summary(data, classified, power_table(), claims)
    text = " ".join(bullets)
    assert "Each of the 8 outcome\u2013input pairs was judged by the primary test the README declares" in text
    # the summary itself says the rule was fixed after the table had been seen
    assert "a fixed protocol, not a pre-registration" in text
    assert (
        "no pair met the rules for a consistent association, one is a tentative association and seven "
        "are inconclusive" in text
    )
    assert "7 pairs are inconclusive (n = 10 cities each" in text
    assert "from 25% (Milano) to 70% (Bologna)" in text
    assert any(b.startswith("Tentative association") for b in bullets)
    assert "What ten cities can detect" in text
    assert not CAUSAL.search(text.replace("not effects", ""))
    assert not ABSENCE.search(text)
    # the article's sources as it states them, and the programme as it describes it
    for needle in ("ISTAT", "Ministry of Labour and Social Policies", "NGOs and third-sector", "annual reports",
                   "economic immigrants", "the ten cities it names"):
        assert needle in text, needle
    for gone in ("ten large cities", "reported by the programmes themselves", "self-reported"):
        assert gone not in text, gone
    # plain words first: the bottom lines come before any p-value, and before the verdict counts
    plain = next(i for i, b in enumerate(bullets) if b.startswith("In plain words: "))
    assert plain == 1 and "p =" not in bullets[plain] and "r =" not in bullets[plain]
    assert (
        "without the figures of Bologna and Torino, which our audit of the article's text puts in "
        "doubt, the evidence becomes inconclusive" in bullets[plain]
    )
    assert "For the other seven pairs, the ten cities' figures cannot tell" in bullets[plain]
    # the audit's counts, claims without a number apart, and ReCoSol's lack of data
    assert "11 claims with a number and 6 without one" in text
    assert "3 agree with the table, 3 are consistent with it" in text
    assert (
        "2 disagree with it if read strictly (the text says 'over' a figure and the table gives exactly "
        "that figure), 0 disagree on any reading and 3 cannot be checked" in text
    )
    assert "no figures for the results of the other initiative it describes, the ReCoSol network" in text


# ------------------------------------------------------------------ any number of cities
def test_paragraphs_for_the_article_read_as_written():
    # the texts of the report on the article's ten cities, typed here as they were published
    assert narrative.descriptive_intro(10) == (
        "Before any model, this section describes each indicator on its own and how the "
        "indicators move together across the ten cities."
    )
    assert "With ten cities, a coefficient has to be large (about 0.63 in absolute value)" in (
        narrative.correlation_intro(10)
    )
    assert (
        "Each line is an ordinary least-squares fit with an intercept on the ten cities; its slope is the "
        "difference in the outcome between cities whose input differs by one unit, a comparison between "
        "cities, not a change over time."
    ) in narrative.regression_intro(10)
    checks = narrative.checks_intro(10)
    assert "which ten points cannot confirm" in checks
    assert "its p-value computed over every ordering of the ranks" in checks
    primary = narrative.primary_test_intro(10, 8, "exact", 3_628_800, "westfall-young", "Table 3.2")
    assert "the share of all 3,628,800 orderings of the ten cities' outcome values that give" in primary
    assert "among all eight pairs reaches the pair's own" in primary
    assert "the verdicts follow the fixed rules of Table 3.2." in primary
    assert "not a pre-registration" in primary  # the rules were chosen after earlier looks at this table
    influence = narrative.influence_intro(10)
    assert "a leverage above 2p/n = 0.4, a Cook's distance above 4/n = 0.4 and a |DFBETAS| above" in influence
    assert "A city *decides* a pair when its |DFBETAS| exceeds 0.63, or when leaving it out flips" in influence
    assert narrative.limitations(10) == narrative.LIMITATIONS
    assert narrative.LIMITATIONS[0].startswith(
        "Associations, not effects: according to the article the ten cities all run"
    )
    caveat = narrative.sample_size_caveat(10, 8)
    assert caveat.startswith("This analysis is exploratory")
    assert "on average 0.4 false positives are expected by chance" in caveat
    assert "the chance of at least one would be 34% for independent tests" in caveat  # 1 - 0.95^8
    assert "a tentative verdict that rests on an unadjusted p-value has no such protection" in caveat
    assert caveat.endswith("Each test rests on 10 points.")


def test_paragraphs_for_thousands_of_cities():
    texts = [
        narrative.descriptive_intro(8000),
        narrative.correlation_intro(8000),
        narrative.regression_intro(8000),
        narrative.primary_test_intro(8000, 8, "random-subgroup", 16_000_000, "westfall-young", "Table 3.2"),
        narrative.checks_intro(8000),
        narrative.influence_intro(8000),
        narrative.sample_size_caveat(8000, 8),
        *narrative.limitations(8000, synthetic=True),
    ]
    for text in texts:
        about_the_article = "the article's own table has ten cities"
        assert not re.search(
            r"\bten (cities|points|outcome values|times)\b", text.replace(about_the_article, "")
        ), text
        assert not CAUSAL.search(text.replace("not effects", "").replace("not a cause", "")), text
    # |r| = t / sqrt(n - 2 + t^2) at the 5% level: 0.0219 for 8,000 cities
    t = 1.9602  # Student's t, 7,998 degrees of freedom, 97.5% quantile
    assert narrative.critical_correlation(8000) == pytest.approx(
        t / (7998 + t * t) ** 0.5, rel=1e-4
    )
    assert "as small as 0.022" in narrative.correlation_intro(8000)
    assert "the 16,000,000 orderings of a subgroup" in texts[3]
    assert "the size of the subgroup is not a measure of how closely it approaches it" in texts[3]
    assert "t approximation" in texts[4]
    assert "2p/n = 0.0005" in texts[5] and "n = 8,000 cities" in texts[5]
    assert "exceeds 0.5, or when leaving it out" in texts[5]  # the floor of the DFBETAS rule
    assert texts[7].startswith("Synthetic data: the 8,000 municipalities")


def test_long_lists_of_cities_are_cut_short():
    data = pd.DataFrame(
        {
            "city": [f"City {i}" for i in range(50)],
            "health_service_access_pct": [80.0] * 49 + [90.0],
        }
    )
    (sentence,) = narrative.describe_ranges(data, ["health_service_access_pct"])
    assert "from 80% (City 0, City 1, City 2 and 46 other cities) to 90% (City 49)" in sentence
    assert "(n = 50)" in sentence


def test_influence_of_many_cities_names_the_largest():
    n = 1000
    influence = pd.DataFrame(
        {
            "outcome": "employment_rate_increase_pct",
            "predictor": "new_businesses",
            "city": [f"C{i}" for i in range(n)],
            "leverage": [0.001] * n,
            "cooks_distance": [0.5 if i < 40 else 0.0001 for i in range(n)],
        }
    )
    influence.loc[7, "cooks_distance"] = 3.0
    influence["dfbetas"] = [0.3 if i < 40 else 0.001 for i in range(n)]
    influence.loc[7, "dfbetas"] = -2.0
    influence["high_leverage"] = False
    influence["influential"] = influence.cooks_distance > 4 / n
    influence["large_dfbetas"] = influence.dfbetas.abs() > 2 / n**0.5
    (sentence,) = narrative.describe_influence(influence)
    assert "40 of 1,000 cities exceed a threshold (leverage and Cook's distance 0.004, |DFBETAS| 0.06)" in sentence
    assert "largest shifts of the slope: C7 (leverage 0.001, Cook's distance 3.00, DFBETAS \u22122.00); C0" in sentence
    assert "C39" not in sentence


def test_synthetic_runs_say_so_in_the_summary_and_the_audit(classified):
    from helpers import audit, synthetic

    table = classified
    claims = audit.check_claims(audit.read_claims(), load_clean_data())
    data = synthetic.generate(500, seed=1)
    bullets = narrative.executive_summary(data, table, power_table(), claims)
    assert bullets[0].startswith("This run uses a synthetic table, not the article's: 500 made-up")
    assert "Comune sintetico 0001 to Comune sintetico 0500" in bullets[0]
    assert "Comune sintetico 0002" not in bullets[0]  # never the whole list of names
    assert bullets[-1].startswith("These are associations in made-up data")
    (audit_sentence,) = narrative.describe_audit(claims, synthetic=True)
    assert "synthetic, not the article's" in audit_sentence
    assert "says nothing about the article" in audit_sentence
    real = narrative.executive_summary(load_clean_data(), table, power_table(), claims)
    assert real[0].startswith("The article's table gives six indicators for the ten cities it names")
    assert real[-1].startswith("These are associations across ten city figures whose sources")


def test_summary_groups_many_consistent_pairs():
    classified = pd.DataFrame(
        [
            {
                "outcome": "health_service_access_pct",
                "predictor": predictor,
                "n": 8000,
                "verdict": "consistent",
                "r": 0.2,
                "r_ci_low": 0.18,
                "r_ci_high": 0.22,
                "p_primary": 1e-6,
                "p_adjusted": 1e-5,
                "sentence": "Consistent association: one sentence per pair.",
            }
            for predictor in [
                "training_participants",
                "new_businesses",
                "community_event_participants",
                "psychological_support_people",
            ]
        ]
    )
    data = pd.DataFrame({"city": ["A", "B", "C"], "health_service_access_pct": [70.0, 80.0, 90.0]})
    claims = pd.DataFrame({"status": ["agrees"], "number": [1.0], "flag": [""]})
    bullets = narrative.executive_summary(data, classified, pd.DataFrame(), claims)
    grouped = [b for b in bullets if b.startswith("4 pairs are consistent associations")]
    assert len(grouped) == 1 and "(r = 0.20, 0.18 to 0.22)" in grouped[0]
    assert not [b for b in bullets if b.startswith("Consistent association")]  # no sentence per pair


def test_texts_name_the_codebook_fields_and_count_them(classified, tmp_path):
    """No text counts the indicators or lists them by hand: a seventh field shows up in both."""
    from helpers import audit

    intro = narrative.regression_intro(10)
    assert (
        "activity (training, new businesses, community events, psychological support) also report a "
        "larger or smaller outcome (increase in immigrant employment rate, access to health services)"
    ) in intro
    codebook = load_codebook(package_with(LANGUAGE_FIELD, tmp_path / "datapackage.json"))
    wider = narrative.regression_intro(
        10, codebook.variables("outcome"), codebook.variables("input"), codebook
    )
    assert (
        "(training, new businesses, community events, psychological support, language courses)"
        in wider
    )
    chosen = narrative.regression_intro(
        10, ["health_service_access_pct"], ["new_businesses"], codebook
    )
    assert (
        "activity (new businesses) also report a larger or smaller outcome "
        "(access to health services)"
    ) in chosen
    data = load_clean_data().assign(language_course_hours=LANGUAGE_HOURS)
    claims = audit.check_claims(audit.read_claims(), data)
    six = narrative.executive_summary(load_clean_data(), classified, power_table(), claims)
    seven = narrative.executive_summary(data, classified, power_table(), claims, codebook)
    assert six[0].startswith("The article's table gives six indicators for the ten cities")
    assert seven[0].startswith("The article's table gives seven indicators for the ten cities")


def test_a_sensitivity_scale_words_its_own_size_limitation():
    """Per 10,000 residents is not per 10,000 immigrants, and the outcomes are not divided."""
    per = " ".join(narrative.limitations(10, input_scale="per_10k_residents"))
    assert "not by its immigrant population" in per and "outcomes are not divided" in per
    assert "No control for size" not in per
    logged = " ".join(narrative.limitations(10, input_scale="log"))
    assert "does not divide by population" in logged


def test_curve_notes_group_the_pairs_no_specification_moves():
    """The summary's form: one sentence per pair the curve says something about, then the rest named together."""
    y = "employment_rate_increase_pct"
    pairs = [
        ("community_event_participants", "tentative", 0.006, [0.78, 0.5], [0.006, 0.2]),
        ("training_participants", "inconclusive", 0.8, [-0.09, 0.1], [0.8, 0.6]),
        ("new_businesses", "inconclusive", 0.1, [-0.5, -0.4], [0.1, 0.3]),
    ]
    classified = pd.DataFrame(
        {"outcome": y, "predictor": [x for x, *_ in pairs], "verdict": [v for _, v, *_ in pairs],
         "p_primary": [p for _, _, p, *_ in pairs]}
    )  # fmt: skip
    specs = pd.DataFrame(
        [
            {"outcome": y, "predictor": x, "scale": "count", "sample": sample, "estimator": "ols",
             "estimate": e, "p_value": q}
            for x, _, _, estimates, ps in pairs
            for sample, e, q in zip(["all", "without_flagged"], estimates, ps, strict=True)
        ]
    )  # fmt: skip
    codebook = load_codebook()
    each = narrative.curve_notes(classified, specs, codebook)
    grouped = narrative.curve_notes(classified, specs, codebook, group_unchanged=True)
    assert len(each) == 3 and grouped[0] == each[0]
    assert "the tentative association depends on the analysis: under 1 of 2" in each[0]
    assert all("inconclusive under every specification (" in note for note in each[1:])
    businesses = narrative._pair(classified.iloc[2], codebook)
    training = narrative._pair(classified.iloc[1], codebook)
    assert grouped[1:] == [
        f"Inconclusive under every specification, none reaching p < 0.05: {businesses}; {training}."
    ]


def test_bottom_lines_are_plain_and_never_claim_absence(classified):
    """No p, no r, no causal word; weak evidence says why in words; an inconclusive pair is never 'no association'."""
    for row in classified.itertuples(index=False):
        line = narrative.bottom_line(row, family=len(classified))
        assert not re.search(r"\b(p|r|R²|CI)\s*[=<>]", line), line
        assert not CAUSAL.search(line.replace("not evidence that the activity raised or lowered", "")), line
        assert not ABSENCE.search(line), line
    pair = lambda y, x: next(  # noqa: E731
        r for r in classified.itertuples(index=False) if (r.outcome, r.predictor) == (y, x)
    )
    events = pair("employment_rate_increase_pct", "community_event_participants")
    line = narrative.bottom_line(events, family=8)
    assert line.startswith("Cities that report more community-event participation also tend to report higher")
    assert "does not survive the allowance for having tested eight pairs" in line
    assert "one of the four checks (the wild bootstrap) does not confirm it" in line
    assert "without the figures of Bologna and Torino, which our audit of the article's text puts in doubt" in line
    # the same pair with its doubted figures holding up, every check agreeing and adjusted p below alpha
    strong = events._replace(
        p_adjusted=0.01, disagreeing=[], without_doubted=dict(events.without_doubted, p=0.01), verdict="consistent"
    )
    assert "the pattern holds under every check" in narrative.bottom_line(strong, family=8)
    inconclusive = pair("health_service_access_pct", "training_participants")
    # each inconclusive pair says the range of links its own interval allows
    words = narrative.bottom_line(inconclusive, family=8)
    assert "cannot tell whether the two go together" in words
    assert words.endswith(f"anything {narrative.link_range(inconclusive.r_ci_low, inconclusive.r_ci_high)}.")
    assert narrative.link_range(-0.01, 0.90) == "from about zero to a strong positive link"
    assert narrative.link_range(-0.68, 0.57) == "from a strong negative to a strong positive link"
    assert narrative.link_range(-0.29, 0.83) == "from a weak negative to a strong positive link"
    assert narrative.link_range(0.31, 0.45) == "around a moderate positive link"


def test_definitions_come_from_the_codebook(tmp_path):
    lines = narrative.definitions()
    codebook = load_codebook()
    assert len(lines) == len(codebook.variables())
    health = next(line for line in lines if line.startswith("Access to health services"))
    assert "Accesso ai Servizi Sanitari (%)" in health and "improvement" in health and "Not stated:" in health
    employment = next(line for line in lines if line.startswith("Increase in immigrant employment rate"))
    assert "percentage points" in employment and "relative change" in employment
    wider = narrative.definitions(load_codebook(package_with(LANGUAGE_FIELD, tmp_path / "datapackage.json")))
    assert len(wider) == len(lines) + 1


def test_the_glossary_explains_the_report_terms():
    terms = " ".join(term for term, _ in narrative.GLOSSARY)
    needles = ("p-value", "Adjusted p", "R²", "HC2, HC3", "Cook's distance", "95% interval", "Association")
    for needle in (*needles, "Effect"):
        assert needle in terms, needle
    assert narrative.glossary()[0].startswith("Association: ")
