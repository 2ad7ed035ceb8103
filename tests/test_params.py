import pytest

from helpers import paths
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
        "04_summary.ipynb",
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
        ([("predictors", "[]")], "at least one"),
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
