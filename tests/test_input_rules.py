"""Every row of docs/input-rules.md, by its id: accepted with the same numbers, or refused
with exit code, message and nothing already produced changed."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import paths
from helpers.cleaning import load_clean_data
from helpers.runner.params import Parameter, coerce

from .conftest import run_cli, shared_scope

RULES = paths.PROJECT_ROOT / "docs" / "input-rules.md"
RAW = paths.RAW_TABLE.read_text(encoding="utf-8")
LINES = RAW.splitlines()


def rule_ids() -> list[str]:
    return re.findall(r"^\| ([A-Z]\d\d) \|", RULES.read_text(), flags=re.M)


def test_every_rule_has_a_test():
    """Each id of the table appears in a test (as 'rule Xnn' or as a parametrize id)."""
    sources = "\n".join(
        p.read_text()
        for p in Path(__file__).parent.glob("test_*.py")
        if p.name != Path(__file__).name
    )
    here = Path(__file__).read_text()
    for rule in rule_ids():
        assert (
            f'"{rule}"' in here
            or f"rule {rule}" in sources
            or f"Rules {rule}" in sources
            or f"and {rule}" in sources
        ), rule


# ---------------------------------------------------------------- accepted inputs (same numbers)
ACCEPTED = {
    "D01": lambda: ("\ufeff" + RAW).encode("utf-8"),
    "D02": lambda: RAW.replace("\n", "\r\n").encode("utf-8"),
    "D03": lambda: (
        "\n\n" + "\n".join("  " + "\t ".join(line.split("\t")) + "  " for line in LINES) + "\n\n\n"
    ).encode(),
    "D20": lambda: RAW.replace("\t", ";").encode("utf-8"),
    "D21": lambda: "\n".join(",".join(f'"{c}"' for c in line.split("\t")) for line in LINES).encode(
        "utf-8"
    ),
}


@pytest.mark.parametrize("rule", sorted(ACCEPTED))
def test_accepted_with_the_same_numbers(rule, tmp_path):
    path = tmp_path / "table.txt"
    path.write_bytes(ACCEPTED[rule]())
    pd.testing.assert_frame_equal(load_clean_data(path), load_clean_data())


def test_latin1_export_is_read_as_windows_1252(tmp_path):  # "D22"
    path = tmp_path / "latin1.tsv"
    path.write_bytes(RAW.replace("Genova", "Forlì").encode("cp1252"))
    clean = load_clean_data(path)
    assert "Forlì" in set(clean.city)
    expected = load_clean_data().assign(city=lambda d: d.city.replace("Genova", "Forlì"))
    pd.testing.assert_frame_equal(clean, expected)


def test_lists_from_the_command_line_reach_notebooks_as_lists():  # "P08"
    p = Parameter("outcomes", "list", ["a"])
    assert coerce(p, "a,b", "cli") == ["a", "b"] and coerce(p, '["a", "b"]', "cli") == ["a", "b"]
    import papermill.translators as translators

    source = translators.translate_parameters("python", "python", {"outcomes": ["a", "b"]}, "")
    assert ast.literal_eval(source.split("=", 1)[1].strip()) == ["a", "b"]  # a list, not a string


def test_empty_lists_of_variables_are_the_codebook_roles():  # "P05"
    from helpers.codebook import load_codebook
    from helpers.runner.run import RunOptions, check_parameters
    from helpers.runner.steps import discover_steps

    cli = [("outcomes", "[]"), ("predictors", "")]
    values, _ = check_parameters(RunOptions(cli_parameters=cli), discover_steps())
    assert values["outcomes"] == load_codebook().variables("outcome") != []
    assert values["predictors"] == load_codebook().variables("input") != []


def test_empty_list_without_a_field_of_that_role_is_refused(tmp_path, monkeypatch):  # "P09"
    import json

    from helpers.errors import ParameterError
    from helpers.runner.study import check_values

    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    for field in package["resources"][0]["schema"]["fields"]:
        field["role"] = "input" if field["role"] == "outcome" else field["role"]
    codebook = tmp_path / "datapackage.json"
    codebook.write_text(json.dumps(package), encoding="utf-8")
    monkeypatch.setattr(paths, "DATAPACKAGE", codebook)
    with pytest.raises(ParameterError) as info:
        check_values({"outcomes": [], "predictors": []})
    for fragment in ["'outcomes'", "role 'outcome'", str(codebook)]:
        assert fragment in str(info.value)


# ---------------------------------------------------------------- refused inputs
def replace_cell(city: str, column: int, value: str) -> str:
    out = []
    for line in LINES:
        cells = line.split("\t")
        if cells[0] == city:
            cells[column] = value
        out.append("\t".join(cells))
    return "\n".join(out) + "\n"


REFUSED_DATA = {
    "D04": ("", ["file is empty"]),
    "D05": (LINES[0] + "\n", ["at least one data row"]),
    "D06": (RAW.replace("\tNuove Imprese Create", ""), ["line 1", "'Nuove Imprese Create'"]),
    "D07": (
        RAW.replace("Roma\t45\t900\t35", "Roma\t45\t900"),
        ["line 7", "6 fields", "7 tab-separated fields"],
    ),
    "D08": (RAW.replace("Verona\t", "Roma\t"), ["line 7", "line 11", "'Roma'", "only once"]),
    "D09": (RAW.replace("Torino\t", " \t"), ["line 4", "'Comune'", "non-empty"]),
    "D10": (
        replace_cell("Genova", 2, "4OO"),
        ["line 8", "'Partecipanti ai Corsi di Formazione'", "'4OO'", "Italian format"],
    ),
    "D11": (
        replace_cell("Firenze", 3, "-15"),
        ["line 5", "'Nuove Imprese Create'", "-15", "non-negative"],
    ),
    "D12": (
        replace_cell("Bari", 1, "160"),
        ["line 10", "'Tasso di Occupazione Aumentato (%)'", "160", "between 0 and 100"],
    ),
    "D16": (RAW.replace("Comune\t", "Comune\tNote\t", 1).replace("\n", "\n", 1), ["'Note'"]),
    "D17": (replace_cell("Napoli", 2, "1,5"), ["line 6", "'1,5'", "decimal comma"]),
    "D18": (replace_cell("Napoli", 2, "1.5"), ["line 6", "'1.5'", "Italian format"]),
    "D19": (replace_cell("Napoli", 4, "5e3"), ["line 6", "'5e3'", "Italian format"]),
    "D23": (
        replace_cell("Roma", 5, "n.d."),
        ["line 7", "'Accesso ai Servizi Sanitari (%)'", "'n.d.'", "missing values"],
    ),
    "D24": ("\n".join(LINES[:3]) + "\n", ["at least 3 cities", "found 2"]),
    "D25": (
        "\n".join(
            [LINES[0]]
            + [
                replace_cell(line.split("\t")[0], 3, "20").splitlines()[i]
                for i, line in enumerate(LINES)
                if i
            ]
        )
        + "\n",
        ["'Nuove Imprese Create'", "at least two different values"],
    ),
}


@pytest.fixture(scope=shared_scope)
def produced(tmp_path_factory):
    """A reports folder with a 'latest' and a processed table, as left by an earlier run."""
    base = tmp_path_factory.mktemp("rules")
    run = base / "reports" / "runs" / "20260101T000000Z-000000"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(
        '{"status": "succeeded", "run_id": "20260101T000000Z-000000", "steps": []}'
    )
    (run / "report.pdf").write_bytes(b"%PDF earlier")
    (base / "reports" / "latest").symlink_to("runs/20260101T000000Z-000000")
    (base / "processed").mkdir()
    (base / "processed" / paths.PROCESSED_TABLE_NAME).write_text("earlier clean table\n")
    return base


def state(base: Path) -> dict:
    files = {
        p.relative_to(base): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and p.name != ".lock"
    }
    return {"files": files, "latest": (base / "reports" / "latest").readlink()}


def refused(produced: Path, *args: str, expect: int, fragments: list[str]):
    before = state(produced)
    result = run_cli(
        "--reports-dir",
        str(produced / "reports"),
        "--processed-dir",
        str(produced / "processed"),
        *args,
    )
    assert result.returncode == expect, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert state(produced) == before  # nothing already produced changed, nothing new written
    return result


@pytest.mark.parametrize("rule", sorted(REFUSED_DATA))
def test_refused_data(rule, produced, tmp_path):
    text, fragments = REFUSED_DATA[rule]
    path = tmp_path / "table.tsv"
    path.write_text(text, encoding="utf-8")
    refused(produced, "-p", "raw_data_path", str(path), expect=3, fragments=[str(path), *fragments])


@pytest.mark.parametrize(
    ("rule", "make"),
    [
        ("D13", lambda tmp: (tmp / "absent.tsv", "an existing file")),
        ("D14", lambda tmp: (tmp, "a file, not a folder")),
        (
            "D15",
            lambda tmp: (
                (tmp / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00") and tmp / "x.png",
                "binary content",
            ),
        ),
    ],
)
def test_refused_files(rule, make, produced, tmp_path):
    path, fragment = make(tmp_path)
    refused(produced, "-p", "raw_data_path", str(path), expect=3, fragments=[str(path), fragment])


def test_a_city_without_a_population_is_refused(produced, tmp_path):  # "D26"
    population = tmp_path / "population.tsv"
    lines = (paths.RAW_DATA_DIR / "population.tsv").read_text(encoding="utf-8").splitlines()
    population.write_text(
        "\n".join(line for line in lines if not line.startswith("Verona\t")) + "\n",
        encoding="utf-8",
    )
    refused(
        produced,
        *("-p", "input_scale", "per_10k_residents", "-p", "population_path", str(population)),
        expect=3,
        fragments=[str(population), "Verona", "population"],
    )


REFUSED_PARAMETERS = {
    "P01": (["-p", "colour", "red"], ["unknown parameter 'colour'", "raw_data_path"]),
    "P02": (
        ["-p", "multiple_regression", "maybe"],
        ["'multiple_regression'", "true or false", "'maybe'"],
    ),
    "P03": (
        ["-p", "outcomes", "city"],
        ["'outcomes'", "not a numeric column", "employment_rate_increase_pct"],
    ),
    "P04": (
        ["-p", "outcomes", "new_businesses"],
        ["new_businesses", "both an outcome and a predictor"],
    ),
    "P06": (["-p", "permutation_seed", "abc"], ["'permutation_seed'", "a number (int)"]),
    "P10": (["-p", "input_scale", "per_capita"], ["'input_scale'", "'per_capita'", "per_10k_residents"]),
}


@pytest.mark.parametrize("rule", sorted(REFUSED_PARAMETERS))
def test_refused_parameters(rule, produced):
    args, fragments = REFUSED_PARAMETERS[rule]
    refused(produced, *args, expect=2, fragments=fragments)


def test_unwritable_reports_folder(tmp_path):  # "P07"
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    result = run_cli("--reports-dir", str(blocker / "reports"))
    assert result.returncode == 2
    assert str(blocker / "reports") in result.stderr and "cannot be written" in result.stderr


def test_cli_helper_runs_the_installed_interpreter():
    assert subprocess.run([sys.executable, "-c", "import helpers"], check=False).returncode == 0
