"""parse.py on feeds shaped like real hosts' (WordPress, Substack, Medium) and on hostile input."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from syndicate.aggregate.parse import discover_feeds, parse_comments, parse_feed
from syndicate.errors import FeedError

# -- parse_feed ----------------------------------------------------------------------------------

WORDPRESS_RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
  xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel>
  <title>Field Notes</title>
  <atom:link href="https://fieldnotes.example/feed/" rel="self" type="application/rss+xml" />
  <link>https://fieldnotes.example</link>
  <description>Notes from the field</description>
  <lastBuildDate>Wed, 01 Mar 2023 10:00:00 +0000</lastBuildDate>
  <language>en-US</language>
  <sy:updatePeriod>hourly</sy:updatePeriod>
  <generator>https://wordpress.org/?v=6.4.2</generator>
  <item>
    <title>Bees in winter</title>
    <link>https://fieldnotes.example/2023/03/01/bees-in-winter/</link>
    <comments>https://fieldnotes.example/2023/03/01/bees-in-winter/#comments</comments>
    <dc:creator><![CDATA[Ann Apiarist]]></dc:creator>
    <pubDate>Wed, 01 Mar 2023 10:00:00 +0000</pubDate>
    <category><![CDATA[Bees]]></category>
    <guid isPermaLink="false">https://fieldnotes.example/?p=123</guid>
    <description><![CDATA[Bees cluster for warmth &#8230;]]></description>
    <content:encoded><![CDATA[<p>Bees cluster for warmth.</p>
<p>This post was originally published on
<a href="https://annsbees.example/bees-in-winter/">Ann&#8217;s Bees</a>.</p>
<p>See also <a href="https://fieldnotes.example/2023/02/01/hives/">hives</a>.</p>]]></content:encoded>
    <wfw:commentRss>https://fieldnotes.example/2023/03/01/bees-in-winter/feed/</wfw:commentRss>
    <slash:comments>4</slash:comments>
  </item>
</channel>
</rss>
"""


def hrefs(html: str) -> list[str]:
    if not html:
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [str(link) for link in root.xpath("//a/@href")]


def test_wordpress_rss() -> None:
    feed = parse_feed(WORDPRESS_RSS, "https://fieldnotes.example/feed/")
    assert feed.title == "Field Notes"
    assert feed.site_url == "https://fieldnotes.example"
    [entry] = feed.entries
    assert entry.guid == "https://fieldnotes.example/?p=123"
    assert entry.url == "https://fieldnotes.example/2023/03/01/bees-in-winter/"
    assert entry.title == "Bees in winter"
    assert entry.author == "Ann Apiarist"
    assert entry.published == datetime(2023, 3, 1, 10, tzinfo=UTC)
    assert entry.updated is None
    assert entry.comments_feed_url == "https://fieldnotes.example/2023/03/01/bees-in-winter/feed/"
    assert entry.comment_count == 4
    assert entry.origin_urls == ("https://annsbees.example/bees-in-winter/",)
    assert entry.summary_html == "Bees cluster for warmth …"
    assert hrefs(entry.content_html) == [
        "https://annsbees.example/bees-in-winter/",
        "https://fieldnotes.example/2023/02/01/hives/",
    ]


