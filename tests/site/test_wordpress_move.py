"""A WordPress blog moved over (tests/fixtures/wordpress: `import_wordpress`, then a build with the
old base URL and [site] permalink as WordPress's): every post keeps its old address as its link,
and WordPress's old feed addresses reach the new feeds with a 301 from `syndicate serve`, nginx
and Caddy (with the include files the build writes), so that a real feed reader subscribed to
the old `/feed/` follows, and sees no entry twice."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest
import requests
from click.testing import CliRunner
from lxml import etree

from syndicate.cli import cli
from syndicate.site.redirects import match_redirect, parse_redirects
from syndicate.wordpress import import_wordpress
from syndicate.wordpress.convert import wordpress_time
from syndicate.wordpress.wxr import Export, WxrItem, read_export
from tests.conftest import free_port, serving
from tests.site.test_reader import wait_for_log
from tests.wordpress.exports import FIELD_NOTES, WORDPRESS_COM, WXR_1_0
from tests.wordpress.test_import import BERLIN

NOW = "2024-07-01T00:00:00Z"  # after every post of the exports but the one scheduled for 2031
PERMALINK = "/%year%/%monthnum%/%day%/%postname%/"
REDIRECT_FILES = ("_redirects", ".redirects.nginx.conf", ".redirects.caddy")


def published(export: Export, *kinds: str) -> list[WxrItem]:
    return [
        item
        for item in export.items
        if item.post_type in kinds and item.status == "publish" and not item.password
    ]


def build(posts: Path, output: Path, base_url: str, **env: str) -> str:
    environment = {
        "SYNDICATE_NOW": NOW,
        "SYNDICATE_PERMALINK": PERMALINK,
        "SYNDICATE_TIMEZONE": "Europe/Berlin",
        **env,
    }
    args = ["build", str(posts), "-o", str(output), "--base-url", base_url]
    result = CliRunner().invoke(cli, args, env=environment, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def moved(folder: Path, export_file: Path, base_url: str | None = None) -> Path:
    """The export imported and built with its old base URL (or `base_url`); the output folder."""
    posts, output = folder / "posts", folder / "out"
    import_wordpress(export_file, posts, zone=BERLIN)
    build(posts, output, base_url or read_export(export_file).base_url + "/")
    return output


def parsed(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return feed


@pytest.fixture(scope="module")
def field_notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return moved(tmp_path_factory.mktemp("field-notes"), FIELD_NOTES)


# -- old addresses as links ----------------------------------------------------------------------


@pytest.mark.parametrize("export_file", [FIELD_NOTES, WXR_1_0, WORDPRESS_COM])
def test_every_post_and_page_keeps_its_old_wordpress_address(
    tmp_path: Path, export_file: Path
) -> None:
    export = read_export(export_file)
    output = moved(tmp_path, export_file)
    links = {entry.id: entry.link for entry in parsed(output / "atom.xml").entries}
    with_link = [item for item in published(export, "post") if item.link and item.guid]
    assert with_link
    for item in with_link:
        if "?" not in item.link:  # a plain permalink (/?p=50) names no file: not kept
            assert links[item.guid] == item.link, item.title
    base = export.base_url + "/"
    for item in published(export, "post"):
        if not item.link and item.post_date:  # the export lost it: where WordPress had it
            local = wordpress_time(export, item.post_date, BERLIN, line=item.line, name="date")
            assert local is not None
            day = f"{local:%Y/%m/%d}/"
            assert any(link.startswith(base + day) for link in links.values()), item.title
    for page in published(export, "page"):
        path = urlsplit(page.link).path.removeprefix(urlsplit(base).path)
        assert (output / path / "index.html").is_file(), page.link
        assert page.guid not in links  # a page is in no feed


def test_the_unicode_address_keeps_wordpress_spelling(field_notes: Path) -> None:
    entry = next(
        e for e in parsed(field_notes / "atom.xml").entries if e.id.endswith("p=71&lang=zh")
    )
    assert entry.link == "https://oldblog.example/2022/07/01/%e4%bd%a0%e5%a5%bd-%f0%9f%9a%80/"
    assert (field_notes / "2022/07/01/你好-🚀/index.html").is_file()


# -- the redirect map -----------------------------------------------------------------------------


def old_addresses(export: Export) -> dict[str, str]:
    """Old address (path and query) -> the file of the output folder it must lead to."""
    expected = {
        "/feed/": "rss.xml",
        "/feed": "rss.xml",
        "/feed/rss2/": "rss.xml",
        "/feed/rdf/": "rss.xml",
        "/feed/atom/": "atom.xml",
        "/comments/feed/": "comments.xml",
        "/comments/feed/atom/": "comments.atom",
        "/wp-rss2.php": "rss.xml",
        "/?feed=rss2": "rss.xml",
        "/?feed=atom": "atom.xml",
        "/?feed=comments-rss2": "comments.xml",
        "/tag/python/feed/": "tags/python.xml",
        "/tag/c-2/feed/": "tags/c-372946aa.xml",  # C++: WordPress's slug is not ours
        "/tag/caf%c3%a9/feed/atom/": "tags/cafe-f424452a.atom",
        "/category/notes/feed/": "tags/notes.xml",
        "/category/notes/audio-notes/feed/": "tags/audio-notes.xml",  # a child category
        "/category/uncategorized/feed/": "rss.xml",  # no post carries it as a tag
        "/tag/python/": "tags/python.html",
    }
    for item in published(export, "post", "page"):
        path = urlsplit(item.link).path
        if "?" in item.link:
            continue
        folder = unquote(path).lstrip("/")  # the file's name: the letters, not their escapes
        expected[path + "feed/"] = folder + "comments.xml"
        expected[path + "feed/atom/"] = folder + "comments.atom"
        number = urlsplit(item.guid).query
        if number.startswith(("p=", "page_id=")) and "&" not in number:
            expected[f"/?{number}"] = folder + "index.html"
            expected[f"/?{number}&feed=rss2"] = folder + "comments.xml"
    return expected


def test_the_redirect_map_sends_every_old_feed_address_to_a_file_of_the_site(
    field_notes: Path,
) -> None:
    """Through the map's own rules (as Netlify reads them): each old address to the file."""
    rules = parse_redirects((field_notes / "_redirects").read_text(encoding="utf-8"))
    assert len([rule for rule in rules if rule.dynamic]) <= 100  # Cloudflare Pages' limit
    for old, file in old_addresses(read_export(FIELD_NOTES)).items():
        parts = urlsplit(old)
        query = dict(pair.split("=", 1) for pair in parts.query.split("&") if pair)
        found = match_redirect(rules, unquote(parts.path), query, file_exists=parts.path == "/")
        assert found is not None, old
        rule, location = found
        assert rule.status == 301
        target = unquote(urlsplit(location).path).lstrip("/")
        assert (field_notes / (target + ("index.html" if target.endswith("/") else ""))).is_file()
        assert target.removesuffix("index.html") == file.removesuffix("index.html"), old


