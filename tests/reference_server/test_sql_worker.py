"""The worker test matrix on the SQL CRM, on SQLite and on a real PostgreSQL server.

The same stories as HubSpot's (test_against_mocks, test_crm_conflicts): a lead creates
one row, a resubmission from the same phone updates it, two phones sharing an e-mail
park the second with an alert naming both rows, a locked database is retried, a refused
statement is dead-lettered with an alert, and staff are told with the row's link.
"""

# Fixtures come in by import, so test arguments "redefine" them:
# ruff: noqa: F811
from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mocks.slack import SlackAdmin
from reference_server import StreamNames, Worker
from reference_server._sql_schema import sql_engine

from ._mock_wiring import (  # noqa: F401  (fixtures)
    OPS_INBOX,
    OPS_TEAM,
    SALES_INBOX,
    SALES_TEAM,
    _served_hubspot,
    _served_salesforce,
    _served_slack,
    hubspot,
    make_stack,
    salesforce,
    slack,
    wired_settings,
)
from .conftest import FLOW_ID, GOOD_FORM, PHONE
from .test_against_mocks import submit
from .test_crm_conflicts import ANA, BEN, assert_alert_names_both, two_people_one_email

pytestmark = pytest.mark.anyio
STREAMS = StreamNames.for_prefix("leads")
TEMPLATE = "https://crm.example.com/leads/{id}"


@pytest.fixture
def sql_settings(wired_settings, sql_url):
    def make(**overrides: Any):
        values = {"crm": "sql", "sql_url": sql_url, "sql_record_url_template": TEMPLATE}
        return wired_settings(**(values | overrides))

    return make


async def rows(sql_url: str, **where: Any) -> list[dict[str, Any]]:
    engine = sql_engine(sql_url, timeout=5)
    try:
        async with engine.connect() as connection:
            leads = await connection.run_sync(
                lambda c: sa.Table("leads", sa.MetaData(), autoload_with=c)
            )
            query = sa.select(leads).order_by(leads.c.id)
            for column, value in where.items():
                query = query.where(leads.c[column] == value)
            return [dict(row._mapping) for row in await connection.execute(query)]
    finally:
        await engine.dispose()


async def test_a_lead_creates_one_row_and_a_resubmission_updates_it(
    sql_settings, make_stack, sql_url, token
):
    stack = await make_stack(sql_settings())
    first = await submit(stack.client, token, GOOD_FORM)
    assert (await stack.worker.run_once()).synced == 1
    result = stack.worker.results[first]
    assert result.created is True

    (row,) = await rows(sql_url)
    assert str(row["id"]) == result.record_id
    assert row["phone"] == PHONE
    assert row["email"] == "jean.pierre@example.com"
    assert (row["first_name"], row["last_name"]) == ("Jean-Pierre", "De la Fontaine")
    assert row["company"] == "Acme SAS"
    assert (row["source"], row["campaign"], row["flow_id"]) == ("ads", "spring", FLOW_ID)
    assert (row["interest"], row["marketing_consent"]) == ("demo", True)
    assert (row["lead_reference"], row["status"], row["revision"]) == (first, "new", 1)

    changed = {**GOOD_FORM, "email": "JP@Globex.example", "company": "Globex", "first_name": "jp"}
    second = await submit(stack.client, token, changed)
    assert (await stack.worker.run_once()).synced == 1
    assert stack.worker.results[second].created is False
    assert stack.worker.results[second].record_id == result.record_id

    (updated,) = await rows(sql_url)
    assert updated["id"] == row["id"]
    assert (updated["email"], updated["company"], updated["first_name"]) == (
        "jp@globex.example",
        "Globex",
        "Jp",
    )
    assert (updated["lead_reference"], updated["revision"]) == (second, 2)
    assert updated["created_at"] == row["created_at"]
    await stack.worker.aclose()


async def test_staff_hear_of_the_lead_with_the_link_to_its_row(
    sql_settings, make_stack, sql_url, slack, mock_smtp, token
):
    stack = await make_stack(sql_settings())
    reference = await submit(stack.client, token, GOOD_FORM)
    report = await stack.worker.run_once()
    assert (report.synced, report.notifications_sent) == (1, 2)

    (row,) = await rows(sql_url, phone=PHONE)
    link = TEMPLATE.format(id=row["id"])
    assert stack.worker.results[reference].record_url == link
    (posted,) = SlackAdmin(slack.admin).messages(team=SALES_TEAM)
    (mail,) = mock_smtp.messages(to=SALES_INBOX)
    for text in (posted.text or "", mail.text or ""):
        assert link in text
        assert reference in text
        assert "jean.pierre@example.com" not in text
        assert "612345678" not in text
    assert SlackAdmin(slack.admin).messages(team=OPS_TEAM) == []
    await stack.worker.aclose()


