"""Bodies as the WordPress site showed them: wpautop for the classic editor (its results are
WordPress's own for the same input), block-editor comments removed, shortcodes as HTML, and
that HTML written as Markdown that cmark-gfm renders back unchanged."""

from __future__ import annotations

import lxml.html
import pytest

from syndicate.posts.markdown import render_markdown, render_untrusted_markdown
from syndicate.wordpress.autop import shortcode_unautop, wpautop
from syndicate.wordpress.content import comment_html, markdown_safe, post_html
from syndicate.wordpress.shortcodes import (
    HANDLED,
    Attachment,
    Media,
    do_shortcodes,
    embed_html,
    parse_attributes,
)

NO_MEDIA = Media([])
PHOTO = Attachment("41", "https://example.blog/uploads/photo.jpg", "photo", "A photo", "Alt one")
CHART = Attachment("42", "https://example.blog/uploads/chart.png", "chart", "", "Alt two")
SONG = Attachment("43", "https://example.blog/uploads/song.mp3")
MEDIA = Media([(PHOTO, "7", 1), (CHART, "7", 0), (SONG, "7", 2)])


def body(content: str, media: Media = NO_MEDIA, blocks: dict[str, str] | None = None) -> str:
    return post_html(content, post_id="7", media=media, reusable_blocks=blocks or {})


# -- wpautop -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("One\ntwo\n\nThree", "<p>One<br />\ntwo</p>\n<p>Three</p>"),
        ("first<br>\n<br/>\nsecond<br />\n", "<p>first</p>\n<p>second</p>"),
        ("text<div>block</div>", "<p>text</p>\n<div>block</div>"),
        ("above<hr>below", "<p>above</p>\n<hr>\n<p>below</p>"),
        ("<blockquote>quoted</blockquote>", "<blockquote><p>quoted</p></blockquote>"),
        ("<ul>\n<li>a</li>\n<li>b</li>\n</ul>", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        (
            "Look:\n\n<pre>x = 1\n\n\ny = 2</pre>\n\nDone.",
            "<p>Look:</p>\n<pre>x = 1\n\n\ny = 2</pre>\n<p>Done.</p>",
        ),
        ("Hi <a\nhref='/x'>link</a>", "<p>Hi <a\nhref='/x'>link</a></p>"),
        ("Hi <!-- a\ncomment -->", "<p>Hi <!-- a\ncomment --></p>"),
        (
            '<figure>\n<img src="a.jpg" />\n<figcaption>Cap</figcaption>\n</figure>',
            '<figure>\n<img src="a.jpg" /><figcaption>Cap</figcaption></figure>',
        ),
        (
            "<select><option>1</option>\n<option>2</option></select>",
            "<p><select><option>1</option><option>2</option></select></p>",
        ),
        ("<script>\nvar a = 1;\n</script>", "<p><script>\nvar a = 1;\n</script></p>"),
        ("   \n\n  ", ""),
    ],
)
def test_wpautop_makes_the_paragraphs_wordpress_makes(typed: str, shown: str) -> None:
    assert wpautop(typed).strip() == shown


def test_video_sources_and_tracks_are_not_split_into_paragraphs() -> None:
    typed = (
        'Before.\n\n<video controls>\n\n\t<source src="a.mp4" type="video/mp4" />\n\n'
        '\t<track kind="captions" src="a.vtt" />\n\n</video>\n\nAfter.'
    )
    assert wpautop(typed).strip() == (
        '<p>Before.</p>\n<p><video controls><source src="a.mp4" type="video/mp4" />'
        '<track kind="captions" src="a.vtt" /></video></p>\n<p>After.</p>'
    )


def test_a_shortcode_alone_in_a_paragraph_is_unwrapped() -> None:
    html = wpautop('Text\n\n[gallery ids="1,2"]\n\n[caption width="10"]<img src="x" /> C[/caption]')
    assert shortcode_unautop(html, HANDLED).split("\n")[1:3] == [
        '[gallery ids="1,2"]',
        '[caption width="10"]<img src="x" /> C[/caption]',
    ]
    assert shortcode_unautop("<p>[playlist]</p>", HANDLED) == "<p>[playlist]</p>"


# -- shortcodes --------------------------------------------------------------------------------


def test_shortcode_attributes_as_wordpress_parses_them() -> None:
    assert parse_attributes(""" id="a_1" Align='left' width=300 "bare" loop""") == {
        "id": "a_1",
        "align": "left",
        "width": "300",
        "0": "bare",
        "1": "loop",
    }


