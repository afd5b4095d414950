"""`archive_location`: each test that takes it runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.archive.backends import PostgresServer, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the whole session (started on first use)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def archive_location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's archive lives: a SQLite file, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "archive.sqlite3"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.new_archive()


@pytest.fixture
def postgres_location(pg_server: PostgresServer) -> str:
    """A fresh PostgreSQL archive, for the tests of what only PostgreSQL does."""
    return pg_server.new_archive()
