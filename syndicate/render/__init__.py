"""Renderers: data in, bytes out. No file I/O here; site/plan.py decides what is written where."""
