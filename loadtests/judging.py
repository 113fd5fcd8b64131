"""The verdict at the end of ``flowharness load``: stages that each judge the finished run.

A stage is a function from a :class:`FinishedRun` (the CSV locust left, the budget, the
locust exit code) to a :class:`StageVerdict`; :func:`judge_run` runs every stage of
:data:`STAGES` and the run passes when each one does: the latency budget, then Meta's
health verdict (:mod:`harness.health`: the alerts the traffic would fire and the flow
state that follows; THROTTLED or BLOCKED fails the run). No locust import here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.health import assess
from loadtests.budget import Budget, judge
from loadtests.traffic import traffic_from_csv
from loadtests.verdict import CsvFormatError, figures_from_csv

__all__ = [
    "STAGES",
    "FinishedRun",
    "RunVerdict",
    "Stage",
    "StageVerdict",
    "budget_stage",
    "health_stage",
    "judge_run",
]


@dataclass(frozen=True)
class FinishedRun:
    """What a run left behind for the stages to judge."""

    csv_prefix: Path
    """locust's ``--csv`` prefix: ``PREFIX_stats.csv``, ``PREFIX_failures.csv``, ..."""
    budget: Budget
    locust_exit_code: int
    seconds: float | None = None
    """How long locust ran (the health verdict's caveat); None when unknown."""


@dataclass(frozen=True)
class StageVerdict:
    stage: str
    passed: bool
    summary: str
    """One line: PASS/FAIL and what was measured."""
    figures: Mapping[str, Any] = field(default_factory=dict)
    """The measured figures, for ``--json``."""


Stage = Callable[[FinishedRun], StageVerdict]


def budget_stage(run: FinishedRun) -> StageVerdict:
    """The latency budget: each request under it, p90/p95/p99 and failures under limits."""
    try:
        figures = figures_from_csv(run.csv_prefix)
    except CsvFormatError as exc:
        return StageVerdict("budget", False, f"ERROR: {exc}")
    verdict = judge(figures, run.budget)
    return StageVerdict("budget", verdict.passed, verdict.summary(), asdict(figures))


def health_stage(run: FinishedRun) -> StageVerdict:
    """Meta's endpoint health verdict on the run's traffic: the flow must stay PUBLISHED."""
    try:
        traffic = traffic_from_csv(run.csv_prefix, seconds=run.seconds)
    except (CsvFormatError, ValueError) as exc:  # ValueError: counts that do not add up
        return StageVerdict("meta health", False, f"ERROR: {exc}")
    verdict = assess(traffic)
    return StageVerdict(
        "meta health", verdict.passed, "\n".join(verdict.lines()), verdict.to_dict()
    )


STAGES: tuple[Stage, ...] = (budget_stage, health_stage)
"""The stages of every run's verdict, in order."""


@dataclass(frozen=True)
class RunVerdict:
    stages: tuple[StageVerdict, ...]

    @property
    def passed(self) -> bool:
        return all(stage.passed for stage in self.stages)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "stages": [asdict(stage) for stage in self.stages]}


def judge_run(run: FinishedRun, stages: Iterable[Stage] = STAGES) -> RunVerdict:
    """Every stage's verdict on ``run``."""
    return RunVerdict(tuple(stage(run) for stage in stages))
