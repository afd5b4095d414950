"""Front matter as Hugo and Jekyll users write it: typos warned of with their line, the other
engines' keys read (or knowingly left alone) without a warning, enclosures and the files
beside a post found, and bad enclosures refused with their line while other posts publish."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import feedparser
import pytest

from syndicate.errors import PostError
from syndicate.model import Enclosure, Post
from syndicate.posts.importers import parse_file
from tests.conftest import write_posts
from tests.posts.test_bad_input import GOOD, build, published_titles, stderr_lines


def read(folder: Path, text: str, name: str = "post.md") -> tuple[Post, list[str]]:
    """A post file written into `folder` and read as a build reads it."""
    path = write_posts(folder, {name: text}) / name
    parsed = parse_file(path, UTC)
    if parsed.error is not None:
        raise parsed.error
    assert parsed.post is not None
    return parsed.post, [str(warning) for warning in parsed.warnings]


def test_a_misspelt_key_is_a_warning_with_its_line_and_the_key_it_may_mean(
    tmp_path: Path,
) -> None:
    text = "---\ntitle: Typo\ndate: 2024-01-02\nenclosre: ep1.mp3\ntgas: [a]\n---\nBody.\n"
    posts = write_posts(tmp_path / "posts", {"typo.md": text})
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 0, result.output
    where = f"warning: {posts / 'typo.md'}"
    assert stderr_lines(result) == [
        f"{where}:4: unknown front matter key 'enclosre' ignored (did you mean 'enclosure'?)",
        f"{where}:5: unknown front matter key 'tgas' ignored (did you mean 'tags'?)",
    ]
    assert published_titles(tmp_path / "out") == ["Typo"]


HUGO = """\
+++
title = "From Hugo"
date = 2024-02-01T10:00:00Z
lastMod = 2024-02-03T10:00:00Z
description = "What the post is about."
categories = ["notes"]
aliases = ["/old/path/"]
weight = 3
draft = false
toc = true
keywords = ["a", "b"]
url = "/from-hugo/"
type = "post"
[menu.main]
parent = "blog"
[params]
featured = true
+++
Body.
"""

JEKYLL = """\
---
layout: post
title: From Jekyll
date: 2024-02-02 10:00:00 +0000
permalink: /2024/from-jekyll/
category: diary
excerpt: A short excerpt.
comments: true
last_modified_at: 2024-02-04
image:
  path: /assets/cover.png
  height: 100
---
Body.
"""


def test_hugo_and_jekyll_keys_read_without_a_warning(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"hugo.md": HUGO, "jekyll.md": JEKYLL})
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    assert stderr_lines(result) == []
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert not atom.bozo
    entries = {entry.title: entry for entry in atom.entries}
    hugo, jekyll = entries["From Hugo"], entries["From Jekyll"]
    assert (hugo.updated, hugo.summary) == ("2024-02-03T10:00:00+00:00", "What the post is about.")
    assert [tag.term for tag in hugo.tags] == ["notes"]
    assert (jekyll.updated[:10], jekyll.summary) == ("2024-02-04", "A short excerpt.")
    assert [tag.term for tag in jekyll.tags] == ["diary"]


def test_jekylls_published_false_is_a_draft(tmp_path: Path) -> None:
    hidden = "---\ntitle: Hidden\ndate: 2024-01-05\npublished: false\n---\nNot yet.\n"
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD, "hidden.md": hidden})
    result = build(tmp_path, posts, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert published_titles(tmp_path / "out") == ["Good post"]


def test_a_hugo_page_bundle_is_named_by_its_folder(tmp_path: Path) -> None:
    post, _ = read(
        tmp_path / "my-trip", "---\ntitle: Trip\ndate: 2024-01-01\n---\nBody.\n", "index.md"
    )
    assert post.slug == "my-trip"


def test_summary_from_the_body_is_marked_as_its_lead(tmp_path: Path) -> None:
    derived, _ = read(tmp_path, "---\ntitle: A\ndate: 2024-01-01\n---\nFirst words.\n", "a.md")
    given, _ = read(
        tmp_path, "---\ntitle: B\ndate: 2024-01-01\nsummary: Mine.\n---\nFirst.\n", "b.md"
    )
    assert (derived.summary, derived.summary_is_lead) == ("First words.", True)
    assert (given.summary, given.summary_is_lead) == ("Mine.", False)


# -- enclosures and files beside a post --------------------------------------------------------


def test_enclosures_as_a_file_a_url_and_a_list(tmp_path: Path) -> None:
    write_posts(tmp_path / "media", {"ep 1.mp3": bytes(1000), "talk.mp4": bytes(2000)})
    text = """\
