"""The command line: thin Click commands over the library; errors become messages and exit codes.

Exit statuses: 0 done; 1 done, but some posts or feeds failed (each reported on stderr);
2 usage or configuration error; 75 another run holds the output folder's lock.

Every command says what went wrong in one form, on stderr: `error: WHERE: message` (WHERE a
URL, a file and line, a setting) and `warning: WHERE: message`; Click's own refusals (a
missing argument, an unknown option) too, after the usage line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from syndicate.config import ArchiveLocation, DatabaseURL, Settings, is_database_url, load_settings
from syndicate.errors import (
    ArchiveBusy,
    ArchiveError,
    ArchiveFull,
    ConfigError,
    LockedError,
    OutputError,
    SyndicateError,
    UnsupportedURL,
)
from syndicate.version import __version__

# Each command imports what it uses when it runs: `build` with nothing to do, or `--help`,
# should not pay for lxml, feedgen, requests and the rest (see freshness.py).
if TYPE_CHECKING:
    from syndicate.aggregate import FetchReport
    from syndicate.api import OpenArchive
    from syndicate.model import Feed
    from syndicate.publish import PublishReport
    from syndicate.site.report import BuildReport
    from syndicate.stopping import Stop

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75
F = TypeVar("F", bound=Callable[..., Any])


class Refused(click.ClickException):
    """What a command could not do, as one line on stderr: `error: message` (exit status 1
    unless a subclass says otherwise)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


class UsageProblem(Refused):
    """A configuration or environment problem: reported in one line, exit status 2."""

    exit_code = EXIT_USAGE


class Locked(Refused):
    """Another run holds the lock: one line, exit status 75 (EX_TEMPFAIL), so cron retries."""

    exit_code = EXIT_LOCKED


class BadUsage(Refused):
    """Click's refusal of the command line, shown as Click shows it (the usage line and where
    help is) but for the error line, which is ours: `error: message`; exit status 2."""

    exit_code = EXIT_USAGE

    def __init__(self, refusal: click.UsageError) -> None:
        super().__init__(refusal.format_message())
        self.ctx = refusal.ctx

    def show(self, file: IO[Any] | None = None) -> None:
        if self.ctx is not None:
            click.echo(self.ctx.get_usage(), file=file, err=file is None, color=self.ctx.color)
            help_option = self.ctx.help_option_names[0] if self.ctx.help_option_names else None
            if help_option:
                hint = f"Try '{self.ctx.command_path} {help_option}' for help."
                click.echo(f"{hint}\n", file=file, err=file is None)
        super().show(file)


@contextmanager
def refusals_in_our_format() -> Iterator[None]:
    """Click's own exceptions (usage errors, bad parameters) as ours, which show our form."""
    try:
        yield
    except Refused:
        raise
    except click.UsageError as refusal:
        raise BadUsage(refusal) from None
    except click.ClickException as refusal:  # exit status 1, as Click's own
        raise Refused(refusal.format_message()) from None


class Commands(click.Group):
    """The group whose refusals, its own and its commands', all read `error: message`."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with refusals_in_our_format():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with refusals_in_our_format():
            return super().invoke(ctx)


@dataclass
class State:
    """What the group's options give every command."""

    config_path: Path | None = None
    archive_path: ArchiveLocation | None = None
    quiet: bool = False
    verbose: int = 0

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(
            self.config_path,
            overrides={"archive": self.archive_path, **overrides},
            on_warning=lambda warning: click.echo(f"warning: {warning}", err=True),
        )

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message)


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except ArchiveBusy as error:
        raise Locked(str(error)) from None
    except ArchiveFull as error:  # what was stored before is intact: a partial failure
        raise Refused(str(error)) from None
    except (ConfigError, OutputError, UnsupportedURL, ArchiveError) as error:
        raise UsageProblem(str(error)) from None
    except LockedError as error:
        raise Locked(
            f"{error.lock_path}: another run is in progress (held by {error.holder})"
        ) from None
    except SyndicateError as error:
        raise Refused(str(error)) from None


