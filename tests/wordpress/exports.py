"""Small WordPress exports written on the spot, in the shape WordPress writes them (an item's
elements in WordPress's order, values in CDATA), for tests about one thing at a time. The
realistic whole exports are in tests/fixtures/wordpress/."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wordpress"
FIELD_NOTES = FIXTURES / "field-notes-wxr-1.2.xml"
WXR_1_0 = FIXTURES / "old-blog-wxr-1.0.xml"
WORDPRESS_COM = FIXTURES / "wordpress-com-missing-tags.xml"
MALFORMED = FIXTURES / "malformed-truncated.xml"
BASE = "https://example.blog"


def cdata(text: str) -> str:
    """As WordPress's wxr_cdata() writes text: `]]>` split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def comment(
    number: int,
    body: str = "A comment.",
    *,
    author: str = "Reader",
    parent: int = 0,
    approved: str = "1",
    kind: str = "comment",
    date_gmt: str = "2024-01-02 10:00:00",
    date: str = "2024-01-02 11:00:00",
    url: str = "",
) -> str:
    return f"""
		<wp:comment>
			<wp:comment_id>{number}</wp:comment_id>
			<wp:comment_author>{cdata(author)}</wp:comment_author>
			<wp:comment_author_email>{cdata("reader@example.org")}</wp:comment_author_email>
			<wp:comment_author_url>{url}</wp:comment_author_url>
			<wp:comment_author_IP>{cdata("192.0.2.1")}</wp:comment_author_IP>
			<wp:comment_date>{cdata(date)}</wp:comment_date>
			<wp:comment_date_gmt>{cdata(date_gmt)}</wp:comment_date_gmt>
			<wp:comment_content>{cdata(body)}</wp:comment_content>
			<wp:comment_approved>{cdata(approved)}</wp:comment_approved>
			<wp:comment_type>{cdata(kind)}</wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>"""


def item(
    number: int,
    title: str = "A post",
    content: str = "Some text.",
    *,
    name: str | None = None,
    status: str = "publish",
    kind: str = "post",
    date: str = "2024-01-01 13:00:00",
    date_gmt: str = "2024-01-01 12:00:00",
    modified_gmt: str = "2024-01-01 12:00:00",
    link: str | None = None,
    guid: str | None = None,
    password: str = "",
    parent: int = 0,
    excerpt: str = "",
    extra: str = "",
) -> str:
    name = f"post-{number}" if name is None else name
    link = f"{BASE}/{name}/" if link is None else link
    guid = f"{BASE}/?p={number}" if guid is None else guid
    return f"""
	<item>
		<title>{cdata(title)}</title>
		<link>{link}</link>
		<pubDate>Mon, 01 Jan 2024 12:00:00 +0000</pubDate>
		<dc:creator>{cdata("writer")}</dc:creator>
		<guid isPermaLink="false">{guid}</guid>
		<description></description>
		<content:encoded>{cdata(content)}</content:encoded>
		<excerpt:encoded>{cdata(excerpt)}</excerpt:encoded>
		<wp:post_id>{number}</wp:post_id>
		<wp:post_date>{cdata(date)}</wp:post_date>
		<wp:post_date_gmt>{cdata(date_gmt)}</wp:post_date_gmt>
		<wp:post_modified>{cdata(date)}</wp:post_modified>
		<wp:post_modified_gmt>{cdata(modified_gmt)}</wp:post_modified_gmt>
		<wp:comment_status>{cdata("open")}</wp:comment_status>
		<wp:ping_status>{cdata("open")}</wp:ping_status>
		<wp:post_name>{cdata(name)}</wp:post_name>
		<wp:status>{cdata(status)}</wp:status>
		<wp:post_parent>{parent}</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type>{cdata(kind)}</wp:post_type>
		<wp:post_password>{cdata(password)}</wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>{extra}
	</item>"""


def export(*items: str, version: str = "1.2", authors: str | None = None) -> str:
    """A whole export around `items` (WXR 1.0 has no wp:author list)."""
    if authors is None:
        authors = (
            ""
            if version == "1.0"
            else "<wp:author><wp:author_id>1</wp:author_id>"
            f"<wp:author_login>{cdata('writer')}</wp:author_login>"
            f"<wp:author_display_name>{cdata('Wendy Writer')}</wp:author_display_name>"
            "</wp:author>"
        )
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<!-- generator="WordPress/6.5" created="2024-06-01 10:00" -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/{version}/"
>
<channel>
	<title>Example blog</title>
	<link>{BASE}</link>
	<description>An example</description>
	<language>en-US</language>
	<wp:wxr_version>{version}</wp:wxr_version>
	<wp:base_site_url>{BASE}</wp:base_site_url>
	<wp:base_blog_url>{BASE}</wp:base_blog_url>
	{authors}
	<generator>https://wordpress.org/?v=6.5</generator>
{"".join(items)}
</channel>
</rss>
"""


def write_export(folder: Path, text: str, name: str = "export.xml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
