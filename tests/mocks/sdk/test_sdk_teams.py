"""pymsteams, unmodified but for the webhook URL and ``verify`` (the CA bundle)."""

from __future__ import annotations

from typing import Any

import pymsteams
import pytest

from mocks.teams import TeamsAdmin


def card(mock: Any, path: str | None = None) -> pymsteams.connectorcard:
    url = mock.url + (path or mock.credentials["webhook_path"])
    return pymsteams.connectorcard(url, http_timeout=10, verify=mock.ca_bundle or True)


def test_send_a_message_card(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("teams")
    message = card(mock)
    message.title("New lead")
    message.text("Ada Lovelace wants a demo")
    section = pymsteams.cardsection()
    section.addFact("Email", "ada@example.com")
    message.addSection(section)
    assert message.send() is True
    (received,) = TeamsAdmin(mock.admin).messages()
    assert (received.kind, received.text, received.title) == (
        "message_card",
        "Ada Lovelace wants a demo",
        "New lead",
    )


def test_errors_raise_teams_webhook_exception(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("teams")
    empty = card(mock)
    empty.title("no text, no summary")
    with pytest.raises(pymsteams.TeamsWebhookException, match="Summary or Text is required"):
        empty.send()
    workflow = card(mock, "/workflows/abc/triggers/manual/paths/invoke?api-version=1")
    workflow.text("no signature")
    with pytest.raises(pymsteams.TeamsWebhookException, match="DirectApiAuthorizationRequired"):
        workflow.send()
    assert TeamsAdmin(mock.admin).messages() == []
