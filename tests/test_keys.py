"""What re-runs a step: one test per trigger, and the runner's own code, which re-runs nothing."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import helpers
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


@pytest.mark.parametrize(
    "module",
    ["brief/page_one.py", "brief/provenance.py", "brief/annex.py", "brief/words.py", "blocks.py"],
)  # the title page, the appendix, the vocabulary: code at any depth of the library
def test_editing_the_report_wing_changes_the_code_fingerprint(package, module):
    before = incremental.code_fingerprint(package)
    append(package / module, "\n# an edit\n")
    assert incremental.code_fingerprint(package) != before


def test_a_new_module_in_a_sub_package_is_in_the_key(package):
    before = incremental.code_fingerprint(package)
    (package / "brief" / "new_section.py").write_text("X = 1\n")
    assert incremental.code_fingerprint(package) != before


#: Printed by a child interpreter: the files of the ``helpers`` modules it has loaded.
_PRINT_LOADED = (
    "import json, sys\n"
    "print(json.dumps(sorted(m.__file__ for n, m in list(sys.modules.items())"
    " if n.split('.')[0] == 'helpers' and getattr(m, '__file__', None))))"
)
#: One interpreter, many fresh starts: it loads the libraries the notebooks use (never ``helpers``)
#: once, then forks a child per statement, which runs it and prints what it loaded of ``helpers``.
_FORK_EACH = """
import json, os, sys
import matplotlib.pyplot, numpy, pandas, scipy.stats, seaborn, statsmodels.api  # no helpers module
assert not [n for n in sys.modules if n.split(".")[0] == "helpers"]
for statement in json.loads(sys.argv[1]):
    pid = os.fork()
    if pid == 0:
        exec(statement + "\\n" + PRINT, {})
        sys.stdout.flush()
        os._exit(0)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, statement
"""


def _loaded_helpers(*statements: str) -> list[set[Path]]:
    """For each statement, the files of the ``helpers`` modules a fresh interpreter has loaded after it.

    Where the system can fork, one interpreter serves them all (:data:`_FORK_EACH`); elsewhere each
    statement gets an interpreter of its own.
    """
    # the child imports the very copy of helpers this test reads (under mutmut, the mutants' copy)
    env = {**os.environ, "PYTHONPATH": str(Path(helpers.__file__).resolve().parents[1])}
    if hasattr(os, "fork"):
        script = f"PRINT = {_PRINT_LOADED!r}\n{_FORK_EACH}"
        commands = [[sys.executable, "-c", script, json.dumps(statements)]]
    else:
        commands = [[sys.executable, "-c", f"{statement}\n{_PRINT_LOADED}"] for statement in statements]
    lines = [
        line
        for command in commands
        for line in subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout.splitlines()
        if line.startswith("[")
    ]
    assert len(lines) == len(statements), lines
    return [{Path(f).resolve() for f in json.loads(line)} for line in lines]


def test_everything_the_export_imports_is_in_a_key(loaded_by_notebook):
    """Every helpers module the exporters load is in the export's key or the library's."""
    loaded = loaded_by_notebook[EXPORT]
    keyed = set(incremental.export_modules()) | set(incremental.library_files())
    keyed |= {incremental.RUNNER / "__init__.py"}  # the package's docstring and version only
    assert loaded, "nothing loaded: the check would pass on anything"
    assert {p.resolve() for p in loaded} - {p.resolve() for p in keyed} == set()


def _notebook_imports(notebook: Path) -> set[str]:
    names = set()
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "helpers":
                names |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
            elif isinstance(node, ast.Import):
                names |= {a.name for a in node.names if a.name.split(".")[0] == "helpers"}
    return names


NOTEBOOKS = sorted(p.name for p in paths.NOTEBOOKS_DIR.glob("*.ipynb"))
#: The key of :func:`loaded_by_notebook` for what the exporters load.
EXPORT = "the exporters"


@pytest.fixture(scope="module")
def loaded_by_notebook() -> dict[str, set[Path]]:
    """What each notebook's imports of ``helpers``, and the exporters, load in a fresh interpreter, at any depth."""
    statements = [
        "import importlib\n"
        f"for name in {sorted(_notebook_imports(paths.NOTEBOOKS_DIR / notebook))!r}:\n"
        "    try:\n        importlib.import_module(name)\n"
        "    except ImportError:\n        pass  # a name imported from a module, not a module\n"
        for notebook in NOTEBOOKS
    ]
    statements.append("import helpers.runner.export, helpers.runner.typesetting")
    return dict(zip([*NOTEBOOKS, EXPORT], _loaded_helpers(*statements), strict=True))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_everything_a_notebook_imports_is_in_the_library_key(notebook, loaded_by_notebook):
    """What a step imports, at any depth, is in the library's hash: nothing comes from the runner."""
    names = _notebook_imports(paths.NOTEBOOKS_DIR / notebook)
    assert names, f"{notebook} imports nothing of helpers: the check would pass on anything"
    loaded = loaded_by_notebook[notebook]
    assert {p.name for p in loaded} >= {"__init__.py", "paths.py"}, "nothing loaded: the check would pass on anything"
    library = {p.resolve() for p in incremental.library_files()}
    assert not {p for p in loaded if incremental.RUNNER.resolve() in p.parents}, "a notebook loads the runner"
    assert loaded <= library


