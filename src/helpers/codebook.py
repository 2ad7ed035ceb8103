"""The codebook: what each column of the raw table means, read from ``datapackage.json``.

The Frictionless data package beside the raw file is the single description of
the data: original Italian label, canonical name, unit and default role of each
field. Code never repeats that information; it asks this module.

Each field may carry ``translations``: for a report language other than English,
its ``title``, ``short_title``, ``unit``, ``unit_singular``, ``description``,
``open_questions`` and ``caveat`` in that language. :meth:`Codebook.field` returns
the field in the active language (:mod:`helpers.i18n`); a text the field has in
English but not in the active language raises :class:`~helpers.i18n.MissingTranslation`
naming the field (the title alone falls back to the article's own Italian label).
``unit`` stays the English data key for logic; the unit a reader sees is
:attr:`Field.unit_text` (and :attr:`Field.unit_singular_text`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from helpers import i18n, paths
from helpers.i18n import _

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


#: The texts of a field a translation gives, by the data package's key, and the Field attribute.
TRANSLATED = {
    "title": "title",
    "short_title": "short",
    "description": "description",
    "open_questions": "open_questions",
    "caveat": "caveat",
    "phrase": "phrase",
}
#: A unit that says the scale of a predictor per residents (see helpers.specification).
_PER_RESIDENTS = re.compile(r"per (?P<number>[\d,.]+) residents")


def role_text(role: str) -> str:
    """A field's role ("id", "outcome", "input") as the report names it, in the active language."""
    words = {
        "id": i18n.pgettext("variable role", "id"),
        "outcome": i18n.pgettext("variable role", "outcome"),
        "input": i18n.pgettext("variable role", "input"),
    }
    return words[role]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


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
    #: How running text names the indicator ("the rise in immigrant employment"); the title, lower case, if none.
    phrase: str = ""
    minimum: float | None = None
    maximum: float | None = None
    #: The field as published, when this one describes it transformed (log, per residents).
    as_published: Field | None = dataclasses.field(default=None, compare=False, repr=False)
    #: The field's texts in other languages: ``{"it": {"title": ..., "unit": ..., ...}}``.
    translations: Mapping[str, Mapping[str, str]] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )
    #: The English unit the translations' ``unit`` and ``unit_singular`` say (None: ``unit``).
    translated_unit: str | None = dataclasses.field(default=None, compare=False, repr=False)
    #: Why a language's translation could not be made (by :meth:`Codebook.with_log`), by language.
    untranslatable: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    #: The language of the texts (title, short, description, ...) of this copy.
    language: str = dataclasses.field(default=i18n.SOURCE_LANGUAGE, compare=False, repr=False)
    #: The field in English, when this copy is in another language.
    source: Field | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def published(self) -> Field:
        """The field as the article publishes it: its title and unit before any transformation."""
        if self.as_published is None:
            return self
        return self.as_published.localized(self.language)

    def _missing(self, lang: str, what: str) -> i18n.MissingTranslation:
        return i18n.MissingTranslation(
            f"the field {self.name!r} ({self.label}) has no {lang!r} "
            f"translation of its {what}: add it to the field's \"translations\": "
            f"{{\"{lang}\": {{...}}}} in data/raw/datapackage.json"
        )

    def localized(self, lang: str) -> Field:
        """The field with its texts in language ``lang`` (``unit`` stays the English data key).

        The title falls back to the article's original (Italian) label; any other text
        the field has in English but not in ``lang`` is a MissingTranslation naming the field.
        """
        base = self.source or self
        if lang == i18n.SOURCE_LANGUAGE:
            return base
        i18n.check_language(lang)
        if lang in base.untranslatable:
            raise i18n.MissingTranslation(base.untranslatable[lang])
        given = base.translations.get(lang, {})
        texts = {"title": given.get("title") or base.label}
        for key, attribute in TRANSLATED.items():
            if key == "title":
                continue
            english = getattr(base, attribute)
            if given.get(key):
                texts[attribute] = given[key]
            elif key == "short_title" and english == base.title:
                texts[attribute] = texts["title"]  # no short title in English either
            elif english:
                raise base._missing(lang, key.replace("_", " "))
            else:
                texts[attribute] = ""
        return replace(base, **texts, language=lang, source=base)

    def _unit_in(self, lang: str, *, one: bool) -> str | None:
        english = self.unit
        if english is None:
            return None
        if lang == i18n.SOURCE_LANGUAGE:
            return singular(english) if one else english
        given = (self.source or self).translations.get(lang, {})
        base = self.translated_unit if self.translated_unit is not None else english

        def translated(unit: str | None) -> str:
            if unit is None:
                raise self._missing(lang, "unit")
            if one and given.get("unit_singular"):
                return given["unit_singular"]
            if (not one or singular(unit) == unit) and given.get("unit"):
                return given["unit"]
            raise self._missing(lang, "unit of one" if one else "unit")

        if english == base:
            return translated(base)
        # a unit changed after the translation was written: a scale per residents
        rest = english if base is None else english.removeprefix(base + " ")
        match = _PER_RESIDENTS.fullmatch(rest)
        if match is None or (base is not None and rest == english):
            raise self._missing(lang, f"unit {english!r}")
        with i18n.language(lang):
            number = i18n.localize(match["number"])
            if base is None:
                return _("per {number} residents").format(number=number)
            return _("{unit} per {number} residents").format(unit=translated(base), number=number)

    @property
    def unit_text(self) -> str | None:
        """The unit a reader sees, in the active language ("people", "persone"; "%")."""
        return self._unit_in(i18n.current(), one=False)

    @property
    def unit_singular_text(self) -> str | None:
        """The unit of one a reader sees, in the active language ("person", "persona")."""
        return self._unit_in(i18n.current(), one=True)

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
        """A label for a figure axis: the title with its unit, in the active language."""
        field = self.localized(i18n.current())
        return f"{field.title} ({field.unit_text})" if field.unit else field.title


