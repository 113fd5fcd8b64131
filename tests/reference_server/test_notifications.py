"""After the CRM confirms: Slack, Teams, email and WhatsApp notifications, each retried alone."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
import respx
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from reference_server import CrmResult, LeadQueue
from reference_server._alerts import Alert, Alerter
from reference_server._notify import Notifier, record_url
from reference_server._redis import connect
from reference_server.worker import Worker

pytestmark = pytest.mark.anyio
LEAD = {"lead_id": "L7", "phone": "+33612345678", "first_name": "Ana", "last_name": "Lima",
        "email": "ana@example.com", "company": "Acme", "interest": "demo", "campaign": "spring",
        "source": "ads"}  # fmt: skip


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def, override]
        self.messages.append(message)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


async def no_sleep(_: float) -> None:
    return None


@respx.mock
async def test_every_channel_gets_the_lead_with_a_link(make_settings, smtp):
    port, inbox = smtp
    settings = make_settings(
        notify_slack_webhook_url="https://hooks.slack.test/N",
        notify_teams_webhook_url="https://teams.test/hook",
        notify_email_to=["sales@example.com"], smtp_host="127.0.0.1", smtp_port=port,
        notify_whatsapp_to="+14155550100", cloud_api_url="https://graph.test",
        cloud_api_token="cloud-1", phone_number_id="PN", hubspot_portal_id="999",
    )  # fmt: skip
    slack = respx.post("https://hooks.slack.test/N").respond(200, text="ok")
    teams = respx.post("https://teams.test/hook").respond(200, text="1")
    whatsapp = respx.post("https://graph.test/v21.0/PN/messages").respond(
        json={"messages": [{"id": "wamid.S"}]}
    )
    async with httpx.AsyncClient() as http:
        fates = await Notifier(settings, http, sleep=no_sleep).notify(LEAD, CrmResult("42", True))
    assert fates == {"slack": "sent", "teams": "sent", "email": "sent", "whatsapp": "sent"}
    link = "https://app.hubspot.com/contacts/999/record/0-1/42"
    assert link in json.loads(slack.calls.last.request.content)["text"]
    (card,) = json.loads(teams.calls.last.request.content)["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert f"CRM record: {link}" in [block["text"] for block in card["content"]["body"]]
    staff = json.loads(whatsapp.calls.last.request.content)
    assert staff["to"] == "14155550100"
    assert link in staff["text"]["body"]
    (mail,) = inbox.messages
    assert mail["To"] == "sales@example.com"
    assert link in mail.get_payload()
    for text in (json.loads(slack.calls.last.request.content)["text"], mail.get_payload()):
        assert "ana@example.com" not in text
        assert "612345678" not in text


@respx.mock
async def test_each_channel_is_retried_on_its_own(make_settings):
    settings = make_settings(
        notify_slack_webhook_url="https://hooks.slack.test/N",
        notify_teams_webhook_url="https://teams.test/hook",
        notify_max_attempts=3,
    )
    slack = respx.post("https://hooks.slack.test/N")
    slack.side_effect = [httpx.Response(503), httpx.ConnectError("reset"), httpx.Response(200)]
    teams = respx.post("https://teams.test/hook").respond(500)
    async with httpx.AsyncClient() as http:
        fates = await Notifier(settings, http, sleep=no_sleep).notify(LEAD, CrmResult("1", False))
    assert fates == {"slack": "sent", "teams": "failed"}
    assert (slack.call_count, teams.call_count) == (3, 3)


def test_salesforce_record_url_is_used_as_given(make_settings):
    settings = make_settings(crm="salesforce")
    assert record_url(settings, CrmResult("00Q", True, "https://sf.test/r/00Q")) == (
        "https://sf.test/r/00Q"
    )
    assert record_url(make_settings(), CrmResult("5", True)) == ""  # no HubSpot portal id


@respx.mock
async def test_worker_notifies_after_the_crm_write(make_settings):
    respx.post("https://hooks.slack.test/N").respond(200)
    settings = make_settings(notify_slack_webhook_url="https://hooks.slack.test/N")
    redis = connect(settings)

    class Crm:
        name = "fake"

        async def upsert(self, lead):
            return CrmResult("9", True)

    async with httpx.AsyncClient() as http:
        worker = Worker(settings, redis, crm=Crm(), http=http, sleep=no_sleep)
        await LeadQueue(redis).enqueue(LEAD)
        await worker.run_once()
    assert worker.notifications == {"L7": {"slack": "sent"}}
    await redis.aclose()


async def test_alert_email_goes_through_smtp(make_settings, smtp):
    port, inbox = smtp
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port, alert_email_to=["ops@x.org"])
    async with httpx.AsyncClient() as http:
        await Alerter(settings, http).send(Alert("high", "CRM down", {"lead_reference": "L1"}))
    (mail,) = inbox.messages
    assert "[flowharness high] CRM down" in mail["Subject"]
    assert "L1" in mail.get_payload()


class Crash(BaseException):
    """The process dies here (nothing in the worker catches a BaseException)."""


class CountingCrm:
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    async def upsert(self, lead):
        self.calls += 1
        return CrmResult("9", True)


@respx.mock
async def test_notification_survives_a_crash_after_the_crm_write(make_settings, redis_url):
    settings = make_settings(
        redis_url=redis_url, notify_slack_webhook_url="https://hooks.slack.test/N"
    )
    calls = []

    def crash_first(request):
        calls.append(request)
        if len(calls) == 1:
            raise Crash
        return httpx.Response(200)

    slack = respx.post("https://hooks.slack.test/N").mock(side_effect=crash_first)
    redis = connect(settings)
    crm = CountingCrm()
    await LeadQueue(redis).enqueue(LEAD)
    async with httpx.AsyncClient() as http:
        with pytest.raises(Crash):
            await Worker(settings, redis, crm=crm, http=http, consumer="dies").run_once()
        assert await redis.xlen("leads:incoming") == 0  # the lead itself is done
        heir = Worker(settings, redis, crm=crm, http=http, sleep=no_sleep, consumer="heir")
        report = await heir.run_once()
    assert (report.reclaimed, report.notifications_sent) == (1, 1)
    assert heir.notifications == {"L7": {"slack": "sent"}}
    assert crm.calls == 1  # notifying never touches the CRM again
    assert "Ana Lima" in json.loads(slack.calls.last.request.content)["text"]
    assert await redis.xlen("leads:notify") == 0
    await redis.aclose()


@respx.mock
async def test_failing_slack_does_not_block_email(make_settings, smtp):
    port, inbox = smtp
    settings = make_settings(
        notify_slack_webhook_url="https://hooks.slack.test/N", notify_email_to=["s@example.com"],
        smtp_host="127.0.0.1", smtp_port=port, notify_max_attempts=3,
    )  # fmt: skip
    slack = respx.post("https://hooks.slack.test/N").respond(500)
    redis = connect(settings)
    crm = CountingCrm()
    await LeadQueue(redis).enqueue(LEAD)
    async with httpx.AsyncClient() as http:
        worker = Worker(settings, redis, crm=crm, http=http, sleep=no_sleep)
        report = await worker.run_once()
    assert worker.notifications == {"L7": {"slack": "failed", "email": "sent"}}
    assert (report.notifications_sent, report.notifications_failed) == (1, 1)
    assert slack.call_count == 3
    assert len(inbox.messages) == 1
    ((_, failed),) = await redis.xrange("leads:notify:failed")
    assert (failed["lead_id"], failed["channel"]) == ("L7", "slack")
    assert crm.calls == 1
    await redis.aclose()


@respx.mock
async def test_a_repeated_job_skips_channels_already_sent(make_settings):
    settings = make_settings(
        notify_slack_webhook_url="https://hooks.slack.test/N",
        notify_teams_webhook_url="https://teams.test/hook",
    )
    slack = respx.post("https://hooks.slack.test/N").respond(200)
    teams = respx.post("https://teams.test/hook")
    teams.side_effect = [httpx.Response(500)] * 3 + [httpx.Response(200)]
    redis = connect(settings)
    async with httpx.AsyncClient() as http:
        worker = Worker(settings, redis, crm=CountingCrm(), http=http, sleep=no_sleep)
        job = {"lead_id": "L7", "record_url": "", "text": "New lead",
               "channels": json.dumps(["slack", "teams"])}  # fmt: skip
        assert await worker.notify_jobs.handle(job) == {"slack": "sent", "teams": "failed"}
        assert await worker.notify_jobs.handle(job) == {"slack": "sent", "teams": "sent"}
    assert (slack.call_count, teams.call_count) == (1, 4)
    await redis.aclose()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.dumps(vars(record), default=str) + record.getMessage())


@pytest.fixture
def server_logs() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("reference_server")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


WEBHOOK_SECRET = "T0A1B2/B3C4D5/hook-secret-xyz"


@respx.mock
async def test_failed_webhooks_are_logged_without_their_secret_url(make_settings, server_logs):
    settings = make_settings(
        notify_slack_webhook_url=f"https://hooks.slack.test/services/{WEBHOOK_SECRET}",
        notify_teams_webhook_url=f"https://teams.test/webhookb2/{WEBHOOK_SECRET}",
        slack_webhook_url=f"https://hooks.slack.test/alerts/{WEBHOOK_SECRET}",
        notify_max_attempts=1,
    )
    respx.post(url__startswith="https://hooks.slack.test/").respond(404)
    respx.post(url__startswith="https://teams.test/").respond(403)
    async with httpx.AsyncClient() as http:
        fates = await Notifier(settings, http, sleep=no_sleep).notify(LEAD, CrmResult("1", False))
        await Alerter(settings, http).send(Alert("high", "CRM down"))
    assert fates == {"slack": "refused", "teams": "refused"}  # a 4xx is not retried
    failures = [line for line in server_logs.lines if "notification refused" in line]
    assert len(failures) == 3
    assert all("hook-secret-xyz" not in line for line in failures)
    assert any("HTTP 404" in line for line in failures)
    assert any("HTTP 403" in line for line in failures)


@respx.mock
@pytest.mark.parametrize(
    ("status", "fate", "calls"),
    [(400, "refused", 1), (404, "refused", 1), (410, "refused", 1), (429, "failed", 3),
     (500, "failed", 3), (503, "failed", 3)],
)  # fmt: skip
async def test_webhook_4xx_is_refused_at_once_429_and_5xx_are_retried(
    make_settings, status, fate, calls
):
    settings = make_settings(
        notify_slack_webhook_url="https://hooks.slack.test/N",
        notify_teams_webhook_url="https://teams.test/hook",
        notify_whatsapp_to="+14155550100", cloud_api_url="https://graph.test",
        cloud_api_token="cloud-1", phone_number_id="PN", notify_max_attempts=3,
    )  # fmt: skip
    routes = [
        respx.post("https://hooks.slack.test/N").respond(status),
        respx.post("https://teams.test/hook").respond(status),
        respx.post("https://graph.test/v21.0/PN/messages").respond(status),
    ]
    async with httpx.AsyncClient() as http:
        notifier = Notifier(settings, http, sleep=no_sleep)
        fates = await notifier.notify(LEAD, CrmResult("1", False))
    assert fates == {"slack": fate, "teams": fate, "whatsapp": fate}
    assert [route.call_count for route in routes] == [calls] * 3
    if fate == "refused":  # what operations are told to fix names the setting
        assert "FLOWHARNESS_NOTIFY_SLACK_WEBHOOK_URL" in notifier.refusals["slack"]
        assert "FLOWHARNESS_CLOUD_API_TOKEN" in notifier.refusals["whatsapp"]


class RefusingInbox(Message):
    """An SMTP server that answers RCPT TO with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code
        self.tries = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        self.tries += 1
        return f"{self.code} mailbox unavailable"

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def, override]
        raise AssertionError("no message was accepted")


@pytest.mark.parametrize(("code", "fate", "tries"), [(550, "refused", 1), (450, "failed", 3)])
async def test_a_permanent_smtp_refusal_is_not_retried_a_temporary_one_is(
    make_settings, code, fate, tries
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = RefusingInbox(code)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = make_settings(
            notify_email_to=["sales@example.com"], smtp_host="127.0.0.1", smtp_port=port,
            notify_max_attempts=3,
        )  # fmt: skip
        async with httpx.AsyncClient() as http:
            fates = await Notifier(settings, http, sleep=no_sleep).notify(
                LEAD, CrmResult("1", False)
            )
    finally:
        controller.stop()
    assert fates == {"email": fate}
    assert inbox.tries == tries
