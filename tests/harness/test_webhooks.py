"""Flows webhooks: Meta's payload shapes, signatures over the raw body, retries that carry
the same bytes, redeliveries, the verification GET; the CLI and the walker option."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from harness import crypto
from harness.cli import main
from harness.flowjson import load_flow
from harness.testing import run_server
from harness.webhooks import (
    WebhookError,
    WebhookPayloadError,
    WebhookSender,
    completion_from_walk,
    completion_notification,
    flows_notification,
    health_alert,
    status_change,
)

SECRET = "webhook-secret"
FLOWS = Path(__file__).parents[1] / "data" / "flows"


@dataclass
class Receiver:
    """A team's webhook receiver: fails the first ``failures`` deliveries, dedups by id."""

    failures: int = 0
    status: int = 200
    verify_token: str = "verify-me"
    echo_any_token: bool = False
    bodies: list[bytes] = field(default_factory=list)
    signatures: list[str | None] = field(default_factory=list)
    handled: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def post(request: Request) -> PlainTextResponse:
            body = await request.body()
            self.bodies.append(body)
            signature = request.headers.get(crypto.SIGNATURE_HEADER)
            self.signatures.append(signature)
            if crypto.verify_signature(body, signature, [SECRET]) is None:
                return PlainTextResponse("bad signature", status_code=403)
            if self.failures > 0:
                self.failures -= 1
                return PlainTextResponse("try later", status_code=500)
            for entry in json.loads(body)["entry"]:
                for change in entry["changes"]:
                    for message in change["value"].get("messages", []):
                        if message["id"] not in self.handled:
                            self.handled.append(message["id"])
            return PlainTextResponse("ok", status_code=self.status)

        async def get(request: Request) -> PlainTextResponse:
            params = request.query_params
            if params.get("hub.mode") == "subscribe" and (
                self.echo_any_token or params.get("hub.verify_token") == self.verify_token
            ):
                return PlainTextResponse(params.get("hub.challenge", ""))
            return PlainTextResponse("no", status_code=403)

        return Starlette(routes=[Route("/hook", post, methods=["POST"]),
                                 Route("/hook", get, methods=["GET"])])  # fmt: skip


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def hook_url(receiver: Receiver) -> Iterator[str]:
    with run_server(receiver.app()) as url:
        yield url + "/hook"


def test_completion_is_the_nfm_reply_meta_documents() -> None:
    notification = completion_notification(
        {"flow_token": "tok", "lead_reference": "L1"}, wa_id="+33612345678", message_id="wamid.X"
    )
    assert notification["object"] == "whatsapp_business_account"
    (entry,) = notification["entry"]
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert set(value["metadata"]) == {"display_phone_number", "phone_number_id"}
    assert value["contacts"][0]["wa_id"] == "33612345678"
    (message,) = value["messages"]
    assert message["from"] == "33612345678"
    assert message["id"] == "wamid.X"
    assert message["type"] == "interactive"
    assert message["timestamp"].isdigit()
    assert set(message["context"]) == {"from", "id"}
    reply = message["interactive"]
    assert reply["type"] == "nfm_reply"
    assert reply["nfm_reply"]["name"] == "flow"
    assert reply["nfm_reply"]["body"] == "Sent"
    assert json.loads(reply["nfm_reply"]["response_json"]) == {
        "flow_token": "tok",
        "lead_reference": "L1",
    }


def test_a_completion_without_flow_token_or_a_phone_is_refused() -> None:
    with pytest.raises(WebhookPayloadError, match="flow_token"):
        completion_notification({"lead": 1})
    with pytest.raises(WebhookPayloadError, match="phone number"):
        completion_notification({"flow_token": "t"}, wa_id="ana")


