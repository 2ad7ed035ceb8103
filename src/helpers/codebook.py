"""The codebook: what each column of the raw table means, read from ``datapackage.json``.

The Frictionless data package beside the raw file is the single description of
the data: original Italian label, canonical name, unit and default role of each
field. Code never repeats that information; it asks this module.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from helpers import paths

ROLES = ("id", "outcome", "input")
#: Singular forms of the count units, for "per person", "1 business".
SINGULAR_UNITS = {"people": "person", "participants": "participant", "businesses": "business"}


def singular(unit: str | None) -> str | None:
    """The unit of one: "person" for "people", also inside a rate or a log.

    >>> singular("people"), singular("people per 10,000 residents"), singular("log businesses")
    ('person', 'person per 10,000 residents', 'log business')
    """
    if not unit:
        return unit
    prefix = "log " if unit.startswith("log ") else ""
    head, sep, tail = unit.removeprefix(prefix).partition(" per ")
    return prefix + SINGULAR_UNITS.get(head, head) + sep + tail


@dataclass(frozen=True)
class Field:
    """One column of the table as the codebook describes it."""

    label: str  # the original Italian header, exactly as published
    name: str  # the canonical (English, snake_case) name used by all code
    title: str
    unit: str | None
    role: str
    kind: str  # Frictionless type: "string", "integer" or "number"
    description: str
    short: str = ""  # a label of two words at most, for crowded tables and panels
    #: What the article leaves open about the column (period, population, baseline, unit).
    open_questions: str = ""
    #: A few words a reader needs beside the column's values wherever they are quoted.
    caveat: str = ""
    minimum: float | None = None
    maximum: float | None = None
    #: The field as published, when this one describes it transformed (log, per residents).
    as_published: Field | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def published(self) -> Field:
        """The field as the article publishes it: its title and unit before any transformation."""
        return self.as_published or self

    @property
    def is_count(self) -> bool:
        """True for non-negative integer counts."""
        return self.kind == "integer"

    @property
    def is_percentage(self) -> bool:
        """True for percentages (bounded between 0 and 100)."""
        return self.unit == "%"

    @property
    def unit_singular(self) -> str | None:
        """The unit of one: "person" for "people"; other units as they are."""
        return singular(self.unit)

    @property
    def axis_label(self) -> str:
        """A label for a figure axis: the title with its unit."""
        return f"{self.title} ({self.unit})" if self.unit else self.title


@dataclass(frozen=True)
class Codebook:
    """The fields of the table, in file order, plus the source citation."""

    fields: tuple[Field, ...]
    source: dict
    resource_path: str

    def field(self, name: str) -> Field:
        """Return the field with canonical ``name``."""
        for field in self.fields:
            if field.name == name:
                return field
        known = ", ".join(f.name for f in self.fields)
        raise KeyError(f"unknown variable {name!r}; known variables: {known}")

    @property
    def labels(self) -> list[str]:
        """The original Italian headers, in file order."""
        return [f.label for f in self.fields]

    @property
    def names(self) -> list[str]:
        """The canonical names, in file order."""
        return [f.name for f in self.fields]

    @property
    def rename_map(self) -> dict[str, str]:
        """Map each Italian header to its canonical name."""
        return {f.label: f.name for f in self.fields}

    @property
    def id_field(self) -> Field:
        """The field that identifies a row (the city)."""
        return next(f for f in self.fields if f.role == "id")

    def variables(self, role: str | None = None) -> list[str]:
        """Canonical names of the numeric variables, optionally of one role only."""
        return [f.name for f in self.fields if f.role != "id" and (role is None or f.role == role)]

    def or_role(self, chosen: Sequence[str], role: str) -> list[str]:
        """``chosen`` as a list; when it is empty, every variable of ``role``, in file order.

        The rule behind the empty default of the ``outcomes`` and ``predictors``
        parameters: a run that names no variables analyses what the codebook's
        roles say, so a column added to the data package is analysed without a code edit.
        """
        return list(chosen) if chosen else self.variables(role)

    def citation(self) -> str:
        """A one-line citation of the source article."""
        import pandas as pd

        s = self.source
        return (
            f"{s['author']}, \u201c{s['title']}\u201d, {s['publication']} {s['issue']}, "
            f"{pd.Timestamp(s['date']).strftime('%-d %B %Y')}."
        )

    def with_log(self, names: list[str]) -> Codebook:
        """A copy in which the listed variables are described as natural logarithms."""
        fields = tuple(
            replace(
                f,
                title=f"log of {f.title[0].lower() + f.title[1:]}",
                short=f"log {f.short[0].lower() + f.short[1:]}",
                unit=f"log {f.unit}",
                as_published=f.published,
            )
            if f.name in names
            else f
            for f in self.fields
        )
        return replace(self, fields=fields)

    def to_frame(self) -> pd.DataFrame:
        """The codebook as a table, for display in the report."""
        import pandas as pd

        return pd.DataFrame(
            {
                "Canonical name": [f.name for f in self.fields],
                "Original label (Italian)": [f.label for f in self.fields],
                "Meaning": [f.title for f in self.fields],
                "Unit": [f.unit or "" for f in self.fields],
                "Default role": [f.role for f in self.fields],
            }
        )


@lru_cache(maxsize=8)
def _load(path: Path) -> Codebook:
    package = json.loads(path.read_text(encoding="utf-8"))
    resource = package["resources"][0]
    fields = []
    for raw in resource["schema"]["fields"]:
        constraints = raw.get("constraints", {})
        if raw["role"] not in ROLES:
            raise ValueError(f"{path}: field {raw['name']!r} has unknown role {raw['role']!r}")
        fields.append(
            Field(
                label=raw["name"],
                name=raw["canonical_name"],
                title=raw["title"],
                unit=raw.get("unit"),
                role=raw["role"],
                kind=raw["type"],
                description=raw.get("description", ""),
                short=raw.get("short_title", raw["title"]),
                open_questions=raw.get("open_questions", ""),
                caveat=raw.get("caveat", ""),
                minimum=constraints.get("minimum"),
                maximum=constraints.get("maximum"),
            )
        )
    return Codebook(
        fields=tuple(fields), source=package["sources"][0], resource_path=resource["path"]
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read the codebook from a Frictionless ``datapackage.json`` (default: the project's)."""
    return _load(paths.resolve(path) if path is not None else paths.DATAPACKAGE)


