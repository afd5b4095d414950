"""Finding 3 of issue 11: a subscription URL's password is sent, and never shown or published.

A real server on 127.0.0.1 that wants HTTP basic authentication serves a feed whose links are
relative (so every URL resolved against the feed's own carries the userinfo unless it is taken
out), a comment feed behind the same password, and a copy of our own post (so its comments
come back to our site, backfeed). After subscribe, fetch, build and every listing, no file of
the site and no line a command printed holds the password (or the Authorization header)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from syndicate.aggregate.opml import export_opml
from syndicate.archive import Feed
from syndicate.cli import cli
from syndicate.errors import FeedError
from tests.backends import is_postgres
from tests.conftest import ArchiveLocation, http_server

USER, SECRET, WRONG = "reader", "s3cr3t-pa55", "wr0ng-pa55"
ARCHIVE_SECRET = "d4tab4se-pa55"  # in a PostgreSQL archive's URL
BASIC = base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
# Neither password (the right one, and one the server refuses) nor the header made from it,
# nor the password of the archive's database.
SECRETS = (
    SECRET,
    WRONG,
    BASIC,
    base64.b64encode(f"{USER}:{WRONG}".encode()).decode(),
    ARCHIVE_SECRET,
)
BASE_URL = "https://blog.example.org/"
OWN_PAGE = BASE_URL + "posts/hello-world/index.html"
OWN_POST = "---\ntitle: Hello World\ndate: 2024-03-01T08:00:00Z\n---\nHello, feeds.\n"


def private_feed() -> str:
    """Relative links everywhere: each one resolves against the URL the feed came from."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Members only</title>
  <link>/</link>
  <item>
    <title>Hello World</title>
    <link>/mirror/hello-world</link>
    <guid isPermaLink="false">hello-world</guid>
    <pubDate>Sat, 02 Mar 2024 09:00:00 +0000</pubDate>
    <content:encoded><![CDATA[<p>Hello, feeds. <img src="/images/hello.png" alt=""></p>
<p>This article was originally published at <a href="{OWN_PAGE}">my blog</a>.</p>]]>
    </content:encoded>
    <wfw:commentRss>/comments/hello-world.xml</wfw:commentRss>
  </item>
  <item>
    <title>Members-only news</title>
    <link>/news/1</link>
    <guid isPermaLink="false">news-1</guid>
    <pubDate>Sun, 03 Mar 2024 09:00:00 +0000</pubDate>
    <description><![CDATA[<p>See <a href="/news/1#more">more</a> and <a href="../about">us</a>.</p>
    ]]></description>
  </item>
</channel>
</rss>"""


COMMENTS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Comments on: Hello World</title><link>/mirror/hello-world</link>
  <item>
    <title>By: Priya</title>
    <link>/mirror/hello-world#comment-1</link>
    <guid isPermaLink="false">comment-1</guid>
    <author>priya@example.org (Priya)</author>
    <pubDate>Sun, 03 Mar 2024 10:00:00 +0000</pubDate>
    <description><![CDATA[<p>Agreed, see <a href="/mirror/other">this</a>.</p>]]></description>
  </item>
</channel></rss>"""


@dataclass
class PrivateServer:
    """Answers 401 without the right basic credentials; records each request's headers."""

    base_url: str = ""
    routes: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def authorised(self, path: str) -> list[bool]:
        return [
            headers.get("Authorization") == f"Basic {BASIC}"
            for seen, headers in self.requests
            if seen == path
        ]


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    state = PrivateServer()
    state.routes["/feed.xml"] = private_feed().encode()
    state.routes["/comments/hello-world.xml"] = COMMENTS.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            if self.headers.get("Authorization") != f"Basic {BASIC}":
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="members"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state.routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as base_url:
        state.base_url = base_url
        yield state


def with_credentials(url: str, password: str = SECRET) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{USER}:{password}@{rest}"


