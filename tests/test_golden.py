"""The article's run gives the same tables as the golden copies: every word and code alike, every number
to twelve significant digits.

``tests/golden/article/`` holds the tables and the clean table of a run on the article's
data. Reorganising code must not change them. Numbers are compared to a relative 1e-12,
not to the last bit: the same code on another processor can round the sixteenth digit
of a sum differently (seen between two x86-64 machines), which is no change of the
analysis. When a change is *meant* to change a number, regenerate the folder from a run
(``inclusion-report run --reports-dir R --processed-dir P`` and copy
``R/latest/tables/*.csv`` and ``P/*.csv``) and say why in the commit.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "article"

pytestmark = pytest.mark.slow


def produced(built, name: str) -> Path:
    if name == "inclusione_attiva_clean.csv":
        return built["processed"] / name
    return built["latest"] / "tables" / name


def same_cell(old: str, new: str) -> bool:
    """Equal as written, or as numbers to a relative 1e-12."""
    if old == new:
        return True
    try:
        a, b = float(old), float(new)
    except ValueError:
        return False
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.csv")))
def test_tables_are_the_golden_copies(built, name):
    assert built["result"].returncode == 0, built["result"].stderr
    old = list(csv.reader(io.StringIO((GOLDEN / name).read_text(encoding="utf-8"))))
    new = list(csv.reader(io.StringIO(produced(built, name).read_text(encoding="utf-8"))))
    assert len(new) == len(old), f"{name}: {len(new)} lines, the golden copy {len(old)}"
    for number, (a, b) in enumerate(zip(old, new, strict=True), 1):
        if len(a) != len(b) or not all(same_cell(x, y) for x, y in zip(a, b, strict=True)):
            pytest.fail(f"{name} differs from the golden copy at line {number}: {a} / {b}")


def test_numbers_are_compared_to_twelve_digits_and_words_exactly():
    assert same_cell("0.7611522801927334", "0.7611522801927333")
    assert not same_cell("0.76115228019", "0.76115228020")
    assert not same_cell("Bologna", "Torino") and same_cell("", "")
    assert not same_cell("0.5", "")


def test_every_contract_table_has_a_golden_copy(built):
    tables = {p.name for p in (built["latest"] / "tables").glob("*.csv")}
    assert tables <= {p.name for p in GOLDEN.glob("*.csv")}
