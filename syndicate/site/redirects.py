"""WordPress's old feed addresses, sent on to the new feeds with a 301, so that a subscriber of the
old blog keeps receiving: the site's (`/feed/`, `/feed/atom/`, `/comments/feed/`, `?feed=rss2`,
the old `/wp-rss2.php`...), each post's and page's (`<its path>/feed/`), each tag's and
category's (`/tag/<slug>/feed/`, `/category/<slug>/feed/`), and the plain links `/?p=12`.

The map is written in the `_redirects` format that Netlify and Cloudflare Pages read (which
`syndicate serve` reads too), and as include files for nginx (`.redirects.nginx.conf`) and
Caddy (`.redirects.caddy`). It is written when the posts were imported from WordPress (the
importer's record is in the posts folder) or [site] permalink is in WordPress's structure tags;
never over a file of that name that syndicate did not write.

What the format's readers differ in, and how the map is written for them all:
- Cloudflare Pages matches a path exactly, trailing slash included: each rule is written with
  and without the slash. It takes at most 2,000 rules without placeholders ("static") and 100
  with, and wants the static ones first: a post's feeds are covered by one rule per depth of
  path (`/:a/:b/:c/:d/feed/`), a tag's by one rule for all the tags whose feed is named as
  WordPress named the tag, and only the others are spelled out.
- Cloudflare Pages cannot match a query string and skips (with a warning) the lines that do
  (`/ feed=rss2 /rss.xml 301!`); Netlify matches them, the `!` making the rule win over the
  home page that is at `/`.
- The first rule that matches wins everywhere, so the specific rules come first.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from syndicate import layout as paths
from syndicate.errors import PostWarning
from syndicate.layout import PostPlace

if TYPE_CHECKING:
    from syndicate.model import Post
    from syndicate.site.plan import SitePlan

REDIRECTS = "_redirects"
NGINX_INCLUDE = ".redirects.nginx.conf"
CADDY_INCLUDE = ".redirects.caddy"
# Written by `syndicate import wordpress` (syndicate/wordpress/write.py, which site/ may not
# import): WordPress's term slugs and their names, {"post_tag": {slug: name}, "category": ...}.
IMPORT_RECORD = ".syndicate-import.json"
TAXONOMIES = {"post_tag": "tag", "category": "category"}  # WordPress's taxonomy -> its URL base
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# A post's feed on WordPress: `<its path>/feed/` and the same feed named by its format.
POST_FEEDS = (("feed/", paths.COMMENTS_RSS), ("feed/rss2/", paths.COMMENTS_RSS))
POST_ATOM_FEEDS = (("feed/atom/", paths.COMMENTS_ATOM),)
SITE_FEEDS = (
    ("feed/", paths.SITE_RSS),
    ("feed/rss2/", paths.SITE_RSS),
    ("feed/rss/", paths.SITE_RSS),
    ("feed/rdf/", paths.SITE_RSS),
    ("feed/atom/", paths.SITE_ATOM),
    ("comments/feed/", paths.COMMENTS_RSS),
    ("comments/feed/rss2/", paths.COMMENTS_RSS),
    ("comments/feed/atom/", paths.COMMENTS_ATOM),
    # The addresses of WordPress before 1.5, which it still answers and old readers still poll.
    ("wp-rss2.php", paths.SITE_RSS),
    ("wp-rss.php", paths.SITE_RSS),
    ("wp-rdf.php", paths.SITE_RSS),
    ("wp-atom.php", paths.SITE_ATOM),
    ("wp-commentsrss2.php", paths.COMMENTS_RSS),
)
QUERY_FEEDS = (  # ?feed=...
    ("rss2", paths.SITE_RSS),
    ("rss", paths.SITE_RSS),
    ("rdf", paths.SITE_RSS),
    ("atom", paths.SITE_ATOM),
    ("comments-rss2", paths.COMMENTS_RSS),
    ("comments-atom", paths.COMMENTS_ATOM),
)
PLACEHOLDERS = string.ascii_lowercase  # :a, :b ... one letter each: no name starts another
_PLACEHOLDER = re.compile(r"^:([A-Za-z]\w*)$")
# A WordPress guid of the blog's own: `https://oldblog.example/?p=12`, `...?page_id=60`.
_NUMBERED = re.compile(r"^(p|page_id)=(\d+)$")
# What the nginx and Caddy files take in a path unquoted; a rule with anything else is left out.
_PLAIN_PATH = re.compile(r"^[^\s\"'\\{};#$`]+$")


@dataclass(frozen=True)
class Redirect:
    """One rule: `source` (a path from the host's root; a `:name` segment is a placeholder, a
    last `*` a splat) to `target` (a path, where `:name` and `:splat` are put back), when the
    query has each of `query` (a value `:name` is a placeholder too). Unless `force`, it is
    followed only where no file is (Netlify's shadowing; Cloudflare Pages always follows)."""

    source: str
    target: str
    query: tuple[tuple[str, str], ...] = ()
    status: int = 301
    force: bool = False

    @property
    def dynamic(self) -> bool:
        """With placeholders or a splat (Cloudflare Pages counts them apart)."""
        parts = self.source.split("/")
        return any(_PLACEHOLDER.match(part) or part == "*" for part in parts)


# -- the rules of a site ----------------------------------------------------------------------


def redirect_outputs(plan: SitePlan) -> Iterator[tuple[str, bytes]]:
    """The redirect files, when the site moved from WordPress (see above) and they changed."""
    record = import_record(plan.settings.posts)
    permalink = plan.settings.permalink
    if record is None and not (permalink and "%" in permalink):
        return
    rules = site_redirects(plan, terms=record or {})
    files = {
        REDIRECTS: netlify_bytes(rules),
        NGINX_INCLUDE: nginx_bytes(rules),
        CADDY_INCLUDE: caddy_bytes(rules),
    }
    for name in [name for name in files if _foreign(plan, name)]:
        message = (
            f"not written: {name} is not a file that syndicate wrote (one of your own?); "
            "WordPress's old feed addresses are redirected only where it is syndicate's"
        )
        plan.problems.append(PostWarning(plan.output / name, message))
        del files[name]
    digest = hashlib.blake2b(digest_size=16)
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + data)
    if files and not plan.unchanged(*files, plan.key_of("redirects", digest.hexdigest())):
        yield from files.items()


