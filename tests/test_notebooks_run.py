"""The researchers' path: each committed notebook, run top to bottom with its own defaults.

A copy of the project (data, config, notebooks) in a temporary folder stands in
for the checkout, so the test writes nothing into the real one; the kernel
finds it through ``INCLUSION_REPORT_ROOT``.
"""

import math

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest
from nbclient import NotebookClient

from helpers import paths
from helpers.runner.kernels import LocalKernelManager, ensure_kernel

from .conftest import copy_project
from .test_stats import INPUTS, OUTCOMES, closed_form_ols, column

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory, monkeypatch_module):
    root = copy_project(tmp_path_factory.mktemp("checkout"))
    monkeypatch_module.setenv("INCLUSION_REPORT_ROOT", str(root))
    ensure_kernel()
    return root


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def run_all(path, cwd):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=paths.KERNEL_NAME,
        kernel_manager_class=LocalKernelManager,
        resources={"metadata": {"path": str(cwd)}},
        timeout=600,
    )
    client.execute()
    return nb


def test_run_all_in_order_with_defaults(project):
    for name in ("01_data_cleaning", "02_descriptive_statistics", "03_regression"):
        nb = run_all(project / "notebooks" / f"{name}.ipynb", cwd=project / "notebooks")
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        stderr = [
            o
            for c in nb.cells
            for o in c.get("outputs", [])
            if o.output_type == "stream" and o.name == "stderr"
        ]
        assert not errors and not stderr, name
    assert (project / "data" / "processed" / paths.PROCESSED_TABLE_NAME).exists()
    tables = project / "reports" / "scratch" / "tables"
    assert (tables / "simple_regressions.csv").exists()


def test_multiple_regression_on_request(project, tmp_path):
    out = tmp_path / "03.ipynb"
    papermill.execute_notebook(
        str(project / "notebooks" / "03_regression.ipynb"),
        str(out),
        parameters={"multiple_regression": True, "output_dir": str(tmp_path)},
        kernel_name=paths.KERNEL_NAME,
        progress_bar=False,
        kernel_manager_class=LocalKernelManager,
    )
    table = pd.read_csv(tmp_path / "tables" / "multiple_regressions.csv")
    assert table.outcome.unique().tolist() == OUTCOMES
    for outcome in OUTCOMES:
        X = np.column_stack([np.ones(10)] + [column(v) for v in INPUTS])
        y = np.array(column(outcome))
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        np.testing.assert_allclose(table[table.outcome == outcome].estimate, beta, rtol=1e-8)


def test_log_transform_on_request_is_visible(project, tmp_path):
    out = tmp_path / "03.ipynb"
    papermill.execute_notebook(
        str(project / "notebooks" / "03_regression.ipynb"),
        str(out),
        parameters={"log_variables": ["community_event_participants"], "output_dir": str(tmp_path)},
        kernel_name=paths.KERNEL_NAME,
        progress_bar=False,
        kernel_manager_class=LocalKernelManager,
    )
    fits = pd.read_csv(tmp_path / "tables" / "simple_regressions.csv")
    row = fits[
        (fits.outcome == OUTCOMES[0]) & (fits.predictor == "community_event_participants")
    ].iloc[0]
    logged = [math.log(v) for v in column("community_event_participants")]
    assert row.slope == pytest.approx(
        closed_form_ols(logged, column(OUTCOMES[0]))["slope"], rel=1e-9
    )
    text = out.read_text()
    assert "natural-log scale" in text and "log of community-event participation" in text
