"""The vocabulary of checks: a verdict, a check's spec, and common ways to grade an answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness._meta_docs import MetaSource
from harness.client import FlowResult, Outcome
from harness.conformance._leaks import excerpt, leaked_trace
from harness.conformance._probe import Probe
from harness.conformance._report import Grade, worst


@dataclass(frozen=True, slots=True)
class Verdict:
    grade: Grade
    detail: str
    hint: str | None = None
    """Replaces the check's own hint when this verdict needs a more precise one."""
    cause: str | None = None
    """A failure's root cause when other checks can fail for it too (see ANSWER_SEALING)."""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One promise an endpoint makes, where Meta states it, how to test it, how to fix it."""

    id: str
    title: str
    source: MetaSource
    hint: str
    run: Callable[[Probe], Verdict]
    group: str | None = None
    """Checks of one group that fail the same way share a cause and make one finding."""


def passed(detail: str) -> Verdict:
    return Verdict(Grade.PASS, detail)


def warned(detail: str, hint: str | None = None) -> Verdict:
    return Verdict(Grade.WARN, detail, hint)


def failed(detail: str, hint: str | None = None, *, cause: str | None = None) -> Verdict:
    return Verdict(Grade.FAIL, detail, hint, cause)


def skipped(detail: str) -> Verdict:
    return Verdict(Grade.SKIP, detail)


_NO_ANSWER_HINT = (
    "Every request must get an HTTP answer well within 10 s: catch errors around the whole "
    "request path and map them to a 4xx."
)
_SERVER_ERROR_HINT = (
    "A 5xx counts in the endpoint error rate that gets a flow throttled, then blocked: "
    "validate the input and answer a 4xx (or an encrypted error) instead of crashing."
)
ANSWER_SEALING = "answers WhatsApp cannot decrypt"
"""One cause however many checks see it: an endpoint that seals its answers wrongly
(plaintext JSON, quoted Base64, the request IV reused, ...) fails the health check, the
error notifications and every other check that reads an answer, for that one reason."""

_SEALING_HINT = (
    "Send base64(AES-128-GCM(request key, request IV with every byte XOR 0xFF, JSON) + tag) "
    "as the bare body of every 200: WhatsApp cannot read anything else."
)
_LEAK_HINT = (
    "Never send stack traces or exception text to clients: log them server-side and answer a "
    "short error."
)


def broken_answer(result: FlowResult) -> Verdict | None:
    """A FAIL for what no request may ever get: no answer, a 5xx, a leaked stack trace."""
    if result.status is None:
        what = "timed out" if result.outcome is Outcome.TIMEOUT_ERROR else "got no HTTP answer"
        return failed(f"{what} ({result.error or result.outcome})", _NO_ANSWER_HINT)
    leak = leaked_trace(result.exchange.response_body)
    if leak is not None:
        return failed(
            f"answered {result.status} with {leak}: {excerpt(result.exchange.response_body)}",
            _LEAK_HINT,
        )
    if result.status >= 500:
        return failed(
            f"answered {result.status}: {excerpt(result.exchange.response_body)}",
            _SERVER_ERROR_HINT,
        )
    return None


def unreadable_answer(result: FlowResult) -> Verdict | None:
    """A FAIL, with the sealing cause, for a 200 whose body the client cannot decrypt."""
    if result.status != 200 or result.outcome is not Outcome.RESPONSE_DECRYPTION_ERROR:
        return None
    return failed(f"answered 200, but {result.error}", _SEALING_HINT, cause=ANSWER_SEALING)


def expect_status(result: FlowResult, expected: int, *, other_4xx: Grade) -> Verdict:
    """PASS on ``expected``; ``other_4xx`` for another 4xx; FAIL on anything else."""
    broken = broken_answer(result)
    if broken is not None:
        return broken
    status = result.status
    if status == expected:
        return passed(f"{status}")
    detail = f"answered {status}, expected {expected}"
    if status is not None and 400 <= status < 500:
        return Verdict(other_4xx, detail)
    return failed(detail)


def rejected_cleanly(result: FlowResult) -> Verdict:
    """For nonsense requests: any 4xx, or a 200 with an encrypted answer, is fine."""
    broken = broken_answer(result)
    if broken is not None:
        return broken
    status = result.status
    assert status is not None
    if 400 <= status < 500:
        return passed(f"{status}")
    if status == 200:
        if result.payload is not None or result.outcome is Outcome.OK:
            return passed("200, encrypted")
        return warned(f"200 with an answer the client cannot read ({result.error})")
    return warned(f"answered {status}, expected a 4xx or an encrypted answer")


def combine(cases: Sequence[tuple[str, Verdict]]) -> Verdict:
    """One verdict for several requests: the worst grade, every case named."""
    grade = worst([verdict.grade for _, verdict in cases])
    if grade is Grade.PASS:
        return Verdict(grade, "; ".join(f"{label} -> {v.detail}" for label, v in cases))
    shown = [(label, v) for label, v in cases if v.grade is grade]
    detail = "; ".join(f"{label}: {v.detail}" for label, v in shown)
    others = [v.grade for _, v in cases if v.grade is not grade]
    if others:
        fine = all(g is Grade.PASS for g in others)
        detail += f" (+{len(others)} other case{'s' * (len(others) > 1)}"
        detail += " fine)" if fine else " graded lower)"
    hint = next((v.hint for _, v in shown if v.hint), None)
    return Verdict(grade, detail, hint)
