"""A copy's media files as the archive keeps them: a JSON array in `copies.enclosures` (as
reader keeps an entry's enclosures), NULL when there are none; and our own posts' media
files as their copies carry them.

The text is written one way for one list (keys in order, no spaces), so that storing a copy
again with the same files compares equal to what is stored: a re-fetch of an unchanged
podcast changes nothing."""

from __future__ import annotations

import json
from urllib.parse import urljoin

from syndicate.layout import Layout
from syndicate.model import Enclosure, Post


def enclosures_text(enclosures: tuple[Enclosure, ...]) -> str | None:
    """The column's value: `[{url, length, type, duration}, ...]`, as `archive --json` shows
    them (a title or a file beside one of our posts is not kept)."""
    if not enclosures:
        return None
    shown = [enclosure.to_json() for enclosure in enclosures]
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))


def enclosures_of(text: str | None) -> tuple[Enclosure, ...]:
    """The column read back; what is not a list of such objects reads as no enclosures."""
    if not text:
        return ()
    try:
        listed = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(listed, list):
        return ()
    return tuple(found for item in listed if (found := _enclosure(item)) is not None)


def _enclosure(item: object) -> Enclosure | None:
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        return None
    length, kind, duration = item.get("length"), item.get("type"), item.get("duration")
    return Enclosure(
        url=item["url"],
        length=length if isinstance(length, int) else 0,
        media_type=kind if isinstance(kind, str) else "",
        duration=duration if isinstance(duration, int) else None,
    )


# -- our own posts ------------------------------------------------------------------------------


def own_enclosures(post: Post, layout: Layout) -> tuple[Enclosure, ...]:
    """A post's media files as its copy carries them, as the post's own feeds give them: URLs
    absolute (a file beside the post is served beside its page), the first one lasting as
    long as the episode says when it does not say itself."""
    episode_duration = post.episode.duration if post.episode is not None else None
    return tuple(
        Enclosure(
            url=_absolute(post, layout, enclosure.url),
            length=enclosure.length,
            media_type=enclosure.media_type,
            duration=episode_duration
            if position == 0 and enclosure.duration is None
            else enclosure.duration,
        )
        for position, enclosure in enumerate(post.enclosures)
    )


def own_image(post: Post, layout: Layout) -> str | None:
    """The episode's picture, absolute."""
    image = post.episode.image if post.episode is not None else None
    return _absolute(post, layout, image) if image else None


def _absolute(post: Post, layout: Layout, url: str) -> str:
    """As render.feeds.post_media_url: relative to the post's page, or a path on the site."""
    return urljoin(layout.url(layout.post_folder(post)), url)
