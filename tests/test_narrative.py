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
