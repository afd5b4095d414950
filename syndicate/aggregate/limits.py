"""How much of a stranger's document is read: the bounds every parsing path shares.

A limit reached is a FeedError naming it, never a crash, a hang or a memory spike."""

from __future__ import annotations

# Bytes of one response body (after any Content-Encoding is undone), XML or JSON alike.
MAX_FEED_BYTES = 10 * 1024 * 1024
# JSON Feed: objects and arrays nested deeper than this (a feed needs about 5; extensions
# a few more), and objects and arrays in all (a 10 MB document of `{},` would be 3 million
# dicts, 200 MB of Python objects).
MAX_JSON_DEPTH = 64
MAX_JSON_CONTAINERS = 200_000
# XML internal entities: the text they may add to a document in all, counted over every
# reference before anything is expanded (a billion-laughs document is refused before it).
MAX_ENTITY_EXPANSION = 1024 * 1024
