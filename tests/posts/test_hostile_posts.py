"""Posts and post folders made to exhaust us (issue 11, findings 4 and 6): a YAML alias bomb,
100,000 comments, oversized and over-complex files, symlink loops and dangling symlinks.
Each is refused or published in bounded time and memory, reported in one line naming the
file, and the other posts are still published; never a traceback."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest

from syndicate.config import load_settings
from syndicate.errors import PostError
from syndicate.model import Post
from syndicate.posts import load_posts
from syndicate.posts.cache import PostCache
from syndicate.posts.markdown import MAX_HTML_DEPTH, MAX_TAGS, read_post
from syndicate.posts.text import read_post as read_text_post
from syndicate.posts.yaml_front_matter import load_front_matter
from syndicate.site import plan as site
from syndicate.site.comments import PAGE_THREAD_DEPTH
from tests.posts.test_bad_input import GOOD, build, published_titles, stderr_lines

MEGABYTE = 1024 * 1024
MEMORY_BOUND = 500 * MEGABYTE  # issue 11: for any single bad post
NS = {"atom": "http://www.w3.org/2005/Atom", "thr": "http://purl.org/syndication/thread/1.0"}


def atom_entries(path: Path) -> list[lxml.etree._Element]:
    return lxml.etree.parse(str(path)).getroot().findall("atom:entry", NS)


def page_comments(path: Path) -> list[lxml.html.HtmlElement]:
    return lxml.html.parse(str(path)).xpath("//div[@class='comment']")


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs" in front matter: 9 levels of 9 aliases stand for 9**9 strings."""
    lines = ["---", "title: Bomb", "date: 2024-01-01", "a: &a [" + ",".join(["lol"] * 9) + "]"]
    names = "abcdefghijklmnop"[:levels]
    for before, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{before}"] * 9) + "]")
    lines.append(f"tags: *{names[-1]}")  # what the importer walks: 9**9 tags
    return "\n".join([*lines, "---", "Boom.", ""])


def comments_post(count: int, *, with_bodies: bool = True) -> str:
    """A post with `count` comments; every third replies to the one before it."""
    lines = ["---", "title: Popular", "date: 2024-01-01T10:00:00Z", "comments:"]
    for n in range(1, count + 1):
        reply = f", in_reply_to: {n - 1}" if n % 3 == 0 else ""
        body = f", body: Comment {n}" if with_bodies else ""
        lines.append(f"- {{id: {n}, author: R{n}, date: 2024-01-{1 + n % 28:02d}{body}{reply}}}")
    return "\n".join([*lines, "---", "The body.", ""])


def build_in_subprocess(
    posts: Path, out: Path, tmp_path: Path, *, exit_code: int = 1
) -> tuple[str, float, int]:
    """`syndicate build` as a real process, run by a small wrapper that reports the build's
    peak memory (ru_maxrss of its children: the build process; a parse worker, which the
    forkserver starts, is not counted). (stderr, seconds, bytes)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "started = time.monotonic()\n"
        "done = subprocess.run([sys.executable, '-m', 'syndicate', *sys.argv[1:]],"
        " capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(done.returncode, time.monotonic() - started,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {**os.environ, "SYNDICATE_CACHE_DIR": str(tmp_path / "cache")}
    wrapped = subprocess.Popen(
        [sys.executable, "-c", wrapper, "build", str(posts), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # so that the build itself is ended with it, if need be
    )
    try:
        stdout, stderr = wrapped.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(wrapped.pid, signal.SIGKILL)
        wrapped.communicate()
        raise
    code, seconds, kilobytes = stdout.split()
    assert int(code) == exit_code, stderr
    assert "Traceback" not in stderr, stderr
    return stderr, float(seconds), int(kilobytes) * 1024


# --- a YAML alias bomb --------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_in_bounded_time_and_memory(tmp_path: Path) -> None:
    """It ran past 300 s and 8.5 GB; now it is one error, and the other post is published."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "bomb.md").write_text(alias_bomb(), encoding="utf-8")
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    stderr, seconds, peak = build_in_subprocess(posts, tmp_path / "out", tmp_path)
    (line,) = [line for line in stderr.splitlines() if line.strip()]
    assert line.startswith(f"error: {posts / 'bomb.md'}:5: YAML alias *a"), line
    assert published_titles(tmp_path / "out") == ["Good post"]
    assert seconds < 30
    assert peak < MEMORY_BOUND, peak


