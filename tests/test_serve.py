"""`syndicate serve` as a real process, checked with requests and raw HTTP."""

from __future__ import annotations

import gzip
import http.client
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import Served, run_build, serving


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    root = tmp_path_factory.mktemp("serve")
    posts, output = root / "posts", root / "out"
    posts.mkdir()
    for n in range(1, 4):
        (posts / f"p{n}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2024-05-0{n}\ntags: [a]\n---\n" + "Words here. " * 80
        )
    assert run_build(posts, output).exit_code == 0
    (root / "secret.txt").write_text("outside the folder")
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
        ("feed.xsl", "text/xsl"),
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
