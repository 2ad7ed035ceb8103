import pandas as pd
import pytest

from helpers.runner import changes


def write(folder, name, frame):
    folder.mkdir(exist_ok=True)
    frame.to_csv(folder / name, index=False)


def test_cell_changes_by_key_with_deltas(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    write(old, "d.csv", pd.DataFrame({"variable": ["x", "y"], "n": [10, 10], "mean": [46.0, 1.0]}))
    write(new, "d.csv", pd.DataFrame({"variable": ["x", "z"], "n": [10, 10], "mean": [46.2, 1.0]}))
    write(old, "same.csv", pd.DataFrame({"a": ["k"], "b": [1.5]}))
    write(new, "same.csv", pd.DataFrame({"a": ["k"], "b": [1.5]}))
    write(new, "extra.csv", pd.DataFrame({"a": ["k"], "b": [1.5]}))
    diff = changes.compare_tables(old, new)
    assert diff["tables"]["same.csv"]["status"] == "unchanged"
    assert diff["tables"]["extra.csv"]["status"] == "added"
    cells = diff["tables"]["d.csv"]["changes"]
    mean = next(c for c in cells if c.get("column") == "mean")
    assert mean["key"] == {"variable": "x"} and mean["delta"] == pytest.approx(0.2)
    assert {c.get("change") for c in cells} >= {"row removed", "row added"}
    lines = changes.summary_lines(diff)
    assert "d.csv: 3 value(s) changed" in lines and "extra.csv: added" in lines


def test_no_change_says_so(tmp_path):
    write(tmp_path / "a", "t.csv", pd.DataFrame({"k": ["x"], "v": [1.0]}))
    write(tmp_path / "b", "t.csv", pd.DataFrame({"k": ["x"], "v": [1.0]}))
    assert changes.summary_lines(changes.compare_tables(tmp_path / "a", tmp_path / "b")) == [
        "no change"
    ]
