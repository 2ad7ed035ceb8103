"""Printed = computed: every number a reviewer reads in a table, and the findings, against the CSVs.

The reviewer HTML's tables are real HTML tables; each cell is parsed back to a
number and compared with the value in the run's CSV at the precision it is
shown with (``0.815`` stands for anything within 0.0005 of it). The notable pair's
numbers and the power figures are looked for, word for word, in the HTML and in
the PDF's text, written here from the CSVs.
"""

from __future__ import annotations

import html
import re
import subprocess
import unicodedata

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from .conftest import shared_scope

pytestmark = pytest.mark.slow


def read(built, name: str) -> pd.DataFrame:
    table = pd.read_csv(built["latest"] / "tables" / name, keep_default_na=False, na_values=[""])
    text = table.select_dtypes(exclude="number").columns
    return table.assign(**{c: table[c].fillna("") for c in text})


@pytest.fixture(scope=shared_scope)
def tables(built):
    """Each numbered table of report.html: label -> (header, rows of cell texts)."""
    soup = BeautifulSoup((built["latest"] / "report.html").read_text(), "html.parser")
    found = {}
    for table in soup.find_all("table"):
        caption = table.find("caption")
        label = re.match(r"Table ((?:A\.)?\d+)\.", caption.get_text(" ", strip=True)) if caption else None
        if label:
            header = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
            rows = [
                [td.get_text(strip=True) for td in tr.find_all("td")]
                for tr in table.find("tbody").find_all("tr")
            ]
            found[label[1]] = (header, rows)
    return found


def column(tables, label: str, name: str) -> list[str]:
    header, rows = tables[label]
    return [row[header.index(name)] for row in rows]


def number(text: str) -> tuple[float, int]:
    """A shown number and its decimals: '−1.68' -> (-1.68, 2), '10,000' -> (10000, 0)."""
    text = text.replace("\u2212", "-").replace(",", "").replace("\u00a0", "").strip()
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), decimals


def shows(text: str, value: float) -> bool:
    """Whether ``text`` is ``value`` at the precision it is printed with."""
    text = text.replace("\u00a0", " ").strip()
    if text.startswith("<"):
        return value < number(text[1:])[0]
    if text.endswith("%"):
        shown, decimals = number(text[:-1])
        return abs(value * 100 - shown) <= 0.5 * 10**-decimals + 1e-9
    shown, decimals = number(text)
    return abs(value - shown) <= 0.5 * 10**-decimals * (1 + 1e-9) + 1e-12


def check(cells: list[str], values, what: str) -> None:
    values = list(values)
    assert len(cells) == len(values), what
    for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
        assert shows(cell, value), f"{what}, row {i + 1}: shows {cell!r}, the CSV has {value!r}"


def check_interval(cells: list[str], lows, highs, what: str) -> None:
    pieces = [cell.replace("\u00a0", " ").split(" to ") for cell in cells]
    check([p[0] for p in pieces], lows, what + " (low)")
    check([p[1] for p in pieces], highs, what + " (high)")


def test_the_check_itself_can_fail():
    assert shows("0.815", 0.8149) and not shows("0.815", 0.8144)
    assert shows("\u22120.68", -0.6827) and not shows("\u22120.68", 0.6827)
    assert shows("10,000", 10_000) and shows("<\u00a00.001", 0.0004) and not shows("< 0.001", 0.002)
    assert shows("33%", 0.327) and not shows("33%", 0.34)


def by_strength(built) -> pd.DataFrame:
    """findings.csv in the order the document lists the pairs: strongest verdict, then primary p."""
    from helpers import findings

    return findings.order(read(built, "findings.csv")).reset_index(drop=True)


def test_descriptive_table_prints_the_csv(built, tables):
    csv = read(built, "descriptive_statistics.csv")
    for name in ("n", "Mean", "SD", "Min", "Median", "Max"):
        check(column(tables, "A.2", name), csv[name.lower()], f"Table A.2, {name}")


def test_results_table_prints_the_csv(built, tables):
    found = by_strength(built)
    check(column(tables, "1", "r"), found.r, "Table 1, r")
    check_interval(column(tables, "1", "95% interval"), found.r_ci_low, found.r_ci_high, "Table 1, interval of r")
    adjusted = column(tables, "1", "Adjusted p")
    check(adjusted, found.p_adjusted, "Table 1, adjusted p")
    for cell, value in zip(adjusted, found.p_adjusted, strict=True):  # two significant figures
        if not cell.startswith("<"):
            digits = cell.replace(".", "").lstrip("0")
            assert len(digits) == 2 or (value >= 0.995 and cell == "1.00"), cell
    assert column(tables, "1", "Verdict") == list(found.verdict)
    notes = column(tables, "1", "Note")
    for note, row in zip(notes, found.itertuples(index=False), strict=True):
        if row.borderline:  # its range across methods, in words
            assert note == f"borderline: {row.p_adjusted_min:.3f} to {row.p_adjusted_max:.3f} across methods"
        else:
            assert "borderline" not in note


