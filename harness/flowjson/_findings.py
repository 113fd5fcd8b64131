"""Findings (one problem each, with a stable code and a JSON pointer) and their report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Severity = Literal["error", "warning"]

# code -> what the rule checks. Codes are stable: CI scripts and tests match on them.
RULES: dict[str, str] = {
    # reading and structure
    "invalid-json": "the file is not JSON",
    "missing-property": "a required property is absent",
    "wrong-type": "a property has the wrong JSON type",
    "invalid-value": "a property holds a value outside its allowed set",
    "invalid-structure": "the document does not have the shape of a Flow JSON",
    "unsupported-version": "`version` is not a sendable Flow JSON version",
    "unknown-component": "a component type Flow JSON does not define (kept, not checked)",
    "unknown-property": "a property the component or object does not define (kept)",
    "duplicate-screen-id": "two screens share an id",
    "reserved-screen-id": "a screen is called SUCCESS, which closes the flow",
    # routing
    "missing-routing-model": "an endpoint flow (data_api_version set) has no routing_model",
    "routing-unknown-screen": "routing_model names a screen that does not exist",
    "screen-not-in-routing-model": "a screen is absent from routing_model",
    "routing-self-loop": "a screen routes to itself",
    "routing-back-edge": "two screens route to each other (A->B and B->A)",
    "routing-cycle": "routes form a cycle",
    "multiple-entry-screens": "more than one screen has no incoming route",
    "route-not-terminal": "a route ends at a screen that is not terminal",
    "too-many-branches": "a screen routes to more than 10 screens",
    # actions and footers
    "terminal-without-footer": "a terminal screen has no Footer",
    "multiple-footers": "a screen shows more than one Footer",
    "complete-not-terminal": "`complete` is used on a screen that is not terminal",
    "complete-outside-footer": "`complete` is used outside a Footer",
    "navigate-on-terminal-footer": "a terminal screen's Footer navigates",
    "navigate-unknown-screen": "`navigate` targets a screen that does not exist",
    "navigate-not-in-routing-model": "`navigate` targets a screen routing_model does not allow",
    # bindings, expressions, versions
    "invalid-binding": "a ${...} reference is malformed",
    "unresolved-form-binding": "${form.x} names no input component on its screen",
    "unresolved-data-binding": "${data.x} is not declared in its screen's data",
    "unresolved-screen-binding": "${screen.ID...} names a missing screen, input or data field",
    "expression-syntax": "a backtick expression or If condition does not parse",
    "feature-above-version": "a component, action or syntax newer than the declared version",
    # data declarations
    "missing-example": "a data declaration has no __example__",
    "null-example": "an __example__ contains null",
    "example-type-mismatch": "an __example__ does not match its declared schema",
    "invalid-data-declaration": "a data declaration is not a valid JSON Schema",
    # component limits
    "too-many-components": "a screen has more than 50 components",
    "option-count-out-of-range": "a literal option list is empty or too long",
    "invalid-input-type": "a TextInput's input-type is not allowed",
    "multiple-media-pickers": "a screen has more than one PhotoPicker/DocumentPicker",
    "picker-value-nested": "a media picker value is nested inside a payload field",
    "picker-value-misplaced": "a media picker value used outside a data_exchange/complete payload",
    # endpoint response contract (WhatsApp's own error names where it has one)
    "invalid-screen-transition": "the answer moves to a screen routing_model does not allow",
    "payload-schema-error": "the answer's data does not match the target screen's declarations",
    "missing-flow-token": "a SUCCESS answer lacks extension_message_response.params.flow_token",
    "flow-token-mismatch": "a SUCCESS answer carries another flow token than the request",
    "invalid-error-message": "data.error_message is not a string",
    # what a journey saw on the wire (harness.walker): WhatsApp's error types, kebab-cased
    "response-decryption-error": "the answer could not be decrypted",
    "unexpected-http-status-code": "the endpoint answered a status WhatsApp does not understand",
    "timeout-error": "the endpoint did not answer within the client's timeout",
    "no-http-response-error": "the endpoint could not be reached",
    "business-decryption-error": "the endpoint could not decrypt the request (421 twice)",
    "flow-token-invalid": "the endpoint answered 427: the flow token is no longer valid",
    "signature-rejected": "the endpoint answered 432 to a correctly signed request",
    "over-budget": "an answer took longer than the response-time budget",
}


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
        if self.code not in RULES:
            raise ValueError(f"unknown finding code {self.code!r}: add it to RULES")

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
