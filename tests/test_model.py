"""model.py's records cross processes and the post cache pickled: they come back equal, and
a record pickled by dataclasses' own state (as older caches hold it) still reads back."""

from __future__ import annotations

import copyreg
import dataclasses
import io
import pickle
from datetime import UTC, datetime, timedelta, timezone

import pytest

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


ZONES = [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=30), "IST")]


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_dates_with_an_offset_pickle_as_tzinfo_would(zone: timezone) -> None:
    """The same bytes as tzinfo's own reduction (a pickler without the registered one), and
    the same zone back: caches written before read the same, and UTC stays the singleton."""
    when = datetime(2024, 3, 1, 12, 0, tzinfo=zone)
    own = io.BytesIO()
    pickler = pickle.Pickler(own, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {k: v for k, v in copyreg.dispatch_table.items() if k is not timezone}
    pickler.dump(when)
    assert pickle.dumps(when, protocol=pickle.HIGHEST_PROTOCOL) == own.getvalue()
    again = pickle.loads(own.getvalue())
    assert again == when and again.tzinfo == zone and again.tzname() == when.tzname()
    assert (pickle.loads(pickle.dumps(zone)) is UTC) == (zone is UTC)


def test_pickling_a_post_does_not_look_up_slot_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """copyreg._slotnames runs for every offset a date carries unless model.py registers a
    reduction for fixed-offset zones (it cannot cache its answer on a C type)."""
    looked_up: list[type] = []
    slotnames = copyreg._slotnames  # type: ignore[attr-defined]

    def counted(cls: type) -> list[str]:
        looked_up.append(cls)
        return slotnames(cls)  # type: ignore[no-any-return]

    monkeypatch.setattr(copyreg, "_slotnames", counted)
    zone = timezone(timedelta(hours=-3))
    post = dataclasses.replace(a_post(), published=datetime(2024, 1, 1, tzinfo=zone))
    for _ in range(3):
        pickle.dumps(post, protocol=pickle.HIGHEST_PROTOCOL)
    assert timezone not in looked_up
