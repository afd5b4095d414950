"""Renderers: data in, bytes out. No file I/O here; site.py decides what is written where."""
