"""Reading the raw table and turning it into clean, typed, canonically named data.

The raw file is the article's table as published: Italian headers, Italian
number format (a dot groups thousands, a comma marks decimals) and tabs between
fields. This module reads it without letting any library guess types, parses
every number by the Italian rules, renames the columns to their canonical names
and hands the result to :mod:`helpers.validation`. Any cell it cannot parse is
reported with its file, line and column.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import contract, paths
from helpers.codebook import Codebook, Field, load_codebook
from helpers.errors import DataError, Problem
from helpers.validation import validate

# Mutation testing (docs/mutation.md) covers the number parsing here; the functions
# marked `# pragma: no mutate block` read files, sniff formats or word messages and
# compute no number.

_SIGN = r"(?P<sign>[-+]?)"
_GROUPED = r"\d{1,3}(?:\.\d{3})+"  # 1.000 / 10.000 / 1.234.567
_PLAIN = r"\d+"
_ITALIAN_NUMBER = re.compile(rf"^{_SIGN}(?P<int>{_GROUPED}|{_PLAIN})(?:,(?P<dec>\d+))?$")


def parse_italian_number(text: str, *, integer: bool = False) -> int | float:
    """Parse a number written the Italian way.

    A dot groups thousands and must be followed by exactly three digits; a comma
    separates decimals. ``"10.000"`` is ten thousand, ``"2,5"`` is two and a half.
    A dot followed by other than three digits (``"1.5"``) is ambiguous and refused,
    as is any decimal comma where a whole number is expected (``"1,000"`` is one
    in Italian but one thousand in English: never guess).

    Parameters
    ----------
    text:
        The cell as written in the file; surrounding spaces are ignored.
    integer:
        If true, the value must be a whole number and an ``int`` is returned.

    Raises
    ------
    ValueError
        With a message that says what was expected.

    """
    stripped = text.strip()
    match = _ITALIAN_NUMBER.match(stripped)
    if match is None:
        kind = "a whole number" if integer else "a number"
        raise ValueError(
            f"{kind} in Italian format (digits, a dot before each group of three "
            "thousands digits, a comma before decimals), e.g. '700', '1.000', '10.000'"
            + ("" if integer else " or '2,5'")
        )
    digits = match["int"].replace(".", "")
    negative = match["sign"] == "-"
    if integer:
        if match["dec"] is not None:
            # Refused even as "12,0": "1,000" would otherwise read as one, where an
            # English-format export means one thousand.
            raise ValueError(
                "a whole number without a decimal comma (write 1.000 for one thousand)"
            )
        value: int | float = int(digits)
    else:
        value = float(f"{digits}.{match['dec'] or '0'}")
    return -value if negative else value


@dataclass(frozen=True)
class RawTable:
    """The raw file's cells as text, with the line each data row came from."""

    path: str  # as shown in messages
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    delimiter: str = "tab"
    encoding: str = "UTF-8"

    def to_frame(self) -> pd.DataFrame:
        """The raw cells as a string DataFrame with the original headers."""
        return pd.DataFrame(self.rows, columns=self.header, dtype=object)


#: Field separators accepted, in order of preference: tab (the project's own
#: files), then semicolon and comma (what Italian and English spreadsheets export).
DELIMITERS = {"\t": "tab", ";": "semicolon", ",": "comma"}
#: Encodings tried in turn: UTF-8 (with or without a byte-order mark), then
#: Windows-1252, the superset of Latin-1 that older spreadsheets write.
ENCODINGS = ("utf-8-sig", "cp1252")
#: Cells that spreadsheets use for "no value"; refused with a message that says so.
MISSING_MARKERS = {"", "n.d.", "nd", "n/a", "na", "-", "\u2013", "\u2014", "?"}


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:  # pragma: no mutate block
    return [
        (number, [cell.strip() for cell in fields])
        for number, fields in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)
        if any(cell.strip() for cell in fields)  # blank lines are skipped
    ]


