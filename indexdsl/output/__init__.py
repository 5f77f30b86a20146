"""Output: the result tables, the run record, writing with staging, and the terminal
report.  Formats themselves are exporter plugins."""
