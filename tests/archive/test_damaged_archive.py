"""A damaged archive file is refused on open, by every command, with how to recover it; it is
never written to. Real SQLite files with pages zeroed as a failing disk leaves them."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import cli

PAGE = 4096


def make_archive(root: Path) -> dict[str, str]:
    posts = root / "posts"
    posts.mkdir()
    for n in range(40):
        body = f"Paragraph {n}. " * 200
        (posts / f"post-{n}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2026-01-{1 + n % 28:02d}\n---\n{body}\n"
        )
    env = {
        "SYNDICATE_ARCHIVE": str(root / "archive.sqlite3"),
        "SYNDICATE_POSTS": str(posts),
        "SYNDICATE_OUTPUT": str(root / "out"),
        "SYNDICATE_CACHE_DIR": str(root / "cache"),
    }
    for n in range(3):
        run(env, "subscribe", f"http://127.0.0.1:9/feed{n}")
    run(env, "fetch")  # syncs the posts into the archive
    with sqlite3.connect(root / "archive.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return env


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def zero_pages(path: Path, pages: list[int]) -> None:
    with path.open("r+b") as file:
        for page in pages:
            file.seek(page * PAGE)
            file.write(b"\0" * PAGE)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def damaged(tmp_path: Path) -> dict[str, str]:
    env = make_archive(tmp_path)
    path = Path(env["SYNDICATE_ARCHIVE"])
    pages = path.stat().st_size // PAGE
    assert pages > 12
    zero_pages(path, [pages // 3, pages // 2, pages // 2 + 1])
    return env


COMMANDS = [
    ("archive",),
    ("archive", "--json"),
    ("subscriptions",),
    ("fetch",),
    ("build",),
    ("publish",),
    ("merge", "1", "2"),
    ("split", "1", "1"),
    ("subscribe", "http://127.0.0.1:9/new"),
    ("unsubscribe", "http://127.0.0.1:9/feed0"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_refuses_a_damaged_archive_and_writes_nothing(
    damaged: dict[str, str], command: tuple[str, ...]
) -> None:
    path = Path(damaged["SYNDICATE_ARCHIVE"])
    before = digest(path)
    code, output = run(damaged, *command)
    assert code == 2, output
    assert "Traceback" not in output
    assert f"{path}: the archive is damaged" in output
    assert ".recover" in output
    assert len(output.splitlines()) <= 2
    assert digest(path) == before


def test_a_damaged_archive_is_refused_from_a_real_process(damaged: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "merge", "1", "2"],
        env={**damaged, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "the archive is damaged" in done.stderr and "Traceback" not in done.stderr


def test_a_file_that_is_not_an_archive_at_all(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    path.write_bytes(b"this is not SQLite" * 500)
    code, output = run({"SYNDICATE_ARCHIVE": str(path)}, "archive")
    assert code == 2, output
    assert "the archive is damaged" in output and "Traceback" not in output
