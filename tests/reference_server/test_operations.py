"""Operations: health, metrics, masked JSON logs, sending flows, settings, the CLI."""

from __future__ import annotations

import json
import logging
import typing

import httpx
import pytest
import respx
from click.testing import CliRunner

from harness.cli import main
from reference_server import (
    FlowTokens,
    JsonFormatter,
    MaskingFilter,
    Settings,
    configure_logging,
    create_app,
    mask,
)
from reference_server.exceptions import ConfigurationError

from .conftest import GOOD_FORM, TOKEN_SECRET

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as client:
        yield client


async def test_healthz(http):
    response = await http.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_metrics_count_requests_by_action_and_queue_depth(app, client, token, http):
    await client.ping()
    await client.data_exchange("CONFIRM", {**GOOD_FORM, "confirmed": True}, token)
    text = (await http.get("/metrics")).text
    assert 'flowharness_request_seconds_count{action="ping"} 1.0' in text
    assert 'flowharness_request_seconds_count{action="data_exchange"} 1.0' in text
    assert 'flowharness_queue_depth{stream="incoming"} 1.0' in text
    assert 'flowharness_queue_depth{stream="dead"} 0.0' in text
    assert 'flowharness_responses_total{status="200"} 2.0' in text


async def test_metrics_report_every_stream_at_scrape_time(app, http):
    queue = app.state.queue
    streams = queue.streams
    held = {
        streams.notify: 1,
        streams.attachments: 2,
        streams.dead: 3,
        streams.parked: 4,
        streams.notify_failed: 5,
        streams.attachments_failed: 6,
    }
    for stream, count in held.items():
        for _ in range(count):
            await queue.add(stream, {"lead_id": "L1"})
    text = (await http.get("/metrics")).text  # no worker ran: the scrape reads Redis
    depths = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("flowharness_queue_depth{")
    }
    assert depths == {
        "incoming": 0,
        "notify": 1,
        "attachments": 2,
        "dead": 3,
        "parked": 4,
        "notify_failed": 5,
        "attachments_failed": 6,
    }


def test_each_app_has_its_own_registry(settings):
    first, second = create_app(settings), create_app(settings)
    assert first.state.metrics.registry is not second.state.metrics.registry


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("lead from +33 6 12 34 56 78 saved", "12 34 56"),
        ("phone=+33612345678", "+33612345678"),
        ("mail Jean.Dupont@example.com now", "Dupont@example.com"),
    ],
)
def test_mask_hides_phones_and_emails(text, hidden):
    masked = mask(text)
    assert hidden not in masked
    assert "***" in masked


def test_json_logs_are_masked_in_message_args_and_extras():
    args = ("jean@example.com", "+14155552671")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "lead %s from %s", args, None)
    record.lead = {"email": "ana@example.org", "phone": "+5511987654321", "count": 3}
    assert MaskingFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    dumped = json.dumps(line)
    for secret in ("jean@example.com", "4155552671", "ana@example.org", "987654321"):
        assert secret not in dumped
    assert line["lead"]["count"] == 3
    assert line["level"] == "INFO"


@pytest.fixture
def server_logger() -> typing.Iterator[logging.Logger]:
    """The ``reference_server`` logger, put back as it was after ``configure_logging``."""
    logger = logging.getLogger("reference_server")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    try:
        yield logger
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


@pytest.mark.parametrize("json_lines", [True, False])
def test_configured_logs_mask_tracebacks_too(capsys, server_logger, json_lines):
    configure_logging("INFO", json_lines=json_lines)
    try:
        raise ValueError("cannot save jean@example.com, +14155552671")
    except ValueError:
        logging.getLogger("reference_server.test").exception("lead not saved")
    err = capsys.readouterr().err
    assert "lead not saved" in err
    assert "ValueError" in err
    assert "jean@example.com" not in err
    assert "4155552671" not in err


