"""The committed notebooks: clean, one parameters cell each, the project's kernel."""

import ast

import nbformat
import pytest

from helpers import paths
from helpers.runner.steps import discover_steps

NOTEBOOKS = [step.path for step in discover_steps()]


def test_numbered_steps():
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_", "06_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_of_literals(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign)
        ast.literal_eval(node.value)  # plain literal defaults, usable when opened by hand


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_names_the_project_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == paths.KERNEL_NAME
    nbformat.validate(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_edits_to_helpers_reach_an_open_kernel(path):
    """Every notebook loads autoreload before importing helpers (edits show up without a restart)."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    first_import = next(
        i for i, src in enumerate(code) if "import helpers" in src or "from helpers" in src
    )
    setup = code[first_import]
    assert "%load_ext autoreload" in setup and "%autoreload 2" in setup, path.name
    assert setup.index("%autoreload 2") < setup.index("helpers")