SUBSTACK_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0">
  <title>Letters from Wren</title>
  <link href="https://wren.substack.example/" rel="alternate"/>
  <link href="https://wren.substack.example/feed.atom" rel="self"/>
  <id>https://wren.substack.example/</id>
  <updated>2023-03-02T09:30:00Z</updated>
  <entry>
    <title>On syndication</title>
    <link href="https://wren.substack.example/p/on-syndication" rel="alternate"/>
    <link href="https://www.wren.example/2023/on-syndication/" rel="canonical"/>
    <link href="https://wren.substack.example/p/on-syndication/comments" rel="replies"
          type="text/html" thr:count="2"/>
    <link href="https://wren.substack.example/p/on-syndication/comments.atom" rel="replies"
          type="application/atom+xml" thr:count="2"/>
    <id>https://wren.substack.example/p/on-syndication</id>
    <published>2023-03-02T08:00:00+01:00</published>
    <updated>2023-03-02T09:30:00Z</updated>
    <author><name>Wren Writer</name></author>
    <summary type="html">A short &lt;em&gt;note&lt;/em&gt;.</summary>
    <content type="html">&lt;p&gt;Feeds, &lt;em&gt;again&lt;/em&gt;.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title type="html">Only &lt;em&gt;content&lt;/em&gt; here</title>
    <link href="https://wren.substack.example/p/only-content" rel="alternate"/>
    <id>https://wren.substack.example/p/only-content</id>
    <updated>2023-03-01T09:30:00Z</updated>
    <content type="html">&lt;p&gt;Body only.&lt;/p&gt;</content>
  </entry>
</feed>
"""


def test_substack_style_atom_with_canonical() -> None:
    feed = parse_feed(SUBSTACK_ATOM, "https://wren.substack.example/feed.atom")
    assert feed.site_url == "https://wren.substack.example/"
    first, second = feed.entries
    assert first.url == "https://wren.substack.example/p/on-syndication"
    assert first.origin_urls == ("https://www.wren.example/2023/on-syndication/",)
    assert first.published == datetime(2023, 3, 2, 7, tzinfo=UTC)
    assert first.updated == datetime(2023, 3, 2, 9, 30, tzinfo=UTC)
    assert first.author == "Wren Writer"
    assert first.summary_html == "A short <em>note</em>."
    assert first.content_html == "<p>Feeds, <em>again</em>.</p>"
    assert first.comments_feed_url == (
        "https://wren.substack.example/p/on-syndication/comments.atom"
    )
    assert first.comment_count == 2
    assert second.title == "Only content here"
    assert second.origin_urls == ()
    assert (second.summary_html, second.content_html) == ("", "<p>Body only.</p>")
    assert (second.comments_feed_url, second.comment_count) == (None, None)


MEDIUM_RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"
  xmlns:cc="http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html">
<channel>
  <title><![CDATA[Stories by Wren Writer on Medium]]></title>
  <description><![CDATA[Stories by Wren Writer on Medium]]></description>
  <link>https://medium.example/@wren?source=rss-5f1e2d3c4b5a------2</link>
  <generator>Medium</generator>
  <lastBuildDate>Thu, 02 Mar 2023 09:10:00 GMT</lastBuildDate>
  <atom:link href="https://medium.example/@wren/feed" rel="self" type="application/rss+xml"/>
  <item>
    <title><![CDATA[On syndication]]></title>
    <link>https://medium.example/@wren/on-syndication-9a8b7c6d5e4f?source=rss-5f1e2d3c4b5a------2</link>
    <guid isPermaLink="false">https://medium.example/p/9a8b7c6d5e4f</guid>
    <category><![CDATA[blogging]]></category>
    <dc:creator><![CDATA[Wren Writer]]></dc:creator>
    <pubDate>Thu, 02 Mar 2023 09:00:00 GMT</pubDate>
    <atom:updated>2023-03-02T09:05:00.123Z</atom:updated>
    <content:encoded><![CDATA[<p>Feeds, again.</p><figure><img alt=""
src="https://cdn.medium.example/max/1024/1*abc.png" /></figure><p>More text, with
<a href="https://elsewhere.example/">a link</a>.</p><hr><p><em>Originally published at </em><a
href="https://www.wren.example/2023/on-syndication/?utm_source=medium&amp;utm_medium=rss"><em
>www.wren.example</em></a><em> on March 2, 2023.</em></p><img
src="https://medium.example/_/stat?event=post.clientViewed&amp;referrerSource=full_rss&amp;postId=9a8b7c6d5e4f"
width="1" height="1" alt="">]]></content:encoded>
  </item>
</channel>
</rss>
"""


