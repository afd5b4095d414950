"""What the archive gives back are frozen records (syndicate.model), which print as the
`archive --json` schema has always been; a fetched entry and a stored copy are one record."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.aggregate import parse
from syndicate.archive import Archive, CommentInput, CopyInput
from syndicate.model import ArchivedComment, ArchivedCopy, Article, FeedComment, FeedEntry
from syndicate.site.backfeed import Redaction
from syndicate.urls import hide_password, without_userinfo
from tests.archive.entries import entry as shared_entry

WHEN = datetime(2024, 3, 1, 8, 30, 15, 250000, tzinfo=UTC)
USER, SECRET = "reader", "s3cret"


def with_credentials(url: str) -> str:
    return url.replace("://", f"://{USER}:{SECRET}@", 1)


def test_a_parsed_entry_is_the_copy_the_archive_stores() -> None:
    assert parse.ParsedEntry is CopyInput is FeedEntry
    assert parse.ParsedComment is CommentInput is FeedComment


def test_the_records_are_frozen(archive_location: Path | str) -> None:
    with Archive(archive_location) as archive:
        feed = archive.subscribe("https://x.example/feed")
        archive.store_entries(feed, [entry("a")])
        (article,) = archive.articles()
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.title = "changed"  # type: ignore[misc]
    assert isinstance(article.copies, tuple) and isinstance(article.comments, tuple)


def entry(guid: str) -> FeedEntry:
    return shared_entry(guid, published=WHEN)


def test_records_print_as_the_archive_json_schema(archive_location: Path | str) -> None:
    with Archive(archive_location) as archive:
        feed = archive.subscribe("https://x.example/feed", name="X")
        archive.store_entries(feed, [entry("a")])
        copy_id = archive.copy_id(feed.url, "a")
        assert copy_id is not None
        comment = FeedComment(guid="c", author="Ann", published=WHEN, url=None, content_html="Hi")
        archive.store_comments(copy_id, [comment])
        (article,) = archive.articles()
    printed = json.loads(json.dumps(article.to_json()))
    assert list(printed) == ["id", "title", "published", "copies", "comments"]
    assert printed["published"] == "2024-03-01T08:30:15.250000+00:00"  # as it is stored
    (copy,) = printed["copies"]
    assert list(copy.items()) == [  # in this order
        ("id", copy_id),
        ("guid", "a"),
        ("url", "https://a.example/post"),
        ("feed", "https://x.example/feed"),
        ("feed_title", "X"),
        ("title", "Post a"),
        ("published", "2024-03-01T08:30:15.250000+00:00"),
        ("own", False),
        ("merge_rule", None),
        ("merge_evidence", None),
        ("enclosures", []),
        ("image", None),
    ]
    (said,) = printed["comments"]
    assert list(said) == [
        "author",
        "published",
        "source",
        "source_feed",
        "source_title",
        "source_is_own",
        "guid",
        "url",
        "content_html",
    ]
    assert said["source"] == "https://a.example/post" and said["source_title"] == "X"


def test_a_redaction_takes_userinfo_out_of_urls_and_html() -> None:
    """(As tests/aggregate/test_credentials.py had it for the archive's old dictionaries.)"""
    feed = with_credentials("http://example.org/feed")
    article = Article(
        id=1,
        title="Hello",
        published=None,
        copies=(
            ArchivedCopy(
                id=1,
                guid="g",
                url=with_credentials("http://example.org/hello"),
                feed_url=feed,
                feed_title=None,
                title="Hello",
                published=None,
                own=False,
                merge_rule="link",
                merge_evidence=f"links to {feed}",
            ),
        ),
        comments=(
            ArchivedComment(
                guid="c",
                author="Ann",
                published=None,
                url=None,
                content_html=f'<a href="{with_credentials("http://example.org/x")}">'
                f"see http://{USER}:{SECRET}@example.org/y</a>",
                source=with_credentials("http://example.org/hello"),
                source_feed=feed,
                source_title=None,
                source_is_own=False,
            ),
        ),
    )
    (public,) = Redaction.of([article], show=without_userinfo).articles([article])
    assert public.copies[0].url == "http://example.org/hello"
    assert public.copies[0].feed_url == "http://example.org/feed"
    assert public.copies[0].merge_evidence == "links to http://example.org/feed"
    assert public.comments[0].source == "http://example.org/hello"
    assert public.comments[0].content_html == (
        '<a href="http://example.org/x">see http://example.org/y</a>'
    )
    (shown,) = Redaction.of([article], show=hide_password).articles([article])
    assert shown.copies[0].feed_url == f"http://{USER}:***@example.org/feed"
    assert f"http://{USER}:***@example.org/y" in shown.comments[0].content_html
    assert article.copies[0].feed_url == feed  # the records themselves are left alone
