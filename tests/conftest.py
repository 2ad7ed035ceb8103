"""Shared fixtures: the published table as text, temporary raw files, a seeded generator."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from helpers import paths  # noqa: E402

#: The article's table, typed again here by hand (independently of data/raw/) as
#: (city, employment %, training, businesses, events, health %, psychological support).
ARTICLE_TABLE = [
    ("Milano", 25, 1000, 50, 1000, 90, 500),
    ("Bologna", 70, 700, 20, 10000, 85, 500),
    ("Torino", 30, 500, 30, 300, 80, 300),
    ("Firenze", 40, 600, 15, 2000, 75, 200),
    ("Napoli", 50, 800, 25, 5000, 70, 400),
    ("Roma", 45, 900, 35, 6000, 85, 450),
    ("Genova", 35, 400, 20, 1500, 80, 300),
    ("Palermo", 55, 700, 20, 4000, 75, 350),
    ("Bari", 60, 500, 25, 2500, 70, 200),
    ("Verona", 50, 600, 30, 3000, 85, 250),
]
CANONICAL = [
    "city",
    "employment_rate_increase_pct",
    "training_participants",
    "new_businesses",
    "community_event_participants",
    "health_service_access_pct",
    "psychological_support_people",
]

#: A made-up seventh indicator, written as a field of ``datapackage.json`` is: the tests of
#: "indicators by data alone" add it to a copy of the codebook and expect no code to need an edit.
LANGUAGE_FIELD = {
    "name": "Ore di Corso di Lingua",
    "canonical_name": "language_course_hours",
    "title": "Hours of language courses",
    "short_title": "Language courses",
    "description": "Made up for the tests: hours of Italian-language courses given.",
    "type": "integer",
    "groupChar": ".",
    "unit": "hours",
    "role": "input",
    "constraints": {"required": True, "minimum": 0},
    # its words for the Italian report: data too (the title defaults to the original label)
    "translations": {
        "it": {
            "short_title": "Corsi di lingua",
            "unit": "ore",
            "unit_singular": "ora",
            "description": "Inventato per i test: ore di corsi di lingua italiana erogate.",
        }
    },
}
#: Its values for the cities of :data:`ARTICLE_TABLE`, in the same order.
LANGUAGE_HOURS = [1200, 950, 640, 780, 1100, 1450, 520, 870, 610, 730]


def package_with(field: dict, target: Path) -> Path:
    """Write the project's ``datapackage.json`` with ``field`` added last to the table's fields."""
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    package["resources"][0]["schema"]["fields"].append(field)
    target.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def wait_until(condition, *, timeout: float = 60.0, what: str = "the condition") -> None:
    """Wait for an event (``condition()`` true), polling; fail after ``timeout`` seconds.

    Tests wait on what they need to see, never assert how long something took.
    """
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def required(present: object, reason: str) -> None:
    """Skip a test whose tool or privilege is missing; under ``CI=true`` fail it instead.

    On a developer's machine a missing Chromium or a missing privilege is a
    reason to skip; on the project's CI machine, which ``make test`` equips, it
    means a required test did not run, and that must not pass silently.
    """
    if present:
        return
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"required on CI, not available: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def raw_text() -> str:
    """The raw file's text, exactly as committed."""
    return paths.RAW_TABLE.read_text(encoding="utf-8")


