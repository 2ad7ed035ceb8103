"""``inclusion-report verify [RUN]``: re-execute a past run from its manifest and compare the results.

A run's manifest records what it was made from: the git commit and whether the tree
had uncommitted changes, the lock file's hash, every input's SHA-256, the parameters,
and every output's hash. Verifying a run:

1. rebuilds the code as it was: the recorded commit checked out in a scratch folder from
   a ``git clone --shared`` (the user's work tree and ``.git`` are never touched);
2. checks that every recorded input exists, in the checkout or the user's tree, with its
   recorded SHA-256; then makes the recorded lock's environment with ``uv sync --locked``
   on the recorded Python (from uv's cache: seconds, not a download), the Jupyter kernel
   and the language catalogs compiled;
3. re-executes the run with the recorded parameters (``--force``, into a scratch
   reports folder, with the same formats);
4. compares: every machine-readable table (``tables/``, ``text/``, ``data/``) byte for
   byte, naming the first differing cells of a CSV that differs; and each report. The
   re-execution is given the recorded run's id and start (``run --as-run``), so a PDF
   made by Typst (the manifest's ``export.pdf``) names the same run and carries the
   same creation time: each is compared byte for byte ("report.pdf: byte-identical").
   Otherwise (an older run's xelatex PDF, ``--current-code``, or the HTML when the run
   made no PDF) the text is compared (``pdftotext``): the words naming the run (its id,
   its start time, the date and time beside the id) are set aside, and the text is
   compared word for word (another id, in a proportional font, can move a line break).
   The executed notebooks, the researcher HTMLs and ``changes.*`` (a comparison with
   whichever run came before) hold times and run ids by nature and are not compared.

A run made from a tree with uncommitted changes cannot be rebuilt from its commit:
verify says so and stops, unless ``--current-code`` asks for a check with the code and
environment as they are now, which the answer then says plainly.

Verify trusts nothing it reads: the manifest must be a regular JSON file that fits
:data:`helpers.runner.records.MANIFEST_SCHEMA` and :data:`~helpers.runner.records.VERIFY_SCHEMA`
before any of it is used (a commit is a full hexadecimal id, never an option or a path
for git; a Python version is a version, never a program to run; an input's path has no
".."). Recorded inputs are read and hashed where they are; the one copy verify makes (of
an input git does not track) goes inside its scratch checkout. It writes only in its
scratch folder and its environment cache; a table missing from the run folder is a
difference; a verify waiting for another's environment says so.

Exit codes: 0 reproduced; 8 re-executed but something differs (listed), or the
re-execution failed where the run had succeeded (its data check or a notebook); 9 cannot
be verified (run not found or not succeeded, tree was dirty, commit, input, Python or a
tool missing, or the re-execution could not finish, e.g. an older commit's xelatex missing).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from helpers import paths
from helpers.errors import LockHeld, ReportError
from helpers.runner import records
from helpers.runner.lock import RunLock
from helpers.runner.params import RUNNER_PARAMETERS

EXIT_DIFFERS = 8
EXIT_UNVERIFIABLE = 9
#: Folders of a run whose files are compared byte for byte.
TABLE_FOLDERS = ("tables/", "text/", "data/")
#: Differing cells named per CSV.
CELLS_SHOWN = 5


class NotReproduced(ReportError):
    """The run was re-executed and something differs."""

    exit_code = EXIT_DIFFERS


class CannotVerify(ReportError):
    """The run cannot be re-executed as it was made."""

    exit_code = EXIT_UNVERIFIABLE


@dataclass
class VerifyOptions:
    """What the user asked for on the command line."""

    run: str = "latest"
    reports_dir: str | os.PathLike[str] = paths.REPORTS_DIR
    current_code: bool = False
    keep_scratch: bool = False
    log: Callable[[str], None] | None = None


@dataclass
class Verdict:
    """What a verify found: the lines of its answer, and whether everything matched."""

    run_id: str
    reproduced: bool
    lines: list[str] = field(default_factory=list)


def find_run(reports_dir: Path, run: str) -> Path:
    """The folder of a run: ``latest``, a run id, or a path to a run folder."""
    candidates = [Path(run), reports_dir / "runs" / run]
    if run == "latest":
        candidates = [reports_dir / "latest"]
    for candidate in candidates:
        if os.path.lexists(candidate / "manifest.json"):  # read, and judged, by read_manifest
            return candidate.resolve()
    raise CannotVerify(
        f"no run {run!r} in {paths.display_path(reports_dir)} (give a run id from "
        "`inclusion-report history`, or the path of a run folder)"
    )


def _uv() -> str:
    for candidate in (paths.PROJECT_ROOT / ".tools" / "bin" / "uv", shutil.which("uv")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise CannotVerify("uv is needed to rebuild the run's environment; `make setup` installs it")


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def checkout_commit(commit: str, target: Path) -> None:
    """A clean checkout of ``commit`` in ``target``, nothing written to the user's tree or ``.git``.

    ``git clone --shared`` makes a repository of its own that borrows the user's objects
    (read-only), then checks the commit out there: the rebuilt run records that commit,
    with a clean tree, exactly as the original did.
    """
    clone = _run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(paths.PROJECT_ROOT), str(target)])
    if clone.returncode != 0:
        raise CannotVerify(f"the project's git repository could not be read: {clone.stderr.strip()}")
    checkout = _run(["git", "-C", str(target), "checkout", "--quiet", "--detach", commit])
    if checkout.returncode != 0:
        raise CannotVerify(
            f"commit {commit} is not in this repository ({checkout.stderr.strip()}); "
            "fetch it, or verify with --current-code"
        )


#: Environments built by verify, one per lock file, kept for the next verify (a few seconds
#: instead of a full install); the newest few are kept.
ENVIRONMENTS = paths.PROJECT_ROOT / ".tools" / "verify"
KEEP_ENVIRONMENTS = 2


def environment_for(lock_sha256: str) -> Path:
    """The folder of the environment for a lock file, pruning all but the newest others."""
    ENVIRONMENTS.mkdir(parents=True, exist_ok=True)
    target = ENVIRONMENTS / lock_sha256[:16]
    others = sorted(
        (p for p in ENVIRONMENTS.iterdir() if p.is_dir() and p not in (target, ENVIRONMENTS / "locks")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in others[KEEP_ENVIRONMENTS - 1 :]:
        try:
            with RunLock(_lock_folder(old), timeout=0):  # never one another verify is using
                shutil.rmtree(old, ignore_errors=True)
        except LockHeld:
            continue
    return target


def _lock_folder(environment: Path) -> Path:
    """Where a verify holds its lock on an environment: beside it, never inside it.

    uv takes a lock of its own on ``<environment>/.lock`` while it syncs; a lock there
    would make uv wait for the verify that is waiting for uv.
    """
    return environment.parent / "locks" / environment.name


def build_environment(code: Path, venv: Path, log, python_version: str | None = None) -> Path:
    """The recorded lock's environment for ``code``, its kernel and catalogs; its Python.

    ``venv`` may hold the environment of an earlier verify of the same lock file: uv
    then only points the project's editable install at ``code``.
    """
    environment = os.environ | {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    started = time.perf_counter()
    pin = ["--python", python_version] if python_version else []
    if pin and _run([_uv(), "python", "find", python_version], env=environment).returncode != 0:
        raise CannotVerify(
            f"the run used Python {python_version}, which is not installed here; install it, or "
            "verify with --current-code (the answer then says so)"
        )
    done = _run(
        [_uv(), "sync", "--locked", "--quiet", "--compile-bytecode", "--project", str(code), *pin],
        env=environment,
        cwd=code,
    )
    if done.returncode != 0:
        raise CannotVerify(f"the recorded environment could not be built: {done.stderr.strip()[-500:]}")
    python = venv / "bin" / "python"
    here = os.environ | {"INCLUSION_REPORT_ROOT": str(code)}
    for command in (
        [str(python), "-m", "helpers.runner.kernels"],
        *(
            [str(python), "-m", "helpers.i18n", "compile", str(po), str(po.with_suffix(".mo"))]
            for po in sorted((code / "src" / "helpers" / "locale").glob("*/LC_MESSAGES/messages.po"))
        ),
    ):
        step = _run(command, env=here, cwd=code)
        if step.returncode != 0:
            raise CannotVerify(f"preparing the rebuilt code failed: {' '.join(command)}: {step.stderr.strip()[-300:]}")
    log(f"verify: environment from the recorded lock ready ({time.perf_counter() - started:.1f} s)")
    return python


def check_inputs(manifest: dict, roots: list[Path]) -> dict[str, Path]:
    """Each recorded input, found with its recorded SHA-256 under one of ``roots``; role → file.

    Raises :class:`CannotVerify` naming every input that is missing or changed, with the
    hash it should have.
    """
    found, problems = {}, []
    for role, entry in manifest.get("provenance", {}).get("inputs", {}).items():
        recorded = Path(entry["path"])
        places = [recorded] if recorded.is_absolute() else [root / recorded for root in roots]
        matching = [p for p in places if p.is_file() and records.sha256(p) == entry["sha256"]]
        if matching:
            found[role] = matching[0]
            continue
        state = "changed since the run" if any(p.is_file() for p in places) else "missing"
        problems.append(f"{role} {entry['path']} is {state} (expected SHA-256 {entry['sha256']})")
    if problems:
        raise CannotVerify("the run's inputs are not all there as they were: " + "; ".join(problems))
    return found


def place_inputs(manifest: dict, inputs: dict[str, Path], code: Path) -> None:
    """Put each recorded input where the re-executed run will look for it.

    An input recorded by a path inside the project but found only in the user's tree (a
    file git does not track, such as a synthetic table) is copied to the same path in the
    checkout, so the parameters, and the report's appendix, stay exactly as recorded.
    Copies go only inside the checkout (the scratch folder): a recorded path that would
    lead out of it (through "..", which the manifest's schema refuses, or a link in the
    checked-out tree) is refused, never copied to.
    """
    inside = code.resolve()
    for role, file in inputs.items():
        recorded = Path(manifest["provenance"]["inputs"][role]["path"])
        if recorded.is_absolute():
            continue  # read in place, where it is
        target = code / recorded
        if not target.resolve().is_relative_to(inside) or ".." in recorded.parts:
            raise CannotVerify(
                f"{role} {recorded} would be placed outside the scratch checkout; nothing is copied there"
            )
        if target.resolve() != file.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)


def typst_made(manifest: dict) -> bool:
    """Whether the run's PDFs were made by Typst: its code re-runs a run as itself, byte for byte."""
    return str(manifest.get("export", {}).get("pdf") or "").startswith("typst")


