"""slack_sdk's ``WebhookClient``, unmodified but for the webhook URL and an SSL context
(its ``WebClient`` for the Web API: ``test_sdk_slack_web.py``)."""

from __future__ import annotations

from typing import Any

from slack_sdk.webhook import WebhookClient

from mocks.slack import SlackAdmin


def webhook(mock: Any, path: str | None = None) -> WebhookClient:
    return WebhookClient(
        mock.url + (path or mock.credentials["webhook_path"]), ssl=mock.ssl_context(), timeout=10
    )


def test_post_text_and_blocks(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("slack")
    answer = webhook(mock).send(text="New lead: Ada Lovelace")
    assert (answer.status_code, answer.body) == (200, "ok")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Ada* wants a demo"}}]
    assert webhook(mock).send(text="fallback", blocks=blocks).status_code == 200
    first, second = SlackAdmin(mock.admin).messages()
    assert first.text == "New lead: Ada Lovelace"
    assert second.blocks == blocks


def test_errors_come_back_as_slacks_answers(sdk_mocks: Any) -> None:
    # Incoming webhooks answer errors as status + text; WebhookClient returns them, it does
    # not raise (slack_sdk raises only for its Web API: see test_sdk_slack_web.py).
    mock = sdk_mocks.get("slack")
    missing = webhook(mock).send(text="")
    assert (missing.status_code, missing.body) == (400, "no_text")
    hook = SlackAdmin(mock.admin).add_webhook(team="T1", bot="B1", secret="right")
    bad_secret = webhook(mock, "/services/T1/B1/wrong").send(text="hi")
    assert (bad_secret.status_code, bad_secret.body) == (403, "invalid_token")
    unknown = webhook(mock, "/services/T9/B9/x").send(text="hi")
    assert (unknown.status_code, unknown.body) == (404, "no_service")
    assert webhook(mock, hook.path).send(text="hi").status_code == 200
