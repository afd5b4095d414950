"""Following other sites: HTTP with deadlines (http, deadline), hostile-feed parsing and
discovery (parse), subscribing (subscribe), fetching into the archive (fetcher, fetch), and
OPML lists (opml)."""

from syndicate.aggregate.fetch import FetchReport, fetch_all
from syndicate.aggregate.subscribe import subscribe

__all__ = ["FetchReport", "fetch_all", "subscribe"]