def rerun_command(
    python: Path, manifest: dict, inputs: dict[str, Path], scratch: Path, *, as_run: bool | None = None
) -> list[str]:
    """``inclusion-report run`` with the recorded parameters, config and formats, into ``scratch``.

    With ``as_run`` (by default, when the run's PDFs were made by Typst, whose code knows
    the option) the re-execution takes the recorded run's id and start.
    """
    from helpers.runner.grid import cli_text

    command = [
        str(python), "-m", "helpers.runner.cli", "run", "--force",
        "--reports-dir", str(scratch / "reports"),
        "--processed-dir", str(scratch / "processed"),
    ]  # fmt: skip
    if (typst_made(manifest) if as_run is None else as_run) and manifest.get("run_id") and manifest.get("started"):
        command += ["--as-run", manifest["run_id"], manifest["started"]]
    if "pdf" not in manifest.get("export", {}).get("formats", ["pdf"]):
        command.append("--no-pdf")
    if "config" in inputs:  # the recorded config file (a grid variant's own, say)
        command += ["--config", manifest["provenance"]["inputs"]["config"]["path"]]
    for name, value in manifest.get("parameters", {}).items():
        if name not in RUNNER_PARAMETERS:
            command += ["-p", name, cli_text(value)]
    return command


def _csv_differences(old: Path, new: Path, label: str = "recorded") -> list[str]:
    """The first differing cells of two CSVs: row (counted from the first data row), column, values."""
    with open(old, newline="", encoding="utf-8") as a, open(new, newline="", encoding="utf-8") as b:
        rows_a, rows_b = list(csv.reader(a)), list(csv.reader(b))
    if not rows_a or not rows_b or rows_a[0] != rows_b[0]:
        return ["the columns differ"]
    header, cells = rows_a[0], []
    for number, (row_a, row_b) in enumerate(zip(rows_a[1:], rows_b[1:], strict=False), start=1):
        for column, old_value, new_value in zip(header, row_a, row_b, strict=False):
            if old_value != new_value:
                cells.append(f"row {number}, {column}: {old_value} ({label}) vs {new_value} (now)")
    if len(rows_a) != len(rows_b):
        cells.append(f"{len(rows_a) - 1} rows {label}, {len(rows_b) - 1} now")
    return cells[:CELLS_SHOWN] + ([f"... {len(cells) - CELLS_SHOWN} more"] if len(cells) > CELLS_SHOWN else [])


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def report_words(path: Path) -> list[str]:
    """The words of a report in reading order: ``pdftotext -raw`` for a PDF, the text of an HTML.

    Words, not lines: a run id is printed in a proportional font, so another id can move
    a line break (and a hyphenation) further on; words hyphenated at a line end are joined.
    """
    if path.suffix == ".pdf":
        done = _run(["pdftotext", "-raw", str(path), "-"])
        if done.returncode != 0:
            raise CannotVerify(f"pdftotext could not read {path}: {done.stderr.strip()}")
        text = done.stdout
    else:
        parser = _Text()
        parser.feed(path.read_text(encoding="utf-8"))
        text = "\n".join(parser.parts)
    return re.sub(r"(\w)-\n(\w)", r"\1\2", text).split()


