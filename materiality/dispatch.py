"""Sending background work: tasks named, sent after commit, and a broker outage survived.

Services ask for a task by its name (`"materiality.tasks.aggregate"`), never by importing
`materiality.tasks`: the tasks call the services, so the imports point one way, tasks →
services, and a service can be read, run and tested without Celery's modules.

A task is sent once the transaction that asked for it commits, so a worker never looks
for a row that is not there yet (or that a rollback took away). When the broker cannot
be reached, the request that asked for the work still succeeds: the failure is logged
and the caller's `on_failure` leaves what is needed for the work to be picked up again
(a run stays PENDING for the sweep, an export is marked failed with a message, …).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import current_app
from celery.app.task import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def task_named(name: str) -> Task:
    """The registered task *name*. Web processes import the tasks modules only when
    first asked (Celery's autodiscovery, the same a worker does at start)."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def send(name: str, *args: Any, on_failure: Callable[[], object] | None = None) -> bool:
    """Send task *name* now; False, logged, and `on_failure` called when the broker
    cannot be reached.

    No one reads these tasks' results (their work is in the database), so none is asked
    for: sending touches only the broker, never the result backend, and a Redis that is
    down costs the request the broker's two short attempts (settings: "A broker that is
    down or hangs")."""
    try:
        task_named(name).apply_async(args, ignore_result=True)
    except Exception:  # the broker (or the result backend) is unreachable
        logger.warning("Could not send %s%r to the broker", name, args, exc_info=True)
        if on_failure is not None:
            on_failure()
        return False
    return True


def send_after_commit(
    name: str, *args: Any, on_failure: Callable[[], object] | None = None
) -> None:
    """Send task *name* once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send(name, *args, on_failure=on_failure))
