"""The benchmark's Celery broker.

In production a submit ends by sending a task to the broker (the aggregation hook,
settings.SURVEYS_SUBMIT_HOOKS); without a broker Celery runs tasks in-process, so every
submit would compute a whole aggregation inside the request. The benchmark therefore
gives the server, and its own in-process measurements, a real Redis broker on a
database of its own, and no worker: the aggregation's CPU is measured by its own
benchmark and must not compete with the web workers here. The messages it leaves are
purged before and after the run.
"""

from __future__ import annotations

PING_SECONDS = 1.0


def broker_check_unused() -> None:
    """Refuse to run if a worker listens on this broker: it would consume the benchmark's
    tasks and run them against its own database."""
    from config.celery import app

    replies = app.control.inspect(timeout=PING_SECONDS).ping()
    if replies:
        raise SystemExit(
            f"Celery workers listen on the benchmark's broker ({', '.join(replies)}); "
            "choose another --broker-url (a Redis database of its own)"
        )


def broker_purge() -> int:
    """Drop the messages waiting in the broker's queue; returns how many."""
    from config.celery import app

    return int(app.control.purge() or 0)
