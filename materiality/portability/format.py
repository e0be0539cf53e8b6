"""The assessment file's layout, its version, and rows as JSON.

Version 1 (`FORMAT_VERSION`), a zip holding:

    manifest.json      {"format", "version", "exported_at", "software", "assessment":
                        its title, "counts": rows per kind, "members": SHA-256 per member}
    assessment.json    the survey (questions, options), the assessment, its topics and
                       groups with the vocabulary entries they are (by code), the reply
                       files imported into it
    invitations.jsonl  one link a line (never its token, which is not kept anyway)
    responses.jsonl    one response a line, its answers inside it
    runs.jsonl         one run a line: parameters, counts, scores per topic and per
                       group, sensitivity, confirmation, and the names, sizes and SHA-256
                       of its frozen matrix files
    audit.jsonl        one audit entry a line

Rows refer to each other by the ids they had where they were exported (`id`, `run`,
`invitation`, …); the vocabulary and questions by their codes. A row's plain fields are
written by their model field names: a field added by a later release is simply absent
from an older file, and takes its default on import. A change that an older release
could not read correctly is a new FORMAT_VERSION.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from materiality.portability.archive import MANIFEST, FileKind, PortableFileError
from surveys.recreating import model_values, row_fields

__all__ = ["MANIFEST", "AssessmentFileError", "model_values", "row_fields"]

FORMAT_NAME = "materia-assessment"
FORMAT_VERSION = 1

ASSESSMENT = "assessment.json"
INVITATIONS = "invitations.jsonl"
RESPONSES = "responses.jsonl"
RUNS = "runs.jsonl"
AUDIT = "audit.jsonl"
MEMBERS = (ASSESSMENT, INVITATIONS, RESPONSES, RUNS, AUDIT)


class AssessmentFileError(PortableFileError):
    """The file cannot be imported; the message says why, in words for people."""


ASSESSMENT_FILE = FileKind(
    name=FORMAT_NAME,
    version=FORMAT_VERSION,
    members=MEMBERS,
    error=AssessmentFileError,
    unreadable=gettext_lazy("This is not an assessment file, or it is damaged (%(error)s)."),
    no_manifest=gettext_lazy("This is not an assessment file: it has no manifest.json."),
    foreign=gettext_lazy("This is not an assessment file exported by Materia."),
    damaged=gettext_lazy("The assessment file is damaged: %(detail)s. Nothing was imported."),
)