def verbosity_options(function: F) -> F:
    """-q/-v/--version on every command as on the group; a command's flags add to the group's."""

    def merge_into_state(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        state = ctx.ensure_object(State)
        if param.name == "quiet" and value:
            state.quiet = True
        if param.name == "verbose" and value:
            state.verbose += value
        return value

    function = click.option(
        "-v",
        "--verbose",
        count=True,
        envvar="SYNDICATE_VERBOSE",
        expose_value=False,
        callback=merge_into_state,
        help="Say more (repeatable).",
    )(function)
    function = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        envvar="SYNDICATE_QUIET",
        expose_value=False,
        callback=merge_into_state,
        help="Print only warnings and errors.",
    )(function)
    return click.version_option(__version__, prog_name="syndicate")(function)  # type: ignore[return-value]


class ArchiveOption(click.ParamType):
    """A SQLite file's path, or a PostgreSQL URL kept as it is (a Path would collapse its //)."""

    name = "path|url"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> ArchiveLocation:
        if isinstance(value, DatabaseURL) or is_database_url(value):
            return DatabaseURL(value)
        path: Path = click.Path(dir_okay=False, path_type=Path).convert(value, param, ctx)
        return path


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SYNDICATE_CONFIG",
    help="Settings file [default: ./syndicate.toml when it exists].",
)
@click.option(
    "--archive",
    "archive_path",
    type=ArchiveOption(),
    help="The archive: a SQLite file, or a postgresql:// URL of a PostgreSQL database "
    "[default: ./archive.sqlite3; env SYNDICATE_ARCHIVE].",
)
@verbosity_options
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, archive_path: ArchiveLocation | None) -> None:
    """Publish stored posts as RSS, Atom and JSON Feed, with a comment feed for every post;
    follow other sites' feeds and merge cross-posted copies into one archive."""
    state = ctx.ensure_object(State)
    state.config_path, state.archive_path = config_path, archive_path


pass_state = click.make_pass_decorator(State, ensure=True)


@cli.command()
@click.argument("posts_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the site into [default: feeds; env SYNDICATE_OUTPUT].",
)
@click.option(
    "--base-url",
    help="URL the output folder is served at [default: http://localhost:8000/; "
    "env SYNDICATE_BASE_URL].",
)
@click.option(
    "--future/--no-future",
    default=None,
    help="Publish posts dated in the future now, for a preview [env SYNDICATE_FUTURE].",
)
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Write nothing when any post has an error [env SYNDICATE_STRICT].",
)
@verbosity_options
@pass_state
def build(
    state: State,
    posts_dir: Path | None,
    output: Path | None,
    base_url: str | None,
    future: bool | None,
    strict: bool | None,
) -> None:
    """Read POSTS_DIR (default: seeds) and write the feeds and pages into the output folder.

    A post dated after now waits (reported as scheduled) until a build after its date."""
    with reported_errors():
        settings = state.settings(
            posts=posts_dir, output=output, base_url=base_url, strict=strict, future=future
        )
        from syndicate.api import build as build_site

        report = build_site(settings)
    show_build_report(state, report, settings.output)
    sys.exit(EXIT_PARTIAL if report.errors else EXIT_OK)


def show_build_report(state: State, report: BuildReport, output: Path) -> None:
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.skipped_writing:
        click.echo(
            f"error: nothing written (--strict): {len(report.errors)} post(s) have errors",
            err=True,
        )
        return
    if state.verbose:
        if report.edits_only:
            click.echo("only edited posts changed: rendered their files and the feeds showing them")
        for path in report.written:
            click.echo(f"wrote {output / path}")
        for path in report.removed:
            click.echo(f"removed {output / path}")
    posts = f"{report.posts} post{'s' * (report.posts != 1)}"
    if state.verbose:
        for slug, when in report.scheduled:
            click.echo(f"scheduled: {slug} at {when.isoformat()}")
    waiting = ""
    if report.scheduled:
        waiting = (
            f", {len(report.scheduled)} scheduled, next at {report.scheduled[0][1].isoformat()}"
        )
    state.say(
        f"built {posts} into {output}/: {len(report.written)} written, "
        f"{report.unchanged} unchanged, {len(report.removed)} removed"
        + (f", {len(report.errors)} with errors" if report.errors else "")
        + waiting
    )