---
title: Media
date: 2024-01-01
enclosure:
  - media/ep 1.mp3
  - {file: media/talk.mp4, duration: "1:30", title: The talk}
  - url: https://cdn.example.net/é/ep.ogg
    length: "4321"
  - https://cdn.example.net/slides.pdf
---
Body.
"""
    post, warnings = read(tmp_path, text)
    assert post.enclosures == (
        Enclosure("media/ep%201.mp3", 1000, "audio/mpeg", "media/ep 1.mp3"),
        Enclosure("media/talk.mp4", 2000, "video/mp4", "media/talk.mp4", 90, "The talk"),
        Enclosure("https://cdn.example.net/%C3%A9/ep.ogg", 4321, "audio/ogg"),
        Enclosure("https://cdn.example.net/slides.pdf", 0, "application/pdf"),
    )
    assert post.local_files == ("media/ep 1.mp3", "media/talk.mp4")
    path = tmp_path / "post.md"
    assert warnings == [
        f"{path}:9: enclosure 4: no 'length' (bytes) for "
        "'https://cdn.example.net/slides.pdf': feeds say 0, unknown",
        f"{path}:4: 4 enclosures: RSS carries the first alone (Atom and JSON Feed carry them all)",
    ]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(125, 125), ("125", 125), ("2:05", 125), ("1:02:03", 3723), ("62:03", 3723), (12.6, 13)],
)
def test_durations_in_seconds_or_clock_time(tmp_path: Path, value: object, seconds: int) -> None:
    shown = f'"{value}"' if isinstance(value, str) else value
    post, _ = read(tmp_path, f"---\ntitle: D\ndate: 2024-01-01\nduration: {shown}\n---\nx\n")
    assert post.episode is not None and post.episode.duration == seconds


def test_the_episode_keys(tmp_path: Path) -> None:
    write_posts(tmp_path, {"art.jpg": b"\xff\xd8\xff"})
    text = (
        "---\ntitle: E\ndate: 2024-01-01\nepisode: 12\nseason: '3'\nepisode_type: Trailer\n"
        "explicit: clean\nimage: art.jpg\n---\nx\n"
    )
    post, warnings = read(tmp_path, text)
    assert warnings == []
    episode = post.episode
    assert episode is not None
    assert (episode.episode, episode.season, episode.episode_type) == (12, 3, "trailer")
    assert (episode.explicit, episode.image) == (False, "art.jpg")
    assert post.local_files == ("art.jpg",)


def test_audio_and_video_in_the_body_are_enclosures_when_the_front_matter_has_none(
    tmp_path: Path,
) -> None:
    write_posts(tmp_path, {"clip.mp3": bytes(300)})
    body = (
        '<audio controls src="clip.mp3"></audio>\n\n'
        '<video controls><source src="https://cdn.example.net/v.webm" type="video/webm">'
        "</video>\n\n"
        '<audio src="/root/relative.mp3"></audio> <audio src="missing.mp3"></audio>\n'
    )
    post, _ = read(tmp_path, f"---\ntitle: Body\ndate: 2024-01-01\n---\n{body}", "a.md")
    assert post.enclosures == (
        Enclosure("clip.mp3", 300, "audio/mpeg", "clip.mp3"),
        Enclosure("https://cdn.example.net/v.webm", 0, "video/webm"),
    )
    own = "---\ntitle: Own\ndate: 2024-01-01\nenclosure: https://x.example/a.mp3\n---\n"
    post, _ = read(tmp_path, own + body, "b.md")
    assert [enclosure.url for enclosure in post.enclosures] == ["https://x.example/a.mp3"]
    none = "---\ntitle: None\ndate: 2024-01-01\nenclosure: false\n---\n"
    post, _ = read(tmp_path, none + body, "c.md")
    assert post.enclosures == ()
    assert post.local_files == ("clip.mp3",)  # still the page's to show


def test_files_beside_a_post_that_it_links_to(tmp_path: Path) -> None:
    folder = write_posts(
        tmp_path / "posts" / "trip",
        {
            "map.pdf": b"%PDF",
            "other-post.md": "---\ntitle: O\ndate: 2024-01-01\n---\nx\n",
            ".secret": b"x",
        },
    )
    write_posts(folder / "img", {"a b.png": b"png", "small.png": b"png", "large.png": b"png"})
    write_posts(tmp_path / "posts", {"outside.pdf": b"%PDF"})
    (folder / "escape.png").symlink_to(tmp_path / "posts" / "outside.pdf")
    body = """\
