"""How a step's notebook is executed: papermill's engine, writing the executed notebook less often."""

from __future__ import annotations

import datetime

import nbformat
from papermill import engines

from helpers.runner import execute


def test_a_running_notebook_is_written_when_due_and_always_at_its_end(tmp_path, monkeypatch):
    """Papermill writes the whole notebook at each cell's start and end; a run, at most every SAVE_EVERY s."""
    written = []
    monkeypatch.setattr(engines, "write_ipynb", lambda nb, path: written.append(path))
    clock = [datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)]
    manager_class = engines.papermill_engines.get_engine(execute._engine()).manager
    monkeypatch.setattr(manager_class, "now", lambda self: clock[0])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {i}") for i in range(3)])
    nb.metadata.papermill = {}
    manager = manager_class(nb, output_path=str(tmp_path / "out.ipynb"), progress_bar=False)
    manager.notebook_start()
    for cell in nb.cells:
        manager.cell_start(cell)
        manager.cell_complete(cell)
    assert written == []  # papermill itself would have written it seven times by now
    clock[0] += datetime.timedelta(seconds=execute.SAVE_EVERY)
    manager.cell_start(nb.cells[0])
    assert len(written) == 1  # due: written at the next cell
    manager.cell_complete(nb.cells[0])
    assert len(written) == 1
    manager.notebook_complete()
    assert written == [str(tmp_path / "out.ipynb")] * 2  # and always at the end, success or failure
