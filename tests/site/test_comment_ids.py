"""Comment ids are valid for a post id of any form (tag:, https:, urn:uuid:, another URN, none),
unique, and unchanged across builds and when the post is edited. Checked on real builds, with
feedparser and lxml reading the comment feeds, against the grammars of RFC 4151 (tag:),
RFC 4122 (urn:uuid:) and RFC 3987 (IRIs), which the W3C feed validator checks."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tests.conftest import run_build, write_posts

THR = "{http://purl.org/syndication/thread/1.0}in-reply-to"
ATOM = {"atom": "http://www.w3.org/2005/Atom"}

# RFC 4151 section 2.1, the ABNF spelled out.
ALPHANUM = "[A-Za-z0-9]"
DNS_COMPONENT = f"{ALPHANUM}(?:[A-Za-z0-9-]*{ALPHANUM})?"
DNS_NAME = f"{DNS_COMPONENT}(?:\\.{DNS_COMPONENT})*"
EMAIL = f"[A-Za-z0-9._-]+@{DNS_NAME}"
DATE = r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"  # RFC 3986
TAG_PART = f"(?:{PCHAR}|[/?])*"
RFC_4151 = re.compile(f"tag:(?:{DNS_NAME}|{EMAIL}),{DATE}:{TAG_PART}(?:#{TAG_PART})?")
# RFC 4122 section 3: the string form of a UUID, as the urn:uuid: namespace spells it.
RFC_4122 = re.compile(r"urn:uuid:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# RFC 3987 for http(s): IRI characters only (no space, none of <>"{}|\^`), one fragment at most.
IRI_CHAR = r"[^\s<>\"{}|\\^`#]"
WEB_IRI = re.compile(f"https?://{IRI_CHAR}+(?:#{IRI_CHAR}*)?")

POST_IDS = {
    "generated": None,
    "uuid": "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "tag": "tag:example.com,2020:posts/1",
    "tag-email-fragment": "tag:ann@example.com,2020-05:post#part",
    "https": "https://example.com/posts/1",
    "https-fragment": "https://example.com/posts#second",
    "isbn": "urn:isbn:0451450523",
    "tag-without-date": "tag:example.com:posts/2",
}
COMMENTS = """comments:
  - {id: "1", author: Ann, date: 2024-05-02T10:00:00Z, body: First.}
  - {id: "c 2", author: Bob, date: 2024-05-02T11:00:00Z, body: Second.}
  - {id: r, author: Cy, date: 2024-05-02T12:00:00Z, body: A reply., in_reply_to: "1"}
"""


def post_text(name: str, *, date: str = "2024-05-01", body: str = "Body.") -> str:
    post_id = POST_IDS[name]
    own_id = f'id: "{post_id}"\n' if post_id else ""
    return f"---\ntitle: {name}\ndate: {date}\n{own_id}{COMMENTS}---\n{body}\n"


def build(posts: Path, output: Path) -> None:
    result = run_build(posts, output)
    assert result.exit_code == 0, result.output


def comment_ids(output: Path) -> dict[str, dict[str, str]]:
    """{post: {comment author: id}} from each post's Atom comment feed, checked against its
    RSS one; every feed parsed by feedparser without complaint."""
    found: dict[str, dict[str, str]] = {}
    for name in POST_IDS:
        ids: dict[str, dict[str, str]] = {}
        for feed in ("comments.atom", "comments.xml"):
            parsed = feedparser.parse((output / f"posts/{name}/{feed}").read_bytes())
            assert not parsed.bozo, (name, feed, parsed.get("bozo_exception"))
            ids[feed] = {entry.author_detail.name: entry.id for entry in parsed.entries}
        assert ids["comments.atom"] == ids["comments.xml"], name
        found[name] = ids["comments.atom"]
    return found


def is_valid_id(value: str) -> bool:
    return bool(RFC_4151.fullmatch(value) or RFC_4122.fullmatch(value) or WEB_IRI.fullmatch(value))


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    posts = write_posts(tmp_path / "posts", {f"{name}.md": post_text(name) for name in POST_IDS})
    output = tmp_path / "out"
    build(posts, output)
    return posts, output


def test_every_comment_id_is_valid_and_unique(site: tuple[Path, Path]) -> None:
    _, output = site
    ids = comment_ids(output)
    every = [value for by_author in ids.values() for value in by_author.values()]
    assert len(every) == len(set(every)) == 3 * len(POST_IDS)
    for value in every:
        assert is_valid_id(value), value
    assert not any(value.startswith("urn:uuid:") for value in every)  # no UUID with a fragment


def test_each_id_form_gives_the_comment_id_it_allows(site: tuple[Path, Path]) -> None:
    _, output = site
    ann = {name: by_author["Ann"] for name, by_author in comment_ids(output).items()}
    assert ann["generated"] == "tag:blog.example.org,2024-05-01:generated#comment-1"
    assert ann["tag"] == "tag:example.com,2020:posts/1#comment-1"
    assert ann["tag-email-fragment"] == "tag:ann@example.com,2020-05:post#part/comment-1"
    assert ann["https"] == "https://example.com/posts/1#comment-1"
    assert ann["https-fragment"] == "https://example.com/posts#second/comment-1"
    # ids a fragment cannot be added to: the specific part of a tag: URI of the site's
    assert ann["uuid"] == f"tag:blog.example.org,2024:{POST_IDS['uuid']}#comment-1"
    assert ann["isbn"] == "tag:blog.example.org,2024:urn:isbn:0451450523#comment-1"
    assert ann["tag-without-date"] == "tag:blog.example.org,2024:tag:example.com:posts/2#comment-1"


def test_replies_name_their_parent_by_its_id(site: tuple[Path, Path]) -> None:
    _, output = site
    ids = comment_ids(output)
    post_ids = {e.title: e.id for e in feedparser.parse((output / "atom.xml").read_bytes()).entries}
    for name in POST_IDS:
        tree = etree.parse(str(output / f"posts/{name}/comments.atom"))
        for entry in tree.xpath("atom:entry", namespaces=ATOM):
            author = entry.findtext("atom:author/atom:name", namespaces=ATOM)
            parent = ids[name]["Ann"] if author == "Cy" else post_ids[name]
            assert entry.find(THR).get("ref") == parent, (name, author)


def test_ids_stay_when_the_posts_are_built_again_and_edited(site: tuple[Path, Path]) -> None:
    posts, output = site
    before = comment_ids(output)
    build(posts, output)
    assert comment_ids(output) == before
    for name in POST_IDS:
        edited = post_text(name, body="A new body, [with a link](https://example.org/).")
        (posts / f"{name}.md").write_text(edited, encoding="utf-8")
    build(posts, output)
    assert comment_ids(output) == before
    # with an id of its own, a post keeps its comments' ids when its date moves, too
    for name in POST_IDS:
        (posts / f"{name}.md").write_text(post_text(name, date="2024-11-30"), encoding="utf-8")
    build(posts, output)
    after = comment_ids(output)
    for name in POST_IDS:
        if POST_IDS[name]:
            assert after[name] == before[name], name


def test_the_validator_grammars_refuse_what_they_must() -> None:
    """The regular expressions above are the test's oracle: they refuse the old form."""
    for wrong in (
        "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427#comment-1",
        "tag:example.com:posts/2#comment-1",
        "tag:example.com,2024-13:x",
        "tag:example.com,24:x",
        "tag:example.com,2024:a#b#c",
        "tag:exa mple.com,2024:x",
        "https://example.com/a b",
        "https://example.com/#a#b",
    ):
        assert not is_valid_id(wrong), wrong
