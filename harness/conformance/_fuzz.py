"""``--fuzz``: hypothesis sends hostile requests and keeps a minimal reproducer of each failure.

A finding is a 5xx answer, a hang (no answer within the timeout), a dropped connection, or
a body leaking a stack trace. Hypothesis shrinks each kind of finding to a small request;
hangs are kept as first seen (shrinking them would cost a timeout per step). Each finding
can be saved as a ``.json`` file (the exact body, Base64, and headers; replay it with
:func:`replay_finding`) and a ``.sh`` curl script.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed

from harness import crypto
from harness.client import ASGIApp, BlockingASGITransport, PublicKeySource
from harness.conformance._fuzz_cases import FuzzCase, fuzz_cases
from harness.conformance._leaks import excerpt, leaked_trace
from harness.conformance._probe import PLACEHOLDER_TOKEN
from harness.conformance.exceptions import ReproducerError

FindingKind = Literal["server-error", "hang", "dropped-connection", "leaked-trace"]
FINDING_KINDS: tuple[FindingKind, ...] = (
    "server-error",
    "hang",
    "dropped-connection",
    "leaked-trace",
)
IN_PROCESS_URL = "http://endpoint.test/"  # what the client calls an ASGI app run in-process
_FORMAT_VERSION = 1
_MAX_HANGS = 2  # after that, stop: every further hang costs a whole timeout


@dataclass(frozen=True, slots=True)
class FuzzRequest:
    """Exactly what was sent."""

    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    description: str = ""
    method: str = "POST"
    plaintext: bytes | None = None
    """What was sealed, with the flow token shown as ``@@FLOW_TOKEN@@`` (tokens can
    carry personal data); None for a raw body."""

    def to_dict(self) -> dict[str, Any]:
        plaintext = self.plaintext
        return {
            "method": self.method,
            "url": self.url,
            "headers": [list(pair) for pair in self.headers],
            "body_base64": base64.b64encode(self.body).decode("ascii"),
            "body_length": len(self.body),
            "description": self.description,
            "plaintext_base64": None if plaintext is None else base64.b64encode(plaintext).decode(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> FuzzRequest:
        try:
            return cls(
                url=str(data["url"]),
                headers=tuple((str(k), str(v)) for k, v in data["headers"]),
                body=base64.b64decode(data["body_base64"], validate=True),
                description=str(data.get("description", "")),
                method=str(data.get("method", "POST")),
                plaintext=_optional_b64(data.get("plaintext_base64")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReproducerError(f"the request in the reproducer is incomplete: {exc}") from exc

    def to_curl(self) -> str:
        """A POSIX shell script sending the same bytes; the URL can be given as $1."""
        headers = " ".join(f"-H {shlex.quote(f'{k}: {v}')}" for k, v in self.headers)
        encoded = base64.b64encode(self.body).decode("ascii")
        lines = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
        return "\n".join(
            [
                "#!/bin/sh",
                "# Replays a flowharness fuzz finding byte for byte. Usage: sh THIS_FILE [URL]",
                f'URL="${{1:-{self.url}}}"',
                f"base64 -d <<'BODY' | curl -sS -i -X {self.method} \"$URL\" {headers} "
                "--data-binary @-",
                *lines,
                "BODY",
                "",
            ]
        )


def _optional_b64(value: Any) -> bytes | None:
    return None if value is None else base64.b64decode(value, validate=True)


@dataclass(frozen=True, slots=True)
class FuzzObservation:
    """How the endpoint answered one request; ``kind`` is None when that was fine."""

    kind: FindingKind | None
    status: int | None
    detail: str
    response_body: bytes | None = None
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class FuzzFinding:
    kind: FindingKind
    detail: str
    request: FuzzRequest
    status: int | None
    response_excerpt: str
    minimized: bool = True
    files: tuple[Path, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": _FORMAT_VERSION,
            "kind": self.kind,
            "detail": self.detail,
            "status": self.status,
            "response_excerpt": self.response_excerpt,
            "minimized": self.minimized,
            "files": [str(p) for p in self.files],
            "request": self.request.to_dict(),
        }


@dataclass(slots=True)
class FuzzReport:
    examples: int
    requests_sent: int = 0
    elapsed: float = 0.0
    findings: list[FuzzFinding] = field(default_factory=list)
    stopped: str | None = None
    """Why fewer requests than asked for were sent (the endpoint went down, or hangs)."""

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "examples": self.examples,
            "requests_sent": self.requests_sent,
            "elapsed": round(self.elapsed, 3),
            "stopped": self.stopped,
            "findings": [f.to_dict() for f in self.findings],
        }


# -- sending and judging ---------------------------------------------------------------


class _Sender:
    """Posts exact bytes and headers to a URL or an in-process app."""

    def __init__(self, endpoint: str | ASGIApp, timeout: float) -> None:
        self._asgi: BlockingASGITransport | None = None
        if isinstance(endpoint, str):
            self.url = endpoint
            transport: httpx.BaseTransport | None = None
        else:
            self.url = IN_PROCESS_URL
            transport = self._asgi = BlockingASGITransport(endpoint, timeout=timeout)
            self._asgi.open()
        self._own_pool = transport is None
        self._http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._timeout = timeout

    def close(self) -> None:
        self._http.close()
        if self._asgi is not None:
            self._asgi.close()

    def send(self, headers: list[tuple[str, str]], body: bytes) -> FuzzObservation:
        observation = self._send(headers, body)
        if self._own_pool and (observation.status is None or observation.status >= 500):
            # the server may have closed its side: never reuse that connection
            self._http.close()
            self._http = httpx.Client(timeout=self._timeout, follow_redirects=False)
        return observation

    def _send(self, headers: list[tuple[str, str]], body: bytes) -> FuzzObservation:
        started = time.perf_counter()
        try:
            response = self._http.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return FuzzObservation(
                "hang", None, f"no answer within {self._timeout} s", None, self._timeout
            )
        except httpx.ConnectError as exc:
            return FuzzObservation("dropped-connection", None, f"connection refused: {exc}")
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            detail = f"the connection was dropped: {type(exc).__name__}: {exc}"
            return FuzzObservation("dropped-connection", None, detail)
        elapsed = time.perf_counter() - started
        return judge(response.status_code, response.content, elapsed)

    def alive(self, key: rsa.RSAPublicKey, secret: bytes) -> bool:
        """A health check on a fresh connection: does the endpoint still answer at all?"""
        envelope, _ = crypto.encrypt_request({"version": "3.0", "action": "ping"}, key)
        body = json.dumps(envelope).encode()
        headers = [("Content-Type", "application/json"),
                   (crypto.SIGNATURE_HEADER, crypto.sign_body(body, secret))]  # fmt: skip
        return self.send(headers, body).status is not None


def judge(status: int, body: bytes, elapsed: float = 0.0) -> FuzzObservation:
    """Is this answer a finding? A leaked trace beats a 5xx: it is the worse of the two."""
    leak = leaked_trace(body)
    if leak is not None:
        return FuzzObservation(
            "leaked-trace", status, f"{status} with {leak}: {excerpt(body)}", body, elapsed
        )
    if status >= 500:
        return FuzzObservation("server-error", status, f"{status}: {excerpt(body)}", body, elapsed)
    return FuzzObservation(None, status, f"{status}", body, elapsed)


class _Found(Exception):
    """Raised inside the hypothesis test so it shrinks the request; one subclass per kind."""

    def __init__(self, request: FuzzRequest, observation: FuzzObservation):
        super().__init__(observation.detail)
        self.request = request
        self.observation = observation


class _ServerError(_Found):
    pass


class _DroppedConnection(_Found):
    pass


class _LeakedTrace(_Found):
    pass


_RAISED: dict[FindingKind, type[_Found]] = {
    "server-error": _ServerError,
    "dropped-connection": _DroppedConnection,
    "leaked-trace": _LeakedTrace,
}


# -- the run ---------------------------------------------------------------------------


def fuzz_endpoint(
    endpoint: str | ASGIApp,
    *,
    public_key: PublicKeySource,
    app_secret: str | bytes,
    examples: int = 100,
    flow_token: str | None = None,
    out_dir: str | Path | None = None,
    timeout: float = 10.0,
    seed: int | None = None,
    on_request: Callable[[int, FindingKind | None], None] | None = None,
) -> FuzzReport:
    """Send ``examples`` hostile requests (plus hypothesis's shrinking runs) to ``endpoint``.

    ``flow_token`` (a valid token) lets some requests get past the token check. Findings
    are saved in ``out_dir`` when given; ``seed`` makes the run repeatable. ``on_request``
    is told after each request: how many were sent, and the kind of finding it made.
    """
    if examples < 1:
        raise ValueError(f"examples must be a positive count, not {examples}")
    key = crypto.load_public_key(public_key)
    secret = app_secret.encode() if isinstance(app_secret, str) else app_secret
    token = flow_token or PLACEHOLDER_TOKEN
    report = FuzzReport(examples=examples)
    first_seen: dict[FindingKind, tuple[FuzzRequest, FuzzObservation]] = {}
    hangs = [0]  # hangs are not shrunk and, past a few, not looked for
    sender = _Sender(endpoint, timeout)
    started = time.perf_counter()

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @given(fuzz_cases())
    def attack(case: FuzzCase) -> None:
        if report.stopped is not None:
            return
        request = _request(case, key, secret, token, sender.url)
        observation = sender.send(list(request.headers), request.body)
        report.requests_sent += 1
        if on_request is not None:
            on_request(report.requests_sent, observation.kind)
        if observation.kind is None:
            return
        hangs[0] += observation.kind == "hang"
        first_seen.setdefault(observation.kind, (request, observation))
        if observation.status is None and not sender.alive(key, secret):
            report.stopped = (
                f"the endpoint stopped answering after fuzz request {report.requests_sent} "
                f"({request.description}): the rest was not sent"
            )
            return  # not raised: replaying it while shrinking would only find a dead port
        if hangs[0] >= _MAX_HANGS:
            report.stopped = f"stopped after {_MAX_HANGS} hangs: each further one costs {timeout} s"
        raised = _RAISED.get(observation.kind)
        if raised is not None:
            raise raised(request, observation)

    if seed is not None:
        attack = hypothesis_seed(seed)(attack)
    try:
        shrunk = _shrunk_findings(attack)
    finally:
        sender.close()
    report.findings = _findings(shrunk, first_seen)
    report.elapsed = time.perf_counter() - started
    if out_dir is not None:
        report.findings = [save_finding(f, out_dir) for f in report.findings]
    return report


def _request(
    case: FuzzCase, key: rsa.RSAPublicKey, secret: bytes, token: str, url: str
) -> FuzzRequest:
    headers, body = case.build(key, secret, token)
    return FuzzRequest(url, tuple(headers), body, case.describe(), plaintext=case.plaintext)


def _shrunk_findings(attack: Any) -> list[_Found]:
    """Run the hypothesis test; the minimal failing example of each kind, as raised."""
    try:
        attack()
    except _Found as found:
        return [found]
    except BaseExceptionGroup as group:
        matched, rest = group.split(_Found)
        if rest is not None:
            # a flaky finding (did not fail again when replayed) is still a finding
            _, other = rest.split(lambda e: "Flaky" in type(e).__name__)
            if other is not None:
                raise
        return list(_leaves(matched)) if matched is not None else []
    return []


def _leaves(group: BaseExceptionGroup[Any]) -> Iterator[_Found]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        elif isinstance(exc, _Found):
            yield exc


def _findings(
    shrunk: list[_Found],
    first_seen: dict[FindingKind, tuple[FuzzRequest, FuzzObservation]],
) -> list[FuzzFinding]:
    findings: dict[FindingKind, FuzzFinding] = {}
    for found in shrunk:
        kind = found.observation.kind
        assert kind is not None
        findings.setdefault(kind, _finding(found.request, found.observation, minimized=True))
    for kind, (request, observation) in first_seen.items():
        findings.setdefault(kind, _finding(request, observation, minimized=False))
    return [findings[kind] for kind in FINDING_KINDS if kind in findings]


def _finding(request: FuzzRequest, observation: FuzzObservation, *, minimized: bool) -> FuzzFinding:
    assert observation.kind is not None
    return FuzzFinding(
        kind=observation.kind,
        detail=observation.detail,
        request=request,
        status=observation.status,
        response_excerpt=excerpt(observation.response_body, 400),
        minimized=minimized,
    )


# -- reproducers -------------------------------------------------------------------------


def save_finding(finding: FuzzFinding, out_dir: str | Path) -> FuzzFinding:
    """Write ``<kind>-<digest>.json`` and ``.sh`` in ``out_dir``; returns it with ``files``."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(finding.request.body).hexdigest()[:10]
    stem = directory / f"{finding.kind}-{digest}"
    json_path, sh_path = stem.with_suffix(".json"), stem.with_suffix(".sh")
    saved = FuzzFinding(
        finding.kind,
        finding.detail,
        finding.request,
        finding.status,
        finding.response_excerpt,
        finding.minimized,
        (json_path, sh_path),
    )
    record = {**saved.to_dict(), "found_at": datetime.now(UTC).isoformat(timespec="seconds")}
    json_path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", "utf-8")
    sh_path.write_text(finding.request.to_curl(), "utf-8")
    return saved


def load_finding(path: str | Path) -> FuzzRequest:
    """The request saved in a ``.json`` reproducer."""
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ReproducerError(f"cannot read the reproducer {path}: {exc}") from exc
    if not isinstance(data, dict) or "request" not in data:
        raise ReproducerError(f"{path} is not a flowharness fuzz finding (.json)")
    return FuzzRequest.from_dict(data["request"])


def replay_finding(
    source: str | Path | FuzzFinding | FuzzRequest,
    endpoint: str | ASGIApp,
    *,
    timeout: float = 10.0,
) -> FuzzObservation:
    """Send a saved request again, byte for byte, and judge the answer."""
    if isinstance(source, FuzzFinding):
        request = source.request
    elif isinstance(source, FuzzRequest):
        request = source
    else:
        request = load_finding(source)
    sender = _Sender(endpoint, timeout)
    try:
        return sender.send(list(request.headers), request.body)
    finally:
        sender.close()
