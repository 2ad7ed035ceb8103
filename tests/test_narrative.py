import re

import pandas as pd
import pytest

from helpers import narrative, stats
from helpers.cleaning import load_clean_data

CAUSAL = re.compile(
    r"\b(effect|effects|cause|causes|caused|leads? to|impact|impacts|because|drives?)\b", re.I
)


@pytest.fixture(scope="module")
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


def test_findings_use_no_causal_words_and_state_n(fits):
    sentences = narrative.summarise_fits(fits)
    assert sentences
    for sentence in sentences:
        assert not CAUSAL.search(sentence), sentence
    inferential = [s for s in sentences if "p = " in s]
    assert inferential and all("n = 10" in s for s in inferential)


def test_clear_and_null_results_are_told_apart(fits):
    sentences = narrative.summarise_fits(fits)
    clear = (fits.p_value < 0.05).sum()
    assert sum(s.startswith("Cities reporting more") for s in sentences) == clear
    assert f"other {len(fits) - clear} of {len(fits)} pairs" in " ".join(sentences)


def test_direction_follows_sign():
    fit = pd.Series(
        {
            "outcome": "health_service_access_pct",
            "predictor": "new_businesses",
            "slope": -1.0,
            "ci_low": -2.0,
            "ci_high": -0.5,
            "p_value": 0.01,
            "r_squared": 0.5,
            "n": 10,
        }
    )
    assert "lower" in narrative.describe_fit(fit)


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


@pytest.fixture(scope="module")
def classified(fits):
    from helpers import inference

    data = load_clean_data()
    checked = inference.checks(data, fits)
    loo = inference.leave_one_out(data, fits)
    return narrative.classify(checked, inference.loo_verdicts(fits, loo)), loo


def test_findings_guardrails(classified):
    table, loo = classified
    sentences = narrative.findings(table, loo)
    assert sentences
    for sentence in sentences:
        assert not CAUSAL.search(sentence), sentence
        assert "n = " in sentence, sentence  # every inferential sentence states n
    for limit in narrative.LIMITATIONS:
        assert "effect" not in limit.lower() or limit.startswith("Associations, not effects")


def test_limitations_state_the_four_limits():
    text = " ".join(narrative.LIMITATIONS).lower()
    for needle in (
        "city-level",
        "self-reported",
        "population",
        "percentage points",
        "comparison group",
    ):
        assert needle in text


def test_classification_of_the_article_data(classified):
    table, _ = classified
    verdicts = dict(
        zip(zip(table.outcome, table.predictor, strict=True), table.verdict, strict=True)
    )
    # the one classic p < 0.05 rests on Bologna and does not survive Holm
    assert verdicts[("employment_rate_increase_pct", "community_event_participants")] == "hinges"
    assert verdicts[("employment_rate_increase_pct", "training_participants")] == "none"


def test_classification_rules_on_constructed_rows():
    base = {
        "outcome": "y",
        "n": 10,
        "slope": 1.0,
        "r_squared": 0.5,
        "p_value_hc3": 0.01,
        "p_permutation": 0.01,
        "spearman_p": 0.01,
        "p_holm": 0.02,
    }
    checked = pd.DataFrame(
        [
            {**base, "predictor": "robust", "p_value": 0.001},
            {**base, "predictor": "hinges", "p_value": 0.01},
            {**base, "predictor": "mixed", "p_value": 0.2},
            {
                **base,
                "predictor": "none",
                "p_value": 0.3,
                "p_value_hc3": 0.4,
                "p_permutation": 0.3,
                "spearman_p": 0.5,
            },
        ]
    )
    verdicts = pd.DataFrame(
        {
            "outcome": "y",
            "predictor": ["robust", "hinges", "mixed", "none"],
            "survives_all_drops": [True, False, True, True],
            "decisive_cities": [[], ["X"], [], []],
        }
    )
    table = narrative.classify(checked, verdicts)
    assert table.verdict.tolist() == ["robust", "hinges", "mixed", "none"]


