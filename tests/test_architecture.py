"""The house rules of the code, checked by import-linter (contracts in ``pyproject.toml``).

The notebook library (``helpers``) never imports the runner (``helpers.runner``);
inside the runner only ``study`` knows about the analysis; no module takes part in
an import cycle. Each rule is shown to hold on the project and to fail on a copy
where one import breaks it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpers import paths

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
HELPERS = paths.PROJECT_ROOT / "src" / "helpers"


def contracts() -> dict[str, dict]:
    config = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def lint(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(paths.PROJECT_ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_keeps_every_contract():
    done = lint(HELPERS.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def test_every_module_is_named_in_the_contracts():
    """A new module is covered at once: the lists match the folders."""
    found = contracts()
    library = {f"helpers.{p.stem}" for p in HELPERS.glob("*.py") if p.stem != "__init__"}
    library |= {f"helpers.{p.name}" for p in HELPERS.iterdir() if (p / "__init__.py").exists() and p.name != "runner"}
    runner = {
        f"helpers.runner.{p.stem}"
        for p in (HELPERS / "runner").glob("*.py")
        if p.stem not in ("__init__", "study")
    }
    assert set(found["The notebook library never imports the runner"]["source_modules"]) == library
    only_study = found["Only helpers.runner.study knows about the analysis"]
    assert set(only_study["source_modules"]) == runner
    # paths, errors, the report languages (i18n) and the blocks' structured form are shared by both
    assert set(only_study["forbidden_modules"]) == library - {
        "helpers.paths", "helpers.errors", "helpers.i18n", "helpers.blocks"
    }


@pytest.fixture
def copy(tmp_path) -> Path:
    target = tmp_path / "src" / "helpers"
    shutil.copytree(HELPERS, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def add_import(module: Path, statement: str) -> None:
    text = module.read_text()
    anchor = "from __future__ import annotations\n"
    module.write_text(text.replace(anchor, anchor + statement + "\n", 1))


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        (
            "stats.py",
            "from helpers.runner import cache",
            "The notebook library never imports the runner BROKEN",
        ),
        (
            "runner/run.py",
            "from helpers import stats",
            "Only helpers.runner.study knows about the analysis BROKEN",
        ),
        (
            "runner/steps.py",
            "from helpers.runner import run",
            "No import cycles, in the library or in the runner BROKEN",
        ),
        (
            "codebook.py",
            "from helpers import cleaning",
            "No import cycles, in the library or in the runner BROKEN",
        ),
    ],
)
def test_a_broken_rule_is_caught(copy, module, statement, broken):
    add_import(copy / module, statement)
    done = lint(copy.parent)
    assert done.returncode != 0
    assert broken in done.stdout
