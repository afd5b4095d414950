"""`syndicate serve` as a real process, checked with requests and raw HTTP."""

from __future__ import annotations

import gzip
import http.client
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import feedparser
import lxml.html
import pytest
import requests
from reader import make_reader

from tests.conftest import Served, run_build, serving


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    root = tmp_path_factory.mktemp("serve")
    posts, output = root / "posts", root / "out"
    posts.mkdir()
    comments = {1: "comments:\n  - {id: c1, author: Ann, body: Nice.}\n"}
    for n in range(1, 4):
        (posts / f"p{n}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2024-05-0{n}\ntags: [a]\n{comments.get(n, '')}---\n"
            + "Words here. " * 80
        )
    assert run_build(posts, output).exit_code == 0
    (root / "secret.txt").write_text("outside the folder")
    (output / "hostile.xml").write_text(HOSTILE_FEED, encoding="utf-8")
    with serving(output) as served:
        yield served, output


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("rss.xml", "application/rss+xml"),
        ("atom.xml", "application/atom+xml"),
        ("feed.json", "application/feed+json"),
        ("posts/p1/comments.xml", "application/rss+xml"),
        ("posts/p1/comments.atom", "application/atom+xml"),
        ("tags/a.atom", "application/atom+xml"),
        ("archive.json", "application/feed+json"),
        ("", "text/html"),
        ("posts/p2/index.html", "text/html"),
        ("feed.css", "text/css"),
    ],
)
def test_each_kind_gets_its_content_type(
    site: tuple[Served, Path], path: str, media_type: str
) -> None:
    served, output = site
    response = requests.get(served.base_url + path, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    expected = (output / (path or "index.html")).read_bytes()
    assert response.content == expected


def test_conditional_requests_get_304(site: tuple[Served, Path]) -> None:
    served, _ = site
    first = requests.get(served.base_url + "rss.xml", timeout=10)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = requests.get(served.base_url + "rss.xml", headers={"If-None-Match": etag}, timeout=10)
    assert by_etag.status_code == 304 and by_etag.content == b""
    by_date = requests.get(
        served.base_url + "rss.xml", headers={"If-Modified-Since": modified}, timeout=10
    )
    assert by_date.status_code == 304
    stale = requests.get(served.base_url + "rss.xml", headers={"If-None-Match": '"x"'}, timeout=10)
    assert stale.status_code == 200


def test_an_if_modified_since_in_the_future_is_ignored(site: tuple[Served, Path]) -> None:
    served, output = site
    future = {"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT", "Accept-Encoding": "identity"}
    response = requests.get(served.base_url + "rss.xml", headers=future, timeout=10)
    assert response.status_code == 200
    assert response.content == (output / "rss.xml").read_bytes()
    head = requests.head(served.base_url + "rss.xml", headers=future, timeout=10)
    assert head.status_code == 200


def test_if_none_match_decides_before_if_modified_since(site: tuple[Served, Path]) -> None:
    served, _ = site
    url = served.base_url + "atom.xml"
    first = requests.get(url, timeout=10)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    # RFC 9110 §13.1.3: with If-None-Match present, If-Modified-Since is ignored either way.
    other_tag = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert requests.get(url, headers=other_tag, timeout=10).status_code == 200
    old_date = {"If-None-Match": etag, "If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"}
    assert requests.get(url, headers=old_date, timeout=10).status_code == 304


def test_the_cache_headers_that_the_readme_promises(site: tuple[Served, Path]) -> None:
    served, _ = site
    response = requests.get(served.base_url + "feed.json", timeout=10)
    assert response.headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert response.headers["Vary"] == "Accept-Encoding"


def test_oversized_request_headers_are_refused(site: tuple[Served, Path]) -> None:
    served, _ = site
    connection = http.client.HTTPConnection(served.base_url.split("/")[2], timeout=10)
    connection.request("GET", "/rss.xml", headers={f"X-Pad-{n}": "x" * 1000 for n in range(40)})
    response = connection.getresponse()
    response.read()
    assert response.status == 431


def test_head_gives_the_headers_without_a_body(site: tuple[Served, Path]) -> None:
    served, output = site
    response = requests.head(
        served.base_url + "atom.xml", headers={"Accept-Encoding": "identity"}, timeout=10
    )
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["Content-Length"]) == len((output / "atom.xml").read_bytes())


