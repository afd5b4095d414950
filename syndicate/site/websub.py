"""WebSub publishing: tell the hub which feeds changed, and keep telling it until it has heard.

Changed feeds are recorded in the output folder (a build records them, `publish` pings them),
so a hub that is down, or a run killed mid-ping, only delays the news: the next run retries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from syndicate.site.writer import atomic_write

PENDING_FILE = ".syndicate-websub-pending.json"
FEED_SUFFIXES = (".xml", ".atom", ".json")
HUB_TIMEOUT = (5.0, 15.0)


@dataclass
class Notification:
    notified: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    still_pending: int = 0


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
        _save(folder, waiting + new)


def notify(folder: Path, hub: str, *, deadline: float = 60.0) -> Notification:
    """Ping the hub (hub.mode=publish) for each pending feed, each ping within `deadline`
    seconds in all; stop at the first connection failure (the hub is down: no point in one
    error per feed) and keep what is left."""
    import requests  # only to ping: a build records what changed without importing HTTP code

    from syndicate.aggregate.deadline import Deadline
    from syndicate.aggregate.http import new_session

    result = Notification()
    waiting = pending(folder)
    session = new_session()
    for index, url in enumerate(waiting):
        clock = Deadline(deadline)
        try:
            with clock.running():
                response = session.post(
                    hub, data={"hub.mode": "publish", "hub.url": url}, timeout=HUB_TIMEOUT
                )
            if clock.expired:
                raise requests.Timeout(f"no complete answer within {deadline:g} s")
        except requests.RequestException as exc:
            why = (
                f"no complete answer within the deadline, {deadline:g} s"
                if clock.expired
                else (type(exc).__name__)
            )
            result.errors.append(f"{hub}: cannot reach the hub ({why}); "
                                 f"{len(waiting) - index} feed(s) will be retried")  # fmt: skip
            result.still_pending = len(waiting) - index
            _save(folder, waiting[index:])
            return result
        if response.status_code >= 300:
            result.errors.append(f"{hub}: HTTP {response.status_code} for {url}; will retry")
        else:
            result.notified.append(url)
    remaining = [url for url in waiting if url not in set(result.notified)]
    result.still_pending = len(remaining)
    if remaining != waiting:
        _save(folder, remaining)
    return result


def _save(folder: Path, urls: list[str]) -> None:
    if urls:
        atomic_write(folder / PENDING_FILE, (json.dumps(urls, indent=0) + "\n").encode("utf-8"))
    else:
        (folder / PENDING_FILE).unlink(missing_ok=True)
