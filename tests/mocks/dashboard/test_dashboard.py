"""The mocks dashboard over served mocks: what the page shows, what its forms change.

The page is read as HTML here (the browser tests run it in Chromium); the mocks
are the plugin's loopback servers, reached by the dashboard through their admin
API, and every request to them is a real one.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.cli.mocks import DASHBOARD_NAME, DASHBOARD_PORT, _port_plan
from mocks import ConnectionResetFault, EmptyResponseFault, LatencyFault, StatusFault
from mocks._core import http_client
from mocks.dashboard import JOURNAL_ROWS, Dashboard, DashboardMock, FormError, rule_from_form
from mocks.registry import get_spec
from mocks.slack import DEFAULT_BOT_TOKEN, SlackAdmin
from mocks.wasender import DEFAULT_API_KEY

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


def page_client(board: Dashboard) -> httpx.Client:
    return http_client("http://dashboard.test", board.app, follow_redirects=False)


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, "the page carries its form token"
    return found.group(1)


def card(page: str, name: str) -> str:
    start = page.index(f'data-mock="{name}"')
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


def send_lead(mock: Any, text: str = "New lead: Ada") -> httpx.Response:
    return httpx.post(
        mock.url + "/api/send-message", json={"to": "+14155550123", "text": text}, headers=AUTH
    )


def test_page_lists_each_mock_with_url_credentials_and_journal(
    dashboard: Callable[..., Dashboard], mock_services: Any
) -> None:
    board = dashboard("wasender", "slack")
    wasender = mock_services.wasender
    assert send_lead(wasender).status_code == 200
    with page_client(board) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    mine = card(page.text, "wasender")
    assert wasender.url in mine
    assert DEFAULT_API_KEY in mine  # the credentials a client needs
    assert "POST /api/send-message" in mine  # where to point an app
    assert "/api/send-message</td>" not in mine  # the path cell also holds the bodies
    assert 'data-entry-id="1"' in mine
    assert "New lead: Ada" in mine  # the request body, under the row
    assert '<span class="st st-2">200</span>' in mine
    assert "no requests yet" in card(page.text, "slack")
    assert "<script>" in page.text  # the little script that polls
    assert "src=" not in page.text.replace('src="', "")  # nothing fetched from elsewhere


def test_slack_card_shows_web_api_calls_beside_webhook_calls(
    dashboard: Callable[..., Dashboard], mock_services: Any
) -> None:
    board = dashboard("slack")
    slack = mock_services.slack
    SlackAdmin(slack.admin).throttle("chat.postMessage", times=1)
    bot = {"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"}
    lead = {"channel": "#leads", "text": "New lead: Ada (Web API)"}
    api = slack.url + "/api/chat.postMessage"
    assert httpx.post(api, json=lead, headers=bot).status_code == 429
    assert httpx.post(api, json=lead, headers=bot).json()["ok"] is True
    hook = slack.url + slack.credentials["webhook_path"]
    assert httpx.post(hook, json={"text": "New lead: Bo (webhook)"}).text == "ok"
    with page_client(board) as client:
        mine = card(client.get("/").text, "slack")
    assert DEFAULT_BOT_TOKEN in mine  # the credentials a client needs, bot token included
    assert "/api/chat.postMessage" in mine
    assert "New lead: Ada (Web API)" in mine  # the request body, under the row
    assert "&quot;ok&quot;:true" in mine  # Slack's answer, escaped
    assert '<span class="tag">rate_limit</span>' in mine
    assert '<span class="st st-4">429</span>' in mine
    assert "New lead: Bo (webhook)" in mine
    assert re.findall(r'data-entry-id="(\d+)"', mine) == ["3", "2", "1"]  # newest first


def test_state_for_polling_is_the_same_rendering(
    dashboard: Callable[..., Dashboard], mock_services: Any
) -> None:
    board = dashboard("wasender")
    for index in range(JOURNAL_ROWS + 5):
        send_lead(mock_services.wasender, f"lead {index}")
    with page_client(board) as client:
        state = client.get("/api/mocks").json()
    (entry,) = state["mocks"]
    assert entry["name"] == "wasender"
    assert entry["total"] == JOURNAL_ROWS + 5
    assert entry["count_text"] == f"({JOURNAL_ROWS + 5}, newest {JOURNAL_ROWS})"
    rows = re.findall(r'data-entry-id="(\d+)"', entry["journal_html"])
    assert rows[0] == str(JOURNAL_ROWS + 5)  # newest first
    assert len(rows) == JOURNAL_ROWS
    assert entry["faults"] == 0
    assert "no faults" in entry["faults_html"]


def test_request_bodies_and_paths_are_escaped(
    dashboard: Callable[..., Dashboard], mock_services: Any
) -> None:
    board = dashboard("wasender")
    send_lead(mock_services.wasender, "<script>alert(1)</script>")
    httpx.get(mock_services.wasender.url + "/api/<b>x</b>")
    with page_client(board) as client:
        mine = card(client.get("/").text, "wasender")
    assert "<script>alert" not in mine
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mine
    assert "unmatched" in mine


@pytest.mark.parametrize(
    ("form", "fault", "times", "probability"),
    [
        ({"kind": "delay", "seconds": "1.5"}, LatencyFault(seconds=1.5), None, 1.0),
        ({"kind": "status", "status": "503", "when": "next", "times": "2"},
         StatusFault(status=503), 2, 1.0),
        ({"kind": "status", "status": "429", "body": "slow down"},
         StatusFault(status=429, body="slow down"), None, 1.0),
        ({"kind": "reset", "when": "probability", "probability": "0.25"},
         ConnectionResetFault(), None, 0.25),
        ({"kind": "empty"}, EmptyResponseFault(), None, 1.0),
        ({"kind": "empty", "status": "204", "method": "post", "path": "/api/*"},
         EmptyResponseFault(status=204), None, 1.0),
    ],
)  # fmt: skip
def test_the_forms_closed_fault_set(
    form: dict[str, str], fault: Any, times: int | None, probability: float
) -> None:
    rule = rule_from_form(form)
    assert rule.fault == fault
    assert (rule.times, rule.probability) == (times, probability)
    if "method" in form:
        assert (rule.method, rule.path) == ("POST", "/api/*")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "delay"}, "seconds is required"),
        ({"kind": "delay", "seconds": "soon"}, "seconds must be a number"),
        ({"kind": "delay", "seconds": "-1"}, "seconds"),
        ({"kind": "status"}, "status is required"),
        ({"kind": "status", "status": "700"}, "status"),
        ({"kind": "status", "status": "50.5"}, "whole number"),
        ({"kind": "malformed_body"}, "kind must be one of"),
        ({"kind": "reset", "when": "next"}, "N (the next N calls) is required"),
        ({"kind": "reset", "when": "next", "times": "0"}, "times"),
        ({"kind": "reset", "when": "probability", "probability": "2"}, "probability"),
        ({"kind": "reset", "when": "sometimes"}, "when must be one of"),
    ],
)
def test_bad_forms_say_which_field(form: dict[str, str], message: str) -> None:
    with pytest.raises(FormError, match=re.escape(message)):
        rule_from_form(form)


def test_add_remove_and_clear_faults_through_the_forms(
    dashboard: Callable[..., Dashboard], mock_services: Any
) -> None:
    board = dashboard("wasender")
    wasender = mock_services.wasender
    with page_client(board) as client:
        token = token_of(client.get("/").text)
        added = client.post(
            "/mocks/wasender/faults",
            data={"token": token, "kind": "status", "status": "503", "when": "next", "times": "1"},
        )
        assert added.status_code == 303
        assert added.headers["location"].endswith("/#mock-wasender")
        (rule,) = wasender.admin.faults()
        assert (rule.fault, rule.times) == (StatusFault(status=503), 1)
        assert send_lead(wasender).status_code == 503  # the real call gets it
        assert send_lead(wasender).status_code == 200
        mine = card(client.get("/").text, "wasender")
        assert "status 503 · any method * · next 1 (0 left) · fired 1" in mine
        assert '<span class="tag">status</span>' in mine
        client.post(
            "/mocks/wasender/faults", data={"token": token, "kind": "delay", "seconds": "0"}
        )
        first, second = wasender.admin.faults()
        removed = client.post(f"/mocks/wasender/faults/{first.id}/remove", data={"token": token})
        assert removed.status_code == 303
        assert [r.id for r in wasender.admin.faults()] == [second.id]
        again = client.post(f"/mocks/wasender/faults/{first.id}/remove", data={"token": token})
        assert again.status_code == 303  # gone already: nothing to do
        cleared = client.post("/mocks/wasender/faults/clear", data={"token": token})
        assert cleared.status_code == 303
        assert wasender.admin.faults() == []
        assert "no faults" in card(client.get("/").text, "wasender")


def test_reset_through_the_page(dashboard: Callable[..., Dashboard], mock_services: Any) -> None:
    board = dashboard("wasender")
    wasender = mock_services.wasender
    send_lead(wasender)
    with page_client(board) as client:
        token = token_of(client.get("/").text)
        assert client.post("/mocks/wasender/reset", data={"token": token}).status_code == 303
        assert wasender.admin.count() == 0
        assert "no requests yet" in card(client.get("/").text, "wasender")


def test_bad_form_token_and_unknown_mock_change_nothing(
    dashboard: Callable[..., Dashboard], mock_services: Any
) -> None:
    board = dashboard("wasender")
    wasender = mock_services.wasender
    with page_client(board) as client:
        token = token_of(client.get("/").text)
        bad = client.post("/mocks/wasender/faults", data={"token": token, "kind": "delay"})
        assert bad.status_code == 400
        assert "fault not added: seconds is required" in card(bad.text, "wasender")
        forged = client.post("/mocks/wasender/reset", data={"token": "guessed"})
        assert forged.status_code == 403
        missing = client.post("/mocks/wasender/reset", data={})
        assert missing.status_code == 403
        unknown = client.post("/mocks/fax/reset", data={"token": token})
        assert unknown.status_code == 404
    assert wasender.admin.faults() == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_mock_is_shown_not_fatal() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gone = DashboardMock("gone", url, url)
    with Dashboard([gone]) as board, page_client(board) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "the gone mock did not answer" in card(page.text, "gone")
        assert "faults unknown" in card(page.text, "gone")  # not "no faults"
        token = token_of(page.text)
        failed = client.post("/mocks/gone/reset", data={"token": token})
        assert failed.status_code == 502
        assert "the gone mock refused" in failed.text


def test_dashboard_port_follows_the_mocks() -> None:
    specs = [get_spec("slack"), get_spec("email")]
    assert _port_plan(specs, {}, None)[DASHBOARD_NAME] == DASHBOARD_PORT
    assert _port_plan(specs, {}, 9000)[DASHBOARD_NAME] == 9003  # after slack, email, smtp
    assert _port_plan(specs, {}, 0)[DASHBOARD_NAME] == 0
    assert _port_plan(specs, {DASHBOARD_NAME: 9100}, None)[DASHBOARD_NAME] == 9100
    bad = CliRunner().invoke(main, ["mocks", "up", "slack", "--port", "dashboard=web"])
    assert bad.exit_code == 2
    assert "NAME=PORT" in bad.output
