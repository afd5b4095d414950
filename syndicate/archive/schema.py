"""The archive's tables, versioned (archive/migrations.py runs them on either engine: SQLite's
PRAGMA user_version, PostgreSQL's schema_version table): each migration runs once, in
its own transaction, when an archive of an older version is opened."""

from __future__ import annotations

from collections.abc import Mapping

# 8: fetch workers sharing one archive (archive/claims.py): which worker holds a feed's lease
# and until when, the round it was claimed in; the rounds and their live workers. A moment
# is the database's clock on PostgreSQL (workers on several machines agree on it).
_CLAIMS = """
    ALTER TABLE feeds ADD COLUMN leased_by TEXT;
    ALTER TABLE feeds ADD COLUMN lease_until {moment};
    ALTER TABLE feeds ADD COLUMN claimed_round INTEGER;
    CREATE TABLE fetch_rounds (id INTEGER PRIMARY KEY, started TEXT NOT NULL);
    CREATE TABLE fetch_workers (
        worker TEXT PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES fetch_rounds(id) ON DELETE CASCADE,
        heartbeat {moment} NOT NULL
    );
"""

# 9: comment feeds claimed as feeds are (archive/claims.py): a comment feed's row is made by
# the first claim of it, so a row never polled has no last_fetched.
_COMMENT_FEED_CLAIMS = """
    ALTER TABLE comment_feeds ADD COLUMN leased_by TEXT;
    ALTER TABLE comment_feeds ADD COLUMN lease_until {moment};
    ALTER TABLE comment_feeds ADD COLUMN claimed_round INTEGER;
"""

MIGRATIONS: tuple[str | Mapping[str, str], ...] = (
    # 1: subscriptions, copies grouped into articles, origins and comments of copies.
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT,
        title TEXT,
        site_url TEXT,
        kind TEXT NOT NULL DEFAULT 'feed' CHECK (kind IN ('feed', 'own')),
        etag TEXT,
        last_modified TEXT,
        added TEXT NOT NULL,
        last_fetched TEXT,
        last_status INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        next_due TEXT,
        last_error TEXT,
        gone TEXT
    );
    CREATE TABLE articles (id INTEGER PRIMARY KEY);
    CREATE TABLE copies (
        id INTEGER PRIMARY KEY,
        feed_url TEXT NOT NULL,
        guid TEXT NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        url TEXT,
        norm_url TEXT,
        title TEXT NOT NULL,
        title_key TEXT NOT NULL,
        author TEXT,
        published TEXT,
        updated TEXT,
        summary_html TEXT NOT NULL DEFAULT '',
        content_html TEXT NOT NULL DEFAULT '',
        comments_feed_url TEXT,
        merge_rule TEXT,
        merge_evidence TEXT,
        is_own INTEGER NOT NULL DEFAULT 0,
        UNIQUE (feed_url, guid)
    );
    CREATE INDEX copies_by_article ON copies(article_id);
    CREATE INDEX copies_by_norm_url ON copies(norm_url);
    CREATE INDEX copies_by_title_key ON copies(title_key);
    CREATE TABLE origins (
        copy_id INTEGER NOT NULL REFERENCES copies(id) ON DELETE CASCADE,
        norm_url TEXT NOT NULL,
        PRIMARY KEY (norm_url, copy_id)
    ) WITHOUT ROWID;
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        copy_id INTEGER NOT NULL REFERENCES copies(id) ON DELETE CASCADE,
        guid TEXT NOT NULL,
        author TEXT NOT NULL,
        published TEXT,
        url TEXT,
        content_html TEXT NOT NULL,
        UNIQUE (copy_id, guid)
    );
    CREATE TABLE overrides (
        id INTEGER PRIMARY KEY,
        action TEXT NOT NULL CHECK (action IN ('merge', 'split')),
        copy_key TEXT NOT NULL,
        other_key TEXT,
        made TEXT NOT NULL
    );
    """,
    # 2: an origin is an article the copy says it copies, or a feed/site it says it came from.
    """
    ALTER TABLE origins ADD COLUMN kind TEXT NOT NULL DEFAULT 'article'
        CHECK (kind IN ('article', 'source'));
    CREATE INDEX copies_by_title_and_date ON copies(title_key, published);
    """,
    # 3: which version of our own post file a copy was synced from, to skip unchanged posts.
    """
    ALTER TABLE copies ADD COLUMN source_digest TEXT;
    CREATE INDEX copies_by_feed ON copies(feed_url);
    """,
    # 4: a copy's origins by copy (each new copy reads and replaces its own): without this
    # index every store scanned the whole table, and merging slowed as the archive grew.
    """
    CREATE INDEX origins_by_copy ON origins(copy_id);
    """,
    # 5: two indexes that others already cover (the (title_key, published) index and the
    # UNIQUE (feed_url, guid) one answer their queries), updated on every insert for nothing.
    """
    DROP INDEX copies_by_title_key;
    DROP INDEX copies_by_feed;
    """,
    # 6: what a feed says of itself besides its title (plain text, http(s) URLs), and the
    # comment feeds of copies: validators, failures and when to try again, as for feeds.
    """
    ALTER TABLE feeds ADD COLUMN subtitle TEXT;
    ALTER TABLE feeds ADD COLUMN author TEXT;
    ALTER TABLE feeds ADD COLUMN generator TEXT;
    ALTER TABLE feeds ADD COLUMN image_url TEXT;
    CREATE TABLE comment_feeds (
        copy_id INTEGER PRIMARY KEY REFERENCES copies(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_fetched TEXT,
        last_status INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        next_due TEXT,
        last_error TEXT,
        gone TEXT
    );
    """,
    # 7: a copy's media files (archive/media.py: a JSON array, NULL for none) and its own
    # picture. Our own posts were synced without theirs: forgetting the versions synced makes
    # the next build store each post once more, with them.
    """
    ALTER TABLE copies ADD COLUMN enclosures TEXT;
    ALTER TABLE copies ADD COLUMN image_url TEXT;
    UPDATE copies SET source_digest = NULL WHERE is_own = 1;
    """,
    {
        "sqlite": _CLAIMS.replace("{moment}", "TEXT"),
        "postgres": _CLAIMS.replace("{moment}", "TIMESTAMPTZ"),
    },
    {
        "sqlite": _COMMENT_FEED_CLAIMS.replace("{moment}", "TEXT"),
        "postgres": _COMMENT_FEED_CLAIMS.replace("{moment}", "TIMESTAMPTZ"),
    },
)
