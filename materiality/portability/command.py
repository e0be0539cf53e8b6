"""The front every portable file's command shares: `export <id> <path>` writes one
object to a file, `import <path>` reads a file into a new one. A subclass names its
object and calls its export and restore functions; refusals end as CommandError (an
exit status and the message, never a traceback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from materiality.portability.archive import PortableFileError


class FileCommand(BaseCommand):
    noun = ""  # what one file holds, as the messages name it: "assessment"
    argument = ""  # the export's id argument: "assessment"

    def exists(self, pk: int) -> bool:
        raise NotImplementedError

    def export(self, pk: int, path: Path) -> dict[str, int]:
        """Write the object to *path*; the rows written per kind."""
        raise NotImplementedError

    def restore(self, path: Path) -> str:
        """Read *path* into a new object (PortableFileError when it cannot); what was
        imported, in a sentence."""
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help=f"Write the {self.noun} to a file.")
        export.add_argument(self.argument, type=int, help=f"The {self.noun}'s id.")
        export.add_argument("path", type=Path, help="The file to write (a zip).")
        restore = actions.add_parser("import", help=f"Read a file into a new {self.noun}.")
        restore.add_argument("path", type=Path, help="A file written by export.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if options["action"] == "export":
            pk: int = options[self.argument]
            if not self.exists(pk):
                raise CommandError(f"There is no {self.noun} {pk}.")
            if not path.parent.is_dir():
                raise CommandError(f"There is no folder {path.parent}.")
            counts = self.export(pk, path)
            summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
            self.stdout.write(f"{self.noun.capitalize()} {pk} written to {path}: {summary}.")
            return
        if not path.is_file():
            raise CommandError(f"There is no file {path}.")
        try:
            imported = self.restore(path)
        except PortableFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(imported)
