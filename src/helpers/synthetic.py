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

How the values are made (loosely, so that the regressions have something to find).
The columns are the codebook's (``data/raw/datapackage.json``), whatever their number:
each field's kind, role and bounds say how its values are drawn, so a field added
there gets synthetic values too, with no edit here.

* a latent *size* (log of the population, median about 3,000 residents) drives
  every count, as it would in real data;
* a latent *engagement* (how active the local programme is) raises the counts
  a little and the other numbers somewhat more, outcomes most;
* counts (integer fields) are 1 plus a Poisson draw around a per-resident rate
  of their own (at least one of everything, so every count also has a logarithm);
* other numbers (percentages) have one decimal and lie within the field's minimum
  and maximum (0 and 100 when the codebook gives none); outcomes also lean on
  the per-resident rate of the first count input, as employment might on training;
* each field draws from a generator of its own, seeded from ``seed`` and its
  name, so adding a field to the codebook leaves the other columns as they were.
"""

from __future__ import annotations

import argparse
import os
import zlib
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
#: Most rows ``synth`` writes: over a hundred times Italy's municipalities, a file of about
#: 60 MB, well inside the data table's size limit (:data:`helpers.paths.INPUT_LIMITS_MB`).
MAX_MUNICIPALITIES = 1_000_000
#: Each count's per-resident rate is drawn log-uniformly between these (4 to 800 per 10,000).
COUNT_RATES = (0.0004, 0.08)


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


def _field_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of one field: from ``seed`` and the field's name, not its position."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _one_decimal(
    rng: np.random.Generator, centre: np.ndarray, spread: float, low: float, high: float
) -> np.ndarray:
    """Numbers with one decimal within ``low`` and ``high`` (computed in tenths, so exact)."""
    tenths = np.rint((centre + rng.normal(scale=spread, size=centre.size)) * 10)
    tenths = np.clip(tenths, np.ceil(low * 10), np.floor(high * 10))
    return tenths.astype(np.int64) / 10


def generate(
    n: int = DEFAULT_MUNICIPALITIES, seed: int = DEFAULT_SEED, codebook: Codebook | None = None
) -> pd.DataFrame:
    """A clean table of ``n`` synthetic municipalities: the codebook's columns, the clean dtypes.

    The frame is what :func:`helpers.cleaning.load_clean_data` returns for the
    file :func:`write` makes from it.
    """
    if not MIN_MUNICIPALITIES <= n <= MAX_MUNICIPALITIES:
        raise ValueError(f"{MIN_MUNICIPALITIES} to {MAX_MUNICIPALITIES:,} municipalities, got {n:,}")
    codebook = codebook or load_codebook()
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)  # standardised log-population
    engagement = rng.normal(size=n)
    population = np.exp(8.0 + 1.25 * size)
    columns: dict[str, pd.Series | np.ndarray] = {
        codebook.id_field.name: pd.Series(names(n), dtype=str)
    }
    lever = None  # standardised log rate of the first count input, for the outcomes
    for field in codebook.fields:  # counts first: the outcomes lean on one of them
        if field.role == "id" or not field.is_count:
            continue
        draw = _field_rng(seed, field.name)
        per_resident = np.exp(draw.uniform(*np.log(COUNT_RATES)))
        rate = per_resident * np.exp(0.35 * engagement + draw.normal(scale=0.5, size=n))
        values = 1 + draw.poisson(population * rate).astype(np.int64)
        low = 1 if field.minimum is None else max(1, int(np.ceil(field.minimum)))
        high = np.iinfo(np.int64).max if field.maximum is None else int(field.maximum)
        columns[field.name] = np.clip(values, low, high)
        if lever is None and field.role == "input":
            log_rate = np.log(values / population)
            lever = (log_rate - log_rate.mean()) / log_rate.std()
    for field in codebook.fields:
        if field.role == "id" or field.is_count:
            continue
        draw = _field_rng(seed, field.name)
        low = 0.0 if field.minimum is None else float(field.minimum)
        high = low + 100.0 if field.maximum is None else float(field.maximum)
        scale = (high - low) / 100  # the leanings below are in points of a 0-100 range
        centre = low + (high - low) * draw.uniform(0.35, 0.8) + 4 * scale * engagement
        if field.role == "outcome":
            centre = centre + 4 * scale * engagement
            if lever is not None:
                centre = centre + 4 * scale * lever
        columns[field.name] = _one_decimal(draw, centre, 8 * scale, low, high)
    return pd.DataFrame({field.name: columns[field.name] for field in codebook.fields})


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
    codebook = load_codebook()
    return paths.write_atomic(
        path if path is not None else default_path(n),
        to_raw_text(generate(n, seed, codebook), codebook),
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
    if not MIN_MUNICIPALITIES <= args.municipalities <= MAX_MUNICIPALITIES:
        parser.error(
            f"--municipalities must be between {MIN_MUNICIPALITIES} and {MAX_MUNICIPALITIES:,} "
            f"(got {args.municipalities:,})"
        )
    if args.seed < 0:
        parser.error(f"--seed must be 0 or more (got {args.seed})")
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
