"""Progress for long commands: counts, rates and elapsed time on one live line per task.

On a terminal the lines update in place and disappear when the work is done (the
command prints its own summary); piped, nothing is drawn.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

__all__ = ["CheckProgress", "CountProgress"]


class _RateColumn(ProgressColumn):
    """Items per second since the task started."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.1f}/s", style="progress.data.speed")


class CountProgress:
    """A live counter per task: ``description  [bar]  done/total  rate  elapsed  note``."""

    def __init__(self, console: Console):
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def add(self, description: str, total: int | None) -> TaskID:
        return self._progress.add_task(description, total=total, note="")

    def advance(self, task: TaskID, *, completed: int | None = None, note: str = "") -> None:
        if completed is None:
            self._progress.advance(task)
        else:
            self._progress.update(task, completed=completed)
        if note:
            self._progress.update(task, note=note)


class CheckProgress(CountProgress):
    """``flowharness check``: the checks graded so far, then the hostile requests sent."""

    def __init__(self, console: Console, *, checks: int, fuzz: int):
        super().__init__(console)
        self._checks = self.add("checks", checks)
        self._fuzz = self.add("fuzzing", fuzz) if fuzz else None
        self._failed = 0
        self._findings = 0

    def check_done(self, result: object) -> None:
        grade = str(getattr(result, "grade", ""))
        self._failed += grade.lower() == "fail"
        self.advance(self._checks, note=f"{self._failed} failed" if self._failed else "")

    def fuzz_sent(self, sent: int, finding: str | None) -> None:
        if self._fuzz is None:
            return
        self._findings += finding is not None
        note = f"{self._findings} finding(s)" if self._findings else ""
        self.advance(self._fuzz, completed=sent, note=note)
