"""The Slack mock's Web API answers like Slack, on the wire, in both modes.

slack_sdk's clients run against it in ``sdk/test_sdk_slack.py``; here the calls
are written by hand, so every way Slack documents (query, form, multipart,
JSON; header or form token) is covered, and so is each refusal.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from mocks._core import AdminError, MockHandle
from mocks.slack import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_TEAM_ID,
    DEFAULT_USER_TOKEN,
    Channel,
    SlackAdmin,
    create_service,
    read_call,
)
from mocks.slack.exceptions import SlackWebApiError

BOT = {"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"}
USER = {"Authorization": f"Bearer {DEFAULT_USER_TOKEN}"}
HOOK = "/services/T00000000/B00000000/secret"


def call(slack: MockHandle[Any], method: str, **kwargs: Any) -> dict[str, Any]:
    response = slack.client.post(f"/api/{method}", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def post(slack: MockHandle[Any], headers: dict[str, str] = BOT, **args: Any) -> dict[str, Any]:
    return call(slack, "chat.postMessage", headers=headers, json=args)


def test_post_message_json_answers_like_slack(slack: MockHandle[Any]) -> None:
    answer = post(slack, channel="#leads", text="New lead: Ada", thread_ts="1503435956.000247")
    assert answer["ok"] is True
    assert answer["channel"] == "C00000003"
    seconds, micros = answer["ts"].split(".")
    assert seconds.isdigit()
    assert len(micros) == 6
    assert answer["message"] == {
        "type": "message",
        "text": "New lead: Ada",
        "user": "U00000001",
        "bot_id": "B00000001",
        "app_id": "A00000001",
        "team": DEFAULT_TEAM_ID,
        "ts": answer["ts"],
        "thread_ts": "1503435956.000247",
    }
    (message,) = SlackAdmin(slack.admin).messages()
    assert (message.via, message.channel, message.channel_id) == ("web_api", "#leads", "C00000003")
    assert (message.team, message.bot, message.user) == (DEFAULT_TEAM_ID, "B00000001", "U00000001")
    assert (message.ts, message.thread_ts) == (answer["ts"], "1503435956.000247")
    assert message.payload == {
        "channel": "#leads",
        "text": "New lead: Ada",
        "thread_ts": "1503435956.000247",
    }


def test_form_body_with_token_field_and_json_text_blocks(slack: MockHandle[Any]) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Ada* wants a demo"}}]
    answer = call(
        slack,
        "chat.postMessage",
        data={"token": DEFAULT_BOT_TOKEN, "channel": "C00000001", "blocks": json.dumps(blocks)},
    )
    assert answer["message"]["blocks"] == blocks
    (message,) = SlackAdmin(slack.admin).messages()
    assert (message.channel, message.text, message.blocks) == ("#general", None, blocks)
    assert "token" not in message.payload  # the credential is not kept with the message


def test_query_and_multipart_arguments(slack: MockHandle[Any]) -> None:
    answer = call(
        slack,
        "chat.postMessage",
        params={"channel": "random"},
        files={"text": (None, "from a multipart form"), "token": (None, DEFAULT_USER_TOKEN)},
    )
    assert answer["ok"] is True
    assert "bot_id" not in answer["message"]  # a user token posts as the user
    (message,) = SlackAdmin(slack.admin).messages()
    assert (message.channel, message.user, message.bot) == ("#random", "U00000002", None)
    got = slack.client.get(
        "/api/chat.postMessage", params={"channel": "leads", "text": "GET works"}, headers=BOT
    )
    assert got.json()["ok"] is True


@pytest.mark.parametrize(
    ("headers", "kwargs", "error"),
    [
        ({}, {"json": {"channel": "#leads", "text": "x"}}, "not_authed"),
        ({"Authorization": "Bearer "}, {"json": {"channel": "#leads", "text": "x"}}, "not_authed"),
        # a JSON body's token field is not read: Slack wants the header with JSON
        (
            {},
            {"json": {"token": DEFAULT_BOT_TOKEN, "channel": "#leads", "text": "x"}},
            "not_authed",
        ),
        # nor a token in the query string (apps created since February 2021)
        (
            {},
            {"params": {"token": DEFAULT_BOT_TOKEN, "channel": "#leads", "text": "x"}},
            "not_authed",
        ),
        ({"Authorization": "Bearer xoxb-1-2-forged"}, {"json": {"text": "x"}}, "invalid_auth"),
        ({"Authorization": "Basic eG94Yi0x"}, {"json": {"text": "x"}}, "not_authed"),
        ({}, {"data": {"token": "xoxp-unknown", "channel": "#leads"}}, "invalid_auth"),
    ],
)
def test_authentication(
    slack: MockHandle[Any], headers: dict[str, str], kwargs: dict[str, Any], error: str
) -> None:
    assert call(slack, "chat.postMessage", headers=headers, **kwargs) == {
        "ok": False,
        "error": error,
    }
    assert SlackAdmin(slack.admin).messages() == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"channel": "#nowhere", "text": "x"}, "channel_not_found"),
        ({"channel": "C99999999", "text": "x"}, "channel_not_found"),
        ({"channel": "#leads"}, "no_text"),
        ({"channel": "#leads", "text": "", "blocks": [], "attachments": []}, "no_text"),
        ({"channel": "#leads", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "#leads", "blocks": {"type": "section"}}, "invalid_blocks_format"),
        ({"channel": "#leads", "blocks": "not json"}, "invalid_blocks_format"),
        ({"channel": "#leads", "attachments": "{}"}, "invalid_attachments"),
        ({"channel": "#leads", "attachments": [{"text": "a"}] * 101}, "too_many_attachments"),
        ({"channel": "#leads", "markdown_text": "**x**", "text": "x"}, "markdown_text_conflict"),
    ],
)
def test_post_message_refusals(slack: MockHandle[Any], args: dict[str, Any], error: str) -> None:
    answer = post(slack, **args)
    assert (answer["ok"], answer["error"]) == (False, error)
    assert SlackAdmin(slack.admin).messages() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"text": "x"}, "[ERROR] missing required field: channel"),
        ({"channel": 42, "text": "x"}, "[ERROR] must be a string [json-pointer:/channel]"),
        ({"channel": "#leads", "text": ["x"]}, "[ERROR] must be a string [json-pointer:/text]"),
    ],
)
def test_invalid_arguments(slack: MockHandle[Any], args: dict[str, Any], message: str) -> None:
    assert post(slack, **args) == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": [message]},
    }


def test_block_kit_limits(slack: MockHandle[Any]) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}
    answer = post(slack, channel="#leads", text="fallback", blocks=[header, section, {"x": 1}])
    assert answer["error"] == "invalid_blocks"
    assert answer["errors"] == [
        "must be less than 3001 characters [json-pointer:/blocks/1/text/text]",
        "missing required field: type [json-pointer:/blocks/2]",
    ]
    assert answer["response_metadata"]["messages"][0].startswith("[ERROR] must be less than 3001")
    fifty_one = [{"type": "divider"}] * 51
    assert post(slack, channel="#leads", text="x", blocks=fifty_one)["error"] == "invalid_blocks"
    allowed = [header, {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3000}}]
    assert post(slack, channel="#leads", text="x", blocks=allowed)["ok"] is True


def test_channel_state_refusals(slack: MockHandle[Any]) -> None:
    admin = SlackAdmin(slack.admin)
    admin.add_channel("old-leads", is_archived=True)
    admin.add_channel("board", is_member=False)
    assert post(slack, channel="#old-leads", text="x")["error"] == "is_archived"
    assert post(slack, channel="#board", text="x")["error"] == "not_in_channel"


def test_text_cap_is_adjustable_and_reset(slack: MockHandle[Any]) -> None:
    admin = SlackAdmin(slack.admin)
    admin.set_max_text_chars(4000)
    assert post(slack, channel="#leads", text="x" * 4001)["error"] == "msg_too_long"
    assert post(slack, channel="#leads", text="x" * 4000)["ok"] is True
    slack.reset()
    assert slack.admin.get("limits") == {"max_text_chars": 40_000}
    with pytest.raises(AdminError) as info:
        admin.set_max_text_chars(0)
    assert info.value.status == 422


def test_update_replaces_what_it_is_given(slack: MockHandle[Any]) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*New lead*"}}]
    posted = post(slack, channel="#leads", text="New lead: Ada", blocks=blocks)
    answer = call(
        slack,
        "chat.update",
        headers=BOT,
        json={"channel": posted["channel"], "ts": posted["ts"], "text": "Ada: contacted"},
    )
    assert {k: answer[k] for k in ("ok", "channel", "ts", "text")} == {
        "ok": True,
        "channel": "C00000003",
        "ts": posted["ts"],
        "text": "Ada: contacted",
    }
    assert answer["message"]["blocks"] == blocks  # blocks not given: kept
    assert answer["message"]["edited"]["user"] == "U00000001"
    (message,) = SlackAdmin(slack.admin).messages()
    assert (message.text, message.blocks, message.ts) == ("Ada: contacted", blocks, posted["ts"])
    assert message.edited_at is not None
    cleared = call(
        slack,
        "chat.update",
        headers=BOT,
        data={"channel": "#leads", "ts": posted["ts"], "blocks": "[]", "text": "plain"},
    )
    assert "blocks" not in cleared["message"]  # an empty list removes them


def test_update_refusals(slack: MockHandle[Any]) -> None:
    posted = post(slack, channel="#leads", text="New lead")
    slack.client.post(HOOK, json={"text": "from a webhook", "channel": "#leads"})
    (webhook_message,) = SlackAdmin(slack.admin).messages(via="webhook")

    def update(headers: dict[str, str] = BOT, **args: Any) -> dict[str, Any]:
        return call(slack, "chat.update", headers=headers, json=args)

    ts = posted["ts"]
    assert update(channel="#leads", text="x")["error"] == "invalid_arguments"
    assert update(channel="#nowhere", ts=ts, text="x")["error"] == "channel_not_found"
    assert update(channel="#leads", ts="1.000001", text="x")["error"] == "message_not_found"
    assert update(channel="#general", ts=ts, text="x")["error"] == "message_not_found"
    assert update(USER, channel="#leads", ts=ts, text="x")["error"] == "cant_update_message"
    assert update(channel="#leads", ts=webhook_message.ts, text="x")["error"] == (
        "cant_update_message"
    )
    assert update(channel="#leads", ts=ts, text="")["error"] == "no_text"
    assert update(channel="#leads", ts=ts, text="y" * 40_001)["error"] == "msg_too_long"
    assert update(headers={}, channel="#leads", ts=ts, text="x")["error"] == "not_authed"
    SlackAdmin(slack.admin).add_channel("leads", is_archived=True)
    assert update(channel="#leads", ts=ts, text="x")["error"] == "is_inactive"
    (message, _) = SlackAdmin(slack.admin).messages()
    assert (message.text, message.edited_at) == ("New lead", None)


def test_auth_test_tells_who_the_token_is(slack: MockHandle[Any]) -> None:
    assert call(slack, "auth.test", headers=BOT) == {
        "ok": True,
        "url": "https://mock-workspace.slack.com/",
        "team": "Mock Workspace",
        "user": "flowharness",
        "team_id": DEFAULT_TEAM_ID,
        "user_id": "U00000001",
        "bot_id": "B00000001",
        "is_enterprise_install": False,
    }
    as_user = call(slack, "auth.test", data={"token": DEFAULT_USER_TOKEN})
    assert (as_user["user"], as_user["user_id"], "bot_id" in as_user) == ("ada", "U00000002", False)
    assert call(slack, "auth.test") == {"ok": False, "error": "not_authed"}


def test_conversations_list_pages_and_filters(slack: MockHandle[Any]) -> None:
    admin = SlackAdmin(slack.admin)
    admin.add_channel("old-leads", is_archived=True)
    secret = admin.add_channel("board", is_private=True)
    admin.add_channel("hidden", is_private=True, is_member=False)
    first = call(slack, "conversations.list", headers=BOT, data={"limit": "2"})
    assert [c["name"] for c in first["channels"]] == ["general", "random"]
    general = first["channels"][0]
    assert (general["id"], general["is_general"], general["is_member"]) == ("C00000001", True, True)
    assert general["is_channel"]
    assert not general["is_private"]
    assert not general["is_archived"]
    cursor = first["response_metadata"]["next_cursor"]
    assert base64.b64decode(cursor) == b"team:C00000003"
    second = slack.client.get(
        "/api/conversations.list", params={"limit": 2, "cursor": cursor}, headers=BOT
    ).json()
    assert [c["name"] for c in second["channels"]] == ["leads", "old-leads"]
    assert second["response_metadata"]["next_cursor"] == ""
    both = call(
        slack,
        "conversations.list",
        headers=BOT,
        data={"types": "public_channel,private_channel", "exclude_archived": "true"},
    )
    assert [c["id"] for c in both["channels"]] == ["C00000001", "C00000002", "C00000003", secret.id]
    assert secret.id.startswith("G")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"limit": "1001"}, "invalid_limit"),
        ({"limit": "lots"}, "invalid_limit"),
        ({"types": "public_channel,dm"}, "invalid_types"),
        ({"cursor": "bm90IGEgY2hhbm5lbA=="}, "invalid_cursor"),
        ({"cursor": "%%%"}, "invalid_cursor"),
    ],
)
def test_conversations_list_refusals(
    slack: MockHandle[Any], args: dict[str, str], error: str
) -> None:
    assert call(slack, "conversations.list", headers=BOT, data=args) == {
        "ok": False,
        "error": error,
    }


@pytest.mark.parametrize(
    ("content", "content_type", "error"),
    [
        (b'{"channel": "#leads"', "application/json", "invalid_json"),
        (b'["#leads"]', "application/json", "json_not_object"),
        (b"channel=%23leads&text", "application/x-www-form-urlencoded", "invalid_form_data"),
        (b"\xff\xfe", "application/x-www-form-urlencoded", "invalid_form_data"),
        (b"<xml/>", "application/xml", "invalid_post_type"),
        (b"channel=%23leads", None, "missing_post_type"),
    ],
)
def test_unreadable_bodies(
    slack: MockHandle[Any], content: bytes, content_type: str | None, error: str
) -> None:
    headers = dict(BOT)
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = call(slack, "chat.postMessage", content=content, headers=headers)
    assert answer == {"ok": False, "error": error}
    (entry,) = slack.admin.requests()
    assert entry.matched
    assert entry.body == content


def test_read_call_merges_query_and_body() -> None:
    got = read_call("channel=%23a&text=q", "application/x-www-form-urlencoded", b"text=body")
    assert (got.args, got.token) == ({"channel": "#a", "text": "body"}, None)
    with pytest.raises(SlackWebApiError) as info:
        read_call("", "application/json", b"[1]")
    assert info.value.body == {"ok": False, "error": "json_not_object"}


def test_unknown_method_is_slacks_and_unmatched(slack: MockHandle[Any]) -> None:
    answer = slack.client.post("/api/chat.postMesage", headers=BOT, json={"text": "typo"})
    assert answer.status_code == 404
    assert answer.json() == {
        "ok": False,
        "error": "unknown_method",
        "req_method": "chat.postMesage",
    }
    elsewhere = slack.client.get("/nowhere")
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (404, "unmatched")
    assert [e.path for e in slack.admin.unmatched()] == ["/api/chat.postMesage", "/nowhere"]


def test_throttle_answers_slacks_rate_limit(slack: MockHandle[Any]) -> None:
    SlackAdmin(slack.admin).throttle("chat.postMessage", retry_after=30, times=1)
    limited = slack.client.post("/api/chat.postMessage", headers=BOT, json={"channel": "#leads"})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "30"
    assert limited.json() == {"ok": False, "error": "ratelimited"}
    assert call(slack, "auth.test", headers=BOT)["ok"] is True  # other methods unaffected
    assert post(slack, channel="#leads", text="after the wait")["ok"] is True
    SlackAdmin(slack.admin).throttle(times=1)
    assert slack.client.post("/api/auth.test", headers=BOT).status_code == 429


def test_webhook_and_web_api_messages_share_one_listing(slack: MockHandle[Any]) -> None:
    admin = SlackAdmin(slack.admin)
    hook = admin.add_webhook(team=DEFAULT_TEAM_ID, bot="B0HOOK", secret="s3cret", channel="#leads")
    assert slack.client.post(hook.path, json={"text": "New lead (webhook)"}).text == "ok"
    post(slack, channel="C00000003", text="New lead (Web API)")
    post(slack, channel="#general", text="elsewhere")
    via_hook, via_api, _ = admin.messages()
    assert [m.id for m in admin.messages()] == [1, 2, 3]
    assert (via_hook.via, via_hook.channel_id, via_hook.user) == ("webhook", "C00000003", None)
    assert float(via_hook.ts) < float(via_api.ts)
    for channel in ("#leads", "leads", "C00000003"):
        assert admin.messages(channel=channel) == [via_hook, via_api]
    assert admin.messages(team=DEFAULT_TEAM_ID, via="web_api", channel="#leads") == [via_api]
    assert admin.messages(bot="B0HOOK") == [via_hook]


def test_admin_channels_and_tokens(slack: MockHandle[Any]) -> None:
    admin = SlackAdmin(slack.admin)
    assert [c.name for c in admin.channels()] == ["general", "random", "leads"]
    added = admin.add_channel("sales", topic="Deals")
    renamed = admin.add_channel("sales", purpose="Deals, again")
    assert renamed.id == added.id
    assert renamed.purpose == "Deals, again"
    assert post(slack, channel="#sales", text="x")["channel"] == added.id
    bot = admin.add_token("bot", user="notifier")
    person = admin.add_token("user")
    assert bot.token.startswith("xoxb-")
    assert person.token.startswith("xoxp-")
    assert bot.bot_id
    assert person.bot_id is None
    who = call(slack, "auth.test", headers={"Authorization": f"Bearer {bot.token}"})
    assert (who["user"], who["bot_id"]) == ("notifier", bot.bot_id)
    assert {t.token for t in admin.tokens()} == {DEFAULT_BOT_TOKEN, DEFAULT_USER_TOKEN} | {
        bot.token,
        person.token,
    }
    for bad in ({"name": "#sales"}, {"name": "Sales Team"}, {"name": "x", "id": "c1"}):
        with pytest.raises(AdminError) as info:
            slack.admin.post("channels", bad)
        assert info.value.status == 422
    with pytest.raises(AdminError):
        slack.admin.post("tokens", {"kind": "app"})
    slack.reset()
    assert [c.name for c in admin.channels()] == ["general", "random", "leads"]
    assert len(admin.tokens()) == 2


def test_generated_ids_follow_the_seed() -> None:
    def issued() -> tuple[str, str]:
        with MockHandle.in_process(create_service(seed=5)) as slack:
            admin = SlackAdmin(slack.admin)
            return admin.add_channel("x").id, admin.add_token().token

    assert issued() == issued()


def test_configured_workspace_comes_back_on_reset() -> None:
    only = Channel(id="C0LEADS", name="leads")
    with MockHandle.in_process(create_service(channels=[only], max_text_chars=10)) as slack:
        assert post(slack, channel="#general", text="x")["error"] == "channel_not_found"
        assert post(slack, channel="#leads", text="x" * 11)["error"] == "msg_too_long"
        SlackAdmin(slack.admin).add_channel("general")
        slack.reset()
        assert [c.id for c in SlackAdmin(slack.admin).channels()] == ["C0LEADS"]
        assert slack.admin.state()["max_text_chars"] == 10