async def test_two_phones_sharing_an_email_park_the_second_and_update_nobody(
    sql_settings, make_stack, sql_url, slack, mock_smtp
):
    stack = await make_stack(sql_settings())
    ana, ben = await two_people_one_email(stack)

    (row,) = await rows(sql_url)
    assert (row["phone"], row["first_name"], row["lead_reference"]) == (ANA, "Ana", ana)
    assert row["revision"] == 1  # nothing was written over Ana's row
    ((_, parked),) = await stack.app.state.redis.xrange(STREAMS.parked)
    assert (parked["lead_id"], parked["reason"]) == (ben, "crm_conflict")
    assert json.loads(parked["lead"])["phone"] == BEN
    assert parked["existing_id"] == str(row["id"])
    assert parked["existing_url"] == TEMPLATE.format(id=row["id"])

    (alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    (mail,) = mock_smtp.messages(to=OPS_INBOX)
    texts = [alert.text or "", mail.text or ""]
    assert_alert_names_both(texts, str(row["id"]), ben)
    assert all(TEMPLATE.format(id=row["id"]) in text for text in texts)
    assert len(SlackAdmin(slack.admin).messages(team=SALES_TEAM)) == 1  # Ana's notice only
    await stack.worker.aclose()


@contextlib.asynccontextmanager
async def write_lock(sql_url: str) -> AsyncIterator[Any]:
    """Hold the leads table's write lock from another connection until released."""
    engine = sql_engine(sql_url, timeout=5)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()  # SQLite: BEGIN IMMEDIATE, the write lock
            if engine.dialect.name == "postgresql":
                await connection.execute(sa.text("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE"))

            async def release() -> None:
                if transaction.is_active:
                    await transaction.rollback()

            try:
                yield release
            finally:
                await release()
    finally:
        await engine.dispose()


async def test_a_locked_database_is_retried_and_the_lead_then_written(
    sql_settings, make_stack, sql_url, token
):
    settings = sql_settings(crm_timeout_seconds=0.5, retry_max_attempts=4)
    stack = await make_stack(settings)
    reference = await submit(stack.client, token, GOOD_FORM)
    waits: list[float] = []
    assert await stack.worker.crm.probe() is None  # the schema exists before the lock
    async with httpx.AsyncClient() as http, write_lock(sql_url) as release:

        async def sleep(seconds: float) -> None:  # the backoff: the lock goes meanwhile
            waits.append(seconds)
            await release()

        worker = Worker(settings, stack.app.state.redis, http=http, sleep=sleep)
        try:
            report = await worker.run_once()
        finally:
            await worker.aclose()
    assert (report.synced, report.dead_lettered) == (1, 0)
    assert len(waits) == 1  # one failed try (locked, or timed out), then through
    (row,) = await rows(sql_url)
    assert row["lead_reference"] == reference
    assert await stack.app.state.redis.xlen(STREAMS.dead) == 0
    await stack.worker.aclose()


async def test_a_refused_statement_is_dead_lettered_with_an_alert(
    sql_settings, make_stack, sql_url, slack, tmp_path: Path, token
):
    # a mapping naming a column the table lacks: no retry will fix it
    mapping = json.loads(Path("reference_server/mappings/sql.json").read_text("utf-8"))
    mapping["fields"]["interest"] = "interest_level"
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    stack = await make_stack(sql_settings(crm_mapping_file=path))
    reference = await submit(stack.client, token, GOOD_FORM)
    report = await stack.worker.run_once()
    assert (report.synced, report.dead_lettered) == (0, 1)

    ((_, dead),) = await stack.app.state.redis.xrange(STREAMS.dead)
    assert (dead["lead_id"], dead["reason"], dead["attempts"]) == (reference, "crm_permanent", "1")
    assert "interest_level" in dead["error"]
    assert await rows(sql_url) == []
    (alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    assert reference in (alert.text or "")
    assert f"flowharness leads replay dead --lead {reference}" in (alert.text or "")
    assert "interest_level" in (alert.text or "")
    await stack.worker.aclose()