def test_flows_field_values_match_metas_examples() -> None:
    change = flows_notification(status_change("66", "PUBLISHED", "DRAFT"))["entry"][0]
    assert change["changes"][0]["field"] == "flows"
    assert isinstance(change["time"], int)
    value = change["changes"][0]["value"]
    assert value == {
        "event": "FLOW_STATUS_CHANGE",
        "message": "Flow Flow changed status from DRAFT to PUBLISHED",
        "flow_id": "66",
        "old_status": "DRAFT",
        "new_status": "PUBLISHED",
    }
    assert "old_status" not in status_change("66", "DRAFT")  # the creation notice
    latency = health_alert("ENDPOINT_LATENCY", "69", threshold=7000)
    assert set(latency) == {"event", "message", "flow_id", "p90_latency", "p50_latency",
                            "requests_count", "threshold", "alert_state"}  # fmt: skip
    assert latency["p90_latency"] > 7000
    assert latency["alert_state"] == "ACTIVATED"
    errors = health_alert("endpoint_error_rate", "69", threshold=10)
    assert errors["event"] == "ENDPOINT_ERROR_RATE"
    assert "10% threshold" in errors["message"]
    assert set(errors["errors"][0]) == {"error_type", "error_rate", "error_count"}
    recovered = health_alert("ENDPOINT_AVAILABILITY", "69", alert_state="DEACTIVATED")
    assert recovered["availability"] >= 90
    assert recovered["threshold"] == 90
    with pytest.raises(WebhookPayloadError, match="5, 10, 50"):
        health_alert("CLIENT_ERROR_RATE", "69", threshold=20)
    with pytest.raises(WebhookPayloadError, match="unknown flow status"):
        status_change("66", "PAUSED")


def test_retries_carry_the_same_bytes_and_signature_until_200(
    receiver: Receiver, hook_url: str
) -> None:
    receiver.failures = 2
    sender = WebhookSender(hook_url, SECRET, retries=3, backoff=0.01)
    delivery = sender.deliver(completion_notification({"flow_token": "t"}))
    assert delivery.delivered
    assert delivery.statuses == [500, 500, 200]
    assert len(set(receiver.bodies)) == 1
    assert len(receiver.bodies) == 3
    assert receiver.signatures == [crypto.sign_body(receiver.bodies[0], SECRET)] * 3
    assert [a.at for a in delivery.attempts] == sorted(a.at for a in delivery.attempts)
    assert len(receiver.handled) == 1


def test_redeliveries_after_a_200_test_the_receivers_dedup(
    receiver: Receiver, hook_url: str
) -> None:
    delivery = WebhookSender(hook_url, SECRET, backoff=0.01).deliver(
        completion_notification({"flow_token": "t"}), duplicates=2
    )
    assert delivery.statuses == [200, 200, 200]
    assert [a.duplicate for a in delivery.attempts] == [False, True, True]
    assert len(receiver.bodies) == 3
    assert len(receiver.handled) == 1


def test_gives_up_after_the_retries_and_says_so(receiver: Receiver, hook_url: str) -> None:
    receiver.status = 204  # not 200: Meta counts it as a failure
    delivery = WebhookSender(hook_url, SECRET, retries=2, backoff=0.01).deliver(
        flows_notification(health_alert("ENDPOINT_LATENCY", "1"))
    )
    assert not delivery.delivered
    assert delivery.statuses == [204, 204, 204]


def test_no_answer_is_retried_and_reported() -> None:
    sender = WebhookSender("http://127.0.0.1:9/hook", SECRET, retries=1, backoff=0.01, timeout=2)
    delivery = sender.deliver(completion_notification({"flow_token": "t"}))
    assert delivery.statuses == [None, None]
    assert all(a.error for a in delivery.attempts)
    assert not delivery.delivered


def test_bad_and_missing_signatures_are_sent_as_asked(receiver: Receiver, hook_url: str) -> None:
    for mode in ("bad", "missing"):
        delivery = WebhookSender(hook_url, SECRET, retries=0, signature=mode).deliver(
            completion_notification({"flow_token": "t"})
        )
        assert delivery.statuses == [403]
    assert receiver.signatures[-1] is None
    with pytest.raises(WebhookError, match="app secret"):
        WebhookSender(hook_url, None)


def test_verification_echoes_only_for_the_right_token(receiver: Receiver, hook_url: str) -> None:
    result = WebhookSender(hook_url, None, signature="missing").verify("verify-me", challenge="42")
    assert result.passed
    assert result.attempt.body == "42"
    assert result.wrong_token.status == 403
    receiver.echo_any_token = True
    sloppy = WebhookSender(hook_url, None, signature="missing").verify("verify-me")
    assert sloppy.echoed
    assert not sloppy.refused_wrong_token
    assert not sloppy.passed


@pytest.mark.anyio
async def test_async_delivery_in_process(receiver: Receiver) -> None:
    receiver.failures = 1
    transport = httpx.ASGITransport(app=receiver.app())
    sender = WebhookSender("http://receiver/hook", SECRET, backoff=0.01, transport=transport)
    delivery = await sender.adeliver(completion_notification({"flow_token": "t"}))
    assert delivery.statuses == [500, 200]
    assert (await sender.averify("verify-me")).passed
    with pytest.raises(WebhookError, match="async transport"):
        sender.deliver(completion_notification({"flow_token": "t"}))


