from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from materiality.models import Assessment, RunTrigger
from materiality.runs.execution import aggregation_execute
from materiality.runs.requests import aggregation_request
from surveys.tallies import tally_mark_stale


class Command(BaseCommand):
    help = "Compute an assessment's scores (through the broker, or here with --now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("assessment", type=int, help="The assessment's id.")
        parser.add_argument(
            "--now", action="store_true", help="Compute in this process instead of a worker."
        )
        parser.add_argument(
            "--recount",
            action="store_true",
            help="Count the replies again from their answers first (after answers were "
            "changed in the database by hand).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        assessment = Assessment.objects.filter(pk=options["assessment"]).first()
        if assessment is None:
            raise CommandError(f"There is no assessment {options['assessment']}.")
        if options["recount"]:
            tally_mark_stale([assessment.survey_id])
        run = aggregation_request(assessment=assessment, trigger=RunTrigger.COMMAND)
        if options["now"]:
            executed = aggregation_execute(run.pk)
            if executed is not None:
                run = executed
        self.stdout.write(f"Run {run.pk}: {run.get_status_display()}")
        if run.error:
            raise CommandError(run.error)
