"""One hierarchy of errors; only cli.py turns them into messages and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class SyndicateError(Exception):
    """Base class of every error that syndicate reports to a user without a traceback."""


class ConfigError(SyndicateError):
    """A setting, option or configuration file is unusable (exit status 2)."""


class OutputError(SyndicateError):
    """The output folder cannot be created or written (exit status 2)."""


class PostError(SyndicateError):
    """A stored post cannot be read; names the file and, where known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __reduce__(self) -> tuple[object, ...]:  # posts are parsed in worker processes
        return (self.__class__, (self.path, self.message, self.line))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {' '.join(self.message.split())}"  # always one line


class PostWarning(PostError):
    """Something in a post is odd but publishable (reported, not fatal)."""


class FeedError(SyndicateError):
    """A feed cannot be fetched or parsed; names its URL (and the HTTP status, when one)."""

    def __init__(self, url: str, message: str, *, status: int | None = None) -> None:
        self.url = url
        self.message = message
        self.status = status
        super().__init__(str(self))

    def __str__(self) -> str:
        """One line for a person: a password in the URL, or in a URL the message quotes (one
        resolved against it, a redirect's target), shows as `user:***@host`, a user name alone
        (maybe a token) as `***@host` (as urls.hide_password shows them)."""
        import re

        from syndicate.urls import HIDDEN

        line = f"{self.url}: {self.message}"
        line = re.sub(r"(://[^/?#@:\s]*):[^/?#\s]*@", rf"\1:{HIDDEN}@", line)
        return re.sub(r"(?<=://)[^/?#@:\s]+@", f"{HIDDEN}@", line)  # a token as the user name

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (feeds are parsed in worker processes, which send their errors back)."""
        return (_feed_error, (self.url, self.message, self.status))


def _feed_error(url: str, message: str, status: int | None) -> FeedError:
    return FeedError(url, message, status=status)


class UnsupportedURL(FeedError):
    """A URL that syndicate does not fetch (not http or https): a usage error (exit status 2)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.url, self.message))


class ArchiveError(SyndicateError):
    """The archive cannot be opened or an archive operation is impossible (exit status 2)."""


class ArchiveBusy(ArchiveError):
    """Another process kept the archive's write lock longer than we wait (exit status 75)."""

    def __init__(self, path: Path | str, waited: float) -> None:
        self.path = path  # the file, or the database's URL without its password
        self.waited = waited
        super().__init__(
            f"{path}: the archive is busy: another syndicate process has been writing to it "
            f"for over {waited:g} s; try again later"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.path, self.waited))


class LockedError(SyndicateError):
    """Another run holds the output folder's lock (exit status 75, EX_TEMPFAIL)."""

    def __init__(self, lock_path: Path, holder: str) -> None:
        self.lock_path = lock_path
        self.holder = holder
        super().__init__(f"{lock_path}: held by {holder}")


class StorageError(ArchiveError):
    """The database could not read or write the archive; names its file, or its URL without
    the password (exit status 2)."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.path, self.message))


class ArchiveFull(StorageError):
    """No room left on the archive's disk: the change under way was not written, and what was
    committed before it is intact (exit status 1)."""

    def __init__(self, path: Path | str, problem: str = "database or disk is full") -> None:
        self.problem = problem
        super().__init__(
            path,
            f"the disk is full ({problem}): what was being stored was not written, what was "
            "stored before is intact; free some space and try again",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.path, self.problem))


class ArchiveDamaged(StorageError):
    """The archive is damaged: a SQLite file is refused before anything reads or writes it
    (exit status 2). `advice` says what to do; by default, how to recover a SQLite file."""

    def __init__(self, path: Path | str, problem: str, *, advice: str | None = None) -> None:
        self.problem = problem
        self.advice = advice
        if advice is None:
            advice = (
                f"Keep a copy, then recover what SQLite can: sqlite3 {path} .recover | sqlite3 "
                f"{path}.recovered, and move {path}.recovered to {path} (or restore a backup)"
            )
        super().__init__(
            path, f"the archive is damaged ({problem}); nothing was read or written. {advice}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_archive_damaged, (self.path, self.problem, self.advice))


def _archive_damaged(path: Path | str, problem: str, advice: str | None) -> ArchiveDamaged:
    return ArchiveDamaged(path, problem, advice=advice)


class ArchiveUnavailable(StorageError):
    """The archive's database server cannot be reached, or went away mid-write (exit status 2)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.problem = problem
        super().__init__(
            path,
            f"cannot reach the database ({problem}): what was being stored was not written",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.path, self.problem))


class AlreadySubscribed(ArchiveError):
    """A subscription that is there already (exit status 2); a password in it is not shown."""

    def __init__(self, url: str) -> None:
        from syndicate.urls import hide_password

        self.url = url
        super().__init__(f"{hide_password(url)}: already subscribed")

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.url,))


class NotFound(ArchiveError):
    """No such archive entry, copy or subscription (exit status 2)."""

    def __init__(self, kind: str, key: object, message: str) -> None:
        self.kind = kind  # "entry", "copy" or "subscription"
        self.key = key
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.kind, self.key, str(self)))