def test_medium_style_rss_with_originally_published_at() -> None:
    [entry] = parse_feed(MEDIUM_RSS, "https://medium.example/@wren/feed").entries
    assert entry.guid == "https://medium.example/p/9a8b7c6d5e4f"
    # the link is stored as the feed gives it: normalising URLs is merge.py's work
    assert entry.url == (
        "https://medium.example/@wren/on-syndication-9a8b7c6d5e4f?source=rss-5f1e2d3c4b5a------2"
    )
    assert entry.origin_urls == (
        "https://www.wren.example/2023/on-syndication/?utm_source=medium&utm_medium=rss",
    )
    assert entry.published == datetime(2023, 3, 2, 9, tzinfo=UTC)
    assert entry.updated == datetime(2023, 3, 2, 9, 5, tzinfo=UTC)
    assert entry.summary_html == ""
    assert "Originally published at" in entry.content_html


@pytest.mark.parametrize(
    ("html", "origins"),
    [
        ('<p><a href="https://o.example/a">Originally published on o.example</a></p>', 1),
        ('<p>ORIGINALLY PUBLISHED IN <b><a href="https://o.example/a">O</a></b></p>', 1),
        ("<p>Originally published at o.example.</p><p>" + "x" * 300 + '<a href="/b">b</a></p>', 0),
        ('<p>Published at <a href="https://o.example/a">O</a></p>', 0),
        ('<link rel="canonical" href="https://o.example/a"><p>text</p>', 1),
    ],
)
def test_origin_phrases_in_content(html: str, origins: int) -> None:
    feed = RSS_TEMPLATE.format(content=html.replace("]]>", "")).encode()
    [entry] = parse_feed(feed, "https://me.example/feed").entries
    assert entry.origin_urls == ("https://o.example/a",) * origins


RSS_TEMPLATE = """<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>T</title><link>https://me.example/</link>
<item><title>A</title><link>https://me.example/a</link>
<content:encoded><![CDATA[{content}]]></content:encoded></item>
</channel></rss>"""


