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


def test_an_emptied_or_filled_cell_is_a_change_not_a_crash(tmp_path):
    """A blank cell (a number that went missing, as when a pair loses its doubted cities)
    beside a number is reported as such; before, float("") sank the whole comparison."""
    old, new = tmp_path / "old", tmp_path / "new"
    (old).mkdir()
    (new).mkdir()
    (old / "t.csv").write_text("pair,r,p,note\na,0.5,0.01,x\nb,0.25,,y\nc,,,z\nNA,1,2,w\n")
    (new / "t.csv").write_text("pair,r,p,note\na,,0.01,x\nb,0.25,0.5,\nc,,,z\nNA,3,2,w\n")
    diff = changes.compare_tables(old, new)
    cells = {(c["key"]["pair"], c["column"]): c for c in diff["tables"]["t.csv"]["changes"]}
    assert set(cells) == {("a", "r"), ("b", "p"), ("b", "note"), ("NA", "r")}
    assert (cells["a", "r"]["old"], cells["a", "r"]["new"]) == (0.5, None)
    assert (cells["b", "p"]["old"], cells["b", "p"]["new"]) == (None, 0.5)
    assert (cells["b", "note"]["old"], cells["b", "note"]["new"]) == ("y", "")
    assert cells["NA", "r"]["delta"] == 2.0  # a key "NA" stays a name, its integers numbers
    lines = changes.summary_lines(diff)
    assert "  a: r 0.5 -> (empty)" in lines and "  b: note 'y' -> (empty)" in lines


def test_a_table_whose_columns_changed_says_so_without_counting_cells(tmp_path):
    write(tmp_path / "a", "t.csv", pd.DataFrame({"k": ["x"], "v": [1.0]}))
    write(tmp_path / "b", "t.csv", pd.DataFrame({"k": ["x"], "w": [1.0]}))
    diff = changes.compare_tables(tmp_path / "a", tmp_path / "b")
    assert changes.summary_lines(diff) == ["t.csv: changed, columns differ"]
