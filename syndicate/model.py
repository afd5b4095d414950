"""Records that flow from importers to renderers: frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


@dataclass(frozen=True, slots=True)
class CommentSource:
    """The copy of a post, on another site, that a backfed comment was left on."""

    copy_url: str
    feed_url: str
    feed_title: str | None = None
    comment_url: str | None = None  # the comment itself on that site, when known


@dataclass(frozen=True, slots=True)
class Post:
    """A stored post as an importer read it; what the renderers need and nothing else."""

    source: str  # the post file, named as the loader found it (a str: a Path takes 500 bytes)
    title: str
    slug: str
    published: datetime
    content_html: str
    summary: str = ""
    updated: datetime | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    id: str | None = None  # an explicit, durable id from the post itself
    comments: tuple[Comment, ...] = ()
    declared_comment_count: int | None = None
    draft: bool = False
    site_name: str | None = None  # the site the export says it came from
    digest: str = ""  # identifies this version of the source file (set by the loader)
    content_deferred: bool = False  # HTML and own comments left out: PostCache.full() loads them
    # What a post loaded without its own comments keeps of them: when each was left (POSIX
    # time; None when undated), which is all that lists of posts and comments need. `comments`
    # then holds only those added after loading (backfed from copies elsewhere).
    deferred_comment_times: tuple[float | None, ...] = ()

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
