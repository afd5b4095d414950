"""HTTP for subscriptions: conditional GET, permanent-redirect tracking, politeness, backoff.

What comes back is read, without trusting it, in parse.py."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from syndicate.aggregate.deadline import Deadline, watch_sockets
from syndicate.aggregate.limits import MAX_FEED_BYTES
from syndicate.errors import FeedError, UnsupportedURL
from syndicate.urls import hide_password
from syndicate.version import __version__

USER_AGENT = f"syndicate/{__version__} (+https://pypi.org/project/syndicate/)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "application/json;q=0.6, text/html;q=0.3, */*;q=0.1"
)
MAX_REDIRECTS = 10
PERMANENT_REDIRECTS = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY_LATER = frozenset({429, 503})
DEADLINE = 60.0  # seconds for one whole exchange, redirects included ([fetch] deadline)
SCHEMES = frozenset({"http", "https"})
MAX_MESSAGE = 200  # characters of a peer's own words (a banner, a reason) kept in an error


# -- fetching ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    """What one conditional GET produced. `url` is where the feed lives from now on."""

    requested_url: str
    url: str
    status: int
    content: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    retry_after: float | None
    final_url: str | None = None  # where the body came from, after temporary redirects too
    content_location: str | None = None  # the Content-Location header, as sent

    @property
    def body_url(self) -> str:
        """Where the body's relative links resolve, before any Content-Location."""
        return self.final_url or self.url


def new_session() -> requests.Session:
    """A session that introduces itself, asks for feeds (requests adds gzip/deflate) and keeps
    the deadline of the exchange its thread runs (deadline.py)."""
    session = watch_sockets(requests.Session())
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = ACCEPT
    return session


def require_http_url(url: str) -> None:
    """Only http and https are fetched: `file:`, `gopher:`, `javascript:` and the rest are
    refused before any request (and before anything is subscribed)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        shown = printable(hide_password(url), MAX_MESSAGE)
        raise UnsupportedURL(url, f"not a usable URL (only http and https are fetched): {shown!r}")


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """A peer's text made safe to store and print: control characters escaped, cut short."""
    cleaned = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def fetch_url(
    session: requests.Session,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float | tuple[float, float] = (5.0, 30.0),
    deadline: float | Deadline = DEADLINE,
    max_bytes: int = MAX_FEED_BYTES,
) -> FetchResult:
    """GET a feed, following redirects by hand so that only permanent ones move the subscription.

    The whole exchange, every redirect and every byte of the body, ends within `deadline`
    seconds however the server trickles. 410, 429 and 503 are answers the caller acts on, so
    they come back as results; every other failure is a FeedError."""
    require_http_url(url)
    clock = deadline if isinstance(deadline, Deadline) else Deadline(deadline)
    with clock.running():
        try:
            result = _follow(session, url, etag, last_modified, timeout, max_bytes)
        except FeedError:
            if clock.expired:
                raise _past_deadline(url, clock) from None
            raise
    if clock.expired:  # a cut-off body can look whole (no Content-Length, the socket closed)
        raise _past_deadline(url, clock)
    return result


def _past_deadline(url: str, clock: Deadline) -> FeedError:
    return FeedError(url, f"no complete answer within the deadline ({clock.seconds:g} s)")


def _follow(
    session: requests.Session,
    url: str,
    etag: str | None,
    last_modified: str | None,
    timeout: float | tuple[float, float],
    max_bytes: int,
) -> FetchResult:
    headers = _conditional_headers(etag, last_modified)
    current, stored = url, url
    permanent_so_far = True
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            with session.get(
                current, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            ) as response:
                location = _redirect_target(response, current)
                if location is None:
                    return _result(response, url, stored, etag, last_modified, max_bytes)
        except requests.RequestException as error:
            raise FeedError(current, _describe_request_error(error, timeout)) from None
        except (OSError, HTTPException, urllib3.exceptions.HTTPError) as error:  # not wrapped
            raise FeedError(current, printable(f"connection failed: {error}")) from None
        require_http_url(location)
        permanent_so_far = permanent_so_far and response.status_code in PERMANENT_REDIRECTS
        if permanent_so_far:
            stored = location
        current = location
    raise FeedError(url, f"too many redirects (more than {MAX_REDIRECTS})")


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _redirect_target(response: requests.Response, url: str) -> str | None:
    """The absolute URL a redirect points to, None when the response is not a redirect."""
    if response.status_code not in REDIRECTS:
        return None
    location = response.headers.get("Location", "").strip()
    if not location:
        raise FeedError(url, f"HTTP {response.status_code} redirect without a Location")
    return urljoin(url, location)