def test_completion_from_a_walk_reports_media_as_whatsapp_does(
    private_key: Any, public_pem: bytes, app_secret: str
) -> None:
    from harness.client import FlowClient
    from harness.stub import create_stub_app
    from harness.walker import walk

    flow = load_flow(FLOWS / "v4.0-photo-picker.json")
    app = create_stub_app(flow, private_key, app_secret)
    with FlowClient(app, public_key=public_pem, app_secret=app_secret) as client:
        transcript = walk(flow, client, seed=4, init=False)
    assert transcript.completed, transcript.format()
    notification = completion_from_walk(transcript, message_id="wamid.W")
    message = notification["entry"][0]["changes"][0]["value"]["messages"][0]
    response = json.loads(message["interactive"]["nfm_reply"]["response_json"])
    assert response["flow_token"] == transcript.flow_token
    media = [v for v in response.values() if isinstance(v, list)]
    if transcript.ending == "complete":  # WhatsApp reports pickers as {file_name, ...}
        assert media
        assert all(set(f) == {"file_name", "mime_type", "sha256", "id"} for f in media[0])
    else:  # SUCCESS params pass through as the endpoint returned them
        assert response == {**transcript.completion, "flow_token": transcript.flow_token}


def test_cli_send_reports_every_attempt(receiver: Receiver, hook_url: str) -> None:
    receiver.failures = 1
    result = CliRunner().invoke(
        main,
        [
            "webhook",
            "send",
            hook_url,
            "--response-json",
            '{"lead_reference": "L9"}',
            "--flow-token",
            "tok",
            "--backoff",
            "0.01",
            "--duplicates",
            "1",
            "--json",
        ],
        env={"FLOWHARNESS_APP_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["statuses"] == [500, 200, 200]
    reply = report["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]
    assert json.loads(reply["nfm_reply"]["response_json"]) == {
        "lead_reference": "L9",
        "flow_token": "tok",
    }


def test_cli_send_alert_and_exit_code_on_failure(receiver: Receiver, hook_url: str) -> None:
    receiver.failures = 5
    result = CliRunner().invoke(
        main,
        [
            "webhook",
            "send",
            hook_url,
            "--event",
            "endpoint_latency",
            "--threshold",
            "1000",
            "--retries",
            "1",
            "--backoff",
            "0.01",
        ],
        env={"FLOWHARNESS_APP_SECRET": SECRET},
    )
    assert result.exit_code == 1
    assert "attempt 2" in result.output
    assert "NOT delivered" in result.output
    assert json.loads(receiver.bodies[0])["entry"][0]["changes"][0]["value"]["threshold"] == 1000


def test_cli_send_without_secret_says_what_to_set(hook_url: str) -> None:
    result = CliRunner().invoke(
        main, ["webhook", "send", hook_url], env={"FLOWHARNESS_APP_SECRET": ""}
    )
    assert result.exit_code == 2
    assert "FLOWHARNESS_APP_SECRET" in result.output


def test_cli_verify(receiver: Receiver, hook_url: str) -> None:
    good = CliRunner().invoke(main, ["webhook", "verify", hook_url, "--verify-token", "verify-me"])
    assert good.exit_code == 0, good.output
    bad = CliRunner().invoke(main, ["webhook", "verify", hook_url, "--verify-token", "nope"])
    assert bad.exit_code == 1
    assert "FAILED" in bad.output


def test_walk_webhook_sends_each_completed_journey(
    receiver: Receiver, hook_url: str, tmp_path: Path, private_key: Any, public_pem: bytes
) -> None:
    from harness.stub import create_stub_app

    lead = Path(__file__).parents[2] / "reference_server" / "flows" / "lead_capture.json"
    key = tmp_path / "public.pem"
    key.write_bytes(public_pem)
    with run_server(create_stub_app(load_flow(lead), private_key, SECRET)) as url:
        result = CliRunner().invoke(
            main,
            [
                "walk",
                str(lead),
                "--endpoint",
                url + "/",
                "--public-key",
                str(key),
                "--journeys",
                "2",
                "--webhook",
                hook_url,
            ],
            env={"FLOWHARNESS_APP_SECRET": SECRET},
        )
    assert result.exit_code == 0, result.output
    assert len(receiver.handled) == 2
    tokens = {json.loads(b)["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]
              ["nfm_reply"]["response_json"] for b in receiver.bodies}  # fmt: skip
    assert all('"flow_token": "flowharness-walk"' in t for t in tokens)
