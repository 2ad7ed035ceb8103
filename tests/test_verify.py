"""``inclusion-report verify``: a past run re-executed from its manifest, and the answer it gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import paths
from helpers.runner import records, verify
from helpers.runner.cli import main
from tests.conftest import run_cli

# --------------------------------------------------------------------------- fast: the parts


#: A commit id as git writes it (40 hex digits); manifests hold nothing shorter.
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fake_run(root: Path, run_id: str = "20261205T100000Z-aaaaaa", **manifest) -> Path:
    folder = root / "runs" / run_id
    (folder / "tables").mkdir(parents=True)
    body = {
        "run_id": run_id,
        "status": "succeeded",
        "started": "2026-12-05T10:00:00.123456+00:00",
        "parameters": {},
        "provenance": {"git": {"commit": COMMIT, "dirty": False}, "inputs": {}},
        "outputs": {"tables/a.csv": "0" * 64},
    } | manifest
    (folder / "manifest.json").write_text(json.dumps(body))
    (root / "latest").symlink_to(Path("runs") / run_id)
    return folder


def test_a_run_is_found_as_latest_by_id_or_by_folder(tmp_path):
    folder = fake_run(tmp_path)
    assert verify.find_run(tmp_path, "latest") == folder
    assert verify.find_run(tmp_path, folder.name) == folder
    assert verify.find_run(tmp_path, str(folder)) == folder
    with pytest.raises(verify.CannotVerify, match="no run 'nope'"):
        verify.find_run(tmp_path, "nope")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"provenance": {"git": {"commit": COMMIT, "dirty": True}, "inputs": {}}}, "uncommitted changes"),
        ({"provenance": {"git": {"commit": None, "dirty": None}, "inputs": {}}}, "outside a git checkout"),
        ({"status": "failed"}, "did not succeed"),
        ({"only": ["01_data_cleaning"]}, "partial run"),
        ({"outputs": {}}, "records no outputs"),
    ],
)
def test_runs_that_cannot_be_rebuilt_are_refused_with_exit_9(tmp_path, capsys, manifest, message):
    fake_run(tmp_path, **manifest)
    assert main(["verify", "--reports-dir", str(tmp_path)]) == verify.EXIT_UNVERIFIABLE
    err = capsys.readouterr().err
    assert message in err
    if "uncommitted" in message:
        assert "inclusion-report verify 20261205T100000Z-aaaaaa --current-code" in err


def test_inputs_missing_or_changed_are_named_with_their_hash(tmp_path):
    present = tmp_path / "a.tsv"
    present.write_text("x\n")
    changed = tmp_path / "b.tsv"
    changed.write_text("now\n")
    manifest = {
        "provenance": {
            "inputs": {
                "raw data": {"path": "a.tsv", "sha256": records.sha256(present)},
                "article claims": {"path": "b.tsv", "sha256": "1" * 64},
                "config": {"path": "/nowhere/report.toml", "sha256": "2" * 64},
            }
        }
    }
    with pytest.raises(verify.CannotVerify) as caught:
        verify.check_inputs(manifest, [tmp_path])
    text = str(caught.value)
    assert f"article claims b.tsv is changed since the run (expected SHA-256 {'1' * 64})" in text
    assert f"config /nowhere/report.toml is missing (expected SHA-256 {'2' * 64})" in text
    assert "raw data" not in text
    manifest["provenance"]["inputs"] = {"raw data": manifest["provenance"]["inputs"]["raw data"]}
    assert verify.check_inputs(manifest, [tmp_path / "other", tmp_path]) == {"raw data": present}


def test_a_differing_csv_is_shown_cell_by_cell(tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("outcome,predictor,r\na,b,0.78\na,c,0.1\n")
    new.write_text("outcome,predictor,r\na,b,0.5\na,c,0.1\n")
    assert verify._csv_differences(old, new) == ["row 1, r: 0.78 (recorded) vs 0.5 (now)"]
    new.write_text("outcome,predictor,rho\na,b,0.5\n")
    assert verify._csv_differences(old, new) == ["the columns differ"]


def write_outputs(folder: Path, files: dict[str, str]) -> dict[str, str]:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return {name: records.sha256(folder / name) for name in files}


def test_compare_counts_identical_tables_and_names_an_edited_kept_copy(tmp_path):
    files = {
        "tables/a.csv": "k,v\nx,1\n",
        "tables/b.csv": "k,v\ny,2\n",
        "report.html": "<p>Run R1 here</p><p>Words</p>",
    }
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    outputs = write_outputs(old_dir, files)
    write_outputs(new_dir, files | {"report.html": "<p>Run R2 here</p><p>Words</p>"})
    recorded, new = {"run_id": "R1", "outputs": outputs}, {"run_id": "R2"}
    matches, differences = verify.compare(old_dir, recorded, new_dir, new)
    assert differences == []
    assert matches[0] == "2 of 2 tables byte-identical"
    assert "report text identical (HTML text of report.html, word for word; 1 word(s) naming" in matches[1]
    (old_dir / "tables" / "b.csv").write_text("k,v\ny,3\n")  # someone edits the kept table
    matches, differences = verify.compare(old_dir, recorded, new_dir, new)
    assert matches[0] == "1 of 2 tables byte-identical"
    assert differences == [
        "tables/b.csv: the copy in the run folder was changed after the run (the re-execution "
        "matches the manifest's hash): row 1, v: 3 (kept) vs 2 (now)"
    ]
    (new_dir / "report.html").write_text("<p>Run R2 here</p><p>Other words</p>")
    _, differences = verify.compare(old_dir, recorded, new_dir, new)
    assert (
        "report.html: text differs at word 4, after 'Run <run> here': 'Words' (recorded) vs "
        "'Other words' (now)"
    ) in differences


def test_the_rerun_gets_the_recorded_parameters_config_and_formats(tmp_path):
    manifest = {
        "parameters": {
            "raw_data_path": "data/synthetic/table.tsv",
            "input_scale": "log",
            "multiple_regression": True,
            "outcomes": ["employment_rate_increase_pct"],
            "output_dir": "reports/scratch",
        },
        "provenance": {"inputs": {"config": {"path": "config/grid-variant.toml", "sha256": "x"}}},
        "export": {"formats": ["html"]},
    }
    command = verify.rerun_command(Path("python"), manifest, {"config": Path("c")}, tmp_path / "s")
    pairs = {command[i + 1]: command[i + 2] for i, arg in enumerate(command) if arg == "-p"}
    assert pairs == {  # exactly as recorded: the appendix must print the same values
        "raw_data_path": "data/synthetic/table.tsv",
        "input_scale": "log",
        "multiple_regression": "true",
        "outcomes": '["employment_rate_increase_pct"]',
    }
    assert command[command.index("--config") + 1] == "config/grid-variant.toml"
    assert "--no-pdf" in command and "--force" in command


def test_a_typst_run_is_re_run_as_itself_and_an_older_one_is_not():
    """The re-run takes the recorded id and start only where the recorded code knows --as-run."""
    manifest = {"run_id": "R1", "started": "2026-12-05T11:39:41.786219+00:00", "parameters": {}}
    typst = manifest | {"export": {"formats": ["html", "pdf"], "pdf": "typst 0.15.2, PDF/UA-1"}}
    command = verify.rerun_command(Path("python"), typst, {}, Path("s"))
    assert command[command.index("--as-run") + 1 :][:2] == ["R1", "2026-12-05T11:39:41.786219+00:00"]
    older = manifest | {"export": {"formats": ["html", "pdf"]}}  # xelatex's PDFs: the code has no --as-run
    assert "--as-run" not in verify.rerun_command(Path("python"), older, {}, Path("s"))
    assert "--as-run" in verify.rerun_command(Path("python"), older, {}, Path("s"), as_run=True)


def test_typst_pdfs_are_compared_byte_for_byte(tmp_path):
    files = {"tables/a.csv": "k,v\nx,1\n", "report.pdf": "%PDF same bytes", "report.it.pdf": "%PDF stesso"}
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    outputs = write_outputs(old_dir, files)
    write_outputs(new_dir, files)
    recorded = {"run_id": "R1", "outputs": outputs, "export": {"pdf": "typst 0.15.2, PDF/UA-1"}}
    matches, differences = verify.compare(old_dir, recorded, new_dir, {"run_id": "R1"})
    assert differences == []
    assert matches == ["1 of 1 tables byte-identical", "report.it.pdf: byte-identical", "report.pdf: byte-identical"]
    (new_dir / "report.pdf").write_text("%PDF some bytes")
    matches, differences = verify.compare(old_dir, recorded, new_dir, {"run_id": "R1"})
    assert matches[-1] == "report.it.pdf: byte-identical"
    assert len(differences) == 1 and differences[0].startswith(
        "report.pdf: not byte-identical (first difference at byte 6)"
    )


def test_an_input_the_checkout_lacks_is_put_where_the_run_looks(tmp_path):
    user, code = tmp_path / "user", tmp_path / "code"
    table = user / "data" / "synthetic" / "table.tsv"
    table.parent.mkdir(parents=True)
    table.write_text("untracked\n")
    (code / "data" / "raw").mkdir(parents=True)
    tracked = code / "data" / "raw" / "t.tsv"
    tracked.write_text("tracked\n")
    manifest = {
        "provenance": {
            "inputs": {
                "raw data": {"path": "data/synthetic/table.tsv", "sha256": records.sha256(table)},
                "claims": {"path": "data/raw/t.tsv", "sha256": records.sha256(tracked)},
            }
        }
    }
    found = verify.check_inputs(manifest, [code, user])
    assert found == {"raw data": table, "claims": tracked}
    verify.place_inputs(manifest, found, code)
    assert (code / "data" / "synthetic" / "table.tsv").read_text() == "untracked\n"
    assert table.read_text() == "untracked\n"  # the user's copy is only read


def test_the_annex_prints_the_command_that_verifies_the_report(monkeypatch):
    import pandas as pd

    from helpers import report
    from helpers.brief import display, provenance
    from helpers.brief.evidence import Evidence
    from helpers.codebook import load_codebook

    shown = []
    monkeypatch.setattr(report, "display", lambda obj, metadata=None: shown.append(repr(obj)))
    manifest = {"run_id": "20261205T100000Z-abcdef", "parameters": {}, "provenance": {}}
    ev = Evidence("en", load_codebook(), pd.DataFrame({"city": ["Roma"]}), {}, manifest)
    provenance.show(ev, display.Numbering())
    assert any("inclusion-report verify 20261205T100000Z-abcdef" in text for text in shown)


# --------------------------------------------------------------------------- slow: real runs


def git(*args: str, cwd: Path = paths.PROJECT_ROOT) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """A run made from a clean checkout of HEAD, in its own locked environment (as a user would)."""
    base = tmp_path_factory.mktemp("verify")
    code = base / "code"
    verify.checkout_commit(git("rev-parse", "HEAD").strip(), code)
    lock = records.sha256(code / "uv.lock")
    python = verify.build_environment(code, verify.environment_for(lock), log=lambda line: None)
    reports = base / "reports"
    done = subprocess.run(
        [str(python), "-m", "helpers.runner.cli", "run", "--reports-dir", str(reports),
         "--processed-dir", str(base / "processed")],
        cwd=code, capture_output=True, text=True, timeout=900,
        env={k: v for k, v in os.environ.items() if k != "INCLUSION_REPORT_ROOT"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((reports / "latest" / "manifest.json").read_text())
    assert manifest["provenance"]["git"]["dirty"] is False
    return {"reports": reports, "manifest": manifest, "base": base}


def run_verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.runner.cli", "verify", *args],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip


def tree_state() -> tuple[str, str, list[str]]:
    latest = paths.REPORTS_DIR / "latest"
    return (
        git("status", "--porcelain", "--untracked-files=all"),
        os.readlink(latest) if latest.is_symlink() else "",
        sorted(p.name for p in Path(git("rev-parse", "--absolute-git-dir").strip()).iterdir()),  # worktrees too
    )


@pytest.mark.slow
def test_the_run_just_made_reproduces_and_nothing_of_the_users_is_touched(clean_run):
    before = tree_state()
    scratch = Path(os.environ.get("TMPDIR", "/tmp"))
    scratches = set(scratch.glob("inclusion-verify-*"))
    done = run_verify("--reports-dir", str(clean_run["reports"]))
    assert done.returncode == 0, done.stderr
    tables = sum(
        1 for name in clean_run["manifest"]["outputs"] if name.startswith(("tables/", "text/", "data/"))
    )
    assert done.stdout.startswith(
        f"reproduced: {tables} of {tables} tables byte-identical, report.it.pdf: byte-identical, "
        "report.pdf: byte-identical (run "
    )
    assert "re-executed from commit" in done.stdout
    assert tree_state() == before
    assert set(scratch.glob("inclusion-verify-*")) == scratches  # its scratch folder is gone


@pytest.mark.slow
def test_an_edited_number_in_a_kept_table_is_named_by_file_and_cell(clean_run, tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(clean_run["reports"], reports, symlinks=True)
    findings = reports / "latest" / "tables" / "findings.csv"
    lines = findings.read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    column = header.index("r")
    old = first[column]
    first[column] = "0.5"
    findings.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    done = run_verify("--reports-dir", str(reports))
    assert done.returncode == verify.EXIT_DIFFERS, done.stderr
    assert "NOT reproduced" in done.stderr
    assert "tables/findings.csv: the copy in the run folder was changed after the run" in done.stderr
    assert f"row 1, r: 0.5 (kept) vs {old} (now)" in done.stderr


@pytest.mark.slow
def test_a_dirty_run_is_refused_and_current_code_verifies_it(built, tmp_path):
    assert built["result"].returncode == 0, built["result"].stderr
    reports = tmp_path / "reports"
    shutil.copytree(built["reports"], reports, symlinks=True)
    manifest_path = reports / "latest" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["provenance"]["git"]["dirty"] = True
    manifest_path.write_text(json.dumps(manifest))
    refused = run_verify("--reports-dir", str(reports))
    assert refused.returncode == verify.EXIT_UNVERIFIABLE
    assert "uncommitted changes" in refused.stderr and "--current-code" in refused.stderr
    done = run_verify("--reports-dir", str(reports), "--current-code")
    assert done.returncode == 0, done.stderr
    assert "re-executed with the current code, not the run's own" in done.stdout


@pytest.mark.slow
def test_a_missing_input_is_named_with_its_hash(clean_run, built, tmp_path):
    table = tmp_path / "table.tsv"
    table.write_bytes(paths.RAW_TABLE.read_bytes())
    reports = tmp_path / "reports"
    # from a copy of the session's run: the same table under another path reruns 01 alone
    shutil.copytree(built["reports"], reports, symlinks=True)
    done = run_cli(
        "--no-pdf", "-p", "languages", "en", "-p", "raw_data_path", str(table),
        "--reports-dir", str(reports), "--processed-dir", str(tmp_path / "p"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    digest = records.sha256(table)
    table.unlink()
    refused = run_verify("--reports-dir", str(reports), "--current-code")
    assert refused.returncode == verify.EXIT_UNVERIFIABLE
    assert f"raw data {table} is missing (expected SHA-256 {digest})" in refused.stderr


def test_words_naming_the_run_are_set_aside_and_nothing_else():
    manifest = {"run_id": "20261205T113941Z-d9b435", "started": "2026-12-05T11:39:41.786219+00:00"}
    words = (
        "Run 20261205T113941Z-d9b435 of 5 December 2026, 11:39 UTC Data ok "
        "Started 2026-12-05T11:39:41.786219+00:00 runs/20261205T113941Z-d9b435/data 11:39 UTC"
    ).split()
    kept, aside = verify._masked(words, manifest)
    assert kept == ["Run"] + ["<run>"] * 7 + ["Data", "ok", "Started"] + ["<run>"] * 4
    assert aside == 11


def test_a_pdf_line_break_moved_by_another_id_does_not_count(tmp_path):
    html_a, html_b = tmp_path / "a.html", tmp_path / "b.html"
    html_a.write_text("<p>the copy in the run's folder is ready-\nmade for reviewers</p>")
    html_b.write_text("<p>the copy in the run's\nfolder is readymade for reviewers</p>")
    assert verify.report_words(html_a) == verify.report_words(html_b)