def test_via_is_an_origin_and_sources_are_kept_apart() -> None:
    """RSS <source> and atom:source name a feed or site, not an article: kept as sources."""
    rss = b"""<rss version="2.0"><channel><title>T</title>
      <item><title>A</title><link>https://me.example/a</link>
      <source url="https://them.example/feed.xml">Them</source></item></channel></rss>"""
    [entry] = parse_feed(rss, "https://me.example/feed").entries
    assert entry.origin_urls == ()
    assert entry.source_urls == ("https://them.example/feed.xml",)
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
      <entry><id>urn:a</id><title>A</title><link href="https://me.example/a"/>
      <link rel="via" href="https://via.example/x"/>
      <source><id>urn:s</id><title>S</title><link rel="self" href="https://src.example/feed"/>
      <link rel="alternate" href="https://src.example/"/></source></entry></feed>"""
    [entry] = parse_feed(atom, "https://me.example/feed").entries
    assert entry.origin_urls == ("https://via.example/x",)
    assert entry.source_urls == ("https://src.example/feed", "https://src.example/")


def test_relative_links_resolve_against_feed_url_and_xml_base() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"
      xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
      <title>T</title><link>/blog/</link>
      <item><title>A</title><link>posts/a.html</link>
      <content:encoded><![CDATA[<p><a href="b.html">b</a> <img src="../img/c.png"></p>]]>
      </content:encoded></item></channel></rss>"""
    feed = parse_feed(rss, "https://example.org/blog/feed.xml")
    assert feed.site_url == "https://example.org/blog/"
    [entry] = feed.entries
    assert entry.url == "https://example.org/blog/posts/a.html"
    assert entry.guid == entry.url
    assert hrefs(entry.content_html) == ["https://example.org/blog/b.html"]
    assert "https://example.org/img/c.png" in entry.content_html
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://cdn.example/site/">
      <title>T</title><id>urn:t</id>
      <entry xml:base="posts/"><id>urn:a</id><title>A</title><link href="a.html"/>
      <content type="html">&lt;a href="b.html"&gt;b&lt;/a&gt;</content></entry></feed>"""
    [entry] = parse_feed(atom, "https://example.org/feed.atom").entries
    assert entry.url == "https://cdn.example/site/posts/a.html"
    assert hrefs(entry.content_html) == ["https://cdn.example/site/posts/b.html"]


def test_scripts_event_handlers_and_javascript_urls_are_removed() -> None:
    html = (
        '<p onclick="steal()">Hi<script>alert(1)</script>'
        '<img src="https://me.example/i.png" onerror="alert(2)">'
        '<a href="javascript:alert(3)">click</a><a href="https://ok.example/">ok</a></p>'
        '<iframe src="https://evil.example/"></iframe><style>p{}</style>'
    )
    feed = RSS_TEMPLATE.format(content=html).encode()
    [entry] = parse_feed(feed, "https://me.example/feed").entries
    root = lxml.html.fragment_fromstring(entry.content_html, create_parent="div")
    assert root.xpath("//script|//iframe|//style") == []
    assert [name for el in root.iter() for name in el.attrib if name.startswith("on")] == []
    assert [href for href in root.xpath("//@href|//@src") if "javascript" in href] == []
    assert "alert" not in entry.content_html
    assert root.xpath("//img/@src") == ["https://me.example/i.png"]
    assert hrefs(entry.content_html) == ["https://ok.example/"]


def test_entry_links_that_are_not_http_are_dropped() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title>
      <item><title>A</title><link>javascript:alert(1)</link>
      <guid isPermaLink="false">g1</guid></item>
      </channel></rss>"""
    [entry] = parse_feed(rss, "https://me.example/feed").entries
    assert (entry.guid, entry.url) == ("g1", None)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://x.example/</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rss version="2.0"><channel><title>T</title>
<item><title>&xxe;</title><link>https://x.example/</link></item></channel></rss>"""

HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "billion laughs in UTF-16": BILLION_LAUGHS.replace(b'"1.0"?>', b'"1.0" encoding="utf-16"?>')
    .decode()
    .encode("utf-16"),
    "external entity": EXTERNAL_ENTITY,
    "HTML page": b"<!DOCTYPE html><html><head><title>Home</title></head>"
    b"<body><p>Welcome <a href='/about'>about</a></p></body></html>",
    "plain text": b"Service temporarily unavailable, try again later.\n",
    "truncated XML": b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><lin',
    "truncated inside the first item": b'<?xml version="1.0"?><rss version="2.0"><channel>'
    b"<title>T</title><item><tit",
    "empty body": b"",
    "whitespace": b"  \n",
}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_or_broken_input_is_a_feed_error(content: bytes) -> None:
    with pytest.raises(FeedError) as raised:
        parse_feed(content, "https://x.example/feed")
    assert raised.value.url == "https://x.example/feed"
    with pytest.raises(FeedError):
        parse_comments(content, "https://x.example/feed")


def test_truncated_feed_with_complete_entries_keeps_them() -> None:
    content = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>A</title><link>https://x.example/a</link></item><item><tit"
    )
    feed = parse_feed(content, "https://x.example/feed")
    assert [entry.url for entry in feed.entries] == ["https://x.example/a"]


def test_mislabelled_encoding_is_accepted() -> None:
    content = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T\xe9</title>'
        b"<item><title>Caf\xe9</title><link>https://x.example/a</link></item></channel></rss>"
    )
    [entry] = parse_feed(content, "https://x.example/feed").entries
    assert entry.title == "Café"


