"""A follower of other sites' feeds, driven through the CLI against a real HTTP server, for
the tests of how the feed web is read as it is (tests/fixtures/feedweb: our own feeds, in the
shapes real hosts produce)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from syndicate.cli import cli
from tests.conftest import ArchiveLocation, FeedServer

FEEDWEB = Path(__file__).resolve().parents[1] / "fixtures" / "feedweb"


def fixture_bytes(name: str, **placeholders: str) -> bytes:
    """A fixture's bytes as they are (its encoding is part of what is tested), with each
    `{name}` placeholder replaced."""
    data = (FEEDWEB / name).read_bytes()
    for key, value in placeholders.items():
        data = data.replace(f"{{{key}}}".encode("ascii"), value.encode("utf-8"))
    return data


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class Follower:
    """A folder with a config and an archive (no posts of its own), run through the CLI. The
    archive is `archive` (the `archive_location` fixture's, on either engine), else a SQLite
    file in the folder."""

    def __init__(
        self, root: Path, *, posts: Path | None = None, archive: ArchiveLocation | None = None
    ) -> None:
        self.root = root
        self.archive_location = archive or root / "archive.sqlite3"
        self.config = root / "syndicate.toml"
        posts_line = f'posts = "{posts}"\n' if posts else f'posts = "{root / "no-posts"}"\n'
        self.config.write_text(
            f'[site]\nbase_url = "https://blog.example.org/"\n{posts_line}'
            f'output = "{root / "out"}"\n[archive]\npath = "{self.archive_location}"\n'
        )

    def run(self, *args: str) -> Result:
        result = CliRunner().invoke(
            cli, ["--config", str(self.config), *args], catch_exceptions=False
        )
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def archive(self) -> list[dict[str, Any]]:
        return json.loads(self.ok("archive", "--json").stdout)

    def subscriptions(self) -> list[dict[str, Any]]:
        return json.loads(self.ok("subscriptions", "--json").stdout)

    def subscription(self, url: str) -> dict[str, Any]:
        (found,) = [feed for feed in self.subscriptions() if feed["url"] == url]
        return found

    def copies(self) -> list[dict[str, Any]]:
        return [copy for article in self.archive() for copy in article["copies"]]


def serve(server: FeedServer, path: str, name: str, content_type: str, **headers: str) -> str:
    """Serve a fixture's bytes at `path` with this Content-Type; returns the URL."""
    return server.serve(path, fixture_bytes(name), Content_Type=content_type, **headers)


def stderr_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]