def test_a_blog_in_a_subfolder_is_redirected_under_it(tmp_path: Path) -> None:
    output = moved(tmp_path, WXR_1_0)
    rules = parse_redirects((output / "_redirects").read_text(encoding="utf-8"))
    assert all(rule.source.startswith("/blog/") for rule in rules)
    found = match_redirect(rules, "/blog/feed/", {}, file_exists=False)
    assert found is not None and found[1] == "/blog/rss.xml"
    post = match_redirect(rules, "/blog/2009/02/15/upgrading-to-lenny/feed/", {}, file_exists=False)
    assert post is not None and post[1] == "/blog/2009/02/15/upgrading-to-lenny/comments.xml"
    plain = match_redirect(rules, "/blog/", {"p": "87"}, file_exists=True)
    assert plain is not None and plain[1] == "/blog/2009/02/15/upgrading-to-lenny/"


def test_no_redirect_map_for_a_site_that_was_never_wordpress(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "a.md").write_text("---\ntitle: A\ndate: 2024-01-01\n---\nA.\n")
    build(
        posts, tmp_path / "out", "https://blog.example.org/", SYNDICATE_PERMALINK="{year}/{slug}/"
    )
    assert not any((tmp_path / "out" / name).exists() for name in REDIRECT_FILES)
    assert (tmp_path / "out/2024/a/index.html").is_file()


