"""feedgen extensions for the namespaces feedgen lacks: wfw, slash and thr (RFC 4685); for
enclosures as we want them; and for podcasts, beside feedgen's own podcast extension, the
itunes tags it gets wrong and Podcasting 2.0's podcast:guid.

Each namespace has a feed-level class (its `extend_ns` puts the prefix on the root element)
and an entry-level class that carries the per-entry values.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import lxml.etree  # noqa: F401 - feedgen.util uses lxml.etree without importing it
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem

WFW_NS = "http://wellformedweb.org/CommentAPI/"
SLASH_NS = "http://purl.org/rss/1.0/modules/slash/"
THR_NS = "http://purl.org/syndication/thread/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"


class WfwExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"wfw": WFW_NS}


class WfwEntryExtension(BaseEntryExtension):
    """`<wfw:commentRss>`: where a reader finds this item's comment feed."""

    def __init__(self) -> None:
        self._comment_rss: str | None = None

    def comment_rss(self, url: str | None = None) -> str | None:
        if url is not None:
            self._comment_rss = url
        return self._comment_rss

    def extend_rss(self, item: Any) -> Any:
        if self._comment_rss:
            xml_elem(f"{{{WFW_NS}}}commentRss", item).text = self._comment_rss
        return item


class SlashExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"slash": SLASH_NS}


class SlashEntryExtension(BaseEntryExtension):
    """`<slash:comments>`: how many comments the item has."""

    def __init__(self) -> None:
        self._comments: int | None = None

    def comments(self, count: int | None = None) -> int | None:
        if count is not None:
            self._comments = count
        return self._comments

    def extend_rss(self, item: Any) -> Any:
        if self._comments is not None:
            xml_elem(f"{{{SLASH_NS}}}comments", item).text = str(self._comments)
        return item


class ThrExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"thr": THR_NS}


class ThrEntryExtension(BaseEntryExtension):
    """RFC 4685: `link rel="replies"` with thr:count (Atom) and `thr:in-reply-to` (Atom and RSS)."""

    def __init__(self) -> None:
        self._replies: dict[str, Any] | None = None
        self._in_reply_to: dict[str, str] | None = None

    def replies(
        self, href: str, *, count: int, media_type: str, updated: datetime | None = None
    ) -> None:
        self._replies = {"href": href, "count": count, "type": media_type, "updated": updated}

    def in_reply_to(
        self, ref: str, *, href: str | None = None, media_type: str = "text/html"
    ) -> None:
        self._in_reply_to = {"ref": ref}
        if href:
            self._in_reply_to.update(href=href, type=media_type)

    def extend_atom(self, entry: Any) -> Any:
        if self._replies:
            # feedgen writes Atom elements unqualified under a default xmlns; so do we.
            link = xml_elem(
                "link",
                entry,
                rel="replies",
                type=self._replies["type"],
                href=self._replies["href"],
            )
            link.attrib[f"{{{THR_NS}}}count"] = str(self._replies["count"])
            if self._replies["updated"] is not None:
                link.attrib[f"{{{THR_NS}}}updated"] = self._replies["updated"].isoformat()
        self._add_in_reply_to(entry)
        return entry

    def extend_rss(self, item: Any) -> Any:
        self._add_in_reply_to(item)
        return item

    def _add_in_reply_to(self, parent: Any) -> None:
        if self._in_reply_to:
            xml_elem(f"{{{THR_NS}}}in-reply-to", parent, **self._in_reply_to)


class LinksExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {}  # Atom is the document's own namespace; feedgen declares `atom` in RSS