def read_raw_table(
    path: str | os.PathLike[str], codebook: Codebook | None = None
) -> RawTable:  # pragma: no mutate block
    """Read the raw file, keeping every cell as text.

    Accepted as ordinary spreadsheet output: a UTF-8 byte-order mark, Windows
    line endings, spaces around cells, blank lines, semicolon- or
    comma-separated fields (when the header then matches the codebook) and
    Windows-1252/Latin-1 text. Everything else that does not fit the codebook's
    header, or a row with more or fewer fields than the header, raises
    :class:`DataError` naming the line. docs/input-rules.md lists every rule.
    """
    codebook = codebook or load_codebook()
    absolute = paths.resolve(path)
    shown = paths.display_path(absolute)
    try:  # a regular file of sane size: never a FIFO, a device or /dev/stdin (InputError)
        data = paths.read_input(path, "data table", label="raw data")
    except FileNotFoundError:
        raise DataError(shown, Problem(None, None, None, "an existing file")) from None
    except IsADirectoryError:
        raise DataError(shown, Problem(None, None, None, "a file, not a folder")) from None
    except PermissionError:
        raise DataError(shown, Problem(None, None, None, "a readable file")) from None
    if b"\x00" in data:
        raise DataError(shown, Problem(None, None, None, "a text file (found binary content)"))
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything; kept for safety
        raise DataError(shown, Problem(None, None, None, "UTF-8 or Windows-1252 text"))

    expected = codebook.labels
    delimiter = "\t"
    for candidate in DELIMITERS:
        found = _records(text, candidate)
        if found and set(expected) <= set(found[0][1]):
            delimiter = candidate
            break
    records = _records(text, delimiter)
    if not records:
        raise DataError(
            shown, Problem(None, None, None, "a header line and data rows (file is empty)")
        )

    header_line, header = records[0]
    missing = [label for label in expected if label not in header]
    unknown = [label for label in header if label not in expected]
    if missing or unknown:
        problems = [
            Problem(header_line, label, None, "this column in the header") for label in missing
        ]
        problems += [
            Problem(header_line, label, label, "only the columns " + ", ".join(map(repr, expected)))
            for label in unknown
        ]
        raise DataError(shown, problems)
    duplicated = sorted({label for label in header if header.count(label) > 1})
    if duplicated:
        raise DataError(
            shown, [Problem(header_line, label, label, "each column once") for label in duplicated]
        )
    if len(records) == 1:
        raise DataError(shown, Problem(None, None, None, "at least one data row after the header"))

    separator = DELIMITERS[delimiter]
    problems = [
        Problem(
            number, None, f"{len(fields)} fields", f"{len(header)} {separator}-separated fields"
        )
        for number, fields in records[1:]
        if len(fields) != len(header)
    ]
    if problems:
        raise DataError(shown, problems)
    return RawTable(
        path=shown,
        header=header,
        rows=[fields for _, fields in records[1:]],
        lines=[number for number, _ in records[1:]],
        delimiter=separator,
        encoding="UTF-8" if encoding == "utf-8-sig" else "Windows-1252 (Latin-1)",
    )


def _parse_column(raw: RawTable, field: Field, city_label: str, problems: list[Problem]) -> list:
    position = raw.header.index(field.label)
    city_position = raw.header.index(city_label)
    values: list = []
    for row, line in zip(raw.rows, raw.lines, strict=True):
        cell = row[position]
        if field.kind == "string":
            values.append(cell)
            continue
        if cell.lower() in MISSING_MARKERS:
            problems.append(
                Problem(
                    line,
                    field.label,
                    cell,
                    "a value: missing values (empty, 'n.d.', '-') are not accepted, "
                    "every city needs a value in every column of the codebook",
                    city=row[city_position] or None,
                )
            )
            values.append(None)
            continue
        try:
            values.append(parse_italian_number(cell, integer=field.is_count))
        except ValueError as exc:
            problems.append(
                Problem(line, field.label, cell, str(exc), city=row[city_position] or None)
            )
            values.append(None)
    return values


def clean_table(raw: RawTable, codebook: Codebook | None = None) -> pd.DataFrame:
    """Parse every cell of ``raw`` and return a typed DataFrame with canonical names.

    All unparseable cells are collected and reported together in one
    :class:`DataError`; range and uniqueness rules are checked afterwards by
    :func:`helpers.validation.validate`.
    """
    codebook = codebook or load_codebook()
    problems: list[Problem] = []
    city_label = codebook.id_field.label
    columns = {
        field.name: _parse_column(raw, field, city_label, problems) for field in codebook.fields
    }
    if problems:
        raise DataError(raw.path, problems)
    frame = pd.DataFrame(columns)
    for field in codebook.fields:
        if field.kind == "integer":
            frame[field.name] = frame[field.name].astype("int64")
        elif field.kind == "number":
            frame[field.name] = frame[field.name].astype("float64")
        else:
            frame[field.name] = frame[field.name].astype(str)
    return validate(frame, source=raw.path, lines=raw.lines, codebook=codebook)