def _foreign(plan: SitePlan, name: str) -> bool:
    return name not in plan.previous_keys and (plan.output / name).exists()


def import_record(posts_dir: Path) -> dict[str, dict[str, str]] | None:
    """WordPress's term slugs -> names from the importer's record, or None when the posts
    were not imported (or its record cannot be read: then the tags' rules are the general
    ones alone)."""
    try:
        data = json.loads((posts_dir / IMPORT_RECORD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, dict):
        return {}
    return {
        taxonomy: {str(slug): str(name) for slug, name in names.items()}
        for taxonomy, names in terms.items()
        if isinstance(names, dict)
    }


def site_redirects(plan: SitePlan, *, terms: Mapping[str, Mapping[str, str]]) -> list[Redirect]:
    """Every rule of the site, static ones first, each specific rule before a general one."""
    base = urlsplit(plan.settings.base_url).path  # "/" or "/blog/"
    static = [Redirect(base + old, base + new) for old, new in SITE_FEEDS]
    dynamic: list[Redirect] = []
    if plan.tags() or terms:
        tag_rules = TagRules(plan, base)
        static += tag_rules.spelled_out(terms)
        dynamic += tag_rules.general()
    posts = plan.posts_and_pages()
    places = [plan.layout.place(post) for post in posts]
    depths = sorted({_depth(place) for place in places if _is_pretty(place)}, reverse=True)
    static += [
        rule for place in places if not _by_depth(place) for rule in _post_rules(base, place)
    ]
    dynamic += [
        rule for depth in depths if depth <= len(PLACEHOLDERS) for rule in _depth_rules(base, depth)
    ]
    query = query_rules(plan, base, posts, places)
    return [*with_and_without_slash(static), *with_and_without_slash(dynamic), *query]


def with_and_without_slash(rules: Iterable[Redirect]) -> list[Redirect]:
    """Each rule whose source ends in `/`, and its twin without (Cloudflare matches exactly)."""
    every = []
    for rule in rules:
        every.append(rule)
        if rule.source.endswith("/") and rule.source != "/":
            every.append(Redirect(rule.source.rstrip("/"), rule.target, rule.query))
    return every


def _is_pretty(place: PostPlace) -> bool:
    """A folder's page with its feeds in the folder: `<path>/feed/` -> `<path>/comments.xml`."""
    return place.page.endswith("/") and place.comments_rss == place.page + paths.COMMENTS_RSS


def _depth(place: PostPlace) -> int:
    return place.page.strip("/").count("/") + 1


def _by_depth(place: PostPlace) -> bool:
    return _is_pretty(place) and _depth(place) <= len(PLACEHOLDERS)


def _post_rules(base: str, place: PostPlace) -> list[Redirect]:
    """A post's feeds spelled out: its page is a file (`hello.html/feed/`), or deeply nested."""
    if place.page.endswith(paths.INDEX_PAGE):
        return []  # at posts/<slug>/index.html: never a WordPress post's address
    page = base + place.page.rstrip("/") + "/"
    rss = [Redirect(page + old, base + place.comments_rss) for old, _ in POST_FEEDS]
    return [*rss, *(Redirect(page + old, base + place.comments_atom) for old, _ in POST_ATOM_FEEDS)]


def _depth_rules(base: str, depth: int) -> list[Redirect]:
    """`/:a/:b/feed/` -> `/:a/:b/comments.xml`: the feeds of every post at that depth."""
    folder = base + "".join(f":{name}/" for name in PLACEHOLDERS[:depth])
    return [Redirect(folder + old, folder + new) for old, new in (*POST_FEEDS, *POST_ATOM_FEEDS)]


class TagRules:
    """A tag's and a category's old feeds and page. Where WordPress's slug names our tag's
    files (`/tag/python/feed/` and tags/python.xml) one general rule serves every tag; the
    others (`C++`, WordPress's `c-2`, ours `c-<hash>`) are spelled out from the importer's
    record. A term that no published post carries goes to the site's feeds and home."""

    def __init__(self, plan: SitePlan, base: str) -> None:
        self.base = base
        self.spelling = {paths.tag_key(tag): tag for tag in plan.tags()}

    def spelled_out(self, terms: Mapping[str, Mapping[str, str]]) -> list[Redirect]:
        rules = []
        for taxonomy, url_base in TAXONOMIES.items():
            for slug, name in sorted(terms.get(taxonomy, {}).items()):
                if not _PLAIN_PATH.match(slug) or "/" in slug:
                    continue
                source = f"{self.base}{url_base}/{slug}/"
                targets = self.targets(name)
                if targets != self.general_targets(unquote(slug)):
                    rules += [Redirect(source + old, new) for old, new in targets]
        return rules

    def targets(self, name: str) -> list[tuple[str, str]]:
        """(what follows the term's address, where it goes): its feeds, then its page."""
        tag = self.spelling.get(paths.tag_key(name))
        if tag is None:
            site = self.base
            return [
                ("feed/", site + paths.SITE_RSS),
                ("feed/atom/", site + paths.SITE_ATOM),
                ("", site),
            ]
        rss, atom = paths.tag_feed(tag, ".xml"), paths.tag_feed(tag, ".atom")
        page = paths.tag_feed(tag, ".html")
        return [
            ("feed/", self.base + rss),
            ("feed/atom/", self.base + atom),
            ("", self.base + page),
        ]

    def general_targets(self, slug: str) -> list[tuple[str, str]]:
        """Where the general rules send `/tag/<slug>/...`."""
        tags = self.base + "tags/" + slug
        return [("feed/", tags + ".xml"), ("feed/atom/", tags + ".atom"), ("", tags + ".html")]

    def general(self) -> list[Redirect]:
        """`/tag/:slug/feed/` -> `/tags/:slug.xml` and the like, and a category's (nested ones
        by their own slug: `/category/notes/audio-notes/feed/`)."""
        rules = []
        for source in ("tag/:slug/", "category/:slug/", "category/:parent/:slug/"):
            for old, new in self.general_targets(":slug"):
                rules.append(Redirect(self.base + source + old, new))
        return rules


def query_rules(
    plan: SitePlan, base: str, posts: Sequence[Post], places: Sequence[PostPlace]
) -> list[Redirect]:
    """`?feed=rss2` and the plain links of the posts (`?p=12`, `?page_id=60`, and their feeds
    `?p=12&feed=rss2`): for the old blog's guids of the site's own address."""
    home = urlsplit(plan.settings.base_url)
    numbered = []
    for post, place in zip(posts, places, strict=True):
        number = _wordpress_number(plan.layout.post_id(post), home.netloc, home.path)
        if number is not None:
            numbered.append((number, place))
    feeds = [
        Redirect(base, base + new, ((name, number), ("feed", feed)), force=True)
        for (name, number), place in numbered
        for feed, new in (("rss2", place.comments_rss), ("atom", place.comments_atom))
    ]
    site = [Redirect(base, base + new, (("feed", kind),), force=True) for kind, new in QUERY_FEEDS]
    pages = [Redirect(base, base + place.page, (number,), force=True) for number, place in numbered]
    return [*feeds, *site, *pages]


def _wordpress_number(post_id: str, host: str, home_path: str) -> tuple[str, str] | None:
    """("p", "12") for a guid `http(s)://<the site's host and path>?p=12`."""
    parts = urlsplit(post_id)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        return None
    if parts.path.rstrip("/") != home_path.rstrip("/") or parts.fragment:
        return None
    found = _NUMBERED.match(parts.query)
    return (found[1], found[2]) if found else None


# -- the formats ------------------------------------------------------------------------------

HEADER = (
    "Written by `syndicate build`: WordPress's old feed and page addresses, sent on to the new "
    "ones (see the README, Moving from WordPress)."
)


def netlify_bytes(rules: Sequence[Redirect]) -> bytes:
    """The `_redirects` file: `source [query...] target status[!]`, a rule a line."""
    lines = [f"# {HEADER}", "# Netlify reads every line; Cloudflare Pages skips the query lines."]
    for rule in rules:
        query = [f"{name}={value}" for name, value in rule.query]
        status = f"{rule.status}{'!' if rule.force else ''}"
        lines.append(" ".join([rule.source, *query, rule.target, status]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def nginx_bytes(rules: Sequence[Redirect]) -> bytes:
    """Locations for an nginx `server` block (`include .../.redirects.nginx.conf;`): an exact
    location a static rule, a regular expression a dynamic one, the query rules in the home's
    exact location (a `return` in an `if`, the one use of `if` nginx calls safe)."""
    lines = [f"# {HEADER}", "# Include it in the site's server { } block."]
    by_query: dict[str, list[Redirect]] = {}
    for rule in rules:
        if not _plain(rule):
            continue
        target = _nginx_target(rule)
        if rule.query:
            by_query.setdefault(unquote(rule.source), []).append(rule)
        elif rule.dynamic:  # the captures from the request as sent: $uri has them decoded
            raw = _regex(rule.source, raw=True)
            inner = f'if ($request_uri ~ "{raw}") {{ return {rule.status} {target}; }}'
            lines.append(f'location ~ "{_regex(rule.source)}" {{ {inner} }}')
        else:
            lines.append(
                f'location = "{unquote(rule.source)}" {{ return {rule.status} {target}; }}'
            )
    for source, here in by_query.items():
        lines.append(f'location = "{source}" {{')
        for names in dict.fromkeys(tuple(name for name, _ in rule.query) for rule in here):
            arguments = "|".join(f"$arg_{name}" for name in names)
            lines.append(f'    set {_nginx_variable(names)} "{arguments}";')
        for rule in here:
            variable = _nginx_variable(tuple(name for name, _ in rule.query))
            values = "|".join(value for _, value in rule.query)
            condition = f'if ({variable} = "{values}")'
            lines.append(f"    {condition} {{ return {rule.status} {_nginx_target(rule)}; }}")
        lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def caddy_bytes(rules: Sequence[Redirect]) -> bytes:
    """Matchers and a `route` of `redir`s for a Caddy site block (`import .../.redirects.caddy`):
    a route keeps the rules in their order, as the other formats take them."""
    lines = [f"# {HEADER}", "# Import it in the site's block."]
    routed = []
    for number, rule in enumerate(rules, start=1):
        if not _plain(rule):
            continue
        name = f"syndicate_{number}"
        target = rule.target
        if rule.query:  # an expression: Caddy 2.6's `query a=1 b=2` takes either, not both
            tests = [f"path('{unquote(rule.source)}')"]
            tests += [f"{{query.{key}}} == '{value}'" for key, value in rule.query]
            lines.append(f"@{name} expression `{' && '.join(tests)}`")
            routed.append(f"    redir @{name} {target} {rule.status}")
        elif rule.dynamic:  # on the request as sent: path_regexp captures decoded letters
            raw = _regex(rule.source, raw=True)
            lines.append(f"@{name} vars_regexp {name} {{http.request.uri}} {raw}")
            names = _placeholder_names(rule.source)
            for position, placeholder in enumerate(names, start=1):
                target = target.replace(f":{placeholder}", f"{{re.{name}.{position}}}")
            routed.append(f"    redir @{name} {target} {rule.status}")
        else:
            routed.append(f"    redir {unquote(rule.source)} {target} {rule.status}")
    lines += ["route {", *routed, "}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _plain(rule: Redirect) -> bool:
    return bool(_PLAIN_PATH.match(unquote(rule.source)) and _PLAIN_PATH.match(rule.target))


def _placeholder_names(source: str) -> list[str]:
    return [found[1] for part in source.split("/") if (found := _PLACEHOLDER.match(part))]


def _regex(source: str, *, raw: bool = False) -> str:
    """The source as a regular expression of the decoded path; `raw`: of the request's own
    bytes (nginx's $request_uri: escapes kept, and a query after the path)."""
    parts = []
    for part in source.split("/"):
        if _PLACEHOLDER.match(part):
            parts.append("([^/?]+)" if raw else "([^/]+)")
        else:
            parts.append(re.escape(part if raw else unquote(part)))
    return "^" + "/".join(parts) + (r"(?:\?.*)?$" if raw else "$")


def _nginx_variable(names: tuple[str, ...]) -> str:
    return "$syndicate_" + "_".join(names)


def _nginx_target(rule: Redirect) -> str:
    target = rule.target
    if rule.dynamic and not rule.query:
        for position, placeholder in enumerate(_placeholder_names(rule.source), start=1):
            target = target.replace(f":{placeholder}", f"${position}")
    return target


# -- reading the format (syndicate serve) ------------------------------------------------------


def parse_redirects(text: str) -> list[Redirect]:
    """The rules of a `_redirects` file that a static server can follow: redirects (301, 302,
    303, 307, 308) from a path, with query conditions; rewrites (200), custom statuses (404),
    other hosts' addresses and conditions on countries, languages or roles are left out."""
    rules = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens or tokens[0].startswith("#") or not tokens[0].startswith("/"):
            continue
        rule = _rule(tokens)
        if rule is not None:
            rules.append(rule)
    return rules


def _rule(tokens: list[str]) -> Redirect | None:
    source, rest = tokens[0], tokens[1:]
    query = []
    while rest and "=" in rest[0] and not rest[0].startswith(("/", "http://", "https://")):
        name, _, value = rest.pop(0).partition("=")
        query.append((name, value))
    if not rest:
        return None
    target, rest = rest[0], rest[1:]
    status_text = rest[0] if rest else "301"
    if len(rest) > 1:
        return None  # a condition (Country=, Language=, Role=) that a static server cannot see
    force = status_text.endswith("!")
    try:
        status = int(status_text.rstrip("!"))
    except ValueError:
        return None
    if status not in REDIRECT_STATUSES:
        return None
    return Redirect(source, target, tuple(query), status, force)


def match_redirect(
    rules: Sequence[Redirect], path: str, query: Mapping[str, str], *, file_exists: bool
) -> tuple[Redirect, str] | None:
    """The first rule for a request and where it sends it (RedirectRules.match)."""
    return RedirectRules(rules).match(path, query, file_exists=file_exists)


class RedirectRules:
    """Rules ready to match requests: each source split once, and the rules grouped by the
    request paths they can match (how many segments, the first one), so that a request is
    tried against a few rules, not thousands (a `?p=` rule per post, all at `/`)."""

    def __init__(self, rules: Sequence[Redirect]) -> None:
        self.groups: dict[tuple[int, str | None], list[tuple[int, Redirect, list[str]]]] = {}
        self.splats: list[tuple[int, Redirect, list[str]]] = []
        for order, rule in enumerate(rules):
            pattern = _segments(rule.source)
            entry = (order, rule, pattern)
            if pattern[-1] == "*":
                self.splats.append(entry)
                continue
            first = None if _PLACEHOLDER.match(pattern[0]) else pattern[0]
            self.groups.setdefault((len(pattern), first), []).append(entry)

    def __bool__(self) -> bool:
        return bool(self.groups or self.splats)

    def match(
        self, path: str, query: Mapping[str, str], *, file_exists: bool
    ) -> tuple[Redirect, str] | None:
        """The first rule for a request (`path` decoded, as WSGI gives it) and where it sends
        it. Paths are compared decoded and without a trailing slash (as Netlify compares
        them); a rule that is not forced is followed only where no file is."""
        wanted = path.strip("/").split("/")
        candidates = heapq.merge(
            self.groups.get((len(wanted), wanted[0]), ()),
            self.groups.get((len(wanted), None), ()),
            self.splats,
        )
        for _, rule, pattern in candidates:
            if (file_exists and not rule.force) or (rule.query and not query):
                continue
            bound = _bind(pattern, wanted)
            if bound is None:
                continue
            bound = _bind_query(rule.query, query, bound)
            if bound is None:
                continue
            return rule, _fill(rule.target, bound)
        return None


def _segments(path: str) -> list[str]:
    return unquote(path).strip("/").split("/")


def _bind(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    bound: dict[str, str] = {}
    for position, part in enumerate(pattern):
        if part == "*" and position == len(pattern) - 1:
            bound["splat"] = "/".join(segments[position:])
            return bound
        if position >= len(segments):
            return None
        found = _PLACEHOLDER.match(part)
        if found and segments[position]:
            bound[found[1]] = segments[position]
        elif part != segments[position]:
            return None
    return bound if len(pattern) == len(segments) else None


def _bind_query(
    conditions: Sequence[tuple[str, str]], query: Mapping[str, str], bound: dict[str, str]
) -> dict[str, str] | None:
    for name, value in conditions:
        if name not in query:
            return None
        found = _PLACEHOLDER.match(value)
        if found:
            bound[found[1]] = query[name]
        elif query[name] != value:
            return None
    return bound


def _fill(target: str, bound: Mapping[str, str]) -> str:
    # Longest names first: `:slug` before a `:s` that would eat its start.
    for name in sorted(bound, key=len, reverse=True):
        target = target.replace(f":{name}", _quote_segment(bound[name]))
    return target


def _quote_segment(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/:@!$&'()*+,;=-._~")
