"""A walk as the person lived it: each step's screen with the values typed, beside the answer."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from harness.flowjson import Flow
from harness.preview._page import html_page
from harness.preview._screen import example_data, render_step
from harness.walker import Step, Transcript

__all__ = ["journey_html", "walk_report_html"]

SUCCESS = "SUCCESS"


def journey_html(flow: Flow, transcript: Transcript, *, title: str = "") -> str:
    """One journey as an HTML fragment: a card per step, then how it ended."""
    verdict = "completed" if transcript.completed else "NOT completed"
    css = "ok" if transcript.completed and not transcript.findings else "bad"
    head = (
        f'<div class="journey-head">{html.escape(title)} '
        f'<span class="{css}">{verdict} ({html.escape(transcript.ending)})</span></div>'
        f'<div class="muted">{html.escape(" → ".join(transcript.screens) or "no screen")}'
        f"{': ' + html.escape(transcript.reason) if transcript.reason else ''}</div>"
    )
    steps = "".join(_step(flow, step, data) for step, data in _with_data(flow, transcript.steps))
    ending = ""
    if transcript.completion is not None:
        ending = render_step(
            flow,
            None,
            heading="completion (what the completion webhook's response_json carries)",
            answer=transcript.completion,
            status="ok",
        )
    return f'<section class="journey">{head}{steps}{ending}</section>'


def walk_report_html(
    flow: Flow, journeys: Iterable[tuple[str, Transcript]], *, title: str = ""
) -> str:
    """A whole page: every journey of a walk, each step shown as the screen the person saw."""
    journeys = list(journeys)
    done = sum(t.completed for _, t in journeys)
    findings = sum(len(t.findings) for _, t in journeys)
    name = title or (flow.file.rsplit("/", 1)[-1] if flow.file else "flow")
    head = (
        f"<h1>Walk through {html.escape(name)}</h1>"
        f'<p class="muted">{done}/{len(journeys)} journey(s) completed, '
        f"{findings} finding(s)</p>"
    )
    body = "".join(journey_html(flow, transcript, title=label) for label, transcript in journeys)
    return html_page(f"walk: {name}", head + body)


def _with_data(flow: Flow, steps: list[Step]) -> Iterable[tuple[Step, dict[str, Any]]]:
    """Each step with the data its screen showed, rebuilt from the answers that led there."""
    shown: dict[str, dict[str, Any]] = {}
    entry = flow.entry_screen
    if entry is not None:
        shown[entry.id] = example_data(entry)
    for step in steps:
        screen = step.screen
        data = shown.get(screen, {}) if screen else {}
        if screen and screen not in shown and flow.has_screen(screen):
            data = example_data(flow.screen(screen))
        yield step, data
        target = step.next_screen
        if not target or target == SUCCESS or not flow.has_screen(target):
            continue
        if step.kind == "navigate" and isinstance(step.request, Mapping):
            shown[target] = dict(step.request)
        elif isinstance(step.answer, Mapping) and isinstance(step.answer.get("data"), Mapping):
            shown[target] = {k: v for k, v in step.answer["data"].items() if k != "error_message"}


def _step(flow: Flow, step: Step, data: dict[str, Any]) -> str:
    where = step.screen or "(opening)"
    heading = f"{step.index}. {where}: {step.kind}"
    if step.next_screen:
        heading += f" → {step.next_screen}"
    facts = []
    if step.trigger:
        facts.append(("via", step.trigger))
    if step.status is not None or step.outcome:
        timing = f", {step.elapsed * 1000:.0f} ms" if step.elapsed is not None else ""
        slow = " (over budget)" if step.within_budget is False else ""
        facts.append(("answer", f"{step.status} {step.outcome}{timing}{slow}"))
    if step.error_message:
        facts.append(("error_message", step.error_message))
    if step.notification:
        note = step.notification
        facts.append(("reported", f"{note.error}: {note.outcome}"))
    errors = any(item.severity == "error" for item in step.findings)
    screen = step.screen if step.screen and flow.has_screen(step.screen) else None
    return render_step(
        flow,
        screen,
        heading=heading,
        data=data,
        form=step.inputs,
        facts=facts,
        request=step.request if step.kind != "navigate" else None,
        answer=step.answer,
        findings=step.findings,
        status="bad" if errors or step.notification else "ok",
    )