def load_clean_data(
    path: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:  # pragma: no mutate block
    """Read, parse and validate the raw table in one call (default: the project's file)."""
    codebook = load_codebook()
    return clean_table(read_raw_table(path or paths.RAW_TABLE, codebook), codebook)


def read_processed(path: str | os.PathLike[str]) -> pd.DataFrame:  # pragma: no mutate block
    """Read the clean CSV written by notebook 01 and validate it again.

    Later steps never trust a file on disk blindly: the same schema applies.
    """
    codebook = load_codebook()
    absolute = paths.resolve(path)
    shown = paths.display_path(absolute)
    if not absolute.exists():
        raise DataError(
            shown,
            Problem(
                None,
                None,
                None,
                "the clean table written by notebook 01 (run it first, or `make report`)",
            ),
        )
    dtypes = {
        f.name: {"integer": "int64", "number": "float64"}.get(f.kind, str) for f in codebook.fields
    }
    try:
        frame = pd.read_csv(absolute, dtype=dtypes, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(shown, Problem(None, None, None, f"a clean CSV table ({exc})")) from None
    return validate(frame, source=shown, lines=list(range(2, len(frame) + 2)), codebook=codebook)


def changes_from_raw(
    raw: RawTable, clean: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """List every cell whose clean value is written differently from the raw text.

    This is what a reader needs to trust the cleaning step: for each changed cell,
    the line of the file, the city, the column, the text as published and the
    value used from then on.
    """
    codebook = codebook or load_codebook()
    city_position = raw.header.index(codebook.id_field.label)
    positions = [(field, raw.header.index(field.label)) for field in codebook.fields]
    columns = {field.name: clean[field.name].tolist() for field in codebook.fields}
    records = []  # file order: row by row, the codebook's columns within a row
    for i, (row, line) in enumerate(zip(raw.rows, raw.lines, strict=True)):
        for field, position in positions:
            value = columns[field.name][i]
            written = f"{value:g}" if isinstance(value, float) else str(value)
            if row[position] != written:
                records.append(
                    {
                        "line": line,
                        "city": row[city_position],
                        "column": field.name,
                        "raw_text": row[position],
                        "clean_value": value,
                    }
                )
    return pd.DataFrame(records, columns=contract.CLEANING_CHANGE_COLUMNS)


def change_kinds(changes: pd.DataFrame) -> dict[str, int]:
    """How the changed cells of :func:`changes_from_raw` were rewritten, counted.

    ``thousands``: a dot grouping thousands removed; ``decimals``: a decimal comma
    made a point; ``other``: any other rewriting (a cell with both counts in both).
    """
    texts = changes.raw_text.astype(str)
    dotted = [("." in text) for text in texts]
    commas = [("," in text) for text in texts]
    return {
        "thousands": sum(dotted),
        "decimals": sum(commas),
        "other": sum(not (dot or comma) for dot, comma in zip(dotted, commas, strict=True)),
    }


def write_csv_atomic(
    frame: pd.DataFrame, path: str | os.PathLike[str]
) -> Path:  # pragma: no mutate block
    """Write ``frame`` as CSV to ``path`` so that readers never see a half-written file.

    The data go to a temporary file in the same folder, which then replaces the
    target in one step. Floats keep full precision (``repr`` round-trip).
    """
    return paths.write_atomic(
        path, frame.to_csv(index=False, float_format=None, lineterminator="\n")
    )


def input_rules(kind: str = "D") -> pd.DataFrame:  # pragma: no mutate block
    """The rows of ``docs/input-rules.md`` whose id starts with ``kind`` (D: data files)."""
    rows = []
    columns = ["id", "case", "decision", "exit", "message names"]
    document = paths.PROJECT_ROOT / "docs" / "input-rules.md"
    if not document.exists():  # an installation without the docs: nothing to show
        return pd.DataFrame(columns=columns)
    for line in document.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith(kind) and cells[0][1:].isdigit():
            rows.append(
                dict(zip(["id", "case", "decision", "exit", "message names"], cells, strict=True))
            )
    return pd.DataFrame(rows)
