"""Records that flow from importers to renderers, and from feeds through the archive: frozen
dataclasses, no I/O."""

from __future__ import annotations

import copyreg
import operator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timezone
from typing import Any, TypeVar

_Record = TypeVar("_Record")


def pickled_by_fields(cls: type[_Record]) -> type[_Record]:
    """A frozen slotted record pickled as the tuple of its fields, read by one attrgetter and
    set back in one loop: dataclasses' own __getstate__ and __setstate__ call fields() for
    each record (posts and comments cross to worker processes and the post cache many times a
    build: a quarter of their pickling time). The state is the same values in the same
    order, so records pickled either way read back."""
    names = tuple(field.name for field in fields(cls))  # type: ignore[arg-type]
    state_of = operator.attrgetter(*names)
    set_field = object.__setattr__

    def getstate(self: Any) -> tuple[Any, ...]:
        return state_of(self)  # type: ignore[no-any-return]

    def setstate(self: Any, state: tuple[Any, ...] | list[Any]) -> None:
        for name, value in zip(names, state, strict=True):
            set_field(self, name, value)

    setattr(cls, "__getstate__", getstate)  # noqa: B010 (mypy refuses a method assigned)
    setattr(cls, "__setstate__", setstate)  # noqa: B010
    return cls


def _timezone_reduced(zone: timezone) -> tuple[type[timezone], tuple[object, ...]]:
    """A fixed-offset time zone pickled by the arguments that make it again: tzinfo's own
    reduction also asks for its state, which calls copyreg._slotnames each time (a C type
    cannot cache the answer). Every date a post or comment gives with its offset carries one:
    a third of a parsed post's pickling time. The same pickle bytes, read back the same."""
    return timezone, zone.__getinitargs__()  # type: ignore[attr-defined]


