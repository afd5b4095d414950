"""The command line: help everywhere, settings precedence, and one run as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import feedparser
import pytest
from click.testing import CliRunner

from syndicate import __version__
from syndicate.cli import cli
from tests.aggregate.feedweb import closed_port_url
from tests.conftest import FeedServer, run_build
from tests.hostile import rss


def all_commands() -> list[list[str]]:
    return [[], *([name] for name in cli.commands)]


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "syndicate")
def test_every_command_has_help_and_version(command: list[str]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, [*command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    target = cli if not command else cli.commands[command[0]]
    assert isinstance(target, click.Command) and (target.help or "").strip()
    for flag in ("--quiet", "--verbose", "--version"):
        assert flag in result.output
    version = runner.invoke(cli, [*command, "--version"], catch_exceptions=False)
    assert __version__ in version.output


def site_title(output: Path) -> str:
    return feedparser.parse((output / "rss.xml").read_bytes()).feed.title


def test_precedence_command_line_over_environment_over_file(
    seed_posts: Path, tmp_path: Path
) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\ntitle = "From file"\nbase_url = "https://file.example/"\n')
    runner = CliRunner()
    out = tmp_path / "out"

    def build(*extra: str, env: dict[str, str] | None = None) -> str:
        args = ["--config", str(config), "build", str(seed_posts), "-o", str(out), *extra]
        result = runner.invoke(cli, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return feedparser.parse((out / "rss.xml").read_bytes()).feed.link

    assert build() == "https://file.example/"
    assert site_title(out) == "From file"
    assert build(env={"SYNDICATE_BASE_URL": "https://env.example/"}) == "https://env.example/"
    assert (
        build(
            "--base-url", "https://cli.example", env={"SYNDICATE_BASE_URL": "https://env.example/"}
        )
        == "https://cli.example/"
    )
    build(env={"SYNDICATE_TITLE": "From env"})
    assert site_title(out) == "From env"


def test_default_config_file_is_read_from_the_working_directory(
    seed_posts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "syndicate.toml").write_text('[site]\ntitle = "Nearby"\n')
    result = CliRunner().invoke(
        cli, ["build", str(seed_posts), "-o", "out"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert site_title(tmp_path / "out") == "Nearby"


def test_quiet_prints_only_warnings(seed_posts: Path, tmp_path: Path) -> None:
    result = run_build(seed_posts, tmp_path / "out", "-q")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("warning:")


def test_build_as_a_real_process(tmp_path: Path) -> None:
    """The embedded defaults: `syndicate build` in a folder holding seeds/ writes feeds/."""
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    (tmp_path / "seeds").mkdir()
    for post in seeds.iterdir():
        (tmp_path / "seeds" / post.name).write_bytes(post.read_bytes())
    completed = subprocess.run(
        [sys.executable, "-m", "syndicate", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    parsed = feedparser.parse((tmp_path / "feeds" / "rss.xml").read_bytes())
    assert not parsed.bozo
    assert parsed.feed.link == "http://localhost:8000/"
    assert [entry.title for entry in parsed.entries] == ["Bye Bye Bakhmut"]
    # The relative default posts folder: the post's text must reach the feed and its page.
    assert parsed.entries[0].content[0].value.count("<h2>") == 8
    page = (tmp_path / "feeds" / "posts" / "bye-bye-bakhmut" / "index.html").read_text()
    assert page.count("<h2>") >= 8
    again = subprocess.run(
        [sys.executable, "-m", "syndicate", "build", "--base-url", "http://127.0.0.1:8001/"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stderr  # posts now from the cache, text deferred
    rebuilt = feedparser.parse((tmp_path / "feeds" / "rss.xml").read_bytes())
    assert rebuilt.entries[0].content[0].value.count("<h2>") == 8


# -- one message format: `error: WHERE: message`, `warning: WHERE: message` -------------------


@pytest.fixture
def refusing_site(tmp_path: Path, feed_server: FeedServer) -> dict[str, str]:
    """What the refusals below name: a site's folders, a page with no feed, a failing feed."""
    (tmp_path / "posts").mkdir()
    config = tmp_path / "syndicate.toml"
    config.write_text(
        f'[site]\nposts = "{tmp_path / "posts"}"\noutput = "{tmp_path / "out"}"\n'
        f'[archive]\npath = "{tmp_path / "archive.sqlite3"}"\n'
    )
    page = feed_server.serve("page", "<html><body>no feed</body></html>", Content_Type="text/html")
    failing = feed_server.serve("failing/rss", rss("Failing", 1))
    CliRunner().invoke(cli, ["--config", str(config), "subscribe", failing])
    feed_server.serve("failing/rss", "down", status=500)
    return {
        "config": str(config),
        "page": page,
        "failing": failing,
        "missing": str(tmp_path / "missing"),
        "unreachable": closed_port_url(),
    }


REFUSALS = {
    # command line (with {placeholders}) -> exit status, the start of the first message line
    "a non-feed": ("subscribe {page}", 1, "error: {page}: an HTML page that advertises no feed"),
    "a URL that is not http": ("subscribe ftp://x.example/", 2, "error: ftp://x.example/: "),
    "a URL not subscribed": ("unsubscribe http://x.example/", 2, "error: http://x.example/: "),
    "an unreachable feed": (
        "subscribe {unreachable}feed",
        0,
        "warning: {unreachable}feed: cannot connect",
    ),
    "a failing feed": ("fetch", 1, "error: {failing}: HTTP 500"),
    "no such entry": ("merge 7 8", 2, "error: no archive entry 7"),
    "a missing posts folder": ("build {missing}", 2, "error: {missing}"),
    "a missing folder to serve": ("serve {missing}", 2, "error: {missing}: folder not found"),
    "no URL": ("subscribe", 2, "error: give a URL or --opml FILE"),
    "an unknown option": ("fetch --bogus", 2, "error: No such option '--bogus'"),
    "a bad number": ("merge one 2", 2, "error: Invalid value for 'ENTRY'"),
}


@pytest.mark.parametrize(("line", "status", "first"), REFUSALS.values(), ids=REFUSALS.keys())
def test_every_refusal_reads_error_where_message(
    refusing_site: dict[str, str], line: str, status: int, first: str
) -> None:
    args = ["--config", refusing_site["config"], *line.format(**refusing_site).split()]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == status, result.output
    messages = [
        text
        for text in result.stderr.splitlines()
        if text.strip() and not text.startswith(("Usage:", "Try "))
    ]
    assert messages and messages[0].startswith(first.format(**refusing_site)), result.stderr
    assert all(text.startswith(("error: ", "warning: ")) for text in messages), messages


def test_a_refusal_as_a_real_process(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "syndicate",
            "--archive",
            str(tmp_path / "a.sqlite3"),
            "subscribe",
            "gopher://x.example/",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: gopher://x.example/: not a usable URL")
    assert completed.stdout == ""
