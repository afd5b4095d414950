"""Several fetch workers sharing one PostgreSQL archive (on one machine or many): each due
feed is claimed by one worker, with a lease, and fetched once per round.

* A **round** lasts while any of its workers is alive (a heartbeat younger than the lease).
  A worker joins the live round or starts a new one, so workers started together (cron on
  several machines) share one, and `fetch; fetch` makes two.
* A **claim** takes due feeds not claimed in this round (`FOR UPDATE SKIP LOCKED`: two
  workers never take the same one) and leases them to the worker until `now() + lease`, by
  the database's clock. Storing a feed's outcome releases its lease in the same UPDATE; a
  worker renews its leases while it works. A killed worker's feeds are claimable again once
  their lease has ended, and its round once its heartbeat is older than the lease.
* **Comment feeds** are claimed the same way, once the round's feeds are stored: each due one
  is polled by one worker per round (its row is made by the claim if it was never polled).
* Storing is **fenced**: the outcome of a feed whose lease another worker has taken over
  (this one was too slow) is refused (`LeaseLost`), and only the other's is stored.

SQLite archives are fetched as before, by one process (a SQLite file is on one machine, and
its writers take turns anyway)."""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syndicate.archive.base import ArchiveBase, iso, now_utc, wrap_exceptions
from syndicate.archive.comment_feeds import CommentFeed
from syndicate.archive.feeds import LeaseLost, feed_record
from syndicate.errors import ArchiveError
from syndicate.model import Feed

__all__ = ["Claim", "Claims", "LeaseLost", "lease_seconds"]

Translate = Callable[[], AbstractContextManager[None]]

# The lease of a claimed feed, in seconds, when the environment does not say: long enough for
# a batch of slow feeds (a fetch renews its leases every third of it).
LEASE_SECONDS_PER_DEADLINE = 10
LEASE_ENVIRONMENT = "SYNDICATE_LEASE_SECONDS"


def lease_seconds(deadline: float) -> float:
    """The lease: SYNDICATE_LEASE_SECONDS, else ten HTTP deadlines."""
    given = os.environ.get(LEASE_ENVIRONMENT)
    return float(given) if given else LEASE_SECONDS_PER_DEADLINE * deadline


@dataclass(frozen=True)
class Claim:
    """One worker in one round."""

    worker: str  # host:pid:random, unique among every worker ever
    round_id: int
    lease: float  # seconds


def new_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


LEASED_TABLES = ("feeds", "comment_feeds")  # whose rows a worker leases

ROUND_KEY = 0x5EED  # the advisory lock under which workers join rounds

LIVE_ROUND = """
    SELECT r.id FROM fetch_rounds r
     WHERE r.id = (SELECT max(id) FROM fetch_rounds)
       AND EXISTS (SELECT 1 FROM fetch_workers w WHERE w.round_id = r.id
                    AND w.heartbeat > now() - make_interval(secs => ?))"""

CLAIM_DUE_FEEDS = """
    WITH due AS (
        SELECT id FROM feeds
         WHERE kind = 'feed' AND gone IS NULL
           AND (next_due IS NULL OR next_due <= ?)
           AND (lease_until IS NULL OR lease_until <= now())
           AND (claimed_round IS DISTINCT FROM ? OR lease_until <= now())
         ORDER BY url
         LIMIT ?
         FOR UPDATE SKIP LOCKED)
    UPDATE feeds SET leased_by = ?, claimed_round = ?,
                     lease_until = now() + make_interval(secs => ?)
      FROM due WHERE feeds.id = due.id
    RETURNING feeds.*"""

# A claim of comment feeds (of the due ones that a worker has chosen as due_comment_feeds
# does): the row is made by the claim when the comment feed was never polled. A concurrent
# claim of the same copy waits for this one's commit, then finds it claimed in the round.
# Only the lease columns are written: the state stays that of the last poll.
CLAIM_COMMENT_FEED = """
    INSERT INTO comment_feeds (copy_id, url, leased_by, claimed_round, lease_until)
    VALUES (?, ?, ?, ?, now() + make_interval(secs => ?))
    ON CONFLICT (copy_id) DO UPDATE
       SET leased_by = excluded.leased_by, claimed_round = excluded.claimed_round,
           lease_until = excluded.lease_until
     WHERE (comment_feeds.lease_until IS NULL OR comment_feeds.lease_until <= now())
       AND (comment_feeds.claimed_round IS DISTINCT FROM excluded.claimed_round
            OR comment_feeds.lease_until <= now())
    RETURNING copy_id"""

STILL_LEASED = """
    SELECT 1 FROM feeds
     WHERE claimed_round = ? AND leased_by IS NOT NULL AND leased_by <> ?
       AND gone IS NULL LIMIT 1"""


