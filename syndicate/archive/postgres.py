"""The archive in a PostgreSQL database (psycopg 3), for a `postgresql://` URL: the connection,
the SQL and DDL translated from SQLite's dialect, the schema version in a table, and
PostgreSQL's errors as ours, by SQLSTATE (`storage_error`).

The archive's SQL is written once, for SQLite; `postgres_sql` translates it per statement
(cached): `?` placeholders, the place of NULLs in ORDER BY, and the new
row's id (`lastrowid`) through `RETURNING id`. Every TEXT column is `COLLATE "C"`, so that text
compares and sorts byte by byte as in SQLite (dates are compared as ISO 8601 text)."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import psycopg
from psycopg import sql as pg_sql
from psycopg.pq import TransactionStatus

from syndicate.archive.schema import MIGRATIONS
from syndicate.errors import (
    ArchiveBusy,
    ArchiveDamaged,
    ArchiveError,
    ArchiveFull,
    ArchiveUnavailable,
    StorageError,
)
from syndicate.urls import hide_password

# SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html) by what they mean
# for a person: waited too long for a lock or a connection slot; no room; damaged data; the
# server went away.
BUSY_STATES = {"55P03", "57014", "53300", "57P03", "40001", "40P01"}
FULL_STATES = {"53100"}
DAMAGED_STATES = {"XX001", "XX002"}
GONE_STATES = {"57P01", "57P02"}
DAMAGED_ADVICE = "restore the database from a backup"
STREAM_ROWS = 1000  # rows the server sends at a time for a big read (copy-archive)


def advisory_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a name (the same in every process)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


MIGRATE_KEY = advisory_key("syndicate:migrate")

# Every write transaction takes the next number of this sequence, so that a build can tell
# what was stored since the last one by one read (site/freshness.py). It is no part of the
# schema's versions: it is made with the version table, before any migration. A sequence is
# not rolled back: a write that failed moves it too, which costs at most a needless build.
REVISION = "archive_revision"
BEGIN_WRITING = f"BEGIN ISOLATION LEVEL READ COMMITTED; SELECT nextval('{REVISION}')"
BEGIN_WRITING_ASYNC = (  # fetch's: a server crash may lose the last commits, never half of one
    f"{BEGIN_WRITING}; SET LOCAL synchronous_commit = off"
)
_ORDERED_KEYS = "FROM (SELECT k FROM unnest(%s::bigint[]) AS u(k) ORDER BY k) AS keys"
LOCK_EXCLUSIVE = f"SELECT count(pg_advisory_xact_lock(k)) {_ORDERED_KEYS}"
LOCK_SHARED = f"SELECT count(pg_advisory_xact_lock_shared(k)) {_ORDERED_KEYS}"


def archive_revision(url: str) -> int | None:
    """The archive's revision (see REVISION): it changes whenever anything was written;
    None when the database cannot be read."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
            row = connection.execute(f"SELECT last_value, is_called FROM {REVISION}").fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row and row[1] else 0


