"""A dead-lettered lead alerts operations (Slack, Teams, email; masked), once per lead,
with the ``flowharness leads replay`` command that brings it back; on every queue backend."""

# Fixtures come in by import, so test arguments "redefine" them:
# ruff: noqa: F811
from __future__ import annotations

import httpx
import pytest

from mocks.slack import SlackAdmin
from mocks.teams import TeamsAdmin
from mocks.teams import create_service as teams_service
from reference_server.exceptions import CrmPermanentError, CrmTransientError

from ._doubles import ScriptedCrm, lead
from ._mock_wiring import (  # noqa: F401  (fixtures)
    OPS_INBOX,
    OPS_TEAM,
    SALES_TEAM,
    _served,
    _served_hubspot,
    _served_salesforce,
    _served_slack,
    hubspot,
    no_sleep,
    salesforce,
    slack,
    wired_settings,
)

pytestmark = pytest.mark.anyio
TEAMS_PATH = "/webhookb2/g@t/IncomingWebhook/ops/owner"


@pytest.fixture(scope="module")
def _served_teams():
    yield from _served(teams_service)


@pytest.fixture
def teams(_served_teams):
    _served_teams.reset()
    yield _served_teams
    _served_teams.reset()


async def test_a_dead_lettered_lead_alerts_ops_once_with_the_replay_command(
    queue_backend, wired_settings, slack, teams, mock_smtp
):
    settings = wired_settings(
        **queue_backend.overrides,
        retry_max_attempts=3,
        alert_teams_webhook_url=teams.url + TEAMS_PATH,
    )
    crm = ScriptedCrm(*[CrmTransientError("HubSpot answered 503") for _ in range(3)])
    async with httpx.AsyncClient() as http:
        worker = queue_backend.worker(settings, crm=crm, http=http, sleep=no_sleep)
        await queue_backend.queue.enqueue(lead(1))
        report = await worker.run_once()
        assert report.dead_lettered == 1
        for _ in range(3):  # later rounds find nothing more to send
            await worker.run_once()

    (slack_alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    (teams_alert,) = TeamsAdmin(teams.admin).messages()
    (mail,) = mock_smtp.messages(to=OPS_INBOX)
    for text in (slack_alert.text or "", teams_alert.text or "", mail.text or ""):
        assert "L1" in text
        assert "flowharness leads replay dead --lead L1" in text
        assert "retry_budget_exhausted" in text
        assert "ana1@example.com" not in text
        assert "612345601" not in text
    assert SlackAdmin(slack.admin).messages(team=SALES_TEAM) == []


async def test_a_permanent_refusal_alerts_too(queue_backend, wired_settings, slack):
    settings = wired_settings(**queue_backend.overrides, smtp_host=None)
    crm = ScriptedCrm(CrmPermanentError("HubSpot refused to create the contact (403)"))
    async with httpx.AsyncClient() as http:
        worker = queue_backend.worker(settings, crm=crm, http=http, sleep=no_sleep)
        await queue_backend.queue.enqueue(lead(2))
        assert (await worker.run_once()).dead_lettered == 1
    (alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    assert "crm_permanent" in (alert.text or "")
    assert "flowharness leads replay dead --lead L2" in (alert.text or "")
