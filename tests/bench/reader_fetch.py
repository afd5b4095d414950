"""`python reader_fetch.py DB WORKERS`: what the reader library does for `syndicate fetch`:
`update_feeds(workers=WORKERS)` on a database whose feeds were added beforehand; prints what
it stored as JSON. Standalone (reader and the standard library only), so that the harness
times the whole process, start-up and imports included, as it times syndicate's."""

from __future__ import annotations

import json
import sys

from reader import make_reader


def main(database: str, workers: int) -> None:
    reader = make_reader(database)
    errors = updated = 0
    for result in reader.update_feeds_iter(workers=workers):
        if isinstance(result.value, Exception):
            errors += 1
        elif result.value is not None:
            updated += 1
    entries = reader.get_entry_counts().total
    reader.close()
    print(json.dumps({"updated_feeds": updated, "errors": errors, "entries": entries}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
