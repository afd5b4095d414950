"""Bad posts and bad settings: one clear line on stderr, never a traceback, the right exit status.

Exit statuses: 0 done, 1 done but some posts could not be published, 2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner, Result

from syndicate.cli import cli
from tests.conftest import write_posts

BASE_URL = "https://blog.example.org/"
GOOD = "---\ntitle: Good post\ndate: 2024-01-02T10:00:00Z\n---\nThis one is fine.\n"
FEED_FILES = ("rss.xml", "atom.xml", "feed.json", "comments.xml", "comments.atom")


def invoke(workdir: Path, args: list[str], env: dict[str, str] | None = None) -> Result:
    """The CLI, isolated from the caller's SYNDICATE_* variables and ./syndicate.toml."""
    clean_env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("SYNDICATE_")}
    clean_env.update(env or {})
    with contextlib.chdir(workdir):
        result = CliRunner().invoke(cli, args, env=clean_env, catch_exceptions=False)
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    return result


def build(
    workdir: Path,
    posts: Path,
    out: Path,
    *extra: str,
    config: Path | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    args = ["--config", str(config)] if config else []
    args += ["build", str(posts), "-o", str(out), "--base-url", BASE_URL, *extra]
    return invoke(workdir, args, env)


def stderr_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def published_titles(out: Path) -> list[str]:
    parsed = feedparser.parse((out / "rss.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.title for entry in parsed.entries]


# --- one bad post among good ones: exit 1, one line naming the file ---------------------

BAD_POSTS = {
    "broken_yaml": (
        {"bad.md": "---\ntitle: Broken\ndate: 2024-01-01\nauthor: a: b\n---\nBody.\n"},
        "bad.md",
        4,
        "YAML",
    ),
    "bad_date": (
        {"bad.md": "---\ntitle: Bad date\nauthor: Ann\ndate: next tuesday\n---\nBody.\n"},
        "bad.md",
        4,
        "date",
    ),
    "not_utf8": (
        {"bad.md": b"---\ntitle: Latin-1\ndate: 2024-01-01\n---\nfine line\ncaf\xe9 au lait\n"},
        "bad.md",
        6,
        "UTF-8",
    ),
    "missing_title": (
        {"bad.md": "---\ndate: 2024-01-01\nauthor: Ann\n---\nBody.\n"},
        "bad.md",
        None,
        "title",
    ),
    "unclosed_front_matter": (
        {"bad.md": "---\ntitle: Never closed\ndate: 2024-01-01\n\nBody.\n"},
        "bad.md",
        1,
        "closed",
    ),
    "text_export_without_date_line": (
        {"bad.txt": "A title\n\nThis is not a date line\n\nBody paragraph.\n"},
        "bad.txt",
        3,
        "date line",
    ),
    "duplicate_slug": (
        {
            "a.md": "---\ntitle: First\ndate: 2024-01-01\nslug: same\n---\nA.\n",
            "b.md": "---\ntitle: Second\ndate: 2024-01-03\nslug: same\n---\nB.\n",
        },
        "b.md",
        None,
        "duplicate slug",
    ),
    "impossible_unquoted_date": (
        {"bad.md": "---\ntitle: Impossible\ndate: 2020-13-45\n---\nBody.\n"},
        "bad.md",
        3,
        "date",
    ),
    "date_beyond_utc": (
        {"bad.md": "---\ntitle: Too early\ndate: 0001-01-01T00:00:00+05:00\n---\nBody.\n"},
        "bad.md",
        3,
        "out of range",
    ),
    "bad_comment_date": (
        {
            "bad.md": "---\ntitle: C\ndate: 2024-01-02\ncomments:\n  - author: Ann\n"
            "    date: 2024-02-30\n    body: hi\n---\nBody.\n"
        },
        "bad.md",
        None,
        "date",
    ),
    "duplicate_id": (
        {
            "a.md": "---\ntitle: First\ndate: 2024-01-01\nid: urn:x:1\n---\nA.\n",
            "b.md": "---\ntitle: Second\ndate: 2024-01-03\nid: urn:x:1\n---\nB.\n",
        },
        "b.md",
        None,
        "duplicate id",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_POSTS))
def test_a_bad_post_is_reported_in_one_line_and_the_others_are_published(
    tmp_path: Path, case: str
) -> None:
    files, bad_name, line, phrase = BAD_POSTS[case]
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD, **files})
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)

    assert result.exit_code == 1, result.output
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    (message,) = lines
    bad_path = posts / bad_name
    where = f"{bad_path}:{line}:" if line else f"{bad_path}:"
    assert message.startswith(f"error: {where}"), message
    assert phrase.lower() in message.lower(), message
    # everything else is still published
    assert (out / "posts" / "good" / "index.html").is_file()
    expected = {"Good post", "First"} if case.startswith("duplicate") else {"Good post"}
    assert set(published_titles(out)) == expected
    assert "1 with errors" in result.stdout


def test_duplicate_slug_names_the_file_that_has_it_first(tmp_path: Path) -> None:
    files, _, _, _ = BAD_POSTS["duplicate_slug"]
    posts = write_posts(tmp_path / "posts", files)
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 1, result.output
    (message,) = stderr_lines(result)
    assert str(posts / "b.md") in message
    assert str(posts / "a.md") in message
    assert "'same'" in message


