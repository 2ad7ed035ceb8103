"""Notebooks reach git without outputs: what is committed is clean, and the filter that keeps it so is on.

``make setup`` installs nbstripout as git's clean filter for ``*.ipynb`` (see the Makefile's
``git-filter`` target and ``.gitattributes``). These tests read the notebooks as committed
(``git show HEAD:…``), not the working files a researcher may have just run in JupyterLab.
Outside a git checkout (an unpacked tarball) the shipped files are checked instead and the
filter tests are skipped.
"""

from __future__ import annotations

import difflib
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: The source tree these tests belong to (not ``paths.PROJECT_ROOT``, which tests may redirect).
ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, **kw
    )


def _is_git_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    top = _git("rev-parse", "--show-toplevel")
    return top.returncode == 0 and Path(top.stdout.strip()).resolve() == ROOT


GIT = _is_git_checkout()
needs_git = pytest.mark.skipif(not GIT, reason="not a git checkout (e.g. an unpacked tarball)")


def committed_notebooks() -> dict[str, str]:
    """Each notebook's text as committed at HEAD (the shipped files outside git)."""
    if not GIT:
        return {
            p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
        }
    listed = _git("ls-tree", "-r", "--name-only", "HEAD", "--", "notebooks/")
    assert listed.returncode == 0, listed.stderr
    names = [n for n in listed.stdout.splitlines() if n.endswith(".ipynb")]
    return {n: _git("show", f"HEAD:{n}").stdout for n in names}


NOTEBOOKS = committed_notebooks()


def test_notebooks_are_committed():
    assert len(NOTEBOOKS) >= 4, NOTEBOOKS.keys()


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_committed_notebook_has_no_outputs_or_counts(name):
    nb = json.loads(NOTEBOOKS[name])
    dirty = [
        f"cell {index} (id {cell.get('id')!r}): "
        + ", ".join(
            what
            for what, bad in (
                (f"{len(cell.get('outputs', []))} outputs", cell.get("outputs")),
                (
                    f"execution_count {cell.get('execution_count')}",
                    cell.get("execution_count") is not None,
                ),
            )
            if bad
        )
        for index, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    where = "as committed at HEAD" if GIT else "as shipped"
    assert not dirty, (
        f"{name} {where} has outputs: " + "; ".join(dirty) + " (run `make setup`, then re-add it)"
    )


@needs_git
def test_setup_installed_the_nbstripout_filter():
    clean = _git("config", "--get", "filter.nbstripout.clean")
    assert clean.returncode == 0, "filter.nbstripout.clean is not set: run `make setup`"
    argv = shlex.split(clean.stdout)
    # the environment's own nbstripout, by absolute path, keeping the notebooks' named cell ids
    assert Path(argv[0]).is_absolute() and argv[0] == str(Path(sys.prefix) / "bin" / "nbstripout")
    assert Path(argv[0]).is_file()
    assert "--keep-id" in argv
    assert _git("config", "--get", "filter.nbstripout.smudge").stdout.strip() == "cat"
    assert _git("config", "--get", "filter.nbstripout.required").stdout.strip() == "true"
    for name in NOTEBOOKS:
        attrs = _git("check-attr", "filter", "diff", "--", name).stdout
        assert f"{name}: filter: nbstripout" in attrs, attrs
        assert f"{name}: diff: ipynb" in attrs, attrs
    # a new step's notebook is routed to the filter as well
    assert (
        "filter: nbstripout" in _git("check-attr", "filter", "--", "notebooks/99_new.ipynb").stdout
    )


def _as_saved_by_lab(text: str) -> str:
    """The committed notebook as JupyterLab saves it after Run All: outputs, counts, run metadata."""
    nb = json.loads(text)
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        count += 1
        cell["execution_count"] = count
        cell["outputs"] = [
            {"name": "stdout", "output_type": "stream", "text": [f"/home/someone/{count}\n"]},
            {
                "data": {"text/plain": [str(count)]},
                "execution_count": count,
                "metadata": {},
                "output_type": "execute_result",
            },
        ]
        cell["metadata"]["execution"] = {"iopub.status.busy": "2024-05-29T10:00:00.000000Z"}
        cell["metadata"]["scrolled"] = True
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.2",
    }
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


@needs_git
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_git_strips_a_notebook_saved_with_outputs_back_to_the_committed_one(name, tmp_path):
    """What git would store for a notebook run in Lab is byte for byte the clean committed one.

    So outputs and counts go, while cell ids, tags ("parameters", "remove-cell",
    "researcher-only"), the kernelspec and the ``inclusion_report`` reads/writes stay.
    """
    clean = _git("config", "--get", "filter.nbstripout.clean").stdout.strip()
    assert clean, "filter.nbstripout.clean is not set: run `make setup`"
    saved = tmp_path / Path(name).name
    saved.write_text(_as_saved_by_lab(NOTEBOOKS[name]), encoding="utf-8")
    committed = _git("rev-parse", f"HEAD:{name}").stdout.strip()
    raw = _git("hash-object", "--no-filters", saved.as_posix()).stdout.strip()
    assert raw != committed  # the saved file really differs
    stored = _git("hash-object", f"--path={name}", saved.as_posix())
    assert stored.returncode == 0, stored.stderr
    if stored.stdout.strip() != committed:
        stripped = subprocess.run(
            clean, shell=True, cwd=ROOT, stdin=saved.open("rb"), capture_output=True, timeout=60
        ).stdout.decode()
        diff = difflib.unified_diff(
            NOTEBOOKS[name].splitlines(),
            stripped.splitlines(),
            "committed",
            "stripped",
            lineterm="",
        )
        pytest.fail(
            f"git would not store {name} as committed once run in Lab:\n"
            + "\n".join(list(diff)[:60])
        )
