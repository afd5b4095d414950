"""WebSub publishing: tell the hub which feeds changed, and keep telling it until it has heard.

Changed feeds are recorded in the output folder (a build records them, `publish` pings them),
so a hub that is down, or a run killed mid-ping, only delays the news: the next run retries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from syndicate.files import atomic_write

PENDING_FILE = ".syndicate-websub-pending.json"
FEED_SUFFIXES = (".xml", ".atom", ".json")


def feed_paths(written: Iterable[str]) -> list[str]:
    """The feeds among written files (not pages, not syndicate's own dotfiles)."""
    return [
        path
        for path in written
        if PurePosixPath(path).suffix in FEED_SUFFIXES
        and not PurePosixPath(path).name.startswith(".")
    ]


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
