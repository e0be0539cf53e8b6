"""A Celery worker's log never holds a live link either (config/celery.py): the worker
replaces the handlers of settings.LOGGING with its own, which get the token mask too.

Django's and gunicorn's logs: tests/config/test_log_masking.py."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery.utils.log import get_task_logger

from config.celery import app as celery_app
from surveys.tokens import HINT_LENGTH, new_token
from tests.conftest import WORKER_QUEUE, start_worker, stop_worker


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"condition not met within {seconds} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_body_the_worker_logs_carries_the_tokens_hint_only(tmp_path: Path) -> None:
    # A message the worker cannot run is logged with its whole body at ERROR: a link
    # passed as an argument (an old worker, a renamed task during a deploy) lands there.
    log = tmp_path / "worker.log"
    queue = f"{WORKER_QUEUE}-logs-{uuid.uuid4().hex[:6]}"
    worker = start_worker(log, queue=queue)
    token = new_token()
    try:
        celery_app.send_task(
            "materia.no_such_task",
            args=[f"https://materia.example.com/s/r/{token}/review/"],
            queue=queue,
        )
        wait_for(lambda: "materia.no_such_task" in log.read_text())
    finally:
        stop_worker(worker)
    written = log.read_text()
    assert "Received unregistered task" in written
    assert f"/s/r/{token[:HINT_LENGTH]}***/review/" in written
    assert token not in written


@pytest.fixture
def task_logger_setup(tmp_path: Path) -> Iterator[Path]:
    """The worker's own set-up of the task logger (`celery.task`, which does not
    propagate), writing to a file; undone afterwards."""
    base = logging.getLogger("celery.task")
    handlers, propagate, level = list(base.handlers), base.propagate, base.level
    log = tmp_path / "tasks.log"
    celery_app.log.setup_task_loggers(loglevel=logging.INFO, logfile=str(log), colorize=False)
    yield log
    for handler in base.handlers:
        if handler not in handlers:
            handler.close()
    base.handlers, base.propagate, base.level = handlers, propagate, level


def test_a_task_loggers_line_and_traceback_carry_the_tokens_hint_only(
    task_logger_setup: Path,
) -> None:
    token = new_token()
    logger = get_task_logger("materia.faults")
    logger.info("Sent the reminder with /s/i/%s/", token)
    try:
        raise ValueError(f"no such reply: /s/r/{token}/")
    except ValueError:
        logger.exception("Reply failed")
    for handler in logging.getLogger("celery.task").handlers:
        handler.flush()
    written = task_logger_setup.read_text()
    assert f"/s/i/{token[:HINT_LENGTH]}***/" in written
    assert f"/s/r/{token[:HINT_LENGTH]}***/" in written
    assert token not in written
