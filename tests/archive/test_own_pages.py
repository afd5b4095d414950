"""A page of the site (`page: true`, an "About") is no article: the sync that a fetch runs on its
own (without a build's posts) leaves it out, as the build does."""

from __future__ import annotations

from pathlib import Path

from syndicate.archive import Archive
from syndicate.archive.own_posts import sync_own_posts
from syndicate.config import load_settings
from tests.conftest import write_posts


def test_a_fetchs_own_sync_leaves_pages_out(tmp_path: Path) -> None:
    posts = write_posts(
        tmp_path / "posts",
        {
            "post.md": "---\ntitle: A post\ndate: 2024-01-01\n---\nText.\n",
            "about.md": "---\ntitle: About\ndate: 2024-01-01\npage: true\n---\nWho.\n",
        },
    )
    settings = load_settings(
        overrides={"posts": str(posts), "archive": str(tmp_path / "a.sqlite3")}, environ={}
    )
    with Archive(settings.archive) as archive:
        sync_own_posts(archive, settings)
        assert [article.title for article in archive.articles()] == ["A post"]
