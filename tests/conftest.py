"""Shared fixtures: the published table as text, temporary raw files, a seeded generator."""

from __future__ import annotations

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


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
