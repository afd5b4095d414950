"""The Archive: every part of the archive (see the package's docstring) over one connection."""

from __future__ import annotations

from pathlib import Path

import syndicate.archive as package
from syndicate.archive.claims import Claims
from syndicate.archive.comment_feeds import CommentFeeds
from syndicate.archive.feeds import Subscriptions
from syndicate.archive.overrides import Overrides
from syndicate.archive.queries import Queries
from syndicate.archive.store import Storing


class Archive(Subscriptions, CommentFeeds, Storing, Overrides, Queries, Claims):
    """One open archive: a SQLite file's path, or a `postgresql://` URL. Not shared between
    threads: fetch in threads, store here."""

    def __init__(self, location: Path | str) -> None:
        # Read from the package when the archive is opened, so that a test can shorten the wait.
        super().__init__(location, busy_seconds=package.BUSY_SECONDS)
