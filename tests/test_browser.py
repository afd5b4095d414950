"""Feeds as a person sees them: Debian's Chromium, headless, opening a built site's feeds from
`syndicate serve` (an HTML page of the feed) and from Python's http.server (the feed itself,
styled by feed.css), driven over the DevTools protocol for the rendered DOM, the text it lays
out (CSS generated text included) and screenshots (into tmp_path).

Chromium runs with XSLT turned off, as it will be once XSLT is gone: nothing here may need it.
The DevTools client is Chromium's --remote-debugging-pipe (NUL-separated JSON on file
descriptors 3 and 4), so no WebSocket library is needed."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.conftest import Served, http_server, run_build, serving, write_posts

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
)
WIDTH, HEIGHT = 1200, 1600
SITE_TITLE = "Notes from the Field"
DEADLINE = 20.0  # seconds for any one DevTools answer
POSTS = {
    "first.md": "---\ntitle: Hello, feeds\ndate: 2024-05-01\n---\nThe first post.\n",
    "second.md": """---
title: "Café & <code> “quotes”"
date: 2024-05-02T09:30:00+02:00
summary: Fish & chips, <em>then</em> coffee.
comments:
  - {id: c1, author: Ann, body: "A *first* comment.", date: 2024-05-03T10:00:00Z}
  - {id: c2, author: Bob, body: A reply., in_reply_to: c1, date: 2024-05-04T10:00:00Z}
