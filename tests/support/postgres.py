"""A real PostgreSQL server for the tests: ``initdb`` into a scratch directory, then
``postgres`` on a free loopback port (and a Unix socket in that directory), stopped by PID.

The binaries come from the Debian ``postgresql`` package (``/usr/lib/postgresql/<N>/bin``,
the newest version installed; ``FLOWHARNESS_TEST_PG_BIN`` names another folder).
PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user the
package creates, in a directory that user owns. Durability is switched off (``fsync``,
``synchronous_commit``): the tests check behaviour, not crash safety.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["PostgresServer", "find_bin_dir", "postgres_server"]

SUPERUSER = "flowharness"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, or None when PostgreSQL is missing."""
    named = os.environ.get("FLOWHARNESS_TEST_PG_BIN")
    candidates = [Path(named)] if named else []
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates += sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "postgres").is_file() and (folder / "initdb").is_file():
            return folder
    return None


class PostgresServer:
    def __init__(self, bin_dir: Path, port: int):
        self.bin_dir = bin_dir
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="flowharness-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._user = _run_as()

    @property
    def url(self) -> str:
        """The ``postgres`` database, over TCP on loopback (asyncpg)."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _popen_options(self) -> dict[str, Any]:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def start(self, timeout: float = 60.0) -> None:
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
             "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, timeout=timeout, **self._popen_options(),
        )  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.bin_dir / "postgres"), "-D", str(self.data), "-k", str(self.root),
                 "-p", str(self.port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=200"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                **self._popen_options(),
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postgres did not start in {timeout:.0f} s:\n{self.output()}")
            time.sleep(0.1)

    def ready(self) -> bool:
        probe = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            capture_output=True, timeout=10, check=False,
        )  # fmt: skip
        return probe.returncode == 0

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser; its output (raises on an error)."""
        result = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
             SUPERUSER, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str) -> str:
        """A fresh, empty database; its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def output(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT) by PID, SIGKILL if it lingers; the directory removed."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _run_as() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: None (this one) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "PostgreSQL refuses to run as root and there is no `postgres` user: install "
            "the postgresql package (it creates one) or run the tests as another user"
        ) from None


@contextlib.contextmanager
def postgres_server(bin_dir: Path, port: int) -> Iterator[PostgresServer]:
    server = PostgresServer(bin_dir, port)
    try:
        server.start()
        yield server
    finally:
        server.stop()
