from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syndicate.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_7d488e9d4f938514.txt"
BASE_URL = "https://blog.example.org/"


@pytest.fixture
def seed_posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


def run_build(posts: Path, output: Path, *extra: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    args = ["build", str(posts), "-o", str(output), "--base-url", BASE_URL, *extra]
    return runner.invoke(cli, args, catch_exceptions=False, env=env)


def local_file(output: Path, url: str) -> Path:
    """The file under the output folder that a URL of the built site names."""
    assert url.startswith(BASE_URL), url
    return output / url.removeprefix(BASE_URL).split("#")[0]
