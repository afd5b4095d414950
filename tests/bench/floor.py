"""`python -m tests.bench.floor`: the CPU the libraries alone need to build the benchmark's site.

It makes, serially in one process, the files `syndicate build` makes from the corpus, with the
libraries syndicate uses and no syndicate code (floor_posts, floor_feeds, floor_pages): every
post read (PyYAML's C loader, cmark-gfm, nh3 with an equivalent allow-list), every feed through
feedgen (each post's comment feeds, the site's, the comments', the archive's, every RFC 5005
archive page, every tag's: the same feeds with the same entries) and the JSON Feeds through
json, every page through Jinja2 with templates shaped as syndicate's (each post's, the index's
and the tags' pages of 20, the 404 page), sitemap.xml through lxml, and every file written
atomically. It sums the CPU seconds of each kind of work: what a build costs beyond that sum is
syndicate's own (planning, caching, workers, bookkeeping such as its manifest, which the floor
does not write).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import floor_feeds as feeds
from . import floor_pages as pages
from .corpus import add_corpus_arguments, ensure_posts, post_paths
from .floor_feeds import FeedInfo
from .floor_posts import BASE_URL, FloorComment, FloorPost, read_post

WRITING = "atomic writes"
FEED_LIMIT, COMMENT_FEED_LIMIT, ARCHIVE_FEED_LIMIT, POST_COMMENT_LIMIT = 20, 50, 100, 1000
# The stylesheet file as a build writes it (the file, read: no syndicate code runs).
STYLESHEET = Path(__file__).parents[2] / "syndicate" / "templates" / "feed.css"


class Clock:
    """CPU seconds by kind of work; parts are never nested."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, part: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[part] += time.process_time() - started


class Writer:
    """Every file written as a build writes it: beside its target, then renamed over it."""

    def __init__(self, output: Path, clock: Clock) -> None:
        self.output, self.clock = output, clock
        self.files = self.bytes = 0

    def write(self, files: dict[str, bytes]) -> None:
        with self.clock(WRITING):
            for path, data in files.items():
                target = self.output / path
                temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                try:
                    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
                except FileNotFoundError:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, target)
                self.files += 1
                self.bytes += len(data)


def measure(folder: Path, output: Path) -> tuple[dict[str, float], Writer]:
    """CPU seconds of each kind of work for the site of the posts in `folder`."""
    clock = Clock()
    writer = Writer(output, clock)
    posts = [read_post(path, clock) for path in post_paths(folder)]
    with clock("lists (sorting, tags)"):
        posts.sort(key=lambda post: (post.published.timestamp(), post.slug), reverse=True)
        tagged: dict[str, list[FloorPost]] = {}
        for post in posts:
            for tag in post.tags:
                tagged.setdefault(tag, []).append(post)
    write_posts(posts, clock, writer)
    write_site_feeds(posts, clock, writer)
    write_history(posts, clock, writer)
    write_tags(tagged, clock, writer)
    write_lists(posts, tagged, clock, writer)
    return dict(clock.seconds), writer


def write_posts(posts: Sequence[FloorPost], clock: Clock, writer: Writer) -> None:
    """Each post's page and its two comment feeds (its newest comments first)."""
    for position, post in enumerate(posts):
        newer = posts[position - 1] if position else None
        older = posts[position + 1] if position + 1 < len(posts) else None
        with clock("pages (Jinja2)"):
            page = pages.post_page(post, newer, older)
        with clock("feeds (feedgen)"):
            items = [(post, each) for each in reversed(post.comments)][:POST_COMMENT_LIMIT]
            updated = max([post.published, *(each.published for each in post.comments)])
            info = FeedInfo(
                f"Comments on: {post.title}",
                f"Comments on “{post.title}”",
                feeds.comment_url(post, ".xml"),
                feeds.comment_url(post, ".atom"),
                updated,
                home_url=post.url,
            )
            rss, atom = feeds.comment_feed(info, items, name_the_post=False)
        folder = f"posts/{post.slug}/"
        writer.write(
            {
                f"{folder}index.html": page,
                f"{folder}comments.xml": rss,
                f"{folder}comments.atom": atom,
            }
        )


