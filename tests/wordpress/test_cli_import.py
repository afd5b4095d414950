"""`syndicate import wordpress EXPORT [POSTS_DIR]` as a user runs it: the summary line, a re-run
that writes nothing, a malformed export refused with its line and nothing written."""

from __future__ import annotations

import contextlib
from pathlib import Path

from click.testing import CliRunner

from syndicate.cli import cli

FIXTURES = Path(__file__).parent.parent / "fixtures" / "wordpress"


def run(workdir: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    with contextlib.chdir(workdir):
        result = runner.invoke(cli, ["import", "wordpress", *args], env={"SYNDICATE_CONFIG": None})
    return result.exit_code, result.stdout, result.stderr


def test_an_import_says_what_it_wrote_and_a_rerun_writes_nothing(tmp_path: Path) -> None:
    export = str(FIXTURES / "field-notes-wxr-1.2.xml")
    code, out, err = run(tmp_path, export, "posts")
    assert code == 0, err
    summary, files = out.splitlines()
    assert summary.startswith("imported ") and " posts, " in summary and "comments (" in summary
    written = int(files.split(": ")[1].split(" written")[0])
    assert written == len(list((tmp_path / "posts").rglob("*.md"))) > 0
    code, out, err = run(tmp_path, export, "posts")
    assert code == 0 and out.splitlines()[1] == f"posts/: 0 written, {written} unchanged"


def test_a_malformed_export_is_one_error_with_its_line_and_writes_nothing(tmp_path: Path) -> None:
    export = FIXTURES / "malformed-truncated.xml"
    code, _, err = run(tmp_path, str(export), "posts")
    assert code == 1
    (line,) = err.splitlines()
    assert line.startswith(f"error: {export}:") and line.split(":")[2].strip().isdigit()
    assert not (tmp_path / "posts").exists() or not list((tmp_path / "posts").iterdir())