@contextmanager
def opened_archive(state: State, **overrides: Any) -> Iterator[tuple[OpenArchive, Settings]]:
    with reported_errors():
        settings = state.settings(**overrides)
        from syndicate.api import open_archive

        with open_archive(settings) as archive:
            yield archive, settings


@cli.command()
@click.argument("url", required=False)
@click.option("--name", help="What to call this subscription.")
@click.option(
    "--opml",
    "opml_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Import every feed of an OPML file exported from a feed reader.",
)
@verbosity_options
@pass_state
def subscribe(state: State, url: str | None, name: str | None, opml_file: Path | None) -> None:
    """Follow URL: a feed, or a site page whose HTML advertises its feeds (or --opml FILE)."""
    if (url is None) == (opml_file is None):
        raise click.UsageError("give a URL or --opml FILE")
    if opml_file is not None:
        import_opml(state, opml_file)
        return
    assert url is not None
    with opened_archive(state) as (archive, _), reported_errors():
        subscribed = archive.subscribe(url, name=name)
    from syndicate.urls import hide_password

    if subscribed.unchecked:
        click.echo(
            f"warning: {subscribed.unchecked} (could not check it now; subscribed, fetch "
            "will retry)",
            err=True,
        )
    state.say(f"subscribed to {hide_password(subscribed.feed.url)}")


def import_opml(state: State, opml_file: Path) -> None:
    """Subscribe to each outline without fetching it: the next fetch checks them all."""
    from syndicate.urls import hide_password

    with opened_archive(state) as (archive, _), reported_errors():
        imported = archive.import_opml(opml_file)
    for skipped in imported.skipped:
        shown = hide_password(skipped)
        click.echo(
            f"warning: {opml_file}: skipped {shown!r}: not an http(s) feed address", err=True
        )
    for url in imported.already:
        state.say(f"already subscribed to {hide_password(url)}")
    state.say(f"imported {len(imported.added)} subscription(s) from {opml_file}")


@cli.command()
@click.argument("url")
@verbosity_options
@pass_state
def unsubscribe(state: State, url: str) -> None:
    """Stop following URL; what it brought into the archive stays."""
    with opened_archive(state) as (archive, _), reported_errors():
        archive.unsubscribe(url)
    from syndicate.urls import hide_password

    state.say(f"unsubscribed from {hide_password(url)}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--opml", "as_opml", is_flag=True, help="Print OPML 2.0 for another feed reader.")
@verbosity_options
@pass_state
def subscriptions(state: State, as_json: bool, as_opml: bool) -> None:
    """List the subscriptions: when each was fetched, how it went, when it is due again,
    and which of its comment feeds fail."""
    with opened_archive(state) as (archive, settings):
        if as_opml:
            feeds = archive.subscriptions()
        else:
            listed = archive.subscription_details()
    if as_opml:
        title = f"{settings.title or 'syndicate'} subscriptions"
        from syndicate.aggregate.opml import export_opml

        click.echo(export_opml(feeds, title=title).decode("utf-8"), nl=False)
        return
    from syndicate.site.backfeed import Redaction
    from syndicate.urls import hide_password

    shown = Redaction.of_urls([each.feed.url for each in listed], show=hide_password)
    listed = [each.redacted(shown) for each in listed]  # user:***@host: no password on a screen
    if as_json:
        printed = [each.to_json() for each in listed]
        click.echo(json.dumps(printed, indent=2, ensure_ascii=False))
        return
    for each in listed:
        feed = each.feed
        name = feed.name or feed.title or ""
        status = subscription_status(feed)
        line = f"{feed.url}  {name}  [{status}]"
        if feed.failures:
            line += f"  {feed.failures} failure(s), next try {feed.next_due}: {feed.last_error}"
        failing = each.failing_comment_feeds()
        if failing:
            line += f"  {len(failing)} of {len(each.comment_feeds)} comment feed(s) failing"
        click.echo(line)


