"""WebSub publishing: tell the hub which feeds changed, and keep telling it until it has heard.

Changed feeds are recorded in the output folder (a build records them, `publish` pings them),
so a hub that is down, or a run killed mid-ping, only delays the news: the next run retries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from syndicate import layout as paths
from syndicate.files import atomic_write

PENDING_FILE = ".syndicate-websub-pending.json"
FEED_SUFFIXES = (".xml", ".atom", ".json")
POST_FEEDS = (paths.COMMENTS_RSS, paths.COMMENTS_ATOM)  # the feeds in a post's folder


def feed_paths(written: Iterable[str]) -> list[str]:
    """The feeds among written files: not pages, not syndicate's own dotfiles, not the
    sitemaps, and in a post's folder its comment feeds alone (the files beside a post that
    are copied there may be XML or JSON too, and are no feeds of ours)."""
    return [path for path in written if is_feed(PurePosixPath(path))]


def is_feed(path: PurePosixPath) -> bool:
    if path.suffix not in FEED_SUFFIXES or path.name.startswith("."):
        return False
    if path.parts[0] == "posts":
        return len(path.parts) == 3 and path.name in POST_FEEDS
    return not (len(path.parts) == 1 and path.name.startswith("sitemap"))


def pending(folder: Path) -> list[str]:
    try:
        listed = json.loads((folder / PENDING_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return [url for url in listed if isinstance(url, str)] if isinstance(listed, list) else []


def record_changed(folder: Path, urls: Iterable[str]) -> None:
    """Add feeds whose bytes changed to those the hub has not heard of yet."""
    waiting = pending(folder)
    new = [url for url in urls if url not in waiting]
    if new:
        save(folder, waiting + new)


def save(folder: Path, urls: list[str]) -> None:
    if urls:
        atomic_write(folder / PENDING_FILE, (json.dumps(urls, indent=0) + "\n").encode("utf-8"))
    else:
        (folder / PENDING_FILE).unlink(missing_ok=True)
