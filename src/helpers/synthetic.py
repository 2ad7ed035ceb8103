"""A synthetic data set in the raw table's format, for testing the pipeline at scale.

The article's table has ten cities; Italy has about 8,000 municipalities. This
module writes a file with the same header labels, tab separator and Italian
number format as ``data/raw/inclusione_attiva.tsv`` for any number of made-up
municipalities, so the whole pipeline can be run (and timed) on a table of
realistic size. Every value comes from a seeded NumPy generator: the same
``n`` and ``seed`` always give the same file, byte for byte.

Nothing here describes a real place. Each municipality is called
"Comune sintetico 0001", "Comune sintetico 0002", ..., the default file name
says "synthetic", and :func:`is_synthetic` lets a notebook say so in the report.

How the values are made (loosely, so that the regressions have something to find):

* a latent *size* (log of the population, median about 3,000 residents) drives
  every count, as it would in real data;
* a latent *engagement* (how active the local programme is) raises the counts
  a little and both percentages somewhat more;
* counts are 1 plus a Poisson draw (at least one of everything, so every count
  also has a logarithm); percentages have one decimal and lie between 0 and 100.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import paths
from helpers.codebook import Codebook, load_codebook

#: Every synthetic municipality's name starts with this.
NAME_PREFIX = "Comune sintetico"
DEFAULT_MUNICIPALITIES = 8000
DEFAULT_SEED = 20240529
SYNTHETIC_DIR = paths.DATA_DIR / "synthetic"
#: Fewest rows the pipeline accepts (see :data:`helpers.validation.MIN_CITIES`).
MIN_MUNICIPALITIES = 3


def default_path(n: int = DEFAULT_MUNICIPALITIES) -> Path:
    """Where ``inclusion-report synth`` writes a table of ``n`` municipalities by default."""
    return SYNTHETIC_DIR / f"municipalities_{n}.tsv"


def names(n: int) -> list[str]:
    """``n`` unique, plainly synthetic names, zero-padded so they sort in file order."""
    width = max(4, len(str(n)))
    return [f"{NAME_PREFIX} {i:0{width}d}" for i in range(1, n + 1)]


def is_synthetic(cities: Sequence[str] | pd.Series) -> bool:
    """True when every city name is one this module makes (the data are not real)."""
    values = [str(c) for c in cities]
    return bool(values) and all(c.startswith(NAME_PREFIX + " ") for c in values)


def _percentage(rng: np.random.Generator, centre: np.ndarray, spread: float) -> np.ndarray:
    """Percentages with one decimal, within 0 and 100 (computed in tenths, so exact)."""
    tenths = np.rint(np.clip(centre + rng.normal(scale=spread, size=centre.size), 0, 100) * 10)
    return tenths.astype(np.int64) / 10


def generate(n: int = DEFAULT_MUNICIPALITIES, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """A clean table of ``n`` synthetic municipalities: canonical names, the clean dtypes.

    The frame is what :func:`helpers.cleaning.load_clean_data` returns for the
    file :func:`write` makes from it.
    """
    if n < MIN_MUNICIPALITIES:
        raise ValueError(f"at least {MIN_MUNICIPALITIES} municipalities, got {n}")
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)  # standardised log-population
    engagement = rng.normal(size=n)
    population = np.exp(8.0 + 1.25 * size)

    def count(per_resident: float, noise: float) -> np.ndarray:
        rate = per_resident * np.exp(0.35 * engagement + rng.normal(scale=noise, size=n))
        return 1 + rng.poisson(population * rate).astype(np.int64)

    training = count(0.004, 0.4)
    businesses = count(0.0004, 0.5)
    events = count(0.08, 0.6)
    support = count(0.002, 0.5)
    training_rate = np.log(training / population)
    training_z = (training_rate - training_rate.mean()) / training_rate.std()
    employment = _percentage(rng, 35 + 8 * engagement + 4 * training_z, 9)
    health = _percentage(rng, 78 + 4 * engagement + 3 * size, 7)
    return pd.DataFrame(
        {
            "city": pd.Series(names(n), dtype=str),
            "employment_rate_increase_pct": employment,
            "training_participants": training,
            "new_businesses": businesses,
            "community_event_participants": events,
            "health_service_access_pct": health,
            "psychological_support_people": support,
        }
    )


def italian_integer(value: int) -> str:
    """A whole number as the raw file writes it: a dot before each group of three digits."""
    return f"{int(value):,}".replace(",", ".")


def italian_decimal(value: float) -> str:
    """A number with at most one decimal, Italian style: ``47,3``; whole numbers as ``47``."""
    tenths = round(value * 10)
    whole, decimal = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return sign + italian_integer(whole) + (f",{decimal}" if decimal else "")


def to_raw_text(frame: pd.DataFrame, codebook: Codebook | None = None) -> str:
    """The table as the raw file's text: Italian headers, tabs, Italian numbers, one line per row."""
    codebook = codebook or load_codebook()
    columns = []
    for field in codebook.fields:
        values = frame[field.name]
        if field.kind == "string":
            columns.append([str(v) for v in values])
        elif field.kind == "integer":
            columns.append([italian_integer(v) for v in values])
        else:
            columns.append([italian_decimal(v) for v in values])
    lines = ["\t".join(codebook.labels)]
    lines += ["\t".join(row) for row in zip(*columns, strict=True)]
    return "\n".join(lines) + "\n"


def write(
    path: str | os.PathLike[str] | None = None,
    n: int = DEFAULT_MUNICIPALITIES,
    seed: int = DEFAULT_SEED,
) -> Path:
    """Generate ``n`` municipalities from ``seed`` and write them as a raw table to ``path``.

    Relative paths start at the project root; parent folders are made. The file
    appears in one step (written beside the target, then renamed), so a reader
    never sees half of it. Returns the absolute path written.
    """
    return paths.write_atomic(
        path if path is not None else default_path(n), to_raw_text(generate(n, seed))
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inclusion-report synth",
        description="Write a synthetic table of municipalities in the raw file's format "
        "(made-up names and values from a seeded generator; no real data).",
    )
    parser.add_argument(
        "--municipalities",
        type=int,
        default=DEFAULT_MUNICIPALITIES,
        metavar="N",
        help=f"number of municipalities (default {DEFAULT_MUNICIPALITIES}, about Italy's count)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="PATH",
        help="file to write (default: data/synthetic/municipalities_N.tsv)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the synthetic table and say where it went."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.municipalities < MIN_MUNICIPALITIES:
        parser.error(f"--municipalities must be at least {MIN_MUNICIPALITIES}")
    written = write(args.out, args.municipalities, args.seed)
    shown = paths.display_path(written)
    print(
        f"wrote {shown}: {args.municipalities:,} synthetic municipalities (seed {args.seed}).\n"
        "Run the pipeline on it in folders of its own, so the article's report and clean "
        f"table stay as they are:\n  inclusion-report run -p raw_data_path {shown} "
        "--reports-dir reports/synthetic --processed-dir data/synthetic/processed"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