#: How many words after a run id may still be its date and time ("of 5 December 2026, 11:39 UTC").
DATE_WORDS = 8


def _masked(words: list[str], manifest: dict) -> tuple[list[str], int]:
    """``words`` with those naming the run set aside, and how many they were.

    Set aside: the run's id, its start time, and the date and time printed after its id
    (up to "UTC", within :data:`DATE_WORDS` words).
    """
    marks = [m for m in (manifest.get("run_id"), manifest.get("started")) if m]
    marks += [m[:10] for m in manifest.get("marks", [])]  # --current-code: the commits, by their prefix
    kept, aside, until = [], 0, -1
    for i, word in enumerate(words):
        if any(mark in word for mark in marks):
            kept.append("<run>")
            aside += 1
            window = words[i + 1 : i + 1 + DATE_WORDS]
            if "UTC" in window:
                until = i + 1 + window.index("UTC")
        elif i <= until:
            kept.append("<run>")
            aside += 1
        else:
            kept.append(word)
    return kept, aside


def compare(recorded_dir: Path, recorded: dict, new_dir: Path, new: dict) -> tuple[list[str], list[str]]:
    """What matches and what differs between a recorded run and its re-execution."""
    outputs = recorded.get("outputs", {})
    tables = sorted(name for name in outputs if name.startswith(TABLE_FOLDERS))
    differences, matches = [], []
    same = 0
    for name in tables:
        fresh, kept = new_dir / name, recorded_dir / name
        if not fresh.is_file():
            differences.append(f"{name}: not written by the re-execution")
            continue
        now_matches = records.sha256(fresh) == outputs[name]
        kept_matches = kept.is_file() and records.sha256(kept) == outputs[name]
        if now_matches and kept_matches:
            same += 1
            continue
        if not kept.is_file():  # deleted (or replaced by something else) after the run
            state = "matches" if now_matches else "does not match either"
            differences.append(
                f"{name}: missing from the run folder (the re-execution {state} the manifest's hash)"
            )
            continue
        if now_matches:  # the re-execution gives what the run recorded; the kept copy was edited
            cells = _csv_differences(kept, fresh, "kept") if name.endswith(".csv") else []
            differences.append(
                f"{name}: the copy in the run folder was changed after the run (the re-execution "
                f"matches the manifest's hash)" + (": " + "; ".join(cells) if cells else "")
            )
        elif kept_matches:
            cells = _csv_differences(kept, fresh, "recorded") if name.endswith(".csv") else []
            differences.append(f"{name} differs" + (": " + "; ".join(cells) if cells else ""))
        else:
            differences.append(
                f"{name} differs from the manifest's hash (no intact copy in the run folder to show cells)"
            )
    extra = sorted(
        p.relative_to(new_dir).as_posix()
        for folder in TABLE_FOLDERS
        for p in (new_dir / folder).rglob("*")
        if p.is_file() and p.relative_to(new_dir).as_posix() not in outputs
    )
    differences += [f"{name}: written now, not by the recorded run" for name in extra]
    matches.append(f"{same} of {len(tables)} tables byte-identical")
    reports = sorted(n for n in outputs if n.startswith("report") and n.endswith(".pdf"))
    if reports and typst_made(recorded) and not recorded.get("marks"):
        return matches + _compare_bytes(recorded_dir, recorded, new_dir, reports, differences), differences
    if not reports:
        reports = sorted(n for n in outputs if n.startswith("report") and n.endswith(".html"))
    aside = 0
    for name in reports:
        if not (recorded_dir / name).is_file() or records.sha256(recorded_dir / name) != outputs[name]:
            differences.append(f"{name}: the recorded report is gone or altered, its text cannot be compared")
            continue
        old, old_aside = _masked(report_words(recorded_dir / name), recorded)
        now, now_aside = _masked(report_words(new_dir / name), new)
        aside = max(aside, old_aside, now_aside)
        if old != now:
            first = next(
                (i for i, (a, b) in enumerate(zip(old, now, strict=False)) if a != b), min(len(old), len(now))
            )
            before = " ".join(old[max(0, first - 4) : first])
            differences.append(
                f"{name}: text differs at word {first + 1}, after '{before}': "
                f"'{' '.join(old[first : first + 6])}' (recorded) vs '{' '.join(now[first : first + 6])}' (now)"
            )
    if reports and not any(d.startswith("report") for d in differences):
        kind = "PDF text" if reports[0].endswith(".pdf") else "HTML text"
        matches.append(
            f"report text identical ({kind} of {', '.join(reports)}, word for word; {aside} word(s) "
            "naming the run, its id and start time, set aside)"
        )
    return matches, differences