@dataclass(frozen=True)
class Codebook:
    """The fields of the table, in file order, plus the source citation."""

    fields: tuple[Field, ...]
    source: dict
    resource_path: str

    def field(self, name: str) -> Field:
        """Return the field with canonical ``name``, its texts in the active language."""
        for field in self.fields:
            if field.name == name:
                return field.localized(i18n.current())
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
            f"{i18n.date(pd.Timestamp(s['date']).date())}."
        )

    def with_log(self, names: list[str]) -> Codebook:
        """A copy in which the listed variables are described as natural logarithms.

        In every report language: the words it adds ("log of ...") come from the
        catalogs; a language whose catalog or field texts are missing keeps the
        reason, raised when the field is asked for in that language.
        """
        fields = tuple(_logged(f) if f.name in names else f for f in self.fields)
        return replace(self, fields=fields)

    def to_frame(self) -> pd.DataFrame:
        """The codebook as a table, for display in the report (in the active language)."""
        import pandas as pd

        fields = [self.field(f.name) for f in self.fields]
        return pd.DataFrame(
            {
                i18n.pgettext("codebook column", "Canonical name"): [f.name for f in fields],
                i18n.pgettext("codebook column", "Original label (Italian)"): [f.label for f in fields],
                i18n.pgettext("codebook column", "Meaning"): [f.title for f in fields],
                i18n.pgettext("codebook column", "Unit"): [f.unit_text or "" for f in fields],
                i18n.pgettext("codebook column", "Default role"): [role_text(f.role) for f in fields],
            }
        )


