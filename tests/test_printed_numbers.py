"""Printed = computed: every number a reviewer reads in a table, and the findings, against the CSVs.

The reviewer HTML's tables are real HTML tables; each cell is parsed back to a
number and compared with the value in the run's CSV at the precision it is
shown with (``0.815`` stands for anything within 0.0005 of it). The findings
and the summary's key numbers are looked for, word for word, in the HTML and
in the PDF's text.
"""

from __future__ import annotations

import html
import math
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
        label = (
            re.match(r"Table (\d+\.\d+)\.", caption.get_text(" ", strip=True)) if caption else None
        )
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


def test_descriptive_table_prints_the_csv(built, tables):
    csv = read(built, "descriptive_statistics.csv")
    for name in ("n", "mean", "SD", "min", "Q1", "median", "Q3", "max"):
        check(column(tables, "2.1", name), csv[name.lower()], f"Table 2.1, {name}")


def test_regression_table_prints_the_csv(built, tables):
    fits = read(built, "simple_regressions.csv")
    check(column(tables, "3.1", "r"), fits.r, "Table 3.1, r")
    check_interval(
        column(tables, "3.1", "95% CI of r"), fits.r_ci_low, fits.r_ci_high, "Table 3.1, CI of r"
    )
    # slopes are printed per a round step of the input ("1,000 participants"), the CSV per one
    per = [number(cell.replace("\u00a0", " ").split(" ")[0])[0] for cell in column(tables, "3.1", "Per")]
    assert set(per) - {1.0} and all(step == 10 ** round(math.log10(step)) for step in per)
    check(column(tables, "3.1", "Slope"), fits.slope * per, "Table 3.1, slope")
    check_interval(
        column(tables, "3.1", "95% CI of slope"),
        fits.ci_low * per,
        fits.ci_high * per,
        "Table 3.1, CI of slope",
    )
    check(column(tables, "3.1", "p"), fits.p_permutation, "Table 3.1, p")
    check(column(tables, "3.1", "p adj."), fits.p_westfall_young, "Table 3.1, p adj.")


def test_checks_table_prints_the_csv(built, tables):
    fits = read(built, "simple_regressions.csv")
    found = read(built, "findings.csv")
    check(column(tables, "3.3", "p"), fits.p_permutation, "Table 3.3, p")
    check(column(tables, "3.3", "p adj."), found.p_adjusted, "Table 3.3, p adj.")
    check(column(tables, "3.3", "p OLS"), fits.p_value, "Table 3.3, p OLS")
    hc2 = [
        re.match(r"(.+) \((.+)\)", cell).groups() for cell in column(tables, "3.3", "p HC2 (df)")
    ]
    check([p for p, _ in hc2], fits.p_value_hc2_bm, "Table 3.3, p HC2")
    check([df for _, df in hc2], fits.df_bell_mccaffrey, "Table 3.3, Bell-McCaffrey df")
    check(column(tables, "3.3", "p wild"), fits.p_wild_bootstrap, "Table 3.3, p wild")
    check(column(tables, "3.3", "\u03c1"), fits.spearman_rho, "Table 3.3, rho")
    check(column(tables, "3.3", "p (\u03c1)"), fits.spearman_p_exact, "Table 3.3, p (rho)")
    assert column(tables, "3.3", "Verdict") == list(found.verdict)


def test_power_table_prints_the_csv(built, tables):
    power = read(built, "power.csv")
    assert column(tables, "3.4", "Level") == list(power.scope)
    check(column(tables, "3.4", "\u03b1"), power.alpha, "Table 3.4, alpha")
    check(column(tables, "3.4", "Critical |r|"), power.critical_abs_r, "Table 3.4, critical r")
    check(
        column(tables, "3.4", "True |r| detected 80% of the time"),
        power.detectable_abs_rho,
        "Table 3.4, detectable r",
    )
    check(
        column(tables, "3.4", "Power at a true r of 0.3"),
        power.power_rho_0_3,
        "Table 3.4, power 0.3",
    )
    check(
        column(tables, "3.4", "Power at a true r of 0.5"),
        power.power_rho_0_5,
        "Table 3.4, power 0.5",
    )


def test_claims_table_prints_the_csv(built, tables):
    claims = read(built, "claims_check.csv")
    shown = column(tables, "2.2", "Table")
    for cell, value, claim in zip(shown, claims.table_value, claims.claim_id, strict=True):
        assert (cell == "") if pd.isna(value) else shows(cell, value), claim
    for cell, value, claim in zip(
        column(tables, "2.2", "Text"), claims.number, claims.claim_id, strict=True
    ):
        assert (cell == "") if pd.isna(value) else shows(cell.removeprefix("over "), value), claim
    assert column(tables, "2.2", "Check") == list(claims.status)


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


def test_every_finding_is_printed_as_written(built, documents):
    found = read(built, "findings.csv")
    for row in found.itertuples(index=False):
        # section 5 prints it after its plain-words line ("... In numbers: inconclusive for ...")
        sentence = flat(row.sentence)
        lowered = sentence[0].lower() + sentence[1:]
        for name, text in documents.items():
            assert f"Innumbers:{lowered}" in text, f"{name}: {row.outcome} ~ {row.predictor}"
        # and the sentence carries the table's r and interval at two decimals
        r = f"{row.r:.2f}".replace("-", "\u2212")
        interval = (
            f"{row.r_ci_low:.2f}".replace("-", "\u2212")
            + " to "
            + f"{row.r_ci_high:.2f}".replace("-", "\u2212")
        )
        assert f"r = {r}" in row.sentence and interval in row.sentence


def test_summary_numbers_come_from_the_tables(built, documents):
    power = read(built, "power.csv").set_index("scope")
    found = read(built, "findings.csv")
    single, family = power.loc["single test"], power.loc["family"]
    expected = [
        f"{single.detectable_abs_rho:.2f} or more in absolute value ({family.detectable_abs_rho:.2f} or more",
        f"a true correlation of 0.5 is detected {single.power_rho_0_5:.0%} of the time",
        f"one of 0.3 {single.power_rho_0_3:.0%}",
        f"Each of the {len(found)} outcome\u2013input pairs",
    ]
    for inconclusive in found[found.verdict == "inconclusive"].itertuples(index=False):
        low = f"{inconclusive.r_ci_low:.2f}".replace("-", "\u2212")
        high = f"{inconclusive.r_ci_high:.2f}".replace("-", "\u2212")
        expected.append(f"(r = {inconclusive.r:.2f}, {low} to {high})".replace("-", "\u2212"))
    for phrase in expected:
        for name, text in documents.items():
            assert flat(phrase) in text, f"{name}: {phrase}"


def test_the_pdf_tables_print_the_same_cells(tables, pdf_lines):
    # the PDF's tables come from the same cells as the HTML's: each row's numbers, side by side,
    # stand on one line of the PDF's text
    for label in ("2.1", "3.1", "3.4"):
        header, rows = tables[label]
        numeric = [i for i, name in enumerate(header) if i > 0 and name not in ("Level", "Per")]
        for row in rows:
            # in order on one line; a text column between them (Table 3.1's "Per") may break it up
            cells = ".*".join(re.escape(flat(row[i])) for i in numeric)
            assert any(re.search(cells, line) for line in pdf_lines), (label, row)
