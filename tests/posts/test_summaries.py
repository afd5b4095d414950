"""A post's summary when its front matter gives none: the text before <!--more-->, else its first
paragraph of prose cut at a sentence near 300 characters; the seed's lead by the same rule.
Read from cmark-gfm's real output and from real builds."""

from __future__ import annotations

import json
import time
from datetime import UTC
from pathlib import Path

import feedparser
import pytest

from syndicate.config import DEFAULT_MAX_POST_BYTES
from syndicate.posts import text
from syndicate.posts.markdown import render_markdown
from syndicate.posts.summary import ELLIPSIS, SUMMARY_LENGTH, cut_at_sentence, lead_summary
from tests.conftest import SEED, run_build, write_posts

SEED_LEAD = "With Ukrainian demolitions under way, the fall of Artemovsk (Bakhmut) is now imminent."
PROSE = "The first words that are the author's own."


def summary_of(markdown: str) -> str:
    return lead_summary(render_markdown(markdown))


@pytest.mark.parametrize(
    "marker", ["<!--more-->", "<!-- more -->", "<!--MORE-->", "<!--  More\t-->"]
)
def test_the_text_before_a_more_marker_is_the_summary(marker: str) -> None:
    teaser = "A teaser with *emphasis* " + "and many words " * 30 + "at its end."
    summary = summary_of(f"{teaser}\n\nA second teaser paragraph.\n\n{marker}\n\nThe rest.")
    # whole, however long: the author chose where it ends
    assert summary == " ".join(teaser.replace("*", "").split()) + " A second teaser paragraph."
    assert len(summary) > SUMMARY_LENGTH


def test_a_more_marker_inside_a_paragraph_ends_the_summary_there() -> None:
    assert summary_of("Before the fold <!--more--> and after it.") == "Before the fold"


def test_a_more_marker_with_nothing_before_it_falls_back_to_the_first_paragraph() -> None:
    assert summary_of(f"<!--more-->\n\n{PROSE}\n\nMore.") == PROSE


def test_a_comment_that_is_not_the_marker_changes_nothing() -> None:
    assert summary_of(f"<!-- more to come -->\n\n{PROSE}\n\n<!--more-->") == PROSE
    assert summary_of(f"{PROSE}\n\n<!-- moreover -->\n\nSecond.") == PROSE


@pytest.mark.parametrize(
    "opening",
    [
        "| a | b |\n|---|---|\n| ~~strike~~ | cell |",
        "- first item\n- second item",
        "1. one\n2. two",
        "- [x] a task",
        "![a picture](a.png)",
        "Relative image: ![a picture](a.png)",
        '<img src="a.png" alt="raw HTML">',
        '<iframe src="https://www.youtube.com/embed/x"></iframe>',
        "# A heading\n\n## Another",
        "```python\nprint('code')\n```",
        "    indented code",
        "> A quotation that opens the post.\n>\n> — Someone else",
        "<pre>raw pre</pre>",
        "<figure><img src='a.png'><figcaption>A caption</figcaption></figure>",
        "<script>var x = 1;</script>\n<style>p { color: red }</style>",
        "---",
    ],
)
def test_what_is_not_prose_is_passed_over(opening: str) -> None:
    assert summary_of(f"{opening}\n\n{PROSE}\n\nSecond paragraph.") == PROSE


def test_a_paragraph_with_an_image_and_words_is_prose() -> None:
    words = "A sentence long enough to be prose, with an image in it"
    assert summary_of(f"{words} ![icon](i.png) and after.") == f"{words} and after."


def test_prose_in_a_plain_div_counts_and_inline_markup_is_text() -> None:
    markdown = "<div>\n\nInside a *div*, with `code`<br>and a [link](/x).\n\n</div>"
    assert summary_of(markdown) == "Inside a div, with code and a link."


def test_a_post_with_no_prose_has_no_summary() -> None:
    assert summary_of("# Only a heading\n\n- and a list\n\n![](a.png)\n\n> a quote") == ""
    assert lead_summary("") == ""


def test_a_long_first_paragraph_is_cut_at_a_sentence_near_300() -> None:
    sentences = [f"Sentence number {n} says a little more than the one before." for n in range(12)]
    summary = summary_of(" ".join(sentences) + "\n\nSecond.")
    assert summary.endswith(". " + ELLIPSIS)
    kept = summary.removesuffix(" " + ELLIPSIS)
    assert SUMMARY_LENGTH // 2 <= len(kept) <= SUMMARY_LENGTH
    assert " ".join(sentences).startswith(kept)
    assert kept.endswith("before.")


def test_a_sentence_that_ends_a_little_after_300_is_kept_whole() -> None:
    first = "Words " * 20 + "end here."
    second = "This sentence runs " + "on and " * 30 + "stops."
    cut = cut_at_sentence(f"{first.strip()} {second} Third one.")
    assert cut == f"{first.strip()} {second} {ELLIPSIS}"
    assert SUMMARY_LENGTH < len(cut) <= SUMMARY_LENGTH * 4 // 3 + 2


def test_without_a_sentence_end_it_is_cut_at_a_word_never_inside_one() -> None:
    paragraph = " ".join(f"word{n}," for n in range(100))
    cut = cut_at_sentence(paragraph)
    assert cut.endswith(ELLIPSIS) and len(cut) <= SUMMARY_LENGTH + 1
    last = cut.removesuffix(ELLIPSIS).split()[-1]
    assert last.startswith("word") and last[4:].isdigit()  # a whole word, its comma dropped