class PostgresDatabase:
    """A connection to an archive database, in autocommit mode with explicit transactions
    (READ COMMITTED: a store sees what other workers committed before it)."""

    engine: Literal["sqlite", "postgres"] = "postgres"
    errors: tuple[type[BaseException], ...] = (psycopg.Error,)
    groups_commits = False

    def __init__(self, connection: psycopg.Connection[Any], location: str) -> None:
        self.connection = connection
        self.location = location
        self._url = ""  # with its password: for open_another, never shown

    def open_another(self) -> psycopg.Connection[Any]:
        """A second connection to the same database, in autocommit mode (fetch's host slots,
        held by its download threads while this one stores)."""
        return psycopg.connect(
            self._url,
            autocommit=True,
            keepalives=1,
            keepalives_idle=30,
            application_name=f"syndicate slots {socket.gethostname()}:{os.getpid()}"[:63],
        )

    @classmethod
    def open(cls, url: str, *, busy_seconds: float) -> PostgresDatabase:
        shown = hide_password(url)
        try:
            connection = psycopg.connect(
                url,
                autocommit=True,
                row_factory=named_rows,
                # Session locks of a machine that vanished are dropped within about a minute.
                keepalives=1,
                keepalives_idle=30,
                application_name=f"syndicate {socket.gethostname()}:{os.getpid()}"[:63],
            )
        except psycopg.Error as error:
            raise StorageError(shown, f"cannot open the archive: {one_line(error)}") from error
        database = cls(connection, shown)
        database._url = url
        try:
            database._configure(busy_seconds)
        except psycopg.Error as error:
            connection.close()
            raise database.storage_error(
                error, waited=busy_seconds, doing="cannot open the archive"
            ) from error
        return database

    def _configure(self, busy_seconds: float) -> None:
        # As SQLite's busy_timeout: how long a statement waits for another's lock.
        self.connection.execute(f"SET lock_timeout = '{int(busy_seconds * 1000)}ms'")
        self.connection.execute("SET idle_in_transaction_session_timeout = '10min'")
        self.connection.execute("SET TimeZone = 'UTC'")

    # -- statements ---------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PostgresCursor:
        statement = postgres_sql(sql)
        cursor = self.connection.cursor()
        cursor.execute(statement.text, tuple(params))
        return PostgresCursor(cursor, returns_id=statement.returns_id)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PostgresCursor:
        statement = postgres_sql(sql, returning=False)
        cursor = self.connection.cursor()
        cursor.executemany(statement.text, [tuple(row) for row in rows])
        return PostgresCursor(cursor, returns_id=False)

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        """A big read's rows, STREAM_ROWS at a time from the server (a client-side cursor
        would bring the whole result over at once)."""
        statement = postgres_sql(sql, returning=False)
        with self.connection.cursor() as cursor:
            yield from cursor.stream(statement.text, tuple(params), size=STREAM_ROWS)

    def table_columns(self, table: str) -> list[str]:
        rows = self.connection.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s"
            " ORDER BY ordinal_position",
            (table,),
        )
        return [row[0] for row in rows]

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Rows written as they are (ids included: the ids are GENERATED BY DEFAULT) with one
        COPY, streamed; how many."""
        statement = pg_sql.SQL("COPY {} ({}) FROM STDIN").format(
            pg_sql.Identifier(table), pg_sql.SQL(", ").join(map(pg_sql.Identifier, columns))
        )
        written = 0
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        return written

    def reset_ids(self, table: str) -> None:
        """After ids were written: new rows are numbered from the highest one."""
        statement = pg_sql.SQL(
            "SELECT setval(pg_get_serial_sequence({table}, 'id'), COALESCE(MAX(id), 1),"
            " MAX(id) IS NOT NULL) FROM {name}"
        ).format(table=pg_sql.Literal(table), name=pg_sql.Identifier(table))
        self.connection.execute(statement)

    # -- transactions -------------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        status = self.connection.info.transaction_status
        return status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    def begin(self, *, fetching: bool = False) -> None:
        """A write transaction, which moves the archive's revision (see REVISION)."""
        self.connection.execute(BEGIN_WRITING_ASYNC if fetching else BEGIN_WRITING)

    def begin_snapshot(self) -> None:
        """A read transaction that sees one moment of the database throughout."""
        self.connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        self.connection.execute("ROLLBACK")

    def savepoint(self) -> None:
        self.connection.execute("SAVEPOINT stored")

    def release(self) -> None:
        self.connection.execute("RELEASE SAVEPOINT stored")

    def rollback_to(self) -> None:
        self.connection.execute("ROLLBACK TO SAVEPOINT stored")

    # -- schema -------------------------------------------------------------------------------

    def prepare_versioning(self) -> None:
        """The version table, made once (under the migration lock: two processes opening a new
        database at once would both try to create it)."""
        self.connection.execute("BEGIN")  # not begin(): the revision may not be there yet
        try:
            self.migration_lock()
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            self.connection.execute(f"CREATE SEQUENCE IF NOT EXISTS {REVISION}")
        except BaseException:
            if self.in_transaction:
                self.rollback()
            raise
        self.commit()

    def schema_version(self) -> int:
        row = self.connection.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def set_schema_version(self, number: int) -> None:
        if not self.connection.execute(
            "UPDATE schema_version SET version = %s", (number,)
        ).rowcount:
            self.connection.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))

    def migration_lock(self) -> None:
        """Held until the migration's transaction ends: one process migrates at a time."""
        self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_KEY,))

    def ddl(self, statement: str) -> str:
        return postgres_ddl(statement)

    def lock_keys(self, names: Iterable[str], *, shared: bool = False) -> None:
        """Advisory locks on `names`, held until the transaction ends, taken in one statement
        in the order of their keys (two transactions locking overlapping names never wait for
        each other in a cycle). Shared ones keep out only those who take the name exclusively.
        """
        keys = sorted({advisory_key(name) for name in names})
        if keys:
            self.connection.execute(LOCK_SHARED if shared else LOCK_EXCLUSIVE, (keys,))

    # -- errors -------------------------------------------------------------------------------

    def storage_error(
        self, error: BaseException, *, waited: float, doing: str = ""
    ) -> ArchiveError:
        return storage_error(error, self.location, waited=waited, doing=doing)

    def close(self) -> None:
        self.connection.close()


