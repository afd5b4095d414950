"""`syndicate publish`: what cron runs. Fetch the subscriptions (when there are any), build,
and tell the WebSub hub which feeds changed, all under the output folder's lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.aggregate import FetchReport, fetch_all
from syndicate.archive import Archive
from syndicate.config import Settings
from syndicate.lock import output_lock
from syndicate.site import websub
from syndicate.site.build import build_site
from syndicate.site.report import BuildReport

HUB_TIMEOUT = (5.0, 15.0)  # connect, read; each ping also has the [fetch] deadline in all


@dataclass
class PublishReport:
    fetch: FetchReport | None = None
    build: BuildReport = field(default_factory=BuildReport)
    hub_notified: list[str] = field(default_factory=list)
    hub_errors: list[str] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        """A signal ended the fetch: what it fetched is stored, nothing was built."""
        return bool(self.fetch and self.fetch.stopped)

    @property
    def has_errors(self) -> bool:
        fetch_errors = bool(self.fetch and self.fetch.errors)
        return fetch_errors or bool(self.build.errors) or bool(self.hub_errors)


def publish(settings: Settings, *, stop: threading.Event | None = None) -> PublishReport:
    """One cron run. Raises LockedError at once when another run holds the lock. When `stop`
    is set during the fetch, what was fetched is stored and nothing is built (the next run
    builds)."""
    report = PublishReport()
    with output_lock(settings.output):
        report.fetch = fetch_subscriptions(settings, stop=stop)
        if report.stopped:
            return report
        report.build = build_site(settings, lock_held=True)  # records the changed feeds
        if settings.hub:
            notification = notify(settings.output, settings.hub, deadline=settings.deadline)
            report.hub_notified, report.hub_errors = notification.notified, notification.errors
    return report


def fetch_subscriptions(
    settings: Settings, *, stop: threading.Event | None = None
) -> FetchReport | None:
    """Fetch when there is an archive with subscriptions; a site that follows nothing skips it."""
    if not settings.archive.exists():
        return None
    with Archive(settings.archive) as archive:
        if not archive.feeds():
            return None
        return fetch_all(archive, settings, jobs=settings.jobs, stop=stop)


@dataclass
class Notification:
    notified: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    still_pending: int = 0


def notify(folder: Path, hub: str, *, deadline: float = 60.0) -> Notification:
    """Ping the hub (hub.mode=publish) for each pending feed, each ping within `deadline`
    seconds in all; stop at the first connection failure (the hub is down: no point in one
    error per feed) and keep what is left."""
    import requests  # only to ping: a build records what changed without importing HTTP code

    from syndicate.aggregate.deadline import Deadline
    from syndicate.aggregate.http import new_session

    result = Notification()
    waiting = websub.pending(folder)
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
            result.errors.append(
                f"{hub}: cannot reach the WebSub hub ({why}); "
                f"{len(waiting) - index} feed(s) will be retried"
            )
            result.still_pending = len(waiting) - index
            websub.save(folder, waiting[index:])
            return result
        if response.status_code >= 300:
            result.errors.append(
                f"{hub}: the WebSub hub answered HTTP {response.status_code} for {url}; will retry"
            )
        else:
            result.notified.append(url)
    remaining = [url for url in waiting if url not in set(result.notified)]
    result.still_pending = len(remaining)
    if remaining != waiting:
        websub.save(folder, remaining)
    return result
