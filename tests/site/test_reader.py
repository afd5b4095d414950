"""A real feed reader library (`reader` from PyPI) subscribed to what `serve` serves."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Served, free_port, serving

reader_module = pytest.importorskip("reader")


def publish(config: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), "publish"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr


def wait_for_log(served: Served, needle: str, *, count: int) -> list[str]:
    """The server's log lines about `needle`, once there are `count` of them (it logs async)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in served.log_lines() if needle in line]
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    return [line for line in served.log_lines() if needle in line]


def write_post(folder: Path, n: int) -> None:
    (folder / f"post-{n}.md").write_text(
        f"---\ntitle: Post {n}\ndate: 2024-03-{n:02d}T10:00:00Z\n---\nBody of post {n}.\n"
    )


@pytest.mark.parametrize("feed", ["rss.xml", "atom.xml"])
def test_a_reader_subscribes_refreshes_and_sees_exactly_the_new_post(
    tmp_path: Path, feed: str
) -> None:
    posts, output = tmp_path / "posts", tmp_path / "feeds"
    posts.mkdir()
    for n in range(1, 6):
        write_post(posts, n)
    config = tmp_path / "syndicate.toml"
    port = free_port()  # chosen first: the site's base URL must name it before the build
    base = f"http://127.0.0.1:{port}/"
    config.write_text(f'[site]\nbase_url = "{base}"\nposts = "{posts}"\noutput = "{output}"\n')
    publish(config)
    with serving(output, port=port) as served:
        assert served.base_url == base
        reader = reader_module.make_reader(str(tmp_path / "reader.sqlite"))
        reader.add_feed(base + feed)
        reader.update_feeds()
        titles = {entry.title for entry in reader.get_entries()}
        assert titles == {f"Post {n}" for n in range(1, 6)}

        reader.update_feeds(scheduled=False)  # nothing new: the server answers 304
        requests_for_feed = wait_for_log(served, f"/{feed} ", count=2)
        assert requests_for_feed[-1].endswith(" 304"), requests_for_feed

        write_post(posts, 6)
        publish(config)
        reader.update_feeds(scheduled=False)
        new = {entry.title for entry in reader.get_entries()} - titles
        assert new == {"Post 6"}
        assert len(list(reader.get_entries())) == 6
        reader.close()
