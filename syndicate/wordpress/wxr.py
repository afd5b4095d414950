"""Reading a WordPress export (WXR 1.0, 1.1 and 1.2: RSS 2.0 with WordPress's namespaces) into
plain records, safely, whoever made the file.

The whole file is parsed before anything is written. lxml reads it with no network, no DTD
and no entity expansion (a DOCTYPE is refused outright, as WordPress's own importer does),
with libxml2's limits on depth and text size left on (`huge_tree` off), from at most
`max_bytes` bytes. Elements are found by namespace URI, not prefix: WXR 1.0 to 1.2 differ in
the version in their URIs (and WordPress.com writes https), and a file may rebind a prefix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from syndicate.errors import PostError
from syndicate.files import read_at_most

DEFAULT_MAX_EXPORT_BYTES = 512 * 1024 * 1024
_WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/$")
_EXCERPT_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/excerpt/$")
_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "": "rss",
}
# C0 controls that XML 1.0 cannot carry (a comment pasted from a word processor may hold one):
# dropped before parsing, as syndicate drops them everywhere, rather than refusing the export.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Term:
    domain: str  # "category", "post_tag" (WXR 1.0's "tag"), or another taxonomy
    slug: str  # WordPress's nicename: the term's part of its archive's URL
    name: str


@dataclass(frozen=True)
class WxrComment:
    line: int
    id: str
    author: str
    author_url: str
    date: str  # "YYYY-MM-DD HH:MM:SS" in the site's zone, as WordPress stores it
    date_gmt: str
    content: str
    approved: str  # "1", "0" (pending), "spam", "trash", "post-trashed"
    type: str  # "" or "comment", "pingback", "trackback", "note"...
    parent: str  # "0" for none
    meta: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WxrItem:
    line: int
    title: str
    link: str
    guid: str
    creator: str  # the author's login
    content: str
    excerpt: str
    pub_date: str
    post_id: str
    post_date: str
    post_date_gmt: str
    post_modified: str
    post_modified_gmt: str
    post_name: str
    status: str
    post_parent: str
    menu_order: int
    post_type: str
    password: str
    attachment_url: str
    terms: tuple[Term, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    comments: tuple[WxrComment, ...] = ()

    def meta_value(self, key: str) -> str | None:
        return next((value for name, value in self.meta if name == key), None)


@dataclass(frozen=True)
class Export:
    path: Path
    version: str
    title: str
    base_url: str  # the blog's address (wp:base_blog_url), without a trailing slash
    authors: dict[str, str]  # login -> display name
    terms: tuple[Term, ...]  # the site's categories and tags
    items: tuple[WxrItem, ...]


def read_export(path: Path, *, max_bytes: int = DEFAULT_MAX_EXPORT_BYTES) -> Export:
    """The export's records; PostError (with the line) for a file that is not one."""
    channel = _channel(path, _parse(path, _read_bytes(path, max_bytes)))
    fields = _fields(channel)
    version = fields.get("wp:wxr_version", "").strip()
    if not re.fullmatch(r"\d+\.\d+", version):
        raise PostError(path, "not a WordPress export: no <wp:wxr_version>", channel.sourceline)
    base = (
        fields.get("wp:base_blog_url") or fields.get("rss:link") or fields.get("wp:base_site_url")
    )
    return Export(
        path=path,
        version=version,
        title=fields.get("rss:title", "").strip(),
        base_url=(base or "").strip().rstrip("/"),
        authors=_authors(channel),
        terms=_site_terms(channel),
        items=tuple(_item(child) for child in channel if _name(child) == "rss:item"),
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > max_bytes:
                raise PostError(path, f"{size:,} bytes, larger than the limit ({max_bytes:,})")
            data = read_at_most(file, max_bytes, size)
    except OSError as exc:
        raise PostError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise PostError(path, f"larger than the limit ({max_bytes:,} bytes)")
    return data


_DOCTYPE_REFUSED = "the export has a DOCTYPE, which no WordPress export has: refused"
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def _parse(path: Path, data: bytes) -> etree._Element:
    if not data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"<\x00")):  # not UTF-16/32
        data = _CONTROL_BYTES.sub(b"", data)
        first = _FIRST_ELEMENT.search(data)
        prolog = data[: first.start()] if first else data
        if b"<!DOCTYPE" in prolog:  # refused before libxml2 reads its entities
            raise PostError(
                path, _DOCTYPE_REFUSED, prolog.count(b"\n", 0, prolog.find(b"<!DOCTYPE")) + 1
            )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        said = (exc.msg or str(exc) or "unreadable").splitlines()[0]  # not the text it quotes
        message = re.sub(r", line \d+, column \d+$", "", said)
        raise PostError(path, f"not a well-formed export: {message}", exc.lineno) from None
    if root.getroottree().docinfo.doctype:
        raise PostError(path, _DOCTYPE_REFUSED)
    return root


