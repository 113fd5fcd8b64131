"""The terminal side of a run: live progress and a summary table (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.scenarios._model import Scenario
from harness.scenarios._results import RunResult, ScenarioResult, StepResult

__all__ = ["LiveProgress", "summary_table"]

_STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}


class LiveProgress:
    """A progress bar over scenarios, and a line per finished scenario."""

    def __init__(self, console: Console, total: int):
        self.console = console
        self._progress = Progress(
            TextColumn("[bold]scenarios"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("", total=total)
        self._running: list[str] = []

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def _describe(self) -> None:
        self._progress.update(self._task, description=", ".join(self._running[-3:]))

    def started(self, scenario: Scenario) -> None:
        self._running.append(scenario.id)
        self._describe()

    def step_done(self, scenario: Scenario, step: StepResult) -> None:
        pass

    def finished(self, result: ScenarioResult) -> None:
        if result.id in self._running:
            self._running.remove(result.id)
        style = _STYLE.get(result.status, "white")
        self.console.print(
            f"[{style}]{result.status.upper():>7}[/] {result.name} "
            f"[dim]({result.id}, {result.elapsed:.1f} s)[/]"
        )
        self._progress.advance(self._task)
        self._describe()


def summary_table(run: RunResult) -> Table:
    table = Table(title=f"{run.target}: {run.elapsed:.1f} s, {run.parallel} at a time")
    table.add_column("scenario")
    table.add_column("result")
    table.add_column("steps", justify="right")
    table.add_column("slowest request", justify="right")
    table.add_column("time", justify="right")
    for result in run.scenarios:
        latencies = [ms for step in result.steps for ms in step.latencies_ms]
        done = sum(1 for s in result.steps if s.status == "passed")
        table.add_row(
            result.name,
            f"[{_STYLE.get(result.status, 'white')}]{result.status}[/]",
            f"{done}/{len(result.steps)}",
            f"{max(latencies):.0f} ms" if latencies else "-",
            f"{result.elapsed:.1f} s",
        )
    return table
