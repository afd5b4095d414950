"""OPML: import the list any feed reader exports; export ours for any reader to import."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from lxml import etree

from syndicate.cli import cli
from tests.conftest import ArchiveLocation

EXPORTED_BY_A_READER = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions from Some Reader</title></head>
  <body>
    <outline text="Tech" title="Tech">
      <outline type="rss" text="Alpha &amp; Co" title="Alpha &amp; Co"
               xmlUrl="https://alpha.example/feed.xml" htmlUrl="https://alpha.example/"/>
      <outline text="Nested">
        <outline type="rss" text="Beta" xmlUrl="https://beta.example/atom.xml"/>
      </outline>
    </outline>
    <outline type="rss" text="Gamma" xmlUrl="https://gamma.example/rss"/>
    <outline type="rss" text="Alpha again" xmlUrl="https://alpha.example/feed.xml"/>
    <outline text="A folder with no feeds"/>
  </body>
</opml>
"""


def run(archive: ArchiveLocation, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--archive", str(archive), *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def subscribed(archive: ArchiveLocation) -> dict[str, str | None]:
    listed = json.loads(run(archive, "subscriptions", "--json").stdout)
    return {feed["url"]: feed["name"] for feed in listed}


def test_import_reads_nested_outlines_once_each(
    tmp_path: Path, archive_location: ArchiveLocation
) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(EXPORTED_BY_A_READER)
    archive = archive_location
    result = run(archive, "subscribe", "--opml", str(opml))
    assert result.exit_code == 0, result.output
    assert subscribed(archive) == {
        "https://alpha.example/feed.xml": "Alpha & Co",
        "https://beta.example/atom.xml": "Beta",
        "https://gamma.example/rss": "Gamma",
    }
    again = run(archive, "subscribe", "--opml", str(opml))
    assert again.exit_code == 0 and "imported 0" in again.stdout


def test_export_round_trips_through_another_archive(
    tmp_path: Path, new_archive_location: Callable[[str], ArchiveLocation]
) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(EXPORTED_BY_A_READER)
    first, second = new_archive_location("one"), new_archive_location("two")
    run(first, "subscribe", "--opml", str(opml))
    exported = run(first, "subscriptions", "--opml")
    assert exported.exit_code == 0
    document = etree.fromstring(exported.stdout.encode())
    assert document.tag == "opml" and document.get("version") == "2.0"
    assert {o.get("type") for o in document.iter("outline")} == {"rss"}
    (tmp_path / "ours.opml").write_text(exported.stdout)
    assert run(second, "subscribe", "--opml", str(tmp_path / "ours.opml")).exit_code == 0
    assert subscribed(second) == subscribed(first)


def test_a_hostile_or_broken_file_is_a_clear_error(
    tmp_path: Path, archive_location: ArchiveLocation
) -> None:
    archive = archive_location
    bomb = tmp_path / "bomb.opml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<opml version="2.0"><body><outline text="&x;" xmlUrl="https://x.example/&x;"/>'
        "</body></opml>"
    )
    result = run(archive, "subscribe", "--opml", str(bomb))
    assert "root:" not in json.dumps(subscribed(archive))
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline xmlUrl=")
    result = run(archive, "subscribe", "--opml", str(broken))
    assert result.exit_code == 2 and "not an OPML file" in result.output  # a usage error
    assert run(archive, "subscribe").exit_code == 2  # neither URL nor --opml


def test_addresses_that_cannot_be_feeds_are_skipped_with_a_warning(
    tmp_path: Path, archive_location: ArchiveLocation
) -> None:
    opml = tmp_path / "odd.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        '<outline text="js" xmlUrl="javascript:alert(1)"/>'
        '<outline text="file" xmlUrl="file:///etc/passwd"/>'
        '<outline text="words" xmlUrl="not a url"/>'
        '<outline text="feed scheme" xmlUrl="feed://delta.example/rss"/>'
        '<outline text="feed over https" xmlUrl="feed:https://eps.example/atom"/>'
        "</body></opml>"
    )
    archive = archive_location
    result = run(archive, "subscribe", "--opml", str(opml))
    assert result.exit_code == 0
    assert result.stderr.count("warning:") == 3
    assert set(subscribed(archive)) == {"http://delta.example/rss", "https://eps.example/atom"}