@pytest.fixture
def write_raw(tmp_path: Path):
    """Write a variant of the raw file and return its path."""

    def _write(text: str | bytes, name: str = "table.tsv") -> Path:
        target = tmp_path / name
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8", newline="")
        return target

    return _write


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator (tests must be repeatable)."""
    return np.random.default_rng(20240529)


def shared_scope(fixture_name: str, config) -> str:
    """The scope of a fixture shared by a module's tests: the module, except while mutmut maps tests.

    mutmut runs, for each mutant, only the tests that called the mutated function
    while it collected its statistics (``MUTANT_UNDER_TEST=stats``). A module
    fixture calls the function once, inside the first test that uses it, so every
    other test that checks its result would never run against that function's
    mutants. During that collection each test builds the fixture itself.
    """
    return "function" if os.environ.get("MUTANT_UNDER_TEST") == "stats" else "module"


#: ``checks_of`` under a mutant of inference or stats: (mutant, data and fits) -> its checks.
_CHECKS_OF_MUTANT: dict = {}


def checks_of(data, fits):
    """``inference.checks(data, fits)``, computed once per machine for mutants of other modules.

    The checks (an exact permutation test over 10! orderings, the wild bootstrap, ...)
    take seconds, and the module fixtures of several test files need them, so under
    mutmut they made most of the time spent on each mutant. While mutmut tests a mutant
    of a module other than ``helpers.inference`` and ``helpers.stats`` (the only code
    the checks run), the checks of the same data and fits are the original code's, so
    they are read from a cache keyed by the data, the fits and the source of those two
    modules. Under a mutant of those modules, and in a plain test run or mutmut's clean run
    (no mutant), they are computed once per pytest process for each data and fits (the three
    test files that need them share them; each caller gets a copy). While mutmut collects
    its statistics, and in its forced-failure run, they are computed each time, so that every
    test that reads them is seen to call the two modules.
    """
    import hashlib
    import pickle
    import tempfile

    from helpers import inference, stats

    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    key = hashlib.sha256()
    for part in (data.to_csv(), fits.to_csv()):
        key.update(part.encode())
    if mutant in ("stats", "fail"):
        return inference.checks(data, fits)
    if not mutant or mutant.startswith(("helpers.inference.", "helpers.stats.")):
        # the code's own checks (a mutant's, or the plain code's), once per process, not once per test file
        memo = (mutant, key.hexdigest())
        if memo not in _CHECKS_OF_MUTANT:
            _CHECKS_OF_MUTANT[memo] = inference.checks(data, fits)
        return _CHECKS_OF_MUTANT[memo].copy()
    for module in (inference, stats):
        key.update(Path(module.__file__).read_bytes())
    cached = Path(tempfile.gettempdir()) / "inclusion-report-mutmut" / f"checks-{key.hexdigest()}.pkl"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    result = inference.checks(data, fits)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(pickle.dumps(result))
    partial.replace(cached)  # whole or absent, whichever worker writes it
    return result


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


#: A city name that is HTML, LaTeX and Markdown at once; it must print literally everywhere.
HOSTILE_CITY = r"R&D <b>x</b> 50%_{y} \input{/etc/hostname} ~^# *md* 😀"
#: A 300-character city name (rule H01).
LONG_CITY = ("Comune di " + "Lunghissimo " * 30)[:300].strip()
#: A claim text that is HTML, LaTeX and a shell command at once (rule H02).
HOSTILE_CLAIM = r"Start-ups <script>alert(1)</script> \write18{touch /tmp/pwned} 100% & co_x ^ ~ 😀"


#: What a copy of the project needs to run (the package itself is installed from src/).
PROJECT_PARTS = ("data/raw", "config", "notebooks", "docs")


def copy_project(root: Path) -> Path:
    """Copy the project's data, config, notebooks and docs to ``root`` (for INCLUSION_REPORT_ROOT)."""
    for part in PROJECT_PARTS:
        shutil.copytree(paths.PROJECT_ROOT / part, root / part)
    return root


def plant_cell(notebook: Path, source: str, cell_id: str, at: int = 4) -> None:
    """Insert a code cell into a notebook file (to make it fail or kill its kernel)."""
    nb = json.loads(notebook.read_text())
    cell = {"cell_type": "code", "id": cell_id, "metadata": {}, "execution_count": None}
    nb["cells"].insert(at, cell | {"outputs": [], "source": source})
    notebook.write_text(json.dumps(nb))


def as_if_in_the_foreground() -> None:
    """In a child before it runs: SIGINT as a program started at a terminal has it.

    A test run started in the background (``make test &``, or by a script without job
    control) inherits SIGINT ignored, and Python keeps ignoring what it inherits, as a
    background job should; the tests of Ctrl-C give the program the disposition it has
    at a terminal. Pass as ``preexec_fn`` (POSIX).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(*args, env=None, cwd=None):
    """Run ``inclusion-report run`` in a subprocess, as cron would."""
    return subprocess.run(
        [sys.executable, "-m", "helpers.runner.cli", "run", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=900,
    )


def _build(base: Path, *extra: str, env: dict | None = None) -> dict:
    reports, processed = base / "reports", base / "processed"
    # run from another working directory: paths must not depend on it
    result = run_cli(
        "--reports-dir", str(reports), "--processed-dir", str(processed), *extra, cwd=str(base), env=env
    )
    return {
        "result": result,
        "reports": reports,
        "processed": processed,
        "latest": reports / "latest",
        "base": base,
    }


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The whole pipeline on the real data, into temporary folders (slow: once per session)."""
    return _build(tmp_path_factory.mktemp("e2e"))


#: What a file planted beside the data holds: it must never reach a report (rule H03).
CANARY = "CANARY-7f3a-never-printed"
#: Markup of every format a report passes through (rule H03); each text field of the codebook
#: and each text column of the claims gets one, in turn, so every payload reaches several.
PAYLOADS = (
    '<img src=x onerror="window.pwned=1">',
    '<svg onload="window.pwned=1"></svg>',
    "<script>window.pwned=1</script>",
    "[x](javascript:window.pwned=1)",
    r"\input{canary.txt}",
    '#read("canary.txt")',
    '#import "canary.typ": *',
    "{{ 7*191 }}",
    "{% if 1 %}jinja ran{% endif %}",
    "*md* __bold__ `code`",
)
#: The texts of a codebook field a reader sees (in English and in each translation).
CODEBOOK_TEXTS = ("title", "short_title", "phrase", "description", "open_questions", "caveat")
#: The claims' columns of free text (the others are codes the audit checks).
CLAIM_TEXTS = ("programme", "claim", "quote_it", "location")


