"""The deterministic post corpus: N Markdown posts with YAML front matter, cached by size+seed.

Post i is generated from its own `random.Random(f"{seed}:{i}")`, so corpus N=1,000 is the first
thousand posts of corpus N=10,000 and a post can be generated (or regenerated) on its own. The
files are plain Jekyll/Hugo-style Markdown, so Hugo reads the very same bytes (see hugo.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from . import words

FORMAT = 1  # bump when the generated text changes, so cached corpora are regenerated
TAGS: tuple[str, ...] = words.words_of(
    """
    python rust go sqlite feeds rss atom indieweb cooking travel photography books music cycling
    running gardening linux security privacy design typography history maps weather climate
    astronomy chess films teaching parenting hiking climbing coffee tea baking birds cats dogs
    woodwork sewing painting poetry economics law health sleep writing notes links meta
    """
)
OFFSETS: tuple[timedelta, ...] = tuple(
    timedelta(minutes=minutes) for minutes in (0, 60, 120, -300, -420, 330, 540, -180)
)
FIRST_DAY = datetime(2008, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 16 * 365 * 86400
NEWEST_DAY = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # after every generated post
LINK_HOSTS = ("example.org", "blog.example.net", "docs.example.com", "en.wikipedia.org")
COMPLETE_MARKER = ".complete"


@dataclass(frozen=True)
class PostFile:
    slug: str
    text: str


def generate_post(seed: int, index: int, *, newest: bool = False) -> PostFile:
    """Post `index` of the corpus; `newest` dates it after every other post (an added post)."""
    rng = random.Random(f"{seed}:{index}")
    title = words.title(rng)
    slug = f"{title.lower().replace(' ', '-')}-{index}"
    published = _published(rng, index if newest else None)
    tags = sorted(rng.sample(TAGS, rng.randint(1, 4)))
    lines = [
        "---",
        f"title: {json.dumps(title)}",
        f"date: {json.dumps(published.isoformat())}",
        f"tags: {json.dumps(tags)}",
        f"slug: {json.dumps(slug)}",
        *_comment_lines(rng, published),
        "---",
        "",
        _body(rng),
    ]
    return PostFile(slug, "\n".join(lines))


def _published(rng: random.Random, newest_index: int | None) -> datetime:
    offset = rng.choice(OFFSETS)
    if newest_index is not None:
        moment = NEWEST_DAY + timedelta(minutes=newest_index % 100_000)
    else:
        moment = FIRST_DAY + timedelta(seconds=rng.randrange(SPAN_SECONDS))
    return moment.astimezone(timezone(offset))


def _comment_lines(rng: random.Random, published: datetime) -> list[str]:
    count = rng.randint(0, 5)
    if not count:
        return []
    lines = ["comments:"]
    moment = published
    for number in range(1, count + 1):
        moment += timedelta(minutes=rng.randint(5, 3000))
        lines += [
            f'  - id: "c{number}"',
            f"    author: {json.dumps(words.person(rng))}",
            f"    date: {json.dumps(moment.isoformat())}",
            f"    body: {json.dumps(words.paragraph(rng, words=rng.randint(10, 50)))}",
        ]
        if number > 1 and rng.random() < 0.4:
            lines.append(f'    in_reply_to: "c{rng.randint(1, number - 1)}"')
    return lines


def _body(rng: random.Random) -> str:
    """About 650 words: a lead, three `##` sections, links, a list and one `> quote`."""
    blocks = [_linked_paragraph(rng, 70)]
    quote_section = rng.randrange(3)
    for section in range(3):
        blocks.append(f"## {words.title(rng)}")
        blocks.append(_linked_paragraph(rng, 85))
        if section == quote_section:
            blocks.append("> " + words.paragraph(rng, words=25))
        if section == 1:
            blocks.append("\n".join(f"- {words.sentence(rng, low=4, high=9)}" for _ in range(3)))
        blocks.append(words.paragraph(rng, words=85))
    return "\n\n".join(blocks) + "\n"


def _linked_paragraph(rng: random.Random, size: int) -> str:
    phrase = " ".join(rng.choices(words.VOCABULARY, k=rng.randint(1, 3)))
    url = f"https://{rng.choice(LINK_HOSTS)}/{'/'.join(rng.choices(words.VOCABULARY, k=2))}"
    return f"{words.paragraph(rng, words=size)} More on [{phrase}]({url}), *{phrase}*."


# -- files on disk ----------------------------------------------------------------------------


def write_post(folder: Path, post: PostFile) -> Path:
    """Write through a temporary file and rename, so a hard-linked cached copy is never changed."""
    path = folder / f"{post.slug}.md"
    _replace_text(path, post.text)
    return path


def ensure_posts(workdir: Path, *, size: int, seed: int) -> Path:
    """The corpus folder for size+seed under workdir, generated once and reused."""
    folder = workdir / "corpus" / f"posts-n{size}-s{seed}-v{FORMAT}"
    if (folder / COMPLETE_MARKER).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(size):
        write_post(folder, generate_post(seed, index))
    (folder / COMPLETE_MARKER).write_text("done\n", encoding="utf-8")
    return folder


def post_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.md"))


def linked_copy(source: Path, target: Path) -> Path:
    """A folder of hard links to the corpus: instant, and safe because edits replace files."""
    target.mkdir(parents=True)
    for path in post_paths(source):
        os.link(path, target / path.name)
    return target


def append_sentence(path: Path, sentence: str) -> None:
    """Edit one post the way an author fixes one: a sentence more at the end of the body."""
    _replace_text(path, path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{sentence}\n")


def retitle(path: Path, title: str) -> None:
    """Give one post a new title (its front matter's `title:` line; slug and body unchanged)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(number for number, line in enumerate(lines) if line.startswith("title: "))
    lines[at] = f"title: {json.dumps(title)}"
    _replace_text(path, "\n".join(lines))


def set_field(path: Path, name: str, value: object) -> None:
    """Give one post's front matter field `name` (date:, tags:) a new value, as an author
    editing that line would; the rest of the file unchanged."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(number for number, line in enumerate(lines) if line.startswith(f"{name}: "))
    lines[at] = f"{name}: {json.dumps(value)}"
    _replace_text(path, "\n".join(lines))


def remove_last_comment(path: Path) -> None:
    """Take away the last comment of one post's front matter (as a moderator deleting it)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    end = lines.index("---", 1)
    starts = [number for number, line in enumerate(lines[:end]) if line.startswith("  - id: ")]
    if starts:
        following = [n for n in range(starts[-1] + 1, end) if not lines[n].startswith("    ")]
        del lines[starts[-1] : following[0] if following else end]
    _replace_text(path, "\n".join(lines))


def add_comment(path: Path, *, author: str, body: str) -> None:
    """A new comment at the end of one post's front matter, dated after everything in the
    corpus (as a comment that arrives today is): the site's newest comment."""
    lines = path.read_text(encoding="utf-8").split("\n")
    end = lines.index("---", 1)  # the front matter's closing fence
    if not any(line == "comments:" for line in lines[:end]):
        lines.insert(end, "comments:")
        end += 1
    number = sum(1 for line in lines[:end] if line.startswith("  - id: ")) + 1
    lines[end:end] = [
        f'  - id: "c{number}"',
        f"    author: {json.dumps(author)}",
        f"    date: {json.dumps(NEWEST_DAY.isoformat())}",
        f"    body: {json.dumps(body)}",
    ]
    _replace_text(path, "\n".join(lines))


def _replace_text(path: Path, text: str) -> None:
    """Through a temporary file and a rename: a hard-linked cached copy is never changed."""
    temporary = path.with_suffix(".md.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """--size, --seed and --workdir: which generated corpus a command uses, and where it is."""
    parser.add_argument("--size", type=int, default=10000, help="posts in the corpus [10000]")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed [1]")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "syndicate-bench",
        help="where the benchmark caches its corpora [$TMPDIR/syndicate-bench]",
    )
