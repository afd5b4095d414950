"""syndicate: publish stored posts as RSS 2.0, Atom 1.0 and JSON Feed, with a comment feed for
every post; follow other sites' feeds and merge cross-posted copies into one archive.

The public, typed API (the CLI only wraps it; see api.py for an example):

    load_settings(config_path=None, overrides=None, environ=None) -> Settings
    build(settings) -> BuildReport             (report.problems: file, line, message)
    publish(settings) -> PublishReport         (what cron runs)
    open_archive(settings) -> OpenArchive      (a context manager: subscribe, unsubscribe,
                                                subscriptions, fetch, articles, merge, split)
    import_wordpress(settings, export, posts_dir, force=False) -> ImportReport
    copy_archive(...) -> CopyReport            (between a SQLite file and a PostgreSQL URL)
    SyndicateError and its subclasses          (every error syndicate reports)
"""

from syndicate.api import (
    OpenArchive,
    OpmlImport,
    Subscribed,
    Subscription,
    build,
    copy_archive,
    import_wordpress,
    open_archive,
    publish,
)
from syndicate.config import Settings, load_settings
from syndicate.errors import (
    AlreadySubscribed,
    ArchiveBusy,
    ArchiveDamaged,
    ArchiveError,
    ArchiveFull,
    ArchiveUnavailable,
    ConfigError,
    FeedError,
    LockedError,
    NotFound,
    OutputError,
    PostError,
    PostWarning,
    StorageError,
    SyndicateError,
    UnsupportedURL,
)
from syndicate.version import __version__

__all__ = [
    "AlreadySubscribed",
    "ArchiveBusy",
    "ArchiveDamaged",
    "ArchiveError",
    "ArchiveFull",
    "ArchiveUnavailable",
    "ConfigError",
    "FeedError",
    "LockedError",
    "NotFound",
    "OpenArchive",
    "OpmlImport",
    "OutputError",
    "PostError",
    "PostWarning",
    "Settings",
    "StorageError",
    "Subscribed",
    "Subscription",
    "SyndicateError",
    "UnsupportedURL",
    "__version__",
    "build",
    "copy_archive",
    "import_wordpress",
    "load_settings",
    "open_archive",
    "publish",
]
