"""What a conformance run found: one graded result per check, plus the fuzzing, if any."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from harness._meta_docs import MetaSource
from harness.client import Exchange

if TYPE_CHECKING:
    from harness.conformance._fuzz import FuzzReport
    from harness.flowjson import Flow


class Grade(StrEnum):
    """How an endpoint did on one check; only FAIL makes a run fail."""

    PASS = "pass"
    WARN = "warn"
    """Works with WhatsApp, but against Meta's advice or the project's targets."""
    FAIL = "fail"
    SKIP = "skip"
    """Could not be checked (the detail says why)."""
    NOT_RUN = "not-run"
    """Not sent: the endpoint stopped answering before this check (not a failure)."""


_SEVERITY = {Grade.NOT_RUN: 0, Grade.SKIP: 0, Grade.PASS: 1, Grade.WARN: 2, Grade.FAIL: 3}


def worst(grades: list[Grade]) -> Grade:
    """The most severe grade (SKIP only when there is nothing else)."""
    return max(grades, key=_SEVERITY.__getitem__, default=Grade.SKIP)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict; ``hint`` says how to fix a warning or a failure."""

    id: str
    title: str
    source: MetaSource
    """The section of Meta's documentation that states the promise."""
    grade: Grade
    detail: str
    hint: str | None = None
    elapsed: float = 0.0
    cause: str | None = None
    """A failure's root cause; failures sharing one are one finding (see ``findings``)."""
    exchanges: tuple[Exchange, ...] = field(default=(), repr=False, compare=False)
    """The requests the check sent or read, oldest first (the HTML report shows them)."""

    @property
    def section(self) -> str:
        """The title of that section of Meta's page (``source.section``)."""
        return self.source.section

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cause": self.cause,
            "title": self.title,
            "section": self.section,
            "source": self.source.to_dict(),
            "grade": str(self.grade),
            "detail": self.detail,
            "hint": self.hint,
            "elapsed": round(self.elapsed, 4),
        }


@dataclass(slots=True)
class ConformanceReport:
    """Every check's result for one endpoint, in suite order."""

    endpoint: str
    results: list[CheckResult] = field(default_factory=list)
    elapsed: float = 0.0
    fuzz: FuzzReport | None = None
    stopped: str | None = None
    """Why the run stopped early (the endpoint stopped answering), with a reproducer."""

    @property
    def ok(self) -> bool:
        """Nothing failed (warnings and skips allowed) and fuzzing found nothing."""
        return not self.failures and (self.fuzz is None or self.fuzz.ok)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.grade is Grade.FAIL]

    @property
    def findings(self) -> list[list[CheckResult]]:
        """The failures grouped by root cause, in suite order: one finding per cause."""
        groups: dict[str, list[CheckResult]] = {}
        for result in self.failures:
            groups.setdefault(result.cause or result.id, []).append(result)
        return list(groups.values())

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.grade is Grade.WARN]

    def counts(self) -> dict[str, int]:
        counted = Counter(str(r.grade) for r in self.results)
        shown = [g for g in Grade if g is not Grade.NOT_RUN or counted.get(str(g))]
        return {str(grade): counted.get(str(grade), 0) for grade in shown}

    def __getitem__(self, check_id: str) -> CheckResult:
        for result in self.results:
            if result.id == check_id:
                return result
        ran = ", ".join(r.id for r in self.results) or "none"
        raise KeyError(f"no result for check {check_id!r} in this report (ran: {ran})")

    def grade_of(self, check_id: str) -> Grade:
        return self[check_id].grade

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "ok": self.ok,
            "counts": self.counts(),
            "elapsed": round(self.elapsed, 3),
            "stopped": self.stopped,
            "findings": [[r.id for r in group] for group in self.findings],
            "checks": [r.to_dict() for r in self.results],
            "fuzz": self.fuzz.to_dict() if self.fuzz is not None else None,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self, *, width: int = 120) -> str:
        """The readable report (a table, then a summary), without colours."""
        from harness.conformance._render import render_text

        return render_text(self, width=width)

    def to_html(self, flow: Flow | None = None) -> str:
        """A self-contained page: every check, each request it sent and the answer, and
        with ``flow`` the screens those answers open, as the person would see them."""
        from harness.conformance._html import report_html

        return report_html(self, flow)

    def __str__(self) -> str:
        return self.to_text()