def test_a_caption_around_a_linked_image_becomes_a_figure() -> None:
    html = do_shortcodes(
        '[caption id="attachment_41" align="alignright" width="300"]'
        '<a href="big.jpg"><img src="small.jpg" alt="" /></a> The &amp; caption[/caption]',
        post_id="7",
        media=NO_MEDIA,
    )
    figure = lxml.html.fragment_fromstring(html)
    assert figure.tag == "figure"
    assert figure.get("class") == "wp-caption alignright"
    assert figure.get("aria-describedby") == figure.find("figcaption").get("id")
    assert figure.find("a/img").get("src") == "small.jpg"
    assert figure.findtext("figcaption") == "The & caption"


def test_an_old_caption_attribute_and_a_caption_without_text() -> None:
    old = do_shortcodes(
        '[caption id="x" width="640" caption="Said &quot;hi&quot;"]<img src="a.jpg" />[/caption]',
        post_id="7",
        media=NO_MEDIA,
    )
    assert lxml.html.fragment_fromstring(old).findtext("figcaption") == 'Said "hi"'
    bare = do_shortcodes(
        '[caption width="640"]<img src="a.jpg" />[/caption]', post_id="7", media=NO_MEDIA
    )
    assert bare == '<img src="a.jpg" />'


@pytest.mark.parametrize(
    ("url", "player"),
    [
        (
            "https://www.youtube.com/watch?v=M7lc1UVf-VE&t=10",
            "https://www.youtube.com/embed/M7lc1UVf-VE",
        ),
        ("https://youtu.be/M7lc1UVf-VE", "https://www.youtube.com/embed/M7lc1UVf-VE"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
    ],
)
def test_embeds_of_known_video_hosts_become_their_players(url: str, player: str) -> None:
    frame = lxml.html.fragment_fromstring(embed_html(url))
    assert (frame.tag, frame.get("src")) == ("iframe", player)


def test_other_embeds_become_links_and_text_stays_text() -> None:
    link = lxml.html.fragment_fromstring(embed_html("https://twitter.com/a/status/1?x=1&amp;y=2"))
    assert (link.tag, link.get("href")) == ("a", "https://twitter.com/a/status/1?x=1&y=2")
    assert embed_html("javascript:alert(1)") == "javascript:alert(1)"
    assert embed_html("<b>not a url</b>") == "&lt;b&gt;not a url&lt;/b&gt;"


def test_audio_and_video_players_with_their_sources() -> None:
    audio = lxml.html.fragment_fromstring(body('[audio mp3="https://a.example/e.mp3" loop="on"]'))
    assert audio.tag == "audio" and audio.get("loop") is not None
    assert [(s.get("src"), s.get("type")) for s in audio.findall("source")] == [
        ("https://a.example/e.mp3", "audio/mpeg")
    ]
    attached = lxml.html.fragment_fromstring(body("[audio]", MEDIA))
    assert attached.find("source").get("src") == SONG.url
    video = lxml.html.fragment_fromstring(body('[video src="v.webm" poster="p.jpg" width="320"]'))
    assert (video.tag, video.get("poster"), video.get("width")) == ("video", "p.jpg", "320")
    assert video.find("source").get("type") == "video/webm"
    assert body("[video]") == ""  # nothing to play


def test_galleries_of_named_images_and_of_the_posts_own() -> None:
    def images(html: str) -> list[tuple[str, str]]:
        return [
            (img.get("src"), img.get("alt"))
            for img in lxml.html.fragment_fromstring(html).iter("img")
        ]

    assert images(body('[gallery ids="41,42,999"]', MEDIA)) == [
        (PHOTO.url, "Alt one"),
        (CHART.url, "Alt two"),
    ]
    own = body('[gallery columns="2"]', MEDIA)  # in menu order; the song is not an image
    assert images(own) == [(CHART.url, "Alt two"), (PHOTO.url, "Alt one")]
    assert "gallery-columns-2" in own
    assert "A photo" in own  # the attachment's caption
    assert images(body('[gallery exclude="42"]', MEDIA)) == [(PHOTO.url, "Alt one")]
    assert "<a " not in body('[gallery link="none"]', MEDIA)
    assert body("[gallery]") == ""


def test_unknown_and_escaped_shortcodes_stay_text() -> None:
    html = body('[contact-form-7 id="4"] and [[caption]] and [[gallery ids="1"]] and [[unknown]]')
    assert (
        html == '<p>[contact-form-7 id="4"] and [caption] and [gallery ids="1"] and [[unknown]]</p>'
    )


# -- the block editor --------------------------------------------------------------------------


def test_block_comments_go_and_the_blocks_html_stays() -> None:
    html = body(
        '<!-- wp:paragraph {"align":"center"} -->\n<p class="has-text-align-center">One</p>\n'
        "<!-- /wp:paragraph -->\n\n<!-- wp:latest-posts /-->\n\n<!-- wp:jetpack/slideshow -->\n"
        '<div class="slides">x</div>\n<!-- /wp:jetpack/slideshow -->'
    )
    assert "wp:" not in html
    assert html.split() == [
        "<p",
        'class="has-text-align-center">One</p>',
        "<div",
        'class="slides">x</div>',
    ]


def test_reusable_blocks_are_filled_in_and_cannot_loop() -> None:
    blocks = {
        "5": "<!-- wp:paragraph -->\n<p>Reused</p>\n<!-- /wp:paragraph -->",
        "6": '<!-- wp:block {"ref":6} /-->',
    }
    assert (
        body('<!-- wp:block {"ref":5} /-->\n<!-- wp:block {"ref":6} /-->', blocks=blocks)
        == "<p>Reused</p>"
    )


def test_an_embed_block_gets_its_player() -> None:
    html = body(
        '<!-- wp:embed {"url":"https://youtu.be/M7lc1UVf-VE"} -->\n<figure class="wp-block-embed">'
        '<div class="wp-block-embed__wrapper">\nhttps://youtu.be/M7lc1UVf-VE\n</div></figure>\n'
        "<!-- /wp:embed -->"
    )
    assert lxml.html.fragment_fromstring(html).find(".//iframe").get("src").endswith("/M7lc1UVf-VE")


def test_the_more_marker_stays_and_page_breaks_go() -> None:
    classic = body("Lead paragraph.\n<!--more-->\nThe rest.\n\n<!--nextpage-->\n\nPage two.")
    assert classic == "<p>Lead paragraph.</p>\n<!--more-->\n<p>The rest.</p>\n<p>Page two.</p>"
    blocks = body(
        "<!-- wp:paragraph -->\n<p>Lead.</p>\n<!-- /wp:paragraph -->\n"
        "<!-- wp:more -->\n<!--more-->\n<!-- /wp:more -->"
    )
    assert "<!--more-->" in blocks


def test_references_to_characters_no_feed_can_carry_become_the_replacement_character() -> None:
    html = body("Bad: &#x1; &#11; &#xFFFE; &#xD800; &#1114112; good: &#x9; &#233; &#x1F680;")
    bad, good = html.removeprefix("<p>Bad: ").removesuffix("</p>").split(" good: ")
    assert (bad.split(), good) == (["&#xFFFD;"] * 5, "&#x9; &#233; &#x1F680;")
    assert comment_html("&#xFFFF;") == "<p>&#xFFFD;</p>"


def test_a_bare_url_on_its_own_line_is_embedded() -> None:
    html = body(
        "Watch this:\n\nhttps://youtu.be/M7lc1UVf-VE\n\nor read https://example.org/ inline."
    )
    assert "<iframe" in html
    assert "read https://example.org/ inline" in html  # a URL within a sentence stays text


# -- written as Markdown -----------------------------------------------------------------------

SNIPPETS = [
    "<p>Some *stars* and _underscores_ and [brackets](x) and `ticks`</p>",
    "<p>a</p>\n\n\n<p>b</p>\n    <p>indented after a blank line</p>",
    "<pre>line one\n\n    indented after a blank line\n\n\n</pre>\n<p>after</p>",
    "<img src='a.jpg'> an image first, then text\n\n    and an indented line",
    "<audio controls><source src='a.mp3'></audio>\n\n<p>x</p>",
    "<textarea>\n\nkept\n</textarea>",
    "Plain text first\n\n# not a heading\n\n- not a list",
    "<!--more-->\n<p>after the marker</p>",
    "<ul>\n  <li>one</li>\n\n  <li>two</li>\n</ul>",
    "<table>\n<tr>\n\n<td>cell</td>\n</tr>\n</table>",
]


@pytest.mark.parametrize("html", SNIPPETS)
def test_markdown_gives_the_html_back_unchanged(html: str) -> None:
    written = markdown_safe(html)
    assert render_markdown(written) == written
    original = lxml.html.fragment_fromstring(html, create_parent="div")
    back = lxml.html.fragment_fromstring(written, create_parent="div")
    assert back.text_content().split() == original.text_content().split()
    assert [pre.text_content() for pre in back.iter("pre", "textarea")] == [
        pre.text_content() for pre in original.iter("pre", "textarea")
    ]


@pytest.mark.parametrize(
    "tag",
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "details",
        "div",
        "dl",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "section",
        "table",
        "ul",
    ],
)
def test_each_tag_taken_to_start_an_html_block_does_in_cmark(tag: str) -> None:
    html = f"<{tag}>a *b*\n    indented</{tag}>\n<span>_c_</span>"
    assert markdown_safe(html) == html
    assert render_markdown(html) == html


def test_a_comment_reads_back_as_its_html_not_as_markdown() -> None:
    written = markdown_safe(comment_html("Looking forward to *more*.\n\n    indented reply"))
    html = render_untrusted_markdown(written)
    assert "*more*" in html and "<em>" not in html and "<code>" not in html
