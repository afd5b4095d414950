"""Settings from defaults < syndicate.toml < SYNDICATE_* environment < command line.

A setting the file gets wrong is an error naming the file, the line and the setting; what the
file has that no version of syndicate reads (a misspelt table, a key outside any table) is
ignored with a warning naming the file and the line (`ConfigWarning`).
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syndicate.errors import ConfigError
from syndicate.podcast_categories import unknown_category

DEFAULT_CONFIG_FILE = Path("syndicate.toml")
ENV_PREFIX = "SYNDICATE_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
DEFAULT_MAX_POST_BYTES = 8 * 1024 * 1024
DEFAULT_EMBED_HOSTS = (
    "youtube.com",
    "youtube-nocookie.com",
    "player.vimeo.com",
    "w.soundcloud.com",
    "open.spotify.com",
    "bandcamp.com",
    "embed.podcasts.apple.com",
    "codepen.io",
    "www.openstreetmap.org",
)
# An archive at one of these is a PostgreSQL database; anything else is a SQLite file's path.
DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")
# Characters that no feed (XML 1.0) can carry: C0 controls but tab/newline/CR, U+FFFE/U+FFFF.
# A TOML string can have them (as "\u0000"), and so can the environment (all but NUL).
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_database_url(location: object) -> bool:
    """Whether an archive setting names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.lower().startswith(DATABASE_URL_SCHEMES)


class DatabaseURL(str):
    """The archive as a PostgreSQL database (`[archive] path = "postgresql://…"`), kept as
    text: a Path would collapse its `//`. It answers what code written for a file asks of the
    archive setting: a database that is configured exists (opening it says when it cannot be
    reached), and it has no file to stat."""

    __slots__ = ()

    def exists(self) -> bool:
        return True

    def stat(self) -> os.stat_result:
        raise FileNotFoundError(errno.ENOENT, "the archive is a database, not a file", self.shown)

    @property
    def shown(self) -> str:
        """For a person: without its password."""
        from syndicate.urls import hide_password

        return hide_password(str(self))

    def __repr__(self) -> str:
        return f"DatabaseURL({self.shown!r})"


ArchiveLocation = Path | DatabaseURL


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
    archive: ArchiveLocation = Path("archive.sqlite3")  # [archive] path: a file or a URL
    jobs: int = 4  # [fetch] jobs: feeds fetched at once
    archive_feed_limit: int = 100  # [archive] feed_limit: articles in archive.xml/.atom/.json
    hub: str | None = None  # a WebSub hub: every feed names it, publish pings it
    interval: int = 60  # [publish] interval: minutes between cron runs (RSS ttl, sy:update*)
    stylesheet: bool = True  # feeds carry a CSS (feed.css) that shows them in a browser
    deadline: float = 60.0  # [fetch] deadline: seconds one HTTP exchange may take, in all
    max_post_bytes: int = DEFAULT_MAX_POST_BYTES  # a post file larger than this is refused
    future: bool = False  # publish posts dated in the future now (previews); else they wait
    # Hosts whose <iframe> embeds an author's own posts may carry (a host and its subdomains).
    embed_hosts: tuple[str, ...] = DEFAULT_EMBED_HOSTS
    page_size: int = 20  # posts on each page of the paginated index
    # Where a post's page lives: "{year}/{month}/{day}/{slug}/" or WordPress's structure tags
    # ("/%year%/%monthnum%/%day%/%postname%/"); None: posts/<slug>/.
    permalink: str | None = None
    # [podcast]: set any of them and the site feeds carry Apple's and Podcasting 2.0's tags.
    podcast_author: str | None = None
    podcast_owner: str | None = None
    podcast_email: str | None = None
    podcast_image: str | None = None  # a URL, or a path under the output's base URL
    podcast_categories: tuple[str, ...] = ()  # Apple's categories, "Technology" or "Arts > Books"
    podcast_explicit: bool = False
    podcast_type: str = "episodic"  # or "serial"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_podcast(self) -> bool:
        """A [podcast] table with anything in it makes the site feeds a podcast's."""
        return any(
            (
                self.podcast_author,
                self.podcast_owner,
                self.podcast_email,
                self.podcast_image,
                self.podcast_categories,
            )
        )

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
    "podcast_author": ("podcast", "author"),
    "podcast_owner": ("podcast", "owner"),
    "podcast_email": ("podcast", "email"),
    "podcast_image": ("podcast", "image"),
    "podcast_categories": ("podcast", "categories"),
    "podcast_explicit": ("podcast", "explicit"),
    "podcast_type": ("podcast", "type"),
}
TABLES: dict[str, dict[str, str]] = {
    "site": {name: name for name in SETTING_NAMES if name not in OUTSIDE_SITE_TABLE}
}
for _field, (_table, _key) in OUTSIDE_SITE_TABLE.items():
    TABLES.setdefault(_table, {})[_key] = _field


