"""A whole double materiality assessment as one file, and back (docs/operations.md,
"A double materiality assessment as one file"):

manage.py dma_file export <dma id> <path>
manage.py dma_file import <path>
"""

from __future__ import annotations

from pathlib import Path

from materiality.double.models import DoubleAssessment
from materiality.double.portability.exporting import dma_export
from materiality.double.portability.restoring import dma_restore
from materiality.portability.command import FileCommand


class Command(FileCommand):
    help = "Export a double materiality assessment to one file, or import such a file as a new one."
    noun = "double materiality assessment"
    argument = "dma"

    def exists(self, pk: int) -> bool:
        return DoubleAssessment.objects.filter(pk=pk).exists()

    def export(self, pk: int, path: Path) -> dict[str, int]:
        return dma_export(dma_id=pk, path=path)

    def restore(self, path: Path) -> str:
        dma = dma_restore(path=path)
        return f"Imported as double materiality assessment {dma.pk} ({dma.get_name()})."
