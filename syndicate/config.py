"""Settings from defaults < syndicate.toml < SYNDICATE_* environment < command line."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syndicate.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("syndicate.toml")
ENV_PREFIX = "SYNDICATE_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know; `None` title/author mean "infer from the posts"."""

    posts: Path = Path("seeds")
    output: Path = Path("feeds")
    base_url: str = "http://localhost:8000/"
    title: str | None = None
    description: str = ""
    author: str | None = None
    language: str = "en"
    timezone: str = "UTC"
    feed_limit: int = 20
    full_content: bool = True
    id: str | None = None  # the authority in tag: ids; defaults to the base URL's host
    strict: bool = False
    archive: Path = Path("archive.sqlite3")  # [archive] path
    jobs: int = 4  # [fetch] jobs: feeds fetched at once
    archive_feed_limit: int = 100  # [archive] feed_limit: articles in archive.xml/.atom/.json
    hub: str | None = None  # a WebSub hub: every feed names it, publish pings it
    interval: int = 60  # [publish] interval: minutes between cron runs (RSS ttl, sy:update*)
    stylesheet: bool = True  # feeds carry an XSL that shows them in a browser as a page
    deadline: float = 60.0  # [fetch] deadline: seconds one HTTP exchange may take, in all
    max_post_bytes: int = 8 * 1024 * 1024  # a post file larger than this is refused

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def tag_authority(self) -> str:
        return self.id or urlsplit(self.base_url).hostname or "localhost"


SETTING_NAMES = tuple(f.name for f in fields(Settings))
# Which config-file table holds which setting: {table: {key in the table: Settings field}}.
OUTSIDE_SITE_TABLE = {
    "archive": ("archive", "path"),
    "archive_feed_limit": ("archive", "feed_limit"),
    "jobs": ("fetch", "jobs"),
    "deadline": ("fetch", "deadline"),
    "interval": ("publish", "interval"),
}
TABLES: dict[str, dict[str, str]] = {
    "site": {name: name for name in SETTING_NAMES if name not in OUTSIDE_SITE_TABLE}
}
for _field, (_table, _key) in OUTSIDE_SITE_TABLE.items():
    TABLES.setdefault(_table, {})[_key] = _field


def load_settings(
    config_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Combine the layers; a named config file must exist, the default one may not."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    values.update(_read_config_file(config_path))
    values.update(_read_environment(environ))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _validated(values)


def _read_config_file(config_path: Path | None) -> dict[str, Any]:
    path = config_path or DEFAULT_CONFIG_FILE
    if not path.exists():
        if config_path is not None:
            raise ConfigError(f"{path}: configuration file not found")
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    values: dict[str, Any] = {}
    for table, names in TABLES.items():
        section = document.get(table, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [{table}] must be a table")
        unknown = sorted(set(section) - set(names))
        if unknown:
            raise ConfigError(f"{path}: unknown [{table}] setting(s): {', '.join(unknown)}")
        values.update({names[key]: value for key, value in section.items()})
    return values


def _read_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        name: environ[ENV_PREFIX + name.upper()]
        for name in SETTING_NAMES
        if ENV_PREFIX + name.upper() in environ
    }


def _validated(values: dict[str, Any]) -> Settings:
    converted: dict[str, Any] = {}
    for field in fields(Settings):
        if field.name in values:
            converted[field.name] = _convert(field.name, values[field.name])
    settings = replace(Settings(), **converted)
    _check(settings)
    return settings


def _convert(name: str, value: Any) -> Any:
    kind = type(getattr(Settings(), name))
    if name in ("posts", "output", "archive"):
        return Path(value)
    if name == "base_url" and isinstance(value, str) and not value.endswith("/"):
        return value + "/"  # every file URL is joined onto it as onto a folder
    if kind is bool:
        return _as_bool(name, value)
    if kind is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected text, got {value!r}")
    return value


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _check(settings: Settings) -> None:
    parts = urlsplit(settings.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base_url: expected an absolute http(s) URL, got {settings.base_url!r}")
    if settings.hub is not None and urlsplit(settings.hub).scheme not in ("http", "https"):
        raise ConfigError(f"hub: expected an http(s) URL, got {settings.hub!r}")
    if settings.interval < 1:
        raise ConfigError(f"interval: must be at least 1 minute, got {settings.interval}")
    if settings.jobs < 1:
        raise ConfigError(f"jobs: must be at least 1, got {settings.jobs}")
    if not 0 < settings.deadline <= 3600:
        raise ConfigError(f"deadline: must be between 0 and 3600 seconds, got {settings.deadline}")
    if settings.max_post_bytes < 1:
        raise ConfigError(f"max_post_bytes: must be at least 1, got {settings.max_post_bytes}")
    if settings.feed_limit < 1:
        raise ConfigError(f"feed_limit: must be at least 1, got {settings.feed_limit}")
    try:
        settings.zone  # noqa: B018 - resolving the zone is the check
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {settings.timezone!r}") from None
