"""Findings (one problem each, with a stable code and a JSON pointer) and their report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from harness.flowjson._rule_table import RULE_TABLE, RULES, Severity

__all__ = ["RULES", "RULE_TABLE", "Finding", "Report", "Severity", "error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem: how bad, which rule (``code``), where (JSON ``pointer``), and what to do."""

    severity: Severity
    code: str
    pointer: str
    message: str
    hint: str = ""
    file: str | None = None

    def __post_init__(self) -> None:
        rule = RULE_TABLE.get(self.code)
        if rule is None:
            raise ValueError(f"unknown finding code {self.code!r}: add it to RULE_TABLE")
        if self.severity == "error" and rule.severity == "warning":
            raise ValueError(f"{self.code} has no Meta source: it can only be a warning")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def format(self) -> str:
        where = f"{self.file}:" if self.file else ""
        text = f"{self.severity}: {where}{self.pointer or '/'}: {self.message} [{self.code}]"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


def error(code: str, pointer: str, message: str, hint: str = "") -> Finding:
    return Finding("error", code, pointer, message, hint)


def warning(code: str, pointer: str, message: str, hint: str = "") -> Finding:
    return Finding("warning", code, pointer, message, hint)


@dataclass(frozen=True)
class Report:
    """Every finding for one flow, in document order."""

    findings: tuple[Finding, ...] = ()
    file: str | None = None

    @classmethod
    def of(cls, findings: list[Finding], *, file: str | None = None) -> Report:
        ordered = sorted(findings, key=lambda item: (_pointer_key(item.pointer), item.code))
        return cls(tuple(replace(item, file=file) for item in ordered), file=file)

    @property
    def errors(self) -> list[Finding]:
        return [item for item in self.findings if item.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [item for item in self.findings if item.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [item.code for item in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [item.to_dict() for item in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def format(self) -> str:
        header = (
            f"{self.file or '<flow>'}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )
        return "\n".join([header, *(item.format() for item in self.findings)])


def _pointer_key(pointer: str) -> tuple[tuple[int, int | str], ...]:
    # numeric segments sort as numbers, so /screens/10 comes after /screens/9
    parts = pointer.split("/")[1:]
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts)
