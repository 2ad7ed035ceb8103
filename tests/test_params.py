import json

import pytest

from helpers import paths
from helpers.codebook import load_codebook
from helpers.errors import ParameterError
from helpers.runner.params import (
    Parameter,
    coerce,
    collect_parameters,
    read_config,
    resolve_parameters,
)
from helpers.runner.run import RunOptions, check_parameters
from helpers.runner.steps import discover_steps
from helpers.runner.study import check_values


def p(kind, default):
    return Parameter("x", kind, default)


@pytest.mark.parametrize(
    ("kind", "default", "given", "expected"),
    [
        ("bool", False, "true", True),
        ("bool", True, "no", False),
        ("bool", False, True, True),
        ("int", 1, "42", 42),
        ("int", 1, 7, 7),
        ("float", 0.5, "2", 2.0),
        ("float", 0.5, 3, 3.0),
        ("str", "a", "data/x.tsv", "data/x.tsv"),
        ("list", ["a"], "a,b", ["a", "b"]),
        ("list", ["a"], '["a", "b"]', ["a", "b"]),
        ("list", ["a"], "['a']", ["a"]),
        ("list", ["a"], ("a", "b"), ["a", "b"]),
        ("list", ["a"], ["c"], ["c"]),
    ],
)
def test_coerce_accepts(kind, default, given, expected):
    value = coerce(p(kind, default), given, "test")
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("kind", "default", "given"),
    [
        ("bool", False, "maybe"),
        ("bool", False, 1),
        ("int", 1, "1.5"),
        ("int", 1, True),
        ("int", 1, 2.5),
        ("float", 1.0, "abc"),
        ("str", "a", 3),
        ("list", ["a"], [1, 2]),
        ("list", ["a"], "[unclosed"),
    ],
)
def test_coerce_refuses(kind, default, given):
    with pytest.raises(ParameterError, match="parameter 'x'"):
        coerce(p(kind, default), given, "test")


def test_notebook_parameters_are_collected():
    declared = collect_parameters(step.path for step in discover_steps())
    assert declared["raw_data_path"].type == "str"
    assert declared["outcomes"].type == "list"
    assert declared["multiple_regression"].type == "bool"
    assert set(declared["processed_data_path"].notebooks) == {
        "01_data_cleaning.ipynb",
        "02_descriptive_statistics.ipynb",
        "03_regression.ipynb",
        "04_specification_curve.ipynb",
        "05_calibration.ipynb",
        "06_findings.ipynb",
    }


def test_precedence_default_config_cli():
    declared = collect_parameters(step.path for step in discover_steps())
    values = resolve_parameters(
        declared, {"multiple_regression": True}, [("multiple_regression", "false")]
    )
    assert values["multiple_regression"] is False
    values = resolve_parameters(declared, {"multiple_regression": True}, [])
    assert values["multiple_regression"] is True


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ([("colour", "red")], "unknown parameter 'colour'"),
        ([("output_dir", "/tmp")], "set by the runner"),
        ([("outcomes", "nope")], "not a numeric column"),
        ([("outcomes", "city")], "not a numeric column"),
        ([("outcomes", "new_businesses")], "both an outcome and a predictor"),
        ([("log_variables", "city")], "not a numeric column"),
        ([("permutation_resamples", "999")], "at least 100,000"),
        ([("permutation_seed", "1.5")], "a number \\(int\\)"),
    ],
)
def test_check_parameters_refuses_before_running(cli, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(RunOptions(cli_parameters=cli), discover_steps())


def test_config_file(tmp_path):
    good = tmp_path / "ok.toml"
    good.write_text("[parameters]\nmultiple_regression = true\n")
    assert read_config(good) == {"multiple_regression": True}
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters\n")
    with pytest.raises(ParameterError, match="not valid TOML"):
        read_config(bad)
    with pytest.raises(ParameterError, match="does not exist"):
        read_config(tmp_path / "absent.toml")
    assert read_config(None) == read_config(paths.CONFIG_FILE)


def test_empty_outcomes_and_predictors_are_the_codebook_roles():
    codebook = load_codebook()
    values, _ = check_parameters(
        RunOptions(cli_parameters=[("predictors", "[]")]), discover_steps()
    )
    assert values["outcomes"] == codebook.variables("outcome")
    assert values["predictors"] == codebook.variables("input")
    assert values["outcomes"] and values["predictors"]
    absent = {}
    check_values(absent)  # a run whose notebooks declare neither
    assert absent == {
        "outcomes": codebook.variables("outcome"),
        "predictors": codebook.variables("input"),
    }


def test_a_list_given_is_kept_as_given():
    values, _ = check_parameters(
        RunOptions(
            cli_parameters=[
                ("outcomes", "health_service_access_pct"),
                ("predictors", "psychological_support_people,new_businesses"),
            ]
        ),
        discover_steps(),
    )
    assert values["outcomes"] == ["health_service_access_pct"]
    assert values["predictors"] == ["psychological_support_people", "new_businesses"]


def test_an_outcome_left_in_the_default_inputs_says_where_they_came_from():
    with pytest.raises(ParameterError) as info:
        check_values({"outcomes": ["new_businesses"], "predictors": []})
    message = str(info.value)
    assert "['new_businesses'] cannot be both an outcome and a predictor" in message
    assert "'predictors' was not given, so it holds every field of role 'input'" in message


def without_role(tmp_path, role: str):
    """A copy of the data package in which no field has ``role`` (they become inputs or outcomes)."""
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    other = "input" if role == "outcome" else "outcome"
    for field in package["resources"][0]["schema"]["fields"]:
        if field["role"] == role:
            field["role"] = other
    target = tmp_path / "datapackage.json"
    target.write_text(json.dumps(package), encoding="utf-8")
    return target


@pytest.mark.parametrize(("parameter", "role"), [("outcomes", "outcome"), ("predictors", "input")])
def test_a_codebook_without_the_role_refuses_an_empty_list(tmp_path, monkeypatch, parameter, role):
    monkeypatch.setattr(paths, "DATAPACKAGE", without_role(tmp_path, role))
    with pytest.raises(ParameterError) as info:
        check_values({"outcomes": [], "predictors": []})
    message = str(info.value)
    assert message.startswith(f"parameter {parameter!r} is empty")
    assert f"every field of role {role!r}" in message and "there is none" in message
    assert str(tmp_path / "datapackage.json") in message and f"-p {parameter}" in message
    # naming the variables is still possible with such a codebook
    named = {"outcomes": ["employment_rate_increase_pct"], "predictors": ["new_businesses"]}
    check_values(named)
    assert named == {"outcomes": ["employment_rate_increase_pct"], "predictors": ["new_businesses"]}
