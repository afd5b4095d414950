"""The archive's connection: opening (pragmas, an integrity check, migrations), transactions
and grouped commits, and the one place where SQLite's errors become ours (`storage_error`,
applied by `wrap_exceptions` to every public method and by the transactions themselves)."""

from __future__ import annotations

import functools
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from syndicate.archive.schema import migrate
from syndicate.errors import ArchiveBusy, ArchiveDamaged, ArchiveError, ArchiveFull, StorageError

# A fetch commits the feeds it stores in groups of this many, or of what it stored in this
# many seconds (see ArchiveBase.grouped_commits).
COMMIT_GROUP_SIZE = 100
COMMIT_GROUP_SECONDS = 2.0
# How long a command waits for another process's write (a fetch's group commit takes a second
# or two at most) before it says the archive is busy.
BUSY_SECONDS = 30.0
MAX_VARIABLES = 500  # bound parameters per statement, well under SQLite's lowest limit (999)
ROOM_FOR_A_WRITE = 64 * 1024  # bytes: less than this free beside the file is a full disk

Base = TypeVar("Base", bound="ArchiveBase")
Params = ParamSpec("Params")
Result = TypeVar("Result")
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = MAX_VARIABLES) -> Iterator[list[T]]:
    """The items in lists of at most `size` (bound parameters of one statement)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


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


def wrap_exceptions(
    method: Callable[Concatenate[Base, Params], Result],
) -> Callable[Concatenate[Base, Params], Result]:
    """A public method of the archive, raising our errors for SQLite's (see storage_error)."""

    @functools.wraps(method)
    def translated(self: Base, /, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        with self.translated_errors():
            return method(self, *args, **kwargs)

    translated.wraps_exceptions = True  # type: ignore[attr-defined]  # see test_archive_errors
    return translated


@dataclass
class CommitGroup:
    """Transactions committed together (see `ArchiveBase.grouped_commits`)."""

    most: int
    seconds: float
    open: bool = False
    count: int = 0
    started: float = 0.0

    def begin(self) -> None:
        self.open, self.count, self.started = True, 0, time.monotonic()

    def finished_one(self) -> bool:
        """Count a finished transaction; True when the group is due to be committed."""
        self.count += 1
        return self.count >= self.most or time.monotonic() - self.started >= self.seconds


class ArchiveBase:
    """One open archive file. Not shared between threads: fetch in threads, store here."""

    def __init__(self, path: Path, *, busy_seconds: float = BUSY_SECONDS) -> None:
        self.path = path
        self.busy_seconds = busy_seconds
        self._group: CommitGroup | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=busy_seconds)
            self._configure()
            migrate(self.db, path, transaction=self.transaction)
        except ArchiveError:
            self._close_quietly()
            raise
        except sqlite3.Error as error:
            self._close_quietly()
            raise storage_error(
                error, path, waited=busy_seconds, doing="cannot open the archive"
            ) from error
        except OSError as error:
            self._close_quietly()
            raise StorageError(path, f"cannot open the archive: {error}") from error

    def _configure(self) -> None:
        self.db.row_factory = sqlite3.Row
        # Another run's commit (a fetch commits a group of feeds at once) is waited for.
        self.db.execute(f"PRAGMA busy_timeout = {int(self.busy_seconds * 1000)}")
        self._check_intact()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL keeps the file consistent through any crash (a power cut may
        # lose the last commits, never half of one) and spares an fsync per stored feed.
        self.db.execute("PRAGMA synchronous = NORMAL")
        # A fetch commits 100 feeds (2,000 copies and their indexes) at once: in SQLite's
        # default 2 MB of cache their pages spilled to the WAL mid-transaction and index
        # pages were read again (1,000 inserts into a 100k archive: 51-68 ms, 32-38 ms with
        # this). Memory is taken only as pages are used.
        self.db.execute("PRAGMA cache_size = -65536")

    def _check_intact(self) -> None:
        """SQLite's quick check (about 0.15 s for 200 MB): a damaged archive is refused before
        anything reads or writes it, rather than failing halfway or taking writes."""
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            said = " ".join("; ".join(problems).replace("*** in database main ***", "").split())
            raise ArchiveDamaged(self.path, said)

    def _close_quietly(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        """The archive's error boundary: SQLite's errors leave it as ours."""
        try:
            yield
        except sqlite3.Error as error:
            raise storage_error(error, self.path, waited=self.busy_seconds) from error

    @wrap_exceptions
    def close(self) -> None:
        self.db.close()

    def __enter__(self: Base) -> Base:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back whole on any error.

        Inside `grouped_commits()` it is a savepoint of the group's transaction: still rolled
        back whole on any error, and committed with the others of its group."""
        with self.translated_errors():
            if self._group is not None:
                with self._savepoint(self._group):
                    yield self.db
                return
            self._begin()
            try:
                yield self.db
            except BaseException as error:
                self._roll_back(error)
                raise
            self._commit()

    @contextmanager
    def grouped_commits(
        self, *, most: int = COMMIT_GROUP_SIZE, seconds: float = COMMIT_GROUP_SECONDS
    ) -> Iterator[None]:
        """Commit the transactions made inside this block in groups (of at most `most`, at
        most `seconds` apart) rather than one by one.

        Each commit writes every index page its inserts touched: committing each of the 1,000
        feeds of a fetch took about a fifth of the time spent storing them. Each transaction stays
        whole: one that fails is rolled back alone, and whatever ends the block, those that
        finished are committed, so an interruption never leaves part of one. (When SQLite
        itself ends the group's transaction, on a full disk, those not yet committed go too:
        their error says that what was being stored was not written.)"""
        if self._group is not None:  # already grouping
            yield
            return
        group = self._group = CommitGroup(most, seconds)
        try:
            yield
        finally:
            self._group = None
            if group.open and self.db.in_transaction:
                with self.translated_errors():
                    self._commit()

    @contextmanager
    def _savepoint(self, group: CommitGroup) -> Iterator[None]:
        if not group.open:
            self._begin()
            group.begin()
        self.db.execute("SAVEPOINT stored")
        try:
            yield
        except BaseException as error:
            if self.db.in_transaction:  # SQLite ends the transaction itself on some errors
                self._roll_back_to_savepoint(error, group)
            else:
                group.open = False
            raise
        self.db.execute("RELEASE stored")
        if group.finished_one():
            group.open = False
            self._commit()

    def _roll_back_to_savepoint(self, error: BaseException, group: CommitGroup) -> None:
        """Undo one transaction of a group; if even that fails, the whole group's."""
        try:
            self.db.execute("ROLLBACK TO stored")
            self.db.execute("RELEASE stored")
        except sqlite3.Error as failed:
            error.add_note(f"and rolling back to its savepoint failed: {failed}")
            group.open = False
            self._roll_back(error)

    def _begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        try:
            self.db.execute("COMMIT")
        except BaseException as error:
            self._roll_back(error)
            raise

    def _roll_back(self, error: BaseException) -> None:
        """Undo the transaction that `error` cut short, unless SQLite already has: on a full
        disk and some I/O errors it ends the transaction itself, and a ROLLBACK then fails
        ("no transaction is active") and would hide the error that matters."""
        if not self.db.in_transaction:
            return
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error as failed:
            error.add_note(f"and the rollback failed too: {failed}")