def test_gzip_when_the_client_accepts_it(site: tuple[Served, Path]) -> None:
    served, output = site
    connection = http.client.HTTPConnection(served.base_url.split("/")[2], timeout=10)
    connection.request("GET", "/rss.xml", headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    assert response.getheader("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in response.getheader("Vary", "")
    assert gzip.decompress(response.read()) == (output / "rss.xml").read_bytes()
    connection.request("GET", "/rss.xml", headers={"Accept-Encoding": "identity"})
    plain = connection.getresponse()
    assert plain.getheader("Content-Encoding") is None
    assert plain.read() == (output / "rss.xml").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/posts/../../secret.txt",
        "/posts/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "//etc/passwd",
        "/.syndicate-manifest.json",
        "/.syndicate.lock",
        "/no-such-file.xml",
    ],
)
def test_nothing_outside_the_folder_and_no_dotfiles(site: tuple[Served, Path], path: str) -> None:
    served, _ = site
    connection = http.client.HTTPConnection(served.base_url.split("/")[2], timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    assert response.status in (400, 404), (path, response.status)
    assert b"outside the folder" not in body and b"root:" not in body


def test_only_get_and_head(site: tuple[Served, Path]) -> None:
    served, _ = site
    assert requests.post(served.base_url + "rss.xml", timeout=10).status_code == 405


def test_many_concurrent_clients(site: tuple[Served, Path]) -> None:
    served, output = site
    expected = (output / "atom.xml").read_bytes()

    def fetch(_: int) -> tuple[int, bytes]:
        response = requests.get(served.base_url + "atom.xml", timeout=30)
        return response.status_code, response.content

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(fetch, range(200)))
    assert all(status == 200 and body == expected for status, body in results)


def test_gzip_refused_with_q_zero(site: tuple[Served, Path]) -> None:
    served, _ = site
    connection = http.client.HTTPConnection(served.base_url.split("/")[2], timeout=10)
    connection.request("GET", "/rss.xml", headers={"Accept-Encoding": "gzip;q=0, identity"})
    response = connection.getresponse()
    response.read()
    assert response.getheader("Content-Encoding") is None