def subscription_status(feed: Feed) -> str:
    if feed.gone:
        return "gone"
    if feed.failures:
        return f"failing, HTTP {feed.last_status}" if feed.last_status else "failing"
    if feed.last_status:
        return f"HTTP {feed.last_status}"
    return "never fetched"


@cli.command()
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Feeds fetched at once [default: 4]."
)
@verbosity_options
@pass_state
def fetch(state: State, jobs: int | None) -> None:
    """Fetch every subscription that is due, merge cross-posted copies, store them."""
    from syndicate.stopping import stop_on_signals

    with (
        opened_archive(state, jobs=jobs) as (archive, _),
        reported_errors(),
        stop_on_signals() as stop,
        progress(state, archive.due()) as advance,
    ):
        report = archive.fetch(on_feed_done=advance, stop=stop.event)
    show_fetch_report(state, report)
    if report.stopped:
        exit_stopped(stop)
    sys.exit(EXIT_PARTIAL if report.errors else EXIT_OK)


def exit_stopped(stop: Stop) -> None:
    click.echo(
        f"syndicate: stopped by {stop.signal_name}: the feeds fetched so far are stored; "
        "the others are fetched by the next run",
        err=True,
    )
    sys.exit(stop.exit_status)


@contextmanager
def progress(state: State, total: int) -> Iterator[Callable[[Any], None]]:
    """A progress bar on a terminal; nothing when output goes to a file or cron."""
    if state.quiet or not sys.stderr.isatty() or total == 0:
        yield lambda _feed: None
        return
    with click.progressbar(length=total, label="fetching", file=sys.stderr) as bar:
        yield lambda _feed: bar.update(1)


def show_fetch_report(state: State, report: FetchReport) -> None:
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    state.say(
        f"fetched {report.fetched} feed(s), {report.not_modified} not modified: "
        f"{report.new_entries} new, {report.updated_entries} updated, "
        f"{report.unchanged_entries} unchanged, {report.merged} merged, "
        f"{report.comments} comment(s)"
        + (f", {len(report.errors)} error(s)" if report.errors else "")
        + (f", {len(report.warnings)} warning(s)" if report.warnings else "")
    )


@cli.command(name="archive")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (schema in the README).")
@verbosity_options
@pass_state
def archive_command(state: State, as_json: bool) -> None:
    """List the archive: one line (or JSON object) per article, with every copy."""
    with opened_archive(state) as (archive, _):
        articles = archive.articles()
    from syndicate.site.backfeed import Redaction
    from syndicate.urls import hide_password

    articles = Redaction.of(articles, show=hide_password).articles(articles)  # user:***@host
    if as_json:
        shown = [article.to_json() for article in articles]
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    for article in articles:
        published = article.published.isoformat() if article.published else "-"
        click.echo(f"{article.id}  {published}  {article.title}")
        for copy in article.copies:
            why = f"  ({copy.merge_rule}: {copy.merge_evidence})" if copy.merge_rule else ""
            click.echo(f"    copy {copy.id}: {copy.url or copy.feed_url}{why}")


@cli.command()
@click.argument("entry", type=int)
@click.argument("other", type=int)
@verbosity_options
@pass_state
def merge(state: State, entry: int, other: int) -> None:
    """Merge archive entry OTHER into ENTRY; later fetches keep them together."""
    with opened_archive(state) as (archive, _), reported_errors():
        archive.merge(entry, other)
    state.say(f"merged entry {other} into entry {entry}")


@cli.command()
@click.argument("entry", type=int)
@click.argument("copy", type=int)
@verbosity_options
@pass_state
def split(state: State, entry: int, copy: int) -> None:
    """Take COPY out of archive entry ENTRY into an entry of its own."""
    with opened_archive(state) as (archive, _), reported_errors():
        new_entry = archive.split(entry, copy)
    state.say(f"copy {copy} is now entry {new_entry}")