def _channel(path: Path, root: etree._Element) -> etree._Element:
    if _name(root) != "rss:rss":
        raise PostError(path, "not a WordPress export: the root element is not <rss>", 1)
    channel = next((child for child in root if _name(child) == "rss:channel"), None)
    if channel is None:
        raise PostError(path, "not a WordPress export: no <channel>", root.sourceline)
    return channel


def _name(element: etree._Element) -> str:
    """`kind:local` for the namespaces a WXR file uses ("wp:post_id", "rss:item"); "" else."""
    tag = element.tag
    return _name_of_tag(tag) if isinstance(tag, str) else ""  # not a comment or PI


@lru_cache(maxsize=4096)
def _name_of_tag(tag: str) -> str:
    uri, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    kind = _NAMESPACES.get(uri)
    if kind is None:
        if _WP_NAMESPACE.match(uri):
            kind = "wp"
        elif _EXCERPT_NAMESPACE.match(uri):
            kind = "excerpt"
        else:
            return ""
    return f"{kind}:{local}"


def _text(element: etree._Element) -> str:
    return "".join(element.itertext())


def _fields(element: etree._Element) -> dict[str, str]:
    """The text of each named child (the first of each name)."""
    fields: dict[str, str] = {}
    for child in element:
        name = _name(child)
        if name and name not in fields:
            fields[name] = _text(child)
    return fields


def _authors(channel: etree._Element) -> dict[str, str]:
    authors = {}
    for child in channel:
        if _name(child) == "wp:author":
            fields = _fields(child)
            login = fields.get("wp:author_login", "").strip()
            display = fields.get("wp:author_display_name", "").strip()
            if login:
                authors[login] = display or login
    return authors


def _site_terms(channel: etree._Element) -> tuple[Term, ...]:
    terms = []
    for child in channel:
        name = _name(child)
        if name == "wp:category":
            fields = _fields(child)
            slug, label = fields.get("wp:category_nicename", ""), fields.get("wp:cat_name", "")
            terms.append(Term("category", slug.strip(), label.strip()))
        elif name == "wp:tag":
            fields = _fields(child)
            slug, label = fields.get("wp:tag_slug", ""), fields.get("wp:tag_name", "")
            terms.append(Term("post_tag", slug.strip(), label.strip()))
    return tuple(term for term in terms if term.slug and term.name)


def _item(element: etree._Element) -> WxrItem:
    fields = _fields(element)

    def field(name: str) -> str:
        return fields.get(name, "").strip()

    order = field("wp:menu_order")
    return WxrItem(
        line=element.sourceline or 0,
        title=field("rss:title"),
        link=field("rss:link"),
        guid=field("rss:guid"),
        creator=field("dc:creator"),
        content=fields.get("content:encoded", ""),
        excerpt=fields.get("excerpt:encoded", ""),
        pub_date=field("rss:pubDate"),
        post_id=field("wp:post_id"),
        post_date=field("wp:post_date"),
        post_date_gmt=field("wp:post_date_gmt"),
        post_modified=field("wp:post_modified"),
        post_modified_gmt=field("wp:post_modified_gmt"),
        post_name=field("wp:post_name"),
        status=field("wp:status"),
        post_parent=field("wp:post_parent") or "0",
        menu_order=int(order) if re.fullmatch(r"-?\d{1,9}", order) else 0,
        post_type=field("wp:post_type"),
        password=fields.get("wp:post_password", ""),
        attachment_url=field("wp:attachment_url"),
        terms=_item_terms(element),
        meta=_meta(element, "wp:postmeta"),
        comments=tuple(_comment(c) for c in element if _name(c) == "wp:comment"),
    )


def _item_terms(element: etree._Element) -> tuple[Term, ...]:
    """<category domain=".." nicename="..">: those without a nicename (WXR 1.0 wrote each
    category twice, once bare) are left out, as WordPress's importer leaves them out."""
    terms = []
    for child in element:
        if _name(child) == "rss:category" and child.get("nicename"):
            domain = child.get("domain", "category")
            domain = "post_tag" if domain == "tag" else domain
            terms.append(Term(domain, child.get("nicename", "").strip(), _text(child).strip()))
    return tuple(terms)


def _meta(element: etree._Element, name: str) -> tuple[tuple[str, str], ...]:
    entries = []
    for child in element:
        if _name(child) == name:
            fields = _fields(child)
            entries.append((fields.get("wp:meta_key", "").strip(), fields.get("wp:meta_value", "")))
    return tuple(entries)


def _comment(element: etree._Element) -> WxrComment:
    fields = _fields(element)

    def field(name: str) -> str:
        return fields.get(name, "").strip()

    return WxrComment(
        line=element.sourceline or 0,
        id=field("wp:comment_id"),
        author=field("wp:comment_author"),
        author_url=field("wp:comment_author_url"),
        date=field("wp:comment_date"),
        date_gmt=field("wp:comment_date_gmt"),
        content=fields.get("wp:comment_content", ""),
        approved=field("wp:comment_approved"),
        type=field("wp:comment_type"),
        parent=field("wp:comment_parent") or "0",
        meta=_meta(element, "wp:commentmeta"),
    )
