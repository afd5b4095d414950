"""The build's "now": what decides whether a post dated in the future is due.

A build asks once and uses that moment throughout, so that the same inputs and the same set of
due posts give the same bytes. SYNDICATE_NOW (an ISO 8601 time) sets it, for tests only: a
real site takes the clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime

NOW_VARIABLE = "SYNDICATE_NOW"


def build_now() -> datetime:
    """Now, in UTC, to the second; or SYNDICATE_NOW when it is set (tests)."""
    given = os.environ.get(NOW_VARIABLE)
    if given:
        moment = datetime.fromisoformat(given)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC).replace(microsecond=0)
