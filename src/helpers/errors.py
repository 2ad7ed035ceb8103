"""The project's exceptions: one base class and one subclass per kind of failure.

Each subclass carries an ``exit_code`` so that the command line can turn any
failure into a distinct, documented process status (see docs/operations.md), and fields
that say *where* it went wrong, so that messages can name the file, line and
column rather than leave the user to search for them.
"""

from __future__ import annotations

from dataclasses import dataclass


class ReportError(Exception):
    """Base class of every error the pipeline raises on purpose."""

    exit_code = 1


class ParameterError(ReportError):
    """A parameter is unknown, of the wrong type, or inconsistent with the data."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One bad cell (or line) of a data file."""

    line: int | None
    column: str | None
    value: object
    expected: str
    city: str | None = None

    def describe(self) -> str:
        """Return the problem as one human sentence fragment."""
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.city:
            where.append(f"city {self.city!r}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        place = ", ".join(where) if where else "the table"
        if self.value is None:
            return f"{place}: expected {self.expected}"
        return f"{place}: found {self.value!r}, expected {self.expected}"


class DataError(ReportError):
    """The input data file cannot be read or does not satisfy the schema.

    ``problems`` lists every bad cell found (validation is lazy, so the user sees
    all of them at once, not one per run).
    """

    exit_code = 3

    def __init__(self, path: str, problems: list[Problem] | Problem):
        self.path = path
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        lines = [f"Invalid data in {path}:"]
        lines += [f"  - {problem.describe()}" for problem in self.problems]
        super().__init__("\n".join(lines))

    # Pickling (used when the error crosses a process boundary) must rebuild from args.
    def __reduce__(self):
        return (type(self), (self.path, self.problems))


class NotebookError(ReportError):
    """A notebook raised an exception while the pipeline executed it."""

    exit_code = 4


class ExportError(ReportError):
    """Converting executed notebooks to HTML or PDF failed."""

    exit_code = 5


class ForkServerError(ReportError):
    """The kernel template process could not start or stopped answering."""


class LockHeld(ReportError):
    """Another run holds the reports folder's lock."""

    exit_code = 6


class InputError(ReportError):
    """An input that is not a regular file of sane size: a FIFO, a device, a pipe, too big.

    Its exit code is the one of the input's kind: 3 for the data (tables, codebook), 2 for
    the files that steer the tool (config, grid and scheduler files).
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code

    def __reduce__(self):
        return (type(self), (str(self), self.exit_code))


class LinkRefused(ReportError):
    """A place inside the reports tree where the tool would write is a symbolic link.

    The tool never writes through a link it did not make (nor into a folder that is
    one), so a planted link cannot make it overwrite a file elsewhere. Anything else but
    a regular file in such a place (a FIFO, a device) is refused the same way.
    """

    exit_code = 2
