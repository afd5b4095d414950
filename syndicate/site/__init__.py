"""Posts (and the archive) into the output folder: the build (build), its plan of files
(plan), the incremental paths (freshness, edits, listing, history), the writer, the archive
view (backfeed) and what changed for the WebSub hub (websub)."""