def test_impossible_dates_become_none() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title>
      <item><title>Feb 30</title><guid>a</guid>
        <pubDate>Thu, 30 Feb 2023 10:00:00 GMT</pubDate></item>
      <item><title>Year 0</title><guid>b</guid>
        <pubDate>Sat, 01 Jan 0000 00:00:00 GMT</pubDate></item>
      <item><title>Fine</title><guid>c</guid><pubDate>Tue, 28 Feb 2023 10:00:00 GMT</pubDate></item>
      <item><title>None</title><guid>d</guid></item>
      </channel></rss>"""
    entries = parse_feed(rss, "https://x.example/feed").entries
    assert [entry.published for entry in entries] == [
        None,
        None,
        datetime(2023, 2, 28, 10, tzinfo=UTC),
        None,
    ]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
      <entry><id>urn:a</id><title>A</title><published>2023-02-30T10:00:00Z</published>
        <updated>0000-01-01T00:00:00Z</updated></entry>
      <entry><id>urn:b</id><title>B</title><published>2023-13-01T10:00:00Z</published>
        <updated>2023-02-28T23:59:60Z</updated></entry></feed>"""
    first, second = parse_feed(atom, "https://x.example/feed").entries
    assert (first.published, first.updated) == (None, None)
    assert second.published is None
    assert second.updated is not None and second.updated.date().isoformat() == "2023-03-01"


def test_untitled_entries_get_empty_title_and_a_stable_guid() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title>
      <item><description>Just a note.</description><pubDate>Tue, 28 Feb 2023 10:00:00 GMT</pubDate>
      </item></channel></rss>"""
    [first] = parse_feed(rss, "https://x.example/feed").entries
    [again] = parse_feed(rss, "https://x.example/feed").entries
    assert first.title == ""
    assert first.url is None
    assert first.guid.startswith("sha256:") and first.guid == again.guid
    assert first.summary_html == "Just a note."


def test_control_characters_are_dropped_from_text() -> None:
    rss = b"<rss version='2.0'><channel><title>T</title><item><guid>g</guid>\
<title>A&#x1;B</title></item></channel></rss>"
    [entry] = parse_feed(rss, "https://x.example/feed").entries
    assert entry.title == "AB"


# -- parse_comments ------------------------------------------------------------------------------

WORDPRESS_COMMENTS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
  <title>Comments on: Bees in winter</title>
  <atom:link href="https://fieldnotes.example/2023/03/01/bees-in-winter/feed/" rel="self"
    type="application/rss+xml" />
  <link>https://fieldnotes.example/2023/03/01/bees-in-winter/</link>
  <description>Notes from the field</description>
  <item>
    <title>By: Bob Beekeeper</title>
    <link>https://fieldnotes.example/2023/03/01/bees-in-winter/#comment-45</link>
    <dc:creator><![CDATA[Bob Beekeeper]]></dc:creator>
    <pubDate>Thu, 02 Mar 2023 11:00:00 +0000</pubDate>
    <guid isPermaLink="false">https://fieldnotes.example/?p=123#comment-45</guid>
    <description><![CDATA[Lovely &amp; warm.]]></description>
    <content:encoded><![CDATA[<p>Lovely &amp; warm.
      <img src=x onerror=alert(1)><script>bad()</script>
      See <a href="https://bob.example/" onclick="bad()">my hive</a>.</p>]]></content:encoded>
  </item>
  <item>
    <title>By: Anonymous Visitor</title>
    <link>https://fieldnotes.example/2023/03/01/bees-in-winter/#comment-46</link>
    <pubDate>Thu, 02 Mar 2023 12:00:00 +0000</pubDate>
    <guid isPermaLink="false">https://fieldnotes.example/?p=123#comment-46</guid>
    <description><![CDATA[Plain <b>reply</b>]]></description>
  </item>
</channel>
</rss>
"""


