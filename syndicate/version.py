"""The one place the version lives (pyproject reads it). Importing importlib.metadata to look it
up would cost every command, including a build that finds nothing to do, tens of milliseconds."""

__version__ = "0.5.0"
