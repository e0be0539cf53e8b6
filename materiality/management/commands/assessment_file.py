"""A whole assessment as one file, and back (docs/operations.md, "Backups"):

manage.py assessment_file export <assessment id> <path>
manage.py assessment_file import <path>
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from materiality.models import Assessment
from materiality.portability.exporting import assessment_export
from materiality.portability.format import AssessmentFileError
from materiality.portability.restoring import assessment_restore


class Command(BaseCommand):
    help = "Export an assessment to one file, or import such a file as a new assessment."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Write the assessment to a file.")
        export.add_argument("assessment", type=int, help="The assessment's id.")
        export.add_argument("path", type=Path, help="The file to write (a zip).")
        restore = actions.add_parser("import", help="Read a file into a new assessment.")
        restore.add_argument("path", type=Path, help="A file written by export.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if options["action"] == "export":
            if not Assessment.objects.filter(pk=options["assessment"]).exists():
                raise CommandError(f"There is no assessment {options['assessment']}.")
            if not path.parent.is_dir():
                raise CommandError(f"There is no folder {path.parent}.")
            counts = assessment_export(assessment_id=options["assessment"], path=path)
            summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
            self.stdout.write(f"Assessment {options['assessment']} written to {path}: {summary}.")
            return
        if not path.is_file():
            raise CommandError(f"There is no file {path}.")
        try:
            assessment = assessment_restore(path=path)
        except AssessmentFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Imported as assessment {assessment.pk} ({assessment.get_title()}), "
            f"survey {assessment.survey_id}."
        )
