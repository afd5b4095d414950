"""Entries as a fetched feed gives them, for the archive's tests."""

from __future__ import annotations

from datetime import UTC, datetime

from syndicate.model import FeedEntry

WHEN = datetime(2024, 3, 1, 8, tzinfo=UTC)


def entry(
    guid: str, *, title: str | None = None, text: str = "", published: datetime = WHEN
) -> FeedEntry:
    """A one-paragraph entry of its own URL, title and (with `text`) more words."""
    return FeedEntry(
        guid=guid,
        url=f"https://{guid}.example/post",
        title=title or f"Post {guid}",
        author=None,
        published=published,
        updated=None,
        summary_html="",
        content_html=f"<p>{guid} {text}</p>" if text else f"<p>{guid}</p>",
    )
