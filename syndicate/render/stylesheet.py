"""What makes a feed readable when a person opens it in a browser: the stylesheet files the
site carries, and the processing instructions that point a feed at them."""

from __future__ import annotations

from importlib import resources

from lxml import etree

from syndicate.layout import STYLESHEET


def stylesheet_files() -> dict[str, bytes]:
    """The files, by their path under the output folder."""
    folder = resources.files("syndicate") / "templates"
    return {STYLESHEET: (folder / STYLESHEET).read_bytes()}


def processing_instructions(stylesheet_url: str) -> list[etree._ProcessingInstruction]:
    """The `<?xml-stylesheet?>` instructions a feed document starts with, in order."""
    xsl = f'type="text/xsl" href="{stylesheet_url}"'
    return [etree.ProcessingInstruction("xml-stylesheet", xsl)]
