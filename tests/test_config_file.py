"""syndicate.toml, written carelessly (issue 11, finding 6): what cannot be used is an error
naming the file, the line and the setting; what is not read at all (a misspelt table, a key
outside any table) is a warning naming the file and the line; never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syndicate.config import ConfigWarning, load_settings
from syndicate.errors import ConfigError
from tests.conftest import write_posts
from tests.posts.test_bad_input import GOOD, build, published_titles, stderr_lines


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}


def warnings_of(path: Path) -> list[ConfigWarning]:
    found: list[ConfigWarning] = []
    load_settings(path, environ={}, on_warning=found.append)
    return found


# --- what cannot be used: exit 2, one line ------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "where", "fragments"),
    [
        ('[site]\ntitle = "Bad\\u0000title"\n', 2, ("title", "U+0000")),
        ('[site]\ndescription = "d"\nauthor = "Ann\\u0007"\n', 3, ("author", "U+0007")),
        ('[archive]\n\npath = "a\\u0000b"\n', 3, ("archive", "NUL")),
        ('[site]\nfeed_limit = 2\ncolour = "blue"\n', 3, ("unknown [site] setting", "colour")),
        ("[fetch]\njobs = 0\n", 2, ("jobs", "at least 1")),
        ('site.feed_limit = "many"\n', 1, ("feed_limit", "whole number")),
        ("[archive]\npath = 3\n", 2, ("archive", "path")),
    ],
    ids=[
        "nul_in_title",
        "bell_in_author",
        "nul_in_path",
        "unknown_key",
        "bad_jobs",
        "dotted_key",
        "path_not_text",
    ],
)
def test_an_unusable_setting_names_the_file_and_line(
    tmp_path: Path, toml: str, where: int, fragments: tuple[str, ...]
) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    config = config_file(tmp_path, toml)
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, config=config)
    assert result.exit_code == 2, result.output
    (line,) = stderr_lines(result)
    assert line.startswith(f"error: {config}:{where}: "), line
    for fragment in fragments:
        assert fragment in line, line
    assert not out.exists()


def test_a_control_character_from_the_environment_is_refused_too(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    result = build(tmp_path, posts, tmp_path / "out", env={"SYNDICATE_TITLE": "A\x01B"})
    assert result.exit_code == 2, result.output
    (line,) = stderr_lines(result)
    assert line == "error: title: contains the control character U+0001: no feed can carry it"


def test_a_setting_the_environment_overrides_is_not_blamed_on_the_file(tmp_path: Path) -> None:
    config = config_file(tmp_path, "[site]\nfeed_limit = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={"SYNDICATE_FEED_LIMIT": "0"})
    assert str(caught.value) == "feed_limit: must be at least 1, got 0"


# --- what is not read at all: a warning, and the build goes on ----------------------------


def test_a_misspelt_table_is_a_warning_naming_its_line(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    config = config_file(tmp_path, '# mine\n[site]\ndescription = "d"\n\n[sitee]\ntitle = "x"\n')
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, config=config)
    assert result.exit_code == 0, result.output
    (line,) = stderr_lines(result)
    assert line == f"warning: {config}:5: unknown table [sitee] ignored (did you mean [site]?)"
    assert published_titles(out) == ["Good post"]


def test_a_key_outside_any_table_is_a_warning_naming_its_line(tmp_path: Path) -> None:
    config = config_file(tmp_path, '\ntitle = "Mine"\n[fetch]\njobs = 2\n')
    (warning,) = warnings_of(config)
    assert (warning.path, warning.line) == (config, 2)
    assert str(warning) == (
        f"{config}:2: unknown top-level setting 'title' ignored (it belongs in [site])"
    )


def test_a_file_with_nothing_unknown_gives_no_warning(tmp_path: Path) -> None:
    config = config_file(
        tmp_path,
        '[site]\ntitle = "T"\nmax_post_bytes = 1000\n[archive]\npath = "a.sqlite3"\n'
        "[fetch]\ndeadline = 20\n[publish]\ninterval = 30\n",
    )
    assert warnings_of(config) == []
    settings = load_settings(config, environ={})
    assert (settings.title, settings.max_post_bytes, settings.deadline) == ("T", 1000, 20.0)


def test_warnings_reach_stderr_from_the_real_command(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD})
    config = config_file(tmp_path, '[stie]\ntitle = "x"\n')
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "syndicate",
            "--config",
            str(config),
            "build",
            str(posts),
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**clean_environment(), "SYNDICATE_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"warning: {config}:1: unknown table [stie] ignored (did you mean [site]?)"
    ]
