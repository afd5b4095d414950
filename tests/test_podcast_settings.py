"""The [podcast] table: Apple's categories are checked where they are written, and a podcast
that Apple would refuse (no email, image or categories) is a warning naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import ConfigWarning, load_settings
from syndicate.errors import ConfigError

FULL = """[podcast]
author = "Ann Example"
email = "ann@example.org"
image = "cover.jpg"
categories = ["Arts > Books", "Technology"]
"""


def settings_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_complete_podcast_table_loads_without_a_warning(tmp_path: Path) -> None:
    warnings: list[ConfigWarning] = []
    settings = load_settings(settings_file(tmp_path, FULL), environ={}, on_warning=warnings.append)
    assert settings.is_podcast
    assert settings.podcast_categories == ("Arts > Books", "Technology")
    assert warnings == []


@pytest.mark.parametrize(
    ("category", "said"),
    [("Tech", "'Tech' is not one of Apple's podcast categories"), ("Arts > Bookz", "'Bookz'")],
)
def test_a_category_apple_does_not_have_is_an_error_naming_the_line(
    tmp_path: Path, category: str, said: str
) -> None:
    text = FULL.replace('"Arts > Books"', f'"{category}"')
    with pytest.raises(ConfigError) as raised:
        load_settings(settings_file(tmp_path, text), environ={})
    assert f"syndicate.toml:5: podcast_categories: {said}" in str(raised.value)


def test_a_podcast_apple_would_refuse_is_a_warning(tmp_path: Path) -> None:
    warnings: list[ConfigWarning] = []
    path = settings_file(tmp_path, '[podcast]\nauthor = "Ann"\n')
    settings = load_settings(path, environ={}, on_warning=warnings.append)
    assert settings.is_podcast
    (warning,) = warnings
    assert warning.path == path and warning.line == 2
    for needed in ("no email", "no image", "no categories", "Apple Podcasts will refuse"):
        assert needed in warning.message


def test_categories_from_the_environment_are_comma_separated(tmp_path: Path) -> None:
    environ = {"SYNDICATE_PODCAST_CATEGORIES": "News > Tech News, Technology"}
    settings = load_settings(settings_file(tmp_path, FULL), environ=environ)
    assert settings.podcast_categories == ("News > Tech News", "Technology")


def test_a_site_without_a_podcast_table_is_no_podcast(tmp_path: Path) -> None:
    warnings: list[ConfigWarning] = []
    settings = load_settings(
        settings_file(tmp_path, '[site]\ntitle = "Blog"\n'), environ={}, on_warning=warnings.append
    )
    assert not settings.is_podcast and warnings == []