def test_front_matter_is_read_as_yaml_reads_it_but_for_aliases() -> None:
    path = Path("post.md")
    text = "title: Hi\nn: 3\nf: 1.5\nok: yes\nnothing: ~\ntags: [a, 'b']\nwhen: 2024-01-02\n"
    assert load_front_matter(path, text) == {
        "title": "Hi",
        "n": 3,
        "f": 1.5,
        "ok": True,
        "nothing": None,
        "tags": ["a", "b"],
        "when": "2024-01-02",  # dates stay text: parse_date reads them
    }
    refused = {
        "a: &x 1\nb: *x\n": (3, "alias *x"),
        "<<: {a: 1}\n": (2, "merge keys"),
        "x: " + "[" * 100 + "]" * 100 + "\n": (2, "nested more than"),
        "x: !!python/object:os.system {}\n": (2, "unsupported YAML tag"),
        "d: !!timestamp 2020-13-45\n": (2, "invalid timestamp"),
    }
    for source, (line, phrase) in refused.items():
        with pytest.raises(PostError, match=re.escape(phrase)) as caught:
            load_front_matter(path, source)
        assert caught.value.line == line, source


# --- 100,000 comments -----------------------------------------------------------------------


def test_reading_a_post_with_50_000_comments_takes_linear_time(tmp_path: Path) -> None:
    """The duplicate id check counted each id in the list of all (50,000**2 steps: about 30 s)."""
    path = tmp_path / "many.md"
    path.write_text(comments_post(50_000, with_bodies=False), encoding="utf-8")
    started = time.monotonic()
    read = read_post(path, zone=UTC, max_bytes=100 * MEGABYTE)
    assert time.monotonic() - started < 15
    assert len(read.post.comments) == 50_000
    assert read.post.comments[2].in_reply_to == "2"


