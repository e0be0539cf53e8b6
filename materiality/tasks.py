"""Celery tasks: thin wrappers that take ids, call a service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from materiality.models import StakeholderGroup, Topic


@shared_task
def vocabulary_size() -> dict[str, int]:
    """Answer with what the worker's database holds: proves that a worker is up, reads the
    same database as the site, and can send a result back (`manage.py check_worker`)."""
    return {"topics": Topic.objects.count(), "groups": StakeholderGroup.objects.count()}
