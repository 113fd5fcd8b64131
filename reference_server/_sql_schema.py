"""The SQL CRM's database: its engine, and the versioned schema the worker migrates to.

``FLOWHARNESS_SQL_URL`` is a SQLite file path (the embedded default: WAL mode, every
commit synced, one writer at a time waiting up to the CRM timeout for the others) or a
PostgreSQL URL (``postgresql://`` through asyncpg, ``postgresql+psycopg://`` through
psycopg 3; both need ``pip install 'flowharness[postgres]'``).

Migrations are numbered; ``schema_version`` holds one row per migration applied. An
upgrade applies every pending one in a single transaction (both databases have
transactional DDL), holding a lock so that two workers starting together apply each
once: an advisory lock on PostgreSQL, the write lock (``BEGIN IMMEDIATE``) on SQLite.
A migration is frozen once released: change the schema with a new one, never by
editing an old one.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reference_server.exceptions import ConfigurationError

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "Migration",
    "current_version",
    "database_url",
    "describe_url",
    "sql_engine",
    "upgrade",
]

_URL_SETTING = "FLOWHARNESS_SQL_URL"
_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_INSTALL = {
    "asyncpg": "pip install 'flowharness[postgres]'",
    "psycopg": "pip install 'psycopg[binary]>=3.1'",
}
_LOCK_KEY = 0x666C6F77  # "flow": the PostgreSQL advisory lock held while migrating


def _require(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        fix = _INSTALL.get(module, "reinstall flowharness (it is one of its dependencies)")
        raise ConfigurationError(
            f"{what} needs the {module} package, which is not installed: {fix}"
        )


def database_url(value: str) -> Any:
    """``value`` as a SQLAlchemy async URL: a bare path is a SQLite file (made absolute)."""
    _require("sqlalchemy", "the SQL CRM")
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = value.strip()
    if not text:
        raise ConfigurationError(f"{_URL_SETTING} is empty: give a SQLite file path or a URL")
    if "://" not in text:
        return make_url("sqlite+aiosqlite://").set(database=str(Path(text).expanduser().resolve()))
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise ConfigurationError(f"{_URL_SETTING} is not a database URL ({exc})") from None
    backend, _, driver = url.drivername.partition("+")
    backend = "postgresql" if backend == "postgres" else backend
    if backend not in _DRIVERS:
        raise ConfigurationError(
            f"{_URL_SETTING}: the SQL CRM speaks SQLite (a file path) or PostgreSQL "
            f"(postgresql://...), not {backend!r}"
        )
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise ConfigurationError(
            f"{_URL_SETTING}: an in-memory SQLite database lives and dies with one "
            "connection; give a file path"
        )
    driver = driver or _DRIVERS[backend]
    if backend == "postgresql" and driver not in ("asyncpg", "psycopg"):
        raise ConfigurationError(
            f"{_URL_SETTING}: postgresql+{driver} is not an asyncio driver; use "
            "postgresql:// (asyncpg) or postgresql+psycopg:// (psycopg 3)"
        )
    return url.set(drivername=f"{backend}+{driver}")


def describe_url(value: str) -> str:
    """The database for messages and logs: the password hidden."""
    try:
        url = database_url(value)
    except ConfigurationError:
        return "(an unusable URL)"
    return str(url.render_as_string(hide_password=True))


def sql_engine(value: str, *, timeout: float = 30.0) -> Any:
    """An ``AsyncEngine`` on ``value``; nothing connects until it is used.

    ``timeout`` bounds a statement (PostgreSQL ``statement_timeout``), a connection
    attempt, and a SQLite writer's wait for the write lock."""
    url = database_url(value)
    backend, _, driver = url.drivername.partition("+")
    _require(driver, "the SQL CRM on " + ("SQLite" if backend == "sqlite" else "PostgreSQL"))
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine

    if backend == "sqlite":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": timeout})
        event.listen(engine.sync_engine, "connect", _sqlite_connected)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    milliseconds = str(max(1, int(timeout * 1000)))
    if driver == "asyncpg":
        connect_args: dict[str, Any] = {
            "timeout": timeout,
            "server_settings": {"statement_timeout": milliseconds},
        }
    else:
        connect_args = {
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c statement_timeout={milliseconds}",
        }
    return create_async_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    # transactions are begun by _sqlite_begin, not by the driver's implicit BEGIN
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # take the write lock at once: a deferred transaction that reads and then writes
    # fails with "database is locked" without waiting when another writer got there first
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# -- migrations -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Any], None]
    """Runs on a synchronous SQLAlchemy ``Connection`` inside the upgrade's transaction."""


def _v1_leads(connection: Any) -> None:
    import sqlalchemy as sa

    metadata = sa.MetaData()
    row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: the rowid
    stamp = sa.DateTime(timezone=True)
    sa.Table(
        "leads",
        metadata,
        sa.Column("id", row_id, primary_key=True, autoincrement=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("first_name", sa.Text),
        sa.Column("last_name", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("contact_phone", sa.Text),
        sa.Column("company", sa.Text),
        sa.Column("interest", sa.Text),
        sa.Column("marketing_consent", sa.Boolean),
        sa.Column("source", sa.Text),
        sa.Column("campaign", sa.Text),
        sa.Column("flow_id", sa.Text),
        sa.Column("lead_reference", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default="new"),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.UniqueConstraint("phone", name="uq_leads_phone"),
        sa.UniqueConstraint("email", name="uq_leads_email"),
    )
    sa.Table(
        "lead_attachments",
        metadata,
        sa.Column("id", row_id, primary_key=True, autoincrement=True),
        sa.Column(
            "lead_id",
            row_id,
            sa.ForeignKey("leads.id", ondelete="CASCADE", name="fk_lead_attachments_lead"),
            nullable=False,
            index=True,
        ),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("mime_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", stamp, nullable=False),
    )
    metadata.create_all(connection)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "leads keyed by phone (unique e-mail) and their attachments", _v1_leads),
)
LATEST_VERSION = MIGRATIONS[-1].version


def _version_table(metadata: Any) -> Any:
    import sqlalchemy as sa

    return sa.Table(
        "schema_version",
        metadata,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )


def _version_of(connection: Any) -> int:
    import sqlalchemy as sa

    if not sa.inspect(connection).has_table("schema_version"):
        return 0
    table = _version_table(sa.MetaData())
    return int(connection.execute(sa.select(sa.func.max(table.c.version))).scalar() or 0)


def _upgrade(connection: Any) -> list[Migration]:
    import sqlalchemy as sa

    table = _version_table(sa.MetaData())
    table.create(connection, checkfirst=True)
    version = _version_of(connection)
    pending = [m for m in MIGRATIONS if m.version > version]
    for migration in pending:
        migration.apply(connection)
        connection.execute(
            table.insert().values(
                version=migration.version,
                description=migration.description,
                applied_at=datetime.now(UTC),
            )
        )
    return pending


async def current_version(engine: Any) -> int:
    """The schema version of the database (0: never migrated)."""
    async with engine.connect() as connection:
        return int(await connection.run_sync(_version_of))


async def upgrade(engine: Any) -> list[Migration]:
    """Apply the pending migrations, all or none; the ones applied (none: up to date)."""
    from sqlalchemy import text

    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        applied: list[Migration] = await connection.run_sync(_upgrade)
    return applied
