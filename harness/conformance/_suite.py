"""Running the suite: :func:`check_endpoint` and :func:`assert_conforms`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.client import ASGIApp, Exchange, FlowClient, PublicKeySource
from harness.conformance import _checks_answers, _checks_robustness, _checks_wire
from harness.conformance._judging import CheckSpec, skipped
from harness.conformance._probe import Probe, TokenSource
from harness.conformance._report import CheckResult, ConformanceReport, Grade
from harness.conformance.exceptions import ConformanceFailure, UnknownCheckError

CHECKS: tuple[CheckSpec, ...] = (
    *_checks_wire.CHECKS,
    *_checks_answers.CHECKS,
    *_checks_robustness.CHECKS,
    _checks_answers.LATENCY,  # last: it reuses the answers the other checks fetched
)
"""Every check, in the order they run."""

CHECK_IDS: tuple[str, ...] = tuple(spec.id for spec in CHECKS)


def select_checks(
    only: Iterable[str] | None = None, skip: Iterable[str] | None = None
) -> list[CheckSpec]:
    """The checks to run; an id may be a prefix ending in '.' (``decrypt.``) or exact."""
    chosen = list(CHECKS)
    if only is not None:
        wanted = list(only)
        _known(wanted)
        chosen = [spec for spec in chosen if any(_matches(spec.id, p) for p in wanted)]
    if skip is not None:
        unwanted = list(skip)
        _known(unwanted)
        chosen = [spec for spec in chosen if not any(_matches(spec.id, p) for p in unwanted)]
    return chosen


def _matches(check_id: str, pattern: str) -> bool:
    return check_id == pattern or (pattern.endswith(".") and check_id.startswith(pattern))


def _known(patterns: list[str]) -> None:
    unknown = [p for p in patterns if not any(_matches(i, p) for i in CHECK_IDS)]
    if unknown:
        raise UnknownCheckError(
            f"unknown check id {', '.join(map(repr, unknown))}; the checks are: "
            + ", ".join(CHECK_IDS)
        )


def check_endpoint(
    endpoint: str | ASGIApp,
    *,
    public_key: PublicKeySource,
    app_secret: str | bytes,
    flow_token: TokenSource | None = None,
    sample_request: Mapping[str, Any] | None = None,
    only: Iterable[str] | None = None,
    skip: Iterable[str] | None = None,
    budget: float = 3.0,
    target_latency: float = 1.0,
    timeout: float = 10.0,
    large_body_bytes: int = 2_000_000,
    fuzz: int = 0,
    fuzz_out: str | Path | None = None,
    fuzz_seed: int | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    on_fuzz_request: Callable[[int, str | None], None] | None = None,
) -> ConformanceReport:
    """Run the conformance suite against ``endpoint`` (a URL, or an ASGI app in-process).

    ``flow_token`` is a valid token or a callable minting one; without it the invalid
    token check is skipped. ``sample_request`` is a decrypted request (usually a
    data_exchange that does real work) replayed by the idempotency check and timed; the
    default is an INIT with the token, or a ping. ``only``/``skip`` take check ids or
    prefixes like ``"decrypt."``. ``fuzz`` > 0 also sends that many hostile requests
    (see :func:`fuzz_endpoint`), saving reproducers in ``fuzz_out`` when given.
    ``on_result`` gets each check's result as it is graded, ``on_fuzz_request`` the
    count of hostile requests sent so far and the finding kind of the last one.
    """
    specs = select_checks(only, skip)
    started = time.perf_counter()
    client = FlowClient(
        endpoint,
        public_key=public_key,
        app_secret=app_secret,
        budget=budget,
        timeout=timeout,
        retry_on_421=False,
        journal_size=None,  # each check's exchanges go into its result (a run sends ~100)
    )
    report = ConformanceReport(endpoint=describe_endpoint(endpoint))
    with client:
        probe = Probe(
            client,
            app_secret=app_secret,
            token_source=flow_token,
            sample_request=sample_request,
            target_latency=target_latency,
            large_body_bytes=large_body_bytes,
        )
        probe.token()  # a broken token source is a usage error: stop before sending anything
        reachable = probe.ping().status is not None
        for spec in specs:
            if report.stopped is not None:
                result = _not_run(spec, report.stopped)
            else:
                sent_before = len(client.journal)
                probe.used.clear()
                result = _run(spec, probe, reachable)
                fresh = client.journal[sent_before:]
                result = replace(result, exchanges=_exchanges_of(probe, fresh))
                down = _went_down(client, fresh) if reachable else None
                if down is not None:
                    report.stopped = f"the endpoint stopped answering after {spec.id}"
                    result = _died(result, report.stopped, down)
            report.results.append(result)
            if on_result is not None:
                on_result(result)
    if fuzz > 0 and report.stopped is None:
        from harness.conformance._fuzz import fuzz_endpoint

        report.fuzz = fuzz_endpoint(
            endpoint,
            public_key=public_key,
            app_secret=app_secret,
            examples=fuzz,
            flow_token=probe.token(),
            out_dir=fuzz_out,
            timeout=timeout,
            seed=fuzz_seed,
            on_request=on_fuzz_request,
        )
    report.elapsed = time.perf_counter() - started
    return report


def _exchanges_of(probe: Probe, fresh: list[Exchange]) -> tuple[Exchange, ...]:
    """What a check sent, and the shared answers it read, oldest first, each once."""
    found = {id(e): e for result in probe.used for e in result.exchanges}
    found |= {id(e): e for e in fresh}
    return tuple(sorted(found.values(), key=lambda e: e.started_at))


def _went_down(client: FlowClient, exchanges: list[Exchange]) -> Exchange | None:
    """The request after which the endpoint stopped answering, or None if it still answers.

    A request without an HTTP answer may be a dropped connection only: a health check on
    a fresh connection (the client opens one after any failure) tells the two apart.
    """
    failed = next((e for e in exchanges if e.status is None), None)
    if failed is None:
        return None
    if client.ping().status is not None:
        return None
    return failed


def _died(result: CheckResult, stopped: str, request: Exchange) -> CheckResult:
    detail = (
        f"{stopped}: its request got no answer ({request.error or request.outcome}) and a "
        "health check on a fresh connection got none either. Reproduce with:\n" + request.to_curl()
    )
    return replace(
        result,
        grade=Grade.FAIL,
        detail=detail,
        hint="The endpoint process died or hung on this request: catch every error around "
        "the request path (a bad request deserves a 4xx, not a crash), and run it under a "
        "supervisor that restarts it.",
        cause="endpoint-down",
    )


def _not_run(spec: CheckSpec, stopped: str) -> CheckResult:
    return CheckResult(spec.id, spec.title, spec.source, Grade.NOT_RUN, f"not run: {stopped}")


def _run(spec: CheckSpec, probe: Probe, reachable: bool) -> CheckResult:
    started = time.perf_counter()
    if reachable or spec.id == "ping":
        verdict = spec.run(probe)
    else:
        verdict = skipped("the endpoint did not answer the health check: see 'ping'")
    hint = None if verdict.grade in (Grade.PASS, Grade.SKIP) else (verdict.hint or spec.hint)
    return CheckResult(
        id=spec.id,
        title=spec.title,
        source=spec.source,
        grade=verdict.grade,
        detail=verdict.detail,
        hint=hint,
        elapsed=time.perf_counter() - started,
        cause=(verdict.cause if verdict.grade is Grade.FAIL else None)
        or _cause(spec, verdict.grade, verdict.detail),
    )


def _cause(spec: CheckSpec, grade: Grade, detail: str) -> str | None:
    """Failures of one group answered the same way (the same status) share a cause."""
    if grade is not Grade.FAIL:
        return None
    if spec.group is None:
        return spec.id
    status = re.search(r"answered (\d{3})|(got no HTTP answer|timed out)", detail)
    return f"{spec.group}: {status.group(0) if status else detail}"


def describe_endpoint(endpoint: str | ASGIApp) -> str:
    if isinstance(endpoint, str):
        return endpoint
    return f"in-process ASGI app {type(endpoint).__name__}"


def assert_conforms(
    endpoint: str | ASGIApp, *, strict: bool = False, **options: Any
) -> ConformanceReport:
    """:func:`check_endpoint`, raising :class:`ConformanceFailure` (an AssertionError whose
    message is the readable report) when a check fails, or warns with ``strict=True``."""
    report = check_endpoint(endpoint, **options)
    if not report.ok or (strict and report.warnings):
        problem = "failed" if not report.ok else "raised warnings (strict mode)"
        raise ConformanceFailure(
            report, f"the endpoint {problem} the conformance check\n{report.to_text()}"
        )
    return report