def test_a_module_the_exporter_comes_to_import_joins_the_export_key(package):
    """The export's modules are read from its imports: a new import needs no list kept by hand."""
    runner = package / "runner"
    assert runner / "records.py" not in incremental.export_modules(runner)
    append(runner / "export.py", "\nfrom helpers.runner import records  # noqa\n")
    assert runner / "records.py" in incremental.export_modules(runner)
    before = incremental.export_fingerprint(runner)
    append(runner / "records.py", "\n# an edit\n")
    assert incremental.export_fingerprint(runner) != before


def test_editing_the_report_wing_changes_the_export_key():
    from helpers.runner import run as orchestration
    from helpers.runner.steps import discover_steps

    values, per_notebook = orchestration.check_parameters(orchestration.RunOptions(), discover_steps())
    keys = {orchestration._export_key(values, per_notebook, code=c) for c in ("wing as it was", "wing edited")}
    assert len(keys) == 2


def recorded(folder: Path, names: dict[str, bytes]) -> dict:
    for name, content in names.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return {"key": "k", "outputs": {name: incremental.sha256(folder / name) for name in names}}


def test_a_recorded_output_is_reused_only_when_it_is_there_and_intact(tmp_path):
    entry = recorded(tmp_path, {"report.pdf": b"%PDF", "tables/a.csv": b"x,y\n"})
    assert incremental.reusable(tmp_path, entry, "k")
    assert not incremental.reusable(tmp_path, entry, "another key")
    assert not incremental.reusable(None, entry, "k")
    assert not incremental.reusable(tmp_path, {"key": "k", "outputs": {}}, "k")
    (tmp_path / "report.pdf").write_bytes(b"%PDF edited by hand")
    assert not incremental.reusable(tmp_path, entry, "k")
    (tmp_path / "report.pdf").unlink()
    assert not incremental.reusable(tmp_path, entry, "k")


def test_a_link_or_a_path_outside_the_run_is_never_reused(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    entry = recorded(tmp_path, {"secret.txt": b"s"})
    (run / "report.pdf").symlink_to(tmp_path / "secret.txt")
    as_link = {"key": "k", "outputs": {"report.pdf": entry["outputs"]["secret.txt"]}}
    assert not incremental.reusable(run, as_link, "k")
    outside = {"key": "k", "outputs": {"../secret.txt": entry["outputs"]["secret.txt"]}}
    assert not incremental.reusable(run, outside, "k")


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