class PostgresCursor:
    """A statement's result as sqlite3's cursor gives it: rows, rowcount and lastrowid."""

    def __init__(self, cursor: psycopg.Cursor[Any], *, returns_id: bool) -> None:
        self._cursor = cursor
        self.lastrowid: int | None = None
        if returns_id:
            row = cursor.fetchone()
            self.lastrowid = row[0] if row else None

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


# -- rows ---------------------------------------------------------------------------------------


class NamedRow(tuple[Any, ...]):
    """A row by position or by column name (the first column of that name, as sqlite3.Row)."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}
    _names: ClassVar[tuple[str, ...]] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                key = self._index[key] if key in self._index else self._index[key.lower()]
            except KeyError:
                raise IndexError(f"No item with that key: {key}") from None
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._names)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[NamedRow]:
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)
        index.setdefault(name.lower(), position)
    return type("NamedRow", (NamedRow,), {"__slots__": (), "_index": index, "_names": names})


def named_rows(cursor: Any) -> Callable[[Sequence[Any]], Any]:
    """psycopg's row factory for the archive: rows as sqlite3.Row reads them."""
    description = cursor.description
    if description is None:
        return tuple
    row_class = _row_class(tuple(column.name for column in description))
    return row_class


# -- SQL and DDL translated from SQLite's dialect -----------------------------------------------


@dataclass(frozen=True)
class Statement:
    text: str
    returns_id: bool  # RETURNING id was added: its row gives lastrowid


def _tables_with_ids() -> frozenset[str]:
    """Tables whose key is an `id INTEGER PRIMARY KEY` (the rowid on SQLite): an INSERT into
    one returns the new id."""
    scripts = (m if isinstance(m, str) else m["sqlite"] for m in MIGRATIONS)  # type: ignore[redundant-expr, unused-ignore]
    found = re.findall(r"CREATE TABLE (\w+) \(\s*id INTEGER PRIMARY KEY", " ".join(scripts))
    return frozenset(found)


