"""A respondent's data on request, from the command line (docs/operations.md, "Data
protection"): export or erase one person's responses, or apply the retention period."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from materiality.privacy import responses_expire
from surveys.models import Response
from surveys.privacy import responses_export_json, responses_of_person
from surveys.services import responses_erase


class Command(BaseCommand):
    help = "Export or erase a respondent's responses, or apply RESPONSE_RETENTION_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Write the person's responses as JSON.")
        erase = actions.add_parser("erase", help="Erase the person's responses.")
        for sub in (export, erase):
            sub.add_argument("--email", default="", help="The address they were invited at.")
            sub.add_argument("--link", default="", help="A resume or invitation link they kept.")
            sub.add_argument("--reference", default="", help="An imported reply's reference.")
        export.add_argument(
            "--language", default=settings.LANGUAGE_CODE, help="en or zh-hans (names, dates)."
        )
        export.add_argument("--out", default="-", help="The file to write; - for stdout.")
        erase.add_argument("--yes", action="store_true", help="Erase without asking.")
        actions.add_parser("expire", help="Strip personal fields past the retention period.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "expire":
            self._expire()
            return
        if not (options["email"] or options["link"] or options["reference"]):
            raise CommandError("Give --email, --link or --reference.")
        responses = responses_of_person(
            email=options["email"], link=options["link"], reference=options["reference"]
        )
        if options["action"] == "export":
            self._export(responses, options["language"], options["out"])
        else:
            self._erase(responses, confirmed=options["yes"])

    def _export(self, responses: QuerySet[Response], language: str, out: str) -> None:
        languages = {code for code, _name in settings.LANGUAGES}
        if language not in languages:
            raise CommandError(f"--language must be one of {', '.join(sorted(languages))}.")
        body = responses_export_json(responses=responses, language=language)
        if out == "-":
            self.stdout.write(body)
            return
        Path(out).write_text(body + "\n", encoding="utf-8")
        self.stderr.write(f"{responses.count()} responses written to {out}.")

    def _erase(self, responses: QuerySet[Response], *, confirmed: bool) -> None:
        found = responses.count()
        if not found:
            self.stdout.write("No responses found: nothing erased.")
            return
        if not confirmed:
            raise CommandError(f"{found} responses found; add --yes to erase them.")
        erased = responses_erase(responses=Response.objects.filter(pk__in=responses.values("pk")))
        self.stdout.write(f"{erased} responses erased; the audit trail notes the count.")

    def _expire(self) -> None:
        if not settings.RESPONSE_RETENTION_DAYS:
            self.stdout.write("RESPONSE_RETENTION_DAYS is not set: responses are kept.")
            return
        expired = responses_expire()
        total = sum(expired.values())
        self.stdout.write(
            f"Personal data removed from {total} responses in {len(expired)} assessments."
        )
