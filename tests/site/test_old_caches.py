"""Caches written by another layout of syndicate's modules (pickles that name modules that are
gone) are thrown away with a rebuild, never a crash."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import feedparser

from tests.conftest import run_build

# A pickle of a class in a module of the old, flat layout (syndicate/listing.py, cache.py).
OLD_LISTING = b"csyndicate.listing\nListing\n)\x81."
OLD_POST = b"csyndicate.cache\nParsed\n)\x81."


def built(seed_posts: Path, output: Path, cache: Path) -> str:
    result = run_build(seed_posts, output, env={"SYNDICATE_CACHE_DIR": str(cache)})
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_listing_pickled_by_the_old_layout_means_a_full_build(
    seed_posts: Path, tmp_path: Path
) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    built(seed_posts, output, cache)
    listings = list(cache.rglob("*.listing"))
    assert listings
    for listing in listings:
        listing.write_bytes(OLD_LISTING)
    post = next(seed_posts.iterdir())
    text = post.read_text(encoding="utf-8")
    assert "Artemovsk" in text
    post.write_text(text.replace("Artemovsk", "Bakhmut"), encoding="utf-8")
    built(seed_posts, output, cache)
    feed = feedparser.parse((output / "rss.xml").read_bytes())
    assert not feed.bozo
    assert "Bakhmut" in feed.entries[0].content[0].value


def test_post_cache_rows_the_old_layout_pickled_are_parsed_again(
    seed_posts: Path, tmp_path: Path
) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    built(seed_posts, output, cache)
    before = (output / "rss.xml").read_bytes()
    with sqlite3.connect(cache / "posts.sqlite3") as db:
        changed = db.execute(
            "UPDATE cached_posts SET light = ?, comments = ?", (OLD_POST, OLD_POST)
        )
        assert changed.rowcount > 0
    shutil.rmtree(output)  # a full build, from the cache
    built(seed_posts, output, cache)
    assert (output / "rss.xml").read_bytes() == before
