"""Numbers from URLs and forms that reach SQL as ids or filters.

PostgreSQL refuses a bound parameter outside its 32-bit INTEGER with an error (a 500), while
SQLite just finds nothing. Clamping makes both find nothing, and `?before=` an out-of-range
number still means "from the newest".
"""
from __future__ import annotations

MAX_ID = 2**31 - 1


def db_int(value) -> int:
    """int(value), clamped into the database's INTEGER range; ValueError if it is not a number."""
    return max(-MAX_ID - 1, min(int(value), MAX_ID))
