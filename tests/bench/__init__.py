"""The benchmark harness of issue 5: `python -m tests.bench --help`.

Generates deterministic corpora, times `syndicate build` (and Hugo on the same posts) as whole
processes, times `syndicate fetch` against loopback feeds and the archive's merge cost per new
entry, then prints one table and writes the figures as JSON. Not part of the default test run.
"""
