"""What a walk did, step by step: screens, chosen inputs, requests, answers, findings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.flowjson import Finding

StepKind = Literal["init", "data_exchange", "navigate", "back", "complete"]
Ending = Literal["complete", "success", "error", "rejected", "dead-end", "max-steps"]
COMPLETED_ENDINGS = ("complete", "success")


@dataclass
class Notification:
    """The error notification the walker sent after an invalid answer, and how it went."""

    error: str
    error_message: str
    outcome: str
    status: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_message": self.error_message,
            "outcome": self.outcome,
            "status": self.status,
        }


@dataclass
class Step:
    """One move: a request to the endpoint (INIT, data_exchange, BACK) or a local one."""

    index: int
    kind: StepKind
    screen: str | None
    """The screen the user was on (None before INIT)."""
    trigger: str = ""
    """What fired it: "Footer", "on-select-action of date", "dead end", ..."""
    pointer: str = ""
    """The action's JSON pointer in the flow."""
    inputs: dict[str, Any] = field(default_factory=dict)
    """The screen's form values when the move was made."""
    request: Any = None
    """The decrypted request sent (None for local moves); ``payload`` for navigate/complete."""
    status: int | None = None
    outcome: str | None = None
    answer: Any = None
    """The decrypted answer."""
    elapsed: float | None = None
    within_budget: bool | None = None
    next_screen: str | None = None
    error_message: str | None = None
    """The endpoint's ``data.error_message``: it rejected the input in place."""
    findings: list[Finding] = field(default_factory=list)
    notification: Notification | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "screen": self.screen,
            "trigger": self.trigger,
            "pointer": self.pointer,
            "inputs": self.inputs,
            "request": self.request,
            "status": self.status,
            "outcome": self.outcome,
            "answer": self.answer,
            "elapsed": self.elapsed,
            "within_budget": self.within_budget,
            "next_screen": self.next_screen,
            "error_message": self.error_message,
            "findings": [item.to_dict() for item in self.findings],
            "notification": self.notification.to_dict() if self.notification else None,
        }

    def format(self) -> str:
        where = self.screen or "(opening)"
        head = f"{self.index:>2}. {where}: {self.kind}"
        if self.trigger:
            head += f" via {self.trigger}"
        if self.next_screen:
            head += f" -> {self.next_screen}"
        if self.pointer:
            head += f"  [{self.pointer}]"
        lines = [head]
        if self.inputs:
            lines.append(f"    inputs: {_short(self.inputs)}")
        if self.status is not None or self.outcome:
            timing = f" in {self.elapsed * 1000:.0f} ms" if self.elapsed is not None else ""
            slow = "" if self.within_budget in (None, True) else " (over budget)"
            lines.append(f"    answer: {self.status} {self.outcome}{timing}{slow}")
        if self.error_message:
            lines.append(f"    endpoint error_message: {self.error_message!r}")
        lines += [f"    {line}" for item in self.findings for line in item.format().splitlines()]
        if self.notification:
            note = self.notification
            lines.append(f"    sent error notification {note.error!r}: {note.outcome}")
        return "\n".join(lines)


@dataclass
class Transcript:
    """A whole journey. ``completed`` when it reached ``complete`` or a SUCCESS answer."""

    flow: str | None
    flow_token: str | None
    steps: list[Step] = field(default_factory=list)
    ending: Ending = "error"
    reason: str = ""
    completion: dict[str, Any] | None = None
    """The completion payload (``complete``) or SUCCESS params."""

    @property
    def completed(self) -> bool:
        return self.ending in COMPLETED_ENDINGS

    @property
    def findings(self) -> list[Finding]:
        return [item for step in self.steps for item in step.findings]

    @property
    def errors(self) -> list[Finding]:
        return [item for item in self.findings if item.severity == "error"]

    @property
    def screens(self) -> list[str]:
        """The screens visited, in order, without repeats in a row."""
        seen: list[str] = []
        for step in self.steps:
            for screen in (step.screen, step.next_screen):
                if screen and screen != "SUCCESS" and (not seen or seen[-1] != screen):
                    seen.append(screen)
        return seen

    @property
    def notifications(self) -> list[Notification]:
        return [step.notification for step in self.steps if step.notification]

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "completed": self.completed,
            "ending": self.ending,
            "reason": self.reason,
            "completion": self.completion,
            "screens": self.screens,
            "findings": [item.to_dict() for item in self.findings],
            "steps": [step.to_dict() for step in self.steps],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def format(self) -> str:
        verdict = "completed" if self.completed else "NOT completed"
        head = f"journey through {self.flow or '<flow>'}: {verdict} ({self.ending})"
        if self.reason:
            head += f": {self.reason}"
        lines = [head, *(step.format() for step in self.steps)]
        lines.append(
            f"{len(self.errors)} error(s), {len(self.findings) - len(self.errors)} warning(s)"
        )
        return "\n".join(lines)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
