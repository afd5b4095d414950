"""The archive's connection: opening it (the engine's own checks, then migrations),
transactions and grouped commits, and the error boundary: the one place where the engine's
errors become ours (`Database.storage_error`, applied by `wrap_exceptions` to every public
method and by the transactions themselves). Engine-neutral: what differs between SQLite and
PostgreSQL is behind `Database` (archive/database.py)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from syndicate.archive.database import open_database
from syndicate.archive.migrations import migrate
from syndicate.archive.sqlite import storage_error
from syndicate.errors import ArchiveError

__all__ = ["ArchiveBase", "CommitGroup", "chunks", "storage_error", "wrap_exceptions"]

# A fetch commits the feeds it stores in groups of this many, or of what it stored in this
# many seconds (see ArchiveBase.grouped_commits).
COMMIT_GROUP_SIZE = 100
COMMIT_GROUP_SECONDS = 2.0
# How long a command waits for another process's write (a fetch's group commit takes a second
# or two at most) before it says the archive is busy.
BUSY_SECONDS = 30.0
MAX_VARIABLES = 500  # bound parameters per statement, well under SQLite's lowest limit (999)

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


def wrap_exceptions(
    method: Callable[Concatenate[Base, Params], Result],
) -> Callable[Concatenate[Base, Params], Result]:
    """A public method of the archive, raising our errors for the engine's (see storage_error)."""

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
    """One open archive. Not shared between threads: fetch in threads, store here."""

    # A Database (archive/database.py). Typed Any while the mixins' helpers still annotate
    # their connection as sqlite3.Connection: both engines answer what those helpers call.
    db: Any
    # The fetch worker whose leases this archive's stores hold (archive/claims.py); None
    # when fetching alone.
    worker: str | None = None

    def __init__(self, location: Path | str, *, busy_seconds: float = BUSY_SECONDS) -> None:
        self.busy_seconds = busy_seconds
        self._group: CommitGroup | None = None
        self._fetching = False  # inside grouped_commits() on an engine that does not group
        self.db = database = open_database(location, busy_seconds=busy_seconds)
        # The file, or the URL without its password: what errors and messages name.
        self.path: Path | str = getattr(database, "path", database.location)
        try:
            migrate(database, transaction=self.transaction)
        except ArchiveError:
            self._close_quietly()
            raise
        except database.errors as error:
            self._close_quietly()
            raise database.storage_error(
                error, waited=busy_seconds, doing="cannot open the archive"
            ) from error
        except BaseException:
            self._close_quietly()
            raise

    def _close_quietly(self) -> None:
        with suppress(*self.db.errors):
            self.db.close()

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        """The archive's error boundary: the engine's errors leave it as ours."""
        try:
            yield
        except self.db.errors as error:
            raise self.db.storage_error(error, waited=self.busy_seconds) from error

    @wrap_exceptions
    def close(self) -> None:
        self.db.close()

    def __enter__(self: Base) -> Base:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Any]:  # the Database (see `db`)
        """BEGIN ... COMMIT (SQLite: BEGIN IMMEDIATE), rolled back whole on any error.

        Inside `grouped_commits()` on SQLite it is a savepoint of the group's transaction:
        still rolled back whole on any error, and committed with the others of its group."""
        with self.translated_errors():
            if self._group is not None:
                with self._savepoint(self._group):
                    yield self.db
                return
            self.db.begin(fetching=self._fetching)
            try:
                yield self.db
            except BaseException as error:
                self._roll_back(error)
                raise
            self._commit()

    @contextmanager
    def snapshot(self) -> Iterator[Any]:  # the Database (see `db`)
        """A read transaction: every read in the block sees the archive at one moment, while
        other processes go on writing (copy-archive reads every table in one)."""
        with self.translated_errors():
            self.db.begin_snapshot()
            try:
                yield self.db
            finally:
                if self.db.in_transaction:
                    self.db.rollback()  # nothing was written

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
        their error says that what was being stored was not written.)

        On PostgreSQL each transaction commits alone, asynchronously (the same guarantee as
        SQLite's WAL with synchronous=NORMAL): a group would hold one feed's row locks while
        waiting for another's, which across workers deadlocks."""
        if self._group is not None or self._fetching:  # already grouping
            yield
            return
        if not self.db.groups_commits:
            self._fetching = True
            try:
                yield
            finally:
                self._fetching = False
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
            self.db.begin(fetching=True)
            group.begin()
        self.db.savepoint()
        try:
            yield
        except BaseException as error:
            if self.db.in_transaction:  # SQLite ends the transaction itself on some errors
                self._roll_back_to_savepoint(error, group)
            else:
                group.open = False
            raise
        self.db.release()
        if group.finished_one():
            group.open = False
            self._commit()

    def _roll_back_to_savepoint(self, error: BaseException, group: CommitGroup) -> None:
        """Undo one transaction of a group; if even that fails, the whole group's."""
        try:
            self.db.rollback_to()
            self.db.release()
        except self.db.errors as failed:
            error.add_note(f"and rolling back to its savepoint failed: {failed}")
            group.open = False
            self._roll_back(error)

    def _commit(self) -> None:
        try:
            self.db.commit()
        except BaseException as error:
            self._roll_back(error)
            raise

    def _roll_back(self, error: BaseException) -> None:
        """Undo the transaction that `error` cut short, unless the engine already has: SQLite
        ends the transaction itself on a full disk and some I/O errors, and a ROLLBACK then
        fails ("no transaction is active") and would hide the error that matters."""
        if not self.db.in_transaction:
            return
        try:
            self.db.rollback()
        except self.db.errors as failed:
            error.add_note(f"and the rollback failed too: {failed}")
