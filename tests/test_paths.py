from pathlib import Path

from helpers import paths


def test_root_holds_the_project():
    assert (paths.PROJECT_ROOT / "pyproject.toml").exists()
    assert paths.RAW_TABLE.exists() and paths.DATAPACKAGE.exists()


def test_relative_paths_start_at_the_root_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert paths.resolve("data/raw/inclusione_attiva.tsv") == paths.RAW_TABLE
    assert paths.resolve(tmp_path / "x.csv") == tmp_path / "x.csv"
    assert paths.display_path("data/raw") == "data/raw"
    assert paths.display_path(tmp_path / "x.csv") == str(tmp_path / "x.csv")
    assert Path.cwd() == tmp_path
