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

The records it takes and gives are in syndicate.model. The names below are those of the
parts, imported when first asked for: a build of a site without an archive file needs only
OWN_POSTS_FEED and media.py, not the engines (the whole package took 20 ms to import, a
twentieth of a build after a one-post edit).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from syndicate.model import (
    OWN_POSTS_FEED,
    ArchivedComment,
    ArchivedCopy,
    Article,
    Feed,
    FeedComment,
    FeedEntry,
)

if TYPE_CHECKING:
    from syndicate.archive.archive import Archive
    from syndicate.archive.base import BUSY_SECONDS, COMMIT_GROUP_SIZE, now_utc
    from syndicate.archive.claims import Claim, LeaseLost
    from syndicate.archive.comment_feeds import CommentFeed, CommentFeedOutcome
    from syndicate.archive.feeds import FeedProfile
    from syndicate.archive.store import StoreResult

CopyInput = FeedEntry  # what the archive stores as a copy: one entry of one feed
CommentInput = FeedComment

_HOMES = {  # name -> the module it is defined in
    "Archive": "archive",
    "BUSY_SECONDS": "base",
    "COMMIT_GROUP_SIZE": "base",
    "now_utc": "base",
    "Claim": "claims",
    "LeaseLost": "claims",
    "CommentFeed": "comment_feeds",
    "CommentFeedOutcome": "comment_feeds",
    "FeedProfile": "feeds",
    "StoreResult": "store",
}


def __getattr__(name: str) -> object:
    """A part's name, imported on first use (then kept here: a test may set BUSY_SECONDS)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
