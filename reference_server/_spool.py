"""The spool: confirmed leads kept on local disk while Redis cannot take them.

A SQLite file in WAL mode with ``synchronous=FULL``: a commit returns once the WAL is
fsync'd, so a lead the person saw confirmed survives the process and the machine
restarting. Leads come out in the order they went in (``seq``); each is removed only
after it is in the stream (:meth:`reference_server._intake.LeadIntake.drain`).

The answer given for a lead is kept beside it, under its idempotency key, for the
idempotency window: a repeat of the same submission (a double tap, WhatsApp retrying)
gets that answer instead of queueing the lead again. The check and the insert are one
``BEGIN IMMEDIATE`` transaction, so this holds across the processes of one machine that
share the file; a repeat that reaches another machine is not seen (see the README).

SQLite calls block, and a commit waits for the disk: writes run on one thread of their
own, never on the event loop. Lookups of an answer are a primary-key read of a few
microseconds and run inline.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reference_server.exceptions import SpoolError

__all__ = ["Spool", "SpooledLead"]

T = TypeVar("T")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS leads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL,
    lead TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    answer TEXT NOT NULL,
    expires_at REAL NOT NULL,
    spooled_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    idem_key TEXT PRIMARY KEY,
    answer TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class SpooledLead:
    seq: int
    lead_id: str
    lead: str
    """The lead as JSON, exactly as it goes on the stream."""
    idem_key: str
    answer: str
    expires_at: float
    """When the idempotency window of its submission ends (Unix time)."""


class Spool:
    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time):
        self.path = path
        self._clock = clock
        # Two connections: the writer's commits wait for fsync on the spool's own thread,
        # while lookups read the last committed state (WAL readers never wait for writers).
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flowharness-spool")
        self._read_lock = threading.Lock()  # lookups may come from several event loops
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._reader = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise SpoolError(
                f"cannot open the spool at {path}: {exc}; fix FLOWHARNESS_SPOOL_PATH"
            ) from exc

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA synchronous=FULL")  # fsync the WAL at every commit
        return db

    # -- reads (inline) -----------------------------------------------------------------

    def _read(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        try:
            with self._read_lock:
                return list(self._reader.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot read the spool at {self.path}: {exc}") from exc

    def answer(self, key: str) -> dict[str, Any] | None:
        """The answer given to this submission within its window, if it was spooled here."""
        rows = self._read(
            "SELECT answer FROM answers WHERE idem_key = ? AND expires_at > ?", key, self._clock()
        )
        return json.loads(rows[0][0]) if rows else None

    def lookup(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        """:meth:`answer` and :meth:`has_backlog` in one read (every submission asks both)."""
        (given, backlog), *_ = self._read(
            "SELECT (SELECT answer FROM answers WHERE idem_key = ? AND expires_at > ?), "
            "EXISTS (SELECT 1 FROM leads)",
            key,
            self._clock(),
        )
        return (json.loads(given) if given is not None else None), bool(backlog)

    def depth(self) -> int:
        """Leads waiting for Redis."""
        return int(self._read("SELECT COUNT(*) FROM leads")[0][0])

    def has_backlog(self) -> bool:
        """Whether any lead waits for Redis (cheaper than :meth:`depth`: every submission asks)."""
        return bool(self._read("SELECT EXISTS (SELECT 1 FROM leads)")[0][0])

    async def setting(self, pragma: str) -> Any:
        """A SQLite pragma of the writing connection (``synchronous``, ``journal_mode``)."""
        if not pragma.isidentifier():
            raise ValueError(f"not a pragma name: {pragma!r}")
        return await self._write(lambda: self._db.execute(f"PRAGMA {pragma}").fetchone()[0])

    # -- writes (on the spool's thread) -----------------------------------------------------

    async def _write(self, work: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._writer, work)
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot write the spool at {self.path}: {exc}") from exc

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self._db.execute("BEGIN IMMEDIATE")  # the write lock first: no lost check-then-insert
        try:
            result = work(self._db)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return result

    async def append(
        self, key: str, lead: dict[str, Any], answer: dict[str, Any], window_seconds: float
    ) -> tuple[dict[str, Any], bool]:
        """Keep ``lead`` with the ``answer`` it was given; ``(answer, replayed)``.

        If this submission was spooled already within its window, nothing is added and
        the first answer comes back with ``replayed`` True.
        """
        now = self._clock()
        expires = now + window_seconds
        lead_json = json.dumps(lead, ensure_ascii=False)
        answer_json = json.dumps(answer, ensure_ascii=False)

        def insert(db: sqlite3.Connection) -> tuple[dict[str, Any], bool]:
            found = db.execute(
                "SELECT answer FROM answers WHERE idem_key = ? AND expires_at > ?", (key, now)
            ).fetchone()
            if found is not None:
                return json.loads(found[0]), True
            db.execute(
                "INSERT INTO leads (lead_id, lead, idem_key, answer, expires_at, spooled_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (str(lead["lead_id"]), lead_json, key, answer_json, expires, now),
            )
            db.execute(
                "INSERT OR REPLACE INTO answers (idem_key, answer, expires_at) VALUES (?, ?, ?)",
                (key, answer_json, expires),
            )
            return answer, False

        return await self._write(lambda: self._transaction(insert))

    async def remember(self, key: str, answer: dict[str, Any], window_seconds: float) -> None:
        """Keep an answer whose lead went to Redis, when Redis failed before storing it."""
        row = (key, json.dumps(answer, ensure_ascii=False), self._clock() + window_seconds)
        await self._write(
            lambda: self._db.execute(
                "INSERT OR REPLACE INTO answers (idem_key, answer, expires_at) VALUES (?, ?, ?)",
                row,
            )
        )

    async def oldest(self) -> SpooledLead | None:
        def first() -> SpooledLead | None:
            row = self._db.execute(
                "SELECT seq, lead_id, lead, idem_key, answer, expires_at FROM leads "
                "ORDER BY seq LIMIT 1"
            ).fetchone()
            return SpooledLead(*row) if row else None

        return await self._write(first)

    async def remove(self, seq: int) -> None:
        await self._write(lambda: self._db.execute("DELETE FROM leads WHERE seq = ?", (seq,)))

    async def forget_expired(self) -> None:
        """Drop answers past their window (their leads left long ago)."""
        now = self._clock()
        await self._write(
            lambda: self._db.execute("DELETE FROM answers WHERE expires_at <= ?", (now,))
        )

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._db.close()
        with self._read_lock:
            self._reader.close()
