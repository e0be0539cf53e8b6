"""The DMA file's layout, its version, and how it names matters.

Version 1 (`FORMAT_VERSION`), a zip holding (materiality/portability/archive.py writes
and checks the zip and its manifest, as for the survey assessment's file):

    manifest.json    {"format": "materia-dma", "version", "exported_at", "software",
                      "dma": its id and name, "counts": rows per kind, "members": SHA-256
                      per member}
    dma.json         the DMA (its packs by code; the survey assessment it was linked to,
                     by id and title only), the rule packs its matters come from (code,
                     version, framework, and the id each had where exported), its
                     methodology versions, its own matters, their crosswalk to topics
                     (with those topics described), its disclosure texts, its topic
                     results
    iros.jsonl       one impact, risk or opportunity a line
    raters.jsonl     one rater a line
    ratings.jsonl    one rating a line (iro, rater, methodology_version: exported ids)
    decisions.jsonl  one decision note a line, in the order they were recorded
    approvals.jsonl  one approval a line, its frozen results as approved
    events.jsonl     the DMA's trail, oldest first

Rows refer to each other by the ids they had where they were exported; a rule pack by
its code, a matter by `{"pack": pack code, "code": matter code}` (`"pack": null` for the
DMA's own matters), a topic by its code. People are named by their usernames, as text:
accounts are not carried between sites. A row's plain fields are written by their model
field names (surveys.recreating.row_fields): a field added later is absent from an older
file and takes its default on import. A change an older release would misread is a new
FORMAT_VERSION.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from materiality.double.models import Matter
from materiality.portability.archive import MANIFEST, FileKind, PortableFileError

__all__ = ["MANIFEST", "DmaFileError", "matter_ref"]

FORMAT_NAME = "materia-dma"
FORMAT_VERSION = 1

DMA = "dma.json"
IROS = "iros.jsonl"
RATERS = "raters.jsonl"
RATINGS = "ratings.jsonl"
DECISIONS = "decisions.jsonl"
APPROVALS = "approvals.jsonl"
EVENTS = "events.jsonl"
MEMBERS = (DMA, IROS, RATERS, RATINGS, DECISIONS, APPROVALS, EVENTS)


class DmaFileError(PortableFileError):
    """The DMA file cannot be imported; the message says why, in words for people."""


DMA_FILE = FileKind(
    name=FORMAT_NAME,
    version=FORMAT_VERSION,
    members=MEMBERS,
    error=DmaFileError,
    unreadable=gettext_lazy(
        "This is not a double materiality assessment file, or it is damaged (%(error)s)."
    ),
    no_manifest=gettext_lazy(
        "This is not a double materiality assessment file: it has no manifest.json."
    ),
    foreign=gettext_lazy("This is not a double materiality assessment file exported by Materia."),
    damaged=gettext_lazy(
        "The double materiality assessment file is damaged: %(detail)s. Nothing was imported."
    ),
)


def matter_ref(matter: Matter, packs: dict[int, str]) -> dict[str, Any]:
    """How the file names a matter: a pack's by pack code and code, the DMA's own by its
    code alone (*packs*: pack codes by id)."""
    return {
        "pack": packs[matter.pack_id] if matter.pack_id is not None else None,
        "code": matter.code,
    }
