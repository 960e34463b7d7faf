"""codemods: cleanup codemods for Python checkouts, shown as git-reviewable diffs."""

from codemods.models import FileResult, Finding, Kind, Options, Status, Summary

__version__ = "0.1.0"

__all__ = ["FileResult", "Finding", "Kind", "Options", "Status", "Summary", "__version__"]
