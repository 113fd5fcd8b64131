"""The dashboard page: server-rendered HTML, inline CSS and a little inline JavaScript.

No build step and nothing fetched from elsewhere. The script polls
``api/mocks`` and swaps in each card's journal and fault list, which the server
renders with the same functions as the first page (one way to draw a row).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from mocks._core import ConnectionResetFault, FaultRule, LatencyFault
from mocks.dashboard._form import FAULT_KINDS, WHEN
from mocks.dashboard._mocks import DashboardMock, JournalRow, MockView

__all__ = ["faults_html", "journal_html", "page_html"]

POLL_MS = 1000

STYLES = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
color:#1d2330;background:#f0f2f5}
header.top{background:#0b3d2e;color:#fff;padding:14px 24px;display:flex;gap:16px;
align-items:baseline;flex-wrap:wrap}
header.top h1{margin:0;font-size:20px}
header.top .live{font-size:12px;opacity:.85}
nav{padding:10px 24px;display:flex;gap:8px;flex-wrap:wrap;background:#fff;
border-bottom:1px solid #dde1e6}
nav a{color:#0b6b4d;text-decoration:none;border:1px solid #cfe8dc;border-radius:12px;
padding:1px 10px;font-size:13px}
main{padding:16px 24px;display:flex;flex-direction:column;gap:18px}
section.mock{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:14px 16px}
.mock-head{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
.mock-head h2{margin:0;font-size:18px}
.mock-head .url{font:13px ui-monospace,Menlo,Consolas,monospace}
.mock-head form{margin-left:auto}
.routes{color:#5b6570;font-size:12px;margin:4px 0 8px}
dl.creds{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 10px;
font-size:13px}
dl.creds dt{color:#5b6570}dl.creds dd{margin:0;font:12px ui-monospace,Menlo,monospace;
overflow-wrap:anywhere}
.cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(280px,2fr);gap:16px}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
h3{font-size:14px;margin:6px 0}
.count{color:#5b6570;font-weight:400}
.journal-box{max-height:360px;overflow:auto;border:1px solid #eef0f2;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eef0f2;vertical-align:top}
th{position:sticky;top:0;background:#f7f8fa;font-weight:600}
td.target{font-family:ui-monospace,Menlo,monospace;overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}
.st{font-weight:600;border-radius:8px;padding:0 6px}
.st-2{background:#d9fdd3;color:#0a6b3a}.st-3{background:#e7f0ff;color:#1d4ed8}
.st-4{background:#fff3cd;color:#8a5a00}.st-5{background:#fde2e1;color:#b42318}
.st-none{background:#eceff1;color:#455a64}
.tag{display:inline-block;font-size:11px;background:#fde2e1;color:#b42318;border-radius:8px;
padding:0 6px;margin-right:3px}
.unmatched{font-size:11px;color:#8a5a00}
details pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:11px;background:#f7f8fa;
margin:4px 0;padding:6px;border-radius:4px;max-height:220px;overflow:auto}
.empty{color:#5b6570;font-style:italic;padding:6px}
ul.faults{list-style:none;padding:0;margin:0 0 8px}
ul.faults li{display:flex;gap:8px;align-items:center;border:1px solid #f3d6d4;
background:#fff8f7;border-radius:6px;padding:4px 8px;margin-bottom:4px;font-size:13px}
ul.faults li span{flex:1;overflow-wrap:anywhere}
ul.faults li.empty{background:#f7f8fa;border-color:#eef0f2}
form.add-fault{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:6px;
border-top:1px solid #eef0f2;padding-top:8px}
form.add-fault label{display:flex;flex-direction:column;font-size:11px;color:#5b6570}
form.add-fault input,form.add-fault select{font:13px system-ui,sans-serif;padding:3px 5px;
border:1px solid #c7ccd1;border-radius:4px}
form.add-fault .wide{grid-column:1/-1}
button{font:13px system-ui,sans-serif;border:1px solid #c7ccd1;background:#fff;
border-radius:5px;padding:3px 10px;cursor:pointer}
button.primary{background:#0b6b4d;color:#fff;border-color:#0b6b4d}
button.danger{color:#b42318;border-color:#f3d6d4}
.row-actions{display:flex;gap:8px;margin-top:6px}
p.error{background:#fde2e1;color:#b42318;border-radius:6px;padding:6px 10px;margin:6px 0}
[hidden]{display:none!important}
"""

