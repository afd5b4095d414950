"""A post's comments as its feeds and its page show them: newest first for the feeds, threads
as deep as a page nests them, each reply with the comment it answers; linear in the comments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from syndicate.model import Comment, Post
from syndicate.render.feeds import CommentItem

# A reply nested deeper shows on the page at this depth: the page's template nests by
# recursion, and a chain of 3,000 replies exceeded Python's recursion limit.
PAGE_THREAD_DEPTH = 32


def comment_time(post: Post, comment: Comment) -> float:
    return (comment.published or post.last_modified).timestamp()


def comment_items(post: Post, *, limit: int | None = None) -> list[CommentItem]:
    """The post's comments (the newest `limit`), newest first; undated ones count as of the
    post's date."""
    ordered = sorted(
        enumerate(post.comments),
        key=lambda pair: (comment_time(post, pair[1]), pair[0]),
        reverse=True,
    )
    by_id = comments_by_id(post)
    return [comment_item(post, comment, by_id) for _, comment in ordered[:limit]]


def page_threads(post: Post) -> Post:
    """The post as its page shows its threads: a reply nested deeper than PAGE_THREAD_DEPTH
    shows as a reply to its ancestor at that depth (as WordPress shows replies beyond its
    thread depth), and of a loop of replies (which no thread reaches) the first comment shows
    at the top. The comment feeds keep every reply's own parent. One pass: each comment's
    depth is worked out once, walking up only to a comment already placed."""
    by_id = comments_by_id(post)
    depth: dict[str, int] = {}  # 1 for a top-level comment
    anchor: dict[str, str] = {}  # a comment at least PAGE_THREAD_DEPTH deep -> its ancestor there
    shown: dict[str, str | None] = {}  # the parent the page shows, where it is not its own
    for comment in post.comments:
        chain: list[Comment] = []
        on_chain: set[str] = set()
        current: Comment | None = comment
        while current is not None and current.id not in depth and current.id not in on_chain:
            chain.append(current)
            on_chain.add(current.id)
            current = by_id.get(current.in_reply_to) if current.in_reply_to else None
        above = current if current is not None and current.id in depth else None
        in_loop = current is not None and above is None
        for link in reversed(chain):
            if above is None:
                depth[link.id] = 1
                if in_loop:
                    shown[link.id], in_loop = None, False
            else:
                depth[link.id] = depth[above.id] + 1
                if depth[link.id] > PAGE_THREAD_DEPTH:
                    shown[link.id] = anchor[link.id] = anchor[above.id]
            if depth[link.id] == PAGE_THREAD_DEPTH:
                anchor[link.id] = link.id
            above = link
    if not shown:
        return post
    comments = tuple(
        replace(c, in_reply_to=shown[c.id]) if c.id in shown else c for c in post.comments
    )
    return replace(post, comments=comments)


def comments_by_id(post: Post) -> dict[str, Comment]:
    """The post's comments by id (the first of any that share one), to find a reply's parent
    without a pass over every comment for each reply."""
    return {comment.id: comment for comment in reversed(post.comments)}


def comment_item(post: Post, comment: Comment, by_id: dict[str, Comment]) -> CommentItem:
    """A comment with its post and, for a reply, the comment it replies to."""
    parent = by_id.get(comment.in_reply_to) if comment.in_reply_to else None
    return CommentItem(post, comment, parent)


def newest_date(items: Sequence[CommentItem]) -> datetime | None:
    dates = [item.comment.published or item.post.last_modified for item in items]
    return max(dates) if dates else None
