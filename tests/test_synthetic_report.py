"""The whole pipeline on a large synthetic table: labelled synthetic, readable, complete CSVs."""

from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest

from .conftest import SYNTHETIC_N as N

pytestmark = pytest.mark.slow


def test_report_says_synthetic_and_stays_short(synthetic_built):
    pdf = synthetic_built / "report.pdf"
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout,
        )[1]
    )
    # the 10-city document has 17 pages (7 before its annex); a table that listed all 500
    # municipalities would add dozens
    assert pages <= 25
    first = " ".join(
        subprocess.run(["pdftotext", "-l", "1", pdf, "-"], capture_output=True, text=True).stdout.split()
    )
    assert f"A run on synthetic data: {N:,} made-up municipalities, not the article's figures." in first
    assert "Synthetic data: every figure here is made up to test the method." in first
    assert "newsletter article" not in first  # never presented as the article's figures
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    named = set(re.findall(r"Comune\s+sintetico\s+(\d{4})", text))
    assert 0 < len(named) < N // 4  # ends of tables and lists, not every municipality


def test_csv_tables_keep_every_row(synthetic_built):
    clean = pd.read_csv(synthetic_built / "data" / "inclusione_attiva_clean.csv")
    assert len(clean) == N and clean.city.is_unique
    influence = pd.read_csv(synthetic_built / "tables" / "influence.csv")
    fits = pd.read_csv(synthetic_built / "tables" / "simple_regressions.csv")
    assert len(influence) == N * len(fits)
    loo = pd.read_csv(synthetic_built / "tables" / "loo_sensitivity.csv")
    assert len(loo) == N * len(fits)
    assert (fits.n == N).all()


def test_html_report_stays_small(synthetic_built):
    """Binned figures: the self-contained HTML does not carry one SVG marker per city."""
    size = (synthetic_built / "report.html").stat().st_size
    assert size < 8 * 2**20, (
        f"report.html is {size / 2**20:.1f} MB for {N} cities"
    )  # 10 cities: ~1.5 MB