SCRIPT = """
(function () {
  var polls = 0;
  function sync(form) {
    var kind = form.elements.kind.value, when = form.elements.when.value;
    form.querySelectorAll('[data-kinds]').forEach(function (el) {
      el.hidden = el.dataset.kinds.split(' ').indexOf(kind) < 0;
    });
    form.querySelectorAll('[data-when]').forEach(function (el) {
      el.hidden = el.dataset.when !== when;
    });
  }
  document.querySelectorAll('form.add-fault').forEach(function (form) {
    form.addEventListener('change', function () { sync(form); });
    sync(form);
  });
  function swap(el, markup, keepOpen) {
    if (!el || el.dataset.markup === markup) { return; }
    var open = [];
    if (keepOpen) {
      el.querySelectorAll('details[open]').forEach(function (d) { open.push(d.dataset.entry); });
    }
    el.innerHTML = markup;
    el.dataset.markup = markup;
    open.forEach(function (id) {
      var d = el.querySelector('details[data-entry="' + id + '"]');
      if (d) { d.open = true; }
    });
  }
  function refresh() {
    if (document.hidden) { return; }
    fetch('api/mocks', {cache: 'no-store'}).then(function (answer) {
      if (!answer.ok) { throw new Error('HTTP ' + answer.status); }
      return answer.json();
    }).then(function (data) {
      data.mocks.forEach(function (mock) {
        var card = document.querySelector('section[data-mock="' + mock.name + '"]');
        if (!card) { return; }
        swap(card.querySelector('[data-journal]'), mock.journal_html, true);
        swap(card.querySelector('[data-faults]'), mock.faults_html, false);
        card.querySelector('[data-count]').textContent = mock.count_text;
      });
      polls += 1;
      document.body.dataset.polls = String(polls);
      document.getElementById('live').textContent = 'live: updated ' +
        new Date().toLocaleTimeString();
    }).catch(function (error) {
      document.getElementById('live').textContent = 'not updating: ' + error.message;
    });
  }
  setInterval(refresh, POLL_MS);
  refresh();
})();
""".replace("POLL_MS", str(POLL_MS))


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _status(status: int | None) -> str:
    if status is None:
        return '<span class="st st-none" title="no answer (connection reset)">-</span>'
    return f'<span class="st st-{status // 100}">{status}</span>'


def _journal_row(row: JournalRow) -> str:
    faults = "".join(f'<span class="tag">{_e(kind)}</span>' for kind in row.faults)
    unmatched = "" if row.matched else ' <span class="unmatched">unmatched</span>'
    duration = "" if row.duration_ms is None else f"{row.duration_ms:.1f}"
    time_text = row.time.strftime("%H:%M:%S.%f")[:-3]
    bodies = (
        f'<details data-entry="{row.id}"><summary>bodies</summary>'
        f"<pre>{_e(row.request_body) or '(empty request body)'}</pre>"
        f"<pre>{_e(row.response_body) or '(empty response body)'}</pre></details>"
    )
    return (
        f'<tr data-entry-id="{row.id}"><td class="num">{row.id}</td>'
        f'<td title="{_e(row.time.isoformat())}">{time_text}</td>'
        f"<td>{_e(row.method)}</td>"
        f'<td class="target">{_e(row.target)}{unmatched}{bodies}</td>'
        f"<td>{_status(row.status)}</td><td>{faults}</td>"
        f'<td class="num">{duration}</td></tr>'
    )


def journal_html(view: MockView) -> str:
    """The rows of a card's journal table, newest first."""
    if view.error:
        return f'<tr><td colspan="7"><p class="error">{_e(view.error)}</p></td></tr>'
    if not view.rows:
        return '<tr><td colspan="7" class="empty">no requests yet</td></tr>'
    return "".join(_journal_row(row) for row in view.rows)


def count_text(view: MockView) -> str:
    shown = len(view.rows)
    return f"({view.total})" if shown == view.total else f"({view.total}, newest {shown})"


def _describe(rule: FaultRule) -> str:
    fault = rule.fault
    what: str = fault.kind.replace("_", " ")
    if isinstance(fault, LatencyFault):
        if fault.seconds is not None:
            what = f"delay {fault.seconds:g} s"
        else:
            what = f"delay {fault.min_seconds:g}-{fault.max_seconds:g} s"
    elif not isinstance(fault, ConnectionResetFault):
        what = f"{what} {fault.status}"
    where = f"{rule.method or 'any method'} {rule.path or '*'}"
    if rule.times is not None:
        when = f"next {rule.times} ({rule.remaining} left)"
    elif rule.probability < 1:
        when = f"with probability {rule.probability:g}"
    else:
        when = "always"
    return f"{what} · {where} · {when} · fired {rule.fired}"


