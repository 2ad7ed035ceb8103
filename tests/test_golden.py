"""The article's run gives the same tables, byte for byte, as before the runner moved.

``tests/golden/article/`` holds the eight tables and the clean table of a run on the
article's data made with the code of commit 52c3ead, before the runner was moved
into ``helpers.runner`` (issue 14). Reorganising code must not change a single byte
of them. When a change is *meant* to change a number, regenerate the folder from a
run (``inclusion-report run --reports-dir R --processed-dir P`` and copy
``R/latest/tables/*.csv`` and ``P/*.csv``) and say why in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "article"

pytestmark = pytest.mark.slow


def produced(built, name: str) -> Path:
    if name == "inclusione_attiva_clean.csv":
        return built["processed"] / name
    return built["latest"] / "tables" / name


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.csv")))
def test_tables_are_byte_identical(built, name):
    assert built["result"].returncode == 0, built["result"].stderr
    new, old = produced(built, name).read_bytes(), (GOLDEN / name).read_bytes()
    if new != old:
        lines = zip(old.decode().splitlines(), new.decode().splitlines(), strict=False)
        first = next(((i, a, b) for i, (a, b) in enumerate(lines, 1) if a != b), None)
        pytest.fail(f"{name} differs from the golden copy; first differing line: {first}")


def test_every_contract_table_has_a_golden_copy(built):
    tables = {p.name for p in (built["latest"] / "tables").glob("*.csv")}
    assert tables <= {p.name for p in GOLDEN.glob("*.csv")}