def derived_translations(
    field: Field, texts_for: Callable[[Field], dict[str, str]]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The translations of a field derived from ``field`` (its log, its rate per residents).

    ``texts_for`` gets ``field`` in each language other than English, with that
    language active, and returns the texts it changes; a language the words are
    missing in is recorded as untranslatable, to be raised only when the derived
    field is asked for in it. Returns (translations, untranslatable).
    """
    translations = {}
    untranslatable = dict(field.untranslatable)
    for lang in i18n.LANGUAGES:
        if lang == i18n.SOURCE_LANGUAGE or lang in untranslatable:
            continue
        try:
            with i18n.language(lang):
                texts = dict(field.translations.get(lang, {})) | texts_for(field.localized(lang))
        except i18n.MissingTranslation as missing:
            untranslatable[lang] = str(missing)
            continue
        translations[lang] = texts
    return translations, untranslatable


def _logged(field: Field) -> Field:
    """``field`` described as its natural logarithm, in English and in every other language."""
    unit = f"log {field.unit}"

    def texts_for(shown: Field) -> dict[str, str]:
        texts = {
            "title": _("log of {title}").format(title=_lower_first(shown.title)),
            "short_title": _("log {short}").format(short=_lower_first(shown.short)),
        }
        if field.unit is not None:
            texts["unit"] = _("log {unit}").format(unit=shown.unit_text)
            texts["unit_singular"] = _("log {unit}").format(unit=shown.unit_singular_text)
        return texts

    translations, untranslatable = derived_translations(field, texts_for)
    return replace(
        field,
        title=f"log of {field.title[0].lower() + field.title[1:]}",
        short=f"log {field.short[0].lower() + field.short[1:]}",
        unit=unit,
        as_published=field.published,
        translations=translations,
        translated_unit=unit,
        untranslatable=untranslatable,
    )


def _translations(path: Path, raw: dict) -> dict[str, dict[str, str]]:
    """A field's ``translations``, checked: known languages and keys, texts only."""
    given = raw.get("translations", {})
    keys = {*TRANSLATED, "unit", "unit_singular"}
    for lang, texts in given.items():
        if lang not in i18n.LANGUAGES or lang == i18n.SOURCE_LANGUAGE:
            raise ValueError(f"{path}: field {raw['name']!r} has a translation into unknown language {lang!r}")
        unknown = sorted(set(texts) - keys)
        if unknown or not all(isinstance(text, str) for text in texts.values()):
            raise ValueError(
                f"{path}: field {raw['name']!r}: translations.{lang} may hold only texts for "
                f"{', '.join(sorted(keys))}" + (f", not {', '.join(unknown)}" if unknown else "")
            )
    return {lang: dict(texts) for lang, texts in given.items()}


def _package(path: Path) -> dict:
    """The data package's JSON, from a regular file of sane size (never a FIFO or a device)."""
    from helpers.errors import DataError, Problem

    data = paths.read_input(path, "codebook", label="the codebook")
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        problem = Problem(None, None, None, f"a JSON data package in UTF-8 ({str(exc)[:100]})")
        raise DataError(paths.display_path(path), problem) from None


@lru_cache(maxsize=8)
def _load(path: Path) -> Codebook:
    package = _package(path)
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
                phrase=raw.get("phrase", ""),
                minimum=constraints.get("minimum"),
                maximum=constraints.get("maximum"),
                translations=_translations(path, raw),
                translated_unit=raw.get("unit"),
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
    package = _package(path)
    for resource in package["resources"]:
        if resource["name"] == POPULATION_RESOURCE:
            return resource
    raise KeyError(f"{path}: no resource named {POPULATION_RESOURCE!r}")


def population_path(datapackage: str | Path | None = None) -> Path:
    """Where the population table lives: its resource's path, beside ``datapackage.json``."""
    base = paths.resolve(datapackage) if datapackage is not None else paths.DATAPACKAGE
    return base.parent / population_resource(datapackage)["path"]


def population_citation(datapackage: str | Path | None = None) -> str:
    """One line naming where the population figures come from, their vintage and licence.

    In the active language: the source's title from its ``translations`` in the data package.
    """
    resource = population_resource(datapackage)
    source = resource["sources"][0]
    licence = resource["licenses"][0]["name"].replace("-", " ")
    title, lang = source["title"], i18n.current()
    if lang != i18n.SOURCE_LANGUAGE:
        title = source.get("translations", {}).get(lang, {}).get("title")
        if not title:
            raise i18n.MissingTranslation(
                f"the source of the resource {POPULATION_RESOURCE!r} has no "
                f"{lang!r} translation of its title: add "
                f'"translations": {{"{lang}": {{"title": ...}}}} to it in data/raw/datapackage.json'
            )
    return _("{title}, data year {year} ({licence}).").format(
        title=title, year=source["vintage"], licence=licence
    )


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
        paths.check_input(target, "population table", label="population table")
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
