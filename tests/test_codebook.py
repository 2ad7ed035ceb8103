import json

from helpers import paths
from helpers.codebook import load_codebook
from helpers.runner.params import notebook_parameters, read_config
from helpers.runner.run import RunOptions, check_parameters
from helpers.runner.steps import discover_steps

from .conftest import CANONICAL


def test_codebook_matches_raw_header(raw_text):
    codebook = load_codebook()
    assert codebook.labels == raw_text.splitlines()[0].split("\t")
    assert codebook.names == CANONICAL


def test_default_roles():
    codebook = load_codebook()
    assert codebook.variables("outcome") == [
        "employment_rate_increase_pct",
        "health_service_access_pct",
    ]
    assert codebook.variables("input") == [
        "training_participants",
        "new_businesses",
        "community_event_participants",
        "psychological_support_people",
    ]


def test_datapackage_cites_source_and_describes_every_field():
    package = json.loads(paths.DATAPACKAGE.read_text())
    source = package["sources"][0]
    assert source["author"] == "Enrico Campanelli"
    assert source["issue"] == "n. 125" and source["date"] == "2024-05-29"
    for field in package["resources"][0]["schema"]["fields"]:
        assert {"name", "canonical_name", "unit", "role", "type", "title"} <= set(field)
    assert "29 May 2024" in load_codebook().citation()


def test_outcomes_and_predictors_come_from_the_codebook_alone():
    """No copy of the lists: empty in the notebooks, absent from the config, filled by the runner."""
    codebook = load_codebook()
    for notebook in ("02_descriptive_statistics.ipynb", "03_regression.ipynb"):
        params = notebook_parameters(paths.NOTEBOOKS_DIR / notebook)
        assert params["outcomes"].default == [] and params["predictors"].default == []
        assert 'role "outcome"' in params["outcomes"].help
        assert 'role "input"' in params["predictors"].help
    config = read_config(None)
    assert "outcomes" not in config and "predictors" not in config
    values, _ = check_parameters(RunOptions(), discover_steps())
    assert values["outcomes"] == codebook.variables("outcome")
    assert values["predictors"] == codebook.variables("input")


def test_or_role_keeps_a_choice_and_fills_an_empty_one():
    codebook = load_codebook()
    assert codebook.or_role([], "outcome") == codebook.variables("outcome")
    assert codebook.or_role((), "input") == codebook.variables("input")
    assert codebook.or_role(["new_businesses"], "input") == ["new_businesses"]