def faults_html(name: str, faults: Sequence[FaultRule], token: str, *, error: bool = False) -> str:
    """A card's fault rules, each with its remove button."""
    if error:
        return '<li class="empty">faults unknown: the mock did not answer</li>'
    if not faults:
        return '<li class="empty">no faults: every call is answered normally</li>'
    items = []
    for rule in faults:
        action = f"mocks/{_e(name)}/faults/{_e(rule.id)}/remove"
        items.append(
            f'<li data-fault-id="{_e(rule.id)}" data-kind="{_e(rule.fault.kind)}">'
            f"<span>{_e(_describe(rule))}</span>"
            f'<form method="post" action="{action}">{_token(token)}'
            f'<button class="danger" title="remove this fault">remove</button></form></li>'
        )
    return "".join(items)


def _token(token: str) -> str:
    return f'<input type="hidden" name="token" value="{_e(token)}">'


def _options(choices: dict[str, str]) -> str:
    return "".join(f'<option value="{_e(k)}">{_e(v)}</option>' for k, v in choices.items())


def _fault_form(name: str, token: str) -> str:
    return (
        f'<form class="add-fault" method="post" action="mocks/{_e(name)}/faults">{_token(token)}'
        f'<label>fault<select name="kind">{_options(FAULT_KINDS)}</select></label>'
        f'<label>when<select name="when">{_options(WHEN)}</select></label>'
        '<label data-kinds="delay">seconds'
        '<input name="seconds" type="number" step="any" min="0" value="2"></label>'
        '<label data-kinds="status empty">status'
        '<input name="status" type="number" min="100" max="599" placeholder="503"></label>'
        '<label data-kinds="status" class="wide">body (optional)'
        '<input name="body" placeholder="text answered with the status"></label>'
        '<label data-when="next">N<input name="times" type="number" min="1" value="1"></label>'
        '<label data-when="probability">p'
        '<input name="probability" type="number" step="any" min="0" max="1" value="0.5"></label>'
        '<label>method<input name="method" placeholder="any"></label>'
        '<label>path (glob)<input name="path" placeholder="any, e.g. /api/*"></label>'
        '<div class="row-actions wide"><button class="primary" data-action="add-fault">'
        "Add fault</button></div></form>"
    )


def _card(mock: DashboardMock, view: MockView, token: str, error: str | None) -> str:
    name = _e(mock.name)
    creds = [("url", mock.url)]
    if mock.smtp:
        creds.append(("smtp", mock.smtp))
    creds += list(mock.credentials.items())
    if mock.ca_bundle and mock.url.startswith("https://"):
        creds.append(("ca_bundle", mock.ca_bundle))
    creds_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in creds)
    docs = _e(mock.admin_url.rstrip("/") + "/__admin/docs")
    alert = f'<p class="error" role="alert">{_e(error)}</p>' if error else ""
    return (
        f'<section class="mock" id="mock-{name}" data-mock="{name}">'
        f'<div class="mock-head"><h2>{name}</h2>'
        f'<a class="url" href="{docs}">admin API docs</a>'
        f'<form method="post" action="mocks/{name}/reset">{_token(token)}'
        f'<button data-action="reset" title="forget state, journal and faults">Reset</button>'
        f"</form></div>"
        f'<div class="routes">{_e(mock.routes)}</div>'
        f'<dl class="creds">{creds_html}</dl>{alert}'
        f'<div class="cols"><div><h3>Journal <span class="count" data-count>'
        f"{_e(count_text(view))}</span></h3>"
        '<div class="journal-box"><table><thead><tr><th>#</th><th>time (UTC)</th>'
        "<th>method</th><th>path</th><th>status</th><th>faults</th><th>ms</th></tr></thead>"
        f"<tbody data-journal>{journal_html(view)}</tbody></table></div></div>"
        f'<div><h3>Faults</h3><ul class="faults" data-faults>'
        f"{faults_html(mock.name, view.faults, token, error=bool(view.error))}</ul>"
        f'<form method="post" action="mocks/{name}/faults/clear">{_token(token)}'
        '<button class="danger" data-action="clear-faults">Clear faults</button></form>'
        f"{_fault_form(mock.name, token)}</div></div></section>"
    )


def page_html(
    cards: Iterable[tuple[DashboardMock, MockView]],
    token: str,
    *,
    errors: dict[str, str] | None = None,
) -> str:
    """The whole dashboard; ``errors`` maps a mock's name to a message shown on its card."""
    cards = list(cards)
    errors = errors or {}
    nav = "".join(f'<a href="#mock-{_e(m.name)}">{_e(m.name)}</a>' for m, _ in cards)
    body = "".join(_card(m, view, token, errors.get(m.name)) for m, view in cards)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>flowharness mocks</title>"
        f"<style>{STYLES}</style></head><body>"
        '<header class="top"><h1>flowharness mocks</h1>'
        f'<span class="live" id="live">{len(cards)} mocks</span></header>'
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<script>{SCRIPT}</script></body></html>"
    )
