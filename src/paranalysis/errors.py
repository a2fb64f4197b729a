"""Data problems: one exception for all of them, listing every fault found."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from typing import Iterable

#: Warnings other libraries raise that say nothing about the user's data: with the optional
#: extra [spark], pandera imports pyspark.pandas, which warns under pandas 3 ("PySpark does
#: not yet fully support pandas >= 3.0.0"); paranalysis never uses pyspark.pandas.
FOREIGN_WARNINGS = ("PySpark does not yet fully support pandas",)


def quiet_foreign_warnings() -> None:
    """Hide :data:`FOREIGN_WARNINGS` under the warning filters now in force."""
    for message in FOREIGN_WARNINGS:
        warnings.filterwarnings("ignore", message=message)


@contextlib.contextmanager
def reading_notes():
    """Collect, as a list, every warning reading a file raises (rows dropped, hidden rows
    read, ...): the notes shown about that file; other libraries' chatter left out."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_foreign_warnings()
        yield caught


@dataclass(frozen=True)
class Problem:
    """One fault in an input: where it is (file, sheet, Excel/CSV row, column header),
    the value found and what was expected instead."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    expected: str = ""

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file '{self.file}'")
        if self.sheet:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        loc = ", ".join(where) if where else "input"
        found = "" if self.value is None else f": found {self.value!r}"
        return f"{loc}{found}; expected {self.expected}"


class DataError(ValueError):
    """A data problem. ``.problems`` lists every fault found, each naming the file,
    sheet, row, column, the value found and what was expected."""

    def __init__(self, problems: Iterable[Problem] | str, *, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(file=file, expected=problems)]
        self.problems: list[Problem] = list(problems)
        from paranalysis.i18n import Message
        from paranalysis.limits import MAX_PROBLEMS

        if len(self.problems) > MAX_PROBLEMS + 1:  # bounded output: say how many more there were
            more = len(self.problems) - MAX_PROBLEMS
            self.problems = self.problems[:MAX_PROBLEMS] + [Problem(
                file=file, expected=Message("errors.more_problems", more=more, limit=MAX_PROBLEMS))]
        if not self.problems:
            self.problems = [Problem(file=file, expected=Message("errors.no_detail"))]
        self.file = file
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found"
        if file:
            head += f" in '{file}'"
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{head}:\n{body}")


class RunError(Exception):
    """A problem that stops ``paranalysis run`` before or while running (not a data error):
    unknown quarter, missing notebooks, a notebook without the expected parameters."""


class UnsafeReportError(RunError):
    """A report page holds live markup (a script, a frame, an event handler, a
    ``javascript:`` link...): it is not published. Names the page and every element found."""

    def __init__(self, page: str, problems: list[str]):
        self.page = page
        self.problems = list(problems)
        shown = "; ".join(self.problems[:5]) + (f"; and {len(self.problems) - 5} more" if len(self.problems) > 5 else "")
        super().__init__(f"UnsafeReportError: page {page} not published, it holds live markup: {shown}")