def test_an_abbreviation_before_a_lowercase_word_is_not_a_sentence_end() -> None:
    text = "Short. " + "We use tools, e.g. ripgrep and others, " * 12
    assert not cut_at_sentence(text).startswith("Short. " + ELLIPSIS)
    assert ". e.g" not in cut_at_sentence(text)[-12:]


def test_a_short_paragraph_is_kept_whole() -> None:
    assert cut_at_sentence("  One   short\nparagraph.  ") == "One short paragraph."
    assert cut_at_sentence("x" * SUMMARY_LENGTH) == "x" * SUMMARY_LENGTH


@pytest.mark.parametrize(
    ("sentence", "end"),
    [
        ("هذه جملة عربية طويلة بعض الشيء عن الأخبار والطقس. ", "والطقس."),  # Arabic
        ("האם זה משפט עברי ארוך מספיק כדי לחתוך אותו? ", "אותו?"),  # Hebrew
        ("هل هذه جملة عربية تنتهي بعلامة استفهام عربية؟ ", "عربية؟"),  # Arabic question mark
        ("这是一个关于天气和新闻的比较长的中文句子。", "句子。"),  # Chinese, no spaces
    ],
)
def test_right_to_left_and_unspaced_scripts_are_cut_at_their_sentences(
    sentence: str, end: str
) -> None:
    summary = summary_of(sentence * 40)
    assert summary.removesuffix(ELLIPSIS).rstrip().endswith(end)
    assert summary.endswith(ELLIPSIS)
    assert len(summary) <= SUMMARY_LENGTH * 4 // 3 + 2
    assert (sentence * 40).startswith(summary.removesuffix(ELLIPSIS).rstrip())


def test_one_word_longer_than_a_summary_is_cut_where_it_must_be() -> None:
    url = "https://example.org/" + "a" * 1000
    assert cut_at_sentence(url) == url[:SUMMARY_LENGTH] + ELLIPSIS


@pytest.mark.parametrize(
    "html",
    [
        "<p>" * 40_000,  # the 34 s regression: no </p> anywhere
        "<p><img src=a.png>" * 40_000,
        "<blockquote><p>quoted</p></blockquote>" * 40_000,
        "<table><tr><td><p>cell" * 300 + "<p>x" * 40_000,
        "<!-- more" * 40_000,
    ],
)
def test_summaries_take_linear_time(html: str) -> None:
    started = time.perf_counter()
    assert lead_summary(html + f"<p>{PROSE}</p>") in ("", PROSE)
    assert time.perf_counter() - started < 2.0


def test_the_seed_lead_is_the_summary_and_the_first_paragraph_of_the_body() -> None:
    post = text.read_post(SEED, zone=UTC, max_bytes=DEFAULT_MAX_POST_BYTES).post
    assert post.summary == SEED_LEAD
    assert post.summary_is_lead
    assert post.content_html.startswith(f"<p>{SEED_LEAD}</p>\n<p>After months of war")
    assert post.content_html.count(SEED_LEAD) == 1


def test_a_long_lead_of_the_text_format_is_cut(tmp_path: Path) -> None:
    lead = " ".join(f"This is sentence {n} of a long lead paragraph." for n in range(20))
    source = tmp_path / "long.txt"
    source.write_text(f"Title\n\nSaturday, 4 March 2023 — Site\n\n{lead}\n\nBody.\n", "utf-8")
    post = text.read_post(source, zone=UTC, max_bytes=DEFAULT_MAX_POST_BYTES).post
    assert post.summary.endswith(". " + ELLIPSIS)
    assert lead.startswith(post.summary.removesuffix(" " + ELLIPSIS))
    assert post.summary_is_lead
    assert f"<p>{lead}</p>" in post.content_html  # the body keeps the whole lead


def test_feeds_carry_the_derived_summary_and_front_matter_wins(tmp_path: Path) -> None:
    posts = write_posts(
        tmp_path / "posts",
        {
            "derived.md": "---\ntitle: Derived\ndate: 2024-05-01\n---\n"
            f"| a |\n|---|\n| strike |\n\n![x](a.png)\n\n{PROSE}\n\nSecond.\n",
            "teaser.md": "---\ntitle: Teaser\ndate: 2024-05-02\n---\n"
            "The teaser.\n\n<!--more-->\n\nThe rest.\n",
            "given.md": "---\ntitle: Given\ndate: 2024-05-03\nsummary: From the front matter.\n"
            "---\nBody text.\n",
        },
    )
    output = tmp_path / "out"
    result = run_build(posts, output)
    assert result.exit_code == 0, result.output
    expected = {"Derived": PROSE, "Teaser": "The teaser.", "Given": "From the front matter."}
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((output / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert {entry.title: entry.summary for entry in parsed.entries} == expected, name
    items = json.loads((output / "feed.json").read_text("utf-8"))["items"]
    assert {item["title"]: item["summary"] for item in items} == expected
    page = (output / "posts/teaser/index.html").read_text("utf-8")
    assert "more-->" not in page  # the marker is the author's, not the reader's