def write_site_feeds(posts: Sequence[FloorPost], clock: Clock, writer: Writer) -> None:
    """The site's feeds, its comments' feeds and the archive feeds, with their JSON Feeds."""
    files: dict[str, bytes] = {}
    with clock("feeds (feedgen)"):
        newest = posts[:FEED_LIMIT]
        pages_count = -(-(len(posts) - FEED_LIMIT) // FEED_LIMIT)  # archive pages, rounded up
        newest_page = (
            "prev-archive",
            history_url(pages_count, ".xml"),
            history_url(pages_count, ".atom"),
        )
        links = (newest_page,) if pages_count else ()
        site = info_of(feeds.TITLE, feeds.TITLE, "rss.xml", "atom.xml", newest, links)
        files["rss.xml"], files["atom.xml"] = feeds.post_feed(site, newest)
        comments = newest_comments(posts)
        updated = comments[0][1].published if comments else posts[0].published
        info = FeedInfo(
            f"Comments for {feeds.TITLE}",
            f"The newest comments on {feeds.TITLE}",
            BASE_URL + "comments.xml",
            BASE_URL + "comments.atom",
            updated,
        )
        files["comments.xml"], files["comments.atom"] = feeds.comment_feed(
            info, comments, name_the_post=True
        )
        archived = posts[:ARCHIVE_FEED_LIMIT]
        title, description = (
            f"{feeds.TITLE}: archive",
            f"Articles of {feeds.TITLE} with every copy of each",
        )
        archive = info_of(title, description, "archive.xml", "archive.atom", archived)
        files["archive.xml"], files["archive.atom"] = feeds.post_feed(
            archive, archived, copies=True
        )
    with clock("JSON Feeds (json)"):
        files["feed.json"] = feeds.json_feed(site, BASE_URL + "feed.json", newest)
        files["archive.json"] = feeds.json_feed(archive, BASE_URL + "archive.json", archived)
    writer.write(files)


def newest_comments(posts: Sequence[FloorPost]) -> list[tuple[FloorPost, FloorComment]]:
    every = [(each.published, post, each) for post in posts for each in post.comments]
    every.sort(key=lambda item: item[0], reverse=True)
    return [(post, each) for _, post, each in every[:COMMENT_FEED_LIMIT]]


def info_of(
    title: str,
    description: str,
    rss: str,
    atom: str,
    posts: Sequence[FloorPost],
    links: tuple[tuple[str, str, str], ...] = (),
    *,
    archive: bool = False,
) -> FeedInfo:
    updated = max(post.published for post in posts)
    return FeedInfo(
        title, description, BASE_URL + rss, BASE_URL + atom, updated, links=links, archive=archive
    )


def history_url(number: int, suffix: str) -> str:
    return f"{BASE_URL}history/{number}{suffix}"


def write_history(posts: Sequence[FloorPost], clock: Clock, writer: Writer) -> None:
    """RFC 5005 archive pages: the posts older than the feed's, oldest first, 20 a page."""
    older = list(reversed(posts[FEED_LIMIT:]))
    count = -(-len(older) // FEED_LIMIT)
    for number in range(1, count + 1):
        with clock("feeds (feedgen)"):
            members = older[(number - 1) * FEED_LIMIT : number * FEED_LIMIT][::-1]
            links: tuple[tuple[str, str, str], ...] = (
                ("current", BASE_URL + "rss.xml", BASE_URL + "atom.xml"),
            )
            if number > 1:
                previous = number - 1
                links += (
                    ("prev-archive", history_url(previous, ".xml"), history_url(previous, ".atom")),
                )
            label = "archive page" if number < count else "newest archive page"
            info = info_of(
                f"{feeds.TITLE} ({label} {number})",
                f"{feeds.TITLE} ({label} {number})",
                f"history/{number}.xml",
                f"history/{number}.atom",
                members,
                links,
                archive=number < count,
            )
            rss, atom = feeds.post_feed(info, members)
        writer.write({f"history/{number}.xml": rss, f"history/{number}.atom": atom})


def write_tags(tagged: dict[str, list[FloorPost]], clock: Clock, writer: Writer) -> None:
    """Each tag's feeds: its 20 newest posts, whole."""
    for tag, listed in sorted(tagged.items()):
        with clock("feeds (feedgen)"):
            slug = pages.tag_slug(tag)
            newest = listed[:FEED_LIMIT]
            info = info_of(
                f"{feeds.TITLE}: {tag}",
                f"Posts tagged “{tag}” on {feeds.TITLE}",
                f"tags/{slug}.xml",
                f"tags/{slug}.atom",
                newest,
            )
            rss, atom = feeds.post_feed(info, newest)
        writer.write({f"tags/{slug}.xml": rss, f"tags/{slug}.atom": atom})


def write_lists(
    posts: Sequence[FloorPost], tagged: dict[str, list[FloorPost]], clock: Clock, writer: Writer
) -> None:
    """The index's pages and the tags', the 404 page, sitemap.xml and the feeds' stylesheet."""
    site_links = pages.site_feeds()
    entries = []
    with clock("pages (Jinja2)"):
        index = pages.paginate(posts, "index.html", "page/{number}.html")
        home_links = [*site_links, *pages.tag_feeds(list(tagged))]
        files = {
            page.path: pages.list_page(
                page, tag=None, feeds=home_links if page.number is None else site_links
            )
            for page in index
        }
        for tag, listed in sorted(tagged.items()):
            slug = pages.tag_slug(tag)
            tag_links = [*pages.tag_feeds([tag]), *site_links]
            for page in pages.paginate(
                listed, f"tags/{slug}.html", f"tags/{slug}/page/{{number}}.html"
            ):
                files[page.path] = pages.list_page(page, tag=tag, feeds=tag_links)
                entries.append((BASE_URL + page.path, page.posts[0].published))
        files["404.html"] = pages.not_found_page()
    with clock("sitemap (lxml)"):
        listed_pages = [(BASE_URL + page.path, page.posts[0].published) for page in index]
        by_post = [(post.url, post.published) for post in posts]
        files["sitemap.xml"] = pages.sitemap([*listed_pages, *by_post, *entries])
    with clock(WRITING):
        files["feed.css"] = STYLESHEET.read_bytes()
    writer.write(files)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.floor", description=__doc__)
    add_corpus_arguments(parser)
    parser.add_argument(
        "--output", type=Path, help="write the site here (kept) [a temporary folder]"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args(argv)
    folder = ensure_posts(options.workdir, size=options.size, seed=options.seed)
    output = options.output or Path(tempfile.mkdtemp(prefix="floor-", dir=options.workdir))
    try:
        figures, writer = measure(folder, output)
    finally:
        if options.output is None:
            shutil.rmtree(output, ignore_errors=True)
    total = sum(figures.values())
    parts = ", ".join(f"{name} {cpu:.2f}" for name, cpu in figures.items())
    print(f"{options.size} posts, {writer.files} files, {writer.bytes / 1e6:.1f} MB: {parts}")
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    least = total / cores
    print(f"library floor {total:.2f} CPU-s; on {cores} cores a build takes {least:.2f} s or more")
    if options.json:
        payload = {
            "size": options.size,
            "parts": figures,
            "total": total,
            "files": writer.files,
            "bytes": writer.bytes,
        }
        options.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
