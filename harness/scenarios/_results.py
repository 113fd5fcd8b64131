"""What a run produced: per step, per scenario, per run; the data every report renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Exchange", "RunResult", "ScenarioResult", "Status", "StepResult"]

Status = Literal["passed", "failed", "error", "skipped", "not run"]


@dataclass
class Exchange:
    """One request a step sent: what came back and how long it took."""

    action: str
    status: int | None
    outcome: str
    elapsed_ms: float
    within_budget: bool
    retried: bool = False
    screen: str | None = None
    as_whatsapp: bool = True
    """Sent as WhatsApp sends requests (valid signature, current key and secret, no
    tampered envelope or body): what Meta's health monitoring would see."""


@dataclass
class StepResult:
    index: int
    name: str
    kind: str
    line: int
    status: Status = "not run"
    started: float = 0.0
    """Seconds since the scenario started."""
    elapsed: float = 0.0
    detail: str = ""
    """What happened, in one line (statuses, counts)."""
    failures: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    screens_html: str = field(default="", repr=False)
    """A walk step's journey as HTML (each screen the person saw); the HTML report shows it."""

    @property
    def latencies_ms(self) -> list[float]:
        return [e.elapsed_ms for e in self.exchanges]


@dataclass
class ScenarioResult:
    id: str
    name: str
    path: Path
    description: str = ""
    tags: tuple[str, ...] = ()
    target: str = "embedded"
    status: Status = "not run"
    elapsed: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    error: str = ""
    """Why the scenario errored or was skipped (not a failed expectation: those are in steps)."""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.status in ("failed", "error")), None)

    def report(self) -> str:
        """The scenario's own report: every step, and why the failing one failed."""
        lines = [f"scenario {self.name!r} ({self.path}) on {self.target}: {self.status.upper()}"]
        for step in self.steps:
            mark = {"passed": "ok", "failed": "FAIL", "error": "ERROR"}.get(step.status, "--")
            timing = f"{step.elapsed * 1000:.0f} ms"
            lines.append(f"  [{mark:>5}] step {step.index + 1} (line {step.line}) {step.name}")
            if step.detail:
                lines.append(f"          {step.detail} ({timing})")
            lines += [f"          - {failure}" for failure in step.failures]
        if self.error:
            lines.append(f"  {self.error}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for step in data["steps"]:
            step.pop("screens_html", None)  # HTML for the HTML report, not for JSON readers
        data["path"] = str(self.path)
        data["tags"] = list(self.tags)
        return data


@dataclass
class RunResult:
    target: str
    scenarios: list[ScenarioResult] = field(default_factory=list)
    elapsed: float = 0.0
    parallel: int = 1

    def count(self, status: Status) -> int:
        return sum(1 for s in self.scenarios if s.status == status)

    @property
    def ok(self) -> bool:
        return all(s.status in ("passed", "skipped") for s in self.scenarios)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "elapsed": self.elapsed,
            "parallel": self.parallel,
            "summary": {
                status: self.count(status) for status in ("passed", "failed", "error", "skipped")
            },
            "scenarios": [s.to_dict() for s in self.scenarios],
        }
