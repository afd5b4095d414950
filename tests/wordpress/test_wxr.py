"""Reading WordPress exports: every WXR version's namespaces, CDATA as WordPress writes it,
missing optional elements, and files that are not exports or are hostile, each refused with
one PostError that names the line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from syndicate.errors import PostError
from syndicate.wordpress.wxr import read_export
from tests.wordpress.exports import (
    MALFORMED,
    WORDPRESS_COM,
    WXR_1_0,
    cdata,
    comment,
    export,
    item,
    write_export,
)


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_every_wxr_version_reads_the_same(tmp_path: Path, version: str) -> None:
    text = export(item(5, "Hello", "Body", extra=comment(9, "Hi")), version=version)
    read = read_export(write_export(tmp_path, text))
    assert read.version == version
    [post] = read.items
    assert (post.post_id, post.title, post.content, post.status) == (
        "5",
        "Hello",
        "Body",
        "publish",
    )
    assert [c.content for c in post.comments] == ["Hi"]
    assert read.authors == ({} if version == "1.0" else {"writer": "Wendy Writer"})


def test_wordpress_com_writes_https_namespaces(tmp_path: Path) -> None:
    read = read_export(WORDPRESS_COM)
    assert read.version == "1.2"
    assert read.base_url == "https://sealog.wordpress.com"  # the blog, not wordpress.com
    assert read.authors == {"skipper": "The Skipper"}
    assert [i.post_id for i in read.items] == ["5", "6", "7", "8"]


def test_wxr_1_0_tags_and_doubled_categories(tmp_path: Path) -> None:
    [post, draft, page] = read_export(WXR_1_0).items
    terms = {(term.domain, term.slug, term.name) for term in post.terms}
    assert terms == {("category", "linux", "Linux"), ("post_tag", "debian", "debian")}
    assert (draft.post_date_gmt, draft.status) == ("0000-00-00 00:00:00", "draft")
    assert page.post_type == "page"


def test_a_prefix_bound_to_another_namespace_is_not_wordpress(tmp_path: Path) -> None:
    fake = (
        '<wp:author xmlns:wp="http://example.com/not-wordpress/">'
        "<wp:author_login>intruder</wp:author_login>"
        "<wp:author_display_name>Intruder</wp:author_display_name></wp:author>"
    )
    mixed = item(1, extra='<wp:post_id xmlns:wp="http://example.com/x/">999</wp:post_id>')
    read = read_export(write_export(tmp_path, export(mixed, authors=fake)))
    assert read.authors == {}
    assert read.items[0].post_id == "1"


def test_cdata_split_around_its_own_end_and_several_sections(tmp_path: Path) -> None:
    split = item(1, "Title ]]> here", "code: a[b[0]]>1 and ]]> again")
    assert "]]]]><![CDATA[>" in split
    several = item(2).replace(
        f"<content:encoded>{cdata('Some text.')}</content:encoded>",
        "<content:encoded>\n\t\t\t<![CDATA[one ]]><![CDATA[two]]><![CDATA[ three]]>\n"
        "\t\t</content:encoded>",
    )
    read = read_export(write_export(tmp_path, export(split, several)))
    assert read.items[0].title == "Title ]]> here"
    assert read.items[0].content == "code: a[b[0]]>1 and ]]> again"
    assert read.items[1].content.strip() == "one two three"
    assert read.items[1].content.startswith("\n")  # the whitespace outside the sections stays


def test_missing_optional_elements_are_empty(tmp_path: Path) -> None:
    bare = (
        "<item><title>Only a title</title><wp:post_id>3</wp:post_id>"
        "<wp:post_type>post</wp:post_type></item>"
    )
    [post] = read_export(write_export(tmp_path, export(bare))).items
    assert (post.link, post.guid, post.creator, post.excerpt, post.post_name) == ("",) * 5
    assert (post.status, post.post_parent, post.menu_order, post.comments) == ("", "0", 0, ())


def test_a_truncated_export_is_one_error_with_its_line() -> None:
    with pytest.raises(PostError) as raised:
        read_export(MALFORMED)
    lines = MALFORMED.read_text(encoding="utf-8").splitlines()
    cut = next(n for n, line in enumerate(lines, 1) if "Cut off" in line)
    assert raised.value.path == MALFORMED
    assert raised.value.line is not None and raised.value.line >= cut
    assert "not a well-formed export" in str(raised.value)


def test_a_mismatched_tag_names_its_line(tmp_path: Path) -> None:
    text = export(item(1), item(2)).replace("<wp:post_id>2</wp:post_id>", "<wp:post_id>2</wp:id>")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "</wp:id>" in row)
    with pytest.raises(PostError) as raised:
        read_export(write_export(tmp_path, text))
    assert raised.value.line == line


def test_entities_are_not_expanded_and_a_doctype_is_refused(tmp_path: Path) -> None:
    laughs = "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' if n else '<!ENTITY l0 "lol">' for n in range(10)
    )
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE rss [{laughs}]>\n<rss><channel>&l9;</channel></rss>'
    started = time.monotonic()
    with pytest.raises(PostError, match="DOCTYPE"):
        read_export(write_export(tmp_path, bomb, "bomb.xml"))
    assert time.monotonic() - started < 2
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me", encoding="utf-8")
    external = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        "<rss><channel><title>&x;</title></channel></rss>"
    )
    with pytest.raises(PostError, match="DOCTYPE") as raised:
        read_export(write_export(tmp_path, external, "external.xml"))
    assert "do not read me" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('<rss version="2.0"><channel><title>A feed</title></channel></rss>', "wxr_version"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title></feed>', "not <rss>"),
        ("<rss></rss>", "no <channel>"),
        ("", "well-formed"),
    ],
)
def test_what_is_not_an_export_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PostError, match=message):
        read_export(write_export(tmp_path, text))


def test_an_export_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    path = write_export(tmp_path, export(item(1, content="x" * 5000)))
    with pytest.raises(PostError, match="larger than the limit"):
        read_export(path, max_bytes=4096)
    assert read_export(path, max_bytes=1 << 20).items


def test_control_characters_that_xml_cannot_carry_are_dropped(tmp_path: Path) -> None:
    text = export(item(1, "Tab\there", "Vertical\x0btab and form\x0cfeed"))
    [post] = read_export(write_export(tmp_path, text)).items
    assert post.content == "Verticaltab and formfeed"
    assert post.title == "Tab\there"


def test_an_export_in_another_encoding(tmp_path: Path) -> None:
    text = export(item(1, "Café crème", "Déjà vu")).replace(
        'encoding="UTF-8"', 'encoding="ISO-8859-1"'
    )
    path = tmp_path / "latin1.xml"
    path.write_bytes(text.encode("iso-8859-1"))
    [post] = read_export(path).items
    assert (post.title, post.content) == ("Café crème", "Déjà vu")