def _compare_bytes(recorded_dir: Path, recorded: dict, new_dir: Path, reports: list[str], differences: list[str]):
    """Each report PDF byte for byte: its match, or its difference (with the first differing word, if any)."""
    outputs, matches = recorded["outputs"], []
    for name in reports:
        fresh = new_dir / name
        if not fresh.is_file():
            differences.append(f"{name}: not written by the re-execution")
        elif records.sha256(fresh) == outputs[name]:
            matches.append(f"{name}: byte-identical")
        elif not (recorded_dir / name).is_file() or records.sha256(recorded_dir / name) != outputs[name]:
            differences.append(f"{name}: not byte-identical, and the recorded report is gone or altered")
        else:
            old, new = (recorded_dir / name).read_bytes(), fresh.read_bytes()
            offset = next(
                (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new))
            )
            words = ""
            try:  # where the text differs, if pdftotext can read both (a help, not the verdict)
                before, after = report_words(recorded_dir / name), report_words(fresh)
            except (CannotVerify, OSError):
                before = after = None
            if before is not None:
                first = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), None)
                if first is None and len(before) == len(after):
                    words = "; its text is the same word for word"
                else:
                    first = min(len(before), len(after)) if first is None else first
                    words = (
                        f"; its text differs at word {first + 1}: '{' '.join(before[first : first + 6])}' "
                        f"(recorded) vs '{' '.join(after[first : first + 6])}' (now)"
                    )
            differences.append(f"{name}: not byte-identical (first difference at byte {offset}){words}")
    return matches


