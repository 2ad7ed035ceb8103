"""The parameters table of the annex's provenance (A.8): each parameter's value, what it is (its comment in the
notebooks' parameters cells, the one description) and what the run's own outputs say it did.

The run's tables here are small frames written by hand with just the columns the table reads, so each fact is
checked against a value set in the test; counts of orderings are worked out by hand (10! = 3,628,800).
"""

import io
import json
import subprocess

import pandas as pd
import pytest

from helpers import i18n, synthetic
from helpers.brief import provenance
from helpers.brief.evidence import Evidence
from helpers.codebook import load_codebook
from helpers.errors import ParameterError
from helpers.runner import study
from helpers.runner.params import (
    collect_parameters,
    extract_descriptions,
    notebook_parameters,
    parameter_help,
)
from helpers.runner.run import check_descriptions
from helpers.runner.steps import discover_steps, report_step

from .conftest import SYNTHETIC_N

#: The parameters of the article's run, as its manifest records them.
ARTICLE = {
    "raw_data_path": "data/raw/inclusione_attiva.tsv",
    "processed_data_path": "data/processed/inclusione_attiva_clean.csv",
    "output_dir": "reports/scratch",
    "outcomes": ["employment_rate_increase_pct", "health_service_access_pct"],
    "predictors": [
        "training_participants",
        "new_businesses",
        "community_event_participants",
        "psychological_support_people",
    ],
    "claims_path": "data/raw/article_claims.tsv",
    "multiple_regression": False,
    "input_scale": "count",
    "population_path": "data/raw/population.tsv",
    "log_variables": [],
    "permutation_seed": 20240529,
    "permutation_resamples": 100000,
    "language": "en",
    "languages": ["en", "it"],
}
RUN = "20260101T000000Z-abc123"
NOTEBOOKS = [step.path for step in [*discover_steps(), report_step()]]
#: What the runner records: each parameter's comment, read from the notebooks here.
HELP = parameter_help({path.name: notebook_parameters(path) for path in NOTEBOOKS})


def evidence(n=10, method="exact", made_up=False, lacking=0, scales=("count", "per_10k_residents", "log"),
             shuffles=1999, simulations=200, outcomes=2, inputs=4, language="en", run_id=RUN, **changes):
    """A run's evidence with hand-made tables holding only what the parameters table reads."""
    pairs = [(f"outcome_{i}", f"input_{j}") for i in range(outcomes) for j in range(inputs)]
    frame = pd.DataFrame(pairs, columns=["outcome", "predictor"])
    tables = {
        "simple_regressions": frame.assign(n=n, permutation_method=method),
        "findings": frame,
        "specification_curve": pd.DataFrame({"scale": list(scales)}),
        "specification_joint_test": frame.assign(shuffles=shuffles),
        "verdict_calibration": frame.assign(simulations=simulations),
        "claims_check": pd.DataFrame({  # three claims; two doubt Bologna's events, one Roma's courses
            "claim_id": ["c1", "c2", "c3"], "reason": ["part", "part", ""],
            "city": ["Bologna", "Bologna", "Roma"], "field": ["events", "events", "courses"]}),
    }
    manifest = {
        "parameters": {**ARTICLE, **changes},
        "parameter_help": dict(HELP),
        "data": {"rows": n, "synthetic": made_up, "cities_without_population": lacking},
        "steps": [{"step": "01_data_cleaning", "status": "ran", "outputs": {
            "notebooks/01_data_cleaning.ipynb": "ab" * 32, "data/inclusione_attiva_clean.csv": "cd" * 32}}],
    }
    if run_id:
        manifest["run_id"] = run_id
    data = pd.DataFrame({"city": [f"City {i}" for i in range(n)]})
    return Evidence(language, load_codebook(), data, tables, manifest)


def table_a8(ev):
    """The parameters table as the document shows it: parameter name -> (value, description, in this run)."""
    with i18n.language(ev.language):
        table = provenance.parameter_table(ev)
    return {name: (value, what, fact) for name, value, what, fact in table.itertuples(index=False)}


# ------------------------------------------------------------------ what each parameter is
def test_each_parameter_is_described_by_its_parameters_cell():
    ev = evidence()
    with i18n.language("en"):
        assert list(provenance.parameter_table(ev).columns) == ["Parameter", "Value", "Description", "In this run"]
    shown = table_a8(ev)
    assert list(shown) == list(ARTICLE)
    for name, (_value, what, _fact) in shown.items():
        assert what == HELP[name]
    assert shown["input_scale"][1] == (
        'scale of every input: "count" (as printed), "per_10k_residents" or "log" (natural log)')


