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
from datetime import UTC
from html import escape
from urllib.parse import urlsplit

from syndicate.archive.media import own_enclosures, own_image
from syndicate.config import Settings
from syndicate.layout import Layout
from syndicate.model import (
    OWN_POSTS_FEED,
    ArchivedComment,
    ArchivedCopy,
    Article,
    Comment,
    CommentSource,
    Feed,
    Post,
)
from syndicate.urls import without_userinfo

FullPost = Callable[[Post], Post]  # brings a post's HTML when the loader left it out


@dataclass(frozen=True)
class ArchiveView:
    articles: list[Article] = field(default_factory=list)  # newest first
    texts: Mapping[int, tuple[str, str]] = field(default_factory=dict)  # copy id -> (summary, html)
    backfed: dict[str, list[ArchivedComment]] = field(default_factory=dict)  # own page URL ->
    key: str = ""  # what the articles' texts come from, when known without reading them


def read_archive(
    settings: Settings, posts: Sequence[Post], *, limit: int, full: FullPost
) -> ArchiveView:
    """Sync our posts into the archive and read back what the build needs."""
    layout = Layout.for_settings(settings)
    if not settings.archive.exists():
        return own_posts_view(posts, layout, limit=limit, full=full)
    from syndicate.archive import Archive
    from syndicate.archive.own_posts import sync_own_posts

    with Archive(settings.archive) as archive:
        sync_own_posts(archive, settings, posts, full=full)
        articles = archive.articles(limit=limit)
        texts = {a.canonical.id: archive.copy_text(a.canonical.id) for a in articles}
        backfed = archive.backfed_comments()
    backfed_comments = [comment for comments in backfed.values() for comment in comments]
    public = Redaction.of(articles, backfed_comments, show=without_userinfo)
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
    articles: list[Article] = []
    texts = LazyTexts(full)
    for number, post in enumerate(newest, start=1):
        published = post.published.astimezone(UTC)  # as the archive gives dates
        copy = ArchivedCopy(
            id=number,
            guid=layout.post_id(post),
            url=layout.url(layout.post_page(post)),
            feed_url=OWN_POSTS_FEED,
            feed_title=None,
            title=post.title,
            published=published,
            own=True,
            merge_rule=None,
            merge_evidence=None,
            enclosures=own_enclosures(post, layout),
            image_url=own_image(post, layout),
        )
        articles.append(Article(id=number, title=post.title, published=published, copies=(copy,)))
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
    posts: Sequence[Post], backfed: Mapping[str, Sequence[ArchivedComment]], layout: Layout
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


def backfed_comment(record: ArchivedComment) -> Comment:
    key = f"{record.source_feed}\n{record.guid}".encode()
    return Comment(
        id="via-" + hashlib.sha1(key, usedforsecurity=False).hexdigest()[:12],
        author=record.author,
        content_html=record.content_html,
        published=record.published,
        via=CommentSource(
            copy_url=record.source,
            feed_url=record.source_feed,
            feed_title=record.source_title,
            comment_url=record.url,
        ),
    )


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
    def of(
        cls,
        articles: Iterable[Article],
        comments: Iterable[ArchivedComment] = (),
        *,
        show: Callable[[str], str],
    ) -> Redaction:
        """For the credentials of every URL in these articles (their copies and comments) and
        comments."""
        articles = list(articles)
        every_comment = [*comments, *(c for article in articles for c in article.comments)]
        urls = {
            *(url for article in articles for copy in article.copies for url in copy_urls(copy)),
            *(url for comment in every_comment for url in comment_urls(comment)),
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

    def url(self, url: str | None) -> str | None:
        return self.show(url) if url is not None else None

    def text(self, text: str) -> str:
        for secret, shown in self.userinfo.items():
            text = text.replace(secret, shown).replace(escape(secret), escape(shown))
        return text

    def some_text(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def copy(self, copy: ArchivedCopy) -> ArchivedCopy:
        return replace(
            copy,
            url=self.url(copy.url),
            feed_url=self.show(copy.feed_url),
            merge_evidence=self.some_text(copy.merge_evidence),
        )

    def comment(self, comment: ArchivedComment) -> ArchivedComment:
        return replace(
            comment,
            url=self.url(comment.url),
            source=self.show(comment.source),
            source_feed=self.show(comment.source_feed),
            content_html=self.text(comment.content_html),
        )

    def comments(self, comments: Iterable[ArchivedComment]) -> list[ArchivedComment]:
        return [self.comment(comment) for comment in comments]

    def articles(self, articles: Iterable[Article]) -> list[Article]:
        return [
            replace(
                article,
                copies=tuple(self.copy(copy) for copy in article.copies),
                comments=tuple(self.comment(comment) for comment in article.comments),
            )
            for article in articles
        ]

    def feed(self, feed: Feed) -> Feed:
        return replace(feed, url=self.show(feed.url), last_error=self.some_text(feed.last_error))


def copy_urls(copy: ArchivedCopy) -> list[str]:
    return [url for url in (copy.url, copy.feed_url) if url is not None]


def comment_urls(comment: ArchivedComment) -> list[str]:
    return [url for url in (comment.url, comment.source, comment.source_feed) if url is not None]
