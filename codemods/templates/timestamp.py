# codemods: skip-file  (this line is the template's own; it is not written out)
"""Time helpers shared across the project (created by `codemods timestamp`)."""

from datetime import datetime, timezone


def get_timestamp() -> int:
    """Current UTC time as integer milliseconds since the Unix epoch.

    The project's single definition of "now in milliseconds": an int, UTC,
    truncated (not rounded) to the millisecond.
    """
    return int(datetime.now(timezone.utc).timestamp() * 1000)
