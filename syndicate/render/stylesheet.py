"""What makes a feed readable when a person opens it in a browser: the stylesheet file the site
carries, and the processing instruction that points a feed at it.

A CSS stylesheet, not XSLT: Chromium shows a feed served as application/xml or text/xml (what
a plain static server sends for .xml) styled by CSS, and is removing XSLT; while it still runs
an XSL it puts a banner over the page telling the visitor to contact the site's maintainer, and
with both kinds named it runs the XSL. So feeds name the CSS alone. A feed served as
application/rss+xml or application/atom+xml is shown as raw text whatever it names; `serve`
answers browsers with an HTML page of the feed instead (render/feedview.py)."""

from __future__ import annotations

from importlib import resources
from urllib.parse import quote

from lxml import etree

from syndicate.layout import STYLESHEET

# What may stay as it is in the href pseudo-attribute: no quote, no "<", no "?>" can end it.
_SAFE_IN_HREF = "/:@!$&'()*+,;=-._~%"


def stylesheet_files() -> dict[str, bytes]:
    """The files, by their path under the output folder."""
    folder = resources.files("syndicate") / "templates"
    return {STYLESHEET: (folder / STYLESHEET).read_bytes()}


def processing_instructions(stylesheet_url: str) -> list[etree._ProcessingInstruction]:
    """The `<?xml-stylesheet?>` instructions a feed document starts with, in order."""
    href = quote(stylesheet_url, safe=_SAFE_IN_HREF)
    return [etree.ProcessingInstruction("xml-stylesheet", f'type="text/css" href="{href}"')]