@pytest.mark.parametrize("path", ["/" + "a" * 300 + ".xml", "/" + "a/" * 3000, "/" + "b" * 20000])
def test_absurd_paths_are_not_found_not_errors(site: tuple[Served, Path], path: str) -> None:
    served, _ = site
    connection = http.client.HTTPConnection(served.base_url.split("/")[2], timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    assert response.status in (404, 414, 431), response.status
    assert not any("Traceback" in line for line in served.log_lines())


# -- a feed for feed readers, a page for browsers ------------------------------------------------

# Accept headers as the clients send them (from their source, or recorded from a real request).
FEED_READERS = {
    "feedparser 6": feedparser.http.ACCEPT_HEADER,
    "reader 3 (recorded)": "application/atom+xml,application/rdf+xml,application/rss+xml,"
    "application/x-netcdf,application/feed+json,application/xml;q=0.9,application/json;q=0.9,"
    "text/xml;q=0.2,*/*;q=0.1",
    # internal/reader/fetcher/request_builder.go: text/html at q=1 too, a tie the feed wins
    "Miniflux 2": "application/xml, application/atom+xml, application/rss+xml, "
    "application/rdf+xml, application/feed+json, text/html, */*;q=0.9",
    # SimplePie (FreshRSS, and WordPress's feed widgets): text/html below the feed types
    "SimplePie": "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.7, unknown/unknown;q=0.1, "
    "application/unknown;q=0.1, */*;q=0.1",
    # NetNewsWire sets no Accept of its own: URLSession sends */*, as curl does
    "NetNewsWire, curl": "*/*",
    # Feedly documents its User-Agent (Feedly/1.0), not an Accept
    "no Accept at all": None,
}
BROWSERS = {
    "Chromium 156 (recorded)": "text/html,application/xhtml+xml,application/xml;q=0.9,"
    "image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "Firefox": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Safari": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}
FEEDS = {
    "rss.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "posts/p1/comments.xml": "application/rss+xml",
    "posts/p1/comments.atom": "application/atom+xml",
    "tags/a.xml": "application/rss+xml",
}
HOSTILE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Evil &lt;script&gt;alert(1)&lt;/script&gt;</title>
<link>javascript:alert(2)</link><description>d</description>
<item><title>&lt;img src=x onerror=alert(3)&gt;</title><link> JavaScript:alert(4)</link>
<description>&lt;script&gt;alert(5)&lt;/script&gt;Said &amp;amp; done</description></item>
<item><title>"quoted" &amp; fine</title><link>https://example.org/?a=1&amp;b="2"</link></item>
</channel></rss>
"""


def fetch(served: Served, path: str, accept: str | None, **headers: str) -> requests.Response:
    """GET with this Accept; None sends no Accept header at all (requests drops it)."""
    sent: dict[str, str | None] = {"Accept": accept, **headers}
    response = requests.get(served.base_url + path, headers=sent, timeout=10)
    assert response.status_code in (200, 304), (path, response.status_code)
    return response


@pytest.mark.parametrize("accept", FEED_READERS.values(), ids=FEED_READERS.keys())
@pytest.mark.parametrize("path", FEEDS)
def test_feed_readers_get_the_feed(
    site: tuple[Served, Path], path: str, accept: str | None
) -> None:
    served, output = site
    response = fetch(served, path, accept)
    assert response.headers["Content-Type"] == FEEDS[path]
    assert response.content == (output / path).read_bytes()
    assert response.headers["Vary"] == "Accept, Accept-Encoding"


@pytest.mark.parametrize("accept", BROWSERS.values(), ids=BROWSERS.keys())
@pytest.mark.parametrize("path", FEEDS)
def test_browsers_get_a_page_of_the_feed(site: tuple[Served, Path], path: str, accept: str) -> None:
    served, output = site
    response = fetch(served, path, accept)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    feed = feedparser.parse((output / path).read_bytes())
    page = lxml.html.fromstring(response.content)
    assert page.findtext(".//h1/a") == feed.feed.title
    assert page.xpath("//article/h2/a/@href") == [entry.link for entry in feed.entries]
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert page.xpath("//section[@id='subscribe']//code/text()") == [self_link]
    assert page.xpath("//link[@rel='alternate']/@href") == [self_link]  # for a reader after all


def test_real_readers_read_the_feed_from_serve(site: tuple[Served, Path], tmp_path: Path) -> None:
    served, _ = site
    parsed = feedparser.parse(served.base_url + "rss.xml")  # feedparser's own HTTP client
    assert not parsed.bozo and parsed.version == "rss20" and len(parsed.entries) == 3
    with make_reader(str(tmp_path / "reader.sqlite")) as reader:
        reader.add_feed(served.base_url + "atom.xml")
        reader.update_feeds()
        assert len(list(reader.get_entries())) == 3


@pytest.mark.parametrize(
    ("accept", "gets_page"),
    [
        ("text/html;q=0.5, application/rss+xml", False),
        ("application/rss+xml;q=0.5, text/html", True),
        ("text/html;q=0, */*", False),
        ("text/html, application/xml", False),  # a tie: the feed
        ("text/html, */*;q=0.9", True),
        ("text/*, */*;q=0.1", False),  # text/xml is as welcome as text/html
        ("text/html;level=1, */*;q=0.5", False),  # a range with parameters is not text/html
        ("TEXT/HTML, APPLICATION/XML;Q=0.5", True),
        ("text/html;q=2, application/rss+xml;q=0.5", False),  # an invalid q is no preference
        ("application/atom+xml, image/*", False),
    ],
)
def test_q_values_decide(site: tuple[Served, Path], accept: str, gets_page: bool) -> None:
    served, _ = site
    response = fetch(served, "rss.xml", accept)
    page = response.headers["Content-Type"].startswith("text/html")
    assert page == gets_page, response.headers["Content-Type"]


def test_each_representation_has_its_own_etag_and_304(site: tuple[Served, Path]) -> None:
    served, _ = site
    browser, reader = BROWSERS["Firefox"], FEED_READERS["feedparser 6"]
    for encoding in ("identity", "gzip"):
        page = fetch(served, "atom.xml", browser, **{"Accept-Encoding": encoding})
        feed = fetch(served, "atom.xml", reader, **{"Accept-Encoding": encoding})
        page_tag, feed_tag = page.headers["ETag"], feed.headers["ETag"]
        assert page_tag != feed_tag
        assert page.headers["Last-Modified"] == feed.headers["Last-Modified"]
        for accept, tag in ((browser, page_tag), (reader, feed_tag)):
            again = fetch(served, "atom.xml", accept, **{"Accept-Encoding": encoding})
            assert again.headers["ETag"] == tag  # stable: the same bytes, the same tag
            unchanged = fetch(
                served, "atom.xml", accept, **{"If-None-Match": tag, "Accept-Encoding": encoding}
            )
            assert unchanged.status_code == 304 and unchanged.content == b""
            assert unchanged.headers["ETag"] == tag
            assert unchanged.headers["Vary"] == "Accept, Accept-Encoding"
        # The other representation's tag matches nothing: the full answer of this one.
        crossed = fetch(served, "atom.xml", reader, **{"If-None-Match": page_tag})
        assert crossed.status_code == 200
        assert crossed.headers["Content-Type"] == "application/atom+xml"
        crossed = fetch(served, "atom.xml", browser, **{"If-None-Match": feed_tag})
        assert crossed.status_code == 200
        assert crossed.headers["Content-Type"] == "text/html; charset=utf-8"
    modified = page.headers["Last-Modified"]
    by_date = fetch(served, "atom.xml", browser, **{"If-Modified-Since": modified})
    assert by_date.status_code == 304


def test_head_of_the_page(site: tuple[Served, Path]) -> None:
    served, _ = site
    plain = {"Accept": BROWSERS["Safari"], "Accept-Encoding": "identity"}
    got = requests.get(served.base_url + "rss.xml", headers=plain, timeout=10)
    head = requests.head(served.base_url + "rss.xml", headers=plain, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(head.headers["Content-Length"]) == len(got.content)
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.headers["Vary"] == "Accept, Accept-Encoding"


@pytest.mark.parametrize("path", ["", "posts/p1/index.html", "feed.json", "feed.css"])
def test_other_files_do_not_vary_with_accept(site: tuple[Served, Path], path: str) -> None:
    served, output = site
    response = fetch(served, path, BROWSERS["Chromium 156 (recorded)"])
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.content == (output / (path or "index.html")).read_bytes()


def test_the_page_shows_feed_text_as_text_and_links_only_to_the_web(
    site: tuple[Served, Path],
) -> None:
    served, _ = site
    response = fetch(served, "hostile.xml", BROWSERS["Firefox"])
    page = lxml.html.fromstring(response.content)
    assert not page.xpath("//script | //img | //*[@onerror] | //iframe")
    assert page.findtext(".//h1") == "Evil <script>alert(1)</script>"
    assert page.xpath("//article/h2/text()")[0] == "<img src=x onerror=alert(3)>"
    links = page.xpath("//a/@href")
    assert links == ['https://example.org/?a=1&b="2"']  # javascript: is no link
    assert page.xpath("//article/h2/a/text()") == ['"quoted" & fine']
    assert "Said & done" in page.text_content()


# -- 404.html, folders without their slash, the folder's _redirects -------------------------------

REDIRECTS = """# rules as Netlify's _redirects has them
/old-feed/ /rss.xml 301
/gone/:name/feed/ /posts/:name/comments.xml 302
/rss.xml /atom.xml 301
/forced/ /tags/a.atom 308!
/ q=1 /feed.json 301!
/ p=:id /posts/p:id/index.html 301!
/files/* /posts/:splat 301
/rewritten /posts/p1/index.html 200
/localised /posts/p2/index.html 302 Country=fr
"""


def raw_get(served: Served, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(served.base_url.split("/")[2], timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


@pytest.fixture(scope="module")
def moved_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    root = tmp_path_factory.mktemp("serve-redirects")
    posts, output = root / "posts", root / "out"
    posts.mkdir()
    for n in range(1, 3):
        (posts / f"p{n}.md").write_text(f"---\ntitle: Post {n}\ndate: 2024-05-0{n}\n---\nHi.\n")
    assert run_build(posts, output).exit_code == 0
    (output / "_redirects").write_text(REDIRECTS, encoding="utf-8")
    with serving(output) as served:
        yield served, output


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/old-feed/", 301, "/rss.xml"),
        ("/old-feed", 301, "/rss.xml"),  # with or without its slash, as Netlify compares
        ("/gone/p1/feed/", 302, "/posts/p1/comments.xml"),
        ("/forced/", 308, "/tags/a.atom"),
        ("/?q=1", 301, "/feed.json"),
        ("/?q=1&other=2", 301, "/feed.json"),
        ("/?p=2", 301, "/posts/p2/index.html"),
        ("/files/p1/index.html", 301, "/posts/p1/index.html"),
        ("/posts/p1", 301, "/posts/p1/"),  # a folder, named without its slash
        ("//posts/p1", 301, "/posts/p1/"),  # never to //posts/...: another host
    ],
)
def test_the_folders_redirects_are_answered(
    moved_site: tuple[Served, Path], path: str, status: int, location: str
) -> None:
    served, _ = moved_site
    got, headers, _ = raw_get(served, path)
    assert (got, headers.get("Location")) == (status, location)
    head, head_headers, body = raw_get(served, path, "HEAD")
    assert (head, head_headers.get("Location"), body) == (status, location, b"")


@pytest.mark.parametrize(
    ("path", "served_file"),
    [
        ("/rss.xml", "rss.xml"),  # a file is there and the rule is not forced (`301!`)
        ("/", "index.html"),  # the query rules want their query
        ("/?q=2", "index.html"),
        ("/rewritten", None),  # a rewrite (200) is no redirect: a static server cannot do it
        ("/localised", None),  # nor can it see where a client is
    ],
)
def test_what_a_static_server_cannot_or_should_not_follow_is_not_followed(
    moved_site: tuple[Served, Path], path: str, served_file: str | None
) -> None:
    served, output = moved_site
    status, headers, body = raw_get(served, path)
    assert "Location" not in headers
    if served_file is None:
        assert status == 404
    else:
        assert (status, body) == (200, (output / served_file).read_bytes())


def test_a_missing_path_gets_the_sites_404_page(moved_site: tuple[Served, Path]) -> None:
    served, output = moved_site
    for path in ("/no-such-page/", "/_redirects", "/.syndicate-manifest.json", "/gone/p1/"):
        status, headers, body = raw_get(served, path)
        assert status == 404, path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert body == (output / "404.html").read_bytes()
    status, _, body = raw_get(served, "/no-such-page/", "HEAD")
    assert (status, body) == (404, b"")


def test_without_a_404_page_a_missing_path_is_a_plain_404(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hi</p>")
    with serving(tmp_path) as served:
        status, _, body = raw_get(served, "/nothing")
    assert status == 404 and b"Not Found" in body
