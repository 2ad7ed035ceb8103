"""The synthetic table: seeded, well-formed, and read by the project's own loader."""

import numpy as np
import pandas as pd
import pytest

from helpers import synthetic
from helpers.cleaning import load_clean_data, read_raw_table
from helpers.codebook import load_codebook

from .conftest import CANONICAL, LANGUAGE_FIELD, package_with

PERCENTAGES = ["employment_rate_increase_pct", "health_service_access_pct"]
COUNTS = [
    "training_participants",
    "new_businesses",
    "community_event_participants",
    "psychological_support_people",
]


@pytest.fixture(scope="module")
def table():
    return synthetic.generate(2_000, seed=11)


def test_same_seed_same_table_other_seed_other_table():
    a = synthetic.generate(300, seed=5)
    pd.testing.assert_frame_equal(a, synthetic.generate(300, seed=5))
    b = synthetic.generate(300, seed=6)
    assert list(b.city) == list(a.city)  # names depend on n only
    for column in PERCENTAGES + COUNTS:
        assert not np.array_equal(a[column], b[column]), column


def test_rows_columns_and_unique_synthetic_names(table):
    assert len(table) == 2_000
    assert list(table.columns) == CANONICAL
    assert table.city.is_unique
    assert table.city.iloc[0] == "Comune sintetico 0001"
    assert table.city.iloc[-1] == "Comune sintetico 2000"
    assert synthetic.is_synthetic(table.city)
    assert not synthetic.is_synthetic(["Milano", *table.city])
    assert synthetic.names(12_345)[0] == "Comune sintetico 00001"


def test_values_in_range_with_variance(table):
    for column in PERCENTAGES:
        values = table[column]
        assert values.between(0, 100).all(), column
        assert np.array_equal(values * 10, np.rint(values * 10)), column  # one decimal
    for column in COUNTS:
        values = table[column]
        assert values.dtype == np.int64 and (values >= 0).all(), column
    for column in PERCENTAGES + COUNTS:
        assert table[column].std() > 0 and table[column].nunique() > 10, column


def test_indicators_are_loosely_related(table):
    r = table[PERCENTAGES + COUNTS].corr()
    # counts share the size of the municipality; the outcomes lean on engagement
    assert r.loc["training_participants", "community_event_participants"] > 0.3
    assert 0 < r.loc["employment_rate_increase_pct", "training_participants"] < 0.9
    assert 0 < r.loc["health_service_access_pct", "employment_rate_increase_pct"] < 0.9


def test_written_file_reads_back_with_the_same_numbers(tmp_path):
    target = tmp_path / "deep" / "folder" / "synthetic.tsv"
    written = synthetic.write(target, 500, seed=3)
    assert written == target and target.exists()
    assert not [p for p in target.parent.iterdir() if p.name != target.name]  # no temp file left
    pd.testing.assert_frame_equal(load_clean_data(target), synthetic.generate(500, seed=3))
    raw = read_raw_table(target)
    assert raw.header == load_codebook().labels and raw.delimiter == "tab"


def test_file_uses_the_raw_files_conventions(tmp_path):
    frame = pd.DataFrame(
        {
            "city": ["Comune sintetico 0001", "Comune sintetico 0002", "Comune sintetico 0003"],
            "employment_rate_increase_pct": [25.0, 47.3, 100.0],
            "training_participants": [1000, 7, 1234567],
            "new_businesses": [0, 50, 2],
            "community_event_participants": [10000, 300, 999],
            "health_service_access_pct": [90.0, 0.5, 0.0],
            "psychological_support_people": [500, 1001, 12],
        }
    )
    text = synthetic.to_raw_text(frame)
    lines = text.split("\n")
    assert text.endswith("\n") and "\r" not in text
    assert lines[0] == "\t".join(load_codebook().labels)
    assert lines[1] == "Comune sintetico 0001\t25\t1.000\t0\t10.000\t90\t500"
    assert lines[2] == "Comune sintetico 0002\t47,3\t7\t50\t300\t0,5\t1.001"
    assert lines[3] == "Comune sintetico 0003\t100\t1.234.567\t2\t999\t0\t12"


def test_same_file_for_the_same_seed(tmp_path):
    a = synthetic.write(tmp_path / "a.tsv", 200, seed=9).read_bytes()
    b = synthetic.write(tmp_path / "b.tsv", 200, seed=9).read_bytes()
    assert a == b


def test_command_line(tmp_path, capsys):
    target = tmp_path / "out.tsv"
    assert synthetic.main(["--municipalities", "40", "--seed", "1", "--out", str(target)]) == 0
    assert len(load_clean_data(target)) == 40
    assert "40 synthetic municipalities" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        synthetic.main(["--municipalities", "2", "--out", str(tmp_path / "x.tsv")])
    assert refused.value.code == 2
    assert not (tmp_path / "x.tsv").exists()


def test_too_few_or_too_many_municipalities_refused():
    with pytest.raises(ValueError, match="3 to 1,000,000 municipalities, got 2"):
        synthetic.generate(2)
    with pytest.raises(ValueError, match="got 1,000,001"):
        synthetic.generate(synthetic.MAX_MUNICIPALITIES + 1)


def test_default_path_is_in_the_ignored_synthetic_folder():
    assert (
        synthetic.default_path(8000).as_posix().endswith("data/synthetic/municipalities_8000.tsv")
    )


def test_a_field_added_to_the_codebook_gets_values_and_the_others_stay(tmp_path):
    codebook = load_codebook(package_with(LANGUAGE_FIELD, tmp_path / "datapackage.json"))
    wider = synthetic.generate(400, seed=8, codebook=codebook)
    assert list(wider.columns) == [*CANONICAL, "language_course_hours"]
    hours = wider.language_course_hours
    assert hours.dtype == np.int64 and (hours >= 1).all() and hours.nunique() > 10
    # drawn from its own generator: the six columns are those of the codebook without it
    pd.testing.assert_frame_equal(wider[CANONICAL], synthetic.generate(400, seed=8))
    text = synthetic.to_raw_text(wider, codebook)
    assert text.splitlines()[0].endswith("\tOre di Corso di Lingua")
    path = tmp_path / "wider.tsv"
    path.write_text(text, encoding="utf-8")
    from helpers.cleaning import clean_table

    pd.testing.assert_frame_equal(clean_table(read_raw_table(path, codebook), codebook), wider)


def test_bounds_of_the_codebook_are_kept(tmp_path):
    share = LANGUAGE_FIELD | {
        "canonical_name": "share_pct",
        "name": "Quota (%)",
        "type": "number",
        "unit": "%",
        "role": "outcome",
        "constraints": {"required": True, "minimum": 20, "maximum": 30},
    }
    codebook = load_codebook(package_with(share, tmp_path / "datapackage.json"))
    values = synthetic.generate(2_000, seed=2, codebook=codebook).share_pct
    assert values.between(20, 30).all() and values.nunique() > 10
    assert np.array_equal(values * 10, np.rint(values * 10))