#: How long a verify waits for another verify using the same environment.
ENVIRONMENT_WAIT = 1800.0
#: How long a stopped re-execution gets to shut its kernels down.
STOP_SECONDS = 60.0


def _environment_lock(folder: Path, log) -> RunLock:
    """The lock on a verify environment; a verify that has to wait says for what and whom."""

    def waiting(holder: str) -> None:
        log(
            f"verify: waiting for another verify using the environment {paths.display_path(folder)} "
            f"({holder}) to finish, up to {ENVIRONMENT_WAIT / 60:.0f} min"
        )

    return _WaitingLock(_lock_folder(folder), timeout=ENVIRONMENT_WAIT, waiting=waiting)


class _WaitingLock(RunLock):
    """A :class:`RunLock` whose timeout is a verify's refusal, not a run's."""

    def __enter__(self) -> RunLock:
        try:
            return super().__enter__()
        except LockHeld:
            raise CannotVerify(
                f"another verify used the same environment for more than {self.timeout / 60:.0f} min; "
                "try again later"
            ) from None


def _commit_of(manifest: dict) -> str | None:
    return manifest.get("provenance", {}).get("git", {}).get("commit")


def _rerun(command: list[str], code: Path) -> int:
    """Run the re-execution; on Ctrl-C or SIGTERM stop it in order (SIGTERM, then a grace period)."""
    environment = os.environ | {"INCLUSION_REPORT_ROOT": str(code)}
    child = subprocess.Popen(command, cwd=code, env=environment, stdout=subprocess.DEVNULL)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGTERM)  # the run shuts its kernels down and marks itself failed
        try:
            child.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise


