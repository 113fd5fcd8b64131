"""Scenarios with ``setup.crm: sql``: the catalog's pass on SQLite (a fresh file per
scenario, as the embedded target makes) and on a real PostgreSQL server (a fresh
database each, given as the target's ``sql_url``); ``sql`` checks read rows read-only
and fail clearly; the remote target reads the database it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenarios import EmbeddedTarget, KeySet, arun_scenario, load_scenario
from harness.scenarios._remote import RemoteTarget
from harness.scenarios._sql import read_rows
from harness.scenarios.exceptions import ScenarioRuntimeError
from reference_server import load_mapping
from reference_server._sql import SqlAdapter

from .conftest import CATALOG

pytestmark = pytest.mark.anyio
SQL_SCENARIOS = sorted(p for p in CATALOG.glob("*.yaml") if load_scenario(p).setup.crm == "sql")


def test_the_catalog_has_sql_scenarios() -> None:
    assert {p.stem for p in SQL_SCENARIOS} >= {"happy_path_sql", "sql_email_conflict"}


@pytest.mark.parametrize("path", SQL_SCENARIOS, ids=[p.stem for p in SQL_SCENARIOS])
async def test_sql_scenarios_pass_on_sqlite_and_postgresql(
    path: Path, key_set: KeySet, sql_url: str
) -> None:
    target = EmbeddedTarget(keys=key_set, settings={"sql_url": sql_url})
    result = await arun_scenario(load_scenario(path), target)
    assert result.status == "passed", result.report()


async def written(sql_url: str) -> SqlAdapter:
    adapter = SqlAdapter(sql_url, mapping=load_mapping("sql"))
    await adapter.upsert({"lead_id": "r1", "phone": "+33611111111", "email": "a@example.com"})
    await adapter.upsert({"lead_id": "r2", "phone": "+33622222222", "email": "b@example.com"})
    return adapter


async def test_rows_are_read_by_column_and_the_connection_cannot_write(sql_url: str) -> None:
    adapter = await written(sql_url)
    try:
        (row,) = await read_rows(sql_url, "leads", {"phone": "+33622222222"})
        assert (row["lead_reference"], row["email"], row["revision"]) == ("r2", "b@example.com", 1)
        assert isinstance(row["created_at"], str)  # as JSON has it, for matchers
        assert [r["phone"] for r in await read_rows(sql_url, "leads")] == [
            "+33611111111",
            "+33622222222",
        ]
        with pytest.raises(ScenarioRuntimeError, match="no table 'lead'"):
            await read_rows(sql_url, "lead")
        with pytest.raises(ScenarioRuntimeError, match="no column telephone"):
            await read_rows(sql_url, "leads", {"telephone": "x"})
        # a "where" value is a bound parameter, never SQL
        assert await read_rows(sql_url, "leads", {"phone": "x' OR '1'='1"}) == []
    finally:
        await adapter.aclose()


async def test_the_reading_connection_is_read_only(sql_url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from harness.scenarios._sql import readonly_url

    adapter = await written(sql_url)
    engine = create_async_engine(readonly_url(sql_url))
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(sa.text("SET TRANSACTION READ ONLY"))
            with pytest.raises(sa.exc.DBAPIError, match=r"(?i)read.only|readonly"):
                await connection.execute(sa.text("DELETE FROM leads"))
    finally:
        await engine.dispose()
        await adapter.aclose()
    assert len(await read_rows(sql_url, "leads")) == 2


async def test_a_missing_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioRuntimeError, match="no SQLite database at"):
        await read_rows(str(tmp_path / "nothing.sqlite3"), "leads")


async def test_the_remote_target_reads_the_database_it_is_given(
    tmp_path: Path, key_set: KeySet
) -> None:
    sql_url = str(tmp_path / "leads.sqlite3")
    adapter = await written(sql_url)
    await adapter.aclose()
    target = RemoteTarget(
        "http://127.0.0.1:9",
        public_key=key_set.public("current"),
        app_secret="s",
        sql_url=sql_url,
        sql_record_url_template="https://crm.example.com/leads/{id}",
    )
    environment = target.environment(load_scenario(CATALOG / "happy_path_sql.yaml"))
    contacts = await environment.contacts()
    assert [c["url"] for c in contacts] == [
        f"https://crm.example.com/leads/{c['id']}" for c in contacts
    ]
    assert len(await environment.sql_rows("leads", {"email": "a@example.com"})) == 1
    with pytest.raises(ScenarioRuntimeError, match="not a mock"):
        environment.mock("crm")