TABLES_WITH_IDS = _tables_with_ids()
_INSERT_INTO = re.compile(r"\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_AFTER_ORDER_KEYS = re.compile(
    r"\b(?:LIMIT|OFFSET|FOR|UNION|EXCEPT|INTERSECT|FETCH|RETURNING)\b", re.IGNORECASE
)
_NEVER_NULL_KEY = re.compile(r"(?:\w+\.)?id(?:\s+(?:ASC|DESC))?", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def postgres_sql(sql: str, *, returning: bool = True) -> Statement:
    """One of the archive's statements (SQLite's dialect, `?` placeholders) for PostgreSQL."""
    text = sqlite_null_order(sql)
    returns_id = False
    insert = _INSERT_INTO.match(text)
    if returning and insert and insert[1] in TABLES_WITH_IDS and "RETURNING" not in text.upper():
        text, returns_id = text.rstrip().rstrip(";") + " RETURNING id", True
    return Statement(format_placeholders(text), returns_id)


def sqlite_null_order(sql: str) -> str:
    """NULLs where SQLite puts them in every ORDER BY: first ascending, last descending
    (PostgreSQL does the opposite). Keys that say NULLS already, and ids, are left alone."""
    parts: list[str] = []
    done = 0
    for match in _ORDER_BY.finditer(sql):
        if match.start() < done:
            continue
        end = _end_of_order_keys(sql, match.end())
        keys = sql[match.end() : end]
        parts += [sql[done : match.end()], _with_sqlite_nulls(keys)]
        done = end
    return "".join([*parts, sql[done:]])


def _end_of_order_keys(sql: str, start: int) -> int:
    depth = 0
    for position in range(start, len(sql)):
        character = sql[position]
        if character == "(":
            depth += 1
        elif character == ")":
            if depth == 0:
                return position
            depth -= 1
        elif depth == 0 and (character == ";" or _AFTER_ORDER_KEYS.match(sql, position)):
            return position
    return len(sql)


def _with_sqlite_nulls(keys: str) -> str:
    split, depth, start = [], 0, 0
    for position, character in enumerate(keys):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            split.append(keys[start:position])
            start = position + 1
    split.append(keys[start:])
    trailing = keys[len(keys.rstrip()) :]
    written = []
    for key in (part.strip() for part in split):
        if "NULLS" in key.upper() or _NEVER_NULL_KEY.fullmatch(key):
            written.append(key)
        elif key.upper().endswith(" DESC"):
            written.append(f"{key} NULLS LAST")
        else:
            written.append(f"{key} NULLS FIRST")
    return " " + ", ".join(written) + (trailing or " ")


def format_placeholders(sql: str) -> str:
    """`?` as psycopg's `%s` outside quotes; a literal `%` doubled (psycopg reads every `%`)."""
    written: list[str] = []
    quote: str | None = None
    for character in sql:
        if quote:
            if character == quote:
                quote = None
        elif character in "'\"":
            quote = character
        elif character == "?":
            written.append("%s")
            continue
        written.append("%%" if character == "%" else character)
    return "".join(written)


_DDL_RULES = (
    (
        re.compile(r"\bid INTEGER PRIMARY KEY\b"),
        "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
    (re.compile(r"\)\s*WITHOUT ROWID"), ")"),
)


def postgres_ddl(statement: str) -> str:
    """A migration statement for PostgreSQL: ids that number themselves (BY DEFAULT, so that
    copy-archive can write them), 64-bit integers as SQLite's, TEXT compared byte by byte."""
    for pattern, replacement in _DDL_RULES:
        statement = pattern.sub(replacement, statement)
    return statement


# -- errors -------------------------------------------------------------------------------------


def storage_error(
    error: BaseException, location: str, *, waited: float, doing: str = ""
) -> ArchiveError:
    """Our error for one of psycopg's, by SQLSTATE: the database (its URL without the password)
    and what went wrong, for a person."""
    state = getattr(error, "sqlstate", None)
    text = one_line(error)
    if state in BUSY_STATES:
        return ArchiveBusy(location, waited)
    if state in FULL_STATES:
        return ArchiveFull(location, text)
    if state in DAMAGED_STATES:
        return ArchiveDamaged(location, text, advice=DAMAGED_ADVICE)
    broken = isinstance(error, psycopg.OperationalError) and state is None
    if state in GONE_STATES or (state or "").startswith("08") or broken:
        return ArchiveUnavailable(location, text)
    return StorageError(location, f"{doing}: {text}" if doing else text)


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
