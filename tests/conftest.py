"""Fixtures shared by every test package: keys and secrets made once per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import settings

from harness import crypto
from tests.support.network import free_port
from tests.support.postgres import PostgresServer, find_bin_dir, postgres_server

# Hypothesis's 200 ms per-example deadline trips on a loaded CI machine (RSA keys,
# in-process endpoints); per-test settings still choose their own max_examples.
settings.register_profile("flowharness", deadline=None)
settings.load_profile("flowharness")


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    return crypto.generate_private_key(2048)


@pytest.fixture(scope="session")
def other_private_key() -> rsa.RSAPrivateKey:
    """A second key: what the endpoint holds when the client has a stale public key."""
    return crypto.generate_private_key(2048)


@pytest.fixture(scope="session")
def public_pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return crypto.public_key_pem(private_key)


@pytest.fixture(scope="session")
def app_secret() -> str:
    return "test-app-secret-0123456789abcdef"


# -- the SQL CRM's databases: a SQLite file, and a real PostgreSQL server ----------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server on a free loopback port for the session (stopped by PID)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = "the PostgreSQL server binaries are not installed (apt-get install postgresql)"
        if os.environ.get("CI"):  # .ci/run installs postgresql: its absence is a failure
            pytest.fail(f"no PostgreSQL in CI: {reason}")
        pytest.skip(f"no PostgreSQL: {reason}")
    with postgres_server(bin_dir, free_port()) as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The SQL CRM's database: a SQLite file path, or a fresh database on the real server."""
    if request.param == "sqlite":
        return str(tmp_path / "crm" / "leads.sqlite3")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t{uuid.uuid4().hex}")