def test_a_redirects_file_of_your_own_is_never_replaced(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    import_wordpress(FIELD_NOTES, posts, zone=BERLIN)
    output.mkdir()
    (output / "_redirects").write_text("/mine /rss.xml 302\n")
    printed = build(posts, output, "https://oldblog.example/")
    assert (output / "_redirects").read_text() == "/mine /rss.xml 302\n"
    assert "_redirects is not a file that syndicate wrote" in printed
    assert (output / ".redirects.nginx.conf").is_file()


def test_the_redirect_files_are_the_same_for_the_same_posts(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    import_wordpress(FIELD_NOTES, posts, zone=BERLIN)
    build(posts, tmp_path / "a", "https://oldblog.example/")
    build(posts, tmp_path / "b", "https://oldblog.example/")
    for name in REDIRECT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


# -- the old addresses answered by real servers ----------------------------------------------------


@contextmanager
def nginx(folder: Path, work: Path) -> Iterator[str]:
    port = free_port()
    (work / "logs").mkdir(parents=True)
    config = work / "nginx.conf"
    temp = " ".join(f"{kind}_temp_path {work};" for kind in ("client_body", "proxy", "fastcgi"))
    user = "user root;" if os.geteuid() == 0 else ""  # workers as nobody could not read tmp
    config.write_text(
        f"{user}\ndaemon off;\npid {work}/nginx.pid;\nerror_log {work}/logs/error.log;\n"
        f"events {{}}\nhttp {{\n access_log off;\n {temp}\n uwsgi_temp_path {work};\n"
        f" scgi_temp_path {work};\n server {{\n  listen 127.0.0.1:{port};\n  root {folder};\n"
        f"  include {folder}/.redirects.nginx.conf;\n }}\n}}\n"
    )
    check = subprocess.run(
        ["nginx", "-t", "-p", str(work), "-c", str(config)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    with running(["nginx", "-p", str(work), "-c", str(config)], port, os.environ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def caddy(folder: Path, work: Path) -> Iterator[str]:
    port = free_port()
    work.mkdir(parents=True)
    config = work / "Caddyfile"
    config.write_text(
        "{\n admin off\n auto_https off\n}\n"
        f"http://127.0.0.1:{port} {{\n root * {folder}\n import {folder}/.redirects.caddy\n"
        " file_server\n}\n"
    )
    env = {
        **os.environ,
        "HOME": str(work),
        "XDG_DATA_HOME": str(work),
        "XDG_CONFIG_HOME": str(work),
    }
    check = subprocess.run(
        ["caddy", "validate", "--config", str(config), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert check.returncode == 0, check.stderr
    command = ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"]
    with running(command, port, env):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def running(
    command: list[str], port: int, env: dict[str, str] | os._Environ[str]
) -> Iterator[None]:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(env)
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{command[0]} exited with {process.returncode}"
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def served_by(server: str, folder: Path, work: Path) -> Iterator[str]:
    if server == "serve":
        with serving(folder) as served:
            yield served.base_url.rstrip("/")
        return
    if shutil.which(server) is None:
        reason = f"{server} is not installed (apt-get install {server})"
        if os.environ.get("CI"):  # .ci/run installs it: there a skip would hide a failure
            pytest.fail(reason)
        pytest.skip(reason)
    with (nginx if server == "nginx" else caddy)(folder, work) as base:
        yield base


@pytest.mark.parametrize("server", ["serve", "nginx", "caddy"])
def test_the_old_addresses_are_answered_with_301_to_the_new_files(
    field_notes: Path, tmp_path: Path, server: str
) -> None:
    with served_by(server, field_notes, tmp_path / server) as base:
        for old, file in old_addresses(read_export(FIELD_NOTES)).items():
            response = requests.get(base + old, allow_redirects=False, timeout=10)
            assert response.status_code == 301, (old, response.status_code)
            location = urljoin(base + old, response.headers["Location"])
            target = unquote(urlsplit(location).path).lstrip("/")
            assert target == file.removesuffix("index.html"), old
            final = requests.get(location, timeout=10)
            assert final.status_code == 200, (old, location)
            assert final.content == (field_notes / file).read_bytes(), old
        home = requests.get(base + "/", allow_redirects=False, timeout=10)
        assert home.status_code == 200 and home.content == (field_notes / "index.html").read_bytes()


# -- a subscriber of the old blog ------------------------------------------------------------------


def wordpress_feed(export: Export, base: str) -> bytes:
    """The feed that WordPress served at /feed/: its ten newest posts, under their guids."""
    rss = etree.Element("rss", version="2.0")
    channel = etree.SubElement(rss, "channel")
    etree.SubElement(channel, "title").text = "Field Notes & Sketches"
    etree.SubElement(channel, "link").text = base
    etree.SubElement(channel, "description").text = "The old blog"
    posts = sorted(published(export, "post"), key=lambda item: item.post_date_gmt, reverse=True)
    for item in posts[:10]:
        entry = etree.SubElement(channel, "item")
        etree.SubElement(entry, "title").text = item.title
        etree.SubElement(entry, "link").text = base + urlsplit(item.link).path.lstrip("/")
        etree.SubElement(entry, "guid", isPermaLink="false").text = item.guid
        when = wordpress_time(export, item.post_date_gmt, BERLIN, line=1, name="date")
        assert when is not None
        etree.SubElement(entry, "pubDate").text = format_datetime(when)
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8")


def wordpress_comment_feed(export: Export, item: WxrItem) -> bytes:
    """The feed WordPress served at <post>/feed/: its approved comments, pings too, under
    WordPress's comment guids (the post's guid and #comment-ID)."""
    rss = etree.Element("rss", version="2.0")
    channel = etree.SubElement(rss, "channel")
    etree.SubElement(channel, "title").text = f"Comments on: {item.title}"
    etree.SubElement(channel, "link").text = item.link
    etree.SubElement(channel, "description").text = "Comments"
    for comment in item.comments:
        if comment.approved == "1":
            entry = etree.SubElement(channel, "item")
            etree.SubElement(entry, "title").text = f"By: {comment.author}"
            guid = etree.SubElement(entry, "guid", isPermaLink="false")
            guid.text = f"{item.guid}#comment-{comment.id}"
            etree.SubElement(entry, "description").text = comment.content
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8")


@contextmanager
def old_blog(port: int, routes: dict[str, bytes]) -> Iterator[None]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_reader_subscribed_to_the_old_feeds_follows_them_and_sees_no_entry_twice(
    tmp_path: Path,
) -> None:
    reader_module = pytest.importorskip("reader")
    export = read_export(FIELD_NOTES)
    hello = next(item for item in export.items if item.guid.endswith("?p=12"))
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    post_feed = urlsplit(hello.link).path + "feed/"
    routes = {
        "/feed/": wordpress_feed(export, base),
        post_feed: wordpress_comment_feed(export, hello),
    }
    reader = reader_module.make_reader(str(tmp_path / "reader.sqlite"))
    with old_blog(port, routes):  # before the move: WordPress answers
        reader.add_feed(base + "feed/")
        reader.add_feed(base + post_feed.lstrip("/"))
        reader.update_feeds()
    before = {(entry.feed_url, entry.id) for entry in reader.get_entries()}
    posts = {guid for _, guid in before if "#" not in guid}
    assert posts == {item.guid for item in published(export, "post")}
    assert len([guid for _, guid in before if "#" in guid]) == 7  # 5 comments and 2 pings
    for entry in reader.get_entries():
        reader.mark_entry_as_read(entry)

    output = moved(tmp_path, FIELD_NOTES, base_url=base)  # after: the new site, same address
    with serving(output, port=port) as served:
        reader.update_feeds(scheduled=False)  # now, not when the feeds are next due
        log = wait_for_log(served, " 301", count=2)
    after = {(entry.feed_url, entry.id) for entry in reader.get_entries()}
    assert after == before  # every entry once: the guids are the ones the reader holds
    assert not list(reader.get_entries(read=False))  # nothing shows again as new
    assert sorted(log) == sorted([f"GET {post_feed} 301", "GET /feed/ 301"]), log
    assert "GET /rss.xml 200" in served.log_lines()
    reader.close()