def assert_no_secret(where: str, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    for secret in SECRETS:
        assert secret.encode() not in data, f"{where} shows the password: {data[:2000]!r}"


def with_archive_password(location: ArchiveLocation) -> ArchiveLocation:
    """A PostgreSQL archive's URL with a password in it, to be kept out of sight too (the test
    cluster trusts its user, so the password is carried, never asked for)."""
    if not is_postgres(location):
        return location
    return str(location).replace("@", f":{ARCHIVE_SECRET}@", 1)


class Site:
    """A site folder driven through the CLI; every command's output is checked for the secret."""

    def __init__(self, root: Path, *, archive: ArchiveLocation) -> None:
        self.root = root
        self.posts = root / "posts"
        self.posts.mkdir()
        (self.posts / "2024-03-01-hello-world.md").write_text(OWN_POST, "utf-8")
        self.output = root / "out"
        self.config = root / "syndicate.toml"
        self.config.write_text(
            f'[site]\nbase_url = "{BASE_URL}"\nposts = "{self.posts}"\noutput = "{self.output}"\n'
            f'title = "My blog"\n[archive]\npath = "{with_archive_password(archive)}"\n',
            "utf-8",
        )

    def run(self, *args: str, status: int = 0) -> Result:
        result = CliRunner().invoke(
            cli, ["--config", str(self.config), *args], catch_exceptions=False
        )
        assert result.exit_code == status, result.output
        assert_no_secret(f"`{' '.join(args)}` stdout", result.stdout)
        assert_no_secret(f"`{' '.join(args)}` stderr", result.stderr)
        return result


def test_credentials_are_sent_and_never_written(
    tmp_path: Path, private_server: PrivateServer, archive_location: ArchiveLocation
) -> None:
    site = Site(tmp_path, archive=archive_location)
    feed_url = with_credentials(private_server.base_url + "feed.xml")
    subscribed = site.run("subscribe", feed_url)
    assert f"{USER}:***@127.0.0.1" in subscribed.stdout  # recognisable, not readable
    # A second subscription, whose server refuses the password: its errors name the URL.
    refused = site.run("subscribe", with_credentials(private_server.base_url + "feed.xml", WRONG))
    assert "HTTP 401" in refused.stderr  # could not check it now (the FeedError's line)
    fetched = site.run("fetch", status=1)  # one feed failing: exit 1, its error line no secret
    assert f"{USER}:***@127.0.0.1" in fetched.stderr
    assert private_server.authorised("/feed.xml")[:2] == [True, False]  # subscribe's checks
    assert all(private_server.authorised("/comments/hello-world.xml"))
    assert private_server.authorised("/comments/hello-world.xml")  # polled, with the password

    site.run("build")
    listings = {
        args: site.run(*args).stdout
        for args in [
            ("subscriptions",),
            ("subscriptions", "--json"),
            ("subscriptions", "--opml"),
            ("archive",),
            ("archive", "--json"),
        ]
    }

    written = [path for path in site.output.rglob("*") if path.is_file()]
    assert len(written) > 10
    for path in written:
        assert_no_secret(str(path.relative_to(site.output)), path.read_bytes())

    # What was fetched is all there, only without the password.
    archive = json.loads((site.output / "archive.json").read_text("utf-8"))
    copies = [c for item in archive["items"] for c in item["_syndicate"]["copies"]]
    ours = private_server.base_url + "feed.xml"
    assert {c["feed"] for c in copies} >= {ours, "urn:syndicate:own-posts"}
    assert private_server.base_url + "news/1" in {item.get("url") for item in archive["items"]}
    page = (site.output / "posts/hello-world/index.html").read_text("utf-8")
    assert "Priya" in page  # the comment left on the private copy came back (backfeed)

    shown = json.loads(listings[("subscriptions", "--json")])
    assert [feed["url"] for feed in shown] == [with_credentials(ours, "***")] * 2
    outlines = etree.fromstring(listings[("subscriptions", "--opml")].encode()).iter("outline")
    assert {outline.get("xmlUrl") for outline in outlines} == {ours}
    articles = json.loads(listings[("archive", "--json")])
    feeds = {copy["feed"] for article in articles for copy in article["copies"]}
    assert with_credentials(ours, "***") in feeds


def test_a_real_subscribe_process_shows_no_password(
    tmp_path: Path, private_server: PrivateServer, archive_location: ArchiveLocation
) -> None:
    site = Site(tmp_path, archive=archive_location)
    url = with_credentials(private_server.base_url + "feed.xml")
    for args in (["subscribe", url], ["subscriptions"], ["fetch"]):
        done = subprocess.run(
            [sys.executable, "-m", "syndicate", "--config", str(site.config), *args],
            capture_output=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert_no_secret(f"{args[0]} stdout", done.stdout)
        assert_no_secret(f"{args[0]} stderr", done.stderr)
    assert all(private_server.authorised("/feed.xml"))


def test_subscribing_again_or_from_opml_shows_no_password(
    tmp_path: Path, private_server: PrivateServer, archive_location: ArchiveLocation
) -> None:
    site = Site(tmp_path, archive=archive_location)
    url = with_credentials(private_server.base_url + "feed.xml")
    site.run("subscribe", url)
    again = site.run("subscribe", url, status=2)  # already subscribed: named, hidden
    assert f"{USER}:***@127.0.0.1" in again.stderr
    listing = tmp_path / "reader.opml"
    listing.write_text(
        f'<opml version="2.0"><body><outline text="a" xmlUrl="{url}"/>'
        f'<outline text="b" xmlUrl="{with_credentials("ftp://127.0.0.1/feed", WRONG)}"/>'
        "</body></opml>",
        "utf-8",
    )
    imported = site.run("subscribe", "--opml", str(listing))
    assert "already subscribed" in imported.stdout and "skipped" in imported.stderr
    site.run("unsubscribe", url)


def test_feed_error_names_the_url_without_its_password() -> None:
    error = FeedError(with_credentials("http://127.0.0.1:9/feed.xml"), "HTTP 401 Unauthorized")
    assert str(error) == f"http://{USER}:***@127.0.0.1:9/feed.xml: HTTP 401 Unauthorized"
    assert error.url == with_credentials("http://127.0.0.1:9/feed.xml")  # still usable


def test_opml_export_has_no_userinfo() -> None:
    feed = Feed(
        id=1,
        url=with_credentials("http://example.org/feed"),
        name=None,
        title=None,
        kind="feed",
        etag=None,
        last_modified=None,
        last_fetched=None,
        last_status=None,
        failures=0,
        next_due=None,
        last_error=None,
        gone=0,
    )
    document = etree.fromstring(export_opml([feed], title="subscriptions"))
    (outline,) = document.iter("outline")
    assert outline.get("xmlUrl") == "http://example.org/feed"
    assert outline.get("text") == outline.get("title") == "http://example.org/feed"
