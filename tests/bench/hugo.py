"""The same corpus as a Hugo site: content/posts/<slug>.md (the very same bytes, hard-linked),
a config and layouts that publish what syndicate publishes: every post's page with its
comments, a post list, and full-content RSS (`.Content`) of the newest 20, site-wide, per
section and per tag."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from . import corpus

SITE_FORMAT = 2  # bump when the layouts or config change
BASE_URL = "http://localhost:8000/"

SINGLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}">
</head><body><article>
<h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">
{{ .Date.Format "2 January 2006" }}</time>
<p>{{ range .Params.tags }}
<a href="{{ "tags/" | absURL }}{{ . | urlize }}/">{{ . }}</a> {{ end }}</p>
{{ .Content }}
</article>
<section id="comments"><h2>{{ len (.Params.comments | default slice) }} comments</h2>
{{ range .Params.comments }}<div class="comment" id="comment-{{ .id }}">
<p>{{ .author }} · {{ .date }}{{ with .in_reply_to }}
· in reply to <a href="#comment-{{ . }}">{{ . }}</a>{{ end }}</p>
{{ .body | markdownify }}
</div>
{{ end }}</section>
</body></html>
"""
LIST = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}
<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
</head><body><h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Date.Format "2006-01-02" }}</li>
{{ end }}</ul></body></html>
"""
INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Site.Title }}</title>
<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}">
</head><body><h1>{{ .Site.Title }}</h1><ul>
{{ range .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Date.Format "2006-01-02" }}</li>
{{ end }}</ul></body></html>
"""
RSS = """{{- $pages := .Pages -}}
{{- if .IsHome }}{{ $pages = .Site.RegularPages }}{{ end -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{{ .Title }} · {{ .Site.Title }}</title>
<link>{{ .Permalink }}</link>
<description>Posts of {{ .Site.Title }}</description>
{{ with .OutputFormats.Get "RSS" -}}
{{ printf "<atom:link href=%q rel=\\"self\\" type=%q />" .Permalink .MediaType | safeHTML }}
{{- end }}
{{ range first 20 $pages }}<item>
<title>{{ .Title }}</title>
<link>{{ .Permalink }}</link>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<guid>{{ .Permalink }}</guid>
{{ range .Params.tags }}<category>{{ . }}</category>{{ end }}
<description>{{ .Content | html }}</description>
</item>
{{ end }}</channel>
</rss>
"""
LAYOUTS = {
    "_default/single.html": SINGLE,
    "_default/list.html": LIST,
    "index.html": INDEX,
    "_default/rss.xml": RSS,
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
    """rssLimit became `[services.rss] limit` in Hugo 0.114; write the one this Hugo reads."""
    limit = (
        "[services.rss]\nlimit = 20\n"
        if version_tuple(version_line) >= (0, 114)
        else "rssLimit = 20\n"
    )
    return (
        f'baseURL = "{BASE_URL}"\n'
        'title = "syndicate benchmark"\n'
        'languageCode = "en"\n'
        'disableKinds = ["sitemap", "robotsTXT", "404"]\n'
        f"{limit}"
        "[taxonomies]\n"
        'tag = "tags"\n'
        "[outputs]\n"
        'home = ["HTML", "RSS"]\n'
        'section = ["HTML", "RSS"]\n'
        'taxonomy = ["HTML"]\n'
        'term = ["RSS"]\n'
    )


def ensure_site(workdir: Path, posts: Path, *, size: int, seed: int, version_line: str) -> Path:
    """The Hugo site for a corpus folder, its content hard-linked to the posts, made once."""
    site = workdir / "corpus" / f"hugo-n{size}-s{seed}-v{corpus.FORMAT}.{SITE_FORMAT}"
    if not (site / corpus.COMPLETE_MARKER).exists():
        shutil.rmtree(site, ignore_errors=True)
        corpus.linked_copy(posts, site / "content" / "posts")
    (site / "hugo.toml").write_text(config_text(version_line), encoding="utf-8")
    for name, text in LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (site / corpus.COMPLETE_MARKER).write_text("done\n", encoding="utf-8")
    return site


def build_command(site: Path, output: Path) -> list[str]:
    return ["hugo", "--source", str(site), "--destination", str(output), "--quiet"]
