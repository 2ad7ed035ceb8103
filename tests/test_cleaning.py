import pandas as pd
import pytest

from helpers.cleaning import (
    change_kinds,
    changes_from_raw,
    clean_table,
    load_clean_data,
    parse_italian_number,
    read_processed,
    read_raw_table,
    write_csv_atomic,
)
from helpers.errors import DataError

from .conftest import ARTICLE_TABLE, CANONICAL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.000", 10000),
        ("1.000", 1000),
        ("700", 700),
        ("1.500", 1500),
        (" 2.500 ", 2500),
        ("1.234.567", 1234567),
        ("0", 0),
        ("-5", -5),
    ],
)
def test_parse_italian_integers(text, expected):
    value = parse_italian_number(text, integer=True)
    assert value == expected
    assert isinstance(value, int)


@pytest.mark.parametrize(
    ("text", "expected"), [("25", 25.0), ("2,5", 2.5), ("1.000,25", 1000.25), ("99,9", 99.9)]
)
def test_parse_italian_decimals(text, expected):
    assert parse_italian_number(text) == pytest.approx(expected, abs=0)


@pytest.mark.parametrize(
    "text", ["1.5", "1.50", "10.0000", "1x0", "", "abc", "1.000.", ".500", "1 000", "1e3"]
)
def test_parse_refuses_ambiguous_or_foreign_numbers(text):
    with pytest.raises(ValueError, match="Italian format"):
        parse_italian_number(text, integer=True)


def test_the_refusal_says_what_was_expected_for_counts_and_for_decimals():
    rule = "in Italian format (digits, a dot before each group of three thousands digits, a comma before decimals)"
    with pytest.raises(ValueError) as count:
        parse_italian_number("1.5", integer=True)
    assert str(count.value) == f"a whole number {rule}, e.g. '700', '1.000', '10.000'"
    with pytest.raises(ValueError) as decimal:
        parse_italian_number("1.5")
    assert str(decimal.value) == f"a number {rule}, e.g. '700', '1.000', '10.000' or '2,5'"


@pytest.mark.parametrize("text", ["1,5", "1,000", "12,0"])
def test_decimal_comma_refused_for_counts(text):
    with pytest.raises(ValueError) as refused:
        parse_italian_number(text, integer=True)
    assert str(refused.value) == "a whole number without a decimal comma (write 1.000 for one thousand)"


def test_clean_table_equals_article(raw_text):
    clean = load_clean_data()
    expected = pd.DataFrame(ARTICLE_TABLE, columns=CANONICAL)
    assert list(clean.columns) == CANONICAL
    for column in CANONICAL[1:]:
        assert clean[column].tolist() == expected[column].tolist(), column
    assert clean["city"].tolist() == expected["city"].tolist()
    assert clean["training_participants"].dtype == "int64"
    assert clean["employment_rate_increase_pct"].dtype == "float64"


def test_raw_file_keeps_published_format(raw_text):
    lines = raw_text.splitlines()
    assert lines[0].split("\t")[0] == "Comune"
    assert "Bologna\t70\t700\t20\t10.000\t85\t500" in lines
    assert len(lines) == 11


def test_changes_list_every_reformatted_cell():
    raw = read_raw_table("data/raw/inclusione_attiva.tsv")
    changes = changes_from_raw(raw, clean_table(raw))
    # independent count: cells of the published table written with a thousands dot
    dotted = sum("." in cell for row in raw.rows for cell in row[1:])
    assert len(changes) == dotted == 10
    bologna = changes[changes.city == "Bologna"].iloc[0]
    assert (bologna.line, bologna.raw_text, bologna.clean_value) == (3, "10.000", 10000)
    assert change_kinds(changes) == {"thousands": 10, "decimals": 0, "other": 0}


def test_changes_in_file_order_with_decimal_commas(raw_text, write_raw):
    lines = raw_text.splitlines()
    lines[1] = lines[1].replace("Milano\t25\t", "Milano\t25,5\t")  # a decimal comma
    lines[3] = lines[3].replace("Torino\t30\t", "Torino\t030\t")  # a leading zero
    raw = read_raw_table(write_raw("\n".join(lines) + "\n"))
    changes = changes_from_raw(raw, clean_table(raw))
    # row by row in file order, columns in the header's order within a row
    expected = [
        (2, "employment_rate_increase_pct", "25,5"),
        (2, "training_participants", "1.000"),
        (2, "community_event_participants", "1.000"),
        (3, "community_event_participants", "10.000"),
        (4, "employment_rate_increase_pct", "030"),
    ]
    got = list(zip(changes.line, changes.column, changes.raw_text, strict=True))[:5]
    assert got == expected
    assert changes.clean_value.iloc[0] == 25.5
    assert change_kinds(changes) == {"thousands": 10, "decimals": 1, "other": 1}


def test_spreadsheet_quirks_are_accepted(raw_text, write_raw):
    quirky = "\ufeff" + "\r\n".join(f" {line}  " for line in raw_text.splitlines()) + "\r\n\r\n\n"
    path = write_raw(quirky)
    pd.testing.assert_frame_equal(load_clean_data(path), load_clean_data())


