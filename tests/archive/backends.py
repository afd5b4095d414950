"""The archive's tests on both engines: a SQLite file under tmp_path, or a fresh database of
one PostgreSQL cluster started for the whole session (tests/pgcluster.py), cloned from a
template that is migrated once. Without PostgreSQL installed its tests skip, saying why,
except under CI, where they fail: a green CI must not hide a missing install."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
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
    with running_cluster() as cluster:
        cluster.sql("postgres", f"CREATE DATABASE {TEMPLATE}")
        Archive(cluster.url(TEMPLATE)).close()  # migrated once; each test clones it
        yield PostgresServer(cluster)


def committed(location: Path | str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """What another connection (another process) sees: only what was committed."""
    if isinstance(location, str) and location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as other:
            cursor = other.execute(sql.replace("?", "%s"), params)
            return [tuple(row) for row in cursor] if cursor.description else []
    with closing(sqlite3.connect(location)) as db:
        return [tuple(row) for row in db.execute(sql, params)]
