"""slack_sdk's ``WebClient`` and ``AsyncWebClient`` (the Web API, bot and user tokens),
unmodified but for ``base_url`` and the SSL context, against the three ways of
``sdk_mocks``. Refusals come back as ``slack_sdk.errors.SlackApiError``, rate limits
are retried by the SDK's own ``RateLimitErrorRetryHandler``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from mocks.slack import SlackAdmin

LEAD_BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Ada Lovelace* wants a demo"}}
]


def web_client(mock: Any, token: str | None = "bot_token") -> WebClient:
    return WebClient(
        token=mock.credentials[token] if token else None,
        base_url=mock.url + mock.credentials["api_path"],
        ssl=mock.ssl_context(),
        timeout=10,
    )


def async_web_client(mock: Any) -> AsyncWebClient:
    return AsyncWebClient(
        token=mock.credentials["bot_token"],
        base_url=mock.url + mock.credentials["api_path"],
        ssl=mock.ssl_context(),
        timeout=10,
    )


def test_post_reply_update_and_read_back(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("slack")
    slack = web_client(mock)
    me = slack.auth_test()
    assert (me["team_id"], me["bot_id"]) == ("T00000000", "B00000001")
    posted = slack.chat_postMessage(channel="#leads", text="New lead: Ada", blocks=LEAD_BLOCKS)
    assert (posted.status_code, posted["channel"]) == (200, "C00000003")
    assert posted["message"]["blocks"] == LEAD_BLOCKS
    reply = slack.chat_postMessage(channel=posted["channel"], thread_ts=posted["ts"], text="Called")
    assert reply["message"]["thread_ts"] == posted["ts"]
    updated = slack.chat_update(channel=posted["channel"], ts=posted["ts"], text="Ada: contacted")
    assert (updated["ts"], updated["text"]) == (posted["ts"], "Ada: contacted")
    first, second = SlackAdmin(mock.admin).messages(channel="#leads")
    assert (first.via, first.text, first.blocks, first.ts) == (
        "web_api",
        "Ada: contacted",
        LEAD_BLOCKS,
        posted["ts"],
    )
    assert first.edited_at is not None
    assert (second.text, second.thread_ts) == ("Called", posted["ts"])


def test_user_token_posts_as_the_user(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("slack")
    slack = web_client(mock, "user_token")
    assert "bot_id" not in slack.auth_test().data  # type: ignore[operator]
    assert "bot_id" not in slack.chat_postMessage(channel="#general", text="hi")["message"]
    (message,) = SlackAdmin(mock.admin).messages()
    assert (message.user, message.bot) == ("U00000002", None)


def test_conversations_list_pages_through_seeded_channels(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("slack")
    admin = SlackAdmin(mock.admin)
    admin.add_channel("sales")
    board = admin.add_channel("board", is_private=True)
    slack = web_client(mock)
    pages = [[c["name"] for c in page["channels"]] for page in slack.conversations_list(limit=2)]
    assert pages == [["general", "random"], ["leads", "sales"]]
    private = slack.conversations_list(types="private_channel")
    assert [(c["id"], c["is_private"]) for c in private["channels"]] == [(board.id, True)]


@pytest.mark.parametrize(
    ("token", "call", "error"),
    [
        ("bot_token", {"channel": "#nowhere", "text": "x"}, "channel_not_found"),
        ("bot_token", {"channel": "#leads", "text": "x" * 40_001}, "msg_too_long"),
        ("bot_token", {"channel": "#leads", "text": "x", "blocks": [{}]}, "invalid_blocks"),
        (None, {"channel": "#leads", "text": "x"}, "not_authed"),
    ],
)
def test_refusals_raise_slack_api_error(
    sdk_mocks: Any, token: str | None, call: dict[str, Any], error: str
) -> None:
    mock = sdk_mocks.get("slack")
    with pytest.raises(SlackApiError) as info:
        web_client(mock, token).chat_postMessage(**call)
    assert (info.value.response.status_code, info.value.response["error"]) == (200, error)
    assert SlackAdmin(mock.admin).messages() == []


def test_more_refusals_raise_slack_api_error(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("slack")
    slack = web_client(mock)
    with pytest.raises(SlackApiError) as info, pytest.warns(UserWarning, match="`text`"):
        slack.chat_postMessage(channel="#leads", text="")  # the SDK warns, Slack refuses
    assert info.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as info:
        slack.chat_update(channel="C00000003", ts="1700000000.000001", text="x")
    assert info.value.response["error"] == "message_not_found"
    forged = WebClient(
        token="xoxb-1-2-forged", base_url=mock.url + "/api/", ssl=mock.ssl_context(), timeout=10
    )
    with pytest.raises(SlackApiError) as info:
        forged.auth_test()
    assert info.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as info:
        slack.conversations_list(limit=5000)
    assert info.value.response["error"] == "invalid_limit"
    with pytest.raises(SlackApiError) as info:  # WebClient's generic call, no channel
        slack.api_call("chat.postMessage", json={"text": "where to?"})
    assert info.value.response["error"] == "invalid_arguments"
    assert info.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: channel"
    ]


def test_rate_limit_is_retried_by_the_sdk(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("slack")
    admin = SlackAdmin(mock.admin)
    admin.throttle("chat.postMessage", retry_after=1, times=1)
    slack = web_client(mock)
    with pytest.raises(SlackApiError) as info:  # no retry handler for 429s by default
        slack.chat_postMessage(channel="#leads", text="too soon")
    limited = info.value.response
    assert (limited.status_code, limited["error"]) == (429, "ratelimited")
    assert limited.headers["retry-after"] == "1"
    admin.throttle("chat.postMessage", retry_after=1, times=1)
    slack.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert slack.chat_postMessage(channel="#leads", text="after the wait")["ok"] is True
    statuses = [e.status for e in mock.admin.requests(path="/api/chat.postMessage")]
    assert statuses == [429, 429, 200]
    assert [m.text for m in admin.messages()] == ["after the wait"]


def test_async_client(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("slack")
    SlackAdmin(mock.admin).throttle("chat.postMessage", retry_after=1, times=1)

    async def run() -> tuple[Any, ...]:
        slack = async_web_client(mock)
        slack.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
        me = await slack.auth_test()
        posted = await slack.chat_postMessage(channel="#leads", text="New lead (async)")
        updated = await slack.chat_update(channel=posted["channel"], ts=posted["ts"], text="Done")
        pages = [
            [c["name"] for c in page["channels"]]
            async for page in await slack.conversations_list(limit=2)
        ]
        with pytest.raises(SlackApiError) as info:
            await slack.chat_postMessage(channel="#nowhere", text="x")
        return me, posted, updated, pages, info.value.response["error"]

    me, posted, updated, pages, error = asyncio.run(run())
    assert me["user_id"] == "U00000001"
    assert (updated["ts"], updated["text"]) == (posted["ts"], "Done")
    assert pages == [["general", "random"], ["leads"]]
    assert error == "channel_not_found"
    statuses = [e.status for e in mock.admin.requests(path="/api/chat.postMessage")]
    assert statuses == [429, 200, 200]
    (message,) = SlackAdmin(mock.admin).messages()
    assert (message.text, message.channel) == ("Done", "#leads")