copyreg.pickle(timezone, _timezone_reduced)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Comment:
    """A reader's comment on a post. `content_html` is already sanitised."""

    id: str
    author: str
    content_html: str
    published: datetime | None = None
    author_url: str | None = None
    in_reply_to: str | None = None  # the parent comment's id, None for a top-level comment
    likes: int = 0
    via: CommentSource | None = None  # set when the comment was left on a copy elsewhere
    kind: str = "comment"  # or "pingback", "trackback": another site linking to the post


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class CommentSource:
    """The copy of a post, on another site, that a backfed comment was left on."""

    copy_url: str
    feed_url: str
    feed_title: str | None = None
    comment_url: str | None = None  # the comment itself on that site, when known


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Enclosure:
    """A media file that a post carries (RSS <enclosure>, Atom rel="enclosure", JSON Feed
    attachment). `url` is absolute, or relative to the post's page when `local_file` names
    the file beside the post (relative to the post file's folder) that is copied next to it."""

    url: str
    length: int  # bytes; 0 when unknown (RSS requires the attribute)
    media_type: str
    local_file: str | None = None
    duration: int | None = None  # seconds (itunes:duration)
    title: str | None = None

    def to_json(self) -> dict[str, object]:
        """As `archive --json` prints a copy's enclosure: its type None when unknown (an
        enclosure of another site's feed is kept with "" when the feed gave no valid type)."""
        return {
            "url": self.url,
            "length": self.length,
            "type": self.media_type or None,
            "duration": self.duration,
        }


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Episode:
    """What a podcast episode says beyond its enclosure (Apple's and Podcasting 2.0's tags)."""

    episode: int | None = None
    season: int | None = None
    episode_type: str | None = None  # full, trailer, bonus
    explicit: bool | None = None  # None: the show's setting
    image: str | None = None
    duration: int | None = None  # seconds, when the enclosure does not say


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Show:
    """A podcast's channel, from the [podcast] settings."""

    author: str | None
    owner: str | None
    email: str | None
    image: str | None  # absolute URL
    categories: tuple[str, ...]
    explicit: bool
    show_type: str  # episodic or serial


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Post:
    """A stored post as an importer read it; what the renderers need and nothing else."""

    source: str  # the post file, named as the loader found it (a str: a Path takes 500 bytes)
    title: str
    slug: str
    published: datetime
    content_html: str
    summary: str = ""
    # True when `summary` is the body's own lead (its first paragraph, or the text before a
    # <!--more--> marker): a page shows the body alone, not the same words twice.
    summary_is_lead: bool = False
    updated: datetime | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    id: str | None = None  # an explicit, durable id from the post itself
    comments: tuple[Comment, ...] = ()
    declared_comment_count: int | None = None
    draft: bool = False
    page: bool = False  # a page of the site ("About"): its own page, in no feed or post list
    # Front matter `url`: the post's own path under the base URL ("/2019/05/hello/", its old
    # WordPress permalink), which wins over [site] permalink for this post.
    url_path: str | None = None
    site_name: str | None = None  # the site the export says it came from
    digest: str = ""  # identifies this version of the source file (set by the loader)
    content_deferred: bool = False  # HTML and own comments left out: PostCache.full() loads them
    # What a post loaded without its own comments keeps of them: when each was left (POSIX
    # time; None when undated), which is all that lists of posts and comments need. `comments`
    # then holds only those added after loading (backfed from copies elsewhere).
    deferred_comment_times: tuple[float | None, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    episode: Episode | None = None
    # Files beside the post that it links to (relative links, a local enclosure): paths
    # relative to the post file's folder, copied next to the post's page.
    local_files: tuple[str, ...] = ()
    # The size and modification time of each of them when the post was read (set by the
    # loader): a file changed beside an unchanged post makes the post read again (its
    # enclosure's length) and its version differ.
    local_version: str = ""

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.published

    @property
    def comment_count(self) -> int:
        return len(self.deferred_comment_times) + len(self.comments)

    def comment_times(self) -> list[float | None]:
        """When each comment was left, in the order of the full post's `comments`."""
        added = (c.published.timestamp() if c.published else None for c in self.comments)
        return [*self.deferred_comment_times, *added]


# -- what feeds bring and the archive keeps ----------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of one feed: as a fetch parsed it (HTML sanitised, URLs absolute), or one
    of our own posts as its copy. What the archive stores as a copy."""

    guid: str
    url: str | None
    title: str
    author: str | None
    published: datetime | None
    updated: datetime | None
    summary_html: str
    content_html: str
    origin_urls: tuple[str, ...] = ()  # articles this entry says it is a copy of
    source_urls: tuple[str, ...] = ()  # feeds or sites it says it came from (RSS/atom source)
    comments_feed_url: str | None = None
    comment_count: int | None = None  # as the feed gives it (slash:comments, thr:total)
    source_digest: str | None = None  # our own posts: the version of the post file
    # Media files (RSS <enclosure>, Atom rel="enclosure", JSON Feed attachments): URLs
    # absolute http(s), `media_type` "" when the feed gave none that looks like one.
    enclosures: tuple[Enclosure, ...] = ()
    image_url: str | None = None  # the entry's own image (itunes:image, JSON Feed `image`)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FeedComment:
    """One comment as a comment feed gives it (`content_html` sanitised as a stranger's HTML),
    or one of our own posts' comments as the archive stores it."""

    guid: str
    author: str
    published: datetime | None
    url: str | None
    content_html: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Feed:
    """A subscription (kind "feed"), or the feed our own posts are copies of (kind "own").
    Its dates are ISO 8601 text in UTC, as stored."""

    id: int
    url: str
    name: str | None
    title: str | None
    kind: str
    etag: str | None
    last_modified: str | None
    last_fetched: str | None
    last_status: int | None
    failures: int
    next_due: str | None
    last_error: str | None
    gone: str | None

    def to_json(self) -> dict[str, object]:
        """As `subscriptions --json` prints it: every field, in order."""
        return asdict(self)


OWN_POSTS_FEED = "urn:syndicate:own-posts"  # the feed our own posts are copies of (feed_url)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ArchivedCopy:
    """One copy of an archived article: one entry of one feed (ours, for our own posts), and
    why it was put in its article (`merge_rule`: "link", "content", "manual" or None for the
    copy that started the article)."""

    id: int
    guid: str
    url: str | None
    feed_url: str
    feed_title: str | None
    title: str
    published: datetime | None  # in UTC
    own: bool
    merge_rule: str | None
    merge_evidence: str | None
    enclosures: tuple[Enclosure, ...] = ()  # as FeedEntry's
    image_url: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "guid": self.guid,
            "url": self.url,
            "feed": self.feed_url,
            "feed_title": self.feed_title,
            "title": self.title,
            "published": _iso(self.published),
            "own": self.own,
            "merge_rule": self.merge_rule,
            "merge_evidence": self.merge_evidence,
            "enclosures": [enclosure.to_json() for enclosure in self.enclosures],
            "image": self.image_url,
        }


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ArchivedComment:
    """A comment left on one copy of an article; `source` is that copy's URL (its feed's
    when it has none)."""

    guid: str
    author: str
    published: datetime | None  # in UTC
    url: str | None
    content_html: str
    source: str
    source_feed: str
    source_title: str | None
    source_is_own: bool

    def to_json(self) -> dict[str, object]:
        return {
            "author": self.author,
            "published": _iso(self.published),
            "source": self.source,
            "source_feed": self.source_feed,
            "source_title": self.source_title,
            "source_is_own": self.source_is_own,
            "guid": self.guid,
            "url": self.url,
            "content_html": self.content_html,
        }


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Article:
    """An archived article: every copy of it, the canonical one first (our own post; else the
    copy the others name as their origin; else the earliest), and the comments of them all."""

    id: int
    title: str  # the canonical copy's
    published: datetime | None  # the canonical copy's, in UTC
    copies: tuple[ArchivedCopy, ...]
    comments: tuple[ArchivedComment, ...] = ()

    @property
    def canonical(self) -> ArchivedCopy:
        return self.copies[0]

    def to_json(self) -> dict[str, object]:
        """As `archive --json` prints it (the schema in the README)."""
        return {
            "id": self.id,
            "title": self.title,
            "published": _iso(self.published),
            "copies": [copy.to_json() for copy in self.copies],
            "comments": [comment.to_json() for comment in self.comments],
        }


def _iso(moment: datetime | None) -> str | None:
    """A date as the archive stores it: ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat() if moment else None
