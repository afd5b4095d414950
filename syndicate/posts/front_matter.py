"""Front matter: the YAML (`---`) or TOML (`+++`) block a Markdown post starts with, the line
each key stands on, and which keys mean something (ours, and those of Hugo, Jekyll and others
that are read as ours or knowingly left alone)."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from syndicate.clean import xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.posts.base import (
    shown,
)
from syndicate.posts.yaml_front_matter import load_front_matter

FENCES = {"---": "yaml", "+++": "toml"}


# The keys that mean something here; and those of Hugo, Jekyll, Zola and Eleventy content (and
# of WordPress posts exported to them) that we knowingly leave alone, compared without case
# (Hugo's are case-insensitive), so that such a folder reads without a warning a post.
OWN_KEYS = frozenset(
    (
        *("title", "date", "updated", "author", "tags", "slug", "summary", "id", "draft"),
        *("comments", "enclosure", "episode", "season", "episode_type", "explicit", "image"),
        *("duration", "page", "url"),
    )
)
READ_AS = {  # another engine's key -> ours, used when ours is not given
    "lastmod": "updated",
    "last_modified_at": "updated",
    "description": "summary",
    "excerpt": "summary",
    "categories": "tags",
    "category": "tags",
    "publishdate": "date",
    "published": "draft",  # published: false
}
LEFT_ALONE = frozenset(
    (
        # Hugo
        *("aliases", "audio", "authors", "build", "cascade", "expirydate", "headless"),
        *("images", "iscjklanguage", "keywords", "layout", "linktitle", "markup", "menu"),
        *("menus", "outputs", "params", "resources", "series", "sitemap", "translationkey"),
        *("type", "weight", "videos", "toc", "showtoc", "tocopen", "hidemeta"),
        *("disableshare", "cover", "searchhidden", "canonicalurl", "editpost", "math"),
        *("katex", "mermaid", "featured_image", "featuredimage", "thumbnail", "subtitle"),
        *("featured", "noindex", "robotsnoindex", "unlisted", "hidden", "lang", "language"),
        *("showreadingtime", "showbreadcrumbs", "showpostnavlinks", "showwordcount"),
        # Jekyll
        *("permalink", "excerpt_separator", "redirect_from", "redirect_to", "header"),
        *("render_with_liquid", "toc_label", "toc_sticky", "share", "related", "read_time"),
        *("classes", "sidebar", "author_profile", "mathjax", "pin", "sticky", "tagline"),
        # WordPress posts exported by jekyll-import and wordpress-to-hugo-exporter
        *("status", "meta", "wordpress_id", "wordpress_url", "guid", "post_format"),
        # Zola and Eleventy
        *("path", "template", "taxonomies", "extra", "in_search_index", "pagination"),
        *("eleventynavigation", "eleventyexcludefromcollections", "eleventycomputed"),
    )
)
KNOWN_LOWERCASE = LEFT_ALONE | READ_AS.keys()


class FrontMatter:
    """The parsed front matter, able to say on which line a key stands."""

    def __init__(self, path: Path, data: dict[str, Any], lines: list[str], first_line: int) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.first_line = first_line

    def line_of(self, key: str) -> int:
        pattern = re.compile(rf"^\s*-?\s*{re.escape(key)}\s*[:=]")
        for offset, line in enumerate(self.lines):
            if pattern.match(line):
                return self.first_line + offset
        return self.first_line

    def top_line_of(self, key: str) -> int:
        """The line of a top-level key: unindented (`key:`, `key =`, TOML's `[key]` and
        `[key.sub]`)."""
        name = re.escape(key)
        pattern = re.compile(rf"^(?:[\"']?{name}[\"']?\s*[:=]|\[\[?\s*{name}\s*[\].])")
        for offset, line in enumerate(self.lines):
            if pattern.match(line):
                return self.first_line + offset
        return self.line_of(key)

    def line_of_value(self, key: str, value: object) -> int:
        """The first line, from the key's on, that shows the value (an item of a list of them)."""
        return self.line_showing(self.top_line_of(key), str(value))

    def line_showing(self, start: int, text: str) -> int:
        """The first line from `start` on that contains `text`; `start` when none does."""
        if text.strip():
            for offset, line in enumerate(self.lines[start - self.first_line :]):
                if text.strip() in line:
                    return start + offset
        return start

    def error(self, key: str, message: str) -> PostError:
        return PostError(self.path, message, self.line_of(key))

    def warning(self, key: str, message: str, line: int | None = None) -> PostWarning:
        return PostWarning(self.path, message, line or self.top_line_of(key))

    def other_key(self, lowercase: str) -> str | None:
        """The key, written in any case, of another engine's front matter (Hugo's keys are
        case-insensitive: publishDate, lastMod)."""
        for key in self.data:
            if isinstance(key, str) and key.lower() == lowercase:
                return key
        return None

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise PostError(
                    self.path, f"missing {key!r} in the front matter", self.first_line - 1
                )
            return None
        if isinstance(value, (dict, list)):
            raise self.error(key, f"{key!r} must be text, got {type(value).__name__}")
        return xml_safe(str(value)).strip()


