"""What re-runs a step: one test per trigger, and the runner's own code, which re-runs nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import paths
from helpers.runner import cache as incremental

NOTEBOOK = paths.NOTEBOOKS_DIR / "03_regression.ipynb"
PARAMETERS = {
    "outcomes": ["employment_rate_increase_pct"],
    "claims_path": "data/raw/article_claims.tsv",
}


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the helpers package to edit."""
    target = tmp_path / "helpers"
    shutil.copytree(incremental.LIBRARY, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def key(
    notebook=NOTEBOOK, parameters=PARAMETERS, reads=None, code="code", environment="env"
) -> str:
    return incremental.step_key(
        notebook, parameters, reads or {"processed": "abc"}, code=code, environment=environment
    )


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_editing_the_notebook_library_changes_the_code_fingerprint(package):
    before = incremental.code_fingerprint(package)
    append(package / "inference.py", "\n# an edit\n")
    assert incremental.code_fingerprint(package) != before


def test_editing_a_translation_changes_the_code_fingerprint(package):
    """The notebooks show the catalog's words: a corrected translation re-runs them."""
    before = incremental.code_fingerprint(package)
    append(package / "locale" / "it" / "LC_MESSAGES" / "messages.po", '\n#. a translator\'s note\n')
    assert incremental.code_fingerprint(package) != before


RUNNER_MODULES = sorted(p.name for p in incremental.RUNNER.glob("*.py"))


@pytest.mark.parametrize("module", RUNNER_MODULES)
def test_editing_runner_code_changes_no_step_key(package, module):
    before = incremental.code_fingerprint(package)
    append(package / "runner" / module, "\n# an edit\n")
    assert incremental.code_fingerprint(package) == before


def test_a_new_library_module_is_in_the_key(package):
    # whatever a notebook can import is in the key: a module added to helpers/ counts
    assert {"cli.py", "run.py", "forkserver.py"} <= set(RUNNER_MODULES)
    (package / "new_statistic.py").write_text("X = 1\n")
    assert incremental.code_fingerprint(package) != incremental.code_fingerprint(
        incremental.LIBRARY
    )


@pytest.mark.parametrize(
    "part", ["templates/typst/index.typ.j2", "templates/report_html/index.html.j2", "typesetting.py", "export.py",
             "fonts/Symbola.ttf"],
)  # fmt: skip
def test_the_export_has_its_own_key(package, part):
    """The exporter's modules, templates and fonts are in the export's key, and in no step's."""
    runner = package / "runner"
    code, export = incremental.code_fingerprint(package), incremental.export_fingerprint(runner)
    with open(runner / part, "ab") as handle:
        handle.write(b"\n")
    assert incremental.export_fingerprint(runner) != export
    assert incremental.code_fingerprint(package) == code


def test_a_notebook_edit_changes_its_key(tmp_path):
    copy = tmp_path / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)
    before = key(copy)
    append(copy, " ")
    assert key(copy) != before


def test_the_codebook_is_in_every_key(tmp_path, monkeypatch):
    codebook = tmp_path / "datapackage.json"
    shutil.copyfile(paths.DATAPACKAGE, codebook)
    monkeypatch.setitem(incremental.SHARED_INPUTS, "codebook", lambda: codebook)
    before = key()
    codebook.write_text(codebook.read_text().replace('"title": "City"', '"title": "Municipality"'))
    assert key() != before


def test_the_data_a_step_reads_are_in_its_key(tmp_path):
    claims = tmp_path / "claims.tsv"
    shutil.copyfile(paths.RAW_DATA_DIR / "article_claims.tsv", claims)
    parameters = {**PARAMETERS, "claims_path": str(claims)}
    before = key(parameters=parameters)
    append(claims, "\n")
    assert key(parameters=parameters) != before
    # what an earlier step wrote is read by content too
    assert key(reads={"processed": "def"}) != key(reads={"processed": "abc"})


def test_the_lock_file_and_the_parameters_are_in_the_key():
    assert key(environment="another lock") != key()
    assert key(parameters={**PARAMETERS, "outcomes": ["health_service_access_pct"]}) != key()
    assert key(code="another library") != key()


def test_a_lock_file_edit_changes_the_environment_fingerprint(tmp_path, monkeypatch):
    shutil.copyfile(paths.PROJECT_ROOT / "uv.lock", tmp_path / "uv.lock")
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    before = incremental.environment_fingerprint()
    append(tmp_path / "uv.lock", "\n")
    assert incremental.environment_fingerprint() != before
