"""The SQL CRM adapter and its schema, on SQLite and a real PostgreSQL server: versioned
migrations, upserts by phone, defaults on create only, attachments, settings errors."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from harness.cli import main as cli
from reference_server import load_mapping
from reference_server._crm import Media
from reference_server._sql import SqlAdapter, classify_error
from reference_server._sql_schema import (
    LATEST_VERSION,
    current_version,
    database_url,
    sql_engine,
    upgrade,
)
from reference_server.exceptions import (
    ConfigurationError,
    CrmPermanentError,
    CrmTransientError,
    CrmValidationError,
)
from reference_server.worker import make_crm

pytestmark = pytest.mark.anyio
ANA = {"lead_id": "r1", "phone": "+33611111111", "first_name": "Ana", "email": "ana@example.com",
       "company": "Acme", "consent": True}  # fmt: skip


@pytest.fixture
async def adapter(sql_url: str):
    crm = SqlAdapter(sql_url, mapping=load_mapping("sql"), record_url_template="/leads/{id}")
    yield crm
    await crm.aclose()


async def query(adapter: SqlAdapter, sql: str) -> list[Any]:
    async with adapter.engine.connect() as connection:
        return list(await connection.execute(sa.text(sql)))


async def test_the_schema_is_versioned_and_upgrades_once(sql_url: str):
    engines = [sql_engine(sql_url), sql_engine(sql_url)]
    try:
        assert await current_version(engines[0]) == 0
        # two workers starting at once: the lock lets one apply it, the other finds it done
        first, second = await asyncio.gather(*(upgrade(e) for e in engines))
        assert sorted([len(first), len(second)]) == [0, 1]
        assert await current_version(engines[1]) == LATEST_VERSION
        assert await upgrade(engines[0]) == []
        async with engines[0].connect() as connection:
            versions = list(await connection.execute(sa.text("SELECT version FROM schema_version")))
        assert versions == [(1,)]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_sqlite_runs_in_wal_mode(tmp_path: Path):
    crm = SqlAdapter(str(tmp_path / "leads.sqlite3"), mapping=load_mapping("sql"))
    try:
        assert await crm.probe() is None
        assert await query(crm, "PRAGMA journal_mode") == [("wal",)]
    finally:
        await crm.aclose()


async def test_an_update_keeps_what_the_lead_left_empty_and_the_status_staff_set(adapter):
    created = await adapter.upsert(ANA)
    assert (created.created, created.record_url) == (True, f"/leads/{created.record_id}")
    await query(adapter, "SELECT 1")  # the schema exists
    async with adapter.engine.begin() as connection:
        await connection.execute(sa.text("UPDATE leads SET status = 'qualified'"))
    again = await adapter.upsert({"lead_id": "r2", "phone": ANA["phone"], "first_name": "Ana",
                                  "company": "", "consent": False})  # fmt: skip
    assert (again.record_id, again.created) == (created.record_id, False)
    ((company, email, status, consent, reference),) = await query(
        adapter, "SELECT company, email, status, marketing_consent, lead_reference FROM leads"
    )
    assert (company, email, status, reference) == ("Acme", "ana@example.com", "qualified", "r2")
    assert not consent


async def test_the_same_persons_email_resubmitted_is_an_update_not_a_conflict(adapter):
    first = await adapter.upsert(ANA)
    second = await adapter.upsert({**ANA, "lead_id": "r2"})
    assert (second.record_id, second.created) == (first.record_id, False)


async def test_photos_are_stored_with_the_row(adapter):
    await adapter.upsert(ANA)
    stored = await adapter.attach(ANA["phone"], Media(b"\xff\xd8jpeg", "image/jpeg", "p.jpg"), "n")
    ((lead_id, name, size, content),) = await query(
        adapter, "SELECT lead_id, file_name, size, content FROM lead_attachments"
    )
    assert (name, size, bytes(content)) == ("p.jpg", 6, b"\xff\xd8jpeg")
    assert stored
    assert lead_id
    with pytest.raises(CrmTransientError, match="no lead with this phone"):
        await adapter.attach("+33699999999", Media(b"x", "image/png", "q.png"), "n")


async def test_without_migrating_an_old_schema_is_refused_with_the_command(sql_url: str):
    crm = SqlAdapter(sql_url, mapping=load_mapping("sql"), migrate=False)
    try:
        assert "flowharness db upgrade" in (await crm.probe() or "")
        with pytest.raises(CrmPermanentError, match="version 0"):
            await crm.upsert(ANA)
    finally:
        await crm.aclose()


@pytest.mark.postgres
async def test_a_value_postgresql_refuses_parks_the_lead(postgres):
    crm = SqlAdapter(postgres.create_database("toolong"), mapping=load_mapping("sql"))
    try:
        with pytest.raises(CrmValidationError, match="too long"):
            await crm.upsert({"lead_id": "r", "phone": "+" + "1" * 40})
    finally:
        await crm.aclose()


async def test_an_unreachable_server_is_transient():
    crm = SqlAdapter("postgresql://u:secret@127.0.0.1:9/db", mapping=load_mapping("sql"), timeout=2)
    try:
        with pytest.raises(CrmTransientError) as caught:
            await crm.upsert(ANA)
        assert "secret" not in str(caught.value)
        assert "could not open the database" in str(caught.value)
    finally:
        await crm.aclose()


def test_classification_follows_the_database_codes():
    class Orig(Exception):
        def __init__(self, **attributes: Any):
            super().__init__("x")
            self.__dict__.update(attributes)

    def error(**attributes: Any) -> sa.exc.DBAPIError:
        return sa.exc.DBAPIError("stmt", {}, Orig(**attributes))

    assert classify_error(error(sqlite_errorcode=5)) == "transient"  # BUSY
    assert classify_error(error(sqlite_errorcode=2067)) == "unique"
    assert classify_error(error(sqlite_errorcode=1299)) == "invalid"  # NOT NULL
    assert classify_error(error(sqlite_errorcode=1)) == "permanent"  # no such column
    assert classify_error(error(sqlite_errorcode=8)) == "permanent"  # READONLY
    assert classify_error(error(sqlstate="23505")) == "unique"
    assert classify_error(error(sqlstate="22001")) == "invalid"
    assert classify_error(error(sqlstate="57014")) == "transient"  # statement timeout
    assert classify_error(error(sqlstate="08006")) == "transient"
    assert classify_error(error(pgcode="42501")) == "permanent"  # no privilege
    assert classify_error(ConnectionRefusedError()) == "transient"


def test_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = database_url(str(tmp_path / "x.sqlite3"))
    assert (path.drivername, path.database) == ("sqlite+aiosqlite", str(tmp_path / "x.sqlite3"))
    assert database_url("postgres://u@h/db").drivername == "postgresql+asyncpg"
    assert database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    for bad, why in [
        ("mysql://u@h/db", "SQLite .* or PostgreSQL"),
        ("sqlite://", "in-memory"),
        ("postgresql+psycopg2://u@h/db", "not an asyncio driver"),
        ("", "empty"),
    ]:
        with pytest.raises(ConfigurationError, match=why):
            database_url(bad)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "asyncpg" else real(name)
    )
    with pytest.raises(ConfigurationError, match=r"pip install 'flowharness\[postgres\]'"):
        sql_engine("postgresql://u@h/db")


async def test_the_worker_builds_it_from_settings_and_checks_the_template(make_settings, tmp_path):
    async with httpx.AsyncClient() as http:
        crm = make_crm(make_settings(crm="sql", sql_url=str(tmp_path / "l.sqlite3")), http)
        assert isinstance(crm, SqlAdapter)
        await crm.aclose()
        bad = make_settings(crm="sql", sql_record_url_template="https://crm/{phone}")
        with pytest.raises(ConfigurationError, match="SQL_RECORD_URL_TEMPLATE may only hold"):
            make_crm(bad, http)


def test_db_upgrade_and_status_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWHARNESS_SQL_URL", "crm.sqlite3")
    runner = CliRunner()
    status = runner.invoke(cli, ["db", "status"])
    assert status.exit_code == 0, status.output
    assert "schema version 0" in status.output
    assert "run `flowharness db upgrade`" in status.output
    done = runner.invoke(cli, ["db", "upgrade"])
    assert done.exit_code == 0, done.output
    assert "applied migration 1" in done.output
    again = runner.invoke(cli, ["db", "upgrade"])
    assert "already at version 1" in again.output
    monkeypatch.setenv("FLOWHARNESS_SQL_URL", "postgresql://u:pw-secret@127.0.0.1:9/x")
    down = runner.invoke(cli, ["db", "upgrade"])
    assert down.exit_code == 1
    assert "is it running and reachable?" in down.output
    assert "pw-secret" not in down.output
    assert "Traceback" not in down.output
