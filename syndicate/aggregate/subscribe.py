"""Subscribing: a feed URL, or the first readable feed a site page advertises."""

from __future__ import annotations

from syndicate.aggregate.fetcher import Fetcher
from syndicate.aggregate.http import (
    DEADLINE,
    FetchResult,
    require_http_url,
)
from syndicate.aggregate.parse import discover_feeds, parse_feed
from syndicate.archive import Archive
from syndicate.errors import FeedError
from syndicate.model import Feed
from syndicate.urls import without_userinfo


def subscribe(
    archive: Archive, url: str, *, name: str | None = None, deadline: float = DEADLINE
) -> tuple[Feed, str | None]:
    """Subscribe to a feed URL, or to the first feed a site page advertises.

    Only http(s) URLs are taken (UnsupportedURL). Returns the subscription and, when the URL
    could not be checked now, why (it is kept: a feed that is down today is fetched, with
    backoff, by later runs)."""
    require_http_url(url)
    fetcher = Fetcher(deadline=deadline)
    try:
        result = fetcher.get(url)
    except FeedError as error:
        return archive.subscribe(url, name=name), str(error)
    if result.content is None:
        return archive.subscribe(result.url, name=name), None
    problem = _feed_problem(result)
    if problem is None:
        return archive.subscribe(result.url, name=name), None
    if not _is_html(result):
        raise problem
    for advertised in discover_feeds(result.content, result.url):
        try:
            candidate = fetcher.get(advertised)
        except FeedError:
            continue
        if candidate.content is not None and _feed_problem(candidate) is None:
            return archive.subscribe(candidate.url, name=name), None
    raise FeedError(url, "an HTML page that advertises no feed that can be read")


def _feed_problem(result: FetchResult) -> FeedError | None:
    """Why the response is not a feed that can be read (RSS, Atom, JSON Feed), or None."""
    assert result.content is not None
    try:
        parse_feed(
            result.content,
            without_userinfo(result.body_url),
            content_type=result.content_type,
            content_location=result.content_location,
        )
    except FeedError as error:
        return error
    return None


def _is_html(result: FetchResult) -> bool:
    if result.content_type and "html" in result.content_type.lower():
        return True
    start = (result.content or b"")[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))