def test_checks_table_prints_the_csv(built, tables):
    fits = read(built, "simple_regressions.csv")
    found = by_strength(built)
    fits = fits.set_index(["outcome", "predictor"]).loc[list(zip(found.outcome, found.predictor, strict=True))]
    check(column(tables, "A.4", "p"), fits.p_permutation, "Table A.4, p")
    check(column(tables, "A.4", "maxT"), fits.p_westfall_young, "Table A.4, maxT")
    check(column(tables, "A.4", "minP"), fits.p_westfall_young_minp, "Table A.4, minP")
    check(column(tables, "A.4", "Holm"), fits.p_holm, "Table A.4, Holm")
    check(column(tables, "A.4", "Classic t"), fits.p_value, "Table A.4, classic t")
    hc2 = [re.match(r"(.+) \((.+)\)", cell).groups() for cell in column(tables, "A.4", "HC2 (df)")]
    check([p for p, _ in hc2], fits.p_value_hc2_bm, "Table A.4, p HC2")
    check([df for _, df in hc2], fits.df_bell_mccaffrey, "Table A.4, Bell-McCaffrey df")
    check(column(tables, "A.4", "Rank"), fits.spearman_p_exact, "Table A.4, rank")
    check(column(tables, "A.4", "Wild"), fits.p_wild_bootstrap, "Table A.4, wild")


def test_cities_table_prints_the_clean_data_and_marks_the_doubted_cells(built, tables):
    clean = pd.read_csv(built["latest"] / "data" / "inclusione_attiva_clean.csv")
    claims = read(built, "claims_check.csv")
    doubted = {(r.city, r.field) for r in claims.itertuples(index=False) if r.direction == "up"}
    header, rows = tables["2"]
    assert [row[0] for row in rows] == list(clean.city)
    for j, field in enumerate(clean.columns[1:], start=1):
        cells = [row[j] for row in rows]
        check([c.removesuffix("\u2020").strip() for c in cells], clean[field], f"Table 2, {field}")
        marked = {(city, field) for city, cell in zip(clean.city, cells, strict=True) if cell.endswith("\u2020")}
        assert marked == {d for d in doubted if d[1] == field}, field


def test_claims_table_prints_the_csv(built, tables):
    claims = read(built, "claims_check.csv")
    shown = column(tables, "A.3", "Table")
    for cell, value, claim in zip(shown, claims.table_value, claims.claim_id, strict=True):
        assert (cell == "") if pd.isna(value) else shows(cell, value), claim
    for cell, value, claim in zip(column(tables, "A.3", "Text"), claims.number, claims.claim_id, strict=True):
        assert (cell == "") if pd.isna(value) or value == "" else shows(cell.removeprefix("over "), value), claim
    assert column(tables, "A.3", "Check") == list(claims.status)


def flat(text: str) -> str:
    """Text as both documents print it, compared without spaces, hyphens and typographic variants."""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    return re.sub(r"[\s\-\u00ad]+", "", text)


@pytest.fixture(scope=shared_scope)
def documents(built):
    soup = BeautifulSoup((built["latest"] / "report.html").read_text(), "html.parser")
    pdf = subprocess.run(
        ["pdftotext", str(built["latest"] / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # a sentence may run over a page break: drop the page numbers that end each page
    pdf = re.sub(r"\n\s*\d+\s*\n*\f", "\n", pdf)
    return {"html": flat(soup.get_text(" ")), "pdf": flat(pdf)}


@pytest.fixture(scope=shared_scope)
def pdf_lines(built):
    """The PDF's text with its layout: a table row is one line, its cells side by side."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(built["latest"] / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [flat(line) for line in text.splitlines()]


def _signed(x: float, decimals: int = 2) -> str:
    return f"{x:.{decimals}f}".replace("-", "\u2212")


def test_the_notable_pair_is_printed_with_its_numbers(built, documents):
    found = by_strength(built)
    notable = found[found.p_primary < 0.05]
    assert len(notable) >= 1
    for row in notable.itertuples(index=False):
        expected = [
            f"r = {_signed(row.r)} (95% CI {_signed(row.r_ci_low)} to {_signed(row.r_ci_high)}, n = {row.n})",
            f"primary permutation test of p = {row.p_primary:.3f}",
            f"gives p = {row.p_adjusted:.3f}",
            f"n = {int(row.n_without_flagged)})",
        ]
        if row.borderline:
            expected.append(f"the adjusted p runs from {row.p_adjusted_min:.3f} to {row.p_adjusted_max:.3f}")
        for phrase in expected:
            for name, text in documents.items():
                assert flat(phrase) in text, f"{name}: {phrase}"


def test_power_numbers_come_from_the_tables(built, documents):
    power = read(built, "power.csv").set_index("scope")
    found = read(built, "findings.csv")
    single, family = power.loc["single test"], power.loc["family"]
    expected = [
        f"only if it is {single.detectable_abs_rho:.2f} or more in absolute value "
        f"({family.detectable_abs_rho:.2f} for the family of eight pairs)",
        f"A true correlation of 0.5 is detected {single.power_rho_0_5:.0%} of the time, one of 0.3 "
        f"{single.power_rho_0_3:.0%}",
        f"In the shaded band (|r| below {single.critical_abs_r:.2f})",
    ]
    assert len(found) == 8  # "eight pairs" above
    for phrase in expected:
        for name, text in documents.items():
            assert flat(phrase) in text, f"{name}: {phrase}"


def test_the_pdf_tables_print_the_same_cells(tables, pdf_lines):
    # the PDF's tables come from the same cells as the HTML's: each row's numbers, side by side,
    # stand on one line of the PDF's text
    for label in ("1", "2", "A.2", "A.4"):
        header, rows = tables[label]
        numeric = [i for i, name in enumerate(header) if i > 0 and name not in ("Verdict", "Note")]
        for row in rows:
            # in order on one line; a text column between them may break it up
            cells = ".*".join(re.escape(flat(row[i])) for i in numeric)
            assert any(re.search(cells, line) for line in pdf_lines), (label, row)
