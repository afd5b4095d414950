"""`syndicate publish`: what cron runs. Fetch the subscriptions (when there are any), build,
and tell the WebSub hub which feeds changed, all under the output folder's lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from syndicate.aggregate import FetchReport, fetch_all
from syndicate.archive import Archive
from syndicate.config import Settings
from syndicate.lock import output_lock
from syndicate.site import websub
from syndicate.site.build import BuildReport, build_site


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
            notification = websub.notify(settings.output, settings.hub, deadline=settings.deadline)
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
