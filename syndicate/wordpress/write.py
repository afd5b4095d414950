"""Post files as the Markdown importer reads them back, and writing them without losing an edit.

Each file is YAML front matter (keys in a fixed order, PyYAML's safe dumper) and the body.
Writing keeps what a person did to the folder since the last import: a manifest,
`.syndicate-import.json` in the posts folder (hidden: the loader skips it), holds a digest of
the bytes each file was written with, so that a file whose bytes are neither those nor the new
ones was edited, and is kept unless `force`. A file the import did not write is never
overwritten (its post goes to another name). A file whose bytes would not change is not
touched, nor is the manifest: re-running the import writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from syndicate.errors import OutputError, PostError
from syndicate.files import atomic_write, write_if_changed

MANIFEST = ".syndicate-import.json"
MANIFEST_VERSION = 1
# A line that reads as the end of the front matter when stripped: never inside a block scalar.
_FENCE_LINES = {"---", "...", "+++"}


class _FrontMatterDumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks (a comment reads as it was typed), but text with a line
    that the Markdown importer would take for the closing `---` is double-quoted instead."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = None
    if "\n" in text:
        fence = any(line.strip() in _FENCE_LINES for line in text.split("\n"))
        style = '"' if fence else "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_FrontMatterDumper.add_representer(str, _represent_text)


def front_matter_text(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=_FrontMatterDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=2**30,  # no folded lines: a title stays on its line
    )


def post_file(front_matter: dict[str, Any], body: str) -> bytes:
    text = f"---\n{front_matter_text(front_matter)}---\n"
    if body:
        text += body + "\n"
    return text.encode("utf-8")


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Manifest:
    """What the import wrote into a posts folder (paths relative to it, with "/")."""

    files: dict[str, str] = field(default_factory=dict)  # path -> digest of what was written
    items: dict[str, str] = field(default_factory=dict)  # item key (guid) -> its file's path
    terms: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, posts_dir: Path) -> Manifest:
        path = posts_dir / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise PostError(
                path,
                f"the import's record of what it wrote cannot be read ({exc}); move it away to "
                "import afresh (files that differ from the export are then kept, not overwritten)",
            ) from None
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            raise PostError(path, f"not a version {MANIFEST_VERSION} import record")
        return cls(
            files=dict(data.get("files", {})),
            items=dict(data.get("items", {})),
            terms={key: dict(value) for key, value in data.get("terms", {}).items()},
        )

    def save(self, posts_dir: Path) -> None:
        data = {
            "version": MANIFEST_VERSION,
            "about": "written by `syndicate import wordpress`: what it wrote, to keep your edits",
            "files": dict(sorted(self.files.items())),
            "items": dict(sorted(self.items.items())),
            "terms": {
                key: dict(sorted(value.items())) for key, value in sorted(self.terms.items())
            },
        }
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        _writing(posts_dir / MANIFEST, lambda path: write_if_changed(path, text.encode("utf-8")))


@dataclass(frozen=True)
class FileToWrite:
    key: str
    folder: str
    slug: str
    data: bytes


@dataclass
class Written:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # edited since the import: not overwritten


def write_posts(
    posts_dir: Path,
    files: Iterable[FileToWrite],
    *,
    terms: dict[str, dict[str, str]],
    force: bool = False,
) -> Written:
    if posts_dir.exists() and not posts_dir.is_dir():
        raise OutputError(f"{posts_dir}: not a folder")
    manifest = Manifest.load(posts_dir)
    outcome = Written()
    files = list(files)
    reserved = {manifest.items[file.key] for file in files if file.key in manifest.items}
    try:
        for file in files:
            relative = _path_for(posts_dir, file, manifest, reserved)
            reserved.add(relative)
            _write_one(posts_dir, relative, file, manifest, outcome, force=force)
    finally:  # what was written is recorded even when a later file could not be
        for domain, names in terms.items():
            manifest.terms.setdefault(domain, {}).update(names)
        manifest.save(posts_dir)
    return outcome


def _path_for(posts_dir: Path, file: FileToWrite, manifest: Manifest, reserved: set[str]) -> str:
    """The file this item was written to before (its slug may have changed since); else
    `<slug>.md` in its folder, or `<slug>-2.md`... when that name is another file's."""
    previous = manifest.items.get(file.key)
    if previous is not None:
        return previous
    prefix = f"{file.folder}/" if file.folder else ""
    number = 1
    while True:
        relative = f"{prefix}{file.slug}{f'-{number}' if number > 1 else ''}.md"
        if relative not in reserved and _usable(posts_dir / relative, relative, file, manifest):
            return relative
        number += 1


def _usable(path: Path, relative: str, file: FileToWrite, manifest: Manifest) -> bool:
    """A name is free, or ours (in the manifest), or holds these very bytes already."""
    if relative in manifest.files or not path.exists():
        return True
    try:
        return path.read_bytes() == file.data
    except OSError:
        return False


def _write_one(
    posts_dir: Path,
    relative: str,
    file: FileToWrite,
    manifest: Manifest,
    outcome: Written,
    *,
    force: bool,
) -> None:
    path = posts_dir / relative
    manifest.items[file.key] = relative
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        raise OutputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if current == file.data:
        manifest.files[relative] = digest(file.data)
        outcome.unchanged.append(path)
        return
    if current is not None and not force and manifest.files.get(relative) != digest(current):
        outcome.kept.append(path)  # and its digest stays the old one: still edited next time
        return
    _writing(path, lambda target: atomic_write(target, file.data))
    manifest.files[relative] = digest(file.data)
    outcome.written.append(path)


def _writing(path: Path, write: Callable[[Path], object]) -> None:
    try:
        write(path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