@cli.command(name="copy-archive")
@click.argument("source", type=ArchiveOption())
@click.argument("dest", type=ArchiveOption())
@verbosity_options
@pass_state
def copy_archive(state: State, source: ArchiveLocation, dest: ArchiveLocation) -> None:
    """Copy the archive SOURCE into DEST, an empty or missing archive (each a SQLite file or
    a postgresql:// URL): every subscription, article, copy, merge, override and comment,
    with their numbers."""
    from syndicate.api import copy_archive as copy

    with reported_errors():
        report = copy(source, dest, progress=lambda table, rows: state.say(f"{table}: {rows}"))
    rate = report.total / report.seconds if report.seconds else 0.0
    state.say(
        f"copied {report.total} row(s) from {report.source} to {report.dest} "
        f"in {report.seconds:.1f} s ({rate:,.0f} rows/s)"
    )


@cli.command()
@verbosity_options
@pass_state
def publish(state: State) -> None:
    """For cron: fetch the subscriptions (if any), build, ping the WebSub hub.

    Silent when all went well; warnings and errors on stderr. Exit 0 done, 1 done with
    per-post or per-feed errors, 2 usage or configuration error, 75 another run holds the lock."""
    with reported_errors():
        from syndicate.api import publish as publish_site
        from syndicate.stopping import stop_on_signals

        settings = state.settings()
        with stop_on_signals() as stop:
            report = publish_site(settings, stop=stop.event)
    if report.stopped:
        assert report.fetch is not None
        show_fetch_report(State(state.config_path, state.archive_path, quiet=True), report.fetch)
        exit_stopped(stop)
    show_publish_report(state, report, settings.output)
    sys.exit(EXIT_PARTIAL if report.has_errors else EXIT_OK)


def show_publish_report(state: State, report: PublishReport, output: Path) -> None:
    quiet_state = State(state.config_path, state.archive_path, quiet=not state.verbose)
    if report.fetch is not None:
        show_fetch_report(quiet_state, report.fetch)
    show_build_report(quiet_state, report.build, output)
    for error in report.hub_errors:
        click.echo(f"error: {error}", err=True)
    if state.verbose and report.hub_notified:
        click.echo(f"notified the hub of {len(report.hub_notified)} changed feed(s)")


@cli.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(min=1))
@verbosity_options
@pass_state
def serve(state: State, folder: Path | None, host: str, port: int, threads: int) -> None:
    """Serve FOLDER (default: the output folder, feeds) over HTTP with waitress."""
    with reported_errors():
        root = folder or state.settings().output
    if not root.is_dir():
        raise UsageProblem(f"{root}: folder not found (run `syndicate build` first)")
    state.say(f"serving {root}/ on http://{host}:{port}/")
    from syndicate.serve import serve as serve_folder

    serve_folder(root, host=host, port=port, threads=threads, log=bool(state.verbose))


@cli.group(name="import", cls=Commands)
@verbosity_options
def import_group() -> None:
    """Import the posts of another blog engine from its export."""


@import_group.command(name="wordpress")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("posts_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite post files edited since the last import.")
@verbosity_options
@pass_state
def import_wordpress(state: State, export: Path, posts_dir: Path | None, force: bool) -> None:
    """Write each post and page of a WordPress export (WXR) into POSTS_DIR (default: posts)
    as a Markdown file, with its comments; files edited since the last import are kept."""
    folder = posts_dir or Path("posts")
    with reported_errors():
        from syndicate.api import import_wordpress as import_export

        report = import_export(state.settings(), export, folder, force=force)
    for path in report.kept:
        click.echo(
            f"warning: {path}: edited since the last import, not overwritten (--force does)",
            err=True,
        )
    if state.verbose:
        for skipped in report.skipped:
            click.echo(f"skipped {skipped}")
        for path in report.written:
            click.echo(f"wrote {path}")
    state.say(report.summary())
    state.say(report.files_line(folder))


def main() -> None:
    cli(prog_name="syndicate")


if __name__ == "__main__":
    main()