def test_wordpress_comment_rss() -> None:
    url = "https://fieldnotes.example/2023/03/01/bees-in-winter/feed/"
    first, second = parse_comments(WORDPRESS_COMMENTS, url)
    assert first.guid == "https://fieldnotes.example/?p=123#comment-45"
    assert first.author == "Bob Beekeeper"
    assert first.published == datetime(2023, 3, 2, 11, tzinfo=UTC)
    assert first.url == "https://fieldnotes.example/2023/03/01/bees-in-winter/#comment-45"
    root = lxml.html.fragment_fromstring(first.content_html, create_parent="div")
    assert root.xpath("//script|//img") == []
    assert root.xpath("//a/@href") == ["https://bob.example/"]
    assert "nofollow" in root.xpath("//a/@rel")[0]
    assert root.xpath("//@onclick") == []
    assert second.author == "Anonymous Visitor"  # from the "By: " title when no dc:creator
    assert second.content_html == "Plain <b>reply</b>"


ATOM_COMMENTS = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0">
  <title>Comments on On syndication</title>
  <id>https://wren.substack.example/p/on-syndication/comments</id>
  <updated>2023-03-03T12:00:00Z</updated>
  <entry>
    <id>tag:wren.substack.example,2023:comment-7</id>
    <title>Comment by Cat Critic</title>
    <author><name>Cat Critic</name><uri>https://cat.example/</uri></author>
    <published>2023-03-03T12:00:00Z</published>
    <updated>2023-03-03T12:30:00Z</updated>
    <link rel="alternate" type="text/html" href="comments#comment-7"/>
    <thr:in-reply-to ref="https://wren.substack.example/p/on-syndication"/>
    <content type="html">&lt;p&gt;Agreed, &lt;a href="javascript:x()"&gt;mostly&lt;/a&gt;.&lt;/p&gt;
    </content>
  </entry>
</feed>
"""


def test_atom_comment_feed() -> None:
    url = "https://wren.substack.example/p/on-syndication/comments.atom"
    [comment] = parse_comments(ATOM_COMMENTS, url)
    assert comment.guid == "tag:wren.substack.example,2023:comment-7"
    assert comment.author == "Cat Critic"
    assert comment.published == datetime(2023, 3, 3, 12, tzinfo=UTC)
    assert comment.url == "https://wren.substack.example/p/on-syndication/comments#comment-7"
    assert "javascript" not in comment.content_html
    assert lxml.html.fragment_fromstring(comment.content_html).text_content() == "Agreed, mostly."


def test_empty_comment_feed_has_no_comments() -> None:
    content = b'<rss version="2.0"><channel><title>Comments on: A</title></channel></rss>'
    assert parse_comments(content, "https://x.example/a/feed/") == ()


# -- discover_feeds ------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><title>Field Notes</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Field Notes &raquo; Feed"
  href="https://fieldnotes.example/feed/">
<link rel="alternate" type="application/rss+xml" title="Comments Feed" href="/comments/feed/">
<link rel="alternate" hreflang="fr" href="https://fieldnotes.example/fr/">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="feed.atom">
<link rel="alternate" type="application/feed+json" href="/feed.json">
<link rel="alternate" type="application/rss+xml" href="https://fieldnotes.example/feed/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
</head><body><link rel="alternate" type="application/atom+xml" href="/late.atom">
<a rel="alternate" type="application/rss+xml" href="/not-a-link-element.xml">feed</a>
</body></html>"""


def test_discover_feeds_in_document_order() -> None:
    assert discover_feeds(PAGE, "https://fieldnotes.example/blog/") == [
        "https://fieldnotes.example/feed/",
        "https://fieldnotes.example/comments/feed/",
        "https://fieldnotes.example/blog/feed.atom",
        "https://fieldnotes.example/feed.json",
        "https://fieldnotes.example/late.atom",
    ]


def test_discover_feeds_without_feeds() -> None:
    assert discover_feeds(b"", "https://x.example/") == []
    assert discover_feeds(b"<html><head></head><body>hi</body></html>", "https://x.example/") == []
