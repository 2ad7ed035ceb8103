import pytest

from helpers.runner.cli import main


def test_params_lists_every_notebook_parameter(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "01_data_cleaning.ipynb" in out and "03_regression.ipynb" in out and "report.ipynb" in out
    assert "multiple_regression: bool = False  # also fit each outcome on all inputs together\n" in out
    assert (
        "outcomes: list = []  # outcomes; empty: the codebook's fields of role "
        '"outcome" (data/raw/datapackage.json)\n'
        "      empty means, from the codebook: ['employment_rate_increase_pct', "
        "'health_service_access_pct']\n"
        "      declared in: 02_descriptive_statistics.ipynb, 03_regression.ipynb, 04_specification_curve.ipynb, "
        "05_calibration.ipynb\n"
    ) in out
    assert "languages: list = []" in out and "      declared in: report.ipynb\n" in out


def test_params_shows_each_parameter_once_with_the_description_the_annex_shows(capsys):
    from helpers.runner.params import notebook_parameters, parameter_help
    from helpers.runner.steps import discover_steps, report_step

    assert main(["params"]) == 0
    out = capsys.readouterr().out
    notebooks = [step.path for step in [*discover_steps(), report_step()]]
    described = parameter_help({path.name: notebook_parameters(path) for path in notebooks})
    for name, text in described.items():
        assert out.count(f"\n  {name}: ") == 1, name  # once, not once per notebook
        assert f"  # {text}\n" in out.split(f"\n  {name}: ")[1].split("\n")[0] + "\n", name
    assert out.count("set by the runner for each run") == 2  # output_dir and processed_data_path


def test_unknown_parameter_exit_code_and_message(capsys, tmp_path):
    code = main(["run", "--reports-dir", str(tmp_path), "-p", "colour", "red"])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'colour'" in err and "raw_data_path" in err
    assert list(tmp_path.iterdir()) == []


def test_bad_config_file(capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[parameters]\nmultiple_regression = 'yes please'\n")
    assert main(["run", "--config", str(config), "--reports-dir", str(tmp_path / "r")]) == 2
    assert "expected true or false" in capsys.readouterr().err


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as info:
        main(["run", "-p", "only_a_name"])
    assert info.value.code == 2