def test_several_bad_posts_give_one_line_each(tmp_path: Path) -> None:
    posts = write_posts(
        tmp_path / "posts",
        {
            "good.md": GOOD,
            "bad1.md": "---\ntitle: x\ndate: nope\n---\nx\n",
            "bad2.md": "---\ndate: 2024-01-01\n---\nx\n",
            "bad3.txt": "Title\n\nnot a date\n\nBody.\n",
        },
    )
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)
    assert result.exit_code == 1, result.output
    lines = stderr_lines(result)
    assert len(lines) == 3, result.stderr
    for name, line in zip(("bad1.md", "bad2.md", "bad3.txt"), lines, strict=True):
        assert line.startswith(f"error: {posts / name}:"), line
    assert published_titles(out) == ["Good post"]


def test_broken_yaml_message_is_a_single_line(tmp_path: Path) -> None:
    """PyYAML's own messages run over several lines; the report must still be one."""
    posts = write_posts(
        tmp_path / "posts",
        {
            "good.md": GOOD,
            "bad.md": "---\ntitle: a: b: c\ndate: 2024-01-01\n---\nBody.\n",
        },
    )
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 1, result.output
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {posts / 'bad.md'}:2:"), lines[0]


# --- --strict ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "env"), [(("--strict",), {}), ((), {"SYNDICATE_STRICT": "true"})], ids=["flag", "env"]
)
def test_strict_writes_nothing_when_a_post_has_an_error(
    tmp_path: Path, extra: tuple[str, ...], env: dict[str, str]
) -> None:
    posts = write_posts(
        tmp_path / "posts",
        {
            "good.md": GOOD,
            "bad.md": "---\ntitle: x\ndate: nope\n---\nx\n",
        },
    )
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, *extra, env=env)
    assert result.exit_code == 1, result.output
    assert any(line.startswith(f"error: {posts / 'bad.md'}:3:") for line in stderr_lines(result))
    assert "nothing written" in result.stderr
    assert not out.exists() or [p for p in out.rglob("*")] == []


def test_strict_leaves_an_earlier_build_untouched(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    out = tmp_path / "out"
    assert build(tmp_path, posts, out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert out / "rss.xml" in before

    write_posts(
        posts,
        {
            "good.md": GOOD.replace("Good post", "Edited title"),
            "new.md": "---\ntitle: New\ndate: 2024-02-01\n---\nNew.\n",
            "bad.md": "---\ntitle: x\ndate: nope\n---\nx\n",
        },
    )
    result = build(tmp_path, posts, out, "--strict")
    assert result.exit_code == 1, result.output
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert published_titles(out) == ["Good post"]


def test_strict_with_good_posts_builds(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, "--strict")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    for name in FEED_FILES:
        assert (out / name).is_file()


# --- usage and configuration errors: exit 2 ----------------------------------------------


def assert_usage_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""


def test_missing_posts_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-posts"
    out = tmp_path / "out"
    result = build(tmp_path, missing, out)
    assert_usage_error(result, str(missing), "not found")
    assert not out.exists()


def test_output_folder_under_a_regular_file(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    afile = tmp_path / "afile"
    afile.write_text("not a folder\n", encoding="utf-8")
    out = afile / "out"
    result = build(tmp_path, posts, out)
    assert_usage_error(result, str(out), "not writable")
    assert afile.read_text(encoding="utf-8") == "not a folder\n"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write to a 0o500 folder"
)
def test_read_only_output_folder(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = build(tmp_path, posts, out)
    finally:
        out.chmod(0o700)
    assert_usage_error(result, str(out), "not writable")
    assert list(out.iterdir()) == []


def test_named_config_that_does_not_exist(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    config = tmp_path / "missing.toml"
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, config=config)
    assert_usage_error(result, str(config), "not found")
    assert not out.exists()


@pytest.mark.parametrize(
    ("toml", "fragments"),
    [
        ('[site]\nfeed_limit = 2\ncolour = "blue"\n', ("unknown", "colour")),
        ('[site]\ntimezone = "Mars/Olympus_Mons"\n', ("time zone", "Mars/Olympus_Mons")),
        ("[site]\nfeed_limit = 0\n", ("feed_limit",)),
        ("[site\ntitle = 1\n", ("invalid TOML",)),
    ],
    ids=["unknown_key", "bad_timezone", "bad_feed_limit", "bad_toml"],
)
def test_bad_config_file(tmp_path: Path, toml: str, fragments: tuple[str, ...]) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    config = tmp_path / "syndicate.toml"
    config.write_text(toml, encoding="utf-8")
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, config=config)
    assert_usage_error(result, *fragments)
    assert not out.exists()


def test_default_config_file_in_the_working_folder_is_checked_too(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    (tmp_path / "syndicate.toml").write_text("[site]\nnonsense = 1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)  # no --config: ./syndicate.toml is read
    assert_usage_error(result, "nonsense")
    assert not out.exists()


def test_bad_timezone_from_the_environment(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, env={"SYNDICATE_TIMEZONE": "Nowhere/Atlantis"})
    assert_usage_error(result, "Nowhere/Atlantis")
    assert not out.exists()