def test_letter_in_count_names_file_line_and_column(raw_text, write_raw):
    path = write_raw(raw_text.replace("Genova\t35\t400", "Genova\t35\t4O0"))
    with pytest.raises(DataError) as info:
        load_clean_data(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 8" in message
    assert "'Partecipanti ai Corsi di Formazione'" in message
    assert "'4O0'" in message and "Genova" in message
    assert info.value.exit_code == 3


def test_decimal_comma_in_a_count_column_is_refused_where_it_is(raw_text, write_raw):
    path = write_raw(raw_text.replace("Genova\t35\t400", "Genova\t35\t40,5"))
    with pytest.raises(DataError) as info:
        load_clean_data(path)
    message = str(info.value)
    assert "line 8" in message and "'Partecipanti ai Corsi di Formazione'" in message and "'40,5'" in message
    assert "a whole number without a decimal comma" in message


def test_a_value_out_of_range_names_the_file_and_line(raw_text, write_raw):
    path = write_raw(raw_text.replace("Genova\t35\t400", "Genova\t35\t-400"))
    with pytest.raises(DataError) as info:
        load_clean_data(path)
    message = str(info.value)
    assert str(path) in message and "line 8" in message and "-400" in message


def test_every_missing_value_of_a_column_is_reported_at_once(raw_text, write_raw):
    text = raw_text.replace("Genova\t35\t400", "Genova\t35\tn.d.").replace("Bari\t60\t500", "Bari\t60\t-")
    with pytest.raises(DataError) as info:
        load_clean_data(write_raw(text))
    message = str(info.value)
    assert "line 8" in message and "line 10" in message  # not only the first of the column
    assert "'n.d.'" in message and "'-'" in message


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda t: "", "file is empty"),
        (lambda t: t.splitlines()[0] + "\n", "at least one data row"),
        (lambda t: t.replace("\tNuove Imprese Create", ""), "Nuove Imprese Create"),
        (
            lambda t: t.replace("Roma\t45\t900\t35", "Roma\t45\t900"),
            "line 7: found '6 fields', expected 7",
        ),
        (
            lambda t: t.replace("Bari\t60\t500\t25", "Bari\t60\t500\t25\t9"),
            "line 10: found '8 fields'",
        ),
        (lambda t: t.replace("Comune\t", "Comune\tExtra\t", 1), "'Extra'"),
    ],
)
def test_structural_problems_are_refused(raw_text, write_raw, mutate, fragment):
    with pytest.raises(DataError, match=None) as info:
        load_clean_data(write_raw(mutate(raw_text)))
    assert fragment in str(info.value)


def test_missing_and_binary_files(tmp_path, write_raw):
    with pytest.raises(DataError, match="an existing file"):
        read_raw_table(tmp_path / "nope.tsv")
    with pytest.raises(DataError, match="binary"):
        read_raw_table(write_raw(b"\x89PNG\r\n\x1a\n\x00\x00", "x.tsv"))


def test_processed_round_trip(tmp_path):
    clean = load_clean_data()
    target = write_csv_atomic(clean, tmp_path / "sub" / "clean.csv")
    pd.testing.assert_frame_equal(read_processed(target), clean, check_dtype=False)
    assert [p.name for p in target.parent.iterdir()] == ["clean.csv"]  # no temporary left over


def test_read_processed_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="run it first"):
        read_processed(tmp_path / "absent.csv")


def test_no_changed_cell_gives_an_empty_table_with_its_columns(raw_text, write_raw):
    """A table written without any separator: nothing was rewritten, the columns stay."""
    lines = raw_text.splitlines()[:1]
    lines += [
        f"City{i}\t{20 + i}\t{500 + i}\t{30 + i}\t{900 + i}\t{70 + i}\t{400 + i}" for i in range(10)
    ]
    raw = read_raw_table(write_raw("\n".join(lines) + "\n"))
    changes = changes_from_raw(raw, clean_table(raw))
    assert changes.empty
    assert list(changes.columns) == ["line", "city", "column", "raw_text", "clean_value"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1.000", "2,5"], (1, 1, 0)),
        (["1.000", "2.000", "2,5", "3,5"], (2, 2, 0)),
        (["2,5", "07"], (0, 1, 1)),
        (["07", "08"], (0, 0, 2)),
        (["1.000", "2,5", "3,5", "07"], (1, 2, 1)),
        (["1.000", "10.000"], (2, 0, 0)),
        (["1.000,5"], (1, 1, 0)),  # both marks: counted under both
        ([], (0, 0, 0)),
    ],
)
def test_change_kinds_counts_each_kind(cells, expected):
    found = change_kinds(pd.DataFrame({"raw_text": pd.Series(cells, dtype=object)}))
    assert (found["thousands"], found["decimals"], found["other"]) == expected


def test_raw_cells_as_a_frame_keep_the_published_text(raw_text):
    """What notebook 01 shows as "the table as published": headers and cells untouched."""
    raw = read_raw_table("data/raw/inclusione_attiva.tsv")
    frame = raw.to_frame()
    lines = [line.split("\t") for line in raw_text.splitlines()]
    assert list(frame.columns) == lines[0]
    assert frame.values.tolist() == lines[1:]
    assert {str(d) for d in frame.dtypes} == {"object"}  # text: "10.000" stays "10.000"
