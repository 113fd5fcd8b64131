"""What one client call produced: status, decrypted answer, verdict and timing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.client._journal import Exchange
from harness.client._outcome import Outcome, status_meaning

# What the endpoint team should look at, per outcome.
_HINTS: dict[Outcome, str] = {
    Outcome.RESPONSE_DECRYPTION_ERROR: (
        "The answer must be the bare Base64 of AES-128-GCM over the JSON, sealed with the "
        "request's AES key and the request IV with every byte flipped (XOR 0xFF), tag appended."
    ),
    Outcome.BUSINESS_DECRYPTION_ERROR: (
        "Check that the endpoint's private key matches the public key uploaded to WhatsApp, "
        "that it accepts 16-byte IVs, and that OAEP uses SHA-256 for both hash and MGF1."
    ),
    Outcome.PAYLOAD_SCHEMA_ERROR: (
        'The decrypted answer must be a JSON object: {"screen": ..., "data": {...}}, or '
        '{"data": {...}} for ping and error notifications.'
    ),
    Outcome.FLOW_TOKEN_INVALID: (
        "Fine if the token really expired; the body should be the encrypted "
        '{"error_msg": ...} or empty, never plaintext.'
    ),
    Outcome.SIGNATURE_REJECTED: (
        "The signature was valid: check the endpoint hashes the raw body bytes before "
        "parsing them, with the same app secret."
    ),
    Outcome.UNEXPECTED_HTTP_STATUS_CODE: (
        "WhatsApp only understands 200, 421, 427 and 432; anything else is an endpoint error."
    ),
    Outcome.TIMEOUT_ERROR: (
        "WhatsApp gives up after 10 s and Meta asks for under 1 s; make the endpoint answer "
        "first and do slow work (CRM calls, e-mail) in the background."
    ),
    Outcome.NO_HTTP_RESPONSE_ERROR: (
        "Check the URL, that the server is running and reachable, and its TLS setup."
    ),
}


@dataclass(frozen=True, slots=True)
class FlowResult:
    """The outcome of one client call, including a retry after a 421."""

    outcome: Outcome
    status: int | None
    payload: Any
    """The decrypted answer (for 200), else None."""
    error_msg: str | None
    """The decrypted ``error_msg`` of a 427 answer, if it had one."""
    elapsed: float
    """Seconds around the HTTP exchange, retry included (``time.perf_counter``)."""
    budget: float
    exchange: Exchange
    """The last HTTP attempt; :attr:`exchanges` has all of them."""
    exchanges: tuple[Exchange, ...]
    retried: bool = False
    """A 421 led the client to refresh the public key and retry."""
    error: str | None = None
    """A human explanation when the outcome is not OK."""
    problems: tuple[str, ...] = ()
    """Why WhatsApp would reject a decrypted answer's shape (SUCCESS without a flow token,
    a ping answer that is not active...); checked for every flow."""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def acceptable(self) -> bool:
        """Decrypted and of a shape WhatsApp accepts (flow-specific checks aside)."""
        return self.ok and not self.problems

    @property
    def within_budget(self) -> bool:
        return self.elapsed <= self.budget

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the exchanges themselves are in the client's journal)."""
        return {
            "outcome": str(self.outcome),
            "ok": self.ok,
            "status": self.status,
            "statuses": [e.status for e in self.exchanges],
            "retried": self.retried,
            "elapsed": self.elapsed,
            "budget": self.budget,
            "within_budget": self.within_budget,
            "payload": self.payload,
            "error_msg": self.error_msg,
            "error": self.error,
            "problems": list(self.problems),
            "acceptable": self.acceptable,
            "explanation": self.explain(),
        }

    def explain(self) -> str:
        """One paragraph: what happened, what Meta says it means, what to check."""
        sentences = [self._what_happened()]
        if self.status is not None:
            sentences.append(status_meaning(self.status) + ".")
        if self.retried:
            sentences.append("The client refetched the public key and retried once, like WhatsApp.")
        if self.error:
            sentences.append(self.error[:1].upper() + self.error[1:].rstrip(".") + ".")
        if self.error_msg:
            sentences.append(f"The endpoint's error_msg: {self.error_msg!r}.")
        for problem in self.problems:
            sentences.append(f"WhatsApp would reject the answer: {problem}.")
        hint = _HINTS.get(self.outcome)
        if self.outcome is Outcome.SIGNATURE_REJECTED and self.exchange.signature != "valid":
            hint = f"Expected: the request was sent with a {self.exchange.signature} signature."
        if hint:
            sentences.append(hint)
        timing = "within" if self.within_budget else "OVER"
        elapsed_ms, budget_ms = self.elapsed * 1000, self.budget * 1000
        sentences.append(f"It took {elapsed_ms:.0f} ms, {timing} the {budget_ms:.0f} ms budget.")
        return " ".join(sentences)

    def _what_happened(self) -> str:
        action = _action_of(self.exchange.request_payload)
        request = f"The {action} request" if action else "The request"
        if self.status is None:
            return f"{request} got no HTTP answer ({self.outcome})."
        return f"{request} was answered {self.status}, outcome {self.outcome}."


def _action_of(payload: Any) -> str | None:
    if isinstance(payload, dict) and isinstance(payload.get("action"), str):
        return payload["action"]
    return None
