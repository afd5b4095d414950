"""`syndicate publish`: what cron runs. Fetch the subscriptions (when there are any), build,
and tell the WebSub hub which feeds changed, all under the output folder's lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import requests

from syndicate.aggregate import FetchReport, fetch_all
from syndicate.archive import Archive
from syndicate.config import Settings
from syndicate.fetch import new_session
from syndicate.layout import Layout
from syndicate.lock import output_lock
from syndicate.site import BuildReport, build_site

FEED_SUFFIXES = (".xml", ".atom", ".json")
HUB_TIMEOUT = (5.0, 15.0)


@dataclass
class PublishReport:
    fetch: FetchReport | None = None
    build: BuildReport = field(default_factory=BuildReport)
    hub_notified: list[str] = field(default_factory=list)
    hub_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        fetch_errors = bool(self.fetch and self.fetch.errors)
        return fetch_errors or bool(self.build.errors) or bool(self.hub_errors)


def publish(settings: Settings) -> PublishReport:
    """One cron run. Raises LockedError at once when another run holds the lock."""
    report = PublishReport()
    with output_lock(settings.output):
        report.fetch = fetch_subscriptions(settings)
        report.build = build_site(settings, lock_held=True)
        if settings.hub and not report.build.skipped_writing:
            changed = changed_feed_urls(settings, report.build.written)
            report.hub_notified, report.hub_errors = notify_hub(settings.hub, changed)
    return report


def fetch_subscriptions(settings: Settings) -> FetchReport | None:
    """Fetch when there is an archive with subscriptions; a site that follows nothing skips it."""
    if not settings.archive.exists():
        return None
    with Archive(settings.archive) as archive:
        if not archive.feeds():
            return None
        return fetch_all(archive, settings, jobs=settings.jobs)


def changed_feed_urls(settings: Settings, written: list[str]) -> list[str]:
    layout = Layout.for_settings(settings)
    return [layout.url(path) for path in written if PurePosixPath(path).suffix in FEED_SUFFIXES]


def notify_hub(hub: str, feed_urls: list[str]) -> tuple[list[str], list[str]]:
    """WebSub publish pings (hub.mode=publish), one per changed feed; returns (done, errors)."""
    done: list[str] = []
    errors: list[str] = []
    session = new_session()
    for url in feed_urls:
        try:
            response = session.post(
                hub, data={"hub.mode": "publish", "hub.url": url}, timeout=HUB_TIMEOUT
            )
        except requests.RequestException as exc:
            errors.append(f"{hub}: cannot notify about {url}: {type(exc).__name__}")
            continue
        if response.status_code >= 300:
            errors.append(f"{hub}: HTTP {response.status_code} for {url}")
        else:
            done.append(url)
    return done, errors
