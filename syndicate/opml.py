"""OPML 2.0: the subscription list every feed reader exports and imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from syndicate.archive import Feed
from syndicate.errors import SyndicateError

# No entities, no network, no DTD: an OPML file from elsewhere is as untrusted as a feed.
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


class OpmlError(SyndicateError):
    """An OPML file that cannot be read."""


@dataclass(frozen=True)
class Outline:
    url: str
    title: str | None
    site_url: str | None


def export_opml(feeds: Sequence[Feed], *, title: str) -> bytes:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    for feed in feeds:
        name = feed.name or feed.title or feed.url
        outline = etree.SubElement(body, "outline", type="rss", text=name, title=name)
        outline.set("xmlUrl", feed.url)
    return etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True)


def read_opml(path: Path) -> list[Outline]:
    """Every outline with an xmlUrl, however deeply nested in folders, in document order."""
    try:
        tree = etree.parse(str(path), _SAFE_PARSER)
    except OSError as exc:
        raise OpmlError(f"{path}: cannot read: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"{path}: not an OPML file: {exc}") from exc
    if tree.getroot().tag != "opml":
        raise OpmlError(f"{path}: not an OPML file (root element <{tree.getroot().tag}>)")
    outlines: list[Outline] = []
    seen: set[str] = set()
    for element in tree.iter("outline"):
        url = (element.get("xmlUrl") or element.get("xmlurl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            title = element.get("title") or element.get("text")
            outlines.append(Outline(url, title, element.get("htmlUrl")))
    return outlines
