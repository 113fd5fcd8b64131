"""The conformance report as one self-contained HTML page (``flowharness check --html``).

Every check with its grade, finding and hint, then each request it sent or read: the
request decrypted, the answer decrypted when it could be (else the bytes received), the
status, signature and time. Given the flow, an answer that opens or moves to a screen
(INIT, the sample request, BACK) shows that screen as the person would see it, with the
contract findings beside it (:func:`harness.preview.render_step`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.client import Exchange
from harness.conformance._report import CheckResult, ConformanceReport, Grade
from harness.crypto import CryptoError, ExchangeKeys, decrypt_response
from harness.flowjson import Finding, Flow, check_response
from harness.preview import example_data, html_page, render_step

__all__ = ["report_html"]

_SCREEN_ACTIONS = ("INIT", "data_exchange", "BACK")
_SHOWN_CHARS = 4000  # an oversized-body check sends 2 MB: the page shows the start
_CURL_LIMIT = 20_000

CSS = """
.summary{font-weight:600;font-size:16px;margin:6px 0 14px}
.toc{display:flex;flex-wrap:wrap;gap:6px;margin:10px 0 18px}
.toc a{text-decoration:none;color:inherit;background:#fff;border:1px solid #d1d7db;
border-radius:8px;padding:2px 8px;font-size:12px}
.grade{display:inline-block;border-radius:6px;padding:0 7px;font-size:12px;font-weight:700;
color:#fff;margin-right:6px}
.grade-pass{background:#0a6b3a}.grade-warn{background:#9a6700}.grade-fail{background:#b42318}
.grade-skip,.grade-not-run{background:#8696a0}
.check{background:#fff;border:1px solid #d1d7db;border-radius:12px;padding:12px 16px;
margin:16px 0}
.check.is-fail{border-color:#f1a7a1}.check.is-warn{border-color:#f3d27a}
.check h2{margin:0 0 6px;font-size:16px}
.check-detail{white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0}
.check-hint{color:#3b4a54;font-style:italic;margin:6px 0}
.check .step{margin:10px 0}
.check .kv th{white-space:nowrap}
.no-exchange{color:#667781;font-size:12px}
details pre{background:#f7f8fa;border-radius:6px;padding:6px 8px;font-size:11px;
white-space:pre-wrap;word-break:break-all}
"""


def report_html(report: ConformanceReport, flow: Flow | None = None) -> str:
    """The whole report as a page; with ``flow``, answers that reach a screen show it."""
    counts = ", ".join(f"{n} {grade}" for grade, n in report.counts().items())
    verdict = "CONFORMS" if report.ok else "DOES NOT CONFORM"
    css = "ok" if report.ok else "bad"
    head = (
        f"<h1>Conformance of {html.escape(report.endpoint)}</h1>"
        f'<p class="summary {css}">{verdict}: {len(report.findings)} finding(s); '
        f"{html.escape(counts)} ({report.elapsed:.1f} s)</p>"
    )
    if report.stopped:
        head += f'<p class="bad">{html.escape(report.stopped)}</p>'
    if flow is not None:
        name = flow.file.rsplit("/", 1)[-1] if flow.file else "the flow"
        head += f'<p class="muted">Screens as laid out by {html.escape(name)}.</p>'
    toc = "".join(
        f'<a href="#check-{html.escape(r.id)}">{_badge(r.grade)}{html.escape(r.id)}</a>'
        for r in report.results
    )
    same_cause = {id(r): group[0].id for group in report.findings for r in group[1:]}
    sealed = {e.request_body: e for r in report.results for e in r.exchanges if e.keys}
    sections = "".join(
        _check(r, _Context(flow, sealed, r.grade), same_cause.get(id(r))) for r in report.results
    )
    body = f'{head}<nav class="toc">{toc}</nav>{sections}{_fuzz(report)}'
    return html_page(f"conformance: {report.endpoint}", body, css=CSS)


def _badge(grade: Grade) -> str:
    return f'<span class="grade grade-{grade}">{html.escape(str(grade).upper())}</span>'


@dataclass(frozen=True)
class _Context:
    flow: Flow | None
    sealed: Mapping[bytes, Exchange]
    """Requests by their exact bytes: a resent body is opened with the original's keys."""
    grade: Grade


def _check(result: CheckResult, context: _Context, same_as: str | None) -> str:
    facts = [("check ran in", _ms(result.elapsed))]
    if same_as is not None:
        facts.append(("cause", f"the same as {same_as}"))
    rows = _source_row(result) + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts
    )
    hint = f'<div class="check-hint">{html.escape(result.hint)}</div>' if result.hint else ""
    steps = "".join(
        _exchange(exchange, number, len(result.exchanges), context)
        for number, exchange in enumerate(result.exchanges, 1)
    )
    if not steps:
        steps = '<p class="no-exchange">no request (the check did not run)</p>'
    return (
        f'<section class="check is-{result.grade}" id="check-{html.escape(result.id)}" '
        f'data-check="{html.escape(result.id)}" data-grade="{result.grade}">'
        f"<h2>{_badge(result.grade)}{html.escape(result.id)}: {html.escape(result.title)}</h2>"
        f'<table class="kv">{rows}</table>'
        f'<div class="check-detail">{html.escape(result.detail)}</div>{hint}{steps}'
        + (
            _curl(result.exchanges[-1])
            if result.exchanges and result.grade in (Grade.FAIL, Grade.WARN)
            else ""
        )
        + "</section>"
    )


def _source_row(result: CheckResult) -> str:
    """Where Meta states the promise: the page and section, linked."""
    source = result.source
    text = html.escape(f"{source.page.title}, {source.section}")
    link = f'<a class="source" href="{html.escape(source.url)}">{text}</a>'
    return f"<tr><th>Meta's documentation</th><td>{link}</td></tr>"


def _exchange(exchange: Exchange, number: int, total: int, context: _Context) -> str:
    facts = [("answer", _status(exchange)), ("signature", exchange.signature)]
    request, answer = exchange.request_payload, exchange.response_payload
    original = context.sealed.get(exchange.request_body) if request is None else None
    if original is not None and original is not exchange and original.keys is not None:
        facts.append(("body", "the same bytes as an earlier request, resent"))
        request = original.request_payload
        answer = _opened(exchange.response_body, original.keys)
        if answer is not None:
            facts[0] = ("answer", f"{_status(exchange, outcome=False)}, opened with its key")
    elif exchange.envelope is None:
        facts.append(("body", "raw bytes sent as they are"))
    action = request.get("action") if isinstance(request, Mapping) else None
    heading = f"request {number}/{total}" + (f": {action}" if action else "")
    if isinstance(request, Mapping) and isinstance(request.get("screen"), str):
        heading += f" from {request['screen']}"
    view = _screen(request, answer, exchange.status, context.flow)
    if view.caption:
        heading += f" → {view.caption}"
    shown_answer: Any = answer
    if answer is None and exchange.response_body:
        facts.append(("answer body", "not decryptable with the request's key: as received"))
        shown_answer = exchange.response_body
    troubled = exchange.outcome != "ok" or any(f.severity == "error" for f in view.findings)
    return render_step(
        context.flow,
        view.screen,
        heading=heading,
        data=view.data,
        form=view.form,
        facts=facts,
        request=_shown(request if request is not None else exchange.request_body),
        answer=_shown(shown_answer) if shown_answer is not None else None,
        findings=view.findings,
        error_message=view.error_message,
        # a 432 the check asked for is no trouble: only a failing check's requests are red
        status="bad" if troubled and context.grade in (Grade.FAIL, Grade.WARN) else "",
    )


def _opened(body: bytes | None, keys: ExchangeKeys) -> Any:
    try:
        return decrypt_response(body or b"", keys)
    except CryptoError:
        return None


@dataclass(frozen=True)
class _View:
    """What the person sees around one exchange: a screen card and the findings."""

    screen: str | None = None
    data: Mapping[str, Any] | None = None
    form: Mapping[str, Any] | None = None
    error_message: str | None = None
    findings: list[Finding] = field(default_factory=list)
    caption: str = ""


def _screen(request: Any, answer: Any, status: int | None, flow: Flow | None) -> _View:
    """The screen the answer opens (with its data and snackbar); when it closes the flow,
    the screen the request came from, with the values sent. Findings: the contract's."""
    if flow is None or not isinstance(request, Mapping) or not isinstance(answer, Mapping):
        return _View()
    action = request.get("action")
    if action not in _SCREEN_ACTIONS or status != 200:
        return _View()
    origin = request.get("screen") if action != "INIT" else None
    known_origin = isinstance(origin, str) and flow.has_screen(origin)
    findings: list[Finding] = []
    if action == "INIT" or known_origin:
        token = request.get("flow_token")
        findings = check_response(
            flow,
            origin if known_origin else None,
            answer,
            flow_token=token if isinstance(token, str) else None,
            action=action,
        )
    target, data = answer.get("screen"), answer.get("data")
    if isinstance(target, str) and flow.has_screen(target) and isinstance(data, Mapping):
        message = data.get("error_message")
        return _View(
            target,
            {k: v for k, v in data.items() if k != "error_message"},
            error_message=message if isinstance(message, str) and message else None,
            findings=findings,
            caption=target,
        )
    caption = "SUCCESS (the flow closes)" if target == "SUCCESS" else str(target)
    if isinstance(origin, str) and known_origin:
        sent = request.get("data")
        form = dict(sent) if isinstance(sent, Mapping) else {}
        screen = flow.screen(origin)
        # the screen showed what was sent back from it (a summary echoes its data)
        data = example_data(screen) | {k: v for k, v in form.items() if k in screen.data}
        return _View(origin, data, form, findings=findings, caption=caption)
    return _View(findings=findings, caption=caption)


def _status(exchange: Exchange, *, outcome: bool = True) -> str:
    status = "no HTTP answer" if exchange.status is None else str(exchange.status)
    timing = f" in {_ms(exchange.elapsed)}" if exchange.elapsed is not None else ""
    if not outcome:
        return f"{status}{timing}"
    verdict = f" ({exchange.outcome})" if exchange.outcome else ""
    error = f": {exchange.error}" if exchange.error and exchange.outcome != "ok" else ""
    return f"{status}{verdict}{timing}{error}"


def _shown(value: Any) -> bytes:
    """Pretty JSON (or the bytes as text), cut for the page; bytes keep ``render_step``
    from quoting it again."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    if len(text) > _SHOWN_CHARS:
        text = f"{text[:_SHOWN_CHARS]}\n… ({len(text) - _SHOWN_CHARS:,} more characters)"
    return text.encode("utf-8")


def _curl(exchange: Exchange) -> str:
    if len(exchange.request_body) > _CURL_LIMIT:
        return ""
    return (
        "<details><summary>send the last request again (curl)</summary>"
        f"<pre>{html.escape(exchange.to_curl())}</pre></details>"
    )


def _fuzz(report: ConformanceReport) -> str:
    fuzz = report.fuzz
    if fuzz is None:
        return ""
    items = "".join(
        f'<li class="finding error"><b>{html.escape(f.kind)}</b>: {html.escape(f.detail)}'
        f'<div class="hint">request: {html.escape(f.request.description)}; '
        f"reproducers: {html.escape(', '.join(str(p) for p in f.files) or '(not saved)')}"
        "</div></li>"
        for f in fuzz.findings
    )
    stopped = f" Stopped: {html.escape(fuzz.stopped)}." if fuzz.stopped else ""
    return (
        f'<section class="check" id="fuzz"><h2>Fuzzing: {fuzz.requests_sent} hostile '
        f"requests, {len(fuzz.findings)} finding(s)</h2><p>{fuzz.elapsed:.1f} s.{stopped}</p>"
        f'<ul class="findings">{items}</ul></section>'
    )


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.0f} ms"
