"""The Celery application. Workers start with `celery -A config worker`."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from config.logs import mask_handlers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("materia")
# Every CELERY_* Django setting configures Celery (CELERY_BROKER_URL -> broker_url, ...).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_worker_logs(logger: logging.Logger, **kwargs: Any) -> None:
    """A worker drops the handlers of settings.LOGGING, masking filter and all, and sets
    up its own (on the root logger, and on `celery.task`, which does not propagate): they
    get the filter too, so a token in a message body or a traceback is cut to its hint."""
    mask_handlers(logger)