def test_a_post_with_20_000_comments_builds_and_its_feed_shows_the_newest(
    tmp_path: Path,
) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "popular.md").write_text(comments_post(20_000), encoding="utf-8")
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    result = build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 60
    feed = feedparser.parse((out / "posts" / "popular" / "comments.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == site.POST_COMMENT_FEED_LIMIT
    dates = [entry.updated_parsed for entry in feed.entries]
    assert dates == sorted(dates, reverse=True)
    assert len(page_comments(out / "posts" / "popular" / "index.html")) == 20_000
    site_feed = feedparser.parse((out / "comments.atom").read_bytes())
    assert len(site_feed.entries) == site.COMMENT_FEED_LIMIT


@pytest.mark.benchmark
def test_a_post_with_100_000_comments_builds_in_bounded_time_and_memory(tmp_path: Path) -> None:
    """`pytest -m benchmark`: 7.5 MB of comments (under max_post_bytes); it ran past 300 s."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "popular.md").write_text(comments_post(100_000), encoding="utf-8")
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    _, seconds, peak = build_in_subprocess(posts, tmp_path / "out", tmp_path, exit_code=0)
    print(f"100,000 comments: {seconds:.1f} s, {peak / MEGABYTE:.0f} MB")
    assert seconds < 120
    assert peak < MEMORY_BOUND, peak


def test_the_site_comment_feed_loads_each_post_once(tmp_path: Path) -> None:
    """It loaded (and unpickled) a post's comments again for each of its 50 items."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "popular.md").write_text(comments_post(200), encoding="utf-8")
    (posts / "quiet.md").write_text(comments_post(3).replace("Popular", "Quiet"), "utf-8")
    settings = load_settings(overrides={"posts": posts, "output": tmp_path / "out"}, environ={})
    cache = PostCache("UTC", tmp_path / "cache.sqlite3")
    loaded = load_posts(posts, zone=UTC, cache=cache).posts
    assert all(post.content_deferred for post in loaded)
    full_loads: list[str] = []

    def full(post: Post) -> Post:
        full_loads.append(post.slug)
        return cache.full(post)

    plan = site.SitePlan(settings, loaded, full=full, previous_keys={})
    feeds = plan.site_comment_feeds()
    assert len(feedparser.parse(feeds["comments.atom"]).entries) == site.COMMENT_FEED_LIMIT
    assert sorted(full_loads) == sorted(set(full_loads))
    cache.close()


def test_a_chain_of_3_000_replies_is_published_with_its_page_nested_at_most_so_deep(
    tmp_path: Path,
) -> None:
    """The page's template nests replies by recursion: it ended in a RecursionError."""
    lines = ["---", "title: Deep", "date: 2024-01-01", "comments:", "- {id: 1, author: R1}"]
    lines += [f"- {{id: {n}, author: R{n}, in_reply_to: {n - 1}}}" for n in range(2, 3001)]
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "deep.md").write_text("\n".join([*lines, "---", "Body.", ""]), encoding="utf-8")
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    comments = page_comments(out / "posts" / "deep" / "index.html")
    assert len(comments) == 3000
    nesting = max(len(c.xpath("ancestor::div[@class='comment']")) for c in comments)
    assert nesting == PAGE_THREAD_DEPTH  # comment 33 and those below it: under comment 32
    newest = atom_entries(out / "posts" / "deep" / "comments.atom")[0]
    parent = newest.find("thr:in-reply-to", NS)  # the feed keeps its own parent, however deep
    assert parent is not None and parent.get("href", "").endswith("#comment-2999")


# --- oversized and over-complex files -----------------------------------------------------


def test_a_post_larger_than_max_post_bytes_is_refused_unread(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    huge = posts / "huge.md"
    with huge.open("wb") as file:  # 9 MiB: more than the default 8 MiB
        file.write(b"---\ntitle: Huge\ndate: 2024-01-01\n---\n")
        file.write(b"word " * (9 * MEGABYTE // 5))
    stderr, _, peak = build_in_subprocess(posts, tmp_path / "out", tmp_path)
    (line,) = [line for line in stderr.splitlines() if line.strip()]
    assert line.startswith(f"error: {huge}: "), line
    assert "larger than max_post_bytes (8,388,608)" in line
    assert published_titles(tmp_path / "out") == ["Good post"]
    assert peak < 100 * MEGABYTE, peak  # it was never read


@pytest.mark.parametrize("length", [0, 999, 1000, 1001, 5000])
def test_a_file_is_read_to_its_end_and_no_further_than_the_limit(
    tmp_path: Path, length: int
) -> None:
    """read_utf8 reads a file to its size, and on past it when it grows: a named pipe (its
    size 0 to fstat, fed by another thread as it is read) is read whole up to the limit, and
    refused beyond it; a plain file of the same bytes reads the same."""
    import threading

    from syndicate.posts.base import read_utf8

    body = ("é" + "x" * 98 + "\n") * (length // 101) + "y" * (length % 101)
    data = body.encode()[:length]
    plain = tmp_path / "plain.md"
    plain.write_bytes(data)
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)

    def feed() -> None:
        with pipe.open("wb") as writer:
            for start in range(0, len(data), 333):
                writer.write(data[start : start + 333])
                writer.flush()

    outcomes = []
    for path in (plain, pipe):
        feeder = threading.Thread(target=feed) if path == pipe else None
        if feeder is not None:
            feeder.start()
        try:
            outcomes.append(read_utf8(path, max_bytes=1000))
        except PostError as error:
            outcomes.append(str(error).replace(str(path), "<file>"))
        if feeder is not None:
            feeder.join(timeout=10)
    if length <= 1000:
        assert outcomes == [data.decode(errors="ignore")] * 2
    else:
        assert all("larger than max_post_bytes (1,000)" in str(each) for each in outcomes)


def test_max_post_bytes_comes_from_the_site_table(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    (posts / "long.md").write_text(GOOD.replace("Good post", "Long") + "x" * 2000, "utf-8")
    config = tmp_path / "syndicate.toml"
    config.write_text("[site]\nmax_post_bytes = 1000\n", encoding="utf-8")
    result = build(tmp_path, posts, tmp_path / "out", config=config)
    assert result.exit_code == 1, result.output
    (line,) = stderr_lines(result)
    assert line.startswith(f"error: {posts / 'long.md'}: 2,"), line
    assert "max_post_bytes (1,000)" in line
    config.write_text("[site]\nmax_post_bytes = 100000\n", encoding="utf-8")  # raised: read
    result = build(tmp_path, posts, tmp_path / "out", config=config)
    assert result.exit_code == 0, result.output
    assert sorted(published_titles(tmp_path / "out")) == ["Good post", "Long"]


def test_a_post_that_needs_too_much_memory_to_parse_is_refused(tmp_path: Path) -> None:
    """3 MiB of `[`: cmarkgfm's tree for it takes 800 MB; it is parsed in a worker whose
    memory is capped, which gives up."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    brackets = posts / "brackets.md"
    brackets.write_text("---\ntitle: B\ndate: 2024-01-01\n---\n" + "[" * 3 * MEGABYTE, "utf-8")
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 1, result.output
    (line,) = stderr_lines(result)
    assert line.startswith(f"error: {brackets}: needs more than"), line
    assert published_titles(tmp_path / "out") == ["Good post"]


def test_a_big_post_is_published_as_a_small_one_is(tmp_path: Path) -> None:
    """Parsed in a worker of its own (it is over sources.BIG_POST_BYTES), with its comments."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "big.md").write_text(comments_post(8000), encoding="utf-8")
    assert (posts / "big.md").stat().st_size > 256 * 1024
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 0, result.output
    (entry,) = atom_entries(tmp_path / "out" / "atom.xml")
    replies = entry.find("atom:link[@rel='replies']", NS)
    assert replies is not None and replies.get(f"{{{NS['thr']}}}count") == "8000"


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        (">" * 60_000 + " deep\n", f"nests elements more than {MAX_HTML_DEPTH} deep"),
        ("<div>" * 5000, f"nests elements more than {MAX_HTML_DEPTH} deep"),
    ],
    ids=["quotes", "raw_html"],
)
def test_absurdly_nested_markdown_is_refused(tmp_path: Path, body: str, phrase: str) -> None:
    """The HTML sanitiser takes time in the square of the nesting (60,000 quotes: 20 s a feed)."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    (posts / "deep.md").write_text("---\ntitle: D\ndate: 2024-01-01\n---\n" + body, "utf-8")
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 1, result.output
    (line,) = stderr_lines(result)
    assert line.startswith(f"error: {posts / 'deep.md'}:5: the text: "), line
    assert phrase in line


def test_a_first_paragraph_that_never_closes_takes_linear_time(tmp_path: Path) -> None:
    """Finding the summary went back to each of 40,000 <p> (34 s)."""
    path = tmp_path / "open.md"
    path.write_text("---\ntitle: Open\ndate: 2024-01-01\n---\n" + "<p>" * 40_000, "utf-8")
    started = time.monotonic()
    read = read_post(path, zone=UTC, max_bytes=MEGABYTE)
    assert time.monotonic() - started < 5
    assert read.post.summary == ""


def test_long_lines_in_a_text_export_take_linear_time(tmp_path: Path) -> None:
    """A comment header's pattern took time in the square of a line's length (this line:
    about 30 s); a line that long is no comment's header."""
    spaces = " " * 100_000
    path = tmp_path / "export.txt"
    path.write_text(
        "A title\n\nSaturday, 4 March 2023 — Site\n\nLead.\n\n1 thought on “A title\n\n"
        f"  1. Ann says:\n\n    Hi.\n\n  2. Bob{spaces}x says:\n\n    Hello.\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    read = read_text_post(path, zone=UTC, max_bytes=MEGABYTE)
    assert time.monotonic() - started < 5
    (comment,) = read.post.comments
    assert comment.author == "Ann"


def test_a_post_with_thousands_of_tags_publishes_the_first_hundred(tmp_path: Path) -> None:
    """Each tag has two feeds of its own: a post's 20,000 tags took minutes to write."""
    tags = ", ".join(f"t{n}" for n in range(5000))
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "tags.md").write_text(f"---\ntitle: T\ndate: 2024-01-01\ntags: [{tags}]\n---\nx\n")
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    (line,) = stderr_lines(result)
    assert line == f"warning: {posts / 'tags.md'}:4: 5,000 tags: only the first 100 are published"
    assert len(list((out / "tags").glob("*.atom"))) == MAX_TAGS


def test_a_very_long_value_is_quoted_short_in_the_message(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "bad.md").write_text(f"---\ntitle: T\ndate: {'9' * 100_000}x\n---\nx\n")
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 1, result.output
    (line,) = stderr_lines(result)
    assert line.startswith(f"error: {posts / 'bad.md'}:3: 'date' is not an ISO 8601 date"), line
    assert len(line) < 300


# --- symlink loops, dangling symlinks, what is not a file ---------------------------------


def folder_with(tmp_path: Path, make: str) -> tuple[Path, list[Path]]:
    """A posts folder with a good post and one kind of bad entry; the entries to report."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    if make == "dangling":
        (posts / "gone.md").symlink_to("nowhere.md")
        return posts, [posts / "gone.md"]
    if make == "loop":
        (posts / "a.md").symlink_to("b.md")
        (posts / "b.md").symlink_to("a.md")
        return posts, [posts / "a.md", posts / "b.md"]
    if make == "folder_loop":
        (posts / "2024").mkdir()
        (posts / "2024" / "up").symlink_to("..")
        return posts, [posts / "2024" / "up"]
    if make == "dangling_folder":
        (posts / "2023").symlink_to(tmp_path / "unmounted" / "2023")
        return posts, [posts / "2023"]
    if make == "fifo":
        os.mkfifo(posts / "pipe.md")  # reading it would wait for a writer forever
        return posts, [posts / "pipe.md"]
    raise AssertionError(make)


@pytest.mark.parametrize("make", ["dangling", "loop", "folder_loop", "dangling_folder", "fifo"])
def test_a_bad_entry_in_the_posts_folder_is_reported_and_the_rest_published(
    tmp_path: Path, make: str
) -> None:
    posts, reported = folder_with(tmp_path, make)
    out = tmp_path / "out"
    for _ in range(2):  # the second build has nothing to do, and says the same
        result = build(tmp_path, posts, out)
        assert result.exit_code == 1, result.output
        lines = stderr_lines(result)
        assert [line.partition(": ")[2].partition(": ")[0] for line in lines] == [
            str(path) for path in reported
        ], lines
        assert all(line.startswith("error: ") and line.endswith(": skipped") for line in lines)
        assert published_titles(out) == ["Good post"]


def test_a_mended_symlink_is_published_at_the_next_build(tmp_path: Path) -> None:
    posts, _ = folder_with(tmp_path, "dangling")
    out = tmp_path / "out"
    assert build(tmp_path, posts, out).exit_code == 1
    (tmp_path / "target.md").write_text(GOOD.replace("Good post", "Mended"), encoding="utf-8")
    (posts / "gone.md").unlink()
    (posts / "gone.md").symlink_to(tmp_path / "target.md")
    result = build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    assert sorted(published_titles(out)) == ["Good post", "Mended"]


def test_a_symlink_loop_through_the_real_command(tmp_path: Path) -> None:
    posts, _ = folder_with(tmp_path, "folder_loop")
    (posts / "a.md").symlink_to("b.md")
    (posts / "b.md").symlink_to("a.md")
    stderr, seconds, _ = build_in_subprocess(posts, tmp_path / "out", tmp_path)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 3, stderr
    assert all(line.startswith("error: ") for line in lines)
    assert seconds < 30
    assert published_titles(tmp_path / "out") == ["Good post"]


@pytest.mark.parametrize("reference", ["&#xFFFE;", "&#65535;", "&#x0000fffe;"])
def test_a_reference_to_a_noncharacter_publishes_as_a_replacement_character(
    tmp_path: Path, reference: str
) -> None:
    """cmark-gfm writes such a reference as bytes that are not UTF-8: the build died with a
    traceback from the post's body, and from a comment's."""
    posts, out = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    (posts / "good.md").write_text(GOOD, encoding="utf-8")
    (posts / "odd.md").write_text(
        f"---\ntitle: Odd\ndate: 2024-01-03\ncomments:\n  - id: c1\n    author: A\n"
        f"    body: 'x {reference} y'\n---\nBefore {reference} after.\n",
        encoding="utf-8",
    )
    result = build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    assert published_titles(out) == ["Odd", "Good post"]
    page = (out / "posts/odd/index.html").read_text(encoding="utf-8")
    assert "Before \ufffd after." in page and "x \ufffd y" in page
