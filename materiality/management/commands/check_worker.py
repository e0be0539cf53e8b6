from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from materiality.dispatch import task_named
from materiality.models import StakeholderGroup, Topic


class Command(BaseCommand):
    help = "Send a task through the broker and wait for a worker's answer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=15.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write("CELERY_BROKER_URL is not set: tasks run in-process (eager).")
        elif not settings.CELERY_RESULT_BACKEND:
            raise CommandError("Set CELERY_RESULT_BACKEND so the worker's answer can come back.")
        try:
            answer = (
                task_named("materiality.tasks.vocabulary_size")
                .delay()
                .get(timeout=options["timeout"])
            )
        except Exception as exc:
            raise CommandError(f"No answer from a worker: {exc}") from exc
        expected = {"topics": Topic.objects.count(), "groups": StakeholderGroup.objects.count()}
        if answer != expected:
            raise CommandError(f"The worker sees another database: {answer} != {expected}.")
        self.stdout.write(self.style.SUCCESS(f"Worker answered: {answer}"))
