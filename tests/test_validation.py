import pandas as pd
import pytest

from helpers.cleaning import load_clean_data
from helpers.errors import DataError, Problem
from helpers.validation import schema, validate


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (lambda t: t.replace("Verona\t", "Roma\t"), ["line 7", "line 11", "only once"]),
        (lambda t: t.replace("Torino\t", "\t"), ["line 4", "'Comune'", "non-empty"]),
        (
            lambda t: t.replace("Firenze\t40\t600\t15", "Firenze\t40\t600\t-15"),
            ["line 5", "'Nuove Imprese Create'", "-15", "non-negative"],
        ),
        (
            lambda t: t.replace("Bari\t60", "Bari\t160"),
            ["line 10", "Tasso di Occupazione", "160", "between 0 and 100"],
        ),
        (
            lambda t: t.replace("\t90\t500", "\t100,5\t500"),
            ["line 2", "Accesso ai Servizi Sanitari", "100.5"],
        ),
    ],
)
def test_rule_violations_point_into_the_file(raw_text, write_raw, edit, fragments):
    path = write_raw(edit(raw_text))
    with pytest.raises(DataError) as info:
        load_clean_data(path)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_all_problems_reported_at_once(raw_text, write_raw):
    text = raw_text.replace("Bari\t60", "Bari\t160").replace(
        "Firenze\t40\t600\t15", "Firenze\t40\t600\t-15"
    )
    with pytest.raises(DataError) as info:
        load_clean_data(write_raw(text))
    assert len(info.value.problems) == 2
    assert [p.line for p in info.value.problems] == [5, 10]


def test_boundaries_are_allowed():
    frame = load_clean_data()
    frame.loc[0, "employment_rate_increase_pct"] = 0.0
    frame.loc[1, "health_service_access_pct"] = 100.0
    frame.loc[2, "new_businesses"] = 0
    pd.testing.assert_frame_equal(validate(frame), frame)


def test_schema_is_strict_about_columns():
    frame = load_clean_data().assign(extra=1)
    with pytest.raises(DataError, match="extra"):
        validate(frame)
    assert list(schema().columns)[0] == "city"


@pytest.mark.parametrize("marker", ["n.d.", "-", ""])
def test_a_missing_value_is_one_problem_naming_its_line_column_value_and_city(raw_text, write_raw, marker):
    """The whole record of the problem, not only its message: line, column, value, rule, city."""
    lines = raw_text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("Roma\t"))
    cells = lines[row].split("\t")
    cells[5] = marker
    lines[row] = "\t".join(cells)
    with pytest.raises(DataError) as info:
        load_clean_data(write_raw("\n".join(lines) + "\n"))
    header = lines[0].split("\t")
    assert info.value.problems == [
        Problem(
            row + 1,
            header[5],
            marker,
            "a value: missing values (empty, 'n.d.', '-') are not accepted, "
            "every city needs a value in every column of the codebook",
            city="Roma",
        )
    ]