def test_executive_summary_counts_the_whole_family(classified):
    from helpers import audit

    table, loo = classified
    data = load_clean_data()
    claims = audit.check_claims(audit.read_claims(), data)
    bullets = narrative.executive_summary(data, table, loo, claims)
    text = " ".join(bullets)
    assert "Holm's correction for 8 tests" in text
    assert "Of the 8 outcome\u2013input pairs tested on n = 10 cities" in text
    assert "from 25% (Milano) to 70% (Bologna)" in text
    assert not CAUSAL.search(text.replace("not effects", ""))


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
    assert narrative.regression_intro(10).endswith(
        "Each line is an ordinary least-squares fit with an intercept on the ten cities."
    )
    checks = narrative.checks_intro(10, 8, "exact", 3_628_800)
    assert "which ten points cannot confirm" in checks
    assert "the share of all 3,628,800 orderings of the ten outcome values that give" in checks
    assert checks.endswith("which accounts for testing eight pairs at once.")
    assert narrative.influence_intro(10).endswith(
        "The usual thresholds are a leverage above 2p/n = 0.4 and a Cook's distance above "
        "4/n = 0.4 (p = 2 coefficients, n = 10 cities). Each fit is then repeated ten times, "
        "leaving out one city at a time."
    )
    assert narrative.limitations(10) == narrative.LIMITATIONS
    assert narrative.LIMITATIONS[0].startswith("Associations, not effects: the ten cities all ran")
    assert narrative.sample_size_caveat(10, 8) == (
        "Small samples and many tests: each fit rests on 10 points, and with 8 fits about 0.4 "
        "p-values below 0.05 are expected by chance alone when no association exists."
    )


def test_paragraphs_for_thousands_of_cities():
    texts = [
        narrative.descriptive_intro(8000),
        narrative.correlation_intro(8000),
        narrative.regression_intro(8000),
        narrative.checks_intro(8000, 8, "random-subgroup", 16_000_000),
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
    assert "16,000,000 orderings of the 8,000 outcome values" in texts[3]
    assert "2p/n = 0.0005" in texts[4] and "n = 8,000 cities" in texts[4]
    assert texts[6].startswith("Synthetic data: the 8,000 municipalities")


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
    influence["high_leverage"] = False
    influence["influential"] = influence.cooks_distance > 4 / n
    (sentence,) = narrative.describe_influence(influence)
    assert "40 of 1,000 cities exceed a threshold (thresholds 0.004 for both)" in sentence
    assert "largest Cook's distances: C7 (leverage 0.001, Cook's distance 3.00); C0" in sentence
    assert "C39" not in sentence


def test_synthetic_runs_say_so_in_the_summary_and_the_audit(classified):
    from helpers import audit, synthetic

    table, loo = classified
    claims = audit.check_claims(audit.read_claims(), load_clean_data())
    data = synthetic.generate(500, seed=1)
    bullets = narrative.executive_summary(data, table, loo, claims)
    assert bullets[0].startswith("This run uses a synthetic table, not the article's: 500 made-up")
    assert "Comune sintetico 0001 to Comune sintetico 0500" in bullets[0]
    assert "Comune sintetico 0002" not in bullets[0]  # never the whole list of names
    assert bullets[-1].startswith("These are associations in made-up data")
    (audit_sentence,) = narrative.describe_audit(claims, synthetic=True)
    assert "synthetic, not the article's" in audit_sentence
    assert "says nothing about the article" in audit_sentence
    real = narrative.executive_summary(load_clean_data(), table, loo, claims)
    assert real[0].startswith("The article's table gives six indicators for 10 Italian cities")
    assert real[-1].startswith("These are associations across ten self-reported city figures")


def test_summary_groups_many_robust_pairs():
    rows = [
        {
            "outcome": "health_service_access_pct",
            "predictor": predictor,
            "n": 8000,
            "slope": 0.1,
            "r_squared": 0.07,
            "p_value": 1e-9,
            "p_value_hc3": 1e-9,
            "p_permutation": 1e-7,
            "p_holm": 1e-8,
            "spearman_p": 1e-9,
            "verdict": "robust",
            "survives_all_drops": True,
            "decisive_cities": [],
        }
        for predictor in [
            "training_participants",
            "new_businesses",
            "community_event_participants",
            "psychological_support_people",
        ]
    ]
    classified = pd.DataFrame(rows)
    data = pd.DataFrame(
        {
            "city": ["A", "B", "C"],
            "health_service_access_pct": [70.0, 80.0, 90.0],
        }
    )
    claims = pd.DataFrame({"status": ["agrees"], "number": [1.0], "flag": [""]})
    bullets = narrative.executive_summary(data, classified, pd.DataFrame(), claims)
    grouped = [b for b in bullets if b.startswith("4 pairs go together under every check")]
    assert len(grouped) == 1 and "Holm's correction for 4 tests" in grouped[0]
    assert not [b for b in bullets if b.startswith("Across the")]  # no sentence per pair
    assert len(narrative.findings(classified, pd.DataFrame())) == 4  # the findings keep them
