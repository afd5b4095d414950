"""`syndicate build` as a library call: skip at once when nothing changed (freshness.py),
else take the edit path (edits.py) or a full build (plan.py), imported only then (they bring
every renderer)."""

from __future__ import annotations

from datetime import datetime

from syndicate.config import Settings
from syndicate.errors import PostError, PostWarning
from syndicate.site.freshness import (
    inputs_digest,
    scan_inputs,
    unchanged_since_last_build,
)
from syndicate.site.report import BuildReport


def build_site(settings: Settings, *, lock_held: bool = False) -> BuildReport:
    # Digest the inputs before reading them: a post edited during the build is seen next time.
    scanned = scan_inputs(settings.posts)
    inputs = inputs_digest(settings, scanned)
    stamp = unchanged_since_last_build(settings, inputs)
    if stamp is not None:
        return BuildReport(
            posts=stamp.posts,
            drafts=stamp.drafts,
            errors=[PostError(*fields) for fields in stamp.errors],
            warnings=[PostWarning(*fields) for fields in stamp.warnings],
            unchanged=stamp.files,
            up_to_date=True,
            scheduled=[(slug, datetime.fromisoformat(when)) for slug, when in stamp.scheduled],
        )
    from syndicate.site import edits, plan

    report = edits.build_after_edits(
        settings, lock_held=lock_held, stamp_inputs=inputs, scanned=scanned
    )
    if report is not None:
        return report
    del scanned  # a full build scans for itself; at 100k posts this list is 20 MB
    return plan.build(settings, lock_held=lock_held, stamp_inputs=inputs)
