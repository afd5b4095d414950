"""The site's own posts in the archive: copies of a feed of kind 'own', which take part in
every merge (what the build shows of the archive starts here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

from syndicate.archive import Archive
from syndicate.archive.media import own_enclosures, own_image
from syndicate.config import Settings
from syndicate.dates import build_now
from syndicate.layout import Layout
from syndicate.model import OWN_POSTS_FEED, Comment, FeedComment, FeedEntry, Post
from syndicate.posts import load_posts
from syndicate.posts.schedule import scheduled


def sync_own_posts(
    archive: Archive,
    settings: Settings,
    posts: Iterable[Post] | None = None,
    *,
    full: Callable[[Post], Post] = lambda post: post,
) -> None:
    """The site's own posts (not its pages) take part in every merge, as copies of a feed of
    kind 'own'.

    Only posts whose file changed since they were last synced are stored again."""
    if posts is None:
        if not settings.posts.is_dir():
            return
        loaded = load_posts(
            settings.posts, zone=settings.zone, max_post_bytes=settings.max_post_bytes
        )
        due = scheduled(loaded.posts, now=build_now(), future=settings.future).due
        posts = [post for post in due if not post.page]  # a page of the site is no article
    layout = Layout.for_settings(settings)
    posts = list(posts)
    own = archive.feed(OWN_POSTS_FEED) or archive.ensure_feed(OWN_POSTS_FEED, kind="own")
    synced = archive.synced_digests(OWN_POSTS_FEED)
    changed = [
        full(post)
        for post in posts
        if not post.digest or synced.get(layout.post_id(post)) != post.digest
    ]
    if changed:
        copies = [own_copy(post, layout) for post in changed]
        archive.store_entries(own, copies, title=settings.title, site_url=settings.base_url)
    current = {layout.post_id(post) for post in posts}
    if set(synced) - current:
        archive.prune_copies(OWN_POSTS_FEED, current)
    for post in changed:
        copy_id = archive.copy_id(OWN_POSTS_FEED, layout.post_id(post))
        if copy_id is not None and post.comments:
            archive.store_comments(copy_id, (own_comment(post, c, layout) for c in post.comments))


def own_copy(post: Post, layout: Layout) -> FeedEntry:
    return FeedEntry(
        guid=layout.post_id(post),
        url=layout.url(layout.post_page(post)),
        title=post.title,
        author=post.author,
        published=post.published,
        updated=post.updated,
        summary_html=escape(post.summary, quote=False),
        content_html=post.content_html,
        source_digest=post.digest or None,
        enclosures=own_enclosures(post, layout),
        image_url=own_image(post, layout),
    )


def own_comment(post: Post, comment: Comment, layout: Layout) -> FeedComment:
    return FeedComment(
        guid=layout.comment_id(post, comment),
        author=comment.author,
        published=comment.published,
        url=layout.comment_url(post, comment),
        content_html=comment.content_html,
    )