---
The second post.
""",
    "rtl.md": "---\ntitle: שלום עולם\ndate: 2024-04-01\n---\nגוף הרשומה.\n",
}
SITE_FEEDS = ["rss.xml", "atom.xml", "posts/second/comments.xml"]
# On a static server .atom is application/atom+xml (mime.types), which Chromium shows raw.
SERVED_FEEDS = [*SITE_FEEDS, "posts/second/comments.atom"]


class DevToolsError(RuntimeError):
    pass


def _above_nine(descriptor: int) -> int:
    moved = fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(descriptor)
    return moved


class Chromium:
    """One headless Chromium, one tab, spoken to over --remote-debugging-pipe."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # bash puts the two pipe ends at the descriptors Chromium reads and writes; moved above
        # 9 first, so that putting one at 3 cannot overwrite the other (dash stops at 9).
        to_browser_read = _above_nine(to_browser_read)
        from_browser_write = _above_nine(from_browser_write)
        self.process = subprocess.Popen(
            [
                "bash",
                "-c",
                f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}',
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "--disable-blink-features=XSLT",
                "--no-first-run",
                "--hide-scrollbars",
                "--mute-audio",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            pass_fds=(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._last_id = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable", session=self.session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=self.session,
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method: str, *, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._last_id:
                if "error" in answer:
                    raise DevToolsError(f"{method}: {answer['error']}")
                return dict(answer["result"])
            self._events.append(answer)

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, remaining))
            if not ready:
                raise DevToolsError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise DevToolsError(f"Chromium exited ({self.process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def _wait_for(self, method: str) -> None:
        while True:
            for event in self._events:
                if event.get("method") == method:
                    self._events.clear()
                    return
            self._events.append(self._receive())

    def open(self, url: str) -> Chromium:
        self._events.clear()
        navigation = self.call("Page.navigate", session=self.session, url=url)
        if navigation.get("errorText"):  # a download, a refused connection
            raise DevToolsError(f"{url}: {navigation['errorText']}")
        self._wait_for("Page.loadEventFired")
        return self

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session=self.session, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise DevToolsError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    def shown_lines(self) -> list[str]:
        """The lines of text Chromium lays out, generated text (::before, ::after) included, top
        to bottom and each left to right: what a person reads on the page."""
        snapshot = self.call("DOMSnapshot.captureSnapshot", session=self.session, computedStyles=[])
        strings, layout = snapshot["strings"], snapshot["documents"][0]["layout"]
        boxes = snapshot["documents"][0]["textBoxes"]
        runs = []  # (top, left, height, text) of each piece of text on one line
        for owner, bounds, start, length in zip(
            boxes["layoutIndex"], boxes["bounds"], boxes["start"], boxes["length"], strict=True
        ):
            text = strings[layout["text"][owner]][start : start + length]
            runs.append((bounds[1], bounds[0], bounds[3], text))
        lines: list[list[tuple[float, float, float, str]]] = []
        for run in sorted(runs):
            if lines and run[0] < lines[-1][0][0] + lines[-1][0][2] / 2:  # within the line
                lines[-1].append(run)
            else:
                lines.append([run])
        joined = (" ".join(text for *_, text in sorted(line, key=lambda r: r[1])) for line in lines)
        return [folded for line in joined if (folded := " ".join(line.split()))]

    def screenshot(self, path: Path) -> Path:
        image = self.call("Page.captureScreenshot", session=self.session, format="png")["data"]
        path.write_bytes(base64.b64decode(image))
        return path

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    assert CHROMIUM is not None
    browser = Chromium(CHROMIUM)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-site")
    posts, output = write_posts(root / "posts", dict(POSTS)), root / "out"
    env = {"SYNDICATE_TITLE": SITE_TITLE, "SYNDICATE_CACHE_DIR": str(root / "cache")}
    result = run_build(posts, output, env=env)
    assert result.exit_code == 0, result.output
    return output


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[Served]:
    with serving(site) as server:
        yield server


@pytest.fixture(scope="module")
def static_server(site: Path) -> Iterator[str]:
    """The folder as `python -m http.server` serves it: .xml as what mimetypes says."""

    class StaticFolder(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(StaticFolder) as base_url:
        yield base_url


def parsed(site: Path, name: str) -> Any:
    feed = feedparser.parse((site / name).read_bytes())
    assert not feed.bozo, feed.bozo_exception
    return feed


def self_url(feed: Any) -> str:
    return next(link.href for link in feed.feed.links if link.rel == "self")


def in_words(entry: Any) -> str:
    """The entry's date as the page writes it (these posts' dates are the same day in UTC)."""
    moment = datetime(*entry.published_parsed[:6])
    return f"{moment:%A}, {moment.day} {moment:%B %Y}"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


PAGE_FACTS = """JSON.stringify({
  type: document.contentType,
  h1: document.querySelector("h1")?.textContent,
  subscribe: document.querySelector("#subscribe")?.innerText,
  entries: [...document.querySelectorAll("article")].map(article => ({
    title: article.querySelector("h2")?.textContent,
    href: article.querySelector("h2 a")?.href,
    date: article.querySelector("time")?.textContent,
  })),
})"""


@pytest.mark.parametrize("name", SERVED_FEEDS)
def test_serve_shows_chromium_a_page_of_the_feed(
    chromium: Chromium, served: Served, site: Path, tmp_path: Path, name: str
) -> None:
    feed = parsed(site, name)
    facts = json.loads(chromium.open(served.base_url + name).evaluate(PAGE_FACTS))
    assert facts["type"] == "text/html"
    assert facts["h1"] == feed.feed.title
    assert "copy this address into your feed reader" in facts["subscribe"]
    assert self_url(feed) in facts["subscribe"]
    expected = [
        {"title": entry.title, "href": entry.link, "date": in_words(entry)}
        for entry in feed.entries
    ]
    assert facts["entries"] == expected
    assert len(expected) >= 2
    shot = chromium.screenshot(tmp_path / f"serve-{name.replace('/', '-')}.png")
    assert png_size(shot) == (WIDTH, HEIGHT)


def test_the_site_feed_page_reads_top_down_with_dates_in_words(
    chromium: Chromium, served: Served
) -> None:
    lines = chromium.open(served.base_url + "rss.xml").shown_lines()
    assert lines[0].startswith("This is a web feed (RSS), for feed readers rather than browsers")
    assert "https://blog.example.org/rss.xml" in lines
    after_box = lines[lines.index("https://blog.example.org/rss.xml") + 1 :]
    assert after_box[0] == SITE_TITLE
    dates = [line for line in after_box if line.endswith(" · by " + SITE_TITLE)]
    assert [line.split(" · ")[0] for line in dates] == [
        "Thursday, 2 May 2024",
        "Wednesday, 1 May 2024",
        "Monday, 1 April 2024",
    ]
    assert "Fish & chips, <em>then</em> coffee." in after_box  # the summary, as its author wrote
    direction = chromium.evaluate(
        "[...document.querySelectorAll('h2')].map(h => getComputedStyle(h).direction)"
    )
    assert direction == ["ltr", "ltr", "rtl"]  # the Hebrew title, oldest, last


@pytest.mark.parametrize("name", SITE_FEEDS)
def test_a_static_server_shows_the_feed_styled_by_css(
    chromium: Chromium, static_server: str, site: Path, tmp_path: Path, name: str
) -> None:
    feed = parsed(site, name)
    page = chromium.open(static_server + name)
    # The document itself, styled: not Chromium's XML tree view, not raw text.
    assert page.evaluate("document.documentElement.localName") in ("rss", "feed")
    lines = page.shown_lines()
    address = lines.index(f"Feed address: {self_url(feed)}")
    assert " ".join(lines[:address]) == (  # the box first, however its lines wrap
        "This is a web feed, for feed readers rather than browsers. "
        "To follow it, copy this page's address into your feed reader (its feed address is below)."
    )
    assert lines[address + 1] == feed.feed.title
    expected = []  # nothing but each entry's title, date and address: no guid, no content
    for entry in feed.entries:
        expected += [entry.title, f"Published {entry.published}", entry.link]
    assert lines[address + 2 :] == expected
    assert len(feed.entries) >= 2
    assert page.evaluate("document.links.length") == 0  # CSS makes no links
    shot = page.screenshot(tmp_path / f"static-{name.replace('/', '-')}.png")
    assert png_size(shot) == (WIDTH, HEIGHT)


def test_a_feed_without_entries_says_so(
    chromium: Chromium, static_server: str, served: Served
) -> None:
    empty = "posts/first/comments.xml"
    assert "Nothing here yet." in chromium.open(static_server + empty).shown_lines()
    assert "Nothing here yet." in chromium.open(served.base_url + empty).shown_lines()


def test_chromium_shows_a_feed_served_as_a_feed_type_as_raw_text(
    chromium: Chromium, site: Path
) -> None:
    """Why serve answers browsers with a page: application/rss+xml is shown as plain text,
    whatever stylesheet the feed names."""
    body = (site / "rss.xml").read_bytes()

    class FeedType(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(FeedType) as base_url:
        page = chromium.open(base_url + "rss.xml")
        assert page.evaluate("document.contentType") == "text/plain"
        assert "<?xml-stylesheet" in page.evaluate("document.body.innerText")


def test_feeds_name_only_the_css_and_stay_valid(site: Path) -> None:
    for path in [*site.rglob("*.xml"), *site.rglob("*.atom")]:
        if path.name.startswith("sitemap"):
            continue
        data = path.read_bytes()
        assert not feedparser.parse(data).bozo, path
        assert b'<?xml-stylesheet type="text/css" href="/feed.css"?>' in data[:200], path
        assert b"text/xsl" not in data, path
        # The W3C validator takes application/xml and text/xml as a feed only when the root
        # element starts within the first 512 bytes (mediaTypes.contentSniffing).
        assert b"<rss" in data[:512] or b"<feed" in data[:512], path
    assert (site / "feed.css").read_bytes().isascii()  # static servers send it without charset
