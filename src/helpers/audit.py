"""The article against itself: each number in its text checked against its own table.

Claims are data (``data/raw/article_claims.tsv``); this module only applies the
rules, the same rule to every claim of the same kind. A claim with a number

* *agrees* when the table holds exactly that number for the same thing;
* is *consistent* when the table does not contradict it but cannot confirm it
  either: the text's number is a lower bound ("over 10,000"), or covers only a
  part of what the column counts (one festival among all community events) and
  the table's total is at least as large;
* *disagrees if read strictly* when the text says "over N" and the table gives
  exactly N: more than N cannot be N, yet read loosely ("about N or more") the
  two agree, so the article is at odds with itself only on a strict reading;
* *disagrees* when the table contradicts it;
* *cannot be checked* when no column records what it counts.

A claim without a number (success, effectiveness, an improvement, a notable
size, a model for elsewhere) is *beyond the table*: its ``reason`` says what kind
of claim it is (:data:`QUALITATIVE`). A claim that covers only a part of what a
column counts, and equals the table's figure, casts doubt on that figure: the
table may record only the part (``reason`` ``part``), so the true total is at
least the printed one (``direction`` ``up``: a lower bound). That is this
report's reading of the text, and the report says so.

Codes only: statuses, reasons and directions; the words are the report's.
"""

from __future__ import annotations

import os

import pandas as pd

from helpers import contract, paths
from helpers.cleaning import parse_italian_number
from helpers.codebook import Codebook, load_codebook
from helpers.errors import DataError, Problem

CLAIMS_FILE = paths.RAW_DATA_DIR / "article_claims.tsv"
CLAIM_COLUMNS = [
    "claim_id",
    "programme",
    "city",
    "claim",  # our English rendering of the claim
    "quote_it",  # the article's own words for it, short, as printed (the Italian report quotes them)
    "number",
    "qualifier",
    "unit",
    "field",
    "check",
    "scope",
    "location",
]
#: Claims without a number, by what they assert (the report says what the table lacks to support each).
QUALITATIVE = ("effect", "change", "size", "transfer")
CHECKS = ("value", "min", "max", "n_cities", "none", *QUALITATIVE)
#: Every status a claim can get, in the order the report counts them.
STATUSES = (
    "agrees",
    "consistent",
    "disagrees if read strictly",
    "disagrees",
    "cannot be checked",
    "beyond the table",
)
QUALIFIERS = ("exactly", "over", "")
RESULT_COLUMNS = contract.CLAIMS_CHECK_COLUMNS