class LinksEntryExtension(BaseEntryExtension):
    """Extra typed links on an entry (rel="related" copies, rel="via" sources): `<link>` in
    Atom, `<atom:link>` in RSS. feedgen 1.0 drops rel and type from extra entry links in
    Atom, so they are written here."""

    def __init__(self) -> None:
        self._links: list[dict[str, str]] = []
        self._rss_source: tuple[str, str] | None = None

    def rss_source(self, feed_url: str, title: str) -> None:
        """RSS `<source url>`: the channel a republished item came from (Atom uses rel="via")."""
        self._rss_source = (feed_url, title)

    def add(
        self, href: str, *, rel: str, media_type: str | None = None, title: str | None = None
    ) -> None:
        link = {"rel": rel, "href": href}
        if media_type:
            link["type"] = media_type
        if title:
            link["title"] = title
        self._links.append(link)

    def extend_atom(self, entry: Any) -> Any:
        for link in self._links:
            xml_elem("link", entry, **link)
        return entry

    def extend_rss(self, item: Any) -> Any:
        if self._rss_source:
            xml_elem("source", item, url=self._rss_source[0]).text = self._rss_source[1]
        for link in self._links:
            xml_elem(f"{{{ATOM_NS}}}link", item, **link)
        return item


FH_NS = "http://purl.org/syndication/history/1.0"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"


class ChannelExtension(BaseExtension):
    """Feed-level additions feedgen lacks in RSS: `atom:link` relations other than self (hub,
    current, prev-archive), `sy:updatePeriod`/`sy:updateFrequency` (feedgen's own syndication
    extension misspells them), and, in both formats, RFC 5005's `<fh:archive/>` marker."""

    def __init__(self) -> None:
        self._rss_links: list[dict[str, str]] = []
        self._archive = False
        self._schedule: tuple[str, int] | None = None

    def schedule(self, period: str, frequency: int) -> None:
        """How often the feed is rebuilt: `frequency` times per `period` (hourly, daily ...)."""
        self._schedule = (period, frequency)

    def rss_links(self, links: list[dict[str, str]]) -> None:
        self._rss_links = links

    def archive(self, is_archive: bool) -> None:
        self._archive = is_archive

    def extend_ns(self) -> dict[str, str]:
        namespaces = {"fh": FH_NS} if self._archive else {}
        return namespaces | ({"sy": SY_NS} if self._schedule else {})

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self._schedule:
            xml_elem(f"{{{SY_NS}}}updatePeriod", channel).text = self._schedule[0]
            xml_elem(f"{{{SY_NS}}}updateFrequency", channel).text = str(self._schedule[1])
        for link in self._rss_links:
            xml_elem(f"{{{ATOM_NS}}}link", channel, **link)
        if self._archive:
            xml_elem(f"{{{FH_NS}}}archive", channel)
        return rss_feed

    def extend_atom(self, atom_feed: Any) -> Any:
        if self._archive:
            # Before the entries, where RFC 4287 wants feed metadata.
            first_entry = atom_feed.find("entry")
            marker = xml_elem(f"{{{FH_NS}}}archive")
            if first_entry is not None:
                first_entry.addprevious(marker)
            else:
                atom_feed.append(marker)
        return atom_feed


class EnclosuresExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {}  # RSS's own <enclosure>, Atom's own link


class EnclosuresEntryExtension(BaseEntryExtension):
    """A post's media files: each as an Atom `link rel="enclosure"` (length, type, title), the
    first alone as RSS's `<enclosure>` (RSS allows one an item). feedgen keeps the last one it
    is given for RSS, and its Atom link has no title; so they are written here."""

    def __init__(self) -> None:
        self._enclosures: list[dict[str, str]] = []

    def add(self, url: str, *, length: int, media_type: str, title: str | None = None) -> None:
        enclosure = {"href": url, "length": str(length), "type": media_type}
        self._enclosures.append(enclosure | ({"title": title} if title else {}))

    def extend_atom(self, entry: Any) -> Any:
        for enclosure in self._enclosures:
            xml_elem("link", entry, rel="enclosure", **enclosure)
        return entry

    def extend_rss(self, item: Any) -> Any:
        if self._enclosures:
            first = self._enclosures[0]
            xml_elem(
                "enclosure", item, url=first["href"], length=first["length"], type=first["type"]
            )
        return item


ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
# Podcasting 2.0's namespace for podcast:guid (a UUIDv5 of the feed's URL).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def podcast_guid(feed_url: str) -> str:
    """Podcasting 2.0's podcast:guid of a feed: UUIDv5 of its URL without the scheme and
    without trailing slashes (`podnews.net/rss` gives 9b024349-ccf0-5f69-a609-6b82873eab3c)."""
    seed = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, seed))