class Claims(ArchiveBase):
    """Claiming due feeds for one of several workers (PostgreSQL only, see the module)."""

    @wrap_exceptions
    def join_round(self, *, lease: float) -> Claim:
        """Join the round under way (one with a live worker), or start one."""
        self._require_postgres()
        worker = new_worker_name()
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?)", (ROUND_KEY,))
            row = db.execute(LIVE_ROUND, (lease,)).fetchone()
            if row:
                round_id = int(row[0])
            else:
                started = iso(now_utc())
                round_id = db.execute(
                    "INSERT INTO fetch_rounds (started) VALUES (?)", (started,)
                ).lastrowid
            db.execute(
                "DELETE FROM fetch_workers WHERE heartbeat <= now() - make_interval(secs => ?)",
                (lease,),
            )
            db.execute(
                "INSERT INTO fetch_workers (worker, round_id, heartbeat) VALUES (?, ?, now())",
                (worker, round_id),
            )
        self.worker = worker
        return Claim(worker, round_id, lease)

    @wrap_exceptions
    def claim_due_feeds(self, claim: Claim, moment: datetime, *, limit: int) -> list[Feed]:
        """Up to `limit` due feeds that no worker has fetched in this round, leased to this
        one; in URL order."""
        with self.transaction() as db:
            rows = db.execute(
                CLAIM_DUE_FEEDS,
                (iso(moment), claim.round_id, limit, claim.worker, claim.round_id, claim.lease),
            ).fetchall()
        return sorted((feed_record(row) for row in rows), key=lambda feed: feed.url)

    @wrap_exceptions
    def claim_comment_feeds(self, claim: Claim, due: Sequence[CommentFeed]) -> list[CommentFeed]:
        """Of these due comment feeds, in order, those no worker has polled in this round nor
        holds now, leased to this one (in one transaction, by copy: two claimers wait for
        each other row by row, never in a cycle)."""
        claimed: set[int] = set()
        with self.transaction() as db:
            for feed in sorted(due, key=lambda each: each.copy_id):
                row = db.execute(
                    CLAIM_COMMENT_FEED,
                    (feed.copy_id, feed.url, claim.worker, claim.round_id, claim.lease),
                ).fetchone()
                if row is not None:
                    claimed.add(int(row[0]))
        return [feed for feed in due if feed.copy_id in claimed]

    @wrap_exceptions
    def others_hold_feeds(self, claim: Claim) -> bool:
        """Whether other workers of the round still hold leases: when they end unreleased
        (a killed worker), those feeds are this worker's to take."""
        row = self.db.execute(STILL_LEASED, (claim.round_id, claim.worker)).fetchone()
        return row is not None

    @wrap_exceptions
    def renew(self, claim: Claim) -> None:
        """The worker's heartbeat, and every lease it holds, from now."""
        with self.transaction() as db:
            db.execute(
                "UPDATE fetch_workers SET heartbeat = now() WHERE worker = ?", (claim.worker,)
            )
            for table in LEASED_TABLES:
                db.execute(
                    f"UPDATE {table} SET lease_until = now() + make_interval(secs => ?)"
                    " WHERE leased_by = ?",
                    (claim.lease, claim.worker),
                )

    @wrap_exceptions
    def leave_round(self, claim: Claim) -> None:
        """The worker is done: its leases (of feeds and comment feeds it did not get to) and
        its place in the round go; what it did not get to is unclaimed again, for the round's
        other workers or the next round."""
        with self.transaction() as db:
            for table in LEASED_TABLES:
                db.execute(
                    f"UPDATE {table} SET leased_by = NULL, lease_until = NULL,"
                    " claimed_round = NULL WHERE leased_by = ?",
                    (claim.worker,),
                )
            db.execute("DELETE FROM fetch_workers WHERE worker = ?", (claim.worker,))
        self.worker = None

    @property
    def fetches_in_rounds(self) -> bool:
        """Whether fetches claim their feeds (PostgreSQL), or fetch every due feed (SQLite)."""
        return bool(self.db.engine == "postgres")

    @wrap_exceptions
    def host_slots(self, *, per_host: int) -> HostSlots:
        """The host slots of this process (on a connection of their own), for the fetcher."""
        self._require_postgres()
        return HostSlots(
            self.db.open_another(), per_host=per_host, translate=self.translated_errors
        )

    def _require_postgres(self) -> None:
        if self.db.engine != "postgres":
            raise ArchiveError(f"{self.db.location}: several fetch workers need PostgreSQL")


def host_key(host: str) -> int:
    """A host's advisory lock key: a signed 32-bit number (the two-number locks of the host
    slots never meet the one-number ones of migrations and rounds). Two hosts that share
    one only share a limit, which is only more polite."""
    digest = hashlib.blake2b(host.lower().encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class HostSlots:
    """The per-host limit across every worker of one PostgreSQL archive: slot `s` of a host
    is the session advisory lock (host_key, s) on a connection of this process's own, held
    while one request is in flight. The server frees a killed worker's slots at once (and a
    vanished machine's when its connection's keepalives fail)."""

    def __init__(self, connection: Any, *, per_host: int, translate: Translate) -> None:
        self.per_host = per_host
        self._connection = connection
        self._translate = translate
        self._lock = threading.Lock()
        self._held: set[tuple[int, int]] = set()  # session locks are re-entrant: never twice

    def take(self, host: str, stopped: threading.Event) -> tuple[int, int] | None:
        """One of the host's free slots, waited for; None once `stopped` is set."""
        key = host_key(host)
        while not stopped.is_set():
            with self._lock, self._translate():
                for slot in range(self.per_host):
                    if (key, slot) in self._held:
                        continue
                    (taken,) = self._connection.execute(
                        "SELECT pg_try_advisory_lock(%s, %s)", (key, slot)
                    ).fetchone()
                    if taken:
                        self._held.add((key, slot))
                        return key, slot
            stopped.wait(random.uniform(0.05, 0.25))
        return None

    def give_back(self, held: tuple[int, int]) -> None:
        with self._lock, self._translate():
            self._held.discard(held)
            self._connection.execute("SELECT pg_advisory_unlock(%s, %s)", held)

    def close(self) -> None:
        with self._lock, suppress(Exception):
            self._connection.close()
