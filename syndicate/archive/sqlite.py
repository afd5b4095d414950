"""The archive in a SQLite file (the default): opening it (pragmas, an integrity check), its
transactions, and SQLite's errors as ours (`storage_error`)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from syndicate.errors import ArchiveBusy, ArchiveDamaged, ArchiveError, ArchiveFull, StorageError

ROOM_FOR_A_WRITE = 64 * 1024  # bytes: less than this free beside the file is a full disk
BULK_ROWS = 1000  # rows per executemany of a bulk insert (copy-archive)


class SqliteDatabase:
    """A connection to an archive file, in autocommit mode with explicit transactions."""

    engine: Literal["sqlite", "postgres"] = "sqlite"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    groups_commits = True

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.location = str(path)

    @classmethod
    def open(cls, path: Path, *, busy_seconds: float) -> SqliteDatabase:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, timeout=busy_seconds)
        except sqlite3.Error as error:
            raise storage_error(
                error, path, waited=busy_seconds, doing="cannot open the archive"
            ) from error
        except OSError as error:
            raise StorageError(path, f"cannot open the archive: {error}") from error
        database = cls(connection, path)
        try:
            database._configure(busy_seconds)
        except ArchiveError:
            connection.close()
            raise
        except sqlite3.Error as error:
            connection.close()
            raise storage_error(
                error, path, waited=busy_seconds, doing="cannot open the archive"
            ) from error
        return database

    def _configure(self, busy_seconds: float) -> None:
        self.connection.row_factory = sqlite3.Row
        # Another run's commit (a fetch commits a group of feeds at once) is waited for.
        self.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        self._check_intact()
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL keeps the file consistent through any crash (a power cut may
        # lose the last commits, never half of one) and spares an fsync per stored feed.
        self.execute("PRAGMA synchronous = NORMAL")
        # A fetch commits 100 feeds (2,000 copies and their indexes) at once: in SQLite's
        # default 2 MB of cache their pages spilled to the WAL mid-transaction and index
        # pages were read again (1,000 inserts into a 100k archive: 51-68 ms, 32-38 ms with
        # this). Memory is taken only as pages are used.
        self.execute("PRAGMA cache_size = -65536")

    def _check_intact(self) -> None:
        """SQLite's quick check (about 0.15 s for 200 MB): a damaged archive is refused before
        anything reads or writes it, rather than failing halfway or taking writes."""
        problems = [row[0] for row in self.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            said = " ".join("; ".join(problems).replace("*** in database main ***", "").split())
            raise ArchiveDamaged(self.path, said)

    # -- statements ---------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self.connection.executemany(sql, rows)

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        """A big read's rows as SQLite steps through them (never all held at once)."""
        return iter(self.connection.execute(sql, params))

    def table_columns(self, table: str) -> list[str]:
        return [row["name"] for row in self.execute(f"PRAGMA table_info({_name(table)})")]

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Rows written as they are (ids included), BULK_ROWS at a time; how many."""
        names = ", ".join(_name(column) for column in columns)
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {_name(table)} ({names}) VALUES ({marks})"
        written, rows = 0, iter(rows)
        while batch := list(islice(rows, BULK_ROWS)):
            self.connection.executemany(statement, batch)
            written += len(batch)
        return written

    def reset_ids(self, table: str) -> None:
        """Nothing to do: SQLite numbers new rows after the highest id there is."""

    # -- transactions -------------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        """SQLite ends a transaction itself on some errors (a full disk), so ask it."""
        return self.connection.in_transaction

    def begin(self, *, fetching: bool = False) -> None:
        self.execute("BEGIN IMMEDIATE")

    def begin_snapshot(self) -> None:
        """A read transaction: in WAL mode every read in it sees the archive as it was at
        the first, whatever other processes commit meanwhile."""
        self.execute("BEGIN DEFERRED")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def savepoint(self) -> None:
        self.execute("SAVEPOINT stored")

    def release(self) -> None:
        self.execute("RELEASE stored")

    def rollback_to(self) -> None:
        self.execute("ROLLBACK TO stored")

    # -- schema -------------------------------------------------------------------------------

    def prepare_versioning(self) -> None:
        """Nothing to make: the version is the file's PRAGMA user_version."""

    def schema_version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, number: int) -> None:
        self.execute(f"PRAGMA user_version = {int(number)}")

    def migration_lock(self) -> None:
        """BEGIN IMMEDIATE already keeps other writers out."""

    def ddl(self, statement: str) -> str:
        return statement  # the migrations are written in SQLite's dialect

    def lock_keys(self, names: Iterable[str], *, shared: bool = False) -> None:
        """BEGIN IMMEDIATE already makes writers take turns: nothing more to lock."""

    # -- errors -------------------------------------------------------------------------------

    def storage_error(
        self, error: BaseException, *, waited: float, doing: str = ""
    ) -> ArchiveError:
        assert isinstance(error, sqlite3.Error)
        return storage_error(error, self.path, waited=waited, doing=doing)

    def close(self) -> None:
        self.connection.close()


def _name(identifier: str) -> str:
    """A table or column name of ours, checked before it is written into SQL."""
    if not identifier.isidentifier():
        raise ValueError(f"not a table or column name: {identifier!r}")
    return identifier


def storage_error(
    error: sqlite3.Error, path: Path, *, waited: float, doing: str = ""
) -> ArchiveError:
    """Our error for one of SQLite's: the file it concerns and what went wrong, for a person.

    By SQLite's result code where it gives one (Python's own sqlite3 errors have none)."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(error)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or (
        primary is None and ("locked" in text or "busy" in text)
    ):
        return ArchiveBusy(path, waited)
    if primary == sqlite3.SQLITE_FULL or (primary == sqlite3.SQLITE_IOERR and no_room(path, code)):
        return ArchiveFull(path, text)
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or (
        isinstance(error, sqlite3.DatabaseError)
        and ("malformed" in text or "not a database" in text or "corrupt" in text)
    ):
        return ArchiveDamaged(path, text)
    return StorageError(path, f"{doing}: {text}" if doing else text)


def no_room(path: Path, code: int | None) -> bool:
    """An I/O error that a full disk explains: SQLite could not grow the WAL index (the -shm
    file, on opening an archive), or there is no room left for a page beside the file."""
    if code == sqlite3.SQLITE_IOERR_SHMSIZE:
        return True
    try:
        return shutil.disk_usage(path.parent).free < ROOM_FOR_A_WRITE
    except OSError:
        return False
