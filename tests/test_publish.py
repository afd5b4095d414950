"""`syndicate publish` for cron, as real processes: the lock, kill -9, WebSub pings, silence."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest

from syndicate.lock import output_lock

FEED_SUFFIXES = (".xml", ".atom", ".json")


def write_site(root: Path, posts: int, *, hub: str | None = None) -> Path:
    folder = root / "posts"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(posts):
        (folder / f"p{n:04d}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2024-01-01T{n % 24:02d}:{n % 60:02d}:00Z\n"
            f"tags: [t{n % 5}]\ncomments:\n  - author: Ann\n    body: hello {n}\n---\n"
            + ("A paragraph of words for the post body. " * 20 + "\n\n")
            * 4
        )
    config = root / "syndicate.toml"
    hub_line = f'hub = "{hub}"\n' if hub else ""
    config.write_text(
        f'[site]\nbase_url = "https://blog.example.org/"\nposts = "{folder}"\n'
        f'output = "{root / "feeds"}"\n{hub_line}[archive]\npath = "{root / "archive.sqlite3"}"\n'
    )
    return config


def publish(config: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "syndicate", "--config", str(config), "publish", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def feed_files(output: Path) -> list[Path]:
    """The feeds a build wrote (what WebSub announces): not the sitemap, nor dotfiles."""
    return sorted(
        p
        for p in output.rglob("*")
        if p.suffix in FEED_SUFFIXES and not p.name.startswith(".") and p.name != "sitemap.xml"
    )


def test_publish_is_silent_when_all_is_well(tmp_path: Path) -> None:
    config = write_site(tmp_path, 3)
    code, out, err = finished(publish(config))
    assert (code, out, err) == (0, "", "")
    assert len(feedparser.parse((tmp_path / "feeds" / "rss.xml").read_bytes()).entries) == 3
    assert finished(publish(config)) == (0, "", "")


def test_a_second_run_while_the_first_holds_the_lock_exits_75(tmp_path: Path) -> None:
    config = write_site(tmp_path, 2)
    with output_lock(tmp_path / "feeds"):
        code, out, err = finished(publish(config))
    assert code == 75
    assert out == ""
    (line,) = err.strip().splitlines()
    assert "another run" in line and f"pid {os.getpid()}" in line


def test_two_runs_at_once_one_exits_75(tmp_path: Path) -> None:
    config = write_site(tmp_path, 300)
    first, second = publish(config), publish(config)
    results = sorted([finished(first)[0], finished(second)[0]])
    assert results == [0, 75]
    for path in feed_files(tmp_path / "feeds"):
        if path.suffix != ".json":
            assert not feedparser.parse(path.read_bytes()).bozo, path


@pytest.mark.parametrize("delay", [0.4, 1.2])
def test_a_run_killed_at_any_moment_leaves_complete_feeds_and_the_next_finishes(
    tmp_path: Path, delay: float
) -> None:
    config = write_site(tmp_path, 300)
    assert finished(publish(config))[0] == 0  # a complete site to start from
    for path in (tmp_path / "posts").glob("p00[0-4]*.md"):  # an edit touching many files
        path.write_text(path.read_text().replace("A paragraph", "An edited paragraph"))
    victim = publish(config)
    time.sleep(delay)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    output = tmp_path / "feeds"
    for path in feed_files(output):  # whatever is there is a whole old or a whole new file
        if path.suffix == ".json":
            continue
        assert not feedparser.parse(path.read_bytes()).bozo, path
    with sqlite3.connect(tmp_path / "archive.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert finished(publish(config)) == (0, "", "")
    assert not [p for p in output.rglob(".*.tmp")]
    edited = feedparser.parse((output / "posts" / "p0001" / "comments.xml").read_bytes())
    assert not edited.bozo
    rss = (output / "rss.xml").read_text()
    assert "An edited paragraph" in rss or "p0001" not in rss


class Hub:
    """A loopback WebSub hub that records publish pings."""

    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                hub.pings.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def pinged_urls(self) -> set[str]:
        assert all(ping["hub.mode"] == ["publish"] for ping in self.pings)
        return {url for ping in self.pings for url in ping["hub.url"]}


@pytest.fixture
def hub() -> Iterator[Hub]:
    hub = Hub()
    thread = threading.Thread(target=hub.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield hub
    hub.server.shutdown()
    hub.server.server_close()


def snapshot(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in feed_files(output)}


def test_the_hub_hears_of_exactly_the_feeds_whose_bytes_changed(tmp_path: Path, hub: Hub) -> None:
    config = write_site(tmp_path, 4, hub=hub.url)
    output = tmp_path / "feeds"
    assert finished(publish(config))[0] == 0
    assert hub.pinged_urls() == {"https://blog.example.org/" + p for p in snapshot(output)}
    hub.pings.clear()
    assert finished(publish(config)) == (0, "", "")
    assert hub.pings == []  # nothing changed, nobody disturbed
    before = snapshot(output)
    (tmp_path / "posts" / "new.md").write_text("---\ntitle: New\ndate: 2024-02-01\n---\nNew.\n")
    assert finished(publish(config))[0] == 0
    after = snapshot(output)
    changed = {p for p in after if after[p] != before.get(p)}
    assert {"rss.xml", "atom.xml", "feed.json", "posts/new/comments.xml"} <= changed
    assert hub.pinged_urls() == {"https://blog.example.org/" + p for p in changed}
    hub.pings.clear()  # an edit of the body alone: only the files showing the post are rendered
    (tmp_path / "posts" / "new.md").write_text("---\ntitle: New\ndate: 2024-02-01\n---\nEdited.\n")
    assert finished(publish(config))[0] == 0
    edited = snapshot(output)
    changed = {p for p in edited if edited[p] != after.get(p)}
    assert {"rss.xml", "atom.xml", "feed.json"} <= changed  # feeds only: snapshot() has no pages
    assert "posts/new/comments.xml" not in changed and "comments.xml" not in changed
    assert hub.pinged_urls() == {"https://blog.example.org/" + p for p in changed}


def test_a_hub_that_fails_is_an_error_but_the_site_is_published(tmp_path: Path) -> None:
    config = write_site(tmp_path, 1, hub="http://127.0.0.1:9/")  # nothing listens on port 9
    code, out, err = finished(publish(config))
    assert code == 1 and out == ""
    assert "WebSub" in err and "Traceback" not in err
    assert (tmp_path / "feeds" / "rss.xml").is_file()


def test_a_bad_configuration_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text("[site]\nfeed_limit = 0\n")
    code, _, err = finished(publish(config))
    assert code == 2 and "feed_limit" in err


def test_pings_the_hub_missed_are_sent_by_the_next_run(tmp_path: Path, hub: Hub) -> None:
    config = write_site(tmp_path, 3, hub="http://127.0.0.1:9/")  # the hub is down
    code, _, err = finished(publish(config))
    assert code == 1 and err.count("WebSub") == 1  # one line, not one per feed
    config.write_text(config.read_text().replace("http://127.0.0.1:9/", hub.url))
    assert finished(publish(config)) == (0, "", "")
    output = tmp_path / "feeds"
    assert hub.pinged_urls() == {"https://blog.example.org/" + p for p in snapshot(output)}
    assert not (output / ".syndicate-websub-pending.json").exists()


def test_a_plain_build_leaves_its_changes_for_publish_to_announce(tmp_path: Path, hub: Hub) -> None:
    config = write_site(tmp_path, 2, hub=hub.url)
    built = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), "build", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0 and hub.pings == []
    assert finished(publish(config)) == (0, "", "")
    assert hub.pinged_urls() == {
        "https://blog.example.org/" + p for p in snapshot(tmp_path / "feeds")
    }
