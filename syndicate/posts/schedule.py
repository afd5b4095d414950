"""Scheduled posts: a post dated after the build's now waits, held back from every feed, page
and index, until a build after its date publishes it (as Hugo's buildFuture = false and
Jekyll's future: false do)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from syndicate.model import Post


@dataclass(frozen=True)
class Schedule:
    """The posts due now, and those that wait (soonest first)."""

    due: list[Post] = field(default_factory=list)
    waiting: list[Post] = field(default_factory=list)

    @property
    def next_due(self) -> datetime | None:
        return self.waiting[0].published if self.waiting else None


def scheduled(posts: Sequence[Post], *, now: datetime, future: bool = False) -> Schedule:
    """Split `posts` by their date; with `future` (previews) every post is due."""
    if future:
        return Schedule(list(posts))
    due = [post for post in posts if post.published <= now]
    waiting = sorted(
        (post for post in posts if post.published > now),
        key=lambda post: (post.published, post.slug),
    )
    return Schedule(due, waiting)
