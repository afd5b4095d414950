"""OPML 2.0: the subscription list every feed reader exports and imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from syndicate.errors import ConfigError
from syndicate.model import Feed
from syndicate.urls import without_userinfo

# No entities, no network, no DTD: an OPML file from elsewhere is as untrusted as a feed.
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


class OpmlError(ConfigError):
    """An OPML file that cannot be read (a usage error: exit status 2)."""


@dataclass(frozen=True)
class Outline:
    url: str
    title: str | None
    site_url: str | None


@dataclass(frozen=True)
class OpmlList:
    outlines: list[Outline]
    skipped: list[str]  # xmlUrl values that are not feed addresses


def export_opml(feeds: Sequence[Feed], *, title: str) -> bytes:
    """The subscriptions for another feed reader; a URL's user name and password stay here
    (an export is shared and kept: the other reader asks for them again)."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    for feed in feeds:
        url = without_userinfo(feed.url)
        name = feed.name or feed.title or url
        outline = etree.SubElement(body, "outline", type="rss", text=name, title=name)
        outline.set("xmlUrl", url)
    return etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True)


def read_opml(path: Path) -> OpmlList:
    """Every outline with an http(s) xmlUrl, however deeply nested in folders, in document
    order; `feed://` is read as http(s); anything else (javascript:, file:) is skipped."""
    try:
        tree = etree.parse(str(path), _SAFE_PARSER)
    except OSError as exc:
        raise OpmlError(f"{path}: cannot read: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"{path}: not an OPML file: {exc}") from exc
    if tree.getroot().tag != "opml":
        raise OpmlError(f"{path}: not an OPML file (root element <{tree.getroot().tag}>)")
    outlines: list[Outline] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for element in tree.iter("outline"):
        raw = (element.get("xmlUrl") or element.get("xmlurl") or "").strip()
        if not raw:
            continue
        url = feed_address(raw)
        if url is None:
            skipped.append(raw)
        elif url not in seen:
            seen.add(url)
            title = element.get("title") or element.get("text")
            outlines.append(Outline(url, title, element.get("htmlUrl")))
    return OpmlList(outlines, skipped)


def feed_address(url: str) -> str | None:
    """An http(s) URL for an OPML xmlUrl, or None when it cannot name a feed on the web."""
    if url.lower().startswith("feed:"):
        rest = url[5:].removeprefix("//")
        url = rest if rest.lower().startswith(("http://", "https://")) else "http://" + rest
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url:
        return None
    return url
