"""The site's templates compiled once per machine (render/templates.py): a build after the
first loads them from the cache folder; a cache that is damaged or cannot be written is
never a failed or different page."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from syndicate.render.templates import CompiledTemplates, site_environment

CONTEXT = {
    "feeds_head": "",
    "feeds_footer": "",
    "site_title": "A site",
    "language": "en",
    "home_url": "https://example.org/",
    "description": "Nothing found here.",
    "canonical_url": None,
}


def rendered(environment: Environment) -> str:
    return environment.get_template("404.html").render(**CONTEXT)


def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates that Jinja2 compiles from their source from now on."""
    compiled: list[str] = []
    original = Environment.compile

    def counting(self: Environment, source: str, name: str | None = None, *args: object) -> object:
        compiled.append(name or "")
        return original(self, source, name, *args)  # type: ignore[call-overload]

    monkeypatch.setattr(Environment, "compile", counting)
    return compiled


def cached_files(cache: Path) -> list[Path]:
    return sorted((cache / "templates").glob("*/*.cache"))


def test_a_second_build_loads_the_compiled_templates(
    private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = compiles(monkeypatch)
    first = rendered(site_environment())
    assert compiled == ["404.html", "base.html"]
    assert len(cached_files(private_cache)) == 2
    second = rendered(site_environment())  # a new process's environment: nothing in memory
    assert compiled == ["404.html", "base.html"]  # not compiled again
    assert second == first and "Nothing found here." in first


def test_a_damaged_cache_entry_is_compiled_again(
    private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = rendered(site_environment())
    for entry in cached_files(private_cache):
        entry.write_bytes(entry.read_bytes()[:20])  # cut short, as by a full disk
    compiled = compiles(monkeypatch)
    assert rendered(site_environment()) == first
    assert sorted(compiled) == ["404.html", "base.html"]
    assert rendered(site_environment()) == first  # rewritten whole: loaded, not compiled
    assert len(compiled) == 2


def test_a_cache_folder_that_cannot_be_written_is_no_error(
    private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (private_cache / "templates").write_text("a file where the folder should be")
    compiled = compiles(monkeypatch)
    first = rendered(site_environment())
    assert rendered(site_environment()) == first
    assert len(compiled) == 4  # compiled each time, as without a cache


def test_the_folder_is_per_jinja_and_syndicate_version(private_cache: Path) -> None:
    import jinja2

    from syndicate.version import __version__

    folder = Path(CompiledTemplates.folder())
    assert folder.parent == private_cache / "templates"
    assert folder.name == f"jinja2-{jinja2.__version__}-{__version__}"
