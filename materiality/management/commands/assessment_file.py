"""A whole assessment as one file, and back (docs/operations.md, "Backups"):

manage.py assessment_file export <assessment id> <path>
manage.py assessment_file import <path>
"""

from __future__ import annotations

from pathlib import Path

from materiality.models import Assessment
from materiality.portability.command import FileCommand
from materiality.portability.exporting import assessment_export
from materiality.portability.restoring import assessment_restore


class Command(FileCommand):
    help = "Export an assessment to one file, or import such a file as a new assessment."
    noun = argument = "assessment"

    def exists(self, pk: int) -> bool:
        return Assessment.objects.filter(pk=pk).exists()

    def export(self, pk: int, path: Path) -> dict[str, int]:
        return assessment_export(assessment_id=pk, path=path)

    def restore(self, path: Path) -> str:
        assessment = assessment_restore(path=path)
        return (
            f"Imported as assessment {assessment.pk} ({assessment.get_title()}), "
            f"survey {assessment.survey_id}."
        )
