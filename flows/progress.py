"""A progress bar on the terminal while a batch runs (rich ships with Prefect)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from flows.outcomes import Outcome, OutcomeKind


@contextmanager
def progress_reporter(*, total: int, enabled: bool) -> Iterator[Callable[[Outcome], None]]:
    """A callback advancing a bar on stderr per finished call; does nothing when disabled."""
    if not enabled:
        yield lambda _outcome: None
        return
    console = Console(file=sys.stderr)
    columns = (TextColumn("calls"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=console, transient=False) as bar:
        task_id = bar.add_task("", total=total)

        def advance(outcome: Outcome) -> None:
            failed = " (failed)" if outcome.kind is OutcomeKind.FAILED else ""
            bar.update(task_id, advance=1, description=f"{outcome.call_id or outcome.path}{failed}")

        yield advance
