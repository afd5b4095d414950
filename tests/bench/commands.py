"""How the harness starts syndicate: the CLI next to this Python, in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).with_name("probe.py")


def syndicate_command() -> list[str]:
    """The `syndicate` script of the running venv; else the module, with the same Python."""
    script = Path(sys.executable).parent / "syndicate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "syndicate"]


def probe_command() -> list[str]:
    """syndicate's CLI with the archive's store and merge steps timed (see probe.py)."""
    return [sys.executable, str(PROBE)]


def clean_env(run_dir: Path) -> dict[str, str]:
    """No SYNDICATE_* settings from the caller, caches inside the run's own folder, and no HTTP
    proxy between syndicate and the loopback feeds."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")}
    env["SYNDICATE_ARCHIVE"] = str(run_dir / "no-archive" / "archive.sqlite3")  # never created
    env["XDG_CACHE_HOME"] = str(run_dir / "cache")
    env["HUGO_CACHEDIR"] = str(run_dir / "hugo-cache")
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def syndicate_version() -> str:
    result = subprocess.run(
        [*syndicate_command(), "--version"], capture_output=True, text=True, check=False
    )
    return (result.stdout or result.stderr).strip()
