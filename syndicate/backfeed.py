"""What `build` takes from the archive: its newest articles (for the archive feeds) and, for each
of our own posts, the comments left on its copies elsewhere (backfeed), marked with the copy
they came from. A site with no archive file gets its archive feeds from its own posts alone.

What the archive gives back carries the credentials of a subscription behind a password
(`https://user:secret@host/feed`): in the copies' feed URLs, and in every link resolved
against one. The build, and the listings, see it only through `Redaction`."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any
from urllib.parse import urlsplit

from syndicate.archive import OWN_POSTS_FEED, Archive, Feed, from_iso, iso
from syndicate.config import Settings
from syndicate.layout import Layout
from syndicate.model import Comment, CommentSource, Post
from syndicate.urls import without_userinfo

FullPost = Callable[[Post], Post]  # brings a post's HTML when the loader left it out


@dataclass(frozen=True)
class ArchiveView:
    articles: list[dict[str, Any]] = field(default_factory=list)  # newest first, as --json
    texts: Mapping[int, tuple[str, str]] = field(default_factory=dict)  # copy id -> (summary, html)
    backfed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # own page URL ->
    key: str = ""  # what the articles' texts come from, when known without reading them


def read_archive(
    settings: Settings, posts: Sequence[Post], *, limit: int, full: FullPost
) -> ArchiveView:
    """Sync our posts into the archive and read back what the build needs."""
    layout = Layout.for_settings(settings)
    if not settings.archive.exists():
        return own_posts_view(posts, layout, limit=limit, full=full)
    from syndicate.aggregate import sync_own_posts  # fetching code, only for archive users

    with Archive(settings.archive) as archive:
        sync_own_posts(archive, settings, posts, full=full)
        articles = archive.articles(limit=limit)
        texts = {a["copies"][0]["id"]: archive.copy_text(a["copies"][0]["id"]) for a in articles}
        backfed = archive.backfed_comments()
    public = Redaction.of(articles, *backfed.values(), show=without_userinfo)
    return ArchiveView(
        public.articles(articles),
        {
            copy: (public.text(summary), public.text(html))
            for copy, (summary, html) in texts.items()
        },
        {page: public.comments(records) for page, records in backfed.items()},
    )


def own_posts_view(
    posts: Sequence[Post], layout: Layout, *, limit: int, full: FullPost
) -> ArchiveView:
    """The archive of a site that follows no one: one article per post, one copy each."""
    newest = heapq.nlargest(limit, posts, key=lambda post: (post.published.timestamp(), post.slug))
    articles: list[dict[str, Any]] = []
    texts = LazyTexts(full)
    for number, post in enumerate(newest, start=1):
        url = layout.url(layout.post_page(post))
        articles.append(
            {
                "id": number,
                "title": post.title,
                "published": iso(post.published),
                "copies": [
                    {
                        "id": number, "guid": layout.post_id(post), "url": url,
                        "feed": OWN_POSTS_FEED, "feed_title": None, "title": post.title,
                        "published": iso(post.published), "own": True, "merge_rule": None,
                        "merge_evidence": None,
                    }
                ],
                "comments": [],
            }
        )  # fmt: skip
        texts.posts[number] = post
    return ArchiveView(articles, texts, key=repr([post.digest for post in newest]))


class LazyTexts(Mapping[int, tuple[str, str]]):
    """Copy id -> (summary, html), reading a post's HTML only when a feed asks for it."""

    def __init__(self, full: FullPost) -> None:
        self.full = full
        self.posts: dict[int, Post] = {}

    def __getitem__(self, key: int) -> tuple[str, str]:
        post = self.posts[key]
        return (escape(post.summary, quote=False), self.full(post).content_html)

    def __iter__(self) -> Iterator[int]:
        return iter(self.posts)

    def __len__(self) -> int:
        return len(self.posts)


def with_backfed_comments(
    posts: Sequence[Post], backfed: dict[str, list[dict[str, Any]]], layout: Layout
) -> list[Post]:
    """Each own post with the comments of its copies elsewhere appended."""
    if not backfed:
        return list(posts)
    result = []
    for post in posts:
        records = backfed.get(layout.url(layout.post_page(post)), [])
        extra = tuple(backfed_comment(record) for record in records)
        result.append(replace(post, comments=post.comments + extra) if extra else post)
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


# The fields of the archive's records (articles(), backfed_comments(), Feed) that hold a URL,
# and those that hold HTML or text, which may quote one.
URL_FIELDS = ("url", "feed", "source", "source_feed")
TEXT_FIELDS = ("content_html", "merge_evidence", "last_error")


@dataclass(frozen=True)
class Redaction:
    """Takes the credentials of subscription URLs out of what the archive gives back.

    Every URL goes through `show`: `urls.without_userinfo` for the files others read (the
    archive feeds, the pages), `urls.hide_password` for a person (`archive`, `subscriptions`).
    In HTML and text, each `//user:secret@` that one of the URLs carries is replaced as `show`
    replaces it: feedparser resolved the entries' relative links against the feed's own URL,
    credentials included. Article and comment ids come from the redacted URLs, so that no
    published id is a hash of a password (one to guess offline)."""

    show: Callable[[str], str]
    userinfo: Mapping[str, str] = field(default_factory=dict)  # "//user:secret@" -> shown

    @classmethod
    def of(cls, *records: Sequence[Mapping[str, Any]], show: Callable[[str], str]) -> Redaction:
        """For the credentials of every URL in these records (and the copies of articles)."""
        urls = {
            value
            for group in records
            for record in group
            for item in (record, *record.get("copies", ()), *record.get("comments", ()))
            for key in URL_FIELDS
            if isinstance(value := item.get(key), str)
        }
        return cls.of_urls(urls, show=show)

    @classmethod
    def of_urls(cls, urls: Iterable[str], *, show: Callable[[str], str]) -> Redaction:
        userinfo: dict[str, str] = {}
        for url in urls:
            secret = urlsplit(url).netloc.rpartition("@")[0]
            shown = urlsplit(show(url)).netloc.rpartition("@")[0]
            if secret != shown:
                userinfo[f"//{secret}@"] = f"//{shown}@" if shown else "//"
        return cls(show, userinfo)

    def url(self, url: Any) -> Any:
        return self.show(url) if isinstance(url, str) else url

    def text(self, text: Any) -> Any:
        if not isinstance(text, str) or not self.userinfo:
            return text
        for secret, shown in self.userinfo.items():
            text = text.replace(secret, shown).replace(escape(secret), escape(shown))
        return text

    def record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return {
            key: self.url(value) if key in URL_FIELDS else
            self.text(value) if key in TEXT_FIELDS else value
            for key, value in record.items()
        }  # fmt: skip

    def comments(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.record(record) for record in records]

    def articles(self, articles: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                **self.record(article),
                "copies": self.comments(article["copies"]),
                "comments": self.comments(article["comments"]),
            }
            for article in articles
        ]

    def feed(self, feed: Feed) -> Feed:
        return replace(feed, url=self.show(feed.url), last_error=self.text(feed.last_error))
