"""syndicate: publish stored posts as RSS 2.0, Atom 1.0 and JSON Feed."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("syndicate")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
