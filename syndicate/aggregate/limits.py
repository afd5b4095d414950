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
# Media files (enclosures, attachments) kept of one entry: a podcast episode has one, a few
# feeds offer two or three formats; more is a feed listing every file it has.
MAX_ENCLOSURES_PER_ENTRY = 20
# An enclosure's length above this is not believed (0, unknown): the largest integer that a
# JSON Feed reader in JavaScript holds exactly, far beyond any real file.
MAX_ENCLOSURE_BYTES = 2**53 - 1
# A duration above this is not believed (None): longer than a year is no recording.
MAX_DURATION_SECONDS = 366 * 24 * 3600
