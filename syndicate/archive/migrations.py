"""Running schema.MIGRATIONS on either engine: each step once, in its own transaction, when an
archive of an older version is opened. The version is SQLite's PRAGMA user_version, or a
one-row table on PostgreSQL (see Database.schema_version); each statement goes through
`Database.ddl`, which rewrites SQLite's DDL for PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from syndicate.archive.database import Database
from syndicate.archive.schema import MIGRATIONS
from syndicate.errors import ArchiveError

Migration = str | Mapping[str, str]  # one script, or one per engine ({"sqlite": …, "postgres": …})


def migrate(
    db: Database,
    *,
    transaction: Callable[[], AbstractContextManager[Any]],
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> None:
    """Bring the archive's tables to the newest version, each step in a `transaction()`."""
    db.prepare_versioning()
    version = db.schema_version()
    if version > len(migrations):
        raise ArchiveError(
            f"{db.location}: archive schema {version} is newer than this syndicate "
            f"understands ({len(migrations)}); upgrade syndicate"
        )
    for number, migration in enumerate(migrations[version:], start=version + 1):
        with transaction():
            db.migration_lock()
            # Another process opening the same new archive may have migrated it meanwhile.
            if db.schema_version() >= number:
                continue
            for statement in script_for(migration, db.engine).split(";"):
                if statement.strip():
                    db.execute(db.ddl(statement))
            db.set_schema_version(number)


def script_for(migration: Migration, engine: str) -> str:
    return migration if isinstance(migration, str) else migration[engine]
