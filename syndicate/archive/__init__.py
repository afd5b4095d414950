"""The archive, in a SQLite file or a PostgreSQL database: subscriptions, every copy of every
article, merge decisions, comments.

Split as reader's `_storage` is, each part a mixin over the one connection of `base`:

    base        opening, migrations, transactions, grouped commits, the error boundary
                (the engine's errors become errors.ArchiveError's)
    database    what the archive asks of a connection, and opening one for a location
    sqlite      the SQLite engine (pragmas, integrity check, its errors)
    postgres    the PostgreSQL engine (SQL and DDL translated, its errors by SQLSTATE)
    schema      the tables and their migrations (migrations.py runs them on either engine)
    feeds       subscriptions and what each fetch of them says
    comment_feeds  the comment feeds of copies, polled as feeds are (validators, backoff)
    store       storing copies and comments, placing each new copy in its article
    rules       the merge rules: when two copies are one article (pure functions)
    overrides   manual merges and splits
    queries     reading articles, backfed comments and what fetching needs
    claims      several fetch workers on one PostgreSQL archive: rounds, leases
    copy        copy-archive: one archive copied whole into another, on either engine

The records it takes and gives are in syndicate.model.
"""

from __future__ import annotations

from pathlib import Path

from syndicate.archive.base import BUSY_SECONDS, COMMIT_GROUP_SIZE, now_utc
from syndicate.archive.claims import Claim, Claims, LeaseLost
from syndicate.archive.comment_feeds import CommentFeed, CommentFeedOutcome, CommentFeeds
from syndicate.archive.feeds import OWN_POSTS_FEED, FeedProfile, Subscriptions
from syndicate.archive.overrides import Overrides
from syndicate.archive.queries import Queries
from syndicate.archive.store import StoreResult, Storing
from syndicate.model import ArchivedComment, ArchivedCopy, Article, Feed, FeedComment, FeedEntry

CopyInput = FeedEntry  # what the archive stores as a copy: one entry of one feed
CommentInput = FeedComment

__all__ = [
    "BUSY_SECONDS",
    "COMMIT_GROUP_SIZE",
    "OWN_POSTS_FEED",
    "Archive",
    "ArchivedComment",
    "ArchivedCopy",
    "Article",
    "Claim",
    "CommentFeed",
    "CommentFeedOutcome",
    "CommentInput",
    "CopyInput",
    "Feed",
    "FeedComment",
    "FeedEntry",
    "FeedProfile",
    "LeaseLost",
    "StoreResult",
    "now_utc",
]


class Archive(Subscriptions, CommentFeeds, Storing, Overrides, Queries, Claims):
    """One open archive: a SQLite file's path, or a `postgresql://` URL. Not shared between
    threads: fetch in threads, store here."""

    def __init__(self, location: Path | str) -> None:
        # Read here, when the archive is opened, so that a test can shorten the wait.
        super().__init__(location, busy_seconds=BUSY_SECONDS)
