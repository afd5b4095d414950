"""What each file of an output folder is, for both tools' layouts: so the Hugo site can be
checked to write what syndicate writes, kind by kind (test_bench_smoke.py), whatever each tool
names its files."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

Patterns = tuple[tuple[str, re.Pattern[str]], ...]

SYNDICATE: Patterns = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("post page", r"posts/[^/]+/index\.html"),
        ("post comments RSS", r"posts/[^/]+/comments\.xml"),
        ("post comments Atom", r"posts/[^/]+/comments\.atom"),
        ("index page", r"index\.html|page/\d+\.html"),
        ("tag page", r"tags/[^/]+\.html|tags/[^/]+/page/\d+\.html"),
        ("tag RSS", r"tags/[^/]+\.xml"),
        ("tag Atom", r"tags/[^/]+\.atom"),
        ("archive page RSS", r"history/\d+\.xml"),
        ("archive page Atom", r"history/\d+\.atom"),
        ("site RSS", r"rss\.xml"),
        ("site Atom", r"atom\.xml"),
        ("site JSON Feed", r"feed\.json"),
        ("site comments RSS", r"comments\.xml"),
        ("site comments Atom", r"comments\.atom"),
        ("archive RSS", r"archive\.xml"),
        ("archive Atom", r"archive\.atom"),
        ("archive JSON Feed", r"archive\.json"),
        ("sitemap", r"sitemap\.xml"),
        ("404 page", r"404\.html"),
        ("stylesheet", r"feed\.css"),
        ("build state", r"\.syndicate[^/]*"),
    )
)
HUGO: Patterns = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("post page", r"posts/[^/]+/index\.html"),
        ("post comments RSS", r"posts/[^/]+/comments\.xml"),
        ("post comments Atom", r"posts/[^/]+/comments\.atom"),
        ("redirect to page 1", r"(tags/[^/]+/)?page/1/index\.html"),
        ("index page", r"index\.html|page/\d+/index\.html"),
        ("tag page", r"tags/[^/]+/index\.html|tags/[^/]+/page/\d+/index\.html"),
        ("tag RSS", r"tags/[^/]+/index\.xml"),
        ("tag Atom", r"tags/[^/]+/index\.atom"),
        ("archive page RSS", r"history/(page/\d+/)?index\.xml"),
        ("archive page Atom", r"history/(page/\d+/)?index\.atom"),
        ("site RSS", r"index\.xml"),
        ("site Atom", r"index\.atom"),
        ("site JSON Feed", r"feed\.json"),
        ("site comments RSS", r"comments\.xml"),
        ("site comments Atom", r"comments\.atom"),
        ("archive RSS", r"archive\.xml"),
        ("archive Atom", r"archive\.atom"),
        ("archive JSON Feed", r"archive\.json"),
        ("sitemap", r"sitemap\.xml"),
        ("404 page", r"404\.html"),
        ("stylesheet", r"feed\.css"),
    )
)


def kind_of(path: str, patterns: Patterns) -> str:
    """The first kind whose pattern matches the whole path (a path under the output folder)."""
    return next((kind for kind, pattern in patterns if pattern.fullmatch(path)), "other")


def kind_counts(paths: Iterable[str], patterns: Patterns) -> Counter[str]:
    return Counter(kind_of(path, patterns) for path in paths)
