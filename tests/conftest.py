"""Shared test fixtures. The reliability tables: a test adds rows (one per probe) with the
``table`` fixture, and the rows are printed, one table per name, at the end of the run."""

from __future__ import annotations

from collections import defaultdict

import pytest

_TABLES: dict[str, list[dict[str, object]]] = defaultdict(list)


class Table:
    def __init__(self, name: str) -> None:
        self.name = name

    def row(self, **cells: object) -> None:
        _TABLES[self.name].append(cells)


@pytest.fixture
def table():
    """``table("bad input").row(input=..., outcome=...)``: a row of the named table."""
    return Table


def _render(name: str, rows: list[dict[str, object]]) -> list[str]:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[str(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in
              enumerate(columns)]
    def line(values):
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"
    return [f"{name}:", line(columns), line(["-" * w for w in widths]), *map(line, cells), ""]


def pytest_terminal_summary(terminalreporter):
    if not _TABLES:
        return
    terminalreporter.section("reliability tables")
    for name, rows in _TABLES.items():
        for text in _render(name, rows):
            terminalreporter.write_line(text)
