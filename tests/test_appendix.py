"""The parameters table of the annex's provenance (A.8): whether and how the run used each parameter."""

import subprocess

import pytest

from helpers import synthetic
from helpers.brief import provenance
from helpers.runner import study
from helpers.runner.params import collect_parameters
from helpers.runner.steps import discover_steps, report_step

from .conftest import run_cli

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
}


def manifest(rows, made_up=False, lacking=0, **changes):
    return {
        "run_id": "20260101T000000Z-abc123",
        "parameters": {**ARTICLE, **changes},
        "data": {"rows": rows, "synthetic": made_up, "cities_without_population": lacking},
    }


def table_a2(manifest):
    """The parameters table as the document shows it: parameter name -> (value, note)."""
    table = provenance.parameter_table(manifest)
    assert list(table.columns) == ["Parameter", "Value", "In this run"]
    return {name: (value, note) for name, value, note in table.itertuples(index=False)}


def test_exact_test_marks_resamples_not_used_and_says_why():
    shown = table_a2(manifest(10))
    value, note = shown["permutation_resamples"]
    assert value == "100000"
    assert note == ("not used: with 10 cities the test counts every one of the 3,628,800 orderings")
    _, seed = shown["permutation_seed"]
    assert seed.startswith("used: ")  # the curve's orderings and its joint test still draw
    assert "not needed by the primary test or the wild bootstrap" in seed


@pytest.mark.parametrize("rows", [11, 500])
def test_more_cities_than_the_exact_limit_use_the_resamples(rows):
    shown = table_a2(manifest(rows, made_up=True, permutation_resamples=250000))
    assert shown["permutation_resamples"][1] == (
        "used: the primary test draws 250,000 random orderings"
    )
    seed = shown["permutation_seed"][1]
    assert "the primary test's 250,000 random orderings" in seed
    assert "not needed by the primary test" not in seed
    assert shown["raw_data_path"][1] == f"read: {rows:,} made-up municipalities (synthetic data)"


def test_very_many_cities_take_the_resamples_as_a_floor():
    note = table_a2(manifest(8000, made_up=True))["permutation_resamples"][1]
    # two blocks of 4,000 cities: 16,000,000 orderings, counted exactly
    assert note.startswith("used as a floor: with 8,000 cities the test counts all 16,000,000")


def test_the_wild_bootstrap_needs_the_seed_only_above_its_exact_limit():
    eleven = table_a2(manifest(11))["permutation_seed"][1]
    assert "not needed by the wild bootstrap, which counts every case" in eleven
    thirteen = table_a2(manifest(13))["permutation_seed"][1]
    assert "the wild bootstrap's 9,999 sign vectors" in thirteen and "not needed" not in thirteen


def test_empty_log_variables_and_switched_off_options_are_marked():
    shown = table_a2(manifest(10))
    assert shown["log_variables"] == ("none", "none logged: every variable on its own scale")
    assert shown["multiple_regression"] == ("no", "off: no multiple regression")
    logged = table_a2(manifest(10, log_variables=["new_businesses"], multiple_regression=True))
    assert logged["log_variables"][1].startswith("used: natural log of new_businesses")
    assert logged["multiple_regression"][1] == (
        "on: each outcome also fitted on all 4 activity figures together"
    )


def test_paths_say_read_or_written_and_runner_folders_are_named():
    shown = table_a2(manifest(10))
    assert shown["raw_data_path"][1] == "read: 10 cities"
    assert shown["claims_path"][1].startswith("read: ")
    assert shown["population_path"][1].startswith("read: only for the specification curve")
    # the manifest keeps the notebooks' defaults; the runner hands them this run's folder
    assert shown["output_dir"][1].startswith("written, but not to this folder")
    assert "runs/20260101T000000Z-abc123/tables" in shown["output_dir"][1]
    assert shown["processed_data_path"][1].startswith("written, but not from this value")
    scaled = table_a2(manifest(10, input_scale="per_10k_residents"))
    assert scaled["population_path"][1].startswith("read: divides this run's activity figures")
    assert scaled["input_scale"][1].startswith("used: per 10,000 residents, a sensitivity run")


def test_every_notebook_parameter_has_its_own_note():
    declared = collect_parameters(step.path for step in [*discover_steps(), report_step()])
    notes = provenance.parameter_use(
        {"parameters": {name: p.default for name, p in declared.items()}, "data": {"rows": 10}}
    )
    assert set(notes) == set(declared)
    missing = [name for name, note in notes.items() if note.startswith("no note")]
    assert not missing, f"add a rule to study.parameter_use for {missing}"


def test_without_the_number_of_cities_the_resamples_are_not_guessed():
    notes = provenance.parameter_use({"parameters": dict(ARTICLE)})
    assert notes["permutation_resamples"].startswith("unknown: ")
    assert notes["raw_data_path"] == "read"


def test_a_population_table_without_the_cities_is_marked_unused():
    shown = table_a2(manifest(30, made_up=True, lacking=30))
    assert shown["population_path"][1] == (
        "read, but not used: 30 of the 30 cities are not in it, so the specification curve "
        "has no per-10,000-residents scale"
    )


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
def test_a_synthetic_run_above_the_exact_limit_says_the_resamples_were_used(tmp_path):
    """The whole pipeline on 30 made-up municipalities: the parameters table of its PDF."""
    table = synthetic.write(tmp_path / "municipalities_30.tsv", 30, seed=5)
    result = run_cli(
        "-p", "raw_data_path", str(table),
        "--reports-dir", str(tmp_path / "reports"), "--processed-dir", str(tmp_path / "processed"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", "-raw", str(tmp_path / "reports" / "latest" / "report.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    shown = " ".join(text[text.index("The run's parameters") : text.index("Input files and")].split())
    assert "read: 30 made-up municipalities (synthetic data)" in shown
    assert (
        "permutation_resamples 100000 used: the primary test draws 100,000 random orderings"
        in shown
    )
    assert "not used: with" not in shown
    assert "read, but not used: 30 of the 30 cities are not in it" in shown


def test_values_are_written_as_a_reader_writes_them():
    shown = table_a2(manifest(10, multiple_regression=True))
    assert shown["outcomes"][0] == "employment_rate_increase_pct, health_service_access_pct"
    assert shown["multiple_regression"][0] == "yes"
    assert table_a2(manifest(10))["multiple_regression"][0] == "no"
    assert shown["log_variables"][0] == "none"  # an empty list, not "[]"
    assert shown["permutation_seed"][0] == "20240529"
