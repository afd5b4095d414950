"""Tests on both archive engines: a SQLite file under tmp_path, or a fresh database of one
PostgreSQL cluster started for the whole session (tests/pgcluster.py), cloned from a template
that is migrated once. The fixtures that hand them out are in tests/conftest.py. Without
PostgreSQL installed those tests skip, saying why, except under CI, where they fail: a green
CI must not hide a missing install."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from syndicate.archive import Archive
from tests.pgcluster import Cluster, postgres_bin, running_cluster

TEMPLATE = "syndicate_template"
_CLONES = count(1)


@dataclass(frozen=True)
class PostgresServer:
    """The session's cluster, with a migrated template to clone archives from."""

    cluster: Cluster

    def new_archive(self) -> str:
        """A fresh, migrated archive database's URL."""
        import psycopg

        name = f"archive_{os.getpid()}_{next(_CLONES)}"
        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
        return self.cluster.url(name)

    def new_empty_database(self) -> str:
        """A fresh database with no tables: an archive that no command has opened yet."""
        return self.cluster.new_database()


def is_postgres(location: Path | str) -> bool:
    return isinstance(location, str) and location.startswith("postgresql://")


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}")
    pytest.skip(reason)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    if postgres_bin() is None:
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    with ExitStack() as stack:
        with _temporary_files_in_memory():
            cluster = stack.enter_context(running_cluster())
        cluster.sql("postgres", f"CREATE DATABASE {TEMPLATE}")
        Archive(cluster.url(TEMPLATE)).close()  # migrated once; each test clones it
        yield PostgresServer(cluster)


@contextmanager
def _temporary_files_in_memory() -> Iterator[None]:
    """New temporary folders in /dev/shm (tmpfs) for the block, where it exists: each clone
    of the template is some 350 files, and on this machine's disk creating and at the end
    deleting a few hundred of them took longer than the tests on them (50 s for 150
    databases, 3 s in memory)."""
    previous = tempfile.tempdir
    if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK):
        tempfile.tempdir = "/dev/shm"
    try:
        yield
    finally:
        tempfile.tempdir = previous


def committed(location: Path | str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """What another connection (another process) sees: only what was committed."""
    if is_postgres(location):
        import psycopg

        with psycopg.connect(location, autocommit=True) as other:
            cursor = other.execute(sql.replace("?", "%s"), params)
            return [tuple(row) for row in cursor] if cursor.description else []
    with closing(sqlite3.connect(location)) as db:
        return [tuple(row) for row in db.execute(sql, params)]


def change_committed(location: Path | str, sql: str, params: Sequence[Any] = ()) -> None:
    """A change made by another connection (another process, or the clock), committed at once."""
    if is_postgres(location):
        import psycopg

        with psycopg.connect(location, autocommit=True) as other:
            other.execute(sql.replace("?", "%s"), params)
        return
    with closing(sqlite3.connect(location)) as db, db:
        db.execute(sql, params)
