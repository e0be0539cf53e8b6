"""A run's score rows stored without PostgreSQL's per-row foreign-key checks, when the
role may (surveys/replica.py), the references proven once instead.

Each of a run's 289 score rows (17 topic rows: run, topic; 272 group rows: run, topic,
group) is checked at the commit by a trigger per key, one SELECT … FOR KEY SHARE each:
about 3 ms of a warm run's 3.8 ms COMMIT. They check that the run, the topics and the
groups written exist, and keep them so until the commit. `score_rows_replica` does the
same in one statement before the COPYs: it locks the run and every topic and group id the
rows can name FOR KEY SHARE (the locks the checks would take, only earlier) and proves
that each exists; only then does it turn the checks off, for the COPYs alone.

Why no check after the COPYs is needed: the rows are written from the very ids proven
(`_write_scores` passes the run's pk and the values of `vocabulary.topic_ids` and
`vocabulary.group_ids`, which `score_copy_lines` writes every id of the lines from), and
a row locked FOR KEY SHARE can be neither deleted nor have its id changed by another
transaction until this one ends. An id missing (a topic deleted since the vocabulary
was read) turns nothing off: the COPYs are checked row by row and the commit refuses
them, as without the privilege."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection

from materiality.models import AggregationRun, GroupScore, StakeholderGroup, Topic, TopicScore
from surveys.replica import INSERT_TRIGGERS_SQL, ORIGIN, foreign_key_check_triggers, privilege_sql

_MODELS = (TopicScore, GroupScore)
# The score tables' insert triggers, once found to be their keys' checks and the role
# allowed (per process: dropping and re-creating a key changes its trigger's oid, which
# turns this off again); () once found otherwise: a process whose role may not, or whose
# tables have a trigger of their own, sends no statement more per run. A GRANT given
# later takes effect as its workers restart.
_checks: tuple[int, ...] | None = None


@contextmanager
def score_rows_replica(
    run_id: int, topic_ids: Iterable[int], group_ids: Iterable[int]
) -> Iterator[bool]:
    """Within: score rows naming only `run_id`, `topic_ids` and `group_ids` may be stored
    without per-row checks (True), or are checked as always (False). One statement before,
    one after when True."""
    global _checks
    if connection.vendor != "postgresql":
        yield False
        return
    if _checks is None:
        _checks = foreign_key_check_triggers(_MODELS) or ()
    if not _checks:
        yield False
        return
    topics, groups = sorted(set(topic_ids)), sorted(set(group_ids))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # set_config only once the locks are taken and the ids counted (CASE's order). A
        # role that is no superuser also plans the rest of the transaction without
        # parallel workers: PostgreSQL 15 refuses a parallel worker the replica setting
        # (surveys/bulk.py). No statement of the run's own after this could use one (the
        # COPYs, the run's UPDATE by its key, the COMMIT), but a caller's transaction
        # around the run might, and in the same statement it costs nothing.
        cursor.execute(
            f"""
            WITH run AS (SELECT id FROM {quote(AggregationRun._meta.db_table)}
                    WHERE id = %s FOR KEY SHARE),
                topics AS (SELECT id FROM {quote(Topic._meta.db_table)}
                    WHERE id = ANY(%s) FOR KEY SHARE),
                groups_ AS (SELECT id FROM {quote(StakeholderGroup._meta.db_table)}
                    WHERE id = ANY(%s) FOR KEY SHARE)
            SELECT triggers_unchanged, CASE WHEN triggers_unchanged AND {privilege_sql()}
                AND (SELECT count(*) FROM run) = 1
                AND (SELECT count(*) FROM topics) = %s AND (SELECT count(*) FROM groups_) = %s
                THEN concat(
                    set_config('session_replication_role', 'replica', true),
                    CASE WHEN current_setting('is_superuser') <> 'on'
                        THEN set_config('max_parallel_workers_per_gather', '0', true) END
                ) END
            FROM (SELECT {INSERT_TRIGGERS_SQL} = %s::oid[]) checks (triggers_unchanged)
            """,  # noqa: S608
            [
                run_id,
                topics,
                groups,
                len(topics),
                len(groups),
                [model._meta.db_table for model in _MODELS],
                list(_checks),
            ],
        )
        unchanged, replica = cursor.fetchone()
    if not unchanged:
        _checks = None  # a trigger added, dropped or made anew: listed again next run
    if replica is None:
        yield False
        return
    yield True
    # Not on the way out of a failed COPY: the transaction is aborted then, and its
    # rollback takes the SET LOCAL back with everything else.
    with connection.cursor() as cursor:
        cursor.execute(ORIGIN)