@respx.mock
async def test_send_flow_issues_a_token_and_calls_the_cloud_api(make_settings):
    app = create_app(
        make_settings(
            admin_token="admin-1", cloud_api_url="https://graph.test", cloud_api_token="cloud-1",
            phone_number_id="PNID", default_flow_id="FLOW9",
        )
    )  # fmt: skip
    cloud = respx.post("https://graph.test/v21.0/PNID/messages").respond(
        json={"messaging_product": "whatsapp", "messages": [{"id": "wamid.X"}]}
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as http:
        denied = await http.post("/flows/send", json={"phone": "+33612345678"})
        wrong = await http.post(
            "/flows/send", json={"phone": "+33612345678"}, headers={"Authorization": "Bearer no"}
        )
        sent = await http.post(
            "/flows/send",
            json={"phone": "+33612345678", "campaign": "spring"},
            headers={"Authorization": "Bearer admin-1"},
        )
        bad_phone = await http.post(
            "/flows/send", json={"phone": "nope"}, headers={"Authorization": "Bearer admin-1"}
        )
    assert (denied.status_code, wrong.status_code, bad_phone.status_code) == (401, 401, 422)
    assert sent.status_code == 200
    assert sent.json()["message_id"] == "wamid.X"
    claims = FlowTokens([TOKEN_SECRET]).verify(sent.json()["flow_token"])
    assert (claims.phone, claims.flow_id, claims.campaign) == ("+33612345678", "FLOW9", "spring")
    message = json.loads(cloud.calls.last.request.content)
    assert cloud.calls.last.request.headers["authorization"] == "Bearer cloud-1"
    assert message["to"] == "33612345678"
    params = message["interactive"]["action"]["parameters"]
    assert params["flow_token"] == sent.json()["flow_token"]
    assert (params["flow_id"], params["flow_message_version"]) == ("FLOW9", "3")
    assert message["interactive"]["type"] == "flow"


async def test_send_flow_is_off_without_an_admin_token(http):
    response = await http.post("/flows/send", json={"phone": "+33612345678"})
    assert response.status_code == 503


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("FLOWHARNESS_APP_SECRETS", '["new", "old"]')
    monkeypatch.setenv("REDIS_URL", "redis://localhost:6390/0")
    monkeypatch.setenv("FLOWHARNESS_CRM", "salesforce")
    settings = Settings()
    assert settings.app_secret_values() == ["new", "old"]
    assert settings.redis_url == "redis://localhost:6390/0"
    assert settings.crm == "salesforce"
    assert "new" not in repr(settings)  # secrets stay hidden


def test_missing_keys_are_a_clear_configuration_error():
    with pytest.raises(ConfigurationError, match="FLOWHARNESS_PRIVATE_KEY_FILES"):
        create_app(Settings(app_secrets=["s"], flow_token_secrets=["t"]))


def test_cli_token_issue_and_verify(monkeypatch):
    monkeypatch.setenv("FLOWHARNESS_FLOW_TOKEN_SECRETS", json.dumps([TOKEN_SECRET]))
    runner = CliRunner()
    issued = runner.invoke(main, ["token", "issue", "--phone", "+14155552671", "--flow-id", "77"])
    assert issued.exit_code == 0, issued.output
    value = issued.output.strip()
    assert FlowTokens([TOKEN_SECRET]).verify(value).flow_id == "77"
    checked = runner.invoke(main, ["token", "verify", value])
    assert json.loads(checked.output)["phone"] == "+14155552671"
    forged = runner.invoke(main, ["token", "verify", value[:-2] + "xx"])
    assert forged.exit_code == 1
    assert "not valid" in forged.output


def test_cli_token_issue_refuses_a_bad_phone(monkeypatch):
    monkeypatch.setenv("FLOWHARNESS_FLOW_TOKEN_SECRETS", json.dumps([TOKEN_SECRET]))
    result = CliRunner().invoke(main, ["token", "issue", "--phone", "call me", "--flow-id", "1"])
    assert result.exit_code == 1
    assert "not a phone number" in result.output


def test_env_example_documents_every_setting():
    from pathlib import Path

    text = (Path(__file__).parents[2] / ".env.example").read_text()
    undocumented = [f for f in Settings.model_fields if f"FLOWHARNESS_{f.upper()}=" not in text]
    assert undocumented == []


def test_public_namespace_exports_what_it_claims():
    import reference_server

    assert sorted(reference_server.__all__) == reference_server.__all__
    for name in reference_server.__all__:
        value = getattr(reference_server, name)
        # CONSUMER_GROUP is a plain constant, ReplaySource a Literal type
        if not isinstance(value, str) and typing.get_origin(value) is not typing.Literal:
            assert value.__module__.startswith("reference_server"), name
