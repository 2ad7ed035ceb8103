"""The codebook: what each column of the raw table means, read from ``datapackage.json``.

The Frictionless data package beside the raw file is the single description of
the data: original Italian label, canonical name, unit and default role of each
field. Code never repeats that information; it asks this module.
"""

from __future__ import annotations

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
    minimum: float | None = None
    maximum: float | None = None

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
        return SINGULAR_UNITS.get(self.unit, self.unit) if self.unit else self.unit

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
