"""The dashboard's HTTP side: the page, its JSON for polling, and the forms' actions.

Forms post back here (no JavaScript needed to change anything) and answer with
a redirect to the card they changed; each carries the page's token, so another
site open in the same browser cannot post to a loopback dashboard.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from mocks._core import AdminError
from mocks.dashboard._form import FormError, rule_from_form
from mocks.dashboard._mocks import DashboardMock
from mocks.dashboard._page import count_text, faults_html, journal_html, page_html

__all__ = ["dashboard_app"]

_NO_STORE = {"Cache-Control": "no-store"}


def dashboard_app(mocks: Sequence[DashboardMock], *, token: str | None = None) -> Starlette:
    """The dashboard over ``mocks`` (served by :class:`~mocks.dashboard.Dashboard`)."""
    by_name = {mock.name: mock for mock in mocks}
    page_token = token or secrets.token_urlsafe(24)

    def render(errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
        cards = [(mock, mock.view()) for mock in mocks]
        markup = page_html(cards, page_token, errors=errors)
        return HTMLResponse(markup, status_code=status, headers=_NO_STORE)

    def page(request: Request) -> HTMLResponse:
        return render()

    def state(request: Request) -> JSONResponse:
        listed: list[dict[str, Any]] = []
        for mock in mocks:
            view = mock.view()
            listed.append(
                {
                    "name": mock.name,
                    "total": view.total,
                    "faults": len(view.faults),
                    "error": view.error,
                    "count_text": count_text(view),
                    "journal_html": journal_html(view),
                    "faults_html": faults_html(
                        mock.name, view.faults, page_token, error=bool(view.error)
                    ),
                }
            )
        return JSONResponse({"mocks": listed}, headers=_NO_STORE)

    def action(name: str) -> Any:
        async def act(request: Request) -> Any:
            mock = by_name.get(request.path_params["name"])
            if mock is None:
                return PlainTextResponse("no such mock on this dashboard", status_code=404)
            raw = (await request.body()).decode("utf-8", errors="replace")
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if not secrets.compare_digest(form.get("token", ""), page_token):
                return PlainTextResponse(
                    "this form is from another dashboard run: reload the page", status_code=403
                )
            try:
                _apply(mock, name, form, request.path_params.get("rule_id"))
            except FormError as exc:
                return render({mock.name: f"fault not added: {exc}"}, status=400)
            except (httpx.HTTPError, AdminError) as exc:
                return render({mock.name: f"the {mock.name} mock refused: {exc}"}, status=502)
            target = f"{request.base_url}#mock-{mock.name}"
            return RedirectResponse(target, status_code=303)

        return act

    return Starlette(
        routes=[
            Route("/", page),
            Route("/api/mocks", state),
            Route("/mocks/{name}/reset", action("reset"), methods=["POST"]),
            Route("/mocks/{name}/faults", action("add"), methods=["POST"]),
            Route("/mocks/{name}/faults/clear", action("clear"), methods=["POST"]),
            Route("/mocks/{name}/faults/{rule_id}/remove", action("remove"), methods=["POST"]),
        ]
    )


def _apply(mock: DashboardMock, action: str, form: dict[str, str], rule_id: str | None) -> None:
    if action == "add":
        rule = rule_from_form(form)
        mock.admin.add_fault(
            rule.fault,
            method=rule.method,
            path=rule.path,
            times=rule.times,
            probability=rule.probability,
        )
    elif action == "clear":
        mock.admin.clear_faults()
    elif action == "remove" and rule_id is not None:
        try:
            mock.admin.remove_fault(rule_id)
        except AdminError as exc:
            if exc.status != 404:  # gone already (a reset, another tab): nothing to do
                raise
    elif action == "reset":
        mock.admin.reset()
