"""A custom SQL database as the CRM: a ``leads`` table keyed by the E.164 phone.

SQLAlchemy Core, asyncio: SQLite (the embedded default) or PostgreSQL
(:mod:`reference_server._sql_schema`). A lead is one statement, ``INSERT ... ON
CONFLICT (phone) DO UPDATE``, on both: the row is created with the mapping's defaults,
or updated with the lead's non-empty fields (defaults never overwrite a row's value).
``revision`` counts the writes, so the answer says whether the row was created.

Another unique column (the e-mail in the shipped schema) already holding the lead's
value is another person's row: :class:`CrmConflictError` naming that row, for a person
to resolve; nothing is written. Database failures are sorted like HTTP ones: a database
that is down, locked or timing out is transient (retried); a refused value (NOT NULL,
CHECK, too long) parks the lead; a refused statement (unknown column, no privilege,
read-only database) is permanent. Follow-up photos go to ``lead_attachments``.
"""

from __future__ import annotations

import asyncio
import string
from datetime import UTC, datetime
from typing import Any

from reference_server._crm import CrmResult, Media
from reference_server._mapping import CrmMapping
from reference_server._sql_schema import (
    LATEST_VERSION,
    current_version,
    describe_url,
    sql_engine,
    upgrade,
)
from reference_server.exceptions import (
    ConfigurationError,
    CrmConflictError,
    CrmError,
    CrmPermanentError,
    CrmTransientError,
    CrmValidationError,
)

__all__ = ["SqlAdapter", "classify_error", "record_url_template_checked"]

KEY = "phone"
_TEMPLATE_SETTING = "FLOWHARNESS_SQL_RECORD_URL_TEMPLATE"
# SQLite result codes (primary, the low byte): https://www.sqlite.org/rescode.html
_SQLITE_TRANSIENT = {5, 6, 7, 9, 10, 13, 14, 15}  # BUSY LOCKED NOMEM INTERRUPT IOERR FULL ...
_SQLITE_CONSTRAINT, _SQLITE_TOOBIG, _SQLITE_MISMATCH = 19, 18, 20
_SQLITE_UNIQUE = {2067, 1555}  # SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
# PostgreSQL SQLSTATE classes: connection, resources, operator intervention, system
_PG_TRANSIENT_CLASSES = {"08", "40", "53", "57", "58"}
_PG_TRANSIENT = {"55P03", "55006"}  # lock not available, object in use


def record_url_template_checked(template: str | None) -> str | None:
    """``template`` checked: ``{id}`` is the only field it may hold."""
    if not template:
        return None
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigurationError(f"{_TEMPLATE_SETTING} is not a template ({exc})") from None
    if fields - {"id"}:
        raise ConfigurationError(
            f"{_TEMPLATE_SETTING} may only hold {{id}} (the lead row's id), not "
            f"{', '.join(sorted(f'{{{f}}}' for f in fields - {'id'}))}"
        )
    return template


def classify_error(exc: BaseException) -> str:
    """``transient``, ``unique``, ``invalid`` or ``permanent`` for a database failure."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, OSError | TimeoutError | sa_exc.TimeoutError):
        return "transient"
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        primary = code & 0xFF
        if code in _SQLITE_UNIQUE:
            return "unique"
        if primary in (_SQLITE_CONSTRAINT, _SQLITE_TOOBIG, _SQLITE_MISMATCH):
            return "invalid"
        return "transient" if primary in _SQLITE_TRANSIENT else "permanent"
    state = _sqlstate(orig)
    if state:
        if state == "23505":
            return "unique"
        if state[:2] in ("22", "23"):
            return "invalid"
        if state[:2] in _PG_TRANSIENT_CLASSES or state in _PG_TRANSIENT:
            return "transient"
        return "permanent"
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return "transient"  # no code: the connection itself failed
    if isinstance(exc, sa_exc.IntegrityError):
        return "invalid"
    return "permanent"


def _sqlstate(orig: Any) -> str:
    for candidate in (orig, getattr(orig, "__cause__", None)):
        for attribute in ("sqlstate", "pgcode"):
            value = getattr(candidate, attribute, None)
            if isinstance(value, str) and value:
                return value
    return ""


def _describe(exc: BaseException) -> str:
    """The driver's message, one line (it names columns and constraints, not values)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}"[:300]


