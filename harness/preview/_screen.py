"""One screen as a phone-sized card, and one journey step: the card beside what happened.

:func:`render_screen` is the building block every report uses (previews, walk reports,
scenario reports, conformance reports): give it the flow, a screen id, the screen's
data and the form values, and it returns an HTML fragment styled by :data:`STYLES`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

from harness.flowjson import Finding, Flow, Screen, to_text
from harness.preview._components import render_components
from harness.preview._text import View

__all__ = ["example_data", "render_screen", "render_step", "screen_badges"]


def example_data(screen: Screen) -> dict[str, Any]:
    """The screen's declared ``__example__`` values: what a preview binds in."""
    return {name: item.example for name, item in screen.data.items() if item.has_example}


def screen_badges(flow: Flow, screen: Screen) -> list[str]:
    badges = []
    if flow.entry_screen is not None and flow.entry_screen.id == screen.id:
        badges.append("entry")
    for flag in ("terminal", "success", "refresh_on_back"):
        if getattr(screen, flag):
            badges.append(flag.replace("_", " "))
    if screen.sensitive:
        badges.append("sensitive: " + ", ".join(screen.sensitive))
    return badges


def render_screen(
    flow: Flow,
    screen: Screen | str,
    *,
    data: Mapping[str, Any] | None = None,
    form: Mapping[str, Any] | None = None,
    screens: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    placeholders: bool = True,
    error_message: str | None = None,
) -> str:
    """The screen as a phone card: title bar, components, Footer.

    ``data`` defaults to the screen's ``__example__`` values and ``form`` to nothing
    typed yet; ``error_message`` shows the snackbar an endpoint's answer asked for.
    """
    screen = flow.screen(screen) if isinstance(screen, str) else screen
    view = View(
        example_data(screen) if data is None else dict(data),
        dict(form or {}),
        dict(screens or {}),
        placeholders,
    )
    title = view.text(screen.title) if screen.title is not None else ""
    body = render_components(screen.layout, view)
    snackbar = ""
    if error_message:
        snackbar = f'<div class="snackbar">{html.escape(error_message)}</div>'
    return (
        f'<div class="phone" data-screen="{html.escape(screen.id)}">'
        '<div class="topbar"><span class="topbar-x">✕</span>'
        f'<span class="topbar-title">{title}</span><span class="topbar-menu">⋮</span></div>'
        f'<div class="body">{body}</div>{snackbar}'
        '<div class="managed">Managed by the business. <span class="link">Learn more</span></div>'
        "</div>"
    )


def render_step(
    flow: Flow | None,
    screen: Screen | str | None,
    *,
    heading: str,
    data: Mapping[str, Any] | None = None,
    form: Mapping[str, Any] | None = None,
    screens: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    facts: Iterable[tuple[str, str]] = (),
    request: Any = None,
    answer: Any = None,
    findings: Iterable[Finding] = (),
    error_message: str | None = None,
    status: str = "",
) -> str:
    """A step of a journey: the screen the person saw (with their values) beside the answer.

    ``facts`` are label/text pairs (status, timing, ...); ``findings`` show as a list
    of severity, code and message. Usable by any report that has a screen and an answer;
    without a flow (or a screen) the step is the side panel alone.
    """
    card = ""
    if screen is not None and flow is not None:
        card = render_screen(
            flow,
            screen,
            data=data,
            form=form,
            screens=screens,
            placeholders=False,
            error_message=error_message,
        )
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(text)}</td></tr>"
        for label, text in facts
    )
    typed = ""
    if form:
        typed = (
            '<h5>typed</h5><table class="kv">'
            + "".join(
                f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(_short(value))}</td></tr>"
                for name, value in form.items()
            )
            + "</table>"
        )
    blocks = [f"<h4>{html.escape(heading)}</h4>", f'<table class="kv">{rows}</table>', typed]
    if request is not None:
        blocks.append(f"<h5>request</h5><pre>{html.escape(_json(request))}</pre>")
    if answer is not None:
        blocks.append(f"<h5>answer</h5><pre>{html.escape(_json(answer))}</pre>")
    notes = "".join(_finding(item) for item in findings)
    if notes:
        blocks.append(f'<h5>findings</h5><ul class="findings">{notes}</ul>')
    state = f" step-{html.escape(status)}" if status else ""
    return (
        f'<div class="step{state}"><div class="step-screen">{card}</div>'
        f'<div class="step-side">{"".join(blocks)}</div></div>'
    )


def _finding(item: Finding) -> str:
    hint = f'<div class="hint">{html.escape(item.hint)}</div>' if item.hint else ""
    where = f" <code>{html.escape(item.pointer)}</code>" if item.pointer else ""
    return (
        f'<li class="finding {html.escape(item.severity)}"><b>{html.escape(item.severity)}</b> '
        f"[{html.escape(item.code)}]{where}: {html.escape(item.message)}{hint}</li>"
    )


def _json(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _short(value: Any, limit: int = 120) -> str:
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        names = [to_text(v.get("file_name", v.get("media_id", "?"))) for v in value]
        if any("media_id" in v for v in value):
            return f"{len(value)} file(s): " + ", ".join(names)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
