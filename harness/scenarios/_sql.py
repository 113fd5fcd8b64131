"""Reading a SQL database for scenario checks: one table's rows, read-only.

A ``sql`` check names a table and an optional ``where`` (column equals value); the
table and columns are looked up in the database itself, so a name is never pasted into
SQL, and values travel as bound parameters. The connection cannot write: SQLite opens
the file read-only, PostgreSQL runs a ``READ ONLY`` transaction. URLs as the reference
server takes them: a SQLite file path, ``sqlite:///...``, or ``postgresql://...``
(asyncpg; ``postgresql+psycopg://`` for psycopg 3).
"""

from __future__ import annotations

import base64
import datetime
import decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness.scenarios.exceptions import ScenarioRuntimeError, TargetError

__all__ = ["read_rows", "readonly_url"]

MAX_ROWS = 10_000


def readonly_url(value: str) -> Any:
    """``value`` as a SQLAlchemy async URL that cannot write."""
    try:
        from sqlalchemy.engine import URL, make_url
        from sqlalchemy.exc import ArgumentError
    except ImportError as exc:  # a base dependency: only a broken install lacks it
        raise TargetError(f"sql checks need SQLAlchemy ({exc}); reinstall flowharness") from None

    def sqlite_readonly(path: str) -> Any:
        location = Path(path).expanduser().resolve()
        if not location.is_file():
            raise ScenarioRuntimeError(f"no SQLite database at {location}")
        database = f"file:{quote(str(location))}"
        return URL.create(
            "sqlite+aiosqlite", database=database, query={"mode": "ro", "uri": "true"}
        )

    if "://" not in value:
        return sqlite_readonly(value)
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise TargetError(f"the SQL URL is not a database URL ({exc})") from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite":
        return sqlite_readonly(url.database or "")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername=f"postgresql+{driver or 'asyncpg'}")
    raise TargetError(f"sql checks read SQLite or PostgreSQL, not {backend!r}")


async def read_rows(
    url: str, table: str, where: dict[str, Any] | None = None, *, limit: int = MAX_ROWS
) -> list[dict[str, Any]]:
    """The rows of ``table`` matching ``where`` (equality), oldest primary key first."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(readonly_url(url))  # one read: no pool worth keeping
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(sa.text("SET TRANSACTION READ ONLY"))
            try:
                found = await connection.run_sync(
                    lambda sync: sa.Table(table, sa.MetaData(), autoload_with=sync)
                )
            except sa.exc.NoSuchTableError:
                raise ScenarioRuntimeError(f"the database has no table {table!r}") from None
            unknown = sorted(set(where or {}) - set(found.c.keys()))
            if unknown:
                raise ScenarioRuntimeError(
                    f"table {table!r} has no column {', '.join(unknown)} "
                    f"(it has {', '.join(found.c.keys())})"
                )
            query = sa.select(found).limit(limit)
            for column, value in (where or {}).items():
                query = query.where(found.c[column] == value)
            query = query.order_by(*found.primary_key.columns)
            result = await connection.execute(query)
            return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]
    except (ScenarioRuntimeError, TargetError):
        raise
    except Exception as exc:  # the driver's errors: which database, and why
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        where_db = engine.url.render_as_string(hide_password=True)
        raise ScenarioRuntimeError(
            f"reading {table!r} from {where_db} failed: {reason[0] if reason else exc!r}"
        ) from None
    finally:
        await engine.dispose()


def _plain(value: Any) -> Any:
    """A value as JSON has it, so matchers and reports read it like any other."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value