def verify(options: VerifyOptions) -> Verdict:
    """Verify a past run (see the module's docstring); raise on a difference or a refusal."""
    from helpers.runner.log import RunLog

    log = options.log or RunLog()
    reports_dir = paths.resolve(options.reports_dir)
    run_dir = find_run(reports_dir, options.run)
    try:  # the manifest is data: a regular JSON file of the right shape, or nothing is used
        manifest = records.read_manifest(run_dir / "manifest.json")
    except records.Unreadable as exc:
        raise CannotVerify(f"the manifest of run {options.run!r} cannot be used: {exc}") from None
    run_id = manifest["run_id"]
    if manifest.get("status") != "succeeded":
        raise CannotVerify(f"run {run_id} did not succeed (status {manifest.get('status')!r}); nothing to verify")
    if manifest.get("only"):
        raise CannotVerify(f"run {run_id} was a partial run (--only); verify a whole run")
    if not manifest.get("outputs"):
        raise CannotVerify(f"run {run_id} records no outputs in its manifest; there is nothing to compare")
    problem = records.schema_problem(manifest, records.VERIFY_SCHEMA)
    if problem:  # before anything it names is used: a commit, a Python version, a path
        shown = paths.display_path(run_dir / "manifest.json")
        raise CannotVerify(f"the manifest of run {run_id} cannot be used: {shown}: {problem}")
    needed = ["git"] if not options.current_code else []
    if any(name.endswith(".pdf") for name in manifest["outputs"]) and (
        options.current_code or not typst_made(manifest)
    ):  # the text of PDFs compared, not their bytes
        needed.append("pdftotext")
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        raise CannotVerify(f"verify needs {', '.join(missing)}, not found on the PATH (make setup installs them)")
    git = manifest.get("provenance", {}).get("git", {})
    commit = git.get("commit")
    if not options.current_code and (not commit or git.get("dirty") is not False):
        why = "from a tree with uncommitted changes" if commit else "outside a git checkout"
        raise CannotVerify(
            f"run {run_id} was made {why} (commit {commit or 'unknown'}), so its code cannot be "
            f"rebuilt from a commit. To check it with the code and environment as they are now: "
            f"inclusion-report verify {run_id} --current-code"
        )
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="inclusion-verify-"))
    try:
        if options.current_code:
            code, python = paths.PROJECT_ROOT, Path(sys.executable)
            log(f"verify {run_id}: with the code and environment as they are now (--current-code)")
        else:
            log(f"verify {run_id}: rebuilding commit {commit[:12]} in {scratch}")
            code = scratch / "code"
            checkout_commit(commit, code)
            lock = code / "uv.lock"
            if not lock.is_file() or records.sha256(lock) != manifest["provenance"].get("lock_sha256"):
                raise CannotVerify(f"the lock file of commit {commit[:12]} is not the one run {run_id} recorded")
        roots = [code, paths.PROJECT_ROOT] if code != paths.PROJECT_ROOT else [code]
        inputs = check_inputs(manifest, roots)  # before the environment: a missing input stops at once
        with contextlib.ExitStack() as held:
            if not options.current_code:
                folder = environment_for(manifest["provenance"]["lock_sha256"])
                held.enter_context(_environment_lock(folder, log))  # one verify at a time per environment
                python = build_environment(
                    code, folder, log, python_version=manifest["provenance"].get("python")
                )
            if not options.current_code:  # never into the user's own tree
                place_inputs(manifest, inputs, code)
            log(f"verify {run_id}: {len(inputs)} input(s) as recorded; re-executing the run")
            # the current code knows --as-run whatever made the run; a recorded commit, if it made Typst PDFs
            command = rerun_command(python, manifest, inputs, scratch, as_run=options.current_code or None)
            code_run = _rerun(command, code)
        if code_run in (3, 4):  # the same inputs now fail the data check or a notebook
            raise NotReproduced(f"NOT reproduced: run {run_id}: the re-execution failed with exit code {code_run}")
        if code_run != 0:
            raise CannotVerify(
                f"run {run_id}: the re-execution could not finish (exit code {code_run}; see its "
                "messages above), so nothing was compared"
            )
        new_dir = (scratch / "reports" / "latest").resolve()
        new_manifest = json.loads((new_dir / "manifest.json").read_text())
        if options.current_code:  # the code is, by request, not the run's own: its commit is set aside
            for record in (manifest, new_manifest):
                record["marks"] = [c for c in (git.get("commit"), _commit_of(new_manifest)) if c]
        matches, differences = compare(run_dir, manifest, new_dir, new_manifest)
        how = "with the current code, not the run's own" if options.current_code else f"from commit {commit[:12]}"
        seconds = time.perf_counter() - started
        if differences:
            lines = [f"NOT reproduced: run {run_id} re-executed {how} ({seconds:.0f} s); what differs:"]
            lines += [f"  {d}" for d in differences] + [f"  (matched: {'; '.join(matches)})"]
            raise NotReproduced("\n".join(lines))
        line = f"reproduced: {', '.join(matches)} (run {run_id}, re-executed {how}, {seconds:.0f} s)"
        print(line)
        return Verdict(run_id, True, [line])
    finally:
        if options.keep_scratch:
            log(f"verify: scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
