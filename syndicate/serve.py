"""`syndicate serve`: the output folder over HTTP for people without a web server.

waitress (a production WSGI server) runs a small werkzeug application: the right Content-Type
for each kind of feed, ETag and Last-Modified with 304s, HEAD, gzip for clients that accept
it, no way out of the folder and no dotfiles (the lock, the manifest). A missing file is
answered with the folder's 404.html (status 404) when it has one.

The folder's `_redirects` (the format Netlify and Cloudflare Pages read; the build writes one
for a site that moved from WordPress: site/redirects.py) is followed: a request its rules
match is answered with the rule's status and Location, a rule not forced (`301!`) only where
no file is, as on Netlify. The file itself is not served, as those hosts do not serve it.

An RSS or Atom feed has two representations, chosen by the request's Accept (`Vary: Accept`):
the feed itself, and for a browser, which prefers text/html to every feed type, an HTML page
of it (render/feedview.py), since browsers show application/rss+xml as raw text. Each has its
own ETag, so conditional requests stay right for either.

Slow clients cannot starve it: the connection limit is sized to the open-files limit, idle
connections close after IDLE_TIMEOUT, and a request that has not fully arrived REQUEST_DEADLINE
after its first byte is dropped even while bytes keep trickling in (waitress alone only times
out silence)."""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.security import safe_join
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from syndicate.render.feedview import feed_page
from syndicate.site.redirects import REDIRECTS, RedirectRules, parse_redirects

INDEX = "index.html"
NOT_FOUND_PAGE = "404.html"
COMPRESSIBLE = (
    "text/",
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/xml",
    "application/xslt+xml",
)
MIN_GZIP_BYTES = 512
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
XML_TYPES = ("application/xml", "text/xml")  # a client that takes these takes the feed too
# The page of a feed loads nothing and runs nothing: its one stylesheet is inline.
FEED_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"
HTML = "text/html; charset=utf-8"
TYPES_BY_SUFFIX = {
    ".atom": "application/atom+xml",
    ".html": HTML,
    ".css": "text/css; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
}

# Against slow clients (nginx's client_header_timeout and keepalive_timeout play these parts).
REQUEST_DEADLINE = 30.0  # seconds from a request's first byte to its last, however it trickles
IDLE_TIMEOUT = 20  # seconds a connection may send and read nothing (waitress's channel_timeout)
CLEANUP_INTERVAL = 5  # seconds between sweeps for connections past either limit
MAX_REQUEST_HEADER_BYTES = 32 * 1024  # real requests send a few KiB; nginx allows 4 x 8 KiB
MAX_REQUEST_BODY_BYTES = 64 * 1024  # GET and HEAD carry none; bounds what a POST can make us read
MAX_CONNECTIONS = 4096  # with 32 KiB of headers each, at most 128 MiB of half-read requests
FILES_PER_CONNECTION = 2  # the socket, and a temporary file for a response over 1 MB
SPARE_FILES = 128  # listening sockets, the wake-up pipe, files being read, imports

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def content_type(path: Path, head: bytes) -> str:
    """By suffix, and for .xml/.json by what the document is (an RSS feed, Atom, JSON Feed)."""
    suffix = path.suffix.lower()
    if suffix in TYPES_BY_SUFFIX:
        return TYPES_BY_SUFFIX[suffix]
    if suffix == ".xml":
        if b"<rss" in head:
            return "application/rss+xml"
        if b"<feed" in head:
            return "application/atom+xml"
        return "application/xml"
    if suffix == ".json":
        return "application/feed+json" if b"jsonfeed.org/version" in head else "application/json"
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


@lru_cache(maxsize=512)
def _gzipped(path: Path, mtime_ns: int, size: int) -> bytes:
    """Compressed once per version of a file (mtime=0 keeps the bytes reproducible)."""
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


def make_app(root: Path) -> WsgiApp:
    root = root.resolve()

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        try:
            if request.method not in ("GET", "HEAD"):
                raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
            try:
                path: Path | None = resolve(root, request.path)
            except NotFound:
                path = None
            moved = redirect_response(root, request, file_exists=path is not None)
            if moved is not None:
                return moved
            if path is not None and path.name == INDEX and not request.path.endswith(("/", INDEX)):
                return folder_redirect(request)  # a folder named without its slash
            if path is None:
                return not_found_response(root)
            return file_response(request, path)
        except HTTPException as error:
            return error.get_response(request.environ)  # type: ignore[return-value]

    return app  # type: ignore[return-value]


