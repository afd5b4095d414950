"""`syndicate serve`: the output folder over HTTP for people without a web server.

waitress (a production WSGI server) runs a small werkzeug application: the right Content-Type
for each kind of feed, ETag and Last-Modified with 304s, HEAD, gzip for clients that accept
it, no way out of the folder and no dotfiles (the lock, the manifest)."""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import waitress
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

INDEX = "index.html"
COMPRESSIBLE = ("text/", "application/rss+xml", "application/atom+xml", "application/feed+json",
                "application/json", "application/xml", "application/xslt+xml")  # fmt: skip
MIN_GZIP_BYTES = 512
TYPES_BY_SUFFIX = {
    ".atom": "application/atom+xml",
    ".html": "text/html; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
}

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
            return file_response(request, resolve(root, request.path))
        except HTTPException as error:
            return error.get_response(request.environ)  # type: ignore[return-value]

    return app  # type: ignore[return-value]


def resolve(root: Path, url_path: str) -> Path:
    """The file a URL path names inside root; folders serve their index.html."""
    relative = url_path.lstrip("/")
    if any(part.startswith(".") for part in relative.split("/") if part):
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


def file_response(request: Request, path: Path) -> Response:
    stat = path.stat()
    data = path.read_bytes()
    mimetype = content_type(path, data[:512])
    etag = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:20]
    # quality(), not `in`: "gzip;q=0" names gzip to refuse it (RFC 9110 §12.5.3).
    wants_gzip = request.accept_encodings.quality("gzip") > 0 and len(data) >= MIN_GZIP_BYTES
    compress = wants_gzip and mimetype.startswith(COMPRESSIBLE)
    response = Response(
        _gzipped(path, stat.st_mtime_ns, stat.st_size) if compress else data,
        headers={"Content-Type": mimetype, "Vary": "Accept-Encoding"},
    )
    if compress:
        response.headers["Content-Encoding"] = "gzip"
        etag += "-gzip"  # another representation, another tag
    response.set_etag(etag)
    response.last_modified = stat.st_mtime  # type: ignore[assignment]
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


def access_log(app: WsgiApp) -> WsgiApp:
    """One line per request on stderr: method, path, status (for -v)."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            print(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')} {status[:3]}",
                  file=sys.stderr, flush=True)  # fmt: skip
            return start_response(status, headers, *args)

        return app(environ, start)

    return logged


def serve(root: Path, *, host: str, port: int, threads: int = 8, log: bool = False) -> None:
    app = make_app(root)
    if not log:  # waitress warns of queue depth under load; not worth a cron mail
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(access_log(app) if log else app, host=host, port=port, threads=threads,
                   ident="syndicate", _quiet=not log)  # fmt: skip
