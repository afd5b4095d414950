"""`syndicate copy-archive SOURCE DEST`: one archive copied whole into another, empty one, on
either engine (a SQLite file to a PostgreSQL database to move up, or back).

Every table is read in one read transaction of SOURCE (what a fetch commits meanwhile is in
the copy whole or not at all), in the order of its foreign keys, and written in one
transaction of DEST: a failed copy leaves DEST empty. Rows stream through in batches
(never the whole archive in memory) and keep their ids, so that entry numbers, merge
decisions and overrides mean what they meant; on PostgreSQL the id sequences then continue
from the highest id. What is only a fetch's working state (leases, rounds) is not copied."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syndicate.archive.base import ArchiveBase
from syndicate.config import is_database_url
from syndicate.errors import ArchiveError

# Every table of the archive, each after those its foreign keys name.
COPIED_TABLES = ("feeds", "articles", "copies", "origins", "comments", "comment_feeds", "overrides")
# Tables of working state that a copy starts without (and PostgreSQL's version table, which
# opening DEST fills in).
NOT_COPIED_TABLES = frozenset({"schema_version", "fetch_rounds", "fetch_workers"})
# Columns of working state: who holds a feed now, and until when.
NOT_COPIED_COLUMNS = frozenset({"leased_by", "lease_until", "claimed_round"})
TABLES_WITH_IDS = ("feeds", "articles", "copies", "comments", "overrides")
ORDER_KEYS = {"origins": "copy_id, norm_url", "comment_feeds": "copy_id"}  # the others: id

Progress = Callable[[str, int], None]  # (table, rows copied), once each table is done


@dataclass(frozen=True)
class CopyReport:
    """What a copy did: the rows of each table, and how long it took."""

    source: str  # the file, or the URL without its password
    dest: str
    rows: dict[str, int]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_archive(
    source: ArchiveBase,
    dest: ArchiveBase,
    *,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every row of the open archive `source` into `dest`, which must be empty."""
    refuse_unless_empty(dest)
    started = time.monotonic()
    rows: dict[str, int] = {}
    with source.snapshot() as reading, dest.transaction() as writing:
        for table in COPIED_TABLES:
            rows[table] = copy_table(reading, writing, table)
            if progress:
                progress(table, rows[table])
        for table in TABLES_WITH_IDS:
            writing.reset_ids(table)
        check_counts(writing, rows, dest.db.location)
    return CopyReport(source.db.location, dest.db.location, rows, time.monotonic() - started)


def refuse_unless_empty(dest: ArchiveBase) -> None:
    for table in COPIED_TABLES:
        if dest.db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            raise ArchiveError(
                f"{dest.db.location}: already holds an archive ({table} has rows); "
                "copy-archive writes only into an empty one"
            )


def copy_table(reading: Any, writing: Any, table: str) -> int:
    """One table's rows, streamed from `reading` into `writing`; how many there were."""
    columns = copied_columns(reading, writing, table)
    (expected,) = reading.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    order = ORDER_KEYS.get(table, "id")
    selected = reading.stream(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    if writing.engine == "postgres":
        selected = without_nul(selected, table, columns, reading.location)
    written = int(writing.bulk_insert(table, columns, selected))
    if written != expected:
        raise ArchiveError(f"{table}: {expected} row(s) read but {written} written")
    return written


def copied_columns(reading: Any, writing: Any, table: str) -> list[str]:
    """DEST's columns of `table` (both archives are at the newest version once open), less
    the working state."""
    wanted = [c for c in writing.table_columns(table) if c not in NOT_COPIED_COLUMNS]
    present = set(reading.table_columns(table))
    missing = [column for column in wanted if column not in present]
    if missing:
        raise ArchiveError(f"{reading.location}: {table} has no column {', '.join(missing)}")
    return wanted


def without_nul(
    rows: Iterable[Sequence[Any]], table: str, columns: Sequence[str], location: str
) -> Iterator[Sequence[Any]]:
    """The rows, refused at the first text with a NUL character, which SQLite stores and
    PostgreSQL cannot (DEST is then left empty)."""
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            if isinstance(value, str) and "\x00" in value:
                raise ArchiveError(
                    f"{location}: {table} row {row[0]} has a NUL character in {column}, "
                    "which PostgreSQL cannot store; remove it from the source and copy again "
                    "(nothing was copied)"
                )
        yield row


def check_counts(writing: Any, rows: dict[str, int], location: str) -> None:
    for table, expected in rows.items():
        (found,) = writing.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        if found != expected:
            raise ArchiveError(f"{location}: {table} holds {found} row(s), {expected} were copied")


def source_exists(location: Path | str) -> bool:
    """Whether SOURCE is there to copy (opening a missing file would make an empty archive)."""
    return is_database_url(location) or Path(location).is_file()