def truth(value: bool) -> str:
    """itunes:explicit as Apple and the W3C validator read it today: "true" or "false"
    (feedgen's podcast extension writes the older yes/no/clean, which the validator refuses)."""
    return "true" if value else "false"


class ItunesExtension(BaseExtension):
    """The channel's itunes tags that feedgen's podcast extension writes wrongly or not at all:
    `itunes:explicit` as true/false, and `itunes:image` of any http(s) URL (feedgen drops one
    whose name does not end in .jpg or .png, without a word)."""

    def __init__(self) -> None:
        self._explicit: bool | None = None
        self._image: str | None = None

    def explicit(self, value: bool) -> None:
        self._explicit = value

    def image(self, url: str | None) -> None:
        self._image = url

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        _add_itunes(rss_feed[0], self._image, self._explicit)
        return rss_feed


class ItunesEntryExtension(BaseEntryExtension):
    """An episode's `itunes:image` and `itunes:explicit` (see ItunesExtension)."""

    def __init__(self) -> None:
        self._explicit: bool | None = None
        self._image: str | None = None

    def explicit(self, value: bool | None) -> None:
        self._explicit = value

    def image(self, url: str | None) -> None:
        self._image = url

    def extend_rss(self, item: Any) -> Any:
        _add_itunes(item, self._image, self._explicit)
        return item


def _add_itunes(parent: Any, image: str | None, explicit: bool | None) -> None:
    if image:
        xml_elem(f"{{{ITUNES_NS}}}image", parent, href=image)
    if explicit is not None:
        xml_elem(f"{{{ITUNES_NS}}}explicit", parent).text = truth(explicit)


class PodcastIndexExtension(BaseExtension):
    """Podcasting 2.0 (https://podcastindex.org/namespace/1.0): the channel's `podcast:guid`."""

    def __init__(self) -> None:
        self._guid: str | None = None

    def guid(self, value: str) -> None:
        self._guid = value

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        if self._guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", rss_feed[0]).text = self._guid
        return rss_feed


def register_podcast_extensions(feed: Any) -> None:
    """The podcast tags of a feed of posts (RSS only: Atom readers use the enclosure links):
    feedgen's podcast extension for what it writes as Apple asks (author, owner, category,
    type; an episode's duration, numbers and type), and ours for the rest."""
    feed.register_extension("podcast", PodcastExtension, PodcastEntryExtension, atom=False)
    feed.register_extension("itunes", ItunesExtension, ItunesEntryExtension, atom=False)
    feed.register_extension("podcastindex", PodcastIndexExtension, None, atom=False)


def register_extensions(feed: Any, *, of_posts: bool = True) -> None:
    """Load the namespaces a syndicate feed may use onto a FeedGenerator; without `of_posts`,
    those of a comment feed alone (no comment counts, comment feeds or enclosures: feedgen
    gives each entry an object of every extension, and calls each as it writes the entry)."""
    # By class, not load_extension("dc"): that tries to import a module feedgen lacks on
    # every call, a fifth of a small feed's rendering time.
    feed.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    if of_posts:
        feed.register_extension("wfw", WfwExtension, WfwEntryExtension, atom=False, rss=True)
        feed.register_extension("slash", SlashExtension, SlashEntryExtension, atom=False, rss=True)
    feed.register_extension("thr", ThrExtension, ThrEntryExtension, atom=True, rss=True)
    feed.register_extension("links", LinksExtension, LinksEntryExtension, atom=True, rss=True)
    feed.register_extension("channel", ChannelExtension, None, atom=True, rss=True)
    if of_posts:
        feed.register_extension("enclosures", EnclosuresExtension, EnclosuresEntryExtension)