def _result(
    response: requests.Response,
    requested_url: str,
    stored_url: str,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
) -> FetchResult:
    status = response.status_code
    content: bytes | None = None
    retry_after: float | None = None
    if 200 <= status < 300:
        content = _read_body(response, max_bytes)
    elif status in RETRY_LATER:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
    elif status != 304 and status != 410:
        reason = f" {printable(response.reason)}" if response.reason else ""
        raise FeedError(response.url or requested_url, f"HTTP {status}{reason}", status=status)
    # A 304 need not repeat the validators; the ones we sent are still the ones to keep.
    keep = status == 304
    return FetchResult(
        requested_url=requested_url,
        url=stored_url,
        status=status,
        content=content,
        etag=response.headers.get("ETag") or (etag if keep else None),
        last_modified=response.headers.get("Last-Modified") or (last_modified if keep else None),
        content_type=response.headers.get("Content-Type"),
        retry_after=retry_after,
        final_url=response.url,
        content_location=response.headers.get("Content-Location"),
    )


def _read_body(response: requests.Response, max_bytes: int) -> bytes:
    """The decoded body, refused as soon as it grows past `max_bytes` (gzip bombs included),
    and refused when it ends before the length the server declared (nothing of it is used)."""
    too_large = FeedError(response.url, f"response larger than {max_bytes} bytes")
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    _check_complete(response, declared)
    return b"".join(chunks)


def _check_complete(response: requests.Response, declared: str) -> None:
    """A body shorter than its Content-Length was cut off: an error, not a feed.

    urllib3 counts the bytes on the wire, before any Content-Encoding is undone."""
    if not declared.isdigit() or response.raw is None:
        return
    received = response.raw.tell()
    if received < int(declared):
        raise FeedError(
            response.url, f"response cut short: {received} of {int(declared)} bytes arrived"
        )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _describe_request_error(error: requests.RequestException, timeout: object) -> str:
    """One line a user can act on, instead of urllib3's nested reprs (and none of a non-HTTP
    peer's banner beyond a short, escaped quote)."""
    return printable(_request_error_text(error, timeout))


def _request_error_text(error: requests.RequestException, timeout: object) -> str:
    if isinstance(error, requests.ConnectTimeout):
        return f"connection timed out (timeout {timeout} s)"
    if isinstance(error, requests.ReadTimeout) or "Read timed out" in str(error):
        return f"server stopped responding (timeout {timeout} s)"
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS error: {_innermost_reason(error)}"
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return "cannot decode the response body (bad Content-Encoding)"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "connection broken while reading the response"
    if isinstance(error, requests.ConnectionError):
        return f"cannot connect: {_innermost_reason(error)}"
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return f"not a usable URL ({error})"
    if isinstance(error, requests.exceptions.MissingSchema):
        return "not a usable URL (no http:// or https://)"
    return f"request failed: {error}"


_ERRNO_REASON = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _innermost_reason(error: BaseException) -> str:
    match = _ERRNO_REASON.search(str(error))
    if match:
        return match.group(1).strip()
    while error.__context__ is not None or error.__cause__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return str(error) or type(error).__name__


class HostLimiter:
    """At most `per_host` requests in flight to any one host, across all threads."""

    def __init__(self, per_host: int = 2) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    def slot(self, url: str) -> AbstractContextManager[None]:
        """Hold one of the host's slots for the duration of a `with` block."""
        return self._hold(self._semaphore(urlsplit(url).hostname or url))

    def _semaphore(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            if host not in self._slots:
                self._slots[host] = threading.BoundedSemaphore(self.per_host)
            return self._slots[host]

    @staticmethod
    @contextmanager
    def _hold(semaphore: threading.BoundedSemaphore) -> Iterator[None]:
        with semaphore:
            yield


def next_retry_delay(failures: int, *, base: float = 60.0, cap: float = 86400.0) -> float:
    """Exponential backoff after `failures` consecutive failures: base, 2*base, 4*base ... cap."""
    if failures < 1:
        return 0.0
    return min(cap, base * 2.0 ** min(failures - 1, 64))
