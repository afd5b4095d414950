"""What `build` takes from the archive: the archive's articles and, for each of our own posts,
the comments left on its copies elsewhere (backfeed), marked with the copy they came from."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from syndicate.aggregate import sync_own_posts
from syndicate.archive import Archive, from_iso
from syndicate.config import Settings
from syndicate.layout import Layout
from syndicate.model import Comment, CommentSource, Post

IN_MEMORY = Path(":memory:")


@dataclass(frozen=True)
class ArchiveView:
    articles: list[dict[str, Any]]  # as `archive --json` gives them, newest first
    texts: dict[int, tuple[str, str]]  # canonical copy id -> (summary_html, content_html)


def read_archive(settings: Settings, posts: Sequence[Post], *, limit: int) -> ArchiveView:
    """Sync our posts into the archive and read it back; with no archive file, our posts alone
    (in memory, so that a site that aggregates nothing gets no archive file)."""
    path = settings.archive if settings.archive.exists() else IN_MEMORY
    with Archive(path) as archive:
        sync_own_posts(archive, settings, posts)
        articles = archive.articles()
        texts = {
            article["copies"][0]["id"]: archive.copy_text(article["copies"][0]["id"])
            for article in articles[:limit]
        }
    return ArchiveView(articles, texts)


def with_backfed_comments(
    posts: Sequence[Post], articles: Sequence[dict[str, Any]], layout: Layout
) -> list[Post]:
    """Each own post with the comments of its copies elsewhere appended."""
    backfed: dict[str, list[Comment]] = {}
    for article in articles:
        own = next((copy for copy in article["copies"] if copy["own"]), None)
        if own is None:
            continue
        backfed[own["url"]] = [
            backfed_comment(record) for record in article["comments"] if not record["source_is_own"]
        ]
    result = []
    for post in posts:
        extra = backfed.get(layout.url(layout.post_page(post)), [])
        result.append(replace(post, comments=post.comments + tuple(extra)) if extra else post)
    return result


def backfed_comment(record: dict[str, Any]) -> Comment:
    key = f"{record['source_feed']}\n{record['guid']}".encode()
    return Comment(
        id="via-" + hashlib.sha1(key, usedforsecurity=False).hexdigest()[:12],
        author=record["author"],
        content_html=record["content_html"],
        published=from_iso(record["published"]),
        via=CommentSource(
            copy_url=record["source"],
            feed_url=record["source_feed"],
            feed_title=record["source_title"],
            comment_url=record["url"],
        ),
    )