@dataclass(frozen=True)
class ConfigWarning:
    """Something in a configuration file that is ignored; the file and, where known, the line."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{_where(self.path, self.line)}: {self.message}"


def load_settings(
    config_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    on_warning: Callable[[ConfigWarning], None] | None = None,
) -> Settings:
    """Combine the layers; a named config file must exist, the default one may not.

    What the file has that is ignored goes to `on_warning` (the CLI prints it)."""
    environ = os.environ if environ is None else environ
    values, origins = _read_config_file(config_path, on_warning or (lambda warning: None))
    later: dict[str, Any] = dict(_read_environment(environ))
    later.update({k: v for k, v in (overrides or {}).items() if v is not None})
    values.update(later)
    for name in later:
        origins.pop(name, None)  # a message about it need not send anyone to the file
    settings = _validated(values, origins)
    for warning in _podcast_gaps(settings, config_path or DEFAULT_CONFIG_FILE, origins):
        (on_warning or (lambda warning: None))(warning)
    return settings


def _podcast_gaps(
    settings: Settings, path: Path, origins: Mapping[str, str]
) -> list[ConfigWarning]:
    """What Apple Podcasts requires of a podcast and its [podcast] table leaves out."""
    if not settings.is_podcast:
        return []
    required = {
        "podcast_email": "email (Apple writes to it to verify the show)",
        "podcast_image": "image (Apple requires a square JPEG or PNG of 1400-3000 px)",
        "podcast_categories": "categories (Apple lists a show under them)",
    }
    missing = [why for name, why in required.items() if not getattr(settings, name)]
    if not missing:
        return []
    line = next((origin for name, origin in origins.items() if name.startswith("podcast_")), "")
    number = int(line.rsplit(":", 1)[1]) if line.rpartition(":")[2].isdigit() else None
    message = f"[podcast] has no {'; no '.join(missing)}: Apple Podcasts will refuse the feed"
    return [ConfigWarning(path, number, message)]


def _read_config_file(
    config_path: Path | None, warn: Callable[[ConfigWarning], None]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The file's settings, and where each stands ("FILE:LINE", for messages)."""
    path = config_path or DEFAULT_CONFIG_FILE
    if not path.exists():
        if config_path is not None:
            raise ConfigError(f"{path}: configuration file not found")
        return {}, {}
    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    lines = _lines_of(text)
    for warning in _ignored(path, document, lines):
        warn(warning)
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for table, names in TABLES.items():
        section = document.get(table, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{_where(path, lines.get((table,)))}: [{table}] must be a table")
        unknown = sorted(set(section) - set(names), key=lambda key: lines.get((table, key), 0))
        if unknown:
            where = _where(path, lines.get((table, unknown[0])))
            raise ConfigError(f"{where}: unknown [{table}] setting(s): {', '.join(unknown)}")
        for key, value in section.items():
            values[names[key]] = value
            origins[names[key]] = _where(path, lines.get((table, key)))
    return values, origins


def _ignored(
    path: Path, document: dict[str, Any], lines: dict[tuple[str, ...], int]
) -> list[ConfigWarning]:
    """A warning for each table or top-level key that no setting is read from."""
    warnings = []
    for name, value in document.items():
        if name in TABLES:
            continue
        if isinstance(value, dict):
            close = difflib.get_close_matches(name, TABLES, n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            message = f"unknown table [{name}] ignored{hint}"
        else:
            table = next((t for t, names in TABLES.items() if name in names), None)
            hint = f" (it belongs in [{table}])" if table else ""
            message = f"unknown top-level setting {name!r} ignored{hint}"
        warnings.append(ConfigWarning(path, lines.get((name,)), message))
    return warnings


_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]")
_KEY_LINE = re.compile(r"^\s*([\w\-\"'. ]+?)\s*=")


def _lines_of(text: str) -> dict[tuple[str, ...], int]:
    """The line where each table, (table,), and each key, (table, key), first appears: a scan
    of the lines for messages, not a parser (a line inside a multi-line string that looks
    like a key can only misplace a message). Top-level keys are (key,), as tables are."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            table = _dotted(header[1])
            lines.setdefault(table, number)
            continue
        key = _KEY_LINE.match(line)
        if key:
            name = table + _dotted(key[1])
            for end in range(1, len(name) + 1):  # a dotted key names its tables too
                lines.setdefault(name[:end], number)
    return lines


def _dotted(name: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in name.split("."))


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _read_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        name: environ[ENV_PREFIX + name.upper()]
        for name in SETTING_NAMES
        if ENV_PREFIX + name.upper() in environ
    }


def _validated(values: dict[str, Any], origins: Mapping[str, str]) -> Settings:
    """`origins`: where in the config file a setting came from, to name it in an error."""
    converted: dict[str, Any] = {}
    try:
        for field in fields(Settings):
            if field.name in values:
                converted[field.name] = _convert(field.name, values[field.name])
        settings = replace(Settings(), **converted)
        _check(settings)
    except _BadSetting as bad:
        where = origins.get(bad.name)
        raise ConfigError(f"{where}: {bad}" if where else str(bad)) from None
    return settings


class _BadSetting(ConfigError):
    """A setting's value is unusable; load_settings adds where it came from."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(f"{name}: {message}")


def _convert(name: str, value: Any) -> Any:
    kind = type(getattr(Settings(), name))
    if name == "archive" and is_database_url(value):
        if "\0" in value:
            raise _BadSetting(name, f"expected a path or a postgresql:// URL, got {value!r}")
        return DatabaseURL(value)
    if name in ("posts", "output", "archive"):
        if not isinstance(value, str | os.PathLike) or "\0" in str(value):
            raise _BadSetting(name, f"expected a path (no NUL in it), got {value!r}")
        return Path(value)
    if isinstance(value, str) and (control := _CONTROL_CHARACTER.search(value)):
        character = f"U+{ord(control[0]):04X}"
        raise _BadSetting(name, f"contains the control character {character}: no feed can carry it")
    if name == "base_url" and isinstance(value, str) and not value.endswith("/"):
        return value + "/"  # every file URL is joined onto it as onto a folder
    if kind is bool:
        return _as_bool(name, value)
    if kind is tuple:
        return _as_words(name, value)
    if kind is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _BadSetting(name, f"expected a number, got {value!r}") from None
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _BadSetting(name, f"expected a whole number, got {value!r}") from None
    if not isinstance(value, str):
        raise _BadSetting(name, f"expected text, got {value!r}")
    return value


def _as_words(name: str, value: Any) -> tuple[str, ...]:
    """A list of text: a TOML array of strings, or (from the environment) comma-separated."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(word, str) for word in value):
        raise _BadSetting(name, f"expected a list of text, got {value!r}")
    return tuple(word.strip() for word in value if word.strip())


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _BadSetting(name, f"expected true or false, got {value!r}")


def _check(settings: Settings) -> None:
    parts = urlsplit(settings.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _BadSetting(
            "base_url", f"expected an absolute http(s) URL, got {settings.base_url!r}"
        )
    if settings.hub is not None and urlsplit(settings.hub).scheme not in ("http", "https"):
        raise _BadSetting("hub", f"expected an http(s) URL, got {settings.hub!r}")
    if settings.interval < 1:
        raise _BadSetting("interval", f"must be at least 1 minute, got {settings.interval}")
    if settings.jobs < 1:
        raise _BadSetting("jobs", f"must be at least 1, got {settings.jobs}")
    if not 0 < settings.deadline <= 3600:
        raise _BadSetting(
            "deadline", f"must be between 0 and 3600 seconds, got {settings.deadline}"
        )
    if settings.max_post_bytes < 1:
        raise _BadSetting("max_post_bytes", f"must be at least 1, got {settings.max_post_bytes}")
    for category in settings.podcast_categories:
        if (problem := unknown_category(category)) is not None:
            raise _BadSetting("podcast_categories", problem)
    if settings.page_size < 1:
        raise _BadSetting("page_size", f"must be at least 1, got {settings.page_size}")
    if settings.podcast_type not in ("episodic", "serial"):
        raise _BadSetting(
            "podcast_type", f"expected 'episodic' or 'serial', got {settings.podcast_type!r}"
        )
    if settings.feed_limit < 1:
        raise _BadSetting("feed_limit", f"must be at least 1, got {settings.feed_limit}")
    try:
        settings.zone  # noqa: B018 - resolving the zone is the check
    except (ZoneInfoNotFoundError, ValueError):
        raise _BadSetting("timezone", f"unknown time zone {settings.timezone!r}") from None
