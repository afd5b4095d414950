"""Sitemaps (sitemaps.org protocol 0.9): a `urlset` of pages, and a `sitemapindex` of
sitemaps for a site with more URLs than one sitemap may hold."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lxml import etree

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit of URLs in one sitemap (and of sitemaps in an index)

SitemapEntry = tuple[str, datetime | None]  # (absolute URL, last modified)


def render_urlset(entries: Iterable[SitemapEntry]) -> bytes:
    return _document("urlset", "url", entries)


def render_sitemap_index(entries: Iterable[SitemapEntry]) -> bytes:
    return _document("sitemapindex", "sitemap", entries)


def _document(root_name: str, item_name: str, entries: Iterable[SitemapEntry]) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}{root_name}", nsmap={None: SITEMAP_NS})
    for url, modified in entries:
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}{item_name}")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = url
        if modified is not None:
            etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = modified.isoformat()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