[Map](map.pdf?download=1#page=2) ![A](img/a%20b.png "a") [again](./map.pdf)
<img srcset="img/small.png 1x, img/large.png 2x" src="img/small.png">
[missing](nothing.pdf) [up](../outside.pdf) [post](other-post.md) [hidden](.secret)
[link](escape.png) [site](/about/) [web](https://example.org/x.pdf) [top](#top)
"""
    post, _ = read(folder, f"---\ntitle: Trip\ndate: 2024-01-01\n---\n{body}")
    assert post.local_files == ("img/a b.png", "img/large.png", "img/small.png", "map.pdf")


BAD_ENCLOSURES = {
    "missing_file": ("enclosure: ep1.mp3", 4, "no such file"),
    "escape": ("enclosure: ../ep1.mp3", 4, "outside the post's folder"),
    "absolute_path": ("enclosure: /etc/passwd", 4, "absolute path"),
    "other_scheme": ("enclosure: ftp://example.org/a.mp3", 4, "not an http(s) URL"),
    "no_type": ("enclosure: https://example.org/stream", 4, "unknown type"),
    "bad_length": (
        "enclosure:\n  url: https://example.org/a.mp3\n  length: big",
        6,
        "'length' must be a number",
    ),
    "bad_duration": (
        "title2: x\nenclosure:\n  - url: https://example.org/a.mp3\n    duration: soon",
        7,
        "must be seconds or H:MM:SS",
    ),
    "both_url_and_file": (
        "enclosure: {url: 'https://example.org/a.mp3', file: a.mp3}",
        4,
        "'url' or 'file' (one of them)",
    ),
    "bad_episode": ("episode: 0", 4, "whole number from 1"),
    "bad_episode_type": ("episode_type: special", 4, "full, trailer, bonus"),
}


@pytest.mark.parametrize("case", sorted(BAD_ENCLOSURES))
def test_a_bad_enclosure_is_an_error_with_its_line_and_the_others_publish(
    tmp_path: Path, case: str
) -> None:
    front, line, phrase = BAD_ENCLOSURES[case]
    bad = f"---\ntitle: Bad\ndate: 2024-01-01\n{front}\n---\nBody.\n"
    posts = write_posts(tmp_path / "posts", {"good.md": GOOD, "bad.md": bad})
    write_posts(tmp_path, {"ep1.mp3": bytes(10)})  # beside the folder, not in it
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)
    assert result.exit_code == 1, result.output
    errors = [line for line in stderr_lines(result) if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {posts / 'bad.md'}:{line}: "), errors
    assert phrase in errors[0], errors
    assert published_titles(out) == ["Good post"]


def test_an_image_the_post_cannot_show_is_a_warning_not_an_error(tmp_path: Path) -> None:
    post, warnings = read(tmp_path, "---\ntitle: I\ndate: 2024-01-01\nimage: gone.jpg\n---\nx\n")
    assert post.episode is not None and post.episode.image is None
    assert warnings == [
        f"{tmp_path / 'post.md'}:4: 'image' 'gone.jpg' is not an http(s) URL nor a file "
        "beside the post: ignored"
    ]
    with pytest.raises(PostError, match="must be true or false"):
        read(tmp_path, "---\ntitle: I\ndate: 2024-01-01\nexplicit: maybe\n---\nx\n")