def test_one_description_per_parameter_in_every_notebook():
    """A parameter declared in several notebooks carries the same comment in each, and every one has a comment."""
    declared = collect_parameters(NOTEBOOKS)
    assert set(HELP) == set(declared)
    for path in NOTEBOOKS:
        for name, parameter in notebook_parameters(path).items():
            assert parameter.help == HELP[name], (path.name, name)


def test_the_descriptions_reach_the_catalogs():
    """Babel reads the comments where they are written (babel.cfg): one message per description, in context."""
    found = {message for message in i18n.code_messages() if isinstance(message, str)
             and message.startswith(provenance.DESCRIPTION + "\x04")}
    assert found == {f"{provenance.DESCRIPTION}\x04{text}" for text in HELP.values()}
    shown = table_a8(evidence(language="it"))
    assert shown["input_scale"][1] == (
        'scala di ogni indicatore di attività: "count" (come pubblicati), "per_10k_residents" (per 10.000 '
        'abitanti) o "log" (logaritmo naturale)')
    assert shown["permutation_seed"][1].startswith("seme di ogni estrazione casuale")


def test_the_extractor_reads_the_parameters_cell_only():
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": [
            'alpha = 0.05  # the level of every test\n', 'name = "x"\n',
            'items = ["a",\n', '         "b"]  # a list\n']},
        {"cell_type": "code", "metadata": {}, "source": "y = 1  # not a parameter"},
    ]
    notebook = io.BytesIO(json.dumps({"cells": cells}).encode())
    found = list(extract_descriptions(notebook, ["pgettext"], [], {}))
    assert [(funcname, message, comments) for _line, funcname, message, comments in found] == [
        ("pgettext", ("parameter", "the level of every test"), ["parameter alpha"]),
        ("pgettext", ("parameter", "a list"), ["parameter items"]),
    ]
    assert list(extract_descriptions(io.BytesIO(b'{"cells": []}'), [], [], {})) == []  # no parameters cell


def test_a_description_without_translation_stops_the_run_before_any_step():
    check_descriptions(HELP, ["en", "it"])  # the project's: every one translated
    check_descriptions({"alpha": "a comment nobody translated"}, ["en"])  # English needs no catalog
    with pytest.raises(ParameterError, match=r"parameter 'alpha': its description .* has no Italian translation"):
        check_descriptions({"alpha": "a comment nobody translated"}, ["en", "it"])


# ------------------------------------------------------------------ what it did, from the run's outputs
def test_an_exact_test_leaves_the_resamples_unused_and_says_how_many_orderings_it_counted():
    assert table_a8(evidence(10))["permutation_resamples"][2] == (
        "not used: the primary test counted all 3,628,800 orderings of the cities")  # 10!
    assert table_a8(evidence(7))["permutation_resamples"][2].endswith("all 5,040 orderings of the cities")  # 7!


def test_a_monte_carlo_test_says_its_count():
    shown = table_a8(evidence(11, method="monte carlo", permutation_resamples=250000))
    assert shown["permutation_resamples"][2] == "used: the primary test drew 250,000 random orderings"
    assert shown["permutation_resamples"][0] == "250000"
    assert "the primary test's 250,000 random orderings" in shown["permutation_seed"][2]


def test_a_random_subgroup_takes_the_resamples_as_a_floor():
    shown = table_a8(evidence(8000, method="random-subgroup", made_up=True))
    assert shown["permutation_resamples"][2].startswith("used as a floor: the primary test counted every ordering")
    assert "the choice of the primary test's random subgroup" in shown["permutation_seed"][2]


def test_the_seed_lists_the_draws_the_tables_record_and_no_others():
    shown = table_a8(evidence(10))
    assert shown["permutation_seed"][2] == (
        "recorded draws: the 1,999 shuffles of the curve's joint test and the calibration's 200 simulated sets "
        "of cities per pair and scenario")
    assert "permutation_seed" not in provenance.parameter_facts(evidence(10, shuffles=0, simulations=0))


def test_outcomes_inputs_and_pairs_are_counted_in_the_findings():
    shown = table_a8(evidence(outcomes=2, inputs=4))
    assert shown["outcomes"][2] == "2 outcomes" and shown["predictors"][2] == "4 activity figures in 8 pairs"
    one = table_a8(evidence(outcomes=1, inputs=1))
    assert one["outcomes"][2] == "1 outcome" and one["predictors"][2] == "1 activity figure in 1 pair"
    three = table_a8(evidence(outcomes=1, inputs=3))
    assert three["predictors"][2] == "3 activity figures in 3 pairs"