# ------------------------------------------------------------------ context: population
#: The data package's resource that holds each city's resident population.
POPULATION_RESOURCE = "population"
POPULATION_COLUMNS = ["city", "istat_code", "population", "reference_date", "source"]


def population_resource(datapackage: str | Path | None = None) -> dict:
    """The ``population`` resource of the data package: path, sources, licence, schema."""
    path = paths.resolve(datapackage) if datapackage is not None else paths.DATAPACKAGE
    package = json.loads(path.read_text(encoding="utf-8"))
    for resource in package["resources"]:
        if resource["name"] == POPULATION_RESOURCE:
            return resource
    raise KeyError(f"{path}: no resource named {POPULATION_RESOURCE!r}")


def population_path(datapackage: str | Path | None = None) -> Path:
    """Where the population table lives: its resource's path, beside ``datapackage.json``."""
    base = paths.resolve(datapackage) if datapackage is not None else paths.DATAPACKAGE
    return base.parent / population_resource(datapackage)["path"]


def population_citation(datapackage: str | Path | None = None) -> str:
    """One line naming where the population figures come from, their vintage and licence."""
    resource = population_resource(datapackage)
    source = resource["sources"][0]
    licence = resource["licenses"][0]["name"].replace("-", " ")
    return f"{source['title']}, data year {source['vintage']} ({licence})."


def load_population(path: str | Path | None = None) -> pd.DataFrame:
    """Read the population table (default: the data package's ``population`` resource).

    Columns :data:`POPULATION_COLUMNS`; ``population`` is a positive whole number of
    residents. Anything else is a :class:`~helpers.errors.DataError` naming the file.
    """
    import pandas as pd

    from helpers.errors import DataError, Problem

    target = paths.resolve(path) if path is not None else population_path()
    shown = paths.display_path(target)
    try:
        table = pd.read_csv(target, sep="\t", dtype={"istat_code": str, "reference_date": str})
    except FileNotFoundError:
        raise DataError(shown, Problem(None, None, None, "a population table (city, population)")) from None
    missing = [c for c in POPULATION_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(shown, Problem(1, None, None, f"the columns {', '.join(POPULATION_COLUMNS)}"))
    counts = pd.to_numeric(table.population, errors="coerce")
    bad = [
        Problem(line + 2, "population", value, "a whole number of residents above zero", city=str(city))
        for line, (city, value, number) in enumerate(zip(table.city, table.population, counts, strict=True))
        if not (number > 0 and float(number).is_integer())
    ]
    if bad:
        raise DataError(shown, bad)
    return table.assign(population=counts.astype("int64"))[POPULATION_COLUMNS]