def front_key(front: FrontMatter, key: str) -> str:
    """Our key when the front matter has it, else another engine's that we read as it."""
    if key in front.data:
        return key
    for other, ours in READ_AS.items():
        found = front.other_key(other) if ours == key else None
        if found is not None:
            return found
    return key


def unknown_key_warnings(front: FrontMatter) -> list[PostWarning]:
    """A warning for each key that neither we nor Hugo or Jekyll know: a typo, most likely."""
    warnings = []
    for key in front.data:
        name = str(key)
        if name in OWN_KEYS or name.lower() in KNOWN_LOWERCASE:
            continue
        close = difflib.get_close_matches(name.lower(), sorted(OWN_KEYS), n=1, cutoff=0.7)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        message = f"unknown front matter key {shown(name)} ignored{hint}"
        warnings.append(front.warning(name, message))
    return warnings


def front_matter_summary(front: FrontMatter) -> str:
    """`summary`, or another engine's `description` or `excerpt`; "" when none is given."""
    return front.text(front_key(front, "summary")) or ""


def split_front_matter(path: Path, text: str) -> tuple[FrontMatter, str]:
    lines = text.split("\n")
    fence = lines[0].strip() if lines else ""
    if fence not in FENCES:
        raise PostError(path, "expected front matter starting with '---' (YAML) or '+++' (TOML)", 1)
    closing = {"---": ("---", "..."), "+++": ("+++",)}[fence]
    for end in range(1, len(lines)):
        if lines[end].strip() in closing:
            break
    else:
        raise PostError(path, f"front matter opened with {fence!r} is never closed", 1)
    front_lines = lines[1:end]
    data = _parse_front_matter(path, FENCES[fence], "\n".join(front_lines))
    return FrontMatter(path, data, front_lines, first_line=2), "\n".join(lines[end + 1 :])


def _parse_front_matter(path: Path, kind: str, source: str) -> dict[str, Any]:
    try:
        data = load_front_matter(path, source) if kind == "yaml" else tomllib.loads(source)
    except RecursionError:  # tomllib reads nested arrays recursively
        raise PostError(path, "front matter nested too deeply", 2) from None
    except yaml.MarkedYAMLError as exc:
        line = 2 + exc.problem_mark.line if exc.problem_mark else 1
        raise PostError(path, f"invalid YAML front matter: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line = 2 + source[:position].count("\n") if isinstance(position, int) else 1
        raise PostError(path, f"invalid YAML front matter: {exc}", line) from None
    except tomllib.TOMLDecodeError as exc:
        line = 2 + (getattr(exc, "lineno", 1) - 1)
        raise PostError(path, f"invalid TOML front matter: {exc}", line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PostError(path, "front matter must be a mapping of keys to values", 2)
    return data


def parse_bool(front: FrontMatter, key: str) -> bool:
    value = front.data.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
        return value.strip().lower() in ("true", "yes")
    raise front.error(key, f"{key!r} must be true or false, got {shown(value)}")
