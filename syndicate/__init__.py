"""syndicate: publish stored posts as RSS 2.0, Atom 1.0 and JSON Feed."""

# The one place the version lives (pyproject reads it): importing importlib.metadata to look it
# up would cost every command, including a build that finds nothing to do, tens of milliseconds.
__version__ = "0.5.0"