def read_claims(
    path: str | os.PathLike[str] = CLAIMS_FILE, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Read and check the claims file; numbers are parsed the Italian way."""
    codebook = codebook or load_codebook()
    shown = paths.display_path(path)
    frame = pd.read_csv(paths.resolve(path), sep="\t", dtype=str, keep_default_na=False)
    if list(frame.columns) != CLAIM_COLUMNS:
        raise DataError(
            shown, Problem(1, None, list(frame.columns), f"the columns {CLAIM_COLUMNS}")
        )
    problems = []
    numbers = []
    for line, row in zip(range(2, len(frame) + 2), frame.itertuples(index=False), strict=True):
        try:
            numbers.append(parse_italian_number(row.number) if row.number else None)
        except ValueError as exc:
            problems.append(Problem(line, "number", row.number, str(exc)))
            numbers.append(None)
        if row.check not in CHECKS:
            problems.append(Problem(line, "check", row.check, "one of " + ", ".join(CHECKS)))
        if row.qualifier not in QUALIFIERS:
            problems.append(Problem(line, "qualifier", row.qualifier, "exactly, over or empty"))
        if row.field and row.field not in codebook.names:
            problems.append(Problem(line, "field", row.field, "a canonical name of the codebook"))
        if row.check in QUALITATIVE:
            if numbers[-1] is not None:
                problems.append(
                    Problem(line, "number", row.number, f"no number for a claim checked as {row.check!r}")
                )
        elif row.check != "none" and (not row.field or numbers[-1] is None):
            problems.append(
                Problem(line, "check", row.check, "a field and a number to check against")
            )
    if frame.claim_id.duplicated().any():
        problems.append(Problem(None, "claim_id", None, "unique claim identifiers"))
    if problems:
        raise DataError(shown, problems)
    return frame.assign(number=numbers)


def _at_least(value: float, number: float, qualifier: str) -> str:
    """The status of a table value that must be at least the text's number (a part, or "over")."""
    if value < number:
        return "disagrees"
    # "over N" read strictly is more than N, which a table value of exactly N contradicts
    return "disagrees if read strictly" if qualifier == "over" and value == number else "consistent"


#: Columns of :func:`flagged_cells`.
FLAGGED_COLUMNS = ["city", "field", "value", "claim_id", "claim", "qualifier", "reason"]


def check_claims(
    claims: pd.DataFrame, data: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Check every claim against the clean table; one row per claim."""
    return _check(claims, data, codebook)[0]


def flagged_cells(
    claims: pd.DataFrame, data: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The table's cells that a claim casts doubt on: one row per (cell, claim).

    ``reason`` is ``"part"``: the cell equals a figure the text gives for only a
    part of what the column counts, so it is a lower bound (:data:`DIRECTIONS`);
    ``qualifier`` is the claim's own (``"over"`` for "oltre 10.000"). A number of
    the text that merely reappears elsewhere in a city's row casts no doubt: round
    figures repeat in this table (300 for Torino and Genova alike). The findings
    use this to say when a city that matters for a fit holds a doubtful value.
    """
    return _check(claims, data, codebook)[1]


#: Reasons of a claim (the ``reason`` column): a kind of :data:`QUALITATIVE` claim, or
#: ``part`` (the table's figure equals the text's for only a part of it), ``over exactly``
#: (the text's "over N" against a table value of exactly N), ``no city`` (the claim's city
#: is not in the table), ``no figure`` (the text gives no number to check).
REASONS = (*QUALITATIVE, "part", "over exactly", "no city", "no figure")
#: Where a doubted figure's true value can lie (the ``direction`` column): ``up`` for a lower bound.
DIRECTIONS = {"part": "up"}


def _check(
    claims: pd.DataFrame, data: pd.DataFrame, codebook: Codebook | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    codebook = codebook or load_codebook()
    city_col = codebook.id_field.name
    by_city = data.set_index(city_col)
    rows = []
    cells = []
    for claim in claims.itertuples(index=False):
        value = None
        reason = ""
        number = None if pd.isna(claim.number) else float(claim.number)
        if claim.check == "value":
            if claim.city in by_city.index:
                value = float(by_city.loc[claim.city, claim.field])
            else:
                reason = "no city"
        elif claim.check == "min":
            value = float(data[claim.field].min())
        elif claim.check == "max":
            value = float(data[claim.field].max())
        elif claim.check == "n_cities":
            value = float(len(data))

        if claim.check in QUALITATIVE:
            status = "beyond the table"
            reason = claim.check
        elif value is None:
            status = "cannot be checked"
            if number is None:
                reason = "no figure"
        elif claim.scope == "part":
            # the claim covers part of what the table counts: the table must be at least as large
            status = _at_least(value, number, claim.qualifier)
            if value == number:
                reason = "part"
                cells.append(
                    (claim.city, claim.field, value, claim.claim_id, claim.claim, claim.qualifier, "part")
                )
        elif claim.qualifier == "over":
            # "over N" is a lower bound: a table value above N does not contradict it
            status = _at_least(value, number, claim.qualifier)
            if value == number:
                reason = "over exactly"
        else:
            status = "agrees" if value == number else "disagrees"
        rows.append(
            {
                "claim_id": claim.claim_id,
                "programme": claim.programme,
                "city": claim.city,
                "claim": claim.claim,
                "number": number,
                "qualifier": claim.qualifier,
                "unit": claim.unit,
                "field": claim.field,
                "table_value": value,
                "status": status,
                "reason": reason,
                "direction": DIRECTIONS.get(reason, ""),
                "quote_it": claim.quote_it,
                "location": claim.location,
            }
        )
    return (
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        pd.DataFrame(cells, columns=FLAGGED_COLUMNS),
    )
