"""Workers storing copies of one article at the same moment, on one PostgreSQL archive: the
merge keys are locked before the candidates are read (store.lock_merge_keys), so they still make
one article; a manual merge or split made meanwhile is kept. Threads, each with a connection of
its own (as processes would have), started together at a barrier every round."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from syndicate.archive import Archive
from syndicate.archive.own_posts import sync_own_posts
from syndicate.config import DatabaseURL, load_settings
from syndicate.model import FeedEntry
from tests.archive.entries import entry
from tests.backends import committed

WORKERS = 4
ROUNDS = 24
KINDS = ("link", "origin", "content")  # how the round's copies merge
WORDS = " ".join(f"word{n}" for n in range(80))  # enough shingles for content evidence


def copy_of(round_number: int, worker: int) -> FeedEntry:
    """Worker `worker`'s copy of the round's article, which merges with the others' by link
    (one URL), by origin (each its own URL, one origin named) or by content (same title,
    date and text, each its own URL)."""
    kind = KINDS[round_number % len(KINDS)]
    own = entry(f"r{round_number}-w{worker}", title=f"Round {round_number}", text=WORDS)
    if kind == "link":
        return replace(own, url=f"https://same.example/{round_number}")
    if kind == "origin":
        return replace(own, origin_urls=(f"https://origin.example/{round_number}",))
    return own


def run_workers(location: str, work: Callable[[Archive, int, int], None]) -> list[BaseException]:
    """WORKERS threads, each with its own Archive, doing `work(archive, round, worker)` for
    every round, all of them starting each round together; what they raised."""
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            with Archive(location) as archive:
                feed = archive.subscribe(f"https://w{number}.example/feed")
                for round_number in range(ROUNDS):
                    start.wait(timeout=30)
                    work(archive, round_number, number)
                    feed = archive.feed(feed.url) or feed
        except BaseException as error:  # reported by the test
            start.abort()
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def store_round(archive: Archive, round_number: int, worker: int) -> None:
    feed = archive.feed(f"https://w{worker}.example/feed")
    assert feed is not None
    archive.store_entries(feed, [copy_of(round_number, worker)])


def articles_by_round(location: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for guid, article in committed(location, "SELECT guid, article_id FROM copies"):
        found[guid.split("-")[0]].add(article)
    return found


def test_copies_stored_at_the_same_moment_make_one_article(postgres_location: str) -> None:
    assert run_workers(postgres_location, store_round) == []
    by_round = articles_by_round(postgres_location)
    assert len(by_round) == ROUNDS
    assert {name: len(articles) for name, articles in by_round.items()} == {
        f"r{n}": 1 for n in range(ROUNDS)
    }
    assert committed(postgres_location, "SELECT count(*) FROM articles") == [(ROUNDS,)]


def test_merges_and_splits_made_while_workers_store_are_kept(postgres_location: str) -> None:
    """While the workers store round after round, a person merges each round's article into
    the first round's and splits worker 0's copy out of the round before: no store fails,
    and what they decided is what the archive holds at the end."""
    with Archive(postgres_location) as archive:
        archive.store_entries(archive.subscribe("https://first.example/feed"), [entry("first")])
    (keep,) = committed(postgres_location, "SELECT id FROM articles")[0]
    stop = threading.Event()
    decided: list[tuple[str, int]] = []
    person_failed: list[BaseException] = []

    def person() -> None:
        try:
            with Archive(postgres_location) as archive:
                while not stop.is_set():
                    decide(archive)
        except BaseException as error:
            person_failed.append(error)

    def decide(archive: Archive) -> None:
        split = {copy_id for action, copy_id in decided if action == "split"}
        rows = committed(
            postgres_location,
            "SELECT id, article_id, guid FROM copies WHERE guid LIKE ? AND article_id <> ?"
            " ORDER BY id",
            ("r%", keep),
        )
        rows = [(c, article, guid) for c, article, guid in rows if c not in split]
        sizes = Counter(article for _c, article, _guid in rows)
        for copy_id, article, guid in rows:
            if guid.endswith("-w0") and sizes[article] > 1:
                archive.split_copy(article, copy_id)
                decided.append(("split", copy_id))
                return
        if rows:
            other = min(article for _c, article, _guid in rows)
            archive.merge_articles(keep, other)
            decided.append(("merge", other))

    helper = threading.Thread(target=person)
    helper.start()
    try:
        failures = run_workers(postgres_location, store_round)
        # On a loaded machine the person may not have had a turn before the workers finished:
        # let them decide on what is stored (a split and a merge) before the checks.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and {action for action, _ in decided} != {
            "split",
            "merge",
        }:
            time.sleep(0.05)
    finally:
        stop.set()
        helper.join(timeout=60)
    assert failures == [] and person_failed == []
    splits = [copy_id for action, copy_id in decided if action == "split"]
    merges = [article for action, article in decided if action == "merge"]
    assert splits and merges  # the person did decide while the workers stored
    copies = {
        copy_id: (guid, article)
        for copy_id, guid, article in committed(
            postgres_location, "SELECT id, guid, article_id FROM copies"
        )
    }
    for copy_id in splits:  # alone in its article, as split
        article = copies[copy_id][1]
        assert [c for c, (_g, a) in copies.items() if a == article] == [copy_id]
    merged_away = {a for (a,) in committed(postgres_location, "SELECT id FROM articles")}
    assert not merged_away & set(merges)  # every merged article is gone, its copies in keep
    overrides = committed(postgres_location, "SELECT action FROM overrides ORDER BY id")
    assert [action for (action,) in overrides] == [action for action, _ in decided]
    by_round: dict[str, set[int]] = defaultdict(set)  # apart from the splits
    for copy_id, (guid, article) in copies.items():
        if guid.startswith("r") and copy_id not in splits:
            by_round[guid.split("-")[0]].add(article)
    assert len(by_round) == ROUNDS and all(len(a) == 1 for a in by_round.values())


def test_workers_syncing_our_own_posts_at_once_store_each_once(
    postgres_location: str, seed_posts: Path
) -> None:
    settings = load_settings(
        overrides={"archive": DatabaseURL(postgres_location), "posts": seed_posts}, environ={}
    )
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def sync() -> None:
        try:
            with Archive(postgres_location) as archive:
                start.wait(timeout=30)
                sync_own_posts(archive, settings)
        except BaseException as error:  # reported by the test
            start.abort()
            failures.append(error)

    threads = [threading.Thread(target=sync) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    guids = committed(postgres_location, "SELECT feed_url, guid FROM copies")
    assert guids and len(guids) == len(set(guids))
    assert committed(postgres_location, "SELECT count(*) FROM feeds WHERE kind = 'own'") == [(1,)]