def plant_payloads(root: Path) -> list[tuple[str, str]]:
    """Append :data:`PAYLOADS` to every reader-facing text of the codebook and claims under ``root``.

    Returns ``(where, payload)`` for each text changed. A canary file sits beside the data
    and the notebooks: a payload that ran would print :data:`CANARY`.
    """
    planted, turn = [], iter(range(10**6))

    def payload() -> str:
        return PAYLOADS[next(turn) % len(PAYLOADS)]

    for folder in (root, root / "data" / "raw", root / "notebooks"):
        (folder / "canary.txt").write_text(CANARY + "\n", encoding="utf-8")
        (folder / "canary.typ").write_text(f"#let x = [{CANARY}]\n", encoding="utf-8")
    codebook = root / "data" / "raw" / "datapackage.json"
    package = json.loads(codebook.read_text(encoding="utf-8"))
    for field in package["resources"][0]["schema"]["fields"]:
        for texts, where in [(field, "en"), *((t, lang) for lang, t in field.get("translations", {}).items())]:
            for key in CODEBOOK_TEXTS:
                if isinstance(texts.get(key), str):
                    texts[key] = f"{texts[key]} {payload()}"
                    planted.append((f"codebook {field['canonical_name']} {key} ({where})", texts[key]))
    codebook.write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")
    claims = root / "data" / "raw" / "article_claims.tsv"
    lines = claims.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        cells = line.split("\t")
        for column in CLAIM_TEXTS:
            i = header.index(column)
            if cells[i]:
                cells[i] = f"{cells[i]} {payload()}"
                planted.append((f"claims {cells[0]} {column}", cells[i]))
        rows.append("\t".join(cells))
    claims.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    return planted


#: Cities in :func:`synthetic_built`: above every size at which the report switches to cut tables
#: and binned figures, and above the exact limit of the permutation tests (10).
SYNTHETIC_N = 500


@pytest.fixture(scope="session")
def synthetic_built(tmp_path_factory):
    """The whole pipeline on :data:`SYNTHETIC_N` made-up municipalities, English only (slow: once).

    Its ``latest`` folder, read by the synthetic report's tests and the appendix's.
    """
    from helpers import synthetic

    base = tmp_path_factory.mktemp("synthetic")
    table = synthetic.write(base / f"municipalities_{SYNTHETIC_N}.tsv", SYNTHETIC_N, seed=11)
    result = _build(base, "-p", "raw_data_path", str(table), "-p", "languages", '["en"]')["result"]
    assert result.returncode == 0, result.stderr
    return base / "reports" / "latest"


@pytest.fixture(scope="session")
def hostile_built(tmp_path_factory):
    """The whole pipeline with Milano renamed to :data:`HOSTILE_CITY`, in a copy of the project
    whose codebook and claims carry :data:`PAYLOADS` in every text a reader sees."""
    base = tmp_path_factory.mktemp("hostile")
    root = copy_project(base / "project")
    planted = plant_payloads(root)
    raw = base / "hostile.tsv"
    text = paths.RAW_TABLE.read_text(encoding="utf-8")
    raw.write_text(
        text.replace("Milano\t", HOSTILE_CITY + "\t").replace("Verona\t", LONG_CITY + "\t"),
        encoding="utf-8",
    )
    claims = base / "claims.tsv"
    claims.write_text(
        (root / "data" / "raw" / "article_claims.tsv")
        .read_text(encoding="utf-8")
        .replace(
            "New businesses started by immigrants (the text says start-ups in the food and technology sectors)",
            HOSTILE_CLAIM,
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "INCLUSION_REPORT_ROOT": str(root)}
    built = _build(base, "-p", "raw_data_path", str(raw), "-p", "claims_path", str(claims), env=env)
    return built | {"planted": planted, "root": root}


#: The grid of ``grid_built``: three scales of the inputs, and a variant whose table is broken.
GRID_TOML = """
name = "four"
[parameters]
languages = ["en"]
[grid]
input_scale = ["count", "per_10k_residents", "log"]
[[variant]]
name = "broken"
raw_data_path = "{broken}"
"""


@pytest.fixture(scope="session")
def grid_built(tmp_path_factory):
    """A grid of four variants on a local cluster of two workers, one failing (slow: once)."""
    base = tmp_path_factory.mktemp("grid")
    broken = base / "broken.tsv"
    broken.write_text(
        paths.RAW_TABLE.read_text(encoding="utf-8").replace("Bologna\t70\t", "Bologna\t70\t1.5\t"),
        encoding="utf-8",
    )
    grid_file = base / "grid.toml"
    grid_file.write_text(GRID_TOML.format(broken=broken), encoding="utf-8")
    reports = base / "reports"
    command = [
        sys.executable, "-m", "helpers.runner.cli", "grid", str(grid_file),
        "--workers", "2", "--reports-dir", str(reports), "--no-pdf",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200, cwd=str(base))
    return {
        "result": result,
        "command": command,
        "grid_dir": reports / "grid" / "four",
        "reports": reports,
    }
