"""The command line: thin Click commands over the library; errors become messages and exit codes.

Exit statuses: 0 done, 1 done but some posts could not be published, 2 usage or configuration error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from syndicate import __version__
from syndicate.config import load_settings
from syndicate.errors import ConfigError, OutputError, SyndicateError
from syndicate.site import BuildReport, build_site

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


class UsageProblem(click.ClickException):
    """A configuration or environment problem: reported in one line, exit status 2."""

    exit_code = EXIT_USAGE


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except (ConfigError, OutputError) as error:
        raise UsageProblem(str(error)) from None
    except SyndicateError as error:
        raise click.ClickException(str(error)) from None


def verbosity_options(function: F) -> F:
    """-q/-v/--version on every command, as on the group."""
    function = click.option(
        "-v", "--verbose", count=True, envvar="SYNDICATE_VERBOSE", help="Say more (repeatable)."
    )(function)
    function = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        envvar="SYNDICATE_QUIET",
        help="Print only warnings and errors.",
    )(function)
    return click.version_option(__version__, prog_name="syndicate")(function)  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SYNDICATE_CONFIG",
    help="Settings file [default: ./syndicate.toml when it exists].",
)
@verbosity_options
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, quiet: bool, verbose: int) -> None:
    """Publish stored posts as RSS, Atom and JSON Feed, with a comment feed for every post."""
    ctx.obj = {"config_path": config_path, "quiet": quiet, "verbose": verbose}


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
    help="URL the output folder is served at [default: "
    "http://localhost:8000/; env SYNDICATE_BASE_URL].",
)
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Write nothing when any post has an error [env SYNDICATE_STRICT].",
)
@verbosity_options
@click.pass_context
def build(
    ctx: click.Context, posts_dir: Path | None, output: Path | None, base_url: str | None,
    strict: bool | None, quiet: bool, verbose: int,
) -> None:  # fmt: skip
    """Read POSTS_DIR (default: seeds) and write the feeds and pages into the output folder."""
    quiet, verbose = quiet or ctx.obj["quiet"], verbose + ctx.obj["verbose"]
    with reported_errors():
        settings = load_settings(
            ctx.obj["config_path"],
            overrides={
                "posts": posts_dir,
                "output": output,
                "base_url": base_url,
                "strict": strict,
            },
        )
        report = build_site(settings)
    show_build_report(report, settings.output, quiet=quiet, verbose=verbose)
    ctx.exit(EXIT_PARTIAL if report.errors else EXIT_OK)


def show_build_report(report: BuildReport, output: Path, *, quiet: bool, verbose: int) -> None:
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.skipped_writing:
        click.echo(f"--strict: nothing written, {len(report.errors)} post(s) have errors", err=True)
        return
    if verbose:
        for path in report.written:
            click.echo(f"wrote {output / path}")
        for path in report.removed:
            click.echo(f"removed {output / path}")
    if not quiet:
        posts = f"{report.posts} post{'s' * (report.posts != 1)}"
        click.echo(
            f"built {posts} into {output}/: {len(report.written)} written, "
            f"{report.unchanged} unchanged, {len(report.removed)} removed"
            + (f", {len(report.errors)} with errors" if report.errors else "")
        )


def main() -> None:
    cli(prog_name="syndicate")


if __name__ == "__main__":
    sys.exit(main())
