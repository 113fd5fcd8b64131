"""The dashboard as a person uses it: ``flowharness mocks up`` in its own process, the page
in headless Chromium, real requests through the mocks, clicks on the page's own forms.

Every step waits for what the page shows (with a deadline), never for a fixed time.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mocks import AdminClient, StatusFault
from tests.support.cdp import Browser

from .._mocks_up import mocks_up

pytestmark = pytest.mark.slow  # a browser and a mocks up process per test


def card(name: str) -> str:
    return f'section[data-mock="{name}"]'


def rows_js(name: str) -> str:
    """The card's journal rows as the browser shows them (newest first)."""
    return f"""[...document.querySelectorAll('{card(name)} tr[data-entry-id]')].map(tr => ({{
        id: tr.dataset.entryId,
        method: tr.children[2].textContent,
        path: tr.querySelector('td.target').firstChild.textContent,
        status: tr.children[4].textContent,
        faults: [...tr.querySelectorAll('.tag')].map(t => t.textContent)}}))"""


def text_js(selector: str) -> str:
    return f"((document.querySelector({json.dumps(selector)}) || {{}}).textContent || '')"


def send_lead(mock: dict[str, Any], **client: Any) -> httpx.Response:
    return httpx.post(
        mock["url"] + "/api/send-message",
        json={"to": "+14155550123", "text": "New lead: Ada"},
        headers={"Authorization": f"Bearer {mock['credentials']['api_key']}"},
        timeout=10,
        **client,
    )


def test_journal_shows_a_real_request_and_faults_come_and_go_from_the_page(
    browser: Callable[..., Browser],
) -> None:
    with mocks_up("--base-port", "0") as run:
        wasender = run.line["mocks"]["wasender"]
        admin = AdminClient(wasender["admin_url"])
        page = browser()
        page.open(run.line["dashboard"])
        page.wait_for("Number(document.body.dataset.polls) >= 1", what="the first poll")
        shown = page.evaluate("[...document.querySelectorAll('section[data-mock]')]"
                              ".map(s => s.dataset.mock)")  # fmt: skip
        assert set(shown) == set(run.line["mocks"])
        assert wasender["url"] in page.evaluate(text_js(card("wasender") + " dl.creds"))
        assert "no requests yet" in page.evaluate(text_js(card("wasender") + " [data-journal]"))

        # a real request through the mock shows up live (the page polls)
        assert send_lead(wasender).status_code == 200
        rows = page.wait_for(rows_js("wasender") + ".length && " + rows_js("wasender"),
                             what="the request in the wasender journal")  # fmt: skip
        assert rows == [
            {"id": "1", "method": "POST", "path": "/api/send-message", "status": "200",
             "faults": []}
        ]  # fmt: skip
        assert page.evaluate(text_js(card("wasender") + " [data-count]")) == "(1)"

        # add a fault with the page's form: status 503 for the next call
        form = card("wasender") + " form.add-fault"
        page.choose(form + " select[name=kind]", "status")
        page.fill(form + " input[name=status]", "503")
        page.choose(form + " select[name=when]", "next")
        page.fill(form + " input[name=times]", "1")
        page.click(form + " button[data-action=add-fault]")
        listed = page.wait_for(
            f"document.querySelector('{card('wasender')} li[data-fault-id]')"
            f" && {text_js(card('wasender') + ' li[data-fault-id] span')}",
            what="the new fault on the card",
        )
        assert "status 503" in listed
        assert "next 1 (1 left)" in listed
        (rule,) = admin.faults()
        assert (rule.fault, rule.times) == (StatusFault(status=503), 1)

        # the next real call gets it, and the page says so
        assert send_lead(wasender).status_code == 503
        newest = page.wait_for(
            f"(({rows_js('wasender')})[0] || {{}}).status === '503' && ({rows_js('wasender')})[0]",
            what="the faulted call in the journal",
        )
        assert newest["faults"] == ["status"]

        # clear the faults from the page
        page.click(card("wasender") + " button[data-action=clear-faults]")
        page.wait_for(
            f"{text_js(card('wasender') + ' [data-faults]')}.includes('no faults')",
            what="the faults to be cleared",
        )
        assert admin.faults() == []
        assert send_lead(wasender).status_code == 200
        admin.close()
    assert run.process.returncode == 0, run.output


def test_dashboard_over_tls_and_reset_from_the_page(
    browser: Callable[..., Browser], tmp_path: Path
) -> None:
    with mocks_up("--tls", "--base-port", "0") as run:
        assert run.line["dashboard"].startswith("https://")
        slack = run.line["mocks"]["slack"]
        context = ssl.create_default_context(cafile=run.line["ca_bundle"])
        # the browser does not know the throwaway CA (a person accepts it once)
        page = browser("--ignore-certificate-errors")
        page.open(run.line["dashboard"])
        page.wait_for("Number(document.body.dataset.polls) >= 1", what="the first poll")
        urls = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('section[data-mock]')]"
            ".map(s => [s.dataset.mock, s.querySelector('dl.creds dd').textContent]))"
        )
        assert urls == {name: mock["url"] for name, mock in run.line["mocks"].items()}
        assert urls["slack"].startswith("https://127.0.0.1:")  # every HTTP mock over TLS
        hook = httpx.post(slack["url"] + slack["credentials"]["webhook_path"],
                          json={"text": "New lead"}, verify=context, timeout=10)  # fmt: skip
        assert hook.text == "ok"
        rows = page.wait_for(rows_js("slack") + ".length && " + rows_js("slack"),
                             what="the webhook call in the slack journal")  # fmt: skip
        assert rows[0]["status"] == "200"
        shot = page.screenshot(tmp_path / "dashboard.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 20_000  # a blank page is a few kB

        page.click(card("slack") + " button[data-action=reset]")
        page.wait_for(
            f"{text_js(card('slack') + ' [data-journal]')}.includes('no requests yet')",
            what="the slack journal to be reset",
        )
        with AdminClient(slack["admin_url"], ssl_context=context) as admin:
            assert admin.count() == 0
    assert run.process.returncode == 0, run.output
