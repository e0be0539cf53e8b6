"""Import a file of replies from a script: the checks, the words and the storing of the
import pages (`materiality.importing.replies`), stored in this process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from materiality.importing.context import ImportContext, ReplySheet, import_context
from materiality.importing.mapping import ReplyMapping
from materiality.importing.quality import quality_lines
from materiality.importing.replies import (
    FileCheck,
    ImportRefused,
    mapping_problems,
    reply_file_check,
    reply_file_store,
)
from materiality.importing.suggesting import reply_mapping_suggest
from materiality.importing.tables import SpreadsheetError, read_table
from materiality.models import Assessment, RunTrigger
from surveys.models import SurveyStatus


class Command(BaseCommand):
    help = (
        "Import replies from a .csv or .xlsx file into an assessment, with the checks of "
        "the import page. Prints what it found; stores nothing if anything is wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("assessment", type=int, help="The assessment's id.")
        parser.add_argument("file", help="The .csv or .xlsx file of replies.")
        parser.add_argument(
            "--mapping",
            metavar="FILE.json",
            help="The mapping of columns and values, as the import page downloads it. "
            "Without it, the mapping the page suggests from the headers.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report only: store nothing."
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="The language of the report (default: LANGUAGE_CODE).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._import(
                options["assessment"],
                Path(options["file"]),
                mapping_path=options["mapping"],
                dry_run=options["dry_run"],
            )

    def _import(
        self, assessment_id: int, path: Path, *, mapping_path: str | None, dry_run: bool
    ) -> None:
        assessment = Assessment.objects.select_related("survey").filter(pk=assessment_id).first()
        if assessment is None:
            raise CommandError(_("There is no assessment %(id)s.") % {"id": assessment_id})
        if assessment.survey.status == SurveyStatus.DRAFT:
            raise CommandError(
                _(
                    "Replies can be imported once the questionnaire is fixed, that is after "
                    "the survey has been opened (it may be closed again)."
                )
            )
        sheet = _sheet(path)
        context = import_context(assessment)
        mapping = _mapping(mapping_path, sheet, context)
        checked = reply_file_check(
            assessment=assessment,
            sheet=sheet,
            context=context,
            mapping=mapping,
            file_name=path.name,
        )
        if checked.imported_before is not None:  # as the import page refuses the upload
            raise CommandError(checked.refusal())
        for line in summary(checked, sheet=sheet, mapping_path=mapping_path):
            self.stdout.write(line)
        refusal = checked.refusal()
        if refusal:
            raise CommandError(refusal)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was stored."))
            return
        try:
            result = reply_file_store(
                assessment=assessment, context=context, checked=checked, trigger=RunTrigger.COMMAND
            )
        except ImportRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            _("Imported %(count)d replies from “%(file)s”; scores run %(run)d requested.")
            % {"count": result.stored, "file": path.name, "run": result.run.pk}
        )


def _sheet(path: Path) -> ReplySheet:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}
        ) from None
    try:
        return ReplySheet.from_table(read_table(path.name, content))
    except SpreadsheetError as error:
        raise CommandError(f"{path.name}: {error}") from None


def _mapping(path: str | None, sheet: ReplySheet, context: ImportContext) -> ReplyMapping:
    if path is None:
        mapping = reply_mapping_suggest(sheet, context)
        problems = mapping_problems(mapping, sheet, context)
        if problems:
            hint = _(
                "The mapping suggested from the headers does not fit this file; give one "
                "with --mapping (the import page's “Download these choices as a mapping "
                "file (JSON)”)."
            )
            raise CommandError("\n".join([hint, *problems]))
        return mapping
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        mapping = ReplyMapping.from_dict(data)
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}
        ) from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise CommandError(
            _("%(file)s is not a mapping file: %(error)s") % {"file": path, "error": error}
        ) from None
    problems = mapping_problems(mapping, sheet, context)
    if problems:
        raise CommandError("\n".join([_("%(file)s does not fit:") % {"file": path}, *problems]))
    return mapping


def summary(checked: FileCheck, *, sheet: ReplySheet, mapping_path: str | None) -> list[str]:
    """What the check found, as the import page shows it, line by line."""
    check = checked.check
    lines = [
        _("“%(file)s”: %(rows)d rows, %(columns)d columns.")
        % {"file": checked.file_name, "rows": len(sheet.rows), "columns": sheet.width},
        _("Mapping: %(file)s.") % {"file": mapping_path}
        if mapping_path
        else _("Mapping: suggested from the headers, as on the import page."),
        _("Replies ready to import: %(count)d.") % {"count": len(check.rows)},
    ]
    if check.errors:
        heading = (
            _("Rows with errors, skipped as the mapping asks: %(count)d.")
            if check.skip_errors
            else _("Rows with errors: %(count)d.")
        )
        lines.append(heading % {"count": len(check.error_lines)})
        lines += [f"  {error.text()}" for error in check.errors]
    if check.already_imported:
        lines.append(
            _("Already imported into this assessment, not stored again: %(count)d.")
            % {"count": len(check.already_imported)}
        )
        lines += [
            "  "
            + _("Row %(line)s (reference “%(value)s”)") % {"line": row.line, "value": row.value}
            for row in check.already_imported
        ]
    if check.left_out:
        lines.append(_("Left out by the mapping: %(count)d.") % {"count": len(check.left_out)})
        lines += [
            "  " + _("Row %(line)s (group “%(value)s”)") % {"line": row.line, "value": row.value}
            for row in check.left_out
        ]
    if checked.quality is not None:
        lines.append(_("Quality rules, as set for this assessment"))
        lines += [f"  {line}" for line in quality_lines(checked.quality)]
    return lines
