"""What only the SQS queue backend has: its extra, its queues (created with a redrive
policy, or refused by name), its ids, settling that a crash repeats but never loses, and
the spool taking leads while SQS does not answer. Against moto's real server."""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import httpx
import pytest
import respx
from click.testing import CliRunner

from harness.cli import main
from harness.client import AsyncFlowClient, Outcome
from reference_server import FlowTokens, create_app
from reference_server._backends import close_queue, open_queue
from reference_server._redis import connect
from reference_server._sqs_client import SqsClient, queue_names
from reference_server._sqs_queue import SqsLeadQueue, encode, group_of
from reference_server._sqs_replay import browse
from reference_server._sqs_work import SqsWork
from reference_server._startup import check_start
from reference_server.exceptions import ConfigurationError

from ._doubles import ScriptedCrm, lead
from ._processes import moto_process
from ._queue_backends import QueueBackend
from .conftest import FLOW_ID, GOOD_FORM, TOKEN_SECRET

pytestmark = [pytest.mark.anyio, pytest.mark.sqs]
SLACK = "https://hooks.slack.test/staff"


@pytest.fixture
async def sqs(make_settings, sqs_settings):
    backend = QueueBackend.open("sqs", {"redis_url": None, **sqs_settings}, make_settings)
    yield backend
    await backend.close()


def without_aiobotocore(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "aiobotocore"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "aiobotocore", None)  # an import now fails


def test_without_the_extra_sqs_is_refused_naming_it(make_settings, monkeypatch):
    without_aiobotocore(monkeypatch)
    with pytest.raises(ConfigurationError, match=r"pip install 'flowharness\[sqs\]'"):
        SqsClient(make_settings(queue="sqs"))


def test_serve_without_the_extra_names_the_setting_and_the_extra(
    make_settings, monkeypatch, tmp_path
):
    without_aiobotocore(monkeypatch)
    key = make_settings().private_keys[0].get_secret_value()
    env = {"FLOWHARNESS_QUEUE": "sqs", "FLOWHARNESS_APP_SECRETS": '["s"]',
           "FLOWHARNESS_FLOW_TOKEN_SECRETS": '["t"]',
           "FLOWHARNESS_PRIVATE_KEYS": json.dumps([key])}  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "FLOWHARNESS_QUEUE" in result.output
    assert "flowharness[sqs]" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("names", "message"),
    [({"incoming": "leads"}, "must be FIFO queues"), ({"inbox": "x.fifo"}, "unknown queues")],
)
def test_wrong_queue_names_are_refused(make_settings, names, message):
    with pytest.raises(ConfigurationError, match=message):
        queue_names(make_settings(queue="sqs", sqs_queue_names=names))


async def test_queues_are_created_fifo_with_a_redrive_policy_and_the_longest_retention(sqs):
    await sqs.queue.ensure_group()
    client: SqsClient = sqs.queue.sqs  # type: ignore[attr-defined]

    async def attributes(label: str) -> dict[str, str]:
        url = await client.url(label)  # type: ignore[arg-type]
        result = await client.call("get_queue_attributes", QueueUrl=url, AttributeNames=["All"])
        return dict(result["Attributes"])

    dead = await attributes("dead")
    for label, target in [("incoming", dead), ("notify", None), ("attachments", None)]:
        found = await attributes(label)
        assert (found["FifoQueue"], found["MessageRetentionPeriod"]) == ("true", "1209600")
        assert found["DeduplicationScope"] == "messageGroup"
        policy = json.loads(found["RedrivePolicy"])
        assert int(policy["maxReceiveCount"]) == 10
        if target is not None:
            assert policy["deadLetterTargetArn"] == target["QueueArn"]
    assert client.facts["incoming"].max_receive_count == 10


def test_missing_queues_are_refused_by_name_when_creating_is_off(make_settings, sqs_settings):
    settings = make_settings(**sqs_settings, sqs_create_queues=False)
    with pytest.raises(ConfigurationError) as refused:
        check_start(settings)  # what `flowharness serve` runs first
    prefix = sqs_settings["sqs_queue_prefix"]
    for name in ("incoming", "dead", "parked", "notify-failed", "attachments-failed"):
        assert f"{prefix}-{name}.fifo" in str(refused.value)
    assert "FLOWHARNESS_SQS_CREATE_QUEUES" in str(refused.value)
    check_start(make_settings(**sqs_settings))  # creating them is the default
    check_start(settings)  # and now they are there


async def test_a_lead_goes_to_its_persons_group_with_its_lead_id_as_deduplication_id(sqs):
    await sqs.queue.enqueue(lead(1))
    client: SqsClient = sqs.queue.sqs  # type: ignore[attr-defined]
    result = await client.call(
        "receive_message",
        QueueUrl=await client.url("incoming"),
        MessageSystemAttributeNames=["All"],
        VisibilityTimeout=0,
    )
    (message,) = result["Messages"]
    attributes = message["Attributes"]
    assert attributes["MessageDeduplicationId"] == "L1"
    assert attributes["MessageGroupId"] == group_of({"phone": lead(1)["phone"]})
    assert lead(1)["phone"][1:] not in attributes["MessageGroupId"]  # no phone in group ids
    assert json.loads(json.loads(message["Body"])["lead"]) == lead(1)


class Crash(BaseException):
    """The process dying at that point."""


