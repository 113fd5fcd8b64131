"""Judging one answer like WhatsApp: findings, and which error notification to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.client import FlowResult, Outcome
from harness.flowjson import Finding, Flow, check_response
from harness.flowjson._contract import RequestAction

# outcomes WhatsApp reports back to the endpoint; 427 and 432 are answers it understands
NOTIFIED_OUTCOMES = frozenset(
    {
        Outcome.RESPONSE_DECRYPTION_ERROR,
        Outcome.UNEXPECTED_HTTP_STATUS_CODE,
        Outcome.TIMEOUT_ERROR,
        Outcome.NO_HTTP_RESPONSE_ERROR,
        Outcome.BUSINESS_DECRYPTION_ERROR,
        Outcome.PAYLOAD_SCHEMA_ERROR,
    }
)
CLIENT_ERROR_TYPES = frozenset({"invalid-screen-transition", "payload-schema-error"})


@dataclass
class Verdict:
    findings: list[Finding] = field(default_factory=list)
    notify: str | None = None
    """The error type to report in an error notification, if any."""
    message: str = ""
    answer: Any = None
    """The decrypted answer, when it can be followed."""

    @property
    def usable(self) -> bool:
        return self.answer is not None and not any(f.severity == "error" for f in self.findings)


def judge(
    flow: Flow,
    result: FlowResult,
    *,
    from_screen: str | None,
    action: RequestAction,
    flow_token: str | None,
) -> Verdict:
    verdict = Verdict()
    if not result.within_budget:
        verdict.findings.append(
            Finding(
                "warning",
                "over-budget",
                "",
                f"the answer took {result.elapsed * 1000:.0f} ms, over the "
                f"{result.budget * 1000:.0f} ms budget",
                "answer first, then do slow work (CRM calls, e-mail) in the background",
            )
        )
    if not result.ok:
        code = str(result.outcome).replace("_", "-")
        explanation = result.explain()
        verdict.findings.append(Finding("error", code, "", explanation, ""))
        if result.outcome in NOTIFIED_OUTCOMES:
            verdict.notify = str(result.outcome)
            verdict.message = result.error or explanation
        return verdict
    verdict.answer = result.payload
    verdict.findings += check_response(
        flow, from_screen, result.payload, flow_token=flow_token, action=action
    )
    errors = [item for item in verdict.findings if item.severity == "error"]
    if errors:
        first = errors[0]
        verdict.notify = first.code if first.code in CLIENT_ERROR_TYPES else "payload-schema-error"
        verdict.message = f"{first.pointer or '/'}: {first.message}"
    return verdict
