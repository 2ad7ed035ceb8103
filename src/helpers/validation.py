"""The schema of the clean table, checked with pandera.

Rules: one row per city, city names present and unique; counts are non-negative
integers; percentages lie between 0 and 100; no column is missing or extra.
Failures are translated into :class:`helpers.errors.DataError`, which names the
line of the raw file, the city, the column and the rule that failed.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from helpers.codebook import Codebook, Field, load_codebook
from helpers.errors import DataError, Problem

#: Fewest cities a table may have: a straight line has two coefficients, and
#: its standard errors need at least one more point.
MIN_CITIES = 3


def _column(field: Field) -> pa.Column:
    if field.kind == "string":
        return pa.Column(
            str,
            checks=pa.Check.str_length(min_value=1, error="a non-empty name"),
            unique=field.role == "id",
            nullable=False,
            title=field.title,
        )
    checks = []
    if field.is_count:
        checks.append(pa.Check.ge(0, error="a non-negative whole number"))
        dtype = "int64"
    else:
        lo = field.minimum if field.minimum is not None else float("-inf")
        hi = field.maximum if field.maximum is not None else float("inf")
        checks.append(pa.Check.in_range(lo, hi, error=f"a percentage between {lo:g} and {hi:g}"))
        dtype = "float64"
    return pa.Column(dtype, checks=checks, nullable=False, title=field.title)


def schema(codebook: Codebook | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the clean table, built from the codebook."""
    codebook = codebook or load_codebook()
    return pa.DataFrameSchema(
        {field.name: _column(field) for field in codebook.fields},
        strict=True,
        ordered=True,
        checks=pa.Check(
            lambda frame: len(frame) >= MIN_CITIES,
            element_wise=False,
            error=f"at least {MIN_CITIES} cities: a line through fewer points leaves no error to estimate",
        ),
        name="inclusione_attiva_clean",
    )


def _expected(check: str) -> str:
    if check.startswith("at least") or check.startswith("<lambda>"):
        return (
            f"at least {MIN_CITIES} cities: a line through fewer points leaves no error to estimate"
        )
    if check == "field_uniqueness":
        return "a city name that appears only once"
    if check.startswith("dtype("):
        return f"values of type {check[6:-1]}"
    if check == "not_nullable":
        return "a value (found none)"
    return check


def validate(
    frame: pd.DataFrame,
    *,
    source: str = "<data>",
    lines: Sequence[int] | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Validate ``frame`` against :func:`schema` and return it unchanged.

    ``lines`` gives, for each row, the line of the source file it came from, so
    the error can point into the file the user edits.
    """
    codebook = codebook or load_codebook()
    try:
        return schema(codebook).validate(frame, lazy=True)
    except SchemaErrors as exc:
        problems = []
        labels = {f.name: f.label for f in codebook.fields}
        cases = exc.failure_cases
        for case in cases.itertuples(index=False):
            index = case.index
            has_row = index is not None and not pd.isna(index)
            row = int(index) if has_row else None
            line = lines[row] if (row is not None and lines is not None) else None
            city = str(frame.iloc[row][codebook.id_field.name]) if row is not None else None
            if str(case.check) == "column_in_schema":
                problems.append(
                    Problem(
                        None,
                        str(case.failure_case),
                        case.failure_case,
                        "only the codebook's columns",
                    )
                )
                continue
            if case.column not in labels:  # a rule on the whole table
                problems.append(
                    Problem(None, None, None, f"{_expected(str(case.check))} (found {len(frame)})")
                )
                continue
            column = labels[case.column]
            problems.append(
                Problem(line, column, case.failure_case, _expected(str(case.check)), city=city)
            )
        problems.sort(
            key=lambda p: (
                p.line is None,
                p.line or 0,
                codebook.labels.index(p.column) if p.column in codebook.labels else 99,
            )
        )
        raise DataError(source, problems) from None