@respx.mock
async def test_a_crash_after_the_follow_ups_writes_again_but_tells_staff_once(sqs, monkeypatch):
    slack = respx.post(SLACK).respond(200, text="ok")
    settings = sqs.settings(notify_slack_webhook_url=SLACK)
    original = SqsWork._mark_settled

    async def dies_once(self: SqsWork, *args: Any) -> None:
        monkeypatch.setattr(SqsWork, "_mark_settled", original)
        raise Crash

    monkeypatch.setattr(SqsWork, "_mark_settled", dies_once)
    await sqs.queue.enqueue(lead(1))
    crm = ScriptedCrm()
    async with httpx.AsyncClient() as http:
        with pytest.raises(Crash):  # the staff job is sent, the lead not yet marked
            await sqs.worker(settings, crm=crm, http=http).run_once()
        await sqs.reclaimable()
        report = await sqs.worker(settings, crm=crm, http=http).run_once()
    assert (report.synced, report.notifications_sent) == (1, 1)
    assert [c["lead_id"] for c in crm.calls] == ["L1", "L1"]  # written again: an update
    assert slack.call_count == 1  # the repeated staff job had the same deduplication id
    assert await sqs.waiting() == 0


@respx.mock
async def test_a_crash_after_the_settled_mark_deletes_the_entry_unread(sqs, monkeypatch):
    slack = respx.post(SLACK).respond(200, text="ok")
    settings = sqs.settings(notify_slack_webhook_url=SLACK)
    original = SqsWork._delete
    dead: list[str] = []

    async def dies_once(self: SqsWork, label: Any, entry_id: str) -> None:
        if label == "incoming" and not dead:
            dead.append(entry_id)
            raise Crash
        await original(self, label, entry_id)

    monkeypatch.setattr(SqsWork, "_delete", dies_once)
    await sqs.queue.enqueue(lead(1))
    crm = ScriptedCrm()
    async with httpx.AsyncClient() as http:
        with pytest.raises(Crash):  # settled and marked, not deleted
            await sqs.worker(settings, crm=crm, http=http).run_once()
        await sqs.reclaimable()
        heir = sqs.worker(settings, crm=crm, http=http)
        report = await heir.run_once()
        while (await heir.run_once()).handled:
            pass
    assert report.synced + report.duplicates == 0  # deleted on receipt, never handed out
    assert [c["lead_id"] for c in crm.calls] == ["L1"]
    assert slack.call_count == 1
    assert await sqs.waiting() == 0


@pytest.mark.redis_server
async def test_leads_confirmed_while_sqs_is_silent_are_spooled_then_sent_once(
    make_settings, sqs_settings, redis_url_real, tmp_path, public_pem, app_secret
):
    with moto_process(tmp_path / "moto") as moto:
        settings = make_settings(
            **(sqs_settings | {"sqs_endpoint_url": moto.url}),
            redis_url=redis_url_real,
            sqs_timeout_seconds=0.5,
        )
        app = create_app(settings)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e")
        tokens = FlowTokens([TOKEN_SECRET])
        form = {**GOOD_FORM, "confirmed": True}
        try:
            async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
                first = await c.data_exchange(
                    "CONFIRM", form, tokens.issue("+33612345670", FLOW_ID)
                )
                assert moto.child is not None
                os.kill(moto.child.pid, signal.SIGSTOP)  # SQS stops answering
                try:
                    token = tokens.issue("+33612345671", FLOW_ID)
                    second = await c.data_exchange("CONFIRM", form, token)
                    health = (await http.get("/healthz")).json()
                finally:
                    os.kill(moto.child.pid, signal.SIGCONT)
                assert second.outcome is Outcome.OK, second.error
                assert (health["status"], health["spooled"]) == ("degraded", 1)
                assert await app.state.intake.drain() == 1
                again = await c.data_exchange("CONFIRM", form, token)  # a late double tap
            refs = [r.payload["data"]["extension_message_response"]["params"]["lead_reference"]
                    for r in (first, second, again)]  # fmt: skip
            assert refs[2] == refs[1]
            queued = [e.lead_id for e in await browse(app.state.queue, "incoming")]
            assert queued == refs[:2]  # in the order confirmed, each once
            metrics = (await http.get("/metrics")).text
            assert 'flowharness_queue_depth{stream="incoming"} 2.0' in metrics
        finally:
            await http.aclose()
            await app.state.alerter.drain()
            await app.state.http.aclose()
            await app.state.redis.aclose()
            await close_queue(app.state.queue)
            app.state.intake.spool.close()


async def test_the_endpoint_and_the_worker_share_sqs_through_open_queue(sqs):
    settings = sqs.settings()
    redis = connect(settings)
    other = open_queue(settings, redis)
    assert isinstance(other, SqsLeadQueue)
    await other.enqueue(lead(2))
    assert (await sqs.worker(crm=ScriptedCrm(), http=httpx.AsyncClient()).run_once()).synced == 1
    await close_queue(other)
    await redis.aclose()


def test_long_free_text_is_cut_to_fit_an_sqs_entry():
    fields = {"lead_id": "L1", "lead": json.dumps(lead(1)), "error": "503 " * 2000}
    body = encode(fields, 4096)
    assert len(body.encode()) <= 4096
    kept = json.loads(body)
    assert json.loads(kept["lead"]) == lead(1)  # the lead itself is never cut
    assert kept["error"].endswith("[cut]")


async def test_a_body_that_is_not_an_entry_is_dead_lettered(sqs):
    client: SqsClient = sqs.queue.sqs  # type: ignore[attr-defined]
    await client.call(
        "send_message",
        QueueUrl=await client.url("incoming"),
        MessageBody="not json at all",
        MessageGroupId="g",
        MessageDeduplicationId="d",
    )
    worker = sqs.worker(crm=ScriptedCrm(), http=httpx.AsyncClient())
    assert (await worker.run_once()).dead_lettered == 1
    (dead,) = await sqs.held("dead")
    assert (dead["reason"], dead["lead"]) == ("malformed_entry", "not json at all")
