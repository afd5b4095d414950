"""The site's Jinja2 templates, compiled once per machine rather than once per build.

Compiling post.html and base.html took 45 ms of a 0.6 s build after a one-post edit: more
than rendering the page. Jinja2's bytecode cache keeps the compiled code in our cache folder
(files.cache_dir, read when a template is first loaded, not at import), one folder per Jinja2
and syndicate version, since the compiled code depends on both; each entry is checked
against its template's source. The cache is only ever a shortcut: a folder that cannot be
read or written means compiling, as without it, never a failed build.
"""

from __future__ import annotations

import os
import pickle

import jinja2
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket

from syndicate.files import cache_dir
from syndicate.version import __version__


class CompiledTemplates(FileSystemBytecodeCache):
    """FileSystemBytecodeCache in the cache folder of the moment, failing soft."""

    def __init__(self) -> None:
        super().__init__(directory=".")  # not used: see _get_cache_filename

    @staticmethod
    def folder() -> str:
        return str(cache_dir() / "templates" / f"jinja2-{jinja2.__version__}-{__version__}")

    def _get_cache_filename(self, bucket: Bucket) -> str:
        return os.path.join(self.folder(), self.pattern % (bucket.key,))

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # unreadable (cut short, of another Python): compiled, rewritten

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.folder(), exist_ok=True)
            super().dump_bytecode(bucket)  # written to a temporary file, then renamed
        except OSError:
            pass  # no cache folder: the next build compiles the template again


def site_environment() -> Environment:
    return Environment(
        loader=PackageLoader("syndicate", "templates"),
        autoescape=select_autoescape(default=True),
        keep_trailing_newline=True,
        bytecode_cache=CompiledTemplates(),
    )
