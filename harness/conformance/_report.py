"""What a conformance run found: one graded result per check, plus the fuzzing, if any."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.conformance._fuzz import FuzzReport


class Grade(StrEnum):
    """How an endpoint did on one check; only FAIL makes a run fail."""

    PASS = "pass"
    WARN = "warn"
    """Works with WhatsApp, but against Meta's advice or the project's targets."""
    FAIL = "fail"
    SKIP = "skip"
    """Could not be checked (the detail says why)."""


_SEVERITY = {Grade.SKIP: 0, Grade.PASS: 1, Grade.WARN: 2, Grade.FAIL: 3}


def worst(grades: list[Grade]) -> Grade:
    """The most severe grade (SKIP only when there is nothing else)."""
    return max(grades, key=_SEVERITY.__getitem__, default=Grade.SKIP)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict; ``hint`` says how to fix a warning or a failure."""

    id: str
    title: str
    section: str
    """The PROTOCOL.md section the promise comes from."""
    grade: Grade
    detail: str
    hint: str | None = None
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
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

    @property
    def ok(self) -> bool:
        """Nothing failed (warnings and skips allowed) and fuzzing found nothing."""
        return not self.failures and (self.fuzz is None or self.fuzz.ok)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.grade is Grade.FAIL]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.grade is Grade.WARN]

    def counts(self) -> dict[str, int]:
        counted = Counter(str(r.grade) for r in self.results)
        return {str(grade): counted.get(str(grade), 0) for grade in Grade}

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
            "checks": [r.to_dict() for r in self.results],
            "fuzz": self.fuzz.to_dict() if self.fuzz is not None else None,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self, *, width: int = 120) -> str:
        """The readable report (a table, then a summary), without colours."""
        from harness.conformance._render import render_text

        return render_text(self, width=width)

    def __str__(self) -> str:
        return self.to_text()
