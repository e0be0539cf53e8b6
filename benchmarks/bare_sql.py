"""The aggregation's bare baseline: the same replies in a minimal table, and the plain SQL
GROUP BY that the issue holds the app's run against.

One row per reply and topic, both ratings side by side (NULL for "don't know"), codes as
text as the app stores them: no join, no filters, nothing but the replies. Used by the
benchmark process and, for the Celery round trip, by the worker (benchmarks.bench_tasks),
so it must import nothing from Django.
"""

from __future__ import annotations

from typing import Any, Protocol

TABLE = "bench_replies"

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    reply bigint NOT NULL,
    grp text NOT NULL,
    topic text NOT NULL,
    company smallint,
    stakeholder smallint
)
"""
COLUMNS = ("reply", "grp", "topic", "company", "stakeholder")

# The official baseline, word for word the "bare SQL GROUP BY topic and group".
GROUP_BY = f"""
SELECT grp, topic, count(*), sum(company), sum(stakeholder)
FROM {TABLE}
GROUP BY grp, topic
"""

# A fairer second baseline: what scoring needs is the count of every level per axis (the
# bootstrap resamples the level distribution), which the app's grouped query returns.
# One scan, one hash table per axis.
LEVEL_COUNTS = f"""
SELECT grp, topic, GROUPING(company) AS axis, company, stakeholder, count(*)
FROM {TABLE}
GROUP BY GROUPING SETS ((grp, topic, company), (grp, topic, stakeholder))
"""


class Cursor(Protocol):
    def execute(self, query: Any, params: Any = ...) -> Any: ...
    def fetchall(self) -> list[Any]: ...


def group_by(cursor: Cursor, sql: str = GROUP_BY) -> int:
    """Run a baseline statement and fetch its rows; returns how many."""
    cursor.execute(sql)
    return len(cursor.fetchall())
