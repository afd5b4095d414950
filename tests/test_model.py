"""model.py's records cross processes and the post cache pickled: they come back equal, and
a record pickled by dataclasses' own state (as older caches hold it) still reads back."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

from syndicate.model import Comment, CommentSource, Enclosure, Episode, Post


def a_post() -> Post:
    via = CommentSource("https://elsewhere.example/p", "https://elsewhere.example/feed", "E")
    comments = (
        Comment("c1", "Ann", "<p>Hi</p>", datetime(2024, 1, 2, tzinfo=UTC), via=via),
        Comment("c2", "Bo", "<p>Re</p>", None, in_reply_to="c1", likes=3, kind="pingback"),
    )
    return Post(
        source="posts/a-post.md",
        slug="a-post",
        title="A post",
        published=datetime(2024, 1, 1, 9, 30, tzinfo=UTC),
        content_html="<p>Body</p>",
        tags=("one", "two"),
        comments=comments,
        enclosures=(Enclosure("a.mp3", 10, "audio/mpeg", "a.mp3", 61, "A"),),
        episode=Episode(episode=2, season=1, explicit=False),
    )


def test_records_come_back_equal_from_a_pickle() -> None:
    post = a_post()
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(post, protocol=protocol))
        assert again == post
        assert [getattr(again, f.name) for f in dataclasses.fields(Post)] == [
            getattr(post, f.name) for f in dataclasses.fields(Post)
        ]


def test_a_record_pickled_with_dataclasses_own_state_reads_back() -> None:
    """dataclasses' __getstate__ gave a list of the fields' values, in order."""
    comment = a_post().comments[0]
    state = [getattr(comment, f.name) for f in dataclasses.fields(Comment)]
    rebuilt = object.__new__(Comment)
    rebuilt.__setstate__(state)  # type: ignore[attr-defined]
    assert rebuilt == comment
    assert pickle.loads(pickle.dumps(comment)) == comment