def redirect_response(root: Path, request: Request, *, file_exists: bool) -> Response | None:
    """The redirect that the folder's `_redirects` has for this request, if any."""
    rules = folder_redirects(root)
    if not rules:
        return None
    query = {name: request.args[name] for name in request.args}
    found = rules.match(request.path, query, file_exists=file_exists)
    if found is None:
        return None
    rule, location = found
    response = redirect(location, code=rule.status)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def folder_redirect(request: Request) -> Response:
    """`/2019/05/hello` -> `/2019/05/hello/`, as static servers answer a folder without its
    slash: the page's relative links resolve against its folder only from there."""
    location = "/" + request.path.lstrip("/") + "/"  # never `//host/`: another site's
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = redirect(location, code=301)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def folder_redirects(root: Path) -> RedirectRules:
    """The rules of root/_redirects, read again only when the file changes."""
    try:
        stat = (root / REDIRECTS).stat()
    except OSError:
        return RedirectRules(())
    return _parsed_redirects(root / REDIRECTS, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parsed_redirects(path: Path, mtime_ns: int, size: int) -> RedirectRules:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return RedirectRules(())
    return RedirectRules(parse_redirects(text))


def not_found_response(root: Path) -> Response:
    """404, with the folder's 404.html when it has one (the build writes it)."""
    page = root / NOT_FOUND_PAGE
    try:
        body = page.read_bytes() if page.is_file() else None
    except OSError:
        body = None
    if body is None:
        raise NotFound()
    return Response(body, status=404, headers=[("Content-Type", HTML)])


def resolve(root: Path, url_path: str) -> Path:
    """The file a URL path names inside root; folders serve their index.html."""
    relative = url_path.lstrip("/")
    if any(part.startswith(".") for part in relative.split("/") if part) or relative == REDIRECTS:
        raise NotFound()
    joined = safe_join(str(root), relative) if relative else str(root)
    if joined is None:
        raise NotFound()
    path = Path(joined)
    try:
        if path.is_dir():
            path = path / INDEX
        if not path.is_file() or root not in path.resolve().parents:
            raise NotFound()
    except OSError:  # a name too long for the file system, and the like: no such file
        raise NotFound() from None
    return path


@dataclass(frozen=True)
class Representation:
    """What one response sends of a file: its bytes, their type and tag, and their gzip."""

    body: bytes
    mimetype: str
    etag: str
    gzipped: Callable[[], bytes]
    vary: str = "Accept-Encoding"
    headers: tuple[tuple[str, str], ...] = ()  # any others it needs


def file_response(request: Request, path: Path) -> Response:
    stat = path.stat()
    data = path.read_bytes()
    version = (path, stat.st_mtime_ns, stat.st_size)
    mimetype = content_type(path, data[:512])
    chosen = Representation(data, mimetype, _tag(data), partial(_gzipped, *version))
    if mimetype in FEED_TYPES:
        chosen = feed_representation(request.accept_mimetypes, chosen, version)
    # quality(), not `in`: "gzip;q=0" names gzip to refuse it (RFC 9110 §12.5.3).
    wants_gzip = request.accept_encodings.quality("gzip") > 0 and len(chosen.body) >= MIN_GZIP_BYTES
    compress = wants_gzip and chosen.mimetype.startswith(COMPRESSIBLE)
    response = Response(
        chosen.gzipped() if compress else chosen.body,
        headers=[("Content-Type", chosen.mimetype), ("Vary", chosen.vary), *chosen.headers],
    )
    etag = chosen.etag
    if compress:
        response.headers["Content-Encoding"] = "gzip"
        etag += "-gzip"  # another representation, another tag
    response.set_etag(etag)
    response.last_modified = stat.st_mtime  # type: ignore[assignment]
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(conditional_environ(request))


def feed_representation(
    accept: MIMEAccept, feed: Representation, version: tuple[Path, int, int]
) -> Representation:
    """The feed itself, or for a browser its HTML page; either way `Vary: Accept`."""
    vary = "Accept, Accept-Encoding"
    page = _feed_page(*version) if prefers_html(accept, feed.mimetype) else None
    if page is None:  # a feed reader, or a file that is no feed we can show
        return Representation(feed.body, feed.mimetype, feed.etag, feed.gzipped, vary)
    policy = (("Content-Security-Policy", FEED_PAGE_POLICY),)
    gzipped = partial(_gzipped_feed_page, *version)
    return Representation(page, HTML, _tag(page), gzipped, vary, policy)


def prefers_html(accept: MIMEAccept, feed_type: str) -> bool:
    """Whether the client ranks text/html above the feed's type and the XML types.

    q-values decide, each from the most specific range that names the type (werkzeug's
    quality(), RFC 9110 §12.5.1). A tie goes to the feed: Miniflux sends text/html at q=1 beside
    the feed types, `*/*` or no Accept at all ranks all alike. Browsers navigating to a page put
    text/html at 1 and application/xml at 0.9 or below."""
    html = accept.quality("text/html")
    return html > 0 and html > max(accept.quality(kind) for kind in (feed_type, *XML_TYPES))


def _tag(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:20]


@lru_cache(maxsize=512)
def _feed_page(path: Path, mtime_ns: int, size: int) -> bytes | None:
    """A feed's HTML page, rendered once per version of the file."""
    return feed_page(path.read_bytes())


@lru_cache(maxsize=512)
def _gzipped_feed_page(path: Path, mtime_ns: int, size: int) -> bytes:
    return gzip.compress(_feed_page(path, mtime_ns, size) or b"", compresslevel=6, mtime=0)


def conditional_environ(request: Request) -> dict[str, Any]:
    """The request, less an If-Modified-Since that is later than our clock.

    Such a date is no Last-Modified we ever sent, and taken at its word it makes every file look
    unchanged: RFC 9110 §13.1.3 reads the date on the origin server's clock, and RFC 2616 §14.25
    calls a date later than the server's current time invalid, to be ignored. If-None-Match,
    when present, still decides alone (werkzeug does that, as RFC 9110 §13.1.3 asks)."""
    since = request.if_modified_since
    if since is None or since <= datetime.now(UTC):
        return request.environ
    environ = dict(request.environ)
    del environ["HTTP_IF_MODIFIED_SINCE"]
    return environ


def access_log(app: WsgiApp) -> WsgiApp:
    """One line per request on stderr: method, path, status (for -v)."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            print(
                f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')} {status[:3]}",
                file=sys.stderr,
                flush=True,
            )
            return start_response(status, headers, *args)

        return app(environ, start)

    return logged


def open_files_limit() -> int:
    """The soft RLIMIT_NOFILE, first raised as far as MAX_CONNECTIONS needs where the hard limit
    lets an unprivileged process (1024 is a common soft limit, the hard one often far higher)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit, but select() there takes 512 sockets at most
        return 512
    wanted = SPARE_FILES + FILES_PER_CONNECTION * MAX_CONNECTIONS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    if soft >= wanted:
        return int(soft)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # macOS refuses more than OPEN_MAX whatever the hard limit says
        return soft
    return target


def connection_limit(open_files: int) -> int:
    """As many connections as the open files allow (waitress's own default is 100)."""
    return max(16, min(MAX_CONNECTIONS, (open_files - SPARE_FILES) // FILES_PER_CONNECTION))


class DeadlineChannel(HTTPChannel):
    """A waitress connection that remembers when the request it is reading began."""

    request_began = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None and data:  # no request half read: these bytes start one
            self.request_began = time.time()
        return bool(super().received(data))


class DeadlineServer(TcpWSGIServer):
    """waitress's TCP server, which also drops connections whose request is past the deadline.

    waitress closes a connection only after `channel_timeout` seconds of silence, so a client
    that sends half a request and then a byte every few seconds holds its connection for ever;
    enough of them fill the connection limit and nobody else is answered."""

    channel_class = DeadlineChannel
    request_deadline = REQUEST_DEADLINE

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = now - self.request_deadline
        for channel in self.active_channels.values():
            # Not while a response is being made: that one goes out first (as waitress does).
            reading = channel.request is not None and not channel.requests
            if reading and channel.request_began < cutoff:
                channel.will_close = True


def make_server(
    app: WsgiApp,
    *,
    host: str,
    port: int,
    threads: int = 8,
    request_deadline: float = REQUEST_DEADLINE,
    idle_timeout: int = IDLE_TIMEOUT,
    cleanup_interval: int = CLEANUP_INTERVAL,
    max_connections: int | None = None,
) -> Any:
    """A waitress server (one per address `host` resolves to) with the slow-client limits.

    What waitress.create_server does for TCP, with DeadlineServer in place of TcpWSGIServer;
    the result has waitress's run(). max_connections defaults to what the open files allow."""
    if max_connections is None:
        max_connections = connection_limit(open_files_limit())
    adjustments = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="syndicate",
        connection_limit=max_connections,
        channel_timeout=idle_timeout,
        cleanup_interval=cleanup_interval,
        max_request_header_size=MAX_REQUEST_HEADER_BYTES,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        asyncore_use_poll=True,  # select() stops at file descriptor 1024
    )
    socket_map: dict[int, Any] = {}
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    servers = []
    for sockinfo in adjustments.listen:
        server = DeadlineServer(
            app, socket_map, dispatcher=dispatcher, adj=adjustments, sockinfo=sockinfo
        )
        server.request_deadline = request_deadline
        servers.append(server)
    if len(servers) == 1:
        return servers[0]
    listening = [(server.effective_host, server.effective_port) for server in servers]
    return MultiSocketServer(socket_map, adjustments, listening, dispatcher, servers[0].log_info)


def serve(root: Path, *, host: str, port: int, threads: int = 8, log: bool = False) -> None:
    app = make_app(root)
    if log:
        logging.basicConfig()
    else:  # waitress warns of queue depth under load; not worth a cron mail
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = make_server(access_log(app) if log else app, host=host, port=port, threads=threads)
    if log:
        server.print_listen("Serving on http://{}:{}")
    server.run()