class SqlAdapter:
    """Upsert by phone into ``leads``; the schema is migrated (or checked) on first use."""

    name = "sql"

    def __init__(
        self,
        url: str,
        *,
        mapping: CrmMapping,
        record_url_template: str | None = None,
        migrate: bool = True,
        timeout: float = 30.0,
    ):
        self._engine = sql_engine(url, timeout=timeout)
        self._where = describe_url(url)
        self._mapping = mapping
        self._template = record_url_template_checked(record_url_template)
        self._migrate = migrate
        self._ready = asyncio.Lock()
        self._table: Any = None
        self._attachments: Any = None
        self._unique: tuple[str, ...] = ()

    @property
    def engine(self) -> Any:
        return self._engine

    def record_url(self, record_id: str) -> str:
        return self._template.format(id=record_id) if self._template and record_id else ""

    async def aclose(self) -> None:
        await self._engine.dispose()

    # -- CrmAdapter --------------------------------------------------------------------

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        table = await self._prepared()
        row = self._row(lead)
        updates = {c: row[c] for c in set(self._mapping.fields.values()) & row.keys() - {KEY}}
        now = datetime.now(UTC)
        insert = self._insert(table).values(**row, revision=1, created_at=now, updated_at=now)
        statement = insert.on_conflict_do_update(
            index_elements=[table.c[KEY]],
            set_={**updates, "revision": table.c.revision + 1, "updated_at": now},
        ).returning(table.c.id, table.c.revision)
        try:
            async with self._engine.begin() as connection:
                written = (await connection.execute(statement)).one()
        except CrmError:
            raise
        except Exception as exc:
            if classify_error(exc) == "unique":
                raise await self._conflict(table, row, exc) from None
            raise self._error(exc, "write the lead") from exc
        record_id = str(written.id)
        return CrmResult(
            record_id, created=written.revision == 1, record_url=self.record_url(record_id)
        )

    async def attach(self, phone: str, media: Media, note: str) -> str:
        table = await self._prepared()
        attachments = self._attachments
        try:
            async with self._engine.begin() as connection:
                from sqlalchemy import select

                lead_id = (
                    await connection.execute(select(table.c.id).where(table.c[KEY] == phone))
                ).scalar()
                if lead_id is None:
                    raise CrmTransientError("the SQL CRM has no lead with this phone number yet")
                inserted = await connection.execute(
                    attachments.insert()
                    .values(
                        lead_id=lead_id,
                        file_name=media.file_name,
                        mime_type=media.mime_type,
                        size=len(media.content),
                        content=media.content,
                        note=note,
                        created_at=datetime.now(UTC),
                    )
                    .returning(attachments.c.id)
                )
                return str(inserted.scalar_one())
        except CrmError:
            raise
        except Exception as exc:
            raise self._error(exc, "store the file") from exc

    async def probe(self) -> str | None:
        """Why the worker cannot use the database, or None (migrates it when allowed)."""
        try:
            await self._prepared()
        except CrmError as exc:
            return str(exc)
        return None

    # -- inside ------------------------------------------------------------------------

    def _row(self, lead: dict[str, Any]) -> dict[str, Any]:
        row = self._mapping.apply(lead)
        row[KEY] = lead[KEY]
        return row

    def _insert(self, table: Any) -> Any:
        from sqlalchemy.dialects import postgresql, sqlite

        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def _prepared(self) -> Any:
        """The ``leads`` table, once the schema is up to date and fits the mapping."""
        if self._table is not None:
            return self._table
        async with self._ready:
            if self._table is None:
                try:
                    await self._prepare()
                except CrmError:
                    raise
                except Exception as exc:
                    raise self._error(exc, "open the database") from exc
        return self._table

    async def _prepare(self) -> None:
        if self._migrate:
            await upgrade(self._engine)
        else:
            version = await current_version(self._engine)
            if version < LATEST_VERSION:
                raise CrmPermanentError(
                    f"the SQL CRM's schema at {self._where} is at version {version}, this "
                    f"worker needs {LATEST_VERSION}: run `flowharness db upgrade` (or set "
                    "FLOWHARNESS_SQL_MIGRATE=true)"
                )
        async with self._engine.connect() as connection:
            tables, unique = await connection.run_sync(_reflect)
        leads, attachments = tables
        missing = sorted(
            {*self._mapping.fields.values(), *self._mapping.defaults} - set(leads.c.keys())
        )
        if missing:
            raise CrmPermanentError(
                f"the field mapping names columns the leads table lacks: {', '.join(missing)}; "
                "add them with a migration of your own or fix FLOWHARNESS_CRM_MAPPING_FILE"
            )
        self._unique = tuple(c for c in unique if c != KEY)
        self._attachments = attachments
        self._table = leads

    async def _conflict(self, table: Any, row: dict[str, Any], error: Exception) -> CrmError:
        """The row whose unique value this lead collided with (never this phone's own)."""
        from sqlalchemy import select

        try:
            async with self._engine.connect() as connection:
                for column in self._unique:
                    if row.get(column) in (None, ""):
                        continue
                    query = select(table.c.id).where(
                        table.c[column] == row[column], table.c[KEY] != row[KEY]
                    )
                    other = (await connection.execute(query.limit(1))).scalar()
                    if other is not None:
                        return CrmConflictError(
                            f"SQL CRM: another lead row already holds this {column} "
                            f"(unique constraint)",
                            str(other),
                            self.record_url(str(other)),
                            field=column,
                        )
        except Exception as exc:
            return self._error(exc, "look up the conflicting row")
        # the other row changed since: the write may pass now
        return CrmTransientError(f"SQL CRM: a unique value collided ({_describe(error)})")

    def _error(self, exc: BaseException, what: str) -> CrmError:
        kind = classify_error(exc)
        message = f"the SQL CRM at {self._where} could not {what}: {_describe(exc)}"
        if kind == "transient":
            return CrmTransientError(message)
        if kind in ("invalid", "unique"):
            error = {"code": "INVALID_VALUE", "message": _describe(exc), "fields": []}
            return CrmValidationError(message, [error])
        return CrmPermanentError(message)


def _reflect(connection: Any) -> tuple[tuple[Any, Any], list[str]]:
    """The tables as the database has them, and its single-column unique keys of leads."""
    import sqlalchemy as sa

    metadata = sa.MetaData()
    leads = sa.Table("leads", metadata, autoload_with=connection)
    attachments = sa.Table("lead_attachments", metadata, autoload_with=connection)
    inspector = sa.inspect(connection)
    unique = [
        columns[0]
        for columns in (
            *(c["column_names"] for c in inspector.get_unique_constraints("leads")),
            *(i["column_names"] for i in inspector.get_indexes("leads") if i.get("unique")),
        )
        if len(columns) == 1 and columns[0]
    ]
    return (leads, attachments), list(dict.fromkeys(unique))