def test_the_population_scale_is_read_in_the_specification_curve():
    assert table_a8(evidence(10))["population_path"][2] == (
        "the specification curve has its per-10,000-residents scale")
    without = table_a8(evidence(30, made_up=True, lacking=30, scales=("count", "log")))["population_path"][2]
    assert without == ("the specification curve has no per-10,000-residents scale: 30 of the 30 cities are not "
                       "in the population table")
    one = table_a8(evidence(30, made_up=True, lacking=1, scales=("count", "log")))["population_path"][2]
    assert one.endswith(": 1 of the 30 cities is not in the population table")


def test_the_cities_read_and_whether_they_are_made_up():
    assert table_a8(evidence(10))["raw_data_path"][2] == "10 cities read"
    assert table_a8(evidence(1))["raw_data_path"][2] == "1 city read"
    assert table_a8(evidence(30, made_up=True))["raw_data_path"][2] == (
        "30 made-up municipalities read (synthetic data)")


def test_the_claims_checked_and_the_figures_they_doubt():
    # three claims; Bologna's events doubted twice is one figure
    assert table_a8(evidence())["claims_path"][2] == "3 claims checked; 1 figure put in doubt"


def test_the_runner_folders_come_from_the_run_record():
    shown = table_a8(evidence())
    assert shown["output_dir"] == ("reports/scratch", HELP["output_dir"], f"this run's own folder: runs/{RUN}")
    assert shown["processed_data_path"][2] == f"written to runs/{RUN}/data/inclusione_attiva_clean.csv"
    by_hand = table_a8(evidence(run_id=None))
    assert by_hand["output_dir"][2] == "" and by_hand["processed_data_path"][2] == ""


def test_parameters_no_output_speaks_of_have_nothing_in_this_run():
    shown = table_a8(evidence(10, log_variables=["new_businesses"], multiple_regression=True,
                              input_scale="per_10k_residents"))
    for name in ("log_variables", "multiple_regression", "input_scale", "languages"):
        assert shown[name][2] == "", name
    assert shown["language"][2] == "this document: English"


def test_values_are_written_as_a_reader_writes_them():
    shown = table_a8(evidence(10, multiple_regression=True))
    assert shown["outcomes"][0] == "employment_rate_increase_pct, health_service_access_pct"
    assert shown["multiple_regression"][0] == "yes"
    assert table_a8(evidence(10))["multiple_regression"][0] == "no"
    assert table_a8(evidence(10, log_variables=[]))["log_variables"][0] == "none"  # an empty list, not "[]"
    assert shown["permutation_seed"][0] == "20240529"


def test_the_data_check_counts_the_cities_without_a_population(tmp_path):
    values = {"population_path": "data/raw/population.tsv"}
    article = study.check_data("data/raw/inclusione_attiva.tsv", values, log=lambda _: None)
    assert article == {"rows": 10, "synthetic": False, "cities_without_population": 0}
    table = synthetic.write(tmp_path / "made_up.tsv", 30, seed=3)
    made_up = study.check_data(str(table), values, log=lambda _: None)
    assert made_up == {"rows": 30, "synthetic": True, "cities_without_population": 30}
    unreadable = {"population_path": str(tmp_path / "absent.tsv")}
    facts = study.check_data("data/raw/inclusione_attiva.tsv", unreadable, log=lambda _: None)
    assert facts["cities_without_population"] is None


@pytest.mark.slow
def test_a_synthetic_run_above_the_exact_limit_says_the_resamples_were_used(synthetic_built):
    """The whole pipeline on made-up municipalities: its manifest's descriptions and its PDF's table."""
    latest = synthetic_built
    assert json.loads((latest / "manifest.json").read_text())["parameter_help"] == HELP
    text = subprocess.run(
        ["pdftotext", "-raw", str(latest / "report.pdf"), "-"], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    shown = " ".join(text[text.index("The run's parameters") : text.index("Input files and")].split())
    n = SYNTHETIC_N
    assert f"{n:,} made-up municipalities read (synthetic data)" in shown
    assert "used: the primary test drew 100,000 random orderings" in shown
    assert "the primary test's 100,000 random orderings" in shown
    assert "not used:" not in shown
    assert ("the specification curve has no per-10,000-residents scale: "
            f"{n:,} of the {n:,} cities are not in the population table") in shown
    assert "Monte-Carlo permutations of the primary test" in shown  # the description, from the parameters cell
