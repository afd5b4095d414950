"""The same corpus as a Hugo site doing the work `syndicate build` does, so the two times compare.

The site is the config below and the layouts in `hugo_site/` (Go templates shaped as syndicate's
Jinja templates and feeds): every post's page with its comments threaded (front matter data,
a partial that calls itself for the replies), each post's comment feed in RSS and in Atom
(custom output formats of the page kind), the site's feeds of the 20 newest posts whole in RSS,
Atom and JSON Feed, the site's comment feeds (its 50 newest comments), the archive feeds (the
100 newest posts with where each was published), RFC 5005 archive pages (the posts older than
the feed's 20, 20 a page, whole, in RSS and Atom: paginated custom outputs of the home page),
the index in pages of 20, each tag's pages of 20 and its feeds (RSS, Atom), sitemap.xml,
404.html and the feeds' stylesheet.

Hugo reads the very posts syndicate reads (its content folder is the run's posts folder, given
with --contentDir), so an edit made for one tool is seen by the other. What differs, and what it
does to the counts (see `python -m tests.bench`'s output figures): Hugo writes a redirect page
for page 1 of each paginated list (the index and each tag: one file a tag more), names its files
after its own conventions (posts/<slug>/ rather than posts/<slug>/index.html in links, so its
pages are a little smaller), renders Markdown with Goldmark (syndicate: cmark-gfm, then nh3),
and lists no paginated page in its sitemap.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

SITE_FILES = Path(__file__).with_name("hugo_site")  # layouts/, copied into a site
# The stylesheet every feed names: syndicate's own file, the same bytes for both tools.
FEED_CSS = Path(__file__).parents[2] / "syndicate" / "templates" / "feed.css"
BASE_URL = "http://localhost:8000/"
TITLE = "syndicate"  # syndicate's default title: the same text on every page and feed
PAGE_SIZE = 20  # syndicate's page_size and feed_limit
# Custom output formats: (name, media type, file name without suffix, path under the page's).
OUTPUT_FORMATS: tuple[tuple[str, str, str, str], ...] = (
    ("Atom", "application/atom+xml", "index", ""),
    ("JSONFeed", "application/feed+json", "feed", ""),
    ("CommentsRSS", "application/rss+xml", "comments", ""),
    ("CommentsAtom", "application/atom+xml", "comments", ""),
    ("SiteCommentsRSS", "application/rss+xml", "comments", ""),
    ("SiteCommentsAtom", "application/atom+xml", "comments", ""),
    ("ArchiveRSS", "application/rss+xml", "archive", ""),
    ("ArchiveAtom", "application/atom+xml", "archive", ""),
    ("ArchiveJSON", "application/feed+json", "archive", ""),
    ("HistoryRSS", "application/rss+xml", "index", "history"),
    ("HistoryAtom", "application/atom+xml", "index", "history"),
)
OUTPUTS = {
    "home": [
        "HTML",
        "RSS",
        "Atom",
        "JSONFeed",
        "SiteCommentsRSS",
        "SiteCommentsAtom",
        "ArchiveRSS",
        "ArchiveAtom",
        "ArchiveJSON",
        "HistoryRSS",
        "HistoryAtom",
    ],
    "page": ["HTML", "CommentsRSS", "CommentsAtom"],
    "term": ["HTML", "RSS", "Atom"],
}


def hugo_version() -> str | None:
    """`hugo version`'s line, or None when Hugo is not installed."""
    if shutil.which("hugo") is None:
        return None
    result = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or None


def version_tuple(version_line: str) -> tuple[int, int]:
    match = re.search(r"v(\d+)\.(\d+)", version_line)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def config_text(version_line: str) -> str:
    """hugo.toml for this Hugo: `paginate` became `[pagination] pagerSize` in 0.128."""
    paging = (
        f"[pagination]\npagerSize = {PAGE_SIZE}\n"
        if version_tuple(version_line) >= (0, 128)
        else f"paginate = {PAGE_SIZE}\n"
    )
    lines = [
        f'baseURL = "{BASE_URL}"',
        f'title = "{TITLE}"',
        'languageCode = "en"',
        # No page for the list of tags nor for the posts section: syndicate writes neither.
        'disableKinds = ["taxonomy", "section", "robotsTXT"]',
        'ignoreErrors = ["error-disable-taxonomy"]',
        "summaryLength = 50",  # words: about syndicate's summary of some 300 characters
        "capitalizeListTitles = false",
        "pluralizeListTitles = false",
        paging.rstrip("\n"),
        "[params]",
        'idHost = "localhost"',  # the authority of the posts' tag: URIs, as syndicate's
        "[taxonomies]",
        'tag = "tags"',
        "[permalinks]",
        'posts = "/posts/:slug/"',
        "[markup.goldmark.parser]",
        "autoHeadingID = false",  # cmark-gfm gives headings no id
        '[mediaTypes."application/atom+xml"]',
        'suffixes = ["atom"]',
        '[mediaTypes."application/feed+json"]',
        'suffixes = ["json"]',
    ]
    for name, media_type, base_name, path in OUTPUT_FORMATS:
        lines += [f"[outputFormats.{name}]", f'mediaType = "{media_type}"']
        lines.append(f'baseName = "{base_name}"')
        if path:
            lines.append(f'path = "{path}"')
        if media_type.endswith("json"):
            lines.append("isPlainText = true")  # JSON written by jsonify, not HTML-escaped
    lines.append("[outputs]")
    lines += [f"{kind} = {formats!r}".replace("'", '"') for kind, formats in OUTPUTS.items()]
    return "\n".join(lines) + "\n"


def make_site(site: Path, *, version_line: str) -> Path:
    """A Hugo site folder (config, layouts, static files) without content: `build_command`
    names the content folder."""
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(SITE_FILES, site)
    (site / "static").mkdir(exist_ok=True)
    shutil.copyfile(FEED_CSS, site / "static" / FEED_CSS.name)
    (site / "hugo.toml").write_text(config_text(version_line), encoding="utf-8")
    return site


def build_command(site: Path, content: Path, output: Path) -> list[str]:
    """Hugo building `site` from `content` (a folder holding posts/) into `output`."""
    command = ["hugo", "--source", str(site), "--contentDir", str(content)]
    return [*command, "--destination", str(output), "--quiet"]
