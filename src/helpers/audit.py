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
size) is *beyond the table*: its check says what kind of claim it is
(:data:`QUALITATIVE`), and its flag what ten city figures from one table would
need before they could support it. Independently of the status, a *flag* says
when something looks wrong, for instance a table value that equals a number the
text gives for a different, narrower thing.
"""

from __future__ import annotations

import os

import pandas as pd

from helpers import contract, i18n, paths
from helpers.cleaning import parse_italian_number
from helpers.codebook import Codebook, load_codebook
from helpers.errors import DataError, Problem
from helpers.i18n import N_, _

CLAIMS_FILE = paths.RAW_DATA_DIR / "article_claims.tsv"
CLAIM_COLUMNS = [
    "claim_id",
    "programme",
    "city",
    "claim",
    "claim_it",  # the same claim in Italian, for the Italian report
    "number",
    "qualifier",
    "unit",
    "field",
    "check",
    "scope",
    "location",
]
#: Claims without a number, by what they assert, and what the table lacks to support them.
QUALITATIVE = {  # marked with N_ for the catalog, translated where a flag is written
    "effect": N_("a claim about what a programme achieved: the article gives no figures from before the "
    "programmes and none for places without them, so its data can show how cities differ, not what "
    "a programme changed"),
    "change": N_("a claim of change over time: the table gives one figure per city (a level or a change, "
    "it does not say which) and no earlier figure or baseline, so it cannot show an improvement"),
    "size": N_("a claim that figures are large: the table gives no yardstick (people eligible, a target, "
    "earlier years or cities outside the programme) to judge their size against"),
}
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


def _fmt(x: float) -> str:
    return i18n.localize(f"{x:,.0f}" if float(x).is_integer() else f"{x:,}")


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

    ``reason`` is ``"part"`` when the cell equals a figure the text gives for
    only a part of what the column counts, ``"other"`` when it equals a number
    the text gives for something else; ``qualifier`` is the claim's own
    (``"over"`` for "oltre 10.000"). The findings use this to say when a
    city that matters for a fit holds a doubtful value.
    """
    return _check(claims, data, codebook)[1]


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
        flags = []
        number = None if pd.isna(claim.number) else float(claim.number)
        if claim.check == "value":
            if claim.city in by_city.index:
                value = float(by_city.loc[claim.city, claim.field])
            else:
                flags.append(_("{city} is not a city of the table").format(city=claim.city))
        elif claim.check == "min":
            value = float(data[claim.field].min())
        elif claim.check == "max":
            value = float(data[claim.field].max())
        elif claim.check == "n_cities":
            value = float(len(data))

        if claim.check in QUALITATIVE:
            status = "beyond the table"
            flags.append(_(QUALITATIVE[claim.check]))
        elif value is None:
            status = "cannot be checked"
            if number is None:
                flags.append(_("the article gives no figure for this"))
        elif claim.scope == "part":
            # the claim covers part of what the table counts: the table must be at least as large
            status = _at_least(value, number, claim.qualifier)
            if value == number:
                cells.append(
                    (claim.city, claim.field, value, claim.claim_id, claim.claim, claim.qualifier, "part")
                )
                title = codebook.field(claim.field).title.lower()
                flags.append(
                    (
                        _(
                            "the table's {title} for {city} ({value}) equals the figure the text gives for "
                            "only a part of it: the table may record just that part; read strictly ('more "
                            "than {number}'), that part alone would exceed the table's total, which cannot "
                            "be; read loosely (about that many), the total equals the part. Either way the "
                            "table's figure most likely records that part only"
                        )
                        if claim.qualifier == "over"
                        else _(
                            "the table's {title} for {city} ({value}) equals the figure the text gives for "
                            "only a part of it: the table may record just that part"
                        )
                    ).format(title=title, city=claim.city, value=_fmt(value), number=_fmt(number))
                )
        elif claim.qualifier == "over":
            # "over N" is a lower bound: a table value above N does not contradict it
            status = _at_least(value, number, claim.qualifier)
            if value == number:
                flags.append(
                    _(
                        "the text's 'over {number}' is a lower bound that the table meets exactly: read "
                        "strictly (more than {number}), the two disagree; read loosely, the table gives the "
                        "round figure itself"
                    ).format(number=_fmt(number))
                )
        else:
            status = "agrees" if value == number else "disagrees"

        # a number of the text that reappears in the same city's row under another column
        if claim.city and number is not None and claim.city in by_city.index:
            for field in codebook.variables():
                if field != claim.field and float(by_city.loc[claim.city, field]) == number:
                    cells.append(
                        (claim.city, field, number, claim.claim_id, claim.claim, claim.qualifier, "other")
                    )
                    flags.append(
                        _(
                            "the table's {title} for {city} is also {number}, the number the text gives "
                            "for something else"
                        ).format(
                            title=codebook.field(field).title.lower(), city=claim.city, number=_fmt(number)
                        )
                    )
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
                "flag": "; ".join(flags),
            }
        )
    return (
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        pd.DataFrame(cells, columns=FLAGGED_COLUMNS),
    )
